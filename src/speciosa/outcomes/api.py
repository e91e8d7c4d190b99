"""JSON API of the outcomes app (django-ninja router, mounted in speciosa/api.py)."""

from ninja import Router

router = Router(tags=["outcomes"])
