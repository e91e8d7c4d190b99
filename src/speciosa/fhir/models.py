"""Models of the fhir app."""
