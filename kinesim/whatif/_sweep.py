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
from concurrent.futures import Executor, Future, as_completed
from dataclasses import asdict, dataclass
from typing import Any

from kinesim._errors import KinesimValueError
from kinesim.whatif._engines import check_engine
from kinesim.whatif._report import Summary
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

    def table(self) -> str:
        """A plain-text table, one row per grid point, and the verdict."""
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
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head]]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in body]
        if self.target_iterator_age_s is not None:
            best = self.cheapest
            target = f"max iterator age <= {self.target_iterator_age_s:g}s, no records lost"
            if best is None:
                lines.append(f"\nno configuration meets the target ({target})")
            else:
                settings = ", ".join(f"{k}={v}" for k, v in best.overrides.items())
                lines.append(
                    f"\ncheapest meeting the target ({target}): {settings} "
                    f"at ${best.summary.monthly_cost_usd:,.2f}/month"
                )
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
    progress: Callable[[int, int], object] | None = None,
    engine: str = "auto",
) -> SweepResult:
    """Run ``base`` overridden by every point of ``grid`` (see :func:`grid_points`).

    ``executor`` is any ``concurrent.futures.Executor`` (None runs here, one after another);
    ``progress(done, total)`` is called as runs finish; ``engine`` is each run's engine
    (``"records"``, ``"aggregate"`` or ``"auto"``, see :meth:`Scenario.run`).
    """
    check_engine(engine)
    points = grid_points(grid)
    scenarios = [base.with_overrides(point) for point in points]
    summaries: list[Summary]
    if executor is None:
        summaries = []
        for k, scenario in enumerate(scenarios):
            summaries.append(run_summary(scenario, engine))
            if progress is not None:
                progress(k + 1, len(scenarios))
    else:
        futures: list[Future[Summary]] = [
            executor.submit(run_summary, s, engine) for s in scenarios
        ]
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done, len(futures))
        summaries = [f.result() for f in futures]
    rows = [
        SweepRow(
            point,
            summary,
            None if target_iterator_age_s is None else meets(summary, target_iterator_age_s),
        )
        for point, summary in zip(points, summaries, strict=True)
    ]
    return SweepResult(rows, target_iterator_age_s)
