"""``speciosa safety ...`` commands (mounted in speciosa/cli.py)."""

from __future__ import annotations

import json

import typer

safety_app = typer.Typer(help="Safety engine: re-check alerts, list rules.", no_args_is_help=True)


@safety_app.command("recheck")
def recheck(
    program: str = typer.Option(None, help="Program code (default: every program)"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary"),
) -> None:
    """Re-evaluate every patient's alerts against the current facts (bulk)."""
    from speciosa.cli import console, make_progress, progress_callback, setup_django

    setup_django()
    from speciosa.accounts.models import Program
    from speciosa.safety.services import reevaluate_program

    programs = Program.objects.order_by("code")
    if program:
        programs = programs.filter(code=program)
        if not programs.exists():
            console.print(f"[red]No program with code {program!r}")
            raise typer.Exit(2)
    results = {}
    with make_progress() as progress:
        for prog in programs:
            summary = reevaluate_program(prog, progress=progress_callback(progress))
            results[prog.code] = summary.as_dict()
    if as_json:
        print(json.dumps(results))
    else:
        for code, r in results.items():
            console.print(
                f"[bold]{code}[/]: {r['patients']} patients, {r['created']} alerts raised, "
                f"{r['resolved']} resolved, {r['unchanged']} unchanged"
            )


@safety_app.command("rules")
def list_rules(as_json: bool = typer.Option(False, "--json")) -> None:
    """Print the rule table (id, severity, first citation)."""
    from speciosa.clinical.safety.rules import load_rules

    rows = [
        {"id": r.id, "severity": r.severity.value, "citation": r.citations[0].short()}
        for r in load_rules()
    ]
    if as_json:
        print(json.dumps(rows))
        return
    for row in rows:
        print(f"{row['id']:<40} {row['severity']:<9} {row['citation']}")
