"""The ``speciosa`` command: serve, migrate, demo data, import, export, checks, audit,
benchmarks.

Exit codes: 0 ok, 1 a check failed (or an import rejected rows), 2 bad usage (unknown
program/user/file/column), 3 not allowed (the user's role may not do this).
``--json`` prints one machine-readable JSON document on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

app = typer.Typer(
    help="Speciosa: kratom- and ADHD-aware care for addiction-treatment programs.",
    no_args_is_help=True,
    add_completion=False,
)
audit_app = typer.Typer(help="Audit trail tools.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
privacy_app = typer.Typer(help="42 CFR Part 2: disclosures and consents.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
security_app = typer.Typer(
    help="Access rules: role matrix and route registry.", no_args_is_help=True
)
app.add_typer(security_app, name="security")
import_app = typer.Typer(
    help="Import CSV, REDCap or FHIR NDJSON data (resumable; bad rows go to a rejects file).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

from speciosa.safety.cli import safety_app  # noqa: E402  (small, self-contained)

app.add_typer(safety_app, name="safety")
console = Console(stderr=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "speciosa.settings")
    import django

    django.setup()


def make_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal and os.environ.get("CI") == "true",
    )


def progress_callback(progress: Progress) -> Callable[[str, int], Callable[[int], None]]:
    def start(label: str, total: int) -> Callable[[int], None]:
        task = progress.add_task(label, total=total)
        return lambda n: progress.advance(task, n)

    return start


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    setup_django()
    from django.conf import settings

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    _manage("migrate", "--no-input", "-v", "0")
    console.print("[green]Database is up to date.")


@app.command("demo-data")
def demo_data(
    patients: int = typer.Option(60, min=1, max=1_000_000, help="Number of synthetic patients"),
    seed: int = typer.Option(7, help="Random seed (same seed + size = same data)"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Do nothing if the demo program has patients"
    ),
    skip_step: list[str] = typer.Option(  # noqa: B006 - typer needs a list default
        [], "--skip-step", help="Skip an app's demo step, e.g. measures (repeatable)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary"),
) -> None:
    """Load a synthetic demo program (one user per role, N patients)."""
    setup_django()
    from speciosa.demo.generate import DEMO_PASSWORD, DEMO_PROGRAM_CODE, generate_demo_program
    from speciosa.patients.models import Patient

    if if_empty and Patient.objects.filter(program__code=DEMO_PROGRAM_CODE).exists():
        summary = {"program": DEMO_PROGRAM_CODE, "patients_created": 0, "skipped": True}
    else:
        with make_progress() as progress:
            summary = generate_demo_program(
                patients=patients,
                seed=seed,
                progress=progress_callback(progress),
                skip_steps=skip_step,
            )
    summary.setdefault("password", DEMO_PASSWORD)
    if as_json:
        print(json.dumps(summary, default=str))
        return
    console.print(
        f"Demo program [bold]{summary['program']}[/]: "
        f"{summary['patients_created']} patients created."
    )
    console.print(
        "Demo logins (password [bold]" + DEMO_PASSWORD + "[/]): admin, director, prescriber, "
        "nurse, counsellor, researcher; a second program's staff are northside-prescriber etc."
    )


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    worker: bool = typer.Option(True, help="Also run the background task worker"),
) -> None:
    """Serve the web app (development server) and the background task worker."""
    setup_django()
    import subprocess

    proc = None
    if worker:
        proc = subprocess.Popen(
            [sys.executable, "-m", "django", "db_worker"],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "speciosa.settings"},
        )  # noqa: S603
    console.print(
        f"Speciosa on [bold]http://{host}:{port}/[/]  (log in as prescriber / "
        "kratom-aware-demo-2026)"
    )
    try:
        _manage("runserver", f"{host}:{port}", "--noreload")
    finally:
        if proc:
            proc.terminate()


@app.command()
def check(as_json: bool = typer.Option(False, "--json")) -> None:
    """Check configuration and database health."""
    setup_django()
    from django.core import checks
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    problems = [str(m) for m in checks.run_checks() if m.level >= checks.ERROR]
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        db = {"vendor": connection.vendor, "reachable": True, "pending_migrations": len(pending)}
        if pending:
            problems.append(f"{len(pending)} migrations not applied (run: speciosa migrate)")
    except Exception as exc:  # noqa: BLE001 - report any connection failure
        db = {"vendor": connection.vendor, "reachable": False, "error": str(exc)}
        problems.append(f"database unreachable: {exc}")
    result = {"ok": not problems, "database": db, "problems": problems}
    if as_json:
        print(json.dumps(result))
    else:
        for p in problems:
            console.print(f"[red]✗[/] {p}")
        if not problems:
            console.print(f"[green]✓[/] configuration and {db['vendor']} database are healthy")
    raise typer.Exit(0 if not problems else 1)


@audit_app.command("verify")
def audit_verify(
    chain: str = typer.Option(None, help="Only this program's chain (program code)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Walk the hash-chained audit trail and report the first broken link per chain."""
    setup_django()
    from speciosa.audit.models import AuditEvent
    from speciosa.audit.services import ChainBreak, iter_chain_breaks

    qs = AuditEvent.objects.all() if chain is None else AuditEvent.objects.filter(chain=chain)
    total = qs.count()
    breaks: list[ChainBreak] = []
    checked = 0
    with make_progress() as progress:
        task = progress.add_task("verifying audit chain", total=total)
        for item in iter_chain_breaks(chain):
            if isinstance(item, ChainBreak):
                breaks.append(item)
            else:
                checked += item
                progress.advance(task, item)
    result = {"ok": not breaks, "rows_checked": checked, "breaks": [b.__dict__ for b in breaks]}
    if as_json:
        print(json.dumps(result))
    elif breaks:
        for b in breaks:
            console.print(f"[red]✗ chain {b.chain}: first broken link at seq {b.seq}: {b.reason}")
    else:
        console.print(f"[green]✓[/] audit trail intact ({checked} rows)")
    raise typer.Exit(0 if not breaks else 1)


