"""Scoped reads for reports: which programs a user may report on, and their extract."""

from __future__ import annotations

import time
from threading import Lock

from speciosa.accounts.access import memberships_for
from speciosa.accounts.models import Program, Role
from speciosa.accounts.permissions import MATRIX, Action
from speciosa.clinical.outcomes.tables import OutcomeTables
from speciosa.outcomes.extract import extract_tables

EXTRACT_TTL_SECONDS = 60.0
_cache: dict[tuple[int, ...], tuple[float, OutcomeTables]] = {}
_lock = Lock()


def report_programs_for(user) -> list[Program]:
    """Programs where one of ``user``'s roles grants VIEW_REPORTS (sorted by name)."""
    seen: dict[int, Program] = {}
    for m in memberships_for(user):
        if Action.VIEW_REPORTS in MATRIX.get(Role(m.role), frozenset()):
            seen.setdefault(m.program_id, m.program)
    return sorted(seen.values(), key=lambda p: p.name)


def cached_extract(program_ids: list[int], ttl: float = EXTRACT_TTL_SECONDS) -> OutcomeTables:
    """The extract for these programs, reused for ``ttl`` seconds: filter changes in the
    dashboard re-run the (fast) engine, not the database scan."""
    key = tuple(sorted(program_ids))
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < ttl:
            return hit[1]
    tables = extract_tables(key)
    with _lock:
        _cache[key] = (now, tables)
    return tables


def clear_extract_cache() -> None:
    with _lock:
        _cache.clear()
