"""JSON API of the research app (django-ninja router, mounted in speciosa/api.py)."""

from ninja import Router

router = Router(tags=["research"])
