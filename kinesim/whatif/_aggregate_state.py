"""State the aggregate what-if engine (:mod:`kinesim.whatif._aggregate`) keeps per lane.

- :class:`History`: cumulative records written to each lane by the end of each second (a ring
  trimmed to what some lane still needs), turned into arrival times and back;
- :class:`Ages`: IteratorAge datapoints as per-period maxima and a histogram for the p99;
- :class:`Durations`: handler durations drawn with numpy from the scenario's model;
- :class:`Writes`: the producer against the shards' write limits, at flush ticks, in the seconds
  that need it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from kinesim._lambda.durations import Constant, Empirical, LogNormal, Uniform

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from kinesim.whatif._scenario import Scenario

__all__ = [
    "READ_BYTES",
    "READ_CALLS",
    "READ_RECORDS",
    "RECORD_OVERHEAD",
    "Ages",
    "Durations",
    "History",
    "Writes",
]

WRITE_RECORDS = 1000  # per shard per second [BC-K]
WRITE_BYTES = 1024 * 1024
READ_BYTES = 2 * 1024 * 1024  # shared GetRecords throughput per shard per second
READ_CALLS = 5
READ_RECORDS = 10_000  # GetRecords' Limit
RECORD_OVERHEAD = 180  # event bytes of one record besides its data and key (base64 ~ 4/3)


class History:
    """Cumulative records written to each lane by the end of each second kept in a ring whose
    oldest row is the oldest second some lane still has unprocessed records of."""

    def __init__(self, lanes: int, spread: float) -> None:
        self.rows = np.zeros((64, lanes))
        # Per second: its records were written from its start to this fraction of it: ``spread``
        # (the last producer flush in the second, 0.9 for flushes every 0.1 s) unless the
        # shard's write limit refused the rest of the second.
        self.spread = spread
        self.ends = np.full((64, lanes), spread)
        self.base = 0  # second of row 0 (row r holds the count written before second base + r)
        self.top = 0  # the latest second with a row
        self.ptr = np.zeros(lanes, dtype=np.intp)  # per lane: a second at or before its front

    def append(self, counts: NDArray[np.float64], ends: NDArray[np.float64] | None = None) -> None:
        r = self.top + 1 - self.base
        if r >= len(self.rows):
            self.forget_old(0.25)
            r = self.top + 1 - self.base
        if r >= len(self.rows):
            grown = np.zeros((2 * len(self.rows), self.rows.shape[1]))
            grown[:r] = self.rows[:r]
            self.rows = grown
            grown_ends = np.full_like(grown, self.spread)
            grown_ends[:r] = self.ends[:r]
            self.ends = grown_ends
        self.rows[r] = self.rows[r - 1] + counts
        # ends[r - 1] describes second base + r - 1, the one these counts were written in.
        self.ends[r - 1] = self.spread if ends is None else ends
        self.top += 1

    def append_block(self, block: NDArray[np.float64]) -> None:
        """:meth:`append` for several seconds at once (rows of ``block``)."""
        while self.top + len(block) - self.base >= len(self.rows):
            self.append(block[0])
            block = block[1:]
            if not len(block):
                return
        r = self.top + 1 - self.base
        self.rows[r : r + len(block)] = self.rows[r - 1] + np.cumsum(block, axis=0)
        self.ends[r - 1 : r - 1 + len(block)] = self.spread
        self.top += len(block)

    def latest(self) -> NDArray[np.float64]:
        row: NDArray[np.float64] = self.rows[self.top - self.base].copy()
        return row

    def forget_old(self, fraction: float = 0.5) -> None:
        """Drop rows no lane needs any more (before every lane's pointer), when that frees at
        least ``fraction`` of the ring (a copy of the ring costs that much)."""
        drop = min(int(self.ptr.min()), self.top) - self.base
        if drop > 0 and drop >= fraction * len(self.rows):
            keep = self.top - self.base + 1 - drop
            self.rows[:keep] = self.rows[drop : drop + keep]
            self.ends[:keep] = self.ends[drop : drop + keep]
            self.base += drop

    def at(self, t: NDArray[np.float64], lanes: NDArray[np.intp]) -> NDArray[np.float64]:
        """Records of ``lanes`` written by time ``t`` (a second's records spread evenly)."""
        k = np.clip(np.floor(t).astype(np.intp), self.base, self.top)
        frac = np.clip(t - k, 0.0, 1.0)
        lo = self.rows[k - self.base, lanes]
        nxt = np.minimum(k + 1, self.top)
        hi = self.rows[nxt - self.base, lanes]
        frac = np.minimum(1.0, frac / np.maximum(self.ends[k - self.base, lanes], 1e-3))
        out: NDArray[np.float64] = lo + np.where(nxt > k, (hi - lo) * frac, 0.0)
        return out

    def stamp(self, index: NDArray[np.float64], lanes: NDArray[np.intp]) -> NDArray[np.float64]:
        """Arrival time of each lane's record number ``index`` (1-based). Per lane the indices
        asked for never decrease (batches finish in order), so a pointer per lane walks
        forward through the rows: about one step per second simulated."""
        rows, base, top = self.rows, self.base, self.top
        ptr = self.ptr[lanes]
        for _ in range(4):
            ahead = ptr + 1 <= top
            nxt = rows[np.minimum(ptr + 1, top) - base, lanes]
            move = ahead & (nxt < index)
            if not move.any():
                break
            ptr = ptr + move
        else:
            # Lanes that jumped far (a stall resolved, records lost): search their columns.
            for i in np.flatnonzero(move).tolist():
                col = rows[ptr[i] - base : top - base + 1, lanes[i]]
                ptr[i] += max(0, int(np.searchsorted(col, index[i], side="left")) - 1)
        self.ptr[lanes] = ptr
        lo = rows[ptr - base, lanes]
        hi = rows[np.minimum(ptr + 1, top) - base, lanes]
        span = hi - lo
        frac = np.divide(index - lo, span, out=np.ones_like(span), where=span > 0)
        out: NDArray[np.float64] = ptr + np.clip(frac, 0.0, 1.0) * self.ends[ptr - base, lanes]
        return out

    def stamp_one(self, index: float, lane: int) -> float:
        """:meth:`stamp` for one record anywhere in the ring (no pointer)."""
        col = self.rows[: self.top - self.base + 1, lane]
        r = int(np.searchsorted(col, index, side="left"))
        if r <= 0:
            return float(self.base)
        r = min(r, len(col) - 1)
        lo, hi = float(col[r - 1]), float(col[r])
        frac = (index - lo) / (hi - lo) if hi > lo else 1.0
        return self.base + r - 1 + min(1.0, max(0.0, frac)) * float(self.ends[r - 1, lane])


class Ages:
    """IteratorAge datapoints: the maximum per period, the overall maximum and a histogram for
    the 99th percentile: 256 bins per octave (0.3% wide; from 1 ms to 2**24 s), read off
    ``frexp`` (no logarithm per datapoint); the percentile is its bin's upper edge."""

    _SUB = 256
    _LOW = -10  # 2**-10 s: about 1 ms

    def __init__(self, periods: int) -> None:
        self.period_max: list[float | None] = [None] * periods
        self.max = 0.0
        self.count = 0
        self.bins = np.zeros((25 - self._LOW) * self._SUB, dtype=np.int64)

    def add(self, period: int, ages: NDArray[np.float64]) -> None:
        if not len(ages):
            return
        top = max(0.0, float(ages.max()))
        current = self.period_max[period]
        self.period_max[period] = top if current is None else max(current, top)
        self.max = max(self.max, top)
        self.count += len(ages)
        mantissa, exponent = np.frexp(np.maximum(ages, 2.0**self._LOW))
        idx = (exponent - self._LOW) * self._SUB + ((mantissa - 0.5) * 2 * self._SUB).astype(
            np.int64
        )
        self.bins += np.bincount(np.minimum(idx, len(self.bins) - 1), minlength=len(self.bins))

    def p99(self) -> float:
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(0.99 * self.count))
        k = int(np.searchsorted(np.cumsum(self.bins), rank))
        octave, sub = divmod(k, self._SUB)
        edge = 2.0 ** (octave + self._LOW) * (0.5 + (sub + 1) / (2 * self._SUB))
        return min(self.max, edge)


class Durations:
    """Handler durations drawn from the scenario's model with numpy."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        self.model = scenario.duration
        self.rng = rng
        self.slow = scenario.faults.slow_periods

    def draw(self, starts: NDArray[np.float64]) -> NDArray[np.float64]:
        n = len(starts)
        model, rng = self.model, self.rng
        if isinstance(model, Constant):
            out = np.full(n, model.seconds)
        elif isinstance(model, Uniform):
            out = rng.uniform(model.low, model.high, n)
        elif isinstance(model, LogNormal):
            out = rng.lognormal(model.mu, model.sigma, n)
            if model.cap is not None:
                out = np.minimum(out, model.cap)
        elif isinstance(model, Empirical):
            out = np.asarray(model.samples)[rng.integers(0, len(model.samples), n)]
        else:  # pragma: no cover - refused by unsupported_features
            raise TypeError(f"no numpy draw for {model!r}")
        out = np.round(out, 3)  # whole virtual milliseconds, as the function model has
        for period in self.slow:
            inside = (starts >= period.start_s) & (starts < period.start_s + period.duration_s)
            out = np.where(inside, out * period.factor, out)
        return out

    def one(self, start: float) -> float:
        return float(self.draw(np.array([start]))[0])


class Writes:
    """The producer against the shards' write limits, at flush ticks, in seconds that need it."""

    def __init__(self, scenario: Scenario, shards: int, record_bytes: float) -> None:
        config = scenario.producer
        self.ticks = max(1, round(1000 / config.flush_interval_ms))
        self.flush_s = config.flush_interval_ms / 1000
        self.cap = float(min(WRITE_RECORDS, math.floor(WRITE_BYTES / max(1.0, record_bytes))))
        self.max_attempts = config.max_attempts
        # pending[a][j]: entries on their attempt a+2, due j ticks from now, per shard.
        horizon = 2 + math.ceil(config.backoff_cap_s / self.flush_s)
        self.pending = np.zeros((max(0, config.max_attempts - 1), horizon, shards))
        self.spread: list[NDArray[np.float64]] = []
        for retry in range(1, config.max_attempts):
            ceiling = min(config.backoff_cap_s, config.backoff_base_s * 2**retry)
            spans = max(1, math.ceil(ceiling / self.flush_s))
            weights = np.zeros(horizon)
            weights[1 : spans + 1] = 1.0 / spans
            self.spread.append(weights)
        self.throttled = 0.0
        self.retried = 0.0
        self.gave_up = 0.0

    def second(
        self, offered: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], float, NDArray[np.float64] | None]:
        """Records each shard accepts this second from ``offered`` new ones, the entries
        throttled, and (when some were) the fraction of the second each shard accepted
        records in (None: all of it)."""
        if not self.pending.any() and float(offered.max(initial=0.0)) <= self.cap:
            return offered, 0.0, None
        ticks = self.ticks
        accepted = np.zeros_like(offered)
        used = np.zeros_like(offered)
        throttled_here = 0.0
        new_per_tick = offered / ticks
        last_tick = np.zeros_like(offered)
        for tick in range(ticks):
            before = accepted.copy()
            room = np.maximum(self.cap - used, 0.0)
            take = np.minimum(new_per_tick, room)
            used += take
            accepted += take
            failed = [new_per_tick - take]
            for a in range(len(self.pending)):
                due = self.pending[a, 0]
                self.retried += float(due.sum())
                room = np.maximum(self.cap - used, 0.0)
                take = np.minimum(due, room)
                used += take
                accepted += take
                failed.append(due - take)
            last_tick = np.where(accepted > before + 1e-9, tick + 1.0, last_tick)
            self.pending[:, 0] = 0.0  # taken (or failed again) this tick
            for attempt, fails in enumerate(failed):  # attempt 0: the first try
                total = float(fails.sum())
                if total <= 0:
                    continue
                throttled_here += total
                if attempt + 1 >= self.max_attempts:
                    self.gave_up += total
                else:
                    self.pending[attempt] += self.spread[attempt][:, None] * fails[None, :]
            # Index j is j ticks from now: the next tick becomes index 0.
            self.pending = np.roll(self.pending, -1, axis=1)
        self.throttled += throttled_here
        return accepted, throttled_here, (np.maximum(last_tick, 1.0) - 1.0) / ticks
