"""Reports and sweep results in notebooks and pandas: _repr_html_ as Jupyter calls it (the
summary table and the chart inline), to_pandas(), and plot() returning the Figure."""

from __future__ import annotations

import math
from html.parser import HTMLParser

import pytest

from kinesim.whatif import ConstantRate, Scenario, sweep
from kinesim.whatif._report import SERIES

pd = pytest.importorskip("pandas")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def report():
    return Scenario(shards=1, arrivals=ConstantRate(rate=20), simulated_s=120, period_s=30).run()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        if tag not in ("br", "img", "meta", "path", "use", "rect", "line", "polyline"):
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.seen.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            raise AssertionError(f"unbalanced </{tag}> after {self.open[-5:]}")
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_a_report_renders_its_summary_table_and_chart_inline(report):
    html = report._repr_html_()
    parser = _Tags()
    parser.feed(html)
    assert parser.open == []  # balanced
    assert parser.seen[:3] == ["div", "p", "table"]
    assert "svg" in parser.seen  # the chart, inline
    text = " ".join(parser.text)
    for label, value in report.summary_rows():
        assert label in text
        assert value in text
    assert "2,400 put" in text


def test_report_to_pandas_has_one_row_per_period(report):
    frame = report.to_pandas()
    assert list(frame.columns) == list(SERIES)
    assert list(frame.index) == [0.0, 30.0, 60.0, 90.0]
    assert frame.index.name == "time_s"
    assert frame["incoming_per_s"].tolist() == report.series["incoming_per_s"]
    none_ages = [v is None for v in report.series["iterator_age_max_s"]]
    assert [math.isnan(v) for v in frame["iterator_age_max_s"]] == none_ages


def test_plot_returns_the_figure_and_writes_when_asked(report, tmp_path):
    figure = report.plot()
    assert [ax.get_ylabel() for ax in figure.axes] == [
        "iterator age (s)",
        "records/s",
        "concurrency",
    ]
    assert list(tmp_path.iterdir()) == []
    written = report.plot(tmp_path / "r.svg")
    assert (tmp_path / "r.svg").read_text().lstrip().startswith("<?xml")
    assert len(written.axes) == 3


def test_a_sweep_renders_and_exports():
    base = Scenario(shards=1, arrivals=ConstantRate(rate=20), simulated_s=60, period_s=30)
    result = sweep(base, {"batch_size": [10, 100]}, target_iterator_age_s=10)
    html = result._repr_html_()
    parser = _Tags()
    parser.feed(html)
    assert parser.open == []
    assert parser.seen.count("tr") == 3
    assert "cheapest meeting the target" in html
    frame = result.to_pandas()
    assert frame["batch_size"].tolist() == [10, 100]
    assert frame["meets_target"].tolist() == [row.meets_target for row in result.rows]
    assert frame["monthly_cost_usd"].tolist() == [r.summary.monthly_cost_usd for r in result.rows]
