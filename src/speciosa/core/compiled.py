"""Compile-once queries for hot paths (the response write path runs several per request).

Django turns a QuerySet into SQL every time it is evaluated. For a small fixed-shape
lookup ("this patient's medications") building the SQL costs several times running it
on SQLite. ``CompiledQuery`` builds an ordinary QuerySet once per database alias with
placeholder arguments, keeps its SQL and column converters, and re-runs that SQL with
new argument values: the same statement and the same row conversion (JSON, datetimes,
booleans) as evaluating the QuerySet, without rebuilding it.

Arguments are integers (primary keys), UUIDs (public ids) or strings. Each placeholder must
appear exactly once among the statement's parameters, which is checked when the query
compiles. Model rows may follow ``select_related`` like ``ModelIterable`` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import connections, models
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

# placeholders nobody uses as a primary key or public id
_INT_MARKS = tuple(-(2**52) - n for n in range(8))
_UUID_MARKS = tuple(uuid.UUID(int=2**127 + 977 + n) for n in range(8))
_STR_MARKS = tuple(f"\x1ecompiled-query-argument-{n}\x1e" for n in range(8))
_MARKS_OF = {int: _INT_MARKS, uuid.UUID: _UUID_MARKS, str: _STR_MARKS}


def _db_value(value: Any, connection) -> Any:
    """An argument as the database receives it (UUIDs as hex where there is no uuid type)."""
    if isinstance(value, uuid.UUID):
        return value if connection.features.has_native_uuid_field else value.hex
    return value


class _Compiled:
    __slots__ = (
        "compiler",
        "converters",
        "for_update",
        "from_db",
        "init_list",
        "model_slice",
        "params",
        "populators",
        "positions",
        "sql",
    )

    def __init__(self, compiler, sql: str, params: list[Any], positions: list[int]) -> None:
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.positions = positions
        self.for_update = bool(compiler.query.select_for_update)
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        self.init_list: list[str] = []
        self.model_slice = slice(0, 0)
        self.populators: list = []
        self.from_db: Callable[..., Any] | None = None


class CompiledQuery:
    """``build(*args)`` returns a QuerySet (models or ``values_list``); ``kinds`` gives the
    type of each argument (``int``, ``uuid.UUID`` or ``str``)."""

    def __init__(
        self, build: Callable[..., models.QuerySet], kinds: tuple[type, ...] = (int,)
    ) -> None:
        if not 0 < len(kinds) <= len(_INT_MARKS) or not set(kinds) <= set(_MARKS_OF):
            raise ValueError("arguments must be 1 to 8 ints, UUIDs or strings")
        self._build = build
        self._kinds = kinds
        self._marks = tuple(_MARKS_OF[kind][n] for n, kind in enumerate(kinds))
        self._by_alias: dict[str, _Compiled] = {}

    def _compile(self, alias: str) -> _Compiled:
        queryset = self._build(*self._marks)
        connection = connections[alias]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # refuses select_for_update outside a transaction
        params = list(params)
        positions = []
        for mark in self._marks:
            wanted = _db_value(mark, connection)
            found = [i for i, p in enumerate(params) if p == wanted]
            if len(found) != 1:
                raise ValueError(f"placeholder appears {len(found)} times in {sql}")
            positions.append(found[0])
        compiled = _Compiled(compiler, sql, params, positions)
        if queryset._iterable_class is models.query.ModelIterable:  # type: ignore[attr-defined]
            # as ModelIterable: the model's columns, then select_related models
            klass_info = compiler.klass_info
            select_fields = klass_info["select_fields"]
            start, end = select_fields[0], select_fields[-1] + 1
            compiled.model_slice = slice(start, end)
            compiled.init_list = [f[0].target.attname for f in compiler.select[start:end]]
            fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]
            compiled.populators = get_related_populators(
                klass_info, compiler.select, alias, fetch_mode
            )
            compiled.from_db = partial(queryset.model.from_db, fetch_mode=fetch_mode)
        self._by_alias[alias] = compiled
        return compiled

    def _run(self, args: tuple[Any, ...], alias: str) -> tuple[_Compiled, list]:
        compiled = self._by_alias.get(alias) or self._compile(alias)
        connection = connections[alias]
        if (
            compiled.for_update
            and connection.features.has_select_for_update
            and connection.get_autocommit()
        ):
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for position, kind, value in zip(compiled.positions, self._kinds, args, strict=True):
            if kind is int:
                value = int(value)
            elif kind is str:
                value = str(value)
            elif not isinstance(value, uuid.UUID):
                value = uuid.UUID(str(value))  # ValueError for a malformed id
            params[position] = _db_value(value, connection)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return compiled, rows

    def values(self, *args: Any, using: str = "default") -> list[tuple]:
        """The rows as tuples (for a ``values_list`` QuerySet)."""
        return [tuple(r) for r in self._run(args, using)[1]]

    def models(self, *args: Any, using: str = "default") -> list[Any]:
        """The rows as model instances (for a model QuerySet), related models attached."""
        compiled, rows = self._run(args, using)
        from_db = compiled.from_db
        if from_db is None:
            raise TypeError("models() needs a model QuerySet, not values_list()")
        found = []
        for row in rows:
            obj = from_db(using, compiled.init_list, tuple(row[compiled.model_slice]))
            for populator in compiled.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found


# --- inserts --------------------------------------------------------------------------


class _Insert:
    __slots__ = ("fields", "returning", "sql")

    def __init__(self, model: type[models.Model], connection) -> None:
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.pk]
        if not isinstance(meta.pk, models.AutoField | models.BigAutoField):
            raise ValueError("insert_new() needs an auto-incremented primary key")
        if any(f.has_db_default() for f in self.fields):
            raise ValueError("insert_new() does not read back database defaults")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.returning = connection.features.can_return_columns_from_insert
        table = quote(meta.db_table)
        # identifiers are quoted model metadata; every value is a parameter
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})" + (  # noqa: S608
            f" RETURNING {quote(meta.pk.column)}" if self.returning else ""
        )


_INSERTS: dict[tuple[type[models.Model], str], _Insert] = {}


def insert_new(obj: models.Model, *, using: str = "default") -> None:
    """``obj.save()`` for a new row, with the INSERT statement built once per model.

    Same values as ``save()`` (each field's ``pre_save`` and ``get_db_prep_save``), same
    ``pre_save``/``post_save`` signals; sets the primary key. Only for models with an
    auto-incremented key and no ``save()`` override that matters to the caller.
    """
    from django.db.models.signals import post_save, pre_save

    if obj.pk is not None or not obj._state.adding:
        raise ValueError("insert_new() inserts new rows only")
    obj._prepare_related_fields_for_save(operation_name="save")
    model = type(obj)
    connection = connections[using]
    plan = _INSERTS.get((model, using))
    if plan is None:
        plan = _INSERTS[(model, using)] = _Insert(model, connection)
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in plan.fields]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        if plan.returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
    )
