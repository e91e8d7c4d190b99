"""Fast bulk inserts for imports and synthetic data: one prepared INSERT run with
``executemany`` (SQLite) or ``COPY ... FROM STDIN`` (PostgreSQL, psycopg 3).

``Model.objects.bulk_create`` rebuilds a large SQL string per batch and prepares every
value through the compiler; for millions of rows that overhead dominates. Here the SQL
and the per-field converters are built once per model. Rows skip ``save()`` and signals
like ``bulk_create`` does: callers validate first and audit in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models, router

PK_MISSING = object()


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    """Concrete columns except an auto-incremented primary key (the database fills it)."""
    return [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]


def _converter(field: models.Field, connection: Any) -> Callable[[Any], Any]:
    """Value -> database value, as ``get_db_prep_save`` would, with fast paths for the
    common column types (the generic call costs more than the insert itself)."""
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_save(v, connection)
    if isinstance(field, models.ForeignKey):
        return lambda v: v.pk if isinstance(v, models.Model) else v
    if isinstance(field, models.CharField | models.TextField):
        return _same
    if isinstance(field, models.BooleanField | models.FloatField | models.IntegerField):
        return _same
    if isinstance(field, models.DecimalField):
        return _same  # both drivers adapt Decimal
    if connection.vendor == "postgresql":
        if isinstance(field, models.UUIDField | models.DateField):
            return _same  # psycopg adapts UUID, date and aware datetime natively
    elif connection.vendor == "sqlite":
        if isinstance(field, models.UUIDField):
            return lambda v: None if v is None else v.hex
        if isinstance(field, models.DateTimeField):
            return _sqlite_datetime(connection)
        if isinstance(field, models.DateField):
            return lambda v: None if v is None else str(v)
    return lambda v: field.get_db_prep_save(v, connection)


def _same(value: Any) -> Any:
    return value


def _sqlite_datetime(connection: Any) -> Callable[[Any], Any]:
    """``connection.ops.adapt_datetimefield_value`` for plain datetimes, without its
    per-call settings and expression checks: aware -> naive in the connection's time
    zone -> ``str``. Anything else goes the generic way."""
    from datetime import datetime

    tz = connection.timezone
    generic = connection.ops.adapt_datetimefield_value

    def convert(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is not None:
            return str(value.astimezone(tz).replace(tzinfo=None))
        return generic(value)

    return convert


def insert_rows(
    model: type[models.Model], objs: Sequence[models.Model], *, using: str | None = None
) -> int:
    """Insert unsaved instances. Primary keys are NOT set on ``objs`` afterwards: look
    rows up by a natural key (``uid``) when ids are needed. Returns the row count."""
    if not objs:
        return 0
    fields = _insert_fields(model)
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    auto_now = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    if auto_now:
        for obj in objs:
            _fill_auto_now(obj, auto_now)
    plan = [(f.attname, _converter(f, connection)) for f in fields]
    rows = ([convert(getattr(obj, attname)) for attname, convert in plan] for obj in objs)
    return insert_values(model, [f.column for f in fields], rows, using=alias)


def insert_dicts(
    model: type[models.Model], rows: Iterable[dict[str, Any]], *, using: str | None = None
) -> int:
    """Insert rows given as dicts of field names (``patient_id`` style for foreign keys)
    without building model instances: for millions of synthetic rows. Missing fields
    take the model default. No validation: callers generate valid data."""
    fields = _insert_fields(model)
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    plan = []
    for f in fields:
        default = f.get_default if callable(f.default) else (lambda value=f.get_default(): value)
        plan.append((f.attname, f.name, default, _converter(f, connection)))

    def values(row: dict[str, Any]) -> list[Any]:
        out = []
        for attname, name, default, convert in plan:
            if attname in row:
                value = row[attname]
            elif name in row:
                value = row[name]
            else:
                value = default()
            out.append(convert(value))
        return out

    return insert_values(model, [f.column for f in fields], map(values, rows), using=alias)


def insert_values(
    model: type[models.Model],
    columns: list[str],
    rows: Iterable[Sequence[Any]],
    *,
    using: str | None = None,
    prepared: bool = False,
) -> int:
    """Insert database-ready values (already converted for the backend) into ``model``.

    ``prepared``: the values hold no driver wrappers (JSON columns are given as JSON
    text), so COPY takes the rows as they are (millions of demo rows)."""
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3 cursor: COPY is the fastest way in
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                if prepared:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                else:
                    for row in rows:
                        copy.write_row([_copy_value(v) for v in row])
                        count += 1
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            batch: list[Sequence[Any]] = []
            sql = f"INSERT INTO {table} ({cols}) VALUES ({placeholders})"  # noqa: S608
            for row in rows:
                batch.append(row)
                if len(batch) >= 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def _copy_value(value: Any) -> Any:
    # Django hands psycopg adapter wrappers (e.g. Jsonb) for JSON columns: COPY wants the
    # dumped text
    obj = getattr(value, "obj", PK_MISSING)
    if obj is not PK_MISSING and type(value).__name__ in {"Jsonb", "Json"}:
        import json

        return json.dumps(obj, default=str)
    return value


def _fill_auto_now(obj: models.Model, fields: list[models.Field]) -> None:
    """``pre_save`` for auto_now fields, as ``save()`` would."""
    for f in fields:
        if getattr(f, "auto_now", False) or (
            getattr(f, "auto_now_add", False) and getattr(obj, f.attname) is None
        ):
            f.pre_save(obj, add=True)