@audit_app.command("break-glass")
def audit_break_glass(
    days: int = typer.Option(30, min=1, max=3650, help="Look back this many days"),
    program: str = typer.Option(None, help="Only this program (code)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Break-the-glass grants (who, which patient, why, until when, chart reads)."""
    setup_django()
    from speciosa.accounts.models import Program
    from speciosa.privacy.queries import break_glass_report

    programs = Program.objects.all() if program is None else Program.objects.filter(code=program)
    rows = break_glass_report(list(programs.values_list("pk", flat=True)), days=days)
    if as_json:
        print(json.dumps({"grants": rows}, default=str))
        return
    if not rows:
        console.print(f"No break-the-glass access in the last {days} days.")
    for r in rows:
        state = "[bold red]ACTIVE[/]" if r["is_active"] else "ended"
        console.print(
            f"[bold yellow]BREAK-GLASS[/] {r['granted_at']:%Y-%m-%d %H:%M} {r['user']} → "
            f"{r['program']}/{r['mrn']} until {r['expires_at']:%H:%M} ({state}), "
            f"{r['chart_reads']} chart reads. Reason: {r['reason']}"
        )


@privacy_app.command("disclosures")
def privacy_disclosures(
    patient: str = typer.Option(..., help="Patient id (uuid) or MRN"),
    program: str = typer.Option(None, help="Program code (needed with an MRN)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Accounting of disclosures for one patient (42 CFR 2.25): to whom, when, why, what."""
    setup_django()
    import uuid as uuid_mod

    from speciosa.audit.models import AuditAction
    from speciosa.audit.services import write_audit
    from speciosa.clinical.privacy.part2 import accounting_lookback_days
    from speciosa.patients.models import Patient
    from speciosa.privacy.queries import accounting_of_disclosures

    try:
        found = Patient.objects.filter(uid=uuid_mod.UUID(patient))
    except ValueError:
        found = Patient.objects.filter(mrn=patient)
        if program:
            found = found.filter(program__code=program)
    matches = list(found.select_related("program")[:2])
    if len(matches) != 1:
        console.print("[red]No single patient matches; give the uuid or --program with the MRN")
        raise typer.Exit(2)
    chosen = matches[0]
    rows = [
        {
            "disclosed_at": d.disclosed_at.isoformat(),
            "recipient": d.recipient,
            "purpose": d.purpose,
            "categories": d.categories,
            "channel": d.channel,
            "consent": str(d.consent.uid),
            "disclosed_by": d.disclosed_by.username if d.disclosed_by else "system",
            "description": d.description,
        }
        for d in accounting_of_disclosures(chosen)
    ]
    # producing the accounting reads the patient's record: audit it like a chart read
    write_audit(
        actor=None, action=AuditAction.READ, obj=chosen, object_type="accounting_of_disclosures"
    )
    if as_json:
        print(json.dumps({"patient": str(chosen.uid), "disclosures": rows}))
        return
    console.print(
        f"Accounting of disclosures for {chosen.program.code}/{chosen.mrn} "
        f"(last {accounting_lookback_days()} days): {len(rows)}"
    )
    for r in rows:
        console.print(
            f"{r['disclosed_at'][:16]}  {r['recipient']}  {r['purpose']}  "
            f"{', '.join(r['categories'])}  via {r['channel']} by {r['disclosed_by']}"
        )


@security_app.command("matrix")
def security_matrix(
    write: str = typer.Option(None, help="Replace the table between the matrix markers here"),
) -> None:
    """Print the role x action matrix as Markdown (docs/security.md embeds it)."""
    setup_django()
    from pathlib import Path

    from speciosa.accounts.permissions import render_matrix_markdown

    table = render_matrix_markdown()
    if write is None:
        print(table, end="")
        return
    path = Path(write)
    start, end = "<!-- matrix:start -->\n", "<!-- matrix:end -->"
    text = path.read_text()
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    path.write_text(head + start + table + end + tail)
    console.print(f"[green]✓[/] matrix written to {path}")


@security_app.command("routes")
def security_routes(as_json: bool = typer.Option(False, "--json")) -> None:
    """List every route with its permission rule; exit 1 if a route has none."""
    setup_django()
    from speciosa.accounts.route_rules import all_route_keys, rule_for

    rows = []
    for key in all_route_keys():
        rule = rule_for(key)
        rows.append(
            {
                "route": key,
                "gate": rule.gate.value if rule else None,
                "action": rule.action.value if rule and rule.action else None,
                "note": rule.note if rule else "",
            }
        )
    missing = [r["route"] for r in rows if r["gate"] is None]
    if as_json:
        print(json.dumps({"routes": rows, "missing": missing}))
    else:
        for r in rows:
            if not r["route"].startswith("/admin/"):
                print(f"{r['route']:<70} {r['gate'] or 'NO RULE':<12} {r['action'] or ''}")
        for route in missing:
            console.print(f"[red]✗ no permission rule: {route}")
    raise typer.Exit(0 if not missing else 1)


@app.command()
def bench(
    only: str = typer.Option(None, help="Run only benchmarks whose name contains this"),
    size: str = typer.Option("default", help="default, small or large"),
    timeout: int = typer.Option(900, help="Seconds allowed per benchmark script"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary"),
) -> None:
    """Run every bench/bench_*.py (each with its same-run baseline) in its own process;
    write bench/results/*.json and bench/results/SUMMARY.md.

    Exit code 1 when a benchmark script fails or times out. Set DATABASE_URL to a scratch
    PostgreSQL database to benchmark PostgreSQL (see docs/benchmarks.md).
    """
    import subprocess
    import time
    from pathlib import Path

    if size not in {"default", "small", "large"}:
        console.print(f"[red]Unknown size {size!r} (use default, small or large)")
        raise typer.Exit(2)
    bench_dir = Path(os.environ.get("SPECIOSA_BENCH_DIR", Path.cwd() / "bench"))
    scripts = sorted(p for p in bench_dir.glob("bench_*.py") if not only or only in p.name)
    if not scripts:
        console.print(f"[red]No benchmarks found in {bench_dir}")
        raise typer.Exit(2)
    env = {**os.environ, "SPECIOSA_BENCH_SIZE": size}
    runs = []
    for script in scripts:
        console.rule(script.name)
        started = time.perf_counter()
        try:
            proc = subprocess.run(  # noqa: S603 - our own scripts, our interpreter
                [sys.executable, str(script)], env=env, timeout=timeout, check=False
            )
            status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            status = f"timeout after {timeout}s"
        runs.append(
            {"script": script.name, "status": status, "seconds": time.perf_counter() - started}
        )
        if status != "ok":
            console.print(f"[red]✗ {script.name}: {status}")
    # Load this bench folder's _common.py by path: a cached module from another folder
    # (tests use temporary bench folders) must not be reused.
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_speciosa_bench_common", bench_dir / "_common.py"
    )
    assert spec is not None and spec.loader is not None
    common = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = common  # dataclasses look their module up here
    spec.loader.exec_module(common)
    summary = common.write_summary()
    failed = [r for r in runs if r["status"] != "ok"]
    if as_json:
        print(json.dumps({"ok": not failed, "runs": runs, "summary": str(summary)}))
    else:
        console.print(f"Summary: {summary}")
    raise typer.Exit(1 if failed else 0)


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_ALLOWED = 0, 1, 2, 3


def _fail(message: str, code: int, as_json: bool, **extra: object) -> typer.Exit:
    """Report an error (JSON on stdout or red text on stderr); return the Exit to raise."""
    if as_json:
        print(json.dumps({"ok": False, "error": message, **extra}))
    else:
        console.print(f"[red]✗ {message}")
    return typer.Exit(code)


def _actor_and_program(username: str, program_code: str, as_json: bool):
    from speciosa.accounts.models import Program, User

    program = Program.objects.filter(code=program_code).first()
    if program is None:
        raise _fail(f"no program with code {program_code!r}", EXIT_USAGE, as_json)
    actor = User.objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise _fail(f"no active user {username!r}", EXIT_USAGE, as_json)
    return actor, program


def _run_imports(sources, *, username, program_code, chunk_size, rejects, as_json) -> None:
    from rich.markup import escape

    from speciosa.clinical.errors import DomainError, InvalidInput, NotFound, PermissionDenied
    from speciosa.dataio.importer import import_source
    from speciosa.dataio.sources import count_lines

    actor, program = _actor_and_program(username, program_code, as_json)
    results = []
    try:
        with make_progress() as progress:
            for source in sources:
                paths = getattr(source, "paths", None) or [getattr(source, "path", None)]
                total = sum(count_lines(p) for p in paths if p is not None)
                task = progress.add_task(f"import {source.name}", total=total or None)
                result = import_source(
                    actor=actor,
                    program=program,
                    source=source,
                    chunk_size=chunk_size,
                    rejects_path=rejects if rejects and len(sources) == 1 else None,
                    progress=lambda n, task=task: progress.advance(task, n),
                )
                progress.update(task, total=progress.tasks[task].completed)
                results.append(result.as_dict())
    except (NotFound, PermissionDenied) as exc:
        raise _fail(exc.message, EXIT_NOT_ALLOWED, as_json) from exc
    except InvalidInput as exc:
        raise _fail(exc.message, EXIT_USAGE, as_json) from exc
    except DomainError as exc:
        raise _fail(exc.message, EXIT_FAILED, as_json) from exc
    rejected = sum(r["rejected"] for r in results)
    if as_json:
        print(json.dumps({"ok": not rejected, "results": results}, default=str))
    else:
        for source in sources:  # REDCap: how each form was matched
            for match in getattr(source, "forms", {}).values():
                colour = {"partial": "red", "unmatched": "yellow"}.get(match.status, "default")
                console.print(f"[{colour}]{escape(match.describe())}[/]")
        for r in results:
            console.print(
                f"{r['source']}: [green]{r['imported']} imported[/], "
                f"{r['already_imported']} already imported, "
                + (
                    f"[red]{r['rejected']} rejected[/] -> {r['rejects_path']}"
                    if r["rejected"]
                    else "0 rejected"
                )
            )
    raise typer.Exit(EXIT_FAILED if rejected else EXIT_OK)


_PROGRAM = typer.Option(..., "--program", "-p", help="Program code the data belongs to")
_USER = typer.Option(..., "--user", "-u", help="Username doing the import (audit, permissions)")
_CHUNK = typer.Option(1000, min=1, max=100_000, help="Rows committed per transaction")
_REJECTS = typer.Option(None, help="Rejects CSV path (default: <source>.rejects.csv)")
_JSON = typer.Option(False, "--json", help="Print a JSON summary on stdout")


@import_app.command("csv")
def import_csv(
    path: str = typer.Argument(..., help="A CSV file, or a folder of <table>.csv files"),
    program: str = _PROGRAM,
    user: str = _USER,
    table: str = typer.Option(None, help="Target table (default: from the file name)"),
    column: list[str] = typer.Option(  # noqa: B006 - typer needs a list default
        [], "--map", help="Rename a source column: 'Patient ID=mrn' (repeatable)"
    ),
    chunk_size: int = _CHUNK,
    rejects: str = _REJECTS,
    as_json: bool = _JSON,
) -> None:
    """Import patients, episodes, substance use, diagnoses, medications or labs from CSV
    (columns: docs/import.md). Re-running the same file resumes; nothing is duplicated."""
    from pathlib import Path

    setup_django()
    from speciosa.clinical.errors import InvalidInput
    from speciosa.dataio.sources import csv_sources

    column_map = {}
    for item in column:
        src, sep, dst = item.partition("=")
        if not sep:
            raise _fail(f"--map {item!r}: expected 'source column=target column'", 2, as_json)
        column_map[src.strip()] = dst.strip()
    try:
        sources = csv_sources(Path(path), table, column_map)
    except InvalidInput as exc:
        raise _fail(exc.message, EXIT_USAGE, as_json) from exc
    _run_imports(
        sources,
        username=user,
        program_code=program,
        chunk_size=chunk_size,
        rejects=Path(rejects) if rejects else None,
        as_json=as_json,
    )


@import_app.command("fhir-ndjson")
def import_fhir_ndjson(
    paths: list[str] = typer.Argument(..., help="NDJSON files or folders (Bulk Data output)"),
    program: str = _PROGRAM,
    user: str = _USER,
    chunk_size: int = _CHUNK,
    rejects: str = _REJECTS,
    as_json: bool = _JSON,
) -> None:
    """Import FHIR R4 NDJSON: Patient, EpisodeOfCare, Condition, MedicationStatement and
    Observation (labs, substance use). Re-running the same files resumes."""
    from pathlib import Path

    setup_django()
    from speciosa.clinical.errors import InvalidInput
    from speciosa.dataio.fhir_ndjson import FhirNdjsonSource

    _, target = _actor_and_program(user, program, as_json)
    try:
        source = FhirNdjsonSource([Path(p) for p in paths], program=target)
    except InvalidInput as exc:
        raise _fail(exc.message, EXIT_USAGE, as_json) from exc
    _run_imports(
        [source],
        username=user,
        program_code=program,
        chunk_size=chunk_size,
        rejects=Path(rejects) if rejects else Path(str(source.paths[0]) + ".rejects.csv"),
        as_json=as_json,
    )


@import_app.command("redcap")
def import_redcap(
    dictionary: str = typer.Option(..., "--dictionary", "-d", help="Data dictionary CSV"),
    records: str = typer.Option(..., "--records", "-r", help="Records export (CSV or JSON)"),
    program: str = _PROGRAM,
    user: str = _USER,
    chunk_size: int = _CHUNK,
    rejects: str = _REJECTS,
    as_json: bool = _JSON,
) -> None:
    """Import a REDCap project: demographics, kratom use, repeating medication / lab /
    diagnosis / episode instruments, and questionnaire forms matched onto instruments
    (PHQ-9, COWS...; scored by the engine), by field name (docs/import.md)."""
    from pathlib import Path

    setup_django()
    from speciosa.clinical.errors import InvalidInput
    from speciosa.dataio.redcap import RedcapSource

    try:
        source = RedcapSource(Path(dictionary), Path(records))
    except InvalidInput as exc:
        raise _fail(exc.message, EXIT_USAGE, as_json) from exc
    _run_imports(
        [source],
        username=user,
        program_code=program,
        chunk_size=chunk_size,
        rejects=Path(rejects) if rejects else None,
        as_json=as_json,
    )


@app.command("export")
def export(
    out: str = typer.Argument(..., help="Output folder"),
    program: str = _PROGRAM,
    user: str = typer.Option(..., "--user", "-u", help="Username doing the export"),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, parquet or ndjson (FHIR R4)"),
    table: list[str] = typer.Option(  # noqa: B006 - typer needs a list default
        [], "--table", "-t", help="Only these tables (repeatable; csv/parquet)"
    ),
    recipient: str = typer.Option(
        "", help="Recipient outside the program (e.g. a registry): needs 42 CFR Part 2 consent"
    ),
    consented_only: bool = typer.Option(
        False,
        "--consented-only",
        help="With --recipient: export only the patients whose Part 2 consent allows it "
        "(default: refuse the whole export if any patient has none)",
    ),
    as_json: bool = _JSON,
) -> None:
    """Export one program's records (streaming, constant memory). CSV output re-imports
    with `speciosa import csv FOLDER`; ndjson re-imports with `speciosa import fhir-ndjson`."""
    from pathlib import Path

    setup_django()
    from speciosa.clinical.errors import ConsentRequired, InvalidInput, NotFound, PermissionDenied
    from speciosa.dataio.exporter import export_program

    actor, target = _actor_and_program(user, program, as_json)
    try:
        with make_progress() as progress:
            result = export_program(
                actor=actor,
                program=target,
                out_dir=Path(out),
                fmt=fmt,
                tables=table or None,
                recipient=recipient,
                consented_only=consented_only,
                progress=progress_callback(progress),
            )
    except (NotFound, PermissionDenied, ConsentRequired) as exc:
        raise _fail(exc.message, EXIT_NOT_ALLOWED, as_json) from exc
    except InvalidInput as exc:
        raise _fail(exc.message, EXIT_USAGE, as_json) from exc
    if as_json:
        print(json.dumps({"ok": True, **result.as_dict()}))
    else:
        for name, count in result.files.items():
            console.print(f"{Path(out) / name}: {count} rows")
        if recipient:
            console.print(
                f"Disclosed to {recipient}: {result.patients_included} patient(s), "
                "one disclosure logged each"
                + (
                    f"; [yellow]{result.patients_left_out} left out (no matching 42 CFR "
                    "Part 2 consent)[/]"
                    if result.patients_left_out
                    else ""
                )
            )
    raise typer.Exit(EXIT_OK)


def _add_app_commands() -> None:
    # app sub-commands live with their app; imported last to avoid an import cycle
    from speciosa.research.cli import research_app

    app.add_typer(research_app, name="research")


_add_app_commands()

if __name__ == "__main__":
    app()
