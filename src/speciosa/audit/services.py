"""Writing and verifying the audit trail."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connections, transaction
from django.utils import timezone

from speciosa.audit.models import AuditAction, AuditChainHead, AuditEvent
from speciosa.core.compiled import CompiledQuery, insert_new, new_instance, statement_cursor
from speciosa.core.context import current_request_id

GENESIS = "0" * 64


def _related_id(field_name: str, obj) -> int | None:
    """The id an event stores for ``obj``, refusing what assigning ``obj`` to the field
    refuses (another model's row) and what ``save()`` refuses (an unsaved row)."""
    if obj is None:
        return None
    model = AuditEvent._meta.get_field(field_name).related_model
    if not isinstance(obj, model):  # type: ignore[arg-type]
        raise ValueError(f"AuditEvent.{field_name} must be a {model._meta.label}, not {obj!r}")
    if obj.pk is None:
        raise ValueError(f"save() prohibited: unsaved related object '{field_name}'")
    return obj.pk


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "username", None) or str(actor)


@transaction.atomic(savepoint=False)  # a failed audit write fails the caller's write too
def write_audit(
    *,
    actor,
    action: AuditAction | str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    program=None,
    patient=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit row to the program's chain. Runs inside the caller's transaction,
    so a failed write leaves no audit row behind and a written one always has its row."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(getattr(obj, "uid", None) or obj.pk)
        if program is None:
            program = getattr(obj, "program", None)
        if patient is None and obj._meta.model_name != "patient":
            patient = getattr(obj, "patient", None)
        elif patient is None:
            patient = obj
    chain = program.code if program is not None else "system"
    event = new_instance(
        AuditEvent,
        chain=chain,
        at=timezone.now(),
        # ids, not objects: the hash and the row need only the ids, and nothing reads an
        # event's relations (setting them through the descriptors is most of new_instance)
        actor_id=_related_id("actor", actor if getattr(actor, "pk", None) else None),
        actor_label=_actor_label(actor),
        program_id=_related_id("program", program),
        patient_id=_related_id("patient", patient),
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        request_id=current_request_id(),
        detail=detail or {},
    )
    _append(event)
    return event


def _link(event: AuditEvent, seq: int, prev_hash: str) -> None:
    event.seq, event.prev_hash = seq, prev_hash
    event.hash = event.compute_hash()


def _append(event: AuditEvent) -> None:
    """Link ``event`` after the chain's head and store it; the head moves in step.

    Usually two statements: the head this process last wrote is assumed, and the head row
    advances only if it still is that head (``UPDATE ... WHERE seq = .. AND last_hash =
    ..``, which also locks it until the transaction ends). If another process or a
    rolled-back transaction moved it, the head is read under a lock and the event is
    re-linked (three statements, as before).
    """
    alias = "default"
    known = _last_head.get((alias, event.chain))
    if known is not None:
        _link(event, known[0] + 1, known[1])
        if _advance_head(event, expected=known):
            insert_new(event)
            _last_head[(alias, event.chain)] = (event.seq, event.hash)
            return
    head = _lock_chain_head(event.chain)
    _link(event, head.seq + 1, head.last_hash)
    if not _advance_head(event, expected=(head.seq, head.last_hash)):
        raise RuntimeError(f"audit chain head {event.chain!r} moved while locked")
    insert_new(event)
    _last_head[(alias, event.chain)] = (event.seq, event.hash)


# (alias, chain) -> (seq, hash) this process last appended; a hint, checked on use
_last_head: dict[tuple[str, str], tuple[int, str]] = {}

# every audited request runs these: SQL built once (core.compiled)
_CHAIN_HEAD = CompiledQuery(
    lambda chain: AuditChainHead.objects.select_for_update().filter(chain=chain), kinds=(str,)
)


def _lock_chain_head(chain: str) -> AuditChainHead:
    """The chain's head row, locked until the transaction ends (created on first use)."""
    found = _CHAIN_HEAD.models(chain)
    if found:
        return found[0]
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(chain=chain)
    return head


def _advance_head(event: AuditEvent, *, expected: tuple[int, str]) -> bool:
    """Move the chain's head to ``event`` if the head is still ``expected`` (seq, hash)."""
    meta, connection = AuditChainHead._meta, connections["default"]
    quote = connection.ops.quote_name
    sql = _HEAD_UPDATE.get(connection.vendor)
    if sql is None:
        table, chain = quote(meta.db_table), quote(meta.pk.column)
        seq = quote(meta.get_field("seq").column)
        last_hash = quote(meta.get_field("last_hash").column)
        sql = _HEAD_UPDATE[connection.vendor] = (
            f"UPDATE {table} SET {seq} = %s, {last_hash} = %s"  # noqa: S608 - quoted names
            f" WHERE {chain} = %s AND {seq} = %s AND {last_hash} = %s"
        )
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, [event.seq, event.hash, event.chain, expected[0], expected[1]])
        return cursor.rowcount == 1


