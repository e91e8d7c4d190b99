"""JSON API of the dataio app (django-ninja router, mounted in speciosa/api.py)."""

from ninja import Router

router = Router(tags=["dataio"])
