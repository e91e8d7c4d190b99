"""SVG helpers: valid, escaped, honest about empty data."""

import xml.etree.ElementTree as ET

from speciosa.clinical.outcomes.charts import bar_chart_svg, funnel_svg, km_curve_svg


def test_km_curve_is_well_formed_svg_with_a_band():
    svg = km_curve_svg([(5, 0.8, 0.4, 0.95), (20, 0.6, 0.25, 0.85)], max_day=120, horizons=(30,))
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "<polygon" in svg and "<polyline" in svg
    assert "day 30" in svg


def test_bar_labels_are_escaped():
    svg = bar_chart_svg([("<script>", 3.0)], title="a & b")
    ET.fromstring(svg)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_empty_funnel_says_no_data():
    assert "No data for this cohort" in funnel_svg([("Screened", 0)], title="ADHD")
