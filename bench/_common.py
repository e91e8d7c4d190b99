"""Shared helpers for ``bench/bench_*.py``: sizes, timing, peak memory, JSON results.

Every benchmark measures its subject *and* a same-run baseline, then calls
``write_result(...)``. ``speciosa bench`` runs each script and builds
``bench/results/SUMMARY.md`` from the JSON files (``write_summary``).

Typical use::

    from _common import bench_size, measure, setup_django, write_result

    setup_django()                       # temp SQLite (or $DATABASE_URL), migrated
    n = bench_size(small=200, default=5000)
    subject = measure(lambda: do_it(n), repeat=5)
    baseline = measure(lambda: do_it_naively(n), repeat=5)
    write_result("scoring", size=n, subject=subject, baseline=baseline,
                 ratio=baseline.p50 / subject.p50, target=0.5,
                 ratio_means="baseline time / speciosa time (higher is better)")
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = Path(os.environ.get("SPECIOSA_BENCH_RESULTS", BENCH_DIR / "results"))
SRC_DIR = BENCH_DIR.parent / "src"


def bench_size_name() -> str:
    """``small`` (fast, CI smoke) or ``default`` (the numbers quoted in the README)."""
    name = os.environ.get("SPECIOSA_BENCH_SIZE", "default").strip().lower()
    return name if name in {"small", "default", "large"} else "default"


def bench_size(*, small: int, default: int, large: int | None = None) -> int:
    name = bench_size_name()
    if name == "small":
        return small
    if name == "large" and large is not None:
        return large
    return default


def setup_django(*, database_url: str | None = None, migrate: bool = True) -> str:
    """Configure Django for a benchmark and return the database vendor.

    Without ``DATABASE_URL`` a fresh SQLite file in a temp dir is used, so a benchmark
    never touches the developer's data. With ``DATABASE_URL`` (PostgreSQL) the database
    named there is used as-is: point it at a scratch database.
    """
    if str(SRC_DIR) not in sys.path:
        sys.path.insert(0, str(SRC_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "speciosa.settings")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if not os.environ.get("DATABASE_URL"):
        tmp = Path(tempfile.mkdtemp(prefix="speciosa-bench-"))
        os.environ["SPECIOSA_DATA_DIR"] = str(tmp)
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.db import connection

    if migrate:
        from django.core.management import call_command

        call_command("migrate", "--no-input", "-v", "0")
    return connection.vendor


@dataclass
class Timing:
    """Wall-clock samples of one operation, in seconds."""

    samples: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) if self.samples else 0.0

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples) if self.samples else 0.0

    @property
    def total(self) -> float:
        return sum(self.samples)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": len(self.samples),
            "p50_s": self.p50,
            "p95_s": self.p95,
            "mean_s": self.mean,
            "min_s": min(self.samples) if self.samples else 0.0,
            "max_s": max(self.samples) if self.samples else 0.0,
            "total_s": self.total,
        }


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: p95 of 20 samples is the 19th)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def measure(fn: Callable[[], Any], *, repeat: int = 1, warmup: int = 0) -> Timing:
    """Run ``fn`` ``warmup`` + ``repeat`` times; keep the ``repeat`` timings."""
    for _ in range(warmup):
        fn()
    timing = Timing()
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timing.samples.append(time.perf_counter() - start)
    return timing


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def peak_python_memory(fn: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``fn`` under tracemalloc; return (result, peak bytes allocated by Python).

    tracemalloc slows allocation-heavy code 2-4x: measure memory in a separate run from
    the timings.
    """
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem_gb = round(pages / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def database_vendor() -> str:
    try:
        from django.db import connection

        return connection.vendor
    except Exception:  # noqa: BLE001 - benchmarks without Django
        return "none"


def write_result(
    name: str,
    *,
    size: int,
    subject: Timing | dict[str, Any],
    baseline: Timing | dict[str, Any] | None = None,
    ratio: float | None = None,
    ratio_means: str = "",
    target: float | None = None,
    peak_memory_bytes: int | None = None,
    unit: str = "s",
    extra: dict[str, Any] | None = None,
) -> Path:
    """Print and write ``bench/results/<name>.json``; returns the path.

    ``ratio`` is whatever the benchmark defines (say so in ``ratio_means``), conventionally
    "higher is better" so ``target`` reads as "at least". ``passed`` is None without target.
    """

    def _timing(t: Timing | dict[str, Any] | None) -> dict[str, Any] | None:
        if t is None:
            return None
        return t.as_dict() if isinstance(t, Timing) else t

    result = {
        "name": name,
        "size": size,
        "size_name": bench_size_name(),
        "unit": unit,
        "subject": _timing(subject),
        "baseline": _timing(baseline),
        "ratio": ratio,
        "ratio_means": ratio_means,
        "target": target,
        "passed": None if target is None or ratio is None else bool(ratio >= target),
        "peak_memory_bytes": peak_memory_bytes,
        "max_rss_bytes": max_rss_bytes(),
        "database": database_vendor(),
        "machine": machine(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "extra": extra or {},
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    shown = f"{ratio:.3g}" if ratio is not None else "n/a"
    print(f"[{name}] size={size} ratio={shown} target={target} -> {path}")
    return path


def _fmt_seconds(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def _fmt_bytes(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value / 1024**2:.1f} MiB"


def write_summary(results_dir: Path | None = None) -> Path:
    """Collect every ``results/*.json`` into ``results/SUMMARY.md`` (one table)."""
    results_dir = results_dir or RESULTS_DIR
    results_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    machine_info: dict[str, Any] = {}
    for path in sorted(results_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or "name" not in data:
            continue
        machine_info = data.get("machine") or machine_info
        subject = data.get("subject") or {}
        baseline = data.get("baseline") or {}
        ratio = data.get("ratio")
        passed = data.get("passed")
        verdict = "-" if passed is None else ("✅" if passed else "❌")
        rows.append(
            "| {name} | {db} | {size} | {ratio} | {target} {verdict} | {p50} | {p95} | {bp50} | "
            "{mem} | {means} |".format(
                name=data["name"],
                db=data.get("database", "-"),
                size=data.get("size", "-"),
                ratio=f"{ratio:.3g}" if isinstance(ratio, int | float) else "-",
                target=data.get("target") if data.get("target") is not None else "",
                verdict=verdict,
                p50=_fmt_seconds(subject.get("p50_s")),
                p95=_fmt_seconds(subject.get("p95_s")),
                bp50=_fmt_seconds(baseline.get("p50_s")),
                mem=_fmt_bytes(data.get("peak_memory_bytes") or data.get("max_rss_bytes")),
                means=data.get("ratio_means", ""),
            )
        )
    lines = [
        "# Benchmark summary",
        "",
        f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} by `speciosa bench`.",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine_info.items() if v is not None),
        "",
        "| benchmark | db | size | ratio | target | p50 | p95 | baseline p50 | peak mem | "
        "ratio means |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    out = results_dir / "SUMMARY.md"
    out.write_text("\n".join(lines))
    return out
