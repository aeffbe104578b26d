"""A metric's compacted history: statistics per period, as CloudWatch stores them.

A metric's datapoints are folded, a whole period at a time, into one row of statistics per
period: SampleCount, Sum, Minimum, Maximum and a *sketch* of the values for percentiles. Rows
are kept in columns (``array``), so a period costs about 48 bytes plus its sketch, whatever the
number of datapoints it summarises. Periods age as CloudWatch ages them: finer periods older
than their tier's horizon merge into the next tier's coarser periods, and periods older than
the last tier's horizon are dropped.

The sketch of a period is a list of ``(value, weight)`` pairs sorted by value, weights summing to
SampleCount:

- while the period holds at most ``sketch_size`` distinct values, the pairs are those values and
  their counts, and every percentile is exact;
- otherwise the pairs are the values at ranks ``r_i = ceil(i * n / K)`` (i = 1..K) of the sorted
  values, each weighted ``r_i - r_(i-1)``. A nearest-rank percentile read from it is an actual
  datapoint of the period whose rank is at most ``ceil(n / K)`` above the exact one; over a
  query period made of several stored periods the rank errors add up, so the error is at most
  ``n / K`` ranks plus one per stored period (1/32 of the samples with the default ``K = 32``).
  An aging step that merges periods into one with more than K distinct pairs summarises again,
  adding at most another ``n / K`` ranks.

A period whose Minimum equals its Maximum stores no pairs (every value is the Minimum).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Aging", "PeriodStore", "Stats", "summarise", "weighted_percentile"]

_DAY_MS = 86_400_000

Pairs = list[tuple[float, int]]


@dataclass(frozen=True, slots=True)
class Aging:
    """One storage tier: periods ``period_ms`` wide, kept until they are ``keep_ms`` old."""

    period_ms: int
    keep_ms: int


#: CloudWatch's retention of standard-resolution datapoints: 1-minute periods for 15 days, then
#: 5-minute periods for 63 days, then 1-hour periods for 455 days (15 months).
STANDARD_AGING = (
    Aging(60_000, 15 * _DAY_MS),
    Aging(300_000, 63 * _DAY_MS),
    Aging(3_600_000, 455 * _DAY_MS),
)
#: High-resolution (1-second) datapoints are kept 3 hours, then age as standard ones.
HIGH_RESOLUTION_AGING = (Aging(1_000, 3 * 3_600_000), *STANDARD_AGING)


@dataclass(frozen=True, slots=True)
class Stats:
    """What a query period needs: SampleCount, Sum, Minimum, Maximum and percentile pairs."""

    count: int
    total: float
    minimum: float
    maximum: float
    pairs: Pairs


def summarise(pairs: Pairs, count: int, size: int) -> Pairs:
    """At most ``size`` pairs for sorted ``pairs`` whose weights sum to ``count``: the pairs
    themselves when few enough, else the values at ranks ``ceil(i * count / size)``."""
    if len(pairs) <= size:
        return pairs
    out: Pairs = []
    cumulative = 0
    index = 0
    previous_rank = 0
    for i in range(1, size + 1):
        rank = -(-i * count // size)  # ceil(i * count / size), in integers
        while cumulative + pairs[index][1] < rank:
            cumulative += pairs[index][1]
            index += 1
        value = pairs[index][0]
        if out and out[-1][0] == value:
            out[-1] = (value, out[-1][1] + rank - previous_rank)
        else:
            out.append((value, rank - previous_rank))
        previous_rank = rank
    return out


def weighted_percentile(pairs: Iterable[tuple[float, int]], count: int, p: float) -> float:
    """The nearest-rank ``p``-th percentile of values given as ``(value, weight)`` pairs."""
    target = max(1, math.ceil(p / 100 * count))
    cumulative = 0
    value = 0.0
    for value, weight in sorted(pairs):
        cumulative += weight
        if cumulative >= target:
            return value
    return value


def _pairs_of(values: Sequence[float], low: float, high: float, size: int) -> Pairs:
    if low == high:
        return []
    counts = Counter(values)
    pairs = sorted(counts.items())
    return summarise(pairs, len(values), size)


class _Tier:
    """The periods of one width, oldest first, in columns."""

    __slots__ = (
        "aging",
        "counts",
        "ends",
        "maxima",
        "minima",
        "starts",
        "sums",
        "values",
        "weights",
    )

    def __init__(self, aging: Aging) -> None:
        self.aging = aging
        self.starts = array("q")
        self.counts = array("q")
        self.sums = array("d")
        self.minima = array("d")
        self.maxima = array("d")
        self.ends = array("q")  # one past the period's last pair in values/weights
        self.values = array("d")
        self.weights = array("q")

    def append(
        self, start_ms: int, count: int, total: float, low: float, high: float, pairs: Pairs
    ) -> None:
        self.starts.append(start_ms)
        self.counts.append(count)
        self.sums.append(total)
        self.minima.append(low)
        self.maxima.append(high)
        for value, weight in pairs:
            self.values.append(value)
            self.weights.append(weight)
        self.ends.append(len(self.values))

    def pairs(self, i: int) -> Pairs:
        first = self.ends[i - 1] if i else 0
        last = self.ends[i]
        if first == last:
            return [(self.minima[i], self.counts[i])]
        return list(zip(self.values[first:last], self.weights[first:last], strict=True))

    def stats(self, i: int) -> Stats:
        return Stats(self.counts[i], self.sums[i], self.minima[i], self.maxima[i], self.pairs(i))

    def drop_last(self) -> None:
        """Forget the newest period (to put back a merged one in its place)."""
        first = self.ends[-2] if len(self.ends) > 1 else 0
        for column in (self.starts, self.counts, self.sums, self.minima, self.maxima, self.ends):
            column.pop()
        del self.values[first:]
        del self.weights[first:]

    def drop_first(self, n: int) -> None:
        """Forget the ``n`` oldest periods."""
        if n <= 0:
            return
        cut = self.ends[n - 1]
        for column in (self.starts, self.counts, self.sums, self.minima, self.maxima):
            del column[:n]
        del self.values[:cut]
        del self.weights[:cut]
        self.ends = array("q", (end - cut for end in self.ends[n:]))

    def __len__(self) -> int:
        return len(self.starts)


class PeriodStore:
    """The compacted periods of one metric, in tiers from finest to coarsest."""

    __slots__ = ("_tiers", "sketch_size")

    def __init__(self, aging: Sequence[Aging], sketch_size: int) -> None:
        self._tiers = [_Tier(tier) for tier in aging]
        self.sketch_size = sketch_size

    @property
    def period_ms(self) -> int:
        """The width of the finest periods, which raw datapoints are folded into."""
        return self._tiers[0].aging.period_ms

    def fold(self, times: Sequence[int], values: Sequence[float]) -> None:
        """Add datapoints (ascending times, whole periods, after every period held)."""
        finest = self._tiers[0]
        width = finest.aging.period_ms
        size = self.sketch_size
        lo, n = 0, len(times)
        while lo < n:
            start = times[lo] - times[lo] % width
            hi = bisect_left(times, start + width, lo)
            chunk = values[lo:hi]
            low, high = min(chunk), max(chunk)
            finest.append(start, hi - lo, sum(chunk), low, high, _pairs_of(chunk, low, high, size))
            lo = hi

    def age(self, now_ms: int) -> None:
        """Merge periods past their tier's horizon into the next tier; drop the oldest."""
        for index, tier in enumerate(self._tiers):
            old = bisect_left(tier.starts, now_ms - tier.aging.keep_ms)
            if not old:
                continue
            if index + 1 < len(self._tiers):
                self._merge_into(tier, old, self._tiers[index + 1])
            tier.drop_first(old)

    def _merge_into(self, tier: _Tier, n: int, coarser: _Tier) -> None:
        width = coarser.aging.period_ms
        i = 0
        while i < n:
            start = tier.starts[i] - tier.starts[i] % width
            group = [tier.stats(i)]
            i += 1
            while i < n and tier.starts[i] < start + width:
                group.append(tier.stats(i))
                i += 1
            merged = merge(group, self.sketch_size)
            if len(coarser) and coarser.starts[-1] == start:
                # The coarser period already began (an earlier merge): merge into it.
                last = len(coarser) - 1
                merged = merge([coarser.stats(last), merged], self.sketch_size)
                coarser.drop_last()
            pairs = [] if merged.minimum == merged.maximum else merged.pairs
            coarser.append(start, merged.count, merged.total, merged.minimum, merged.maximum, pairs)

    def periods(self, start_ms: int, end_ms: int) -> list[tuple[int, int, Stats]]:
        """``(start, width, stats)`` of every period starting in ``[start_ms, end_ms)``,
        oldest first."""
        out: list[tuple[int, int, Stats]] = []
        for tier in reversed(self._tiers):  # coarsest holds the oldest
            lo = bisect_left(tier.starts, start_ms)
            hi = bisect_left(tier.starts, end_ms)
            out.extend((tier.starts[i], tier.aging.period_ms, tier.stats(i)) for i in range(lo, hi))
        return out

    def all_stats(self) -> list[Stats]:
        return [tier.stats(i) for tier in reversed(self._tiers) for i in range(len(tier))]

    def first_ms(self) -> int | None:
        for tier in reversed(self._tiers):
            if len(tier):
                return tier.starts[0]
        return None

    def width_at(self, time_ms: int, now_ms: int) -> int:
        """The width of the periods that hold data ``now_ms - time_ms`` old."""
        for tier in self._tiers:
            if now_ms - time_ms < tier.aging.keep_ms:
                return tier.aging.period_ms
        return self._tiers[-1].aging.period_ms

    def sizes(self) -> dict[int, int]:
        """Periods held per width (ms): the bookkeeping a soak test bounds."""
        return {tier.aging.period_ms: len(tier) for tier in self._tiers}

    def total_count(self) -> int:
        return sum(sum(tier.counts) for tier in self._tiers)

    def total_sum(self) -> float:
        return math.fsum(sum(tier.sums) for tier in self._tiers)

    def pair_count(self) -> int:
        return sum(len(tier.values) for tier in self._tiers)


def merge(group: Sequence[Stats], size: int | None) -> Stats:
    """One period's statistics from several; the pairs summarised to ``size`` (None: all)."""
    count = sum(s.count for s in group)
    pairs: dict[float, int] = {}
    for stats in group:
        for value, weight in stats.pairs:
            pairs[value] = pairs.get(value, 0) + weight
    pairs_sorted = sorted(pairs.items())
    return Stats(
        count,
        sum(s.total for s in group),
        min(s.minimum for s in group),
        max(s.maximum for s in group),
        pairs_sorted if size is None else summarise(pairs_sorted, count, size),
    )
