"""Where import rows come from. A source yields ``SourceRow``s; each row names the table
it fills and carries an idempotency key that is stable across re-runs of the same bytes."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from speciosa.clinical.errors import InvalidInput
from speciosa.dataio.tables import RESPONSE_COLUMNS, RESPONSE_REQUIRED, RESPONSES, TABLES


@dataclass
class SourceRow:
    key: str  # unique within the source: "L17", "Patient/abc", "rec-1:medications:2"
    file: str
    line: int  # line (CSV, NDJSON) for the rejects file
    table: str
    values: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # the reader already knows the row is bad (unparseable, unmapped)
    error_field: str = ""  # the source column or variable the error is about


class Source(Protocol):
    kind: str
    name: str

    def tables(self) -> list[str]: ...

    def content_hash(self) -> str: ...

    def rows(self) -> Iterator[SourceRow]: ...


def hash_files(paths: Iterable[Path]) -> str:
    """sha256 over the files' names and bytes, streamed (constant memory)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def table_for_file(path: Path) -> str:
    stem = path.stem.lower()
    if stem in TABLES or stem == RESPONSES:
        return stem
    raise InvalidInput(
        "table",
        f"cannot tell the table from the file name {path.name!r}; pass --table "
        f"({', '.join(TABLES)})",
    )


class CsvSource:
    """One CSV file for one table. Header names are the table's columns (docs/import.md);
    ``column_map`` renames source headers first (``{"Patient ID": "mrn"}``)."""

    kind = "csv"

    def __init__(
        self, path: Path, table: str | None = None, column_map: dict[str, str] | None = None
    ) -> None:
        self.path = path
        self.name = path.name
        self.table = table or table_for_file(path)
        if self.table not in TABLES and self.table != RESPONSES:
            raise InvalidInput("table", f"unknown table {self.table!r} ({', '.join(TABLES)})")
        self.column_map = column_map or {}
        self.check_header()

    def tables(self) -> list[str]:
        return [self.table]

    def content_hash(self) -> str:
        return hash_files([self.path])

    def _header(self, raw: list[str]) -> list[str]:
        return [self.column_map.get(h.strip(), h.strip()) for h in raw]

    def check_header(self) -> None:
        """Refuse the whole file on an unknown or missing column: a typo in a header
        would otherwise drop a column of data silently."""
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            header = self._header(next(csv.reader(fh), []))
        is_responses = self.table == RESPONSES
        columns = RESPONSE_COLUMNS if is_responses else TABLES[self.table].columns
        required = RESPONSE_REQUIRED if is_responses else TABLES[self.table].required
        allowed = set(columns)
        unknown = [h for h in header if h not in allowed]
        if unknown:
            raise InvalidInput(
                "columns",
                f"{self.name}: unknown column(s) {', '.join(unknown)} for table {self.table} "
                f"(allowed: {', '.join(columns)})",
            )
        missing = [c for c in required if c not in header]
        if missing:
            raise InvalidInput(
                "columns", f"{self.name}: missing required column(s) {', '.join(missing)}"
            )

    def rows(self) -> Iterator[SourceRow]:
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = self._header(next(reader, []))
            for record in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    yield SourceRow(
                        f"L{line}",
                        self.name,
                        line,
                        self.table,
                        error=f"has {len(record)} cells, the header has {len(header)}",
                    )
                    continue
                yield SourceRow(
                    f"L{line}", self.name, line, self.table, dict(zip(header, record, strict=True))
                )


def csv_sources(
    path: Path, table: str | None = None, column_map: dict[str, str] | None = None
) -> list[CsvSource]:
    """A CSV file, or a folder of ``<table>.csv`` files (a Speciosa export) in the order
    the tables depend on each other (patients first)."""
    if path.is_dir():
        names = [*TABLES, RESPONSES]
        found = [path / f"{name}.csv" for name in names if (path / f"{name}.csv").exists()]
        if not found:
            raise InvalidInput("path", f"no <table>.csv files in {path}")
        return [CsvSource(p, None, column_map) for p in found]
    if not path.exists():
        raise InvalidInput("path", f"{path} does not exist")
    return [CsvSource(path, table, column_map)]


def count_lines(path: Path) -> int:
    """Fast upper bound on data rows for the progress bar (quoted newlines overcount)."""
    total = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            total += chunk.count(b"\n")
    return total
