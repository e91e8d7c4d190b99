"""The SQLite backend's placeholder conversion gives Django's result without its regex."""

import sqlite3

import pytest
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor

from speciosa.core.sqlite3.base import SQLiteCursorWrapper

QUERIES = [
    "SELECT 1",
    'SELECT "a" FROM "t" WHERE "b" = %s AND "c" IN (%s, %s)',
    "SELECT %s%s",
    "SELECT 'x' LIKE '%%s%%' WHERE a = %s",  # an escaped percent: Django's regex path
    "SELECT %%s, %s",
    "UPDATE t SET a = %s WHERE b LIKE '50%%'",
]


@pytest.fixture(scope="module")
def cursors():
    memory = sqlite3.connect(":memory:")
    yield memory.cursor(factory=SQLiteCursorWrapper), memory.cursor(factory=DjangoCursor)
    memory.close()


@pytest.mark.parametrize("query", QUERIES)
def test_conversion_equals_djangos(cursors, query):
    ours, django = cursors
    assert ours.convert_query(query) == django.convert_query(query)


def test_named_parameters_keep_djangos_conversion(cursors):
    ours, django = cursors
    query = "SELECT %(a)s, %(b)s"
    names = ["a", "b"]
    assert ours.convert_query(query, param_names=names) == (
        django.convert_query(query, param_names=names)
    )


def test_the_project_runs_on_it(db):
    """SQLite runs go through our cursor; a PostgreSQL run keeps Django's own backend."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert isinstance(cursor.cursor, SQLiteCursorWrapper)
        else:
            assert connection.settings_dict["ENGINE"] == "django.db.backends.postgresql"
        cursor.execute("SELECT %s || '%%'", ["7"])
        assert cursor.fetchone() == ("7%",)
