"""Server-side SVG charts for the study report (the same SVG shows in HTML and PDF):
the CONSORT flow diagram, outcome means by arm over visits with the mixed-model fit,
and Kaplan–Meier retention curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from speciosa.clinical.research.analysis import ConsortCounts, MixedModelResult, RetentionResult

PALETTE = ("#1f6feb", "#d9480f", "#2f9e44", "#7048e8")
FONT = 'font-family="Helvetica, Arial, sans-serif"'


def _box(x: float, y: float, w: float, h: float, lines: Sequence[str]) -> str:
    text = "".join(
        f'<text x="{x + w / 2:.1f}" y="{y + 18 + i * 15:.1f}" text-anchor="middle" '
        f'font-size="{12 if i == 0 else 11}" {FONT}>{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="4" '
        f'fill="#fff" stroke="#333"/>{text}'
    )


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#333" '
        'marker-end="url(#consort-arrow)"/>'
    )


def consort_svg(counts: ConsortCounts, arm_labels: Mapping[str, str] | None = None) -> str:
    """CONSORT 2010-style flow: enrolment, allocation, follow-up, analysis."""
    labels = arm_labels or {}
    n_arms = max(len(counts.arms), 1)
    col_w, gap = 220.0, 30.0
    width = max(n_arms * col_w + (n_arms - 1) * gap + 40, 620)
    cx = width / 2
    parts = [
        _box(cx - 130, 10, 260, 40, [f"Assessed for eligibility (n={counts.screened})"]),
        _box(
            cx + 40,
            60,
            230,
            80,
            [
                f"Excluded (n={counts.excluded + counts.declined + counts.not_randomized})",
                f"Not meeting criteria: {counts.excluded}",
                f"Declined consent: {counts.declined}",
                f"Consented, not randomized: {counts.not_randomized}",
            ],
        ),
        _arrow(cx, 50, cx, 150),
        _arrow(cx, 100, cx + 40, 100),
        _box(cx - 100, 150, 200, 40, [f"Randomized (n={counts.randomized})"]),
    ]
    left = (width - (n_arms * col_w + (n_arms - 1) * gap)) / 2
    for i, arm in enumerate(counts.arms):
        x = left + i * (col_w + gap)
        mid = x + col_w / 2
        parts.append(_arrow(cx, 190, mid, 220))
        parts.append(
            _box(
                x,
                220,
                col_w,
                40,
                [f"Allocated to {labels.get(arm.arm, arm.arm)}", f"n={arm.allocated}"],
            )
        )
        parts.append(_arrow(mid, 260, mid, 280))
        parts.append(
            _box(
                x,
                280,
                col_w,
                55,
                [
                    "Follow-up",
                    f"Discontinued (withdrew/lost): {arm.discontinued}",
                    f"Completed final visit: {arm.followed_up}",
                ],
            )
        )
        parts.append(_arrow(mid, 335, mid, 355))
        parts.append(_box(x, 355, col_w, 40, ["Analysed (mixed model)", f"n={arm.analysed}"]))
    return _svg(width, 405, "".join(parts), "CONSORT flow diagram")


def _svg(width: float, height: float, body: str, title: str) -> str:
    # the arrow marker only where arrows are drawn: ids must be unique in one HTML page
    defs = (
        '<defs><marker id="consort-arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>'
        if "consort-arrow" in body
        else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{defs}{body}</svg>"
    )


def _axes(
    x0: float,
    y0: float,
    w: float,
    h: float,
    xticks: Sequence[float],
    yticks: Sequence[float],
    xmax: float,
    ymax: float,
    xlabel: str,
    ylabel: str,
) -> str:
    parts = [
        f'<line x1="{x0}" y1="{y0 + h}" x2="{x0 + w}" y2="{y0 + h}" stroke="#333"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + h}" stroke="#333"/>',
    ]
    for t in xticks:
        x = x0 + w * t / xmax
        parts.append(
            f'<text x="{x:.1f}" y="{y0 + h + 16}" text-anchor="middle" font-size="11" '
            f"{FONT}>{t:g}</text>"
        )
    for t in yticks:
        y = y0 + h - h * t / ymax
        parts.append(
            f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f"{FONT}>{t:g}</text>"
        )
    parts.append(
        f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle" font-size="12" '
        f"{FONT}>{escape(xlabel)}</text>"
    )
    parts.append(
        f'<text x="14" y="{y0 + h / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {y0 + h / 2})" {FONT}>{escape(ylabel)}</text>'
    )
    return "".join(parts)


def _legend(x: float, y: float, names: Sequence[str]) -> str:
    return "".join(
        f'<rect x="{x}" y="{y + i * 16}" width="12" height="3" fill="{PALETTE[i % 4]}"/>'
        f'<text x="{x + 18}" y="{y + i * 16 + 5}" font-size="11" {FONT}>{escape(n)}</text>'
        for i, n in enumerate(names)
    )


def outcome_svg(
    result: MixedModelResult, label: str, arm_labels: Mapping[str, str] | None = None
) -> str:
    """Observed means per visit (points) and the mixed model's fitted lines per arm."""
    labels = arm_labels or {}
    arms = sorted(result.means)
    weeks = sorted({w for m in result.means.values() for w in m})
    xmax = max(weeks) if weeks else 1.0
    values = [v for m in result.means.values() for v in m.values()]
    ymax = max(values + [1.0]) * 1.15
    x0, y0, w, h = 60.0, 20.0, 440.0, 220.0
    parts = [_axes(x0, y0, w, h, weeks, _ticks(ymax), xmax, ymax, "Week", label)]
    intercept = result.fixed_effects["Intercept"][0]
    for i, arm in enumerate(arms):
        colour = PALETTE[i % 4]
        arm_term = next(
            (n for n in result.fixed_effects if f"[T.{arm}]" in n and ":week" not in n), None
        )
        start = intercept + (result.fixed_effects[arm_term][0] if arm_term else 0.0)
        slope = result.slope_by_arm[arm]
        y_start, y_end = start, start + slope * xmax
        parts.append(
            f'<line x1="{x0}" y1="{y0 + h - h * y_start / ymax:.1f}" x2="{x0 + w}" '
            f'y2="{y0 + h - h * y_end / ymax:.1f}" stroke="{colour}" stroke-width="2"/>'
        )
        for week, mean in sorted(result.means[arm].items()):
            parts.append(
                f'<circle cx="{x0 + w * week / xmax:.1f}" cy="{y0 + h - h * mean / ymax:.1f}" '
                f'r="4" fill="{colour}"/>'
            )
    parts.append(_legend(x0 + w - 150, y0 + 4, [labels.get(a, a) for a in arms]))
    return _svg(520, 290, "".join(parts), f"{label} by arm over visits")