_HEAD_UPDATE: dict[str, str] = {}


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int
    reason: str


def iter_chain_breaks(chain: str | None = None, batch: int = 2000) -> Iterator[ChainBreak | int]:
    """Walk the chain(s) in order; yields the count of rows checked per batch and any break.

    Reports the first broken link per chain: a changed row (hash mismatch), a removed
    row (sequence gap) or a re-linked row (prev_hash not the previous row's hash).
    """
    chains = (
        [chain]
        if chain
        else list(AuditChainHead.objects.order_by("chain").values_list("chain", flat=True))
    )
    for name in chains:
        prev_hash, expected_seq, broken = GENESIS, 1, False
        last_seq = 0
        while not broken:
            rows = list(
                AuditEvent.objects.filter(chain=name, seq__gt=last_seq).order_by("seq")[:batch]
            )
            if not rows:
                break
            for row in rows:
                if row.seq != expected_seq:
                    yield ChainBreak(name, expected_seq, "row missing (sequence gap)")
                    broken = True
                    break
                if row.prev_hash != prev_hash:
                    yield ChainBreak(name, row.seq, "prev_hash does not match previous row")
                    broken = True
                    break
                if row.compute_hash() != row.hash:
                    yield ChainBreak(name, row.seq, "row content changed (hash mismatch)")
                    broken = True
                    break
                prev_hash, expected_seq = row.hash, expected_seq + 1
            last_seq = rows[-1].seq
            yield len(rows)
        if not broken:
            head = AuditChainHead.objects.filter(chain=name).first()
            if head and head.seq != expected_seq - 1:
                yield ChainBreak(name, expected_seq, "rows missing at the end of the chain")


@transaction.atomic
def write_audit_many(
    *, actor, action: AuditAction | str, objs, program, detail: dict | None = None
) -> int:
    """Append one audit row per object in one bulk insert (imports, bulk loads).

    Same chain rules as ``write_audit``: the program's chain head is locked, rows get
    consecutive ``seq`` numbers and each hash covers the previous one. Every object must
    belong to ``program``. Returns the number of rows written.
    """
    objs = list(objs)
    if not objs:
        return 0
    chain = program.code
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(chain=chain)
    at = timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    label, request_id = _actor_label(actor), current_request_id()
    seq, prev_hash = head.seq, head.last_hash
    events = []
    for obj in objs:
        seq += 1
        is_patient = obj._meta.model_name == "patient"
        event = AuditEvent(
            chain=chain,
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor_label=label,
            program_id=program.pk,
            patient_id=obj.pk if is_patient else getattr(obj, "patient_id", None),
            action=str(action),
            object_type=obj._meta.label,
            object_id=str(getattr(obj, "uid", None) or obj.pk),
            request_id=request_id,
            detail=detail or {},
            prev_hash=prev_hash,
        )
        event.hash = event.compute_hash()
        prev_hash = event.hash
        events.append(event)
    from speciosa.dataio.bulk import insert_rows  # fast path shared with imports

    insert_rows(AuditEvent, events)
    head.seq, head.last_hash = seq, prev_hash
    head.save(update_fields=["seq", "last_hash"])
    return len(events)
