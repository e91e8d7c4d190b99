"""Optimistic locking: an update succeeds only if the row still has the edited version."""

from django.db import models
from django.utils import timezone

from speciosa.clinical.errors import StaleVersion


def save_new_version(obj: models.Model, *, expected_version: int, fields: list[str]) -> None:
    """Save ``fields`` of ``obj`` if the stored row is still at ``expected_version``.

    One conditional UPDATE (compare-and-set), so two concurrent editors can never both
    win: the loser gets ``StaleVersion`` and nothing of theirs is written.
    """
    model = type(obj)
    now = timezone.now()
    values = {name: getattr(obj, name) for name in fields}
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(
        **values, version=expected_version + 1, updated_at=now
    )
    if updated != 1:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        raise StaleVersion(model._meta.verbose_name.capitalize(), expected_version, current or 0)
    obj.version = expected_version + 1
    obj.updated_at = now
