from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from speciosa.clinical.charts import ChartBand, ChartMarker, line_chart_svg

NS = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 1, 1)


def test_chart_has_a_point_per_score_and_a_rect_per_band():
    svg = line_chart_svg(
        [(T0, 20), (T0 + timedelta(days=14), 12), (T0 + timedelta(days=28), 6)],
        y_min=0,
        y_max=27,
        title="PHQ-9",
        bands=[ChartBand(0, 4, "minimal"), ChartBand(5, 9, "mild"), ChartBand(20, 27, "severe")],
        markers=[ChartMarker(2, "improved", "reliable improvement")],
    )
    root = ElementTree.fromstring(svg)
    assert len(root.findall(f"{NS}circle")) == 3
    assert len(root.findall(f"{NS}rect")) == 3
    assert "reliable improvement" in svg and "PHQ-9" in svg


def test_text_is_escaped():
    svg = line_chart_svg([(1.0, 1.0)], y_min=0, y_max=2, title="<script>x</script>")
    assert "<script>" not in svg


def test_empty_chart_says_so():
    assert "No scores yet" in line_chart_svg([], y_min=0, y_max=10)


def test_reversed_axis_is_refused():
    with pytest.raises(ValueError):
        line_chart_svg([], y_min=5, y_max=5)


@given(st.lists(st.floats(min_value=-100, max_value=100), min_size=1, max_size=40))
def test_points_stay_inside_the_plot_area(values):
    svg = line_chart_svg(
        [(float(i), v) for i, v in enumerate(values)], y_min=0, y_max=27, width=300, height=120
    )
    root = ElementTree.fromstring(svg)
    for circle in root.findall(f"{NS}circle"):
        assert 0 <= float(circle.get("cx")) <= 300
        assert 0 <= float(circle.get("cy")) <= 120
