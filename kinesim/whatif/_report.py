"""What a what-if run found: per-period series, a summary, a cost estimate, charts.

A :class:`Report` is plain data (floats, ints, lists, strings), so it pickles to and from worker
processes, compares equal across runs with the same seed, and writes as JSON
(:meth:`Report.to_json`). :meth:`Report.text` is the terminal summary with a small chart of
iterator age; :meth:`Report.plot` draws it with matplotlib (the ``plot`` extra);
:meth:`Report.to_pandas` gives the series as a DataFrame (the ``pandas`` extra); in a notebook a
report shows its summary table and chart.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimValueError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SERIES", "Report", "Summary", "terminal_chart"]

#: The per-period series every report has, with what they hold.
SERIES: dict[str, str] = {
    "iterator_age_max_s": "largest IteratorAge datapoint in the period (s; None if none)",
    "incoming_per_s": "records accepted by the stream per second",
    "processed_per_s": "records the mapping settled (checkpointed past) per second",
    "backlog_records": "records written but not yet settled, at the period's end",
    "concurrency_max": "most concurrent executions of the function during the period",
    "write_throttles": "PutRecords entries throttled by the shards' write limits",
    "read_throttles": "GetRecords calls throttled by the shards' read limits",
    "lambda_throttles": "invocations refused for lack of concurrency",
    "errors": "invocations that ended in a function error",
    "retries": "record-deliveries that repeated a delivery (retries, bisect halves)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """The numbers the issue asks for, over the whole run."""

    max_iterator_age_s: float
    p99_iterator_age_s: float
    records_generated: int
    records_put: int
    producer_throttled: int
    producer_gave_up: int
    records_processed: int
    records_expired: int
    records_to_destination: int
    records_unresolved: int
    duplicate_deliveries: int
    time_to_first_loss_s: float | None
    peak_concurrency: int
    invocations: int
    errors: int
    lambda_throttles: int
    write_throttles: int
    read_throttles: int
    monthly_cost_usd: float
    cost_lines: dict[str, float] = field(default_factory=dict)
    prices_as_of: str = ""

    @property
    def records_lost(self) -> int:
        """Records never processed successfully: expired or given up (sent to the destination)."""
        return self.records_expired + self.records_to_destination


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """The result of :meth:`Scenario.run`."""

    scenario: dict[str, Any]
    description: str
    period_s: int
    #: Start of each period, in virtual seconds from the run's start.
    times_s: list[float]
    series: dict[str, list[float | None]]
    summary: Summary
    #: Per-shard settled positions and write totals, for "which shard stalled".
    shards: dict[str, dict[str, int]]
    #: The engine that ran: ``"records"`` (every record simulated) or ``"aggregate"``.
    engine: str = "records"
    #: The aggregate engine's validated agreement with the record-level one (relative errors,
    #: and an absolute floor in seconds for iterator ages); None for the record-level engine.
    error_bound: dict[str, float] | None = None
    #: Why ``engine="auto"`` chose the engine it did (empty when the engine was asked for).
    engine_note: str = ""

    # -- data -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"]["records_lost"] = self.summary.records_lost
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON (keys sorted, so the same run gives the same text)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        summary = dict(data["summary"])
        summary.pop("records_lost", None)
        return cls(
            scenario=data["scenario"],
            description=data["description"],
            period_s=data["period_s"],
            times_s=data["times_s"],
            series=data["series"],
            summary=Summary(**summary),
            shards=data["shards"],
            engine=data.get("engine", "records"),
            error_bound=data.get("error_bound"),
            engine_note=data.get("engine_note", ""),
        )

    # -- text -------------------------------------------------------------------------------

    def summary_rows(self) -> list[tuple[str, str]]:
        """The summary as ``(label, value)`` rows: what :meth:`text` and a notebook show."""
        s = self.summary
        loss = "never" if s.time_to_first_loss_s is None else _duration(s.time_to_first_loss_s)
        rows = [
            (
                "iterator age",
                f"max {_duration(s.max_iterator_age_s)}, p99 {_duration(s.p99_iterator_age_s)}",
            ),
            (
                "records",
                f"{s.records_put:,} put, {s.records_processed:,} processed, "
                f"{s.records_unresolved:,} still pending",
            ),
            (
                "lost",
                f"{s.records_lost:,} ({s.records_expired:,} expired at retention, "
                f"{s.records_to_destination:,} sent to the on-failure destination); "
                f"first loss: {loss}",
            ),
            ("duplicates", f"{s.duplicate_deliveries:,} record deliveries repeated"),
            (
                "function",
                f"{s.invocations:,} invocations, {s.errors:,} errors, "
                f"{s.lambda_throttles:,} throttles, peak concurrency {s.peak_concurrency}",
            ),
            (
                "stream",
                f"{s.write_throttles:,} write throttles, {s.read_throttles:,} read throttles; "
                f"producer gave up on {s.producer_gave_up:,} of {s.records_generated:,} records",
            ),
            (
                "monthly cost",
                f"${s.monthly_cost_usd:,.2f} "
                f"(prices as of {s.prices_as_of}; {_cost_breakdown(s.cost_lines)})",
            ),
            ("engine", self.engine_line()),
        ]
        stalled = self.stalled_shards()
        if stalled:
            behind = ", ".join(
                f"{shard_id} ({self.shards[shard_id]['pending']:,} records behind)"
                for shard_id in stalled
            )
            rows.append(("stalled shards", behind))
        return rows

    def text(self, *, chart: bool = True, width: int = 64, height: int = 8) -> str:
        """The summary as terminal text, with a chart of iterator age over time."""
        lines = [
            *textwrap.wrap(self.description, width=100, subsequent_indent="  "),
            "",
            *(f"  {label:<18}{value}" for label, value in self.summary_rows()),
        ]
        if chart:
            lines += [
                "",
                terminal_chart(
                    self.times_s,
                    self.series["iterator_age_max_s"],
                    title="iterator age (max per period)",
                    width=width,
                    height=height,
                ),
            ]
        return "\n".join(lines)

    def engine_line(self) -> str:
        """Which engine ran, and the aggregate engine's error bound."""
        if self.engine != "aggregate" or not self.error_bound:
            text = "records (every record simulated)"
        else:
            b = self.error_bound
            text = (
                f"aggregate (validated against the record-level engine: counts within "
                f"{b['records_processed_and_lost_rel']:.0%}, iterator ages within "
                f"{b['iterator_age_rel']:.0%} or {b['iterator_age_abs_s']:g} s, throttles within "
                f"{b['throttles_rel']:.0%}, cost within {b['monthly_cost_rel']:.0%})"
            )
        return f"{text}; {self.engine_note}" if self.engine_note else text

    def stalled_shards(self) -> list[str]:
        """Shards whose backlog at the end is over a tenth of what was written to them."""
        out = []
        for shard_id, info in sorted(self.shards.items()):
            written = info["written"]
            if written and info["pending"] > max(10, written // 10):
                out.append(shard_id)
        return out

    # -- plot -------------------------------------------------------------------------------

    def plot(self, path: str | Path | None = None) -> Figure:
        """Draw iterator age, rates and concurrency over time; return the matplotlib ``Figure``
        and, given ``path``, also write it there (PNG, SVG, PDF... by the suffix).

        Needs matplotlib (the plot extra: ``pip install -e ".[plot]"`` from the clone). The
        figure is not registered with pyplot, so a notebook shows it once (as the cell's value)
        and a loop of plots holds no memory.
        """
        figure_class = _matplotlib_figure()
        minutes = [t / 60 for t in self.times_s]
        series = self.series
        fig = figure_class(figsize=(8, 6.5))
        ax_age, ax_rate, ax_conc = fig.subplots(3, 1, sharex=True)
        ages = [math.nan if v is None else v for v in series["iterator_age_max_s"]]
        ax_age.plot(minutes, ages, color="tab:red")
        ax_age.set_ylabel("iterator age (s)")
        ax_age.set_ylim(bottom=0)
        ax_age.set_title(str(self.scenario.get("name", "")), fontsize=9, loc="left")
        ax_rate.plot(minutes, _floats(series["incoming_per_s"]), label="incoming")
        ax_rate.plot(minutes, _floats(series["processed_per_s"]), label="processed")
        ax_rate.set_ylabel("records/s")
        ax_rate.set_ylim(bottom=0)
        ax_rate.legend(loc="upper right", fontsize=8)
        ax_conc.step(minutes, _floats(series["concurrency_max"]), where="post", color="tab:green")
        ax_conc.set_ylabel("concurrency")
        ax_conc.set_ylim(bottom=0)
        ax_conc.yaxis.get_major_locator().set_params(integer=True)
        ax_conc.set_xlabel("virtual minutes")
        for ax in (ax_age, ax_rate, ax_conc):
            ax.grid(alpha=0.3)
        fig.tight_layout()
        if path is not None:
            fig.savefig(Path(path), dpi=80)
        return fig

    # -- tables and notebooks ---------------------------------------------------------------

    def to_pandas(self) -> Any:  # a pandas.DataFrame (pandas is optional: no stubs needed)
        """The per-period series as a DataFrame: one row per period, indexed by its start in
        virtual seconds (``time_s``), one column per series of :data:`SERIES` (None → NaN).

        Needs pandas (the pandas extra: ``pip install -e ".[pandas]"``).
        """
        pd = _pandas()
        return pd.DataFrame(
            {name: _floats(values) for name, values in self.series.items()},
            index=pd.Index(self.times_s, name="time_s"),
        )

    def _repr_html_(self) -> str:
        """A notebook's view: the description, the summary table and the chart inline (an SVG
        from matplotlib if installed, else the text chart)."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(label)}</th>"
            f"<td style='text-align:left'>{escape(value)}</td></tr>"
            for label, value in self.summary_rows()
        )
        return (
            f"<div class='kinesim-report'><p>{escape(self.description)}</p>"
            f"<table>{rows}</table>{self._chart_html()}</div>"
        )

    def _chart_html(self) -> str:
        try:
            figure = self.plot()
        except KinesimValueError:  # no matplotlib: the terminal chart, as text
            chart = terminal_chart(
                self.times_s, self.series["iterator_age_max_s"], title="iterator age"
            )
            return f"<pre>{escape(chart)}</pre>"
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
        svg = buffer.getvalue()
        return svg[svg.index("<svg") :]


def _matplotlib_figure() -> type[Figure]:
    """matplotlib's ``Figure`` class, or a clear error naming the extra to install."""
    try:
        # NOTE: imported on use: matplotlib is an optional extra, and slow to import.
        from matplotlib.figure import Figure
    except ImportError:
        raise KinesimValueError(
            'Report.plot needs matplotlib: pip install -e ".[plot]" (from the clone)'
        ) from None
    return Figure


def _pandas() -> Any:
    """The pandas module, or a clear error naming the extra to install."""
    try:
        # NOTE: imported on use: pandas is an optional extra.
        return importlib.import_module("pandas")
    except ImportError:
        raise KinesimValueError(
            'to_pandas() needs pandas: pip install -e ".[pandas]" (from the clone)'
        ) from None


def _floats(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _cost_breakdown(lines: dict[str, float]) -> str:
    kinesis = sum(v for k, v in lines.items() if k.startswith("kinesis"))
    fan_out = sum(v for k, v in lines.items() if k.startswith("fan-out"))
    lam = sum(v for k, v in lines.items() if k.startswith("lambda"))
    parts = [f"Kinesis ${kinesis:,.2f}"]
    if fan_out:
        parts.append(f"fan-out ${fan_out:,.2f}")
    parts.append(f"Lambda ${lam:,.2f}")
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def terminal_chart(
    times_s: Sequence[float],
    values: Sequence[float | None],
    *,
    title: str = "",
    width: int = 64,
    height: int = 8,
) -> str:
    """A small ASCII column chart of ``values`` over ``times_s`` (max per column; gaps blank)."""
    if not values:
        return f"{title}: no data"
    columns = min(width, len(values))
    per = len(values) / columns
    cols: list[float | None] = []
    for c in range(columns):
        chunk = list(values[int(c * per) : max(int((c + 1) * per), int(c * per) + 1)])
        present = [v for v in chunk if v is not None]
        cols.append(max(present) if present else None)
    top = max((v for v in cols if v is not None), default=0.0)
    scale = top if top > 0 else 1.0
    label_w = max(len(_duration(top)), len(_duration(0)))
    rows = []
    for r in range(height, 0, -1):
        threshold = (r - 0.5) / height * scale
        label = _duration(top) if r == height else (_duration(0) if r == 1 else "")
        cells = "".join("#" if v is not None and v >= threshold and v > 0 else " " for v in cols)
        rows.append(f"{label:>{label_w}} |{cells}")
    end = times_s[-1] + (times_s[1] - times_s[0] if len(times_s) > 1 else 0)
    axis = f"{'':>{label_w}} +{'-' * columns}"
    end_label = _duration(end)
    ticks = f"{'':>{label_w}}  0{end_label:>{max(len(end_label) + 1, columns - 1)}}"
    head = [title] if title else []
    return "\n".join([*head, *rows, axis, ticks])