def _ticks(ymax: float) -> list[float]:
    step = max(1.0, round(ymax / 5))
    return [step * i for i in range(int(ymax // step) + 1)]


def retention_svg(result: RetentionResult, arm_labels: Mapping[str, str] | None = None) -> str:
    """Kaplan–Meier step curves of retention (probability still in follow-up)."""
    labels = arm_labels or {}
    xmax = max((t for c in result.curves for t in c.times), default=1.0) or 1.0
    x0, y0, w, h = 60.0, 20.0, 440.0, 220.0
    xticks = [d for d in (0, 14, 28, 42, 56, 70, 84, 98) if d <= xmax]
    parts = [
        _axes(
            x0,
            y0,
            w,
            h,
            xticks,
            [0, 0.25, 0.5, 0.75, 1.0],
            xmax,
            1.0,
            "Days since randomization",
            "Retained",
        )
    ]
    for i, curve in enumerate(result.curves):
        points, prev = [], 1.0
        for t, s in zip(curve.times, curve.survival, strict=True):
            x = x0 + w * t / xmax
            points.append(f"{x:.1f},{y0 + h - h * prev:.1f}")
            points.append(f"{x:.1f},{y0 + h - h * s:.1f}")
            prev = s
        points.append(f"{x0 + w:.1f},{y0 + h - h * prev:.1f}")
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{PALETTE[i % 4]}" '
            'stroke-width="2"/>'
        )
    names = [f"{labels.get(c.arm, c.arm)} (n={c.n}, {c.events} dropped)" for c in result.curves]
    parts.append(_legend(x0 + 20, y0 + h - 40, names))
    return _svg(520, 290, "".join(parts), "Retention (Kaplan–Meier)")
