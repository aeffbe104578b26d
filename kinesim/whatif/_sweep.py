"""Parameter sweeps: run a grid of scenarios through any ``concurrent.futures.Executor``.

Each grid point is the base scenario with some fields overridden; each run is a pure function of
its scenario (seed included), so the results are the same run serially, in a process pool or on a
Dask cluster (``distributed.Client(address).get_executor()``), and come back in grid order
whatever order the workers finish in.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from html import escape
from multiprocessing import Manager
from typing import Any

from kinesim._errors import KinesimValueError
from kinesim.whatif._engines import check_engine
from kinesim.whatif._report import Summary, _pandas
from kinesim.whatif._scenario import Scenario

__all__ = ["SweepResult", "SweepRow", "grid_points", "run_summary", "sweep"]


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of ``grid``, first key varying slowest."""
    for name, values in grid.items():
        if isinstance(values, (str, bytes)) or not values:
            raise KinesimValueError(
                f"grid {name!r} takes a non-empty list of values, got {values!r}"
            )
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def run_summary(scenario: Scenario, engine: str = "auto") -> Summary:
    """Run one scenario and keep its summary (what a worker sends back: small and picklable)."""
    return scenario.run(engine=engine).summary


@dataclass(frozen=True, slots=True)
class SweepRow:
    overrides: dict[str, Any]
    summary: Summary
    meets_target: bool | None


@dataclass(frozen=True, slots=True)
class SweepResult:
    """Rows in grid order; :attr:`cheapest` is the cheapest row meeting the target."""

    rows: list[SweepRow]
    target_iterator_age_s: float | None

    @property
    def cheapest(self) -> SweepRow | None:
        meeting = [row for row in self.rows if row.meets_target]
        return min(meeting, key=lambda r: r.summary.monthly_cost_usd) if meeting else None

    def to_json(self) -> str:
        return json.dumps(
            {
                "target_iterator_age_s": self.target_iterator_age_s,
                "rows": [
                    {
                        "overrides": row.overrides,
                        "summary": asdict(row.summary),
                        "meets_target": row.meets_target,
                    }
                    for row in self.rows
                ],
                "cheapest": None if self.cheapest is None else self.cheapest.overrides,
            },
            indent=2,
            sort_keys=True,
        )

    def to_pandas(self) -> Any:  # a pandas.DataFrame (pandas is optional: no stubs needed)
        """One row per grid point: its settings, every summary figure, and ``meets_target``.

        Needs pandas (the pandas extra: ``pip install -e ".[pandas]"``)."""
        rows = [
            {
                **row.overrides,
                **{k: v for k, v in asdict(row.summary).items() if k != "cost_lines"},
                "records_lost": row.summary.records_lost,
                "meets_target": row.meets_target,
            }
            for row in self.rows
        ]
        return _pandas().DataFrame(rows)

    def _repr_html_(self) -> str:
        """A notebook's view: the table and the verdict."""
        head, body = self._cells()
        rows = [
            "<tr>" + "".join(f"<th>{escape(c)}</th>" for c in head) + "</tr>",
            *("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in body),
        ]
        verdict = self._verdict()
        note = "" if verdict is None else f"<p>{escape(verdict)}</p>"
        return f"<div class='kinesim-sweep'><table>{''.join(rows)}</table>{note}</div>"

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        names = list(self.rows[0].overrides) if self.rows else []
        head = [*names, "max age", "p99 age", "lost", "gave up", "peak conc", "$/month"]
        if self.target_iterator_age_s is not None:
            head.append("meets")
        body = []
        for row in self.rows:
            s = row.summary
            cells = [str(row.overrides[n]) for n in names] + [
                f"{s.max_iterator_age_s:.1f}s",
                f"{s.p99_iterator_age_s:.1f}s",
                f"{s.records_lost:,}",
                f"{s.producer_gave_up:,}",
                str(s.peak_concurrency),
                f"{s.monthly_cost_usd:,.2f}",
            ]
            if self.target_iterator_age_s is not None:
                cells.append("yes" if row.meets_target else "no")
            body.append(cells)
        return head, body

    def _verdict(self) -> str | None:
        if self.target_iterator_age_s is None:
            return None
        best = self.cheapest
        target = f"max iterator age <= {self.target_iterator_age_s:g}s, no records lost"
        if best is None:
            return f"no configuration meets the target ({target})"
        settings = ", ".join(f"{k}={v}" for k, v in best.overrides.items())
        return (
            f"cheapest meeting the target ({target}): {settings} "
            f"at ${best.summary.monthly_cost_usd:,.2f}/month"
        )

    def table(self) -> str:
        """A plain-text table, one row per grid point, and the verdict."""
        head, body = self._cells()
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head]]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in body]
        verdict = self._verdict()
        if verdict is not None:
            lines.append(f"\n{verdict}")
        return "\n".join(lines)


