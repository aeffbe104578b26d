"""Choosing between the two what-if engines for a scenario.

- ``"records"``: :mod:`kinesim.whatif._engine`, every record through the stream, function and
  mapping models (exact as those models are; cost grows with the records).
- ``"aggregate"``: :mod:`kinesim.whatif._aggregate`, records as counts per lane and second (cost
  grows with shards x seconds; agreement with the record-level engine within
  :data:`~kinesim.whatif._aggregate_parts.ERROR_BOUND`). Needs numpy (the ``aggregate`` extra).
- ``"auto"``: the aggregate engine when the run is expected to put more than
  :data:`~kinesim.whatif._aggregate_parts.AUTO_RECORDS_THRESHOLD` records, it can model the
  scenario and numpy is installed; the record-level engine otherwise.

Neither engine module is imported until a run needs it: the aggregate one imports numpy.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING

from kinesim._errors import KinesimValueError
from kinesim.whatif._aggregate_parts import (
    AUTO_RECORDS_THRESHOLD,
    expected_records,
    unsupported_features,
)

if TYPE_CHECKING:
    from kinesim.whatif._report import Report
    from kinesim.whatif._scenario import Scenario

__all__ = ["ENGINES", "check_engine", "choose_engine", "run_with_engine"]

ENGINES = ("auto", "records", "aggregate")


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise KinesimValueError(f"engine must be one of {ENGINES}, got {engine!r}")


def _numpy_installed() -> bool:
    return importlib.util.find_spec("numpy") is not None


def choose_engine(scenario: Scenario, engine: str = "auto") -> tuple[str, str]:
    """The engine that runs ``scenario`` and, for ``"auto"``, why. ``"aggregate"`` refuses (a
    ``ValueError`` naming the feature) what it cannot model, or a missing numpy."""
    check_engine(engine)
    missing = unsupported_features(scenario)
    if engine == "records":
        return "records", ""
    if engine == "aggregate":
        if missing:
            raise KinesimValueError(
                "the aggregate engine does not model " + "; ".join(missing) + ": run this "
                "scenario with engine='records' (--engine records), or 'auto'"
            )
        if not _numpy_installed():
            raise KinesimValueError(
                'the aggregate engine needs numpy: pip install -e ".[aggregate]" from the clone'
            )
        return "aggregate", ""
    expected = expected_records(scenario)
    if expected <= AUTO_RECORDS_THRESHOLD:
        return "records", (
            f"auto: about {expected:,.0f} records, at most {AUTO_RECORDS_THRESHOLD:,} "
            "simulated one by one"
        )
    if missing:
        return "records", "auto: the aggregate engine does not model " + "; ".join(missing)
    if not _numpy_installed():
        return (
            "records",
            'auto: numpy is not installed (pip install -e ".[aggregate]" from the clone)',
        )
    return "aggregate", (f"auto: about {expected:,.0f} records, over {AUTO_RECORDS_THRESHOLD:,}")


def run_with_engine(
    scenario: Scenario,
    *,
    engine: str = "auto",
    progress: Callable[[float], object] | None = None,
) -> Report:
    """Run ``scenario`` on the engine :func:`choose_engine` picks; the report names it."""
    import dataclasses

    name, note = choose_engine(scenario, engine)
    if name == "aggregate":
        # NOTE: imported here, not at the top: it imports numpy, which only this engine needs.
        from kinesim.whatif._aggregate import run_aggregate

        report = run_aggregate(scenario, progress=progress)
    else:
        from kinesim.whatif._engine import run_scenario

        report = run_scenario(scenario, progress=progress)
    return dataclasses.replace(report, engine_note=note)
