"""FHIR R4 routes (issue 7). Every error here is an OperationOutcome."""

urlpatterns: list = []
