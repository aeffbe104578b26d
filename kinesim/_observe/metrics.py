"""CloudWatch-shaped metrics in virtual time.

A metric is identified as in CloudWatch by namespace, name and dimensions; each holds timestamped
datapoints. :meth:`Metrics.get_metric_statistics` answers like ``GetMetricStatistics`` (statistics
over periods, empty periods left out); :meth:`Metrics.series` gives a :class:`Series` that tests can
read directly (``.values()``, ``.max()``, ``.percentile(99)``...).

Percentiles are exact nearest-rank values (the smallest datapoint with at least p% of datapoints at
or below it); CloudWatch estimates them, which the fidelity page notes.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from kinesim._core.scheduler import to_epoch_ms
from kinesim._errors import KinesimTypeError, KinesimValueError
from kinesim._observe.frames import metrics_frame

__all__ = ["STATISTICS", "Metrics", "Series"]

STATISTICS = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,10})?|100)$")

DimensionKey = tuple[tuple[str, str], ...]


class _Clock(Protocol):
    @property
    def now_ms(self) -> int: ...


def _dimension_key(dimensions: Mapping[str, str] | None) -> DimensionKey:
    if not dimensions:
        return ()
    return tuple(sorted((str(name), str(value)) for name, value in dimensions.items()))


def percentile_of(sorted_values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of non-empty, ascending values."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _parse_percentile(name: str) -> float:
    match = _PERCENTILE.match(name)
    if match is None or not 0 < float(match.group(1)) <= 100:
        raise KinesimValueError(
            f"unknown extended statistic {name!r}: write a percentile as 'p' and a number in "
            "(0, 100], e.g. 'p99' or 'p99.9'"
        )
    return float(match.group(1))


class Series:
    """The datapoints of one metric (namespace, name, dimensions), oldest first."""

    __slots__ = ("_times", "_values", "dimensions", "name", "namespace", "unit")

    def __init__(
        self, namespace: str, name: str, dimensions: DimensionKey = (), unit: str = "None"
    ) -> None:
        self.namespace = namespace
        self.name = name
        self.dimensions = dimensions
        self.unit = unit
        self._times: list[int] = []
        self._values: list[float] = []

    def add(self, time_ms: int, value: float) -> None:
        """Append a datapoint. Times never decrease (virtual time does not go back)."""
        self._times.append(time_ms)
        self._values.append(value)

    def _slice(self, start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
        lo = 0 if start_ms is None else bisect_left(self._times, start_ms)
        hi = len(self._times) if end_ms is None else bisect_left(self._times, end_ms)
        return lo, hi

    def values(self, start_ms: int | None = None, end_ms: int | None = None) -> list[float]:
        """Datapoint values, optionally those with ``start_ms <= time < end_ms``."""
        lo, hi = self._slice(start_ms, end_ms)
        return self._values[lo:hi]

    def times(self) -> list[int]:
        """Datapoint times in epoch milliseconds."""
        return list(self._times)

    def points(self) -> list[tuple[int, float]]:
        """``(time_ms, value)`` pairs."""
        return list(zip(self._times, self._values, strict=False))

    def __len__(self) -> int:
        return len(self._values)

    def count(self) -> int:
        return len(self._values)

    def sum(self) -> float:
        return sum(self._values)

    def max(self, default: float | None = None) -> float | None:
        return max(self._values, default=default)

    def min(self, default: float | None = None) -> float | None:
        return min(self._values, default=default)

    def mean(self) -> float | None:
        return sum(self._values) / len(self._values) if self._values else None

    def last(self) -> float | None:
        return self._values[-1] if self._values else None

    def percentile(self, p: float) -> float | None:
        """The nearest-rank ``p``-th percentile, or None when there are no datapoints."""
        if not 0 < p <= 100:
            raise KinesimValueError(f"percentile p must be in (0, 100], got {p!r}")
        return percentile_of(sorted(self._values), p) if self._values else None

    def __repr__(self) -> str:
        dims = ",".join(f"{k}={v}" for k, v in self.dimensions)
        return f"<Series {self.namespace} {self.name} [{dims}] {len(self)} points>"


class Metrics:
    """Every metric a simulator emitted, addressed like CloudWatch."""

    def __init__(self, clock: _Clock) -> None:
        self._clock = clock
        self._series: dict[tuple[str, str, DimensionKey], Series] = {}

    def handle(
        self,
        namespace: str,
        name: str,
        dimensions: Mapping[str, str] | None = None,
        unit: str = "None",
    ) -> Series:
        """The registered series for a metric, created on first use; hot paths keep it and
        call :meth:`Series.add` directly."""
        key = (namespace, name, _dimension_key(dimensions))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = Series(namespace, name, key[2], unit)
        elif series.unit == "None" and unit != "None":
            series.unit = unit  # a reader asked for it before its emitter named the unit
        return series

    def put(
        self,
        namespace: str,
        name: str,
        value: float,
        *,
        dimensions: Mapping[str, str] | None = None,
        unit: str = "None",
    ) -> None:
        """Record ``value`` at the current virtual time."""
        self.handle(namespace, name, dimensions, unit).add(self._clock.now_ms, value)

    def series(self, namespace: str, name: str, **dimensions: str) -> Series:
        """The datapoints of the metric with exactly these dimensions.

        The series is live: one asked for before anything was emitted fills as datapoints come.
        """
        return self.handle(namespace, name, dimensions)

    def to_pandas(self, namespace: str | None = None, name: str | None = None, **dims: str) -> Any:
        """Matching datapoints as a pandas DataFrame, one row each: ``namespace``, ``metric``,
        ``time`` (UTC), ``value``, ``unit`` and one column per dimension (the pandas extra)."""
        return metrics_frame(self, namespace, name, **dims)

    def list_metrics(
        self, namespace: str | None = None, name: str | None = None
    ) -> list[tuple[str, str, dict[str, str]]]:
        """``(namespace, name, dimensions)`` of every metric with datapoints, sorted."""
        keys = sorted(
            key
            for key, series in self._series.items()
            if len(series) and namespace in (None, key[0]) and name in (None, key[1])
        )
        return [(ns, metric, dict(dims)) for ns, metric, dims in keys]

    def get_metric_statistics(
        self,
        namespace: str,
        name: str,
        *,
        start: datetime | float,
        end: datetime | float,
        period: int,
        statistics: Iterable[str] = (),
        extended_statistics: Iterable[str] = (),
        dimensions: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Statistics per period, shaped like CloudWatch's ``GetMetricStatistics`` response.

        Periods are ``[start + k*period, start + (k+1)*period)`` for whole seconds ``period``;
        a period with no datapoints gives no datapoint. Datapoints come sorted by time.
        """
        if isinstance(period, bool) or not isinstance(period, int) or period < 1:
            raise KinesimValueError(
                f"period must be a whole number of seconds >= 1, got {period!r}"
            )
        stats = list(statistics)
        unknown = [s for s in stats if s not in STATISTICS]
        if unknown:
            raise KinesimValueError(f"unknown statistics {unknown}; choose from {list(STATISTICS)}")
        if isinstance(extended_statistics, str):
            raise KinesimTypeError("extended_statistics takes a list such as ['p99']")
        extended = [(p, _parse_percentile(p)) for p in extended_statistics]
        if not stats and not extended:
            raise KinesimValueError("ask for at least one of statistics or extended_statistics")
        start_ms, end_ms = to_epoch_ms(start, "start"), to_epoch_ms(end, "end")
        if end_ms <= start_ms:
            raise KinesimValueError(f"end ({end!r}) must be after start ({start!r})")

        series = self._series.get((namespace, name, _dimension_key(dimensions)))
        datapoints: list[dict[str, Any]] = []
        period_ms = period * 1000
        for bucket_ms in range(start_ms, end_ms, period_ms):
            values = (
                []
                if series is None
                else series.values(bucket_ms, min(bucket_ms + period_ms, end_ms))
            )
            if not values:
                continue
            point: dict[str, Any] = {
                "Timestamp": datetime.fromtimestamp(bucket_ms / 1000, timezone.utc),
                "Unit": series.unit if series is not None else "None",
            }
            for stat in stats:
                point[stat] = _statistic(stat, values)
            if extended:
                ordered = sorted(values)
                point["ExtendedStatistics"] = {
                    label: percentile_of(ordered, p) for label, p in extended
                }
            datapoints.append(point)
        return {"Label": name, "Datapoints": datapoints}


def _statistic(stat: str, values: list[float]) -> float:
    if stat == "SampleCount":
        return float(len(values))
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Minimum":
        return float(min(values))
    return float(max(values))
