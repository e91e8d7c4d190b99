"""Chart panels built from rows the view already loaded: score trajectories as SVG."""

from collections import defaultdict
from dataclasses import dataclass

from django.utils.safestring import mark_safe

from speciosa.clinical.charts import ChartBand, ChartMarker, line_chart_svg
from speciosa.clinical.errors import DomainError
from speciosa.clinical.instruments.catalog import Instrument
from speciosa.clinical.instruments.scoring import reliable_change


@dataclass
class ScorePanel:
    instrument_id: str
    title: str
    svg: str
    latest_total: float
    latest_band: str
    latest_at: object
    count: int
    change_note: str


def _bands(instrument: Instrument) -> list[ChartBand]:
    if instrument.scoring.bands is None:
        return []
    return [ChartBand(b.min, b.max, b.label) for b in instrument.scoring.bands.items]


def build_score_panels(scores, instrument_named) -> list[ScorePanel]:
    """One chart per instrument (oldest first), with severity bands and reliable-change
    markers between consecutive scores. ``scores`` must be ordered by time."""
    grouped = defaultdict(list)
    for s in scores:
        grouped[s.instrument_id].append(s)
    panels = []
    for instrument_id, rows in grouped.items():
        try:
            instrument = instrument_named(instrument_id)
        except DomainError:
            continue  # an instrument removed from the catalog: history stays in the table
        markers = []
        for i in range(1, len(rows)):
            change = reliable_change(instrument, rows[i - 1].total, rows[i].total)
            if change.is_reliable_improvement:
                markers.append(ChartMarker(i, "improved", "Reliable improvement"))
            elif change.is_reliable_deterioration:
                markers.append(ChartMarker(i, "deteriorated", "Reliable deterioration"))
        for i, row in enumerate(rows):
            if row.critical_items or row.critical_flags:
                markers.append(ChartMarker(i, "critical", "Critical item answered"))
        note = ""
        if len(rows) > 1:
            change = reliable_change(instrument, rows[0].total, rows[-1].total)
            if change.is_reliable_improvement:
                note = "Reliable improvement since baseline"
            elif change.is_reliable_deterioration:
                note = "Reliable deterioration since baseline"
            elif change.method != "unavailable":
                note = "No reliable change since baseline"
        total = instrument.scoring.total
        svg = line_chart_svg(
            [(r.taken_at, r.total) for r in rows],
            y_min=total.min,
            y_max=total.max,
            bands=_bands(instrument),
            markers=markers,
            title=instrument.scoring.short_name,
            width=420,
            height=170,
        )
        latest = rows[-1]
        panels.append(
            ScorePanel(
                instrument_id=instrument_id,
                title=instrument.scoring.title,
                svg=mark_safe(svg),  # noqa: S308 - built by line_chart_svg, which escapes text
                latest_total=latest.total,
                latest_band=latest.band,
                latest_at=latest.taken_at,
                count=len(rows),
                change_note=note,
            )
        )
    panels.sort(key=lambda p: p.latest_at, reverse=True)
    return panels
