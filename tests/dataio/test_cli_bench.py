"""`speciosa bench`: runs each script in its own process, writes JSON and SUMMARY.md."""

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from speciosa.cli import app

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"

OK_SCRIPT = """
from _common import Timing, bench_size, write_result
n = bench_size(small=3, default=10)
write_result("toy", size=n, subject=Timing([0.002, 0.001, 0.003]),
             baseline=Timing([0.001, 0.001, 0.001]), ratio=0.5, target=0.4,
             ratio_means="baseline / subject")
"""


def _bench_dir(tmp_path, monkeypatch, *scripts: tuple[str, str]) -> Path:
    shutil.copy(BENCH_DIR / "_common.py", tmp_path / "_common.py")
    for name, body in scripts:
        (tmp_path / name).write_text(body)
    monkeypatch.setenv("SPECIOSA_BENCH_DIR", str(tmp_path))
    monkeypatch.delenv("SPECIOSA_BENCH_RESULTS", raising=False)
    return tmp_path


def test_bench_writes_result_json_and_summary(tmp_path, monkeypatch):
    bench_dir = _bench_dir(tmp_path, monkeypatch, ("bench_toy.py", OK_SCRIPT))
    result = CliRunner().invoke(app, ["bench", "--size", "small", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads((bench_dir / "results" / "toy.json").read_text())
    assert (data["size"], data["size_name"], data["passed"]) == (3, "small", True)
    assert data["subject"]["p50_s"] == 0.002
    summary = (bench_dir / "results" / "SUMMARY.md").read_text()
    assert "| toy |" in summary and "| 0.5 |" in summary


def test_bench_exits_1_when_a_script_fails(tmp_path, monkeypatch):
    _bench_dir(tmp_path, monkeypatch, ("bench_bad.py", "raise SystemExit(3)\n"))
    result = CliRunner().invoke(app, ["bench", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout.strip().splitlines()[-1])["runs"][0]["status"] == "exit 3"


def test_bench_exits_2_when_no_script_matches(tmp_path, monkeypatch):
    _bench_dir(tmp_path, monkeypatch, ("bench_toy.py", OK_SCRIPT))
    assert CliRunner().invoke(app, ["bench", "--only", "nothing"]).exit_code == 2


def test_percentile_is_nearest_rank():
    import sys

    sys.path.insert(0, str(BENCH_DIR))
    from _common import percentile

    samples = [float(i) for i in range(1, 21)]
    assert percentile(samples, 95) == 19.0
    assert percentile(samples, 50) == 10.0