def meets(summary: Summary, target_iterator_age_s: float) -> bool:
    """The target: the largest iterator age at most the target, and no record lost."""
    return (
        summary.max_iterator_age_s <= target_iterator_age_s
        and summary.records_lost == 0
        and summary.producer_gave_up == 0
    )


def sweep(
    base: Scenario,
    grid: Mapping[str, Sequence[Any]],
    *,
    executor: Executor | None = None,
    target_iterator_age_s: float | None = None,
    progress: Callable[[float, float], object] | None = None,
    engine: str = "auto",
) -> SweepResult:
    """Run ``base`` overridden by every point of ``grid`` (see :func:`grid_points`).

    ``executor`` is any ``concurrent.futures.Executor`` (None runs here, one after another).
    ``progress(done_s, total_s)`` is called as the runs advance, with the virtual seconds
    simulated so far across all runs and their total: inside each run when the runs are here,
    in threads or in a ``ProcessPoolExecutor``; as each run finishes on other executors (Dask).
    Progress never changes the results. ``engine`` is each run's engine (``"records"``,
    ``"aggregate"`` or ``"auto"``, see :meth:`Scenario.run`).
    """
    check_engine(engine)
    points = grid_points(grid)
    scenarios = [base.with_overrides(point) for point in points]
    spans = [scenario.simulated_s for scenario in scenarios]
    total_s = sum(spans)
    summaries: list[Summary]
    if executor is None:
        summaries = []
        done_s = 0.0
        for scenario, span in zip(scenarios, spans, strict=True):
            if progress is None:
                summaries.append(run_summary(scenario, engine))
            else:
                within = _Within(progress, done_s, span, total_s)
                summaries.append(scenario.run(progress=within, engine=engine).summary)
                progress(done_s + span, total_s)
            done_s += span
    else:
        summaries = _run_on(executor, scenarios, spans, progress, engine)
    rows = [
        SweepRow(
            point,
            summary,
            None if target_iterator_age_s is None else meets(summary, target_iterator_age_s),
        )
        for point, summary in zip(points, summaries, strict=True)
    ]
    return SweepResult(rows, target_iterator_age_s)


@dataclass(frozen=True, slots=True)
class _Within:
    """Turns one run's ``progress(fraction)`` into the sweep's ``progress(done_s, total_s)``."""

    progress: Callable[[float, float], object]
    before_s: float
    span_s: float
    total_s: float

    def __call__(self, fraction: float) -> None:
        self.progress(self.before_s + fraction * self.span_s, self.total_s)


def _run_reporting(scenario: Scenario, index: int, fractions: Any, engine: str) -> Summary:
    """A worker's run that writes how far it got into ``fractions[index]`` (a shared dict)."""
    return scenario.run(progress=lambda f: fractions.__setitem__(index, f), engine=engine).summary


def _run_on(
    executor: Executor,
    scenarios: list[Scenario],
    spans: list[float],
    progress: Callable[[float, float], object] | None,
    engine: str,
) -> list[Summary]:
    total_s = sum(spans)
    with ExitStack() as stack:
        fractions: Any = None
        if progress is not None and isinstance(executor, ThreadPoolExecutor):
            fractions = {}
        elif progress is not None and isinstance(executor, ProcessPoolExecutor):
            # A manager's dict reaches the pool's processes; Dask workers may be on other
            # machines, so there progress moves as runs finish.
            fractions = stack.enter_context(Manager()).dict()
        futures: list[Future[Summary]] = [
            executor.submit(run_summary, s, engine)
            if fractions is None
            else executor.submit(_run_reporting, s, k, fractions, engine)
            for k, s in enumerate(scenarios)
        ]
        pending = set(futures)
        last = -1.0
        while pending:
            _, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            if progress is None:
                continue
            partial = dict(fractions) if fractions is not None else {}
            done_s = sum(
                span if future.done() else span * partial.get(k, 0.0)
                for k, (future, span) in enumerate(zip(futures, spans, strict=True))
            )
            if done_s != last:
                progress(done_s, total_s)
                last = done_s
        return [future.result() for future in futures]
