"""JSON API of the plans app (django-ninja router, mounted in speciosa/api.py)."""

from ninja import Router

router = Router(tags=["plans"])
