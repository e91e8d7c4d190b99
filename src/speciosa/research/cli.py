"""``speciosa research ...``: create and approve a study from its protocol file, the
de-identified export and the analysis report."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

research_app = typer.Typer(
    help="Research studies: create, approve, export and report.", no_args_is_help=True
)


def _active_user(username: str):
    from speciosa.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise typer.BadParameter(f"no active user {username!r}", param_hint="--user")
    return user


def _done(result: dict, as_json: bool, text: str) -> None:
    from speciosa.cli import console

    if as_json:
        print(json.dumps(result, default=str))
    else:
        console.print(f"[green]✓[/] {text}")


def _fail(exc) -> None:
    from speciosa.cli import console

    console.print(f"[red]✗ {exc.message}")
    raise typer.Exit(1) from exc


@research_app.command("create")
def create(
    protocol: Path = typer.Option(
        ..., "--protocol", exists=True, dir_okay=False, help="Protocol file (YAML or JSON)"
    ),
    program: str = typer.Option(..., "--program", help="Program code"),
    user: str = typer.Option("director", help="A program director of that program"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A draft study from a protocol file (arms, visits, outcomes, eligibility, stopping
    rules, stratification; the shape of clinical/research/data/demo_study.yaml). With a
    ``consent_document: {title, body}`` mapping, its consent document is added too.
    Exit 1 (nothing stored) when the protocol is refused."""
    from speciosa.cli import setup_django

    setup_django()
    import yaml
    from django.db import transaction

    from speciosa.accounts.models import Program
    from speciosa.clinical.errors import DomainError, InvalidInput
    from speciosa.clinical.knowledge import load_data_file
    from speciosa.research import services

    the_program = Program.objects.filter(code=program).first()
    if the_program is None:
        raise typer.BadParameter(f"no program {program!r}", param_hint="--program")
    actor = _active_user(user)
    try:
        data = load_data_file(protocol)
    except (ValueError, yaml.YAMLError) as exc:  # JSON errors are ValueErrors
        raise typer.BadParameter(f"unreadable: {exc}", param_hint="--protocol") from exc
    if not isinstance(data, dict):
        raise typer.BadParameter("not a mapping of protocol fields", param_hint="--protocol")
    consent = data.get("consent_document")
    try:
        if consent is not None and not (
            isinstance(consent, dict) and consent.get("title") and consent.get("body")
        ):
            raise InvalidInput("consent_document", "needs a title and a body")
        with transaction.atomic():  # a refused consent document leaves no half study
            study = services.create_study(
                actor=actor, program=the_program, **services.study_fields(data)
            )
            if consent:
                services.add_consent_document(
                    actor=actor, study=study, title=consent["title"], body=consent["body"]
                )
    except DomainError as exc:
        _fail(exc)
    result = {"protocol_id": study.protocol_id, "status": study.status, "consent": bool(consent)}
    _done(result, as_json, f"study {study.protocol_id} created ({study.status})")


@research_app.command("approve")
def approve(
    study: str = typer.Option(..., "--study", help="Protocol id"),
    irb_number: str = typer.Option(..., "--irb-number"),
    approved_on: datetime = typer.Option(..., "--approved-on", formats=["%Y-%m-%d"]),
    expires_on: datetime | None = typer.Option(None, "--expires-on", formats=["%Y-%m-%d"]),
    enrol: bool = typer.Option(False, "--enrol", help="Also open enrolment"),
    user: str = typer.Option("director", help="A program director of the study's program"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record the IRB approval (the study needs its consent document first); with
    --enrol, open enrolment as well. Exit 1 when refused."""
    from speciosa.cli import setup_django

    setup_django()
    from speciosa.clinical.errors import DomainError
    from speciosa.clinical.research.study_status import StudyStatus
    from speciosa.research import services
    from speciosa.research.queries import studies_for_user

    actor = _active_user(user)
    the_study = studies_for_user(actor).filter(protocol_id=study).first()
    if the_study is None:
        raise typer.BadParameter(f"no study {study!r} in your programs", param_hint="--study")
    try:
        services.approve_study(
            actor=actor,
            study=the_study,
            irb_number=irb_number,
            approved_on=approved_on.date(),
            expires_on=expires_on.date() if expires_on else None,
        )
        if enrol:
            services.change_study_status(actor=actor, study=the_study, status=StudyStatus.ENROLLING)
    except DomainError as exc:
        _fail(exc)
    _done(
        {"protocol_id": the_study.protocol_id, "status": the_study.status},
        as_json,
        f"study {the_study.protocol_id} is {the_study.status}",
    )


def _study_and_user(protocol: str, username: str):
    from speciosa.clinical.errors import DomainError
    from speciosa.research.queries import get_study_for_user

    user = _active_user(username)
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
