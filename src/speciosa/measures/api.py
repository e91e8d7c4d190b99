"""JSON API of the measures app (django-ninja router, mounted in speciosa/api.py)."""

from ninja import Router

router = Router(tags=["measures"])
