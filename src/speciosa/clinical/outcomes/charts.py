"""Server-side SVG for the outcomes dashboard: Kaplan-Meier curve with its interval band,
bar charts (distributions, alert burden) and a funnel. Same SVG in the page and the PDF.

Pure functions of aggregated rows; text is escaped; no scripts or external assets. The
monthly trend reuses ``speciosa.clinical.charts.line_chart_svg``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

INK, MUTED, ACCENT, BAND, GRID = "#1d2733", "#5b6b7c", "#1f5fa8", "#cfe0f5", "#e3e8ee"


def _open(width: int, height: int, title: str, summary: str) -> list[str]:
    label = escape(f"{title}: {summary}")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{label}" class="chart">',
        f"<title>{label}</title>",
        f'<text x="8" y="15" font-size="12" font-weight="600" fill="{INK}">{escape(title)}</text>',
    ]


def _empty(out: list[str], width: int, height: int) -> str:
    out.append(
        f'<text x="{width / 2}" y="{height / 2}" font-size="11" text-anchor="middle" '
        f'fill="{MUTED}">No data for this cohort</text></svg>'
    )
    return "".join(out)


def km_curve_svg(
    steps: Sequence[tuple[int, float, float, float]],
    *,
    max_day: int,
    horizons: Sequence[int] = (),
    title: str = "Retention (Kaplan-Meier)",
    width: int = 560,
    height: int = 220,
) -> str:
    """``steps`` = (day, S, low, high) at each event day, oldest first; S = 1 before."""
    out = _open(width, height, title, f"{len(steps)} event days")
    left, right, top, bottom = 40, 12, 24, 26
    pw, ph = width - left - right, height - top - bottom
    max_day = max(max_day, 1)

    def px(day: float) -> float:
        return left + min(day, max_day) / max_day * pw

    def py(s: float) -> float:
        return top + ph - s * ph

    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = py(tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="9" text-anchor="end" '
            f'fill="{MUTED}">{tick:.0%}</text>'
        )
    for h in horizons:
        if h <= max_day:
            x = px(h)
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="{MUTED}" '
                f'stroke-dasharray="3,3"/><text x="{x + 3:.1f}" y="{top + ph - 4}" font-size="9" '
                f'fill="{MUTED}">day {h}</text>'
            )
    # step function: flat from the previous day to this one, then drop
    line = [(px(0), py(1.0))]
    upper = [(px(0), py(1.0))]
    lower = [(px(0), py(1.0))]
    prev = (1.0, 1.0, 1.0)
    for day, s, lo, hi in steps:
        if day > max_day:
            break
        x = px(day)
        line += [(x, py(prev[0])), (x, py(s))]
        upper += [(x, py(prev[2])), (x, py(hi))]
        lower += [(x, py(prev[1])), (x, py(lo))]
        prev = (s, lo, hi)
    end = px(max_day)
    line.append((end, py(prev[0])))
    upper.append((end, py(prev[2])))
    lower.append((end, py(prev[1])))
    band = upper + list(reversed(lower))
    out.append(
        '<polygon points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in band)
        + f'" fill="{BAND}" stroke="none"><title>95% confidence band</title></polygon>'
    )
    out.append(
        '<polyline points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        + f'" fill="none" stroke="{ACCENT}" stroke-width="2"/>'
    )
    out.append(
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#9aa7b4"/>'
        f'<text x="{left}" y="{height - 8}" font-size="9" fill="{MUTED}">day 0</text>'
        f'<text x="{left + pw}" y="{height - 8}" font-size="9" text-anchor="end" '
        f'fill="{MUTED}">day {max_day}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def bar_chart_svg(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: str = "{:g}",
    width: int = 560,
    height: int = 200,
    colour: str = ACCENT,
) -> str:
    """Vertical bars with a label under each (distributions, counts by category)."""
    out = _open(width, height, title, f"{len(bars)} bars")
    if not bars:
        return _empty(out, width, height)
    left, right, top, bottom = 12, 12, 28, 30
    pw, ph = width - left - right, height - top - bottom
    top_value = max(v for _, v in bars) or 1.0
    slot = pw / len(bars)
    for i, (label, value) in enumerate(bars):
        h = value / top_value * (ph - 12)
        x = left + i * slot + slot * 0.12
        y = top + ph - h
        shown = escape(value_format.format(value))
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.76:.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{escape(label)}: {shown}</title></rect>'
            f'<text x="{x + slot * 0.38:.1f}" y="{y - 3:.1f}" font-size="9" '
            f'text-anchor="middle" fill="{INK}">{shown}</text>'
            f'<text x="{x + slot * 0.38:.1f}" y="{top + ph + 12:.1f}" font-size="9" '
            f'text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
        )
    out.append(
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#9aa7b4"/>'
    )
    out.append("</svg>")
    return "".join(out)


def funnel_svg(
    stages: Sequence[tuple[str, int]],
    *,
    title: str,
    width: int = 560,
    height: int = 170,
) -> str:
    """Horizontal bars narrowing stage by stage, each with its count and share of the first."""
    out = _open(width, height, title, ", ".join(f"{s} {n}" for s, n in stages))
    if not stages or not stages[0][1]:
        return _empty(out, width, height)
    left, top, label_w = 8, 26, 190
    row_h = (height - top - 6) / len(stages)
    first = stages[0][1]
    bar_w = width - left - label_w - 70
    for i, (stage, n) in enumerate(stages):
        y = top + i * row_h
        w = max(n / first * bar_w, 1.0)
        x = left + label_w + (bar_w - w) / 2
        out.append(
            f'<text x="{left}" y="{y + row_h * 0.62:.1f}" font-size="11" fill="{INK}">'
            f"{escape(stage)}</text>"
            f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="{w:.1f}" height="{row_h - 6:.1f}" '
            f'fill="{ACCENT}" opacity="{1 - i * 0.15:.2f}">'
            f"<title>{escape(stage)}: {n}</title></rect>"
            f'<text x="{left + label_w + bar_w + 6}" y="{y + row_h * 0.62:.1f}" font-size="11" '
            f'fill="{INK}">{n} ({n / first:.0%})</text>'
        )
    out.append("</svg>")
    return "".join(out)
