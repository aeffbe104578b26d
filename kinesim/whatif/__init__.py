"""Capacity what-if: simulate virtual hours of a Kinesis → Lambda pipeline in seconds.

>>> from kinesim.whatif import Scenario, Poisson
>>> report = Scenario(shards=2, arrivals=Poisson(rate=200), simulated_s=600).run()
>>> report.summary.max_iterator_age_s  # doctest: +SKIP

A :class:`Scenario` names a stream, a function (a duration model), a mapping, a workload and
faults; :meth:`Scenario.run` returns a :class:`Report`, from the record-level engine or, for
production sizes, the aggregate one (``engine=``; :data:`AUTO_RECORDS_THRESHOLD`,
:data:`ERROR_BOUND`). :func:`sweep` runs a grid of scenarios on any
``concurrent.futures.Executor``. This subpackage is not imported by ``import kinesim``, and
imports numpy only when the aggregate engine runs.
"""

from __future__ import annotations

from kinesim.whatif._aggregate_parts import AUTO_RECORDS_THRESHOLD, ERROR_BOUND
from kinesim.whatif._cli import demo_scenario
from kinesim.whatif._faults import Faults, SlowPeriod, ThrottlePeriod
from kinesim.whatif._pricing import (
    HOURS_PER_MONTH,
    US_EAST_1,
    CostEstimate,
    PriceTable,
    Usage,
    monthly_cost,
)
from kinesim.whatif._producer import ProducerConfig
from kinesim.whatif._report import SERIES, Report, Summary, terminal_chart
from kinesim.whatif._scenario import Scenario, parse_seconds
from kinesim.whatif._sweep import SweepResult, SweepRow, grid_points, sweep
from kinesim.whatif._workload import (
    ArrivalProcess,
    Bursts,
    ConstantRate,
    CsvReplay,
    CycleKeys,
    DailyCurve,
    EmpiricalSize,
    FixedSize,
    HotKey,
    KeyDistribution,
    LogNormalSize,
    Poisson,
    SizeDistribution,
    TraceReplay,
    UniformKeys,
    UniformSize,
    ZipfKeys,
)

__all__ = [
    "AUTO_RECORDS_THRESHOLD",
    "ERROR_BOUND",
    "HOURS_PER_MONTH",
    "SERIES",
    "US_EAST_1",
    "ArrivalProcess",
    "Bursts",
    "ConstantRate",
    "CostEstimate",
    "CsvReplay",
    "CycleKeys",
    "DailyCurve",
    "EmpiricalSize",
    "Faults",
    "FixedSize",
    "HotKey",
    "KeyDistribution",
    "LogNormalSize",
    "Poisson",
    "PriceTable",
    "ProducerConfig",
    "Report",
    "Scenario",
    "SizeDistribution",
    "SlowPeriod",
    "Summary",
    "SweepResult",
    "SweepRow",
    "ThrottlePeriod",
    "TraceReplay",
    "UniformKeys",
    "UniformSize",
    "Usage",
    "ZipfKeys",
    "demo_scenario",
    "grid_points",
    "monthly_cost",
    "parse_seconds",
    "sweep",
    "terminal_chart",
]
