"""JSON API of the fhir app (django-ninja router, mounted in speciosa/api.py)."""

from ninja import Router

router = Router(tags=["fhir"])
