"""CloudWatch-shaped metrics in virtual time, kept at CloudWatch's resolution.

A metric is identified as in CloudWatch by namespace, name and dimensions. It keeps its newest
datapoints as they came (the last ``raw_datapoints``, default 10,000, per metric) and folds older
ones, a whole period at a time, into statistics per period as CloudWatch stores them: SampleCount,
Sum, Minimum, Maximum and a fixed-size sketch for percentiles, in 1-minute periods (1-second ones
for a high-resolution metric) that age into 5-minute and then 1-hour periods
(:mod:`kinesim._observe.periods`). Memory per metric grows with virtual minutes, not with events.

:meth:`Metrics.get_metric_statistics` answers like ``GetMetricStatistics`` (statistics over
periods, empty periods left out); :meth:`Metrics.series` gives a :class:`Series` that tests can
read directly (``.values()``, ``.max()``, ``.percentile(99)``...).

Percentiles are nearest-rank values (the smallest datapoint with at least p% of datapoints at or
below it): exact over datapoints not yet folded and over periods holding at most
``sketch_size`` distinct values; otherwise within the sketch's stated rank error.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from kinesim._core.scheduler import to_epoch_ms
from kinesim._errors import KinesimTypeError, KinesimValueError
from kinesim._observe.frames import metrics_frame
from kinesim._observe.periods import (
    HIGH_RESOLUTION_AGING,
    STANDARD_AGING,
    Aging,
    PeriodStore,
    Stats,
    merge,
    weighted_percentile,
)

__all__ = [
    "DEFAULT_RAW_DATAPOINTS",
    "DEFAULT_SKETCH_SIZE",
    "STATISTICS",
    "Metrics",
    "Series",
]

STATISTICS = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,10})?|100)$")
#: Datapoints each metric keeps as they came before folding older ones into periods.
DEFAULT_RAW_DATAPOINTS = 10_000
#: Pairs a period's percentile sketch holds at most (see :mod:`kinesim._observe.periods`).
DEFAULT_SKETCH_SIZE = 32
#: Periods CloudWatch accepts for a high-resolution metric besides multiples of 60 s.
_HIGH_RESOLUTION_PERIODS = (1, 5, 10, 30)

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
    """The datapoints of one metric (namespace, name, dimensions), oldest first.

    The newest datapoints are kept as they came (:meth:`values`, :meth:`points`); older ones are
    folded into periods. The statistics (:meth:`count`, :meth:`sum`, :meth:`min`, :meth:`max`,
    :meth:`mean`) cover every datapoint ever added and are exact; :meth:`percentile` is exact
    until the sketch of a folded period is needed (see the module docs).
    """

    __slots__ = (
        "_fold_at",
        "_folded_end_ms",
        "_periods",
        "_raw_limit",
        "_times",
        "_values",
        "dimensions",
        "name",
        "namespace",
        "storage_resolution",
        "unit",
    )

    def __init__(
        self,
        namespace: str,
        name: str,
        dimensions: DimensionKey = (),
        unit: str = "None",
        *,
        storage_resolution: int = 60,
        raw_datapoints: int | None = DEFAULT_RAW_DATAPOINTS,
        aging: Sequence[Aging] | None = None,
        sketch_size: int = DEFAULT_SKETCH_SIZE,
    ) -> None:
        self.namespace = namespace
        self.name = name
        self.dimensions = dimensions
        self.unit = unit
        self.storage_resolution = storage_resolution
        if aging is None:
            aging = HIGH_RESOLUTION_AGING if storage_resolution == 1 else STANDARD_AGING
        self._periods = PeriodStore(aging, sketch_size)
        self._raw_limit = raw_datapoints
        # NOTE: add() only compares a length with this bound; folding is amortised over at
        # least raw_datapoints additions (bench_esm).
        self._fold_at = sys.maxsize if raw_datapoints is None else 2 * raw_datapoints
        self._folded_end_ms: int | None = None
        # NOTE: typed arrays hold a datapoint in 16 bytes where lists of int and float objects
        # take about 70 (bench_memory_days); appending costs the same.
        self._times = array("q")
        self._values = array("d")

    def add(self, time_ms: int, value: float) -> None:
        """Append a datapoint. Times never decrease (virtual time does not go back)."""
        self._times.append(time_ms)
        self._values.append(value)
        if len(self._times) > self._fold_at:
            self._fold()

    def _fold(self) -> None:
        """Fold the oldest whole periods into statistics, keeping ``raw_datapoints`` or more."""
        assert self._raw_limit is not None
        times = self._times
        kept_first = times[len(times) - self._raw_limit]
        boundary = kept_first - kept_first % self._periods.period_ms
        cut = bisect_left(times, boundary)
        if cut:
            self._periods.fold(times[:cut], self._values[:cut])
            del times[:cut]
            del self._values[:cut]
            self._folded_end_ms = boundary
            self._periods.age(times[-1])
        self._fold_at = len(times) + self._raw_limit

    def _refuse_folded(self, start_ms: int | None, end_ms: int | None) -> None:
        if self._folded_end_ms is None or (
            start_ms is not None and start_ms >= self._folded_end_ms
        ):
            return
        first = self._periods.first_ms()
        if first is None or (end_ms is not None and end_ms <= first):
            return
        raise KinesimValueError(
            f"{self!r}: datapoints before epoch ms {self._folded_end_ms} were folded into "
            f"{self._periods.period_ms // 1000}-second statistics (a metric keeps its last "
            f"{self._raw_limit} datapoints as they came); read them with "
            "Metrics.get_metric_statistics or Series.count/sum/min/max/percentile, ask for "
            f"values(start_ms={self._folded_end_ms}) onwards, or create the Simulator with "
            "metric_datapoints=None to keep every datapoint"
        )

    def _slice(self, start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
        lo = 0 if start_ms is None else bisect_left(self._times, start_ms)
        hi = len(self._times) if end_ms is None else bisect_left(self._times, end_ms)
        return lo, hi

    def values(self, start_ms: int | None = None, end_ms: int | None = None) -> list[float]:
        """Datapoint values, optionally those with ``start_ms <= time < end_ms``.

        Raises ``ValueError`` if the range reaches datapoints already folded into periods."""
        self._refuse_folded(start_ms, end_ms)
        lo, hi = self._slice(start_ms, end_ms)
        return self._values[lo:hi].tolist()

    def times(self) -> list[int]:
        """Datapoint times in epoch milliseconds (refused once some are folded)."""
        self._refuse_folded(None, None)
        return self._times.tolist()

    def points(self) -> list[tuple[int, float]]:
        """``(time_ms, value)`` pairs (refused once some are folded)."""
        self._refuse_folded(None, None)
        return list(zip(self._times.tolist(), self._values.tolist(), strict=True))

    def _raw_stats(self, lo: int, hi: int) -> Stats | None:
        if hi <= lo:
            return None
        chunk = self._values[lo:hi]
        pairs = sorted(Counter(chunk).items())
        return Stats(hi - lo, sum(chunk), min(chunk), max(chunk), pairs)

    def _all_stats(self) -> list[Stats]:
        stats = self._periods.all_stats()
        raw = self._raw_stats(0, len(self._values))
        return stats if raw is None else [*stats, raw]

    def __len__(self) -> int:
        return self._periods.total_count() + len(self._values)

    def count(self) -> int:
        return len(self)

    def sum(self) -> float:
        if self._folded_end_ms is None:
            return sum(self._values)
        return self._periods.total_sum() + sum(self._values)

    def max(self, default: float | None = None) -> float | None:
        if self._folded_end_ms is None:
            return max(self._values, default=default)
        return max(s.maximum for s in self._all_stats())

    def min(self, default: float | None = None) -> float | None:
        if self._folded_end_ms is None:
            return min(self._values, default=default)
        return min(s.minimum for s in self._all_stats())

    def mean(self) -> float | None:
        n = len(self)
        return self.sum() / n if n else None

    def last(self) -> float | None:
        return self._values[-1] if self._values else None

    def first_time_ms(self) -> int | None:
        """The start of the oldest data held (a folded period's start, else the oldest
        datapoint's time), or None when there is none."""
        first = self._periods.first_ms()
        if first is not None:
            return first
        return self._times[0] if self._times else None

    def last_time_ms(self) -> int | None:
        """The newest datapoint's time (epoch ms), or None when there are none."""
        return self._times[-1] if self._times else None

    def percentile(self, p: float) -> float | None:
        """The nearest-rank ``p``-th percentile, or None when there are no datapoints."""
        if not 0 < p <= 100:
            raise KinesimValueError(f"percentile p must be in (0, 100], got {p!r}")
        if self._folded_end_ms is None:
            return percentile_of(sorted(self._values), p) if self._values else None
        stats = self._all_stats()
        count = sum(s.count for s in stats)
        if not count:
            return None
        return weighted_percentile((pair for s in stats for pair in s.pairs), count, p)

    def period_stats(self, start_ms: int, end_ms: int, period_ms: int) -> list[tuple[int, Stats]]:
        """``(bucket start, statistics)`` for each non-empty ``[start + k*period, ...)`` bucket
        before ``end_ms``; the buckets must not split a stored period (callers align them)."""
        buckets: dict[int, list[Stats]] = {}
        for begin, _, stats in self._periods.periods(start_ms, end_ms):
            key = start_ms + (begin - start_ms) // period_ms * period_ms
            buckets.setdefault(key, []).append(stats)
        times = self._times
        lo = bisect_left(times, start_ms)
        stop = bisect_left(times, end_ms)
        while lo < stop:
            key = start_ms + (times[lo] - start_ms) // period_ms * period_ms
            hi = bisect_left(times, min(key + period_ms, end_ms), lo, stop)
            raw = self._raw_stats(lo, hi)
            assert raw is not None
            buckets.setdefault(key, []).append(raw)
            lo = hi
        # Unsummarised: a bucket's percentiles stay exact where its parts are.
        return [
            (key, group[0] if len(group) == 1 else merge(group, None))
            for key, group in sorted(buckets.items())
        ]

    def stored_width_ms(self, time_ms: int, now_ms: int) -> int:
        """The width of the periods that hold this metric's data from ``time_ms`` at ``now_ms``
        (CloudWatch rounds a query's start down to it)."""
        return self._periods.width_at(time_ms, now_ms)

    def bookkeeping(self) -> dict[str, int]:
        """How much the metric holds: raw datapoints, periods per width, sketch pairs."""
        sizes = {f"periods_{width // 1000}s": n for width, n in self._periods.sizes().items()}
        return {"raw": len(self._values), **sizes, "pairs": self._periods.pair_count()}

    def __repr__(self) -> str:
        dims = ",".join(f"{k}={v}" for k, v in self.dimensions)
        return f"<Series {self.namespace} {self.name} [{dims}] {len(self)} points>"


class Metrics:
    """Every metric a simulator emitted, addressed like CloudWatch.

    ``raw_datapoints`` is how many datapoints each metric keeps as they came (None: all, which
    makes memory grow with events); ``aging`` replaces CloudWatch's retention tiers for
    standard-resolution metrics; ``sketch_size`` bounds a period's percentile sketch.
    """

    def __init__(
        self,
        clock: _Clock,
        *,
        raw_datapoints: int | None = DEFAULT_RAW_DATAPOINTS,
        aging: Sequence[Aging] | None = None,
        sketch_size: int = DEFAULT_SKETCH_SIZE,
    ) -> None:
        if raw_datapoints is not None and (
            isinstance(raw_datapoints, bool)
            or not isinstance(raw_datapoints, int)
            or raw_datapoints < 1
        ):
            raise KinesimValueError(
                "metric_datapoints (raw datapoints kept per metric) must be a whole number "
                f">= 1 or None (keep every one), got {raw_datapoints!r}"
            )
        if isinstance(sketch_size, bool) or not isinstance(sketch_size, int) or sketch_size < 2:
            raise KinesimValueError(f"sketch_size must be a whole number >= 2, got {sketch_size!r}")
        if aging is not None:
            aging = tuple(aging)
            _check_aging(aging)
        self._clock = clock
        self._raw_datapoints = raw_datapoints
        self._aging = aging
        self._sketch_size = sketch_size
        self._series: dict[tuple[str, str, DimensionKey], Series] = {}

    def handle(
        self,
        namespace: str,
        name: str,
        dimensions: Mapping[str, str] | None = None,
        unit: str = "None",
        *,
        storage_resolution: int = 60,
    ) -> Series:
        """The registered series for a metric, created on first use; hot paths keep it and
        call :meth:`Series.add` directly. ``storage_resolution`` is 60 (standard) or 1
        (high resolution, as PutMetricData's StorageResolution); the first use fixes it."""
        key = (namespace, name, _dimension_key(dimensions))
        series = self._series.get(key)
        if series is None:
            if storage_resolution not in (1, 60):
                raise KinesimValueError(
                    f"storage_resolution must be 1 or 60 (as CloudWatch's), got "
                    f"{storage_resolution!r}"
                )
            aging = self._aging if storage_resolution == 60 else None
            series = self._series[key] = Series(
                namespace,
                name,
                key[2],
                unit,
                storage_resolution=storage_resolution,
                raw_datapoints=self._raw_datapoints,
                aging=aging,
                sketch_size=self._sketch_size,
            )
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
        storage_resolution: int = 60,
    ) -> None:
        """Record ``value`` at the current virtual time (``storage_resolution=1`` for a
        high-resolution metric, as PutMetricData's StorageResolution)."""
        self.handle(namespace, name, dimensions, unit, storage_resolution=storage_resolution).add(
            self._clock.now_ms, value
        )

    def series(self, namespace: str, name: str, **dimensions: str) -> Series:
        """The datapoints of the metric with exactly these dimensions.

        The series is live: one asked for before anything was emitted fills as datapoints come.
        """
        return self.handle(namespace, name, dimensions)

    def to_pandas(
        self,
        namespace: str | None = None,
        name: str | None = None,
        *,
        period: int | None = None,
        **dims: str,
    ) -> Any:
        """Matching datapoints as a pandas DataFrame, one row each: ``namespace``, ``metric``,
        ``time`` (UTC), ``value``, ``unit`` and one column per dimension (the pandas extra).
        With ``period`` (seconds, as ``get_metric_statistics`` takes it), one row per period
        instead, with its SampleCount, Sum, Minimum, Maximum and Average: what a long run can
        still give once older datapoints are folded into 1-minute statistics."""
        return metrics_frame(self, namespace, name, period=period, **dims)

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

    def bookkeeping(self) -> dict[str, int]:
        """Totals over every metric of what :meth:`Series.bookkeeping` reports."""
        totals: Counter[str] = Counter()
        for series in self._series.values():
            totals.update(series.bookkeeping())
        return {key: totals[key] for key in sorted(totals)}

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

        As CloudWatch: ``period`` is a multiple of 60 seconds (or 1, 5, 10 or 30 for a
        high-resolution metric); ``start`` is rounded down to the stored periods' width at its
        age (a minute for data under 15 days old, 5 minutes to 63 days, an hour beyond); the
        periods are ``[start + k*period, start + (k+1)*period)``, a period with no datapoints
        gives no datapoint, and a ``period`` that is not a multiple of the width of the data at
        ``start`` gives no datapoints. Datapoints come sorted by time.
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
        high_resolution = series is not None and series.storage_resolution == 1
        if period % 60 and not (high_resolution and period in _HIGH_RESOLUTION_PERIODS):
            raise KinesimValueError(
                f"period {period} is not a multiple of 60 seconds: CloudWatch keeps "
                f"{namespace} {name} at 1-minute resolution. Use period=60 (or a multiple); "
                "periods of 1, 5, 10 or 30 s need a high-resolution metric "
                "(storage_resolution=1)"
            )
        if series is None:
            return {"Label": name, "Datapoints": []}
        width_ms = series.stored_width_ms(start_ms, self._clock.now_ms)
        start_ms -= start_ms % width_ms
        period_ms = period * 1000
        if period_ms % width_ms:
            return {"Label": name, "Datapoints": []}
        datapoints: list[dict[str, Any]] = []
        for bucket_ms, bucket in series.period_stats(start_ms, end_ms, period_ms):
            point: dict[str, Any] = {
                "Timestamp": datetime.fromtimestamp(bucket_ms / 1000, timezone.utc),
                "Unit": series.unit,
            }
            for stat in stats:
                point[stat] = _statistic(stat, bucket)
            if extended:
                point["ExtendedStatistics"] = {
                    label: weighted_percentile(bucket.pairs, bucket.count, p)
                    for label, p in extended
                }
            datapoints.append(point)
        return {"Label": name, "Datapoints": datapoints}


def _check_aging(aging: Sequence[Aging]) -> None:
    if not aging or not all(isinstance(tier, Aging) for tier in aging):
        raise KinesimTypeError(
            f"aging takes a non-empty sequence of kinesim Aging(period_ms, keep_ms), got {aging!r}"
        )
    for finer, coarser in itertools.pairwise(aging):
        if coarser.period_ms % finer.period_ms or coarser.keep_ms <= finer.keep_ms:
            raise KinesimValueError(
                "each aging tier's period_ms must be a multiple of the previous one's and its "
                f"keep_ms longer: {finer} then {coarser}"
            )
    if aging[0].period_ms % 60_000:
        raise KinesimValueError(
            f"standard-resolution periods are whole minutes; the finest tier is {aging[0]}"
        )


def _statistic(stat: str, bucket: Stats) -> float:
    if stat == "SampleCount":
        return float(bucket.count)
    if stat == "Sum":
        return float(bucket.total)
    if stat == "Average":
        return bucket.total / bucket.count
    if stat == "Minimum":
        return float(bucket.minimum)
    return float(bucket.maximum)
