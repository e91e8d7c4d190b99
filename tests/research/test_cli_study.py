"""``speciosa research create`` / ``approve``: a study from its protocol file, the way a
program sets up a trial (the demo study's protocol is the worked example)."""

import json

import yaml
from typer.testing import CliRunner

from speciosa.cli import app
from speciosa.research.demo import PROTOCOL_FILE
from speciosa.research.models import Study

runner = CliRunner()
APPROVE = ["research", "approve", "--study", "KRATOM-BUP-01", "--irb-number", "IRB-9"]


def _protocol(tmp_path, **changes):
    data = yaml.safe_load(PROTOCOL_FILE.read_text())
    data["consent_document"] = {"title": "Consent v1", "body": "You are invited..."}
    data.update(changes)
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_create_then_approve_and_open_enrolment(director, program, tmp_path):
    args = ["research", "create", "--protocol", str(_protocol(tmp_path)), "--json"]
    r = runner.invoke(app, [*args, "--program", program.code, "--user", director.username])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {
        "protocol_id": "KRATOM-BUP-01",
        "status": "draft",
        "consent": True,
    }
    study = Study.objects.get(protocol_id="KRATOM-BUP-01")
    assert sorted(study.arms.values_list("code", flat=True)) == ["buprenorphine", "taper"]
    assert study.visit_definitions.count() == 6 and study.consent_documents.count() == 1
    dates = ["--approved-on", "2026-01-02", "--expires-on", "2027-01-02"]
    r = runner.invoke(app, [*APPROVE, *dates, "--enrol", "--user", director.username, "--json"])
    assert r.exit_code == 0, r.output
    study.refresh_from_db()
    assert (study.status, study.irb_number) == ("enrolling", "IRB-9")


def test_refusals_exit_1_and_store_nothing(director, prescriber, program, tmp_path):
    base = ["research", "create", "--program", program.code]
    # a prescriber may not create studies
    r = runner.invoke(
        app, [*base, "--protocol", str(_protocol(tmp_path)), "--user", prescriber.username]
    )
    assert r.exit_code == 1 and "manage_study" in r.output.lower().replace(" ", "_")
    # one arm is not a randomized study; a consent document without a body is refused
    one_arm = _protocol(tmp_path, arms=[{"code": "a", "name": "A"}])
    r = runner.invoke(app, [*base, "--protocol", str(one_arm), "--user", director.username])
    assert r.exit_code == 1 and "at least two arms" in r.output
    no_body = _protocol(tmp_path, consent_document={"title": "Consent"})
    r = runner.invoke(app, [*base, "--protocol", str(no_body), "--user", director.username])
    assert r.exit_code == 1 and "title and a body" in r.output
    assert not Study.objects.exists()
    # unreadable file: a usage error (exit 2)
    bad = tmp_path / "bad.yaml"
    bad.write_text("arms: [unclosed")
    r = runner.invoke(app, [*base, "--protocol", str(bad), "--user", director.username])
    assert r.exit_code == 2


def test_approval_needs_the_consent_document(director, program, tmp_path):
    path = _protocol(tmp_path)
    data = yaml.safe_load(path.read_text())
    del data["consent_document"]
    path.write_text(yaml.safe_dump(data))
    create = ["research", "create", "--protocol", str(path), "--program", program.code]
    assert runner.invoke(app, [*create, "--user", director.username]).exit_code == 0
    r = runner.invoke(app, [*APPROVE, "--approved-on", "2026-01-02", "--user", director.username])
    assert r.exit_code == 1 and "consent document" in r.output
    assert Study.objects.get().status == "draft"
