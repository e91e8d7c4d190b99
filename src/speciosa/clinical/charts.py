"""Server-side SVG charts: the same picture in the web page and in the PDF.

Pure functions returning SVG text. Values are escaped; no script, no external assets, so
the output is safe under the Content-Security-Policy and renders in WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

BAND_COLOURS = ("#e8f5e9", "#fff8e1", "#ffe0b2", "#ffcdd2", "#f8bbd0")


@dataclass(frozen=True, slots=True)
class ChartBand:
    low: float
    high: float
    label: str
    colour: str = ""


@dataclass(frozen=True, slots=True)
class ChartMarker:
    """A labelled point, e.g. a reliable improvement (kind "up") or deterioration ("down")."""

    index: int  # position in the points sequence
    kind: str  # "improved" | "deteriorated" | "critical"
    label: str


Point = tuple[datetime | date | float, float]


def _x_value(x: datetime | date | float) -> float:
    if isinstance(x, datetime):
        return x.timestamp()
    if isinstance(x, date):
        return datetime(x.year, x.month, x.day).timestamp()
    return float(x)


def _x_label(x: datetime | date | float) -> str:
    if isinstance(x, datetime | date):
        return x.strftime("%b %d")
    return f"{x:g}"


def line_chart_svg(
    points: Sequence[Point],
    *,
    y_min: float,
    y_max: float,
    bands: Sequence[ChartBand] = (),
    markers: Sequence[ChartMarker] = (),
    title: str = "",
    width: int = 560,
    height: int = 180,
    y_label: str = "",
) -> str:
    """A line chart of ``points`` (oldest first) with shaded severity ``bands``."""
    if y_max <= y_min:
        raise ValueError("y_max must be above y_min")
    left, right, top, bottom = 36, 12, 22 if title else 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [_x_value(x) for x, _ in points]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span = (x_hi - x_lo) or 1.0

    def px(x: float) -> float:
        if len(xs) == 1:
            return left + plot_w / 2
        return left + (x - x_lo) / span * plot_w

    def py(y: float) -> float:
        clamped = min(max(y, y_min), y_max)
        return top + plot_h - (clamped - y_min) / (y_max - y_min) * plot_h

    aria = escape(title or "Score chart") + (
        f": {len(points)} points, latest {points[-1][1]:g}" if points else ": no data"
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{aria}" class="chart">',
        f"<title>{aria}</title>",
    ]
    if title:
        out.append(
            f'<text x="{left}" y="14" font-size="12" font-weight="600" fill="#1d2733">'
            f"{escape(title)}</text>"
        )
    for i, band in enumerate(bands):
        lo, hi = max(band.low, y_min), min(band.high, y_max)
        if hi <= lo and not (band.high == band.low and y_min <= band.low <= y_max):
            continue
        y_top, y_bottom = py(hi), py(lo)
        colour = band.colour or BAND_COLOURS[i % len(BAND_COLOURS)]
        out.append(
            f'<rect x="{left}" y="{y_top:.1f}" width="{plot_w}" '
            f'height="{max(y_bottom - y_top, 1):.1f}" fill="{colour}">'
            f"<title>{escape(band.label)} ({band.low:g}–{band.high:g})</title></rect>"
        )
        if y_bottom - y_top >= 11:  # a label in a thinner band would spill onto the next
            out.append(
                f'<text x="{left + plot_w - 4}" y="{y_top + 11:.1f}" font-size="9" '
                f'text-anchor="end" fill="#5b6b7c">{escape(band.label)}</text>'
            )
    # axes and y ticks
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#9aa7b4"/>'
    )
    for tick in (y_min, (y_min + y_max) / 2, y_max):
        out.append(
            f'<text x="{left - 4}" y="{py(tick) + 3:.1f}" font-size="9" text-anchor="end" '
            f'fill="#5b6b7c">{tick:g}</text>'
        )
    if y_label:
        out.append(
            f'<text x="10" y="{top + plot_h / 2:.1f}" font-size="9" fill="#5b6b7c" '
            f'transform="rotate(-90 10 {top + plot_h / 2:.1f})" text-anchor="middle">'
            f"{escape(y_label)}</text>"
        )
    if points:
        coords = [(px(xv), py(y)) for xv, (_, y) in zip(xs, points, strict=True)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
        for (x, y), (raw_x, value) in zip(coords, points, strict=True):
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5fa8">'
                f"<title>{escape(_x_label(raw_x))}: {value:g}</title></circle>"
            )
        for marker in markers:
            if not 0 <= marker.index < len(coords):
                continue
            x, y = coords[marker.index]
            colour = {"improved": "#1e7b45", "deteriorated": "#c2410c"}.get(marker.kind, "#b3261e")
            glyph = {"improved": "▼", "deteriorated": "▲"}.get(marker.kind, "!")
            out.append(
                f'<text x="{x:.1f}" y="{y - 7:.1f}" font-size="11" text-anchor="middle" '
                f'fill="{colour}" class="marker-{escape(marker.kind)}">{glyph}'
                f"<title>{escape(marker.label)}</title></text>"
            )
        first, last = points[0][0], points[-1][0]
        out.append(
            f'<text x="{left}" y="{height - 6}" font-size="9" fill="#5b6b7c">'
            f"{escape(_x_label(first))}</text>"
        )
        if len(points) > 1:
            out.append(
                f'<text x="{left + plot_w}" y="{height - 6}" font-size="9" text-anchor="end" '
                f'fill="#5b6b7c">{escape(_x_label(last))}</text>'
            )
    else:
        out.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" font-size="11" '
            'text-anchor="middle" fill="#5b6b7c">No scores yet</text>'
        )
    out.append("</svg>")
    return "".join(out)
