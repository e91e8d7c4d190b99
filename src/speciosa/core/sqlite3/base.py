"""Django's SQLite backend with one change: the ``%s`` -> ``?`` placeholder conversion.

Django's cursor rewrites every statement with the regex ``(?<!%)%s`` before SQLite sees
it. The pattern starts with a look-behind, so the regex engine tries a match at every
character: for the long SELECT lists of the write path (a patient with its program, a
treatment plan, the alert rows) that scan cost more than running the statement. When the
statement holds no ``%%`` (an escaped percent sign) no ``%s`` can follow a ``%``, and a
plain string replace gives exactly the regex's result; otherwise Django's conversion
runs. Everything else is Django's backend (``vendor`` stays ``"sqlite"``).
"""

from django.db.backends.sqlite3 import base


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is None and "%%" not in query:
            return query.replace("%s", "?")
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)
