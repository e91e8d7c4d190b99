"""``speciosa research ...``: de-identified export and the analysis report."""

from __future__ import annotations

import json
from pathlib import Path

import typer

research_app = typer.Typer(help="Research studies: export and report.", no_args_is_help=True)


def _study_and_user(protocol: str, username: str):
    from speciosa.accounts.models import User
    from speciosa.clinical.errors import DomainError
    from speciosa.research.queries import get_study_for_user

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise typer.BadParameter(f"no active user {username!r}", param_hint="--user")
    try:
        return get_study_for_user(user, protocol), user
    except DomainError as exc:
        raise typer.BadParameter(exc.message, param_hint="--study") from exc


@research_app.command("export")
def export(
    study: str = typer.Option(..., "--study", help="Protocol id, e.g. KRATOM-BUP-01"),
    out: Path = typer.Option(..., "--out", help="Output folder"),
    user: str = typer.Option("researcher", help="Export as this user (needs the export role)"),
    dates: str = typer.Option("shift", help="shift (per-subject) or year_only (strict)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """De-identified CSV + Parquet + data dictionary of consented subjects."""
    from speciosa.cli import console, make_progress, progress_callback, setup_django

    setup_django()
    from speciosa.clinical.errors import DomainError
    from speciosa.clinical.research.deidentify import DatePolicy
    from speciosa.research.export import export_deidentified

    the_study, actor = _study_and_user(study, user)
    try:
        with make_progress() as progress:
            summary = export_deidentified(
                actor=actor,
                study=the_study,
                out_dir=out,
                date_policy=DatePolicy(dates),
                progress=progress_callback(progress),
            )
    except DomainError as exc:
        console.print(f"[red]✗ {exc.message}")
        raise typer.Exit(1) from exc
    result = {"out": str(summary.out_dir), "subjects": summary.subjects, "rows": summary.rows}
    if as_json:
        print(json.dumps(result))
    else:
        console.print(
            f"[green]✓[/] {summary.subjects} consented subjects exported to {summary.out_dir} "
            f"({', '.join(f'{k}: {v}' for k, v in summary.rows.items())})"
        )


@research_app.command("report")
def report(
    study: str = typer.Option(..., "--study", help="Protocol id, e.g. KRATOM-BUP-01"),
    out: Path = typer.Option(Path("var/reports"), "--out", help="Output folder"),
    user: str = typer.Option("researcher", help="Build the report as this user"),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also render a PDF (WeasyPrint)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """CONSORT diagram, mixed model of the primary outcome, KM retention: HTML (+ PDF)."""
    from speciosa.cli import console, make_progress, setup_django

    setup_django()
    from speciosa.clinical.errors import DomainError
    from speciosa.research.report import build_report, write_report

    the_study, actor = _study_and_user(study, user)
    target = out / the_study.protocol_id
    try:
        with make_progress() as progress:
            task = progress.add_task("analysing and rendering", total=2)
            built = build_report(actor=actor, study=the_study)
            progress.advance(task)
            paths = write_report(built, target, pdf=pdf)
            progress.advance(task)
    except DomainError as exc:
        console.print(f"[red]✗ {exc.message}")
        raise typer.Exit(1) from exc
    summary: dict[str, object] = {
        "files": [str(p) for p in paths],
        "randomized": built.consort.randomized,
    }
    if built.model is not None:
        summary["slope_by_arm"] = built.model.slope_by_arm
        summary["slope_difference"] = built.model.slope_difference[0]
        summary["converged"] = built.model.converged
    if as_json:
        print(json.dumps(summary, default=str))
    else:
        for p in paths:
            console.print(f"[green]✓[/] {p}")
