"""JSON API of the safety app (django-ninja router, mounted in speciosa/api.py)."""

from ninja import Router

router = Router(tags=["safety"])
