"""The aggregate what-if engine: records as counts per lane and second, batches as arithmetic.

The record-level engine (:mod:`kinesim.whatif._engine`) holds every record; this one holds, per
lane (a shard, or one of a shard's ParallelizationFactor lanes), the cumulative count of records
written by the end of each virtual second, and advances all lanes together one second (one poll
slot) at a time with numpy arrays:

1. **Arrivals**: the second's expected records (even with a carry, or Poisson), split over the
   lanes by the key mix (:func:`~kinesim.whatif._aggregate_parts.key_mix`: the keys' MD5 hash
   ranges and lanes) exactly for round-robin keys, multinomially for random ones.
2. **Writes**: shards offered more than 1,000 records or 1 MiB in the second are simulated at the
   producer's flush ticks: new entries first, then retries due, against the shard's one-second
   window; throttled entries come back after the SDK's full-jitter backoff (spread as expected
   counts over the following ticks) until the producer gives up. Other seconds skip this.
3. **Expiry**: records older than the retention are lost; with ``max_record_age_s``, older ones
   go to the on-failure destination.
4. **Batches**: what the lane had read at the slot (AWS's fixed read model: up to 10,000 records
   and 2 MiB/s per shard, shared with other GetRecords readers) is cut into batches of
   ``batch_size`` (and the 6 MB cap) run back to back, each with a duration drawn from the
   scenario's model; a batching window holds a short batch until the window ends. Batches run in
   *rounds* (each lane's next batch at once, vectorised), so a second costs a few array
   operations per batch a lane runs in it, not per record. Concurrency: at most the function's
   limit of lanes invoke in a round; the rest are throttled and back off as the mapping does.
5. **Ages**: a batch's last record index is turned back into its arrival time through the
   cumulative counts (records of a second spread evenly over it): IteratorAge at completion.

A batch holding a poison record is played invocation by invocation
(:func:`~kinesim.whatif._aggregate_parts.poison_episode`). Same seed, same report: every draw
comes from a numpy generator seeded from the scenario's seed.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from kinesim._esm.batch import PAYLOAD_LIMIT_BYTES
from kinesim._esm.poller import READ_AHEAD_RECORDS
from kinesim._kinesis.hashing import even_ranges
from kinesim._lambda.durations import Constant, Empirical, LogNormal, Uniform
from kinesim.whatif._aggregate_parts import (
    BACKOFF,
    ERROR_BOUND,
    key_mix,
    lane_of,
    poison_episode,
    shard_of,
    size_stats,
    unsupported_features,
)
from kinesim.whatif._aggregate_steady import steady_stretch
from kinesim.whatif._pricing import Usage, monthly_cost
from kinesim.whatif._report import Report, Summary
from kinesim.whatif._workload import ConstantRate, Poisson

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from kinesim.whatif._scenario import Scenario

__all__ = ["AggregateUnsupported", "run_aggregate"]

_WRITE_RECORDS = 1000  # per shard per second [BC-K]
_WRITE_BYTES = 1024 * 1024
_READ_BYTES = 2 * 1024 * 1024  # shared GetRecords throughput per shard per second
_READ_CALLS = 5
_READ_RECORDS = 10_000  # GetRecords' Limit
_RECORD_OVERHEAD = 180  # event bytes of one record besides its data and key (base64 ~ 4/3)


class AggregateUnsupported(ValueError):
    """The scenario uses something the aggregate engine does not model."""


class _History:
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


class _Ages:
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


class _Durations:
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
            raise AggregateUnsupported(f"no numpy draw for {model!r}")
        out = np.round(out, 3)  # whole virtual milliseconds, as the function model has
        for period in self.slow:
            inside = (starts >= period.start_s) & (starts < period.start_s + period.duration_s)
            out = np.where(inside, out * period.factor, out)
        return out

    def one(self, start: float) -> float:
        return float(self.draw(np.array([start]))[0])


class _Writes:
    """The producer against the shards' write limits, at flush ticks, in seconds that need it."""

    def __init__(self, scenario: Scenario, shards: int, record_bytes: float) -> None:
        config = scenario.producer
        self.ticks = max(1, round(1000 / config.flush_interval_ms))
        self.flush_s = config.flush_interval_ms / 1000
        self.cap = float(min(_WRITE_RECORDS, math.floor(_WRITE_BYTES / max(1.0, record_bytes))))
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


def _period_of(t: float, period_s: int, periods: int) -> int:
    return min(periods - 1, int(t // period_s))


def run_aggregate(
    scenario: Scenario, *, progress: Callable[[float], object] | None = None
) -> Report:
    """Run ``scenario`` on the aggregate engine (see the module docstring)."""
    missing = unsupported_features(scenario)
    if missing:
        raise AggregateUnsupported(
            "the aggregate engine does not model " + "; ".join(missing) + ": run this "
            "scenario with engine='records' (--engine records), or 'auto'"
        )
    return _Run(scenario).run(progress)


class _Run:
    def __init__(self, scenario: Scenario) -> None:
        self.sc = sc = scenario
        self.shards = 4 if sc.mode == "ON_DEMAND" else sc.shards
        self.pf = sc.parallelization_factor
        self.lanes = self.shards * self.pf
        self.mix = key_mix(sc.keys, self.shards, self.pf)
        self.sizes = size_stats(sc.record_size, self.mix.mean_key_bytes, sc.seed)
        self.record_bytes = self.sizes.data_bytes + self.mix.mean_key_bytes
        seed = sc.seed % 2**63
        self.rng = np.random.default_rng([seed, 0x6B696E6573696D])
        self.durations = _Durations(sc, np.random.default_rng([seed, 1]))
        self.error_rng = np.random.default_rng([seed, 2])
        self.run_s = sc.simulated_s
        self.steps = math.ceil(self.run_s)
        self.periods = math.ceil(self.run_s / sc.period_s)
        share = np.asarray(self.mix.lane_share) / sum(self.mix.lane_share)
        # Shares summing to 1 within rounding: numpy's multinomial checks the partial sums.
        share[-1] = max(0.0, 1.0 - float(share[:-1].sum()))
        self.share = share
        event_bytes = self.record_bytes * 4 / 3 + _RECORD_OVERHEAD
        # The 6 MB cap, in records of the mean size.
        self.batch_cap = max(1.0, math.floor(PAYLOAD_LIMIT_BYTES / event_bytes))
        self.drawn: list[tuple[int, NDArray[np.float64]]] = []  # arrivals a stretch drew ahead

    # -- arrivals ---------------------------------------------------------------------------

    def _arrivals(self, k: int, carry: list[float], cycle_at: list[int]) -> NDArray[np.float64]:
        """New records per lane offered in second ``k`` (drawn ahead by a stretch, or now)."""
        if self.drawn and self.drawn[0][0] == k:
            return self.drawn.pop(0)[1]
        sc, mix = self.sc, self.mix
        start_ms, end_ms = k * 1000, min((k + 1) * 1000, round(self.run_s * 1000))
        flush = sc.producer.flush_interval_ms
        if isinstance(sc.arrivals, (ConstantRate, Poisson)):
            mean = sc.arrivals.rate * (end_ms - start_ms) / 1000
        else:
            mean = 0.0
            for a in range(start_ms, end_ms, flush):  # the producer's ticks, as it asks
                mean += sc.arrivals.expected(a, min(a + flush, end_ms))
        share = self.share
        if sc.arrivals.poisson_counts():
            return self.rng.poisson(mean * share).astype(np.float64)
        carry[0] += mean
        n = math.floor(carry[0] + 1e-9)
        carry[0] -= n
        if mix.cycle:
            m = len(mix.cycle)
            whole, extra = divmod(n, m)
            out = np.zeros(self.lanes)
            np.add.at(out, np.asarray(mix.cycle), whole)
            first = cycle_at[0]
            for i in range(extra):
                out[mix.cycle[(first + i) % m]] += 1
            cycle_at[0] = (first + n) % m
            return out
        return self.rng.multinomial(n, share).astype(np.float64)

    def _arrivals_block(
        self, k: int, length: int, carry: list[float], cycle_at: list[int]
    ) -> NDArray[np.float64]:
        """:meth:`_arrivals` for seconds ``k .. k + length - 1``, drawn together when the rate
        is constant and the keys random (one numpy call instead of ``length``)."""
        sc = self.sc
        pending = [row for second, row in self.drawn if k <= second < k + length]
        if pending or self.mix.cycle or not isinstance(sc.arrivals, (ConstantRate, Poisson)):
            return np.vstack([self._arrivals(k + i, carry, cycle_at) for i in range(length)])
        mean = sc.arrivals.rate
        if sc.arrivals.poisson_counts():
            return self.rng.poisson(mean * self.share, size=(length, self.lanes)).astype(np.float64)
        counts = []
        for _ in range(length):
            carry[0] += mean
            n = math.floor(carry[0] + 1e-9)
            carry[0] -= n
            counts.append(n)
        return self.rng.multinomial(counts, self.share).astype(np.float64)

    # -- the run ----------------------------------------------------------------------------

    def run(self, progress: Callable[[float], object] | None) -> Report:
        sc = self.sc
        lanes, pf = self.lanes, self.pf
        all_lanes = np.arange(lanes)
        flush_s = sc.producer.flush_interval_ms / 1000
        hist = _History(lanes, max(0.0, 1.0 - flush_s))
        writes = _Writes(sc, self.shards, self.record_bytes)
        ages = _Ages(self.periods)
        periods = self.periods
        per = {
            name: [0.0] * periods
            for name in (
                "incoming",
                "settled",
                "write_throttles",
                "read_throttles",
                "lambda_throttles",
                "errors",
                "retries",
                "concurrency",
            )
        }
        backlog_at_end: list[float | None] = [0.0] * periods
        processed = np.zeros(lanes)  # records settled in any way (the lane's front)
        succeeded = np.zeros(lanes)
        expired = np.zeros(lanes)
        to_dest = np.zeros(lanes)
        free = np.zeros(lanes)  # when the lane can start its next batch
        window_start = np.zeros(lanes)
        fail_streak = np.zeros(lanes, dtype=np.int64)
        throttle_streak = np.zeros(lanes, dtype=np.int64)
        held = np.zeros(lanes)  # size of a batch being retried after an error (0: none)
        visible = np.zeros(lanes)  # records read by the lane's poller
        warm = np.zeros(lanes, dtype=bool)
        shard_of_lane = all_lanes // pf
        batch_size = float(sc.batch_size)
        event_bytes = self.record_bytes * 4 / 3 + _RECORD_OVERHEAD
        batch_cap = self.batch_cap
        window = sc.batching_window_s
        retention_s = sc.retention_hours * 3600.0
        max_age = float(sc.max_record_age_s)
        p_error = sc.faults.error_probability
        concurrency_cap = sc.account_concurrency
        if sc.reserved_concurrency is not None:
            concurrency_cap = min(concurrency_cap, sc.reserved_concurrency)
        throttles = sc.faults.throttle_periods
        # Reads: the mapping's poller reads once a second per shard, other readers share the
        # 5 calls/s and 2 MiB/s; each second a shard's mapping read is admitted or not.
        readers_per_s = sc.shared_readers / sc.shared_reader_interval_s
        read_debt = np.zeros(self.shards)
        read_records_cap = max(1.0, min(5 * _READ_RECORDS, _READ_BYTES / event_bytes))
        # Poison records: (time, lane), put like any record through the producer.
        poison_rng = np.random.default_rng([sc.seed % 2**63, 3])
        poison_times = sc.faults.poison_times_ms(
            round(self.run_s * 1000), random.Random(f"aggregate.poison:{sc.seed}")
        )
        poison_lanes = [self._poison_lane(poison_rng) for _ in poison_times]
        poison_index: list[list[float]] = [[] for _ in range(lanes)]
        next_poison = 0
        carry, cycle_at = [0.0], [0]
        totals = dict.fromkeys(
            (
                "generated",
                "put",
                "invocations",
                "errors",
                "lambda_throttles",
                "read_throttles",
                "duplicates",
                "handler_s",
                "peak_concurrency",
            ),
            0.0,
        )
        self.first_loss: float | None = None
        stretch_ok = (
            p_error == 0
            and window == 0
            and not sc.shared_readers
            and not throttles
            and (max_age < 0 or max_age > 5)
        )
        stretch_len = 60
        k = 0
        while k < self.steps:
            if stretch_ok and k + stretch_len < self.steps:
                ran = self._stretch(
                    k, stretch_len, hist, writes, ages, per, backlog_at_end, totals,
                    processed, succeeded, free, window_start, visible, held, warm,
                    poison_times[next_poison] if next_poison < len(poison_times) else None,
                    poison_index, concurrency_cap, carry, cycle_at, progress,
                )  # fmt: skip
                if ran:
                    k += stretch_len
                    continue
            t = float(k)
            end = min(t + 1.0, self.run_s)
            period = _period_of(t, sc.period_s, periods)
            # 1. arrivals and writes
            offered = self._arrivals(k, carry, cycle_at)
            totals["generated"] += float(offered.sum())
            shard_offered = offered.reshape(self.shards, pf).sum(axis=1)
            accepted, throttled, shard_ends = writes.second(shard_offered)
            lane_ends = None if shard_ends is None else shard_ends[shard_of_lane]
            if throttled or not np.array_equal(accepted, shard_offered):
                ratio = np.divide(
                    accepted, shard_offered, out=np.ones_like(accepted), where=shard_offered > 0
                )
                lane_new = offered * ratio[shard_of_lane]
                # Retries accepted beyond the new records: spread like the new ones.
                extra = np.maximum(accepted - shard_offered * ratio, 0.0)
                share = np.asarray(self.mix.lane_share).reshape(self.shards, pf)
                share = share / np.maximum(share.sum(axis=1, keepdims=True), 1e-300)
                lane_new = lane_new + (extra[:, None] * share).reshape(-1)
            else:
                lane_new = offered
            per["write_throttles"][period] += throttled
            while next_poison < len(poison_times) and poison_times[next_poison] < end * 1000:
                lane = poison_lanes[next_poison]
                # The producer sends it in the flush after its time, behind that flush's
                # records: its place among the second's records is its time's.
                flush_ms = sc.producer.flush_interval_ms
                sent_ms = (poison_times[next_poison] // flush_ms + 1) * flush_ms
                into = (sent_ms - k * 1000 + flush_ms) / 1000  # flushes k.0 .. sent_ms
                before = math.floor(lane_new[lane] * min(1.0, into))
                lane_new = lane_new.copy()
                lane_new[lane] += 1
                poison_index[lane].append(float(hist.latest()[lane] + before + 1))
                totals["generated"] += 1
                next_poison += 1
            added = float(lane_new.sum())
            totals["put"] += added
            per["incoming"][period] += added
            # 2. reads at the slot: what was written before it becomes visible
            written = hist.latest()
            # The second's writes join the history now: a read at a batching window's end,
            # within the second, sees those written before it.
            hist.append(lane_new, lane_ends)
            due = written - visible
            if readers_per_s or sc.shared_readers:
                new_bytes = float(due.sum()) * self.record_bytes / self.shards
                calls = 1 + readers_per_s
                read_debt = np.maximum(read_debt - _READ_BYTES, 0.0)
                over_calls = max(0.0, calls - _READ_CALLS)
                blocked = read_debt >= _READ_BYTES
                admitted = (~blocked) & (
                    np.full(self.shards, over_calls) < (k % max(1, math.ceil(calls))) + 1
                )
                read_debt += new_bytes * (1 + readers_per_s)
                n_throttled = over_calls * self.shards + float(blocked.sum()) * calls
                per["read_throttles"][period] += n_throttled
                totals["read_throttles"] += n_throttled
                can_read = admitted[shard_of_lane]
            else:
                can_read = np.ones(lanes, dtype=bool)
            visible = np.where(can_read, visible + np.minimum(due, read_records_cap / pf), visible)
            if pf > 1:
                visible = self._read_ahead(hist, processed, visible, all_lanes)
            # 3. retention and maximum record age
            if t >= retention_s:
                gone = hist.at(np.full(lanes, t - retention_s), all_lanes)
                lost = np.maximum(gone - processed, 0.0)
                if lost.any():
                    expired += lost
                    processed += lost
                    held = np.where(lost > 0, 0.0, held)
                    per["settled"][period] += float(lost.sum())
                    if self.first_loss is None:
                        self.first_loss = t
            if max_age >= 0 and t >= max_age:
                old = hist.at(np.full(lanes, t - max_age), all_lanes)
                late = np.maximum(old - processed, 0.0)
                if late.any():
                    to_dest += late
                    processed += late
                    held = np.where(late > 0, 0.0, held)
                    per["settled"][period] += float(late.sum())
                    if self.first_loss is None:
                        self.first_loss = t
            visible = np.maximum(visible, processed)
            # 4. batches, in rounds
            cap_now = concurrency_cap
            for throttle in throttles:
                if throttle.start_s <= t < throttle.start_s + throttle.duration_s:
                    cap_now = min(cap_now, throttle.concurrency)
            busy_mask = free > t  # lanes still running a batch from the second before
            first_round = True
            while True:
                avail = np.where(held > 0, held, visible - processed)
                start = np.maximum(free, t)
                active = (avail > 1e-9) & (start < end)
                if window > 0:
                    deadline = window_start + window
                    short = active & (held <= 0) & (avail < batch_size)
                    start = np.where(short, np.maximum(start, deadline), start)
                    active &= start < end
                    at_deadline = short & active
                    if at_deadline.any():
                        # At the window's end the poller reads again: records up to then.
                        idx = np.flatnonzero(at_deadline)
                        now_written = hist.at(start[idx], idx)
                        avail[idx] = np.maximum(
                            avail[idx], np.minimum(now_written - processed[idx], batch_size)
                        )
                lanes_now = np.flatnonzero(active)
                if not len(lanes_now):
                    break
                # Concurrency: at most the limit invoke together; the rest are throttled.
                busy_at_slot = 0
                if first_round:
                    others = busy_mask.copy()
                    others[lanes_now] = False
                    busy_at_slot = int(others.sum())
                room = max(0, cap_now - busy_at_slot)
                if len(lanes_now) > room:
                    order = np.lexsort((lanes_now, start[lanes_now]))
                    refused = lanes_now[order[room:]]
                    lanes_now = lanes_now[order[:room]]
                    throttle_streak[refused] += 1
                    delays = np.array(
                        [BACKOFF.delay_ms(int(s)) / 1000 for s in throttle_streak[refused]]
                    )
                    free[refused] = start[refused] + delays
                    totals["lambda_throttles"] += len(refused)
                    per["lambda_throttles"][period] += len(refused)
                    if not len(lanes_now):
                        continue
                throttle_streak[lanes_now] = 0
                s_now = start[lanes_now]
                size = np.where(
                    held[lanes_now] > 0,
                    held[lanes_now],
                    np.minimum(np.minimum(avail[lanes_now], batch_size), batch_cap),
                )
                size = np.maximum(np.floor(size + 1e-9), np.minimum(avail[lanes_now], 1.0))
                if first_round:
                    per["concurrency"][period] = max(
                        per["concurrency"][period], float(len(lanes_now) + busy_at_slot)
                    )
                    first_round = False
                # Poison: a batch holding one is played out on its own.
                hits = [
                    i
                    for i, lane in enumerate(lanes_now.tolist())
                    if poison_index[lane]
                    and poison_index[lane][0] <= processed[lane] + size[i] + 1e-9
                ]
                if hits:
                    keep = np.ones(len(lanes_now), dtype=bool)
                    for i in hits:
                        keep[i] = False
                        self._episode(
                            int(lanes_now[i]),
                            float(s_now[i]),
                            float(size[i]),
                            hist,
                            poison_index,
                            processed,
                            succeeded,
                            to_dest,
                            expired,
                            free,
                            window_start,
                            held,
                            totals,
                            per,
                            ages,
                        )
                    lanes_now, s_now, size = lanes_now[keep], s_now[keep], size[keep]
                    if not len(lanes_now):
                        continue
                durations = self.durations.draw(s_now)
                cold = ~warm[lanes_now]
                warm[lanes_now] = True
                done_at = s_now + durations + np.where(cold, sc.cold_start_s, 0.0)
                n = len(lanes_now)
                totals["invocations"] += n
                totals["handler_s"] += float(durations.sum())
                retry = held[lanes_now] > 0
                dup = float(size[retry].sum())
                totals["duplicates"] += dup
                per["retries"][_period_of(t, sc.period_s, periods)] += dup
                failed = (
                    self.error_rng.random(n) < p_error if p_error > 0 else np.zeros(n, dtype=bool)
                )
                last = processed[lanes_now] + size
                stamp = hist.stamp(last, lanes_now)
                ages.add(period, done_at - stamp)
                ok = ~failed
                good = lanes_now[ok]
                processed[good] += size[ok]
                succeeded[good] += size[ok]
                per["settled"][period] += float(size[ok].sum())
                held[good] = 0.0
                fail_streak[good] = 0
                free[good] = done_at[ok]
                window_start[good] = done_at[ok]
                if failed.any():
                    bad = lanes_now[failed]
                    totals["errors"] += len(bad)
                    per["errors"][period] += len(bad)
                    held[bad] = size[failed]
                    fail_streak[bad] += 1
                    delays = np.array([BACKOFF.delay_ms(int(s)) / 1000 for s in fail_streak[bad]])
                    free[bad] = done_at[failed] + delays
                    window_start[bad] = done_at[failed]
            totals["peak_concurrency"] = max(totals["peak_concurrency"], per["concurrency"][period])
            # 5. forget what every lane is past
            if k % 256 == 255:
                hist.stamp(processed + 1, all_lanes)
                hist.forget_old()
            if end >= (period + 1) * sc.period_s or end >= self.run_s:
                backlog_at_end[period] = float((hist.latest() - processed).sum())
                if progress is not None:
                    progress(end / self.run_s)
            k += 1
        return self._report(
            hist, per, backlog_at_end, ages, totals, writes, processed, succeeded, expired,
            to_dest, self.first_loss,
        )  # fmt: skip

    def _read_ahead(
        self,
        hist: _History,
        processed: NDArray[np.float64],
        visible: NDArray[np.float64],
        all_lanes: NDArray[np.intp],
    ) -> NDArray[np.float64]:
        """With several lanes, none reads past the shard's checkpoint (the slowest lane's first
        unfinished record) by more than the poller's read-ahead (``READ_AHEAD_RECORDS``)."""
        shards, pf = self.shards, self.pf
        fronts = hist.stamp(processed + 1, all_lanes).reshape(shards, pf).min(axis=1)
        top = hist.top - hist.base
        rate = (hist.rows[top] - hist.rows[max(0, top - 1)]).reshape(shards, pf).sum(axis=1)
        limit = fronts + READ_AHEAD_RECORDS / np.maximum(rate, 1.0)
        allowed = hist.at(limit[all_lanes // pf], all_lanes)
        out: NDArray[np.float64] = np.maximum(np.minimum(visible, allowed), processed)
        return out

    def _stretch(
        self,
        k: int,
        length: int,
        hist: _History,
        writes: _Writes,
        ages: _Ages,
        per: dict[str, list[float]],
        backlog_at_end: list[float | None],
        totals: dict[str, float],
        processed: NDArray[np.float64],
        succeeded: NDArray[np.float64],
        free: NDArray[np.float64],
        window_start: NDArray[np.float64],
        visible: NDArray[np.float64],
        held: NDArray[np.float64],
        warm: NDArray[np.bool_],
        next_poison_ms: int | None,
        poison_index: list[list[float]],
        concurrency_cap: int,
        carry: list[float],
        cycle_at: list[int],
        progress: Callable[[float], object] | None,
    ) -> bool:
        """Seconds ``k .. k + length - 1`` in closed form (:mod:`._aggregate_steady`) when every
        lane that is not stuck has kept up; False (nothing changed) when it cannot."""
        if next_poison_ms is not None and next_poison_ms < (k + length) * 1000:
            return False
        if writes.pending.any() or held.any():
            return False
        # Lanes busy through the stretch (stuck, or playing out a failing batch) sit it out.
        live = np.flatnonzero(free <= k + length)
        if (free[live] > k + 1 - 1e-9).any() or any(poison_index[lane] for lane in live.tolist()):
            return False
        if self.sc.cold_start_s and not warm[live].all():
            return False
        written = hist.latest()
        if k >= 1 and (processed[live] + 1e-9 < hist.rows[k - 1 - hist.base, live]).any():
            return False  # a lane is more than one second behind
        arrivals = self._arrivals_block(k, length, carry, cycle_at)
        self.drawn = [(k + i, row) for i, row in enumerate(arrivals)]
        pf = self.pf
        if arrivals.reshape(length, self.shards, pf).sum(axis=2).max() > writes.cap:
            return False
        sc = self.sc
        result = steady_stretch(
            first_second=k,
            free=free[live],
            backlog=written[live] - processed[live],
            arrivals=arrivals[:, live],
            batch=min(float(sc.batch_size), self.batch_cap),
            spread=hist.spread,
            draw=self.durations.draw,
        )
        if result is None or result.active.max(initial=0) > concurrency_cap:
            return False
        self.drawn = []
        # Apply: the stretch's writes, settlements, invocations and ages.
        hist.append_block(arrivals)
        put = arrivals.sum(axis=1)
        totals["generated"] += float(put.sum())
        totals["put"] += float(put.sum())
        totals["invocations"] += result.invocations
        totals["handler_s"] += result.handler_s
        done_before = written[live] + arrivals[:-1, live].sum(axis=0)
        succeeded[live] += done_before - processed[live]
        processed[live] = done_before
        visible[live] = done_before
        free[live] = result.free
        window_start[live] = result.free
        warm[live] = True
        hist.ptr[live] = np.maximum(hist.ptr[live], k + length - 1)
        stuck_backlog = float((hist.latest() - processed).sum()) - float(arrivals[-1, live].sum())
        period_s, periods = sc.period_s, self.periods
        age_periods = (k + result.age_second) // period_s
        for p in np.unique(age_periods).tolist():
            ages.add(min(p, periods - 1), result.ages[age_periods == p])
        for i in range(length):
            second = k + i
            p = _period_of(second, period_s, periods)
            per["incoming"][p] += float(put[i])
            per["settled"][p] += float(result.settled[i])
            active = float(result.active[i])
            per["concurrency"][p] = max(per["concurrency"][p], active)
            totals["peak_concurrency"] = max(totals["peak_concurrency"], active)
            end = second + 1.0
            if end >= (p + 1) * period_s or end >= self.run_s:
                backlog_at_end[p] = float(arrivals[i, live].sum()) + max(0.0, stuck_backlog)
                if progress is not None:
                    progress(end / self.run_s)
        return True

    def _poison_lane(self, rng: np.random.Generator) -> int:
        key = self.sc.faults.poison_key
        if key is None:
            share = np.asarray(self.mix.lane_share)
            return int(rng.choice(self.lanes, p=share / share.sum()))
        lane = lane_of(key, self.pf) if self.pf > 1 else 0
        return shard_of(key, even_ranges(self.shards)) * self.pf + lane

    def _episode(
        self,
        lane: int,
        start: float,
        size: float,
        hist: _History,
        poison_index: list[list[float]],
        processed: NDArray[np.float64],
        succeeded: NDArray[np.float64],
        to_dest: NDArray[np.float64],
        expired: NDArray[np.float64],
        free: NDArray[np.float64],
        window_start: NDArray[np.float64],
        held: NDArray[np.float64],
        totals: dict[str, float],
        per: dict[str, list[float]],
        ages: _Ages,
    ) -> None:
        sc = self.sc
        first = math.floor(processed[lane] + 1e-9) + 1
        count = max(1, round(size))
        poison = math.ceil(poison_index[lane][0] - 1e-9)

        def stamp(i: int) -> float:
            return hist.stamp_one(float(i), lane)

        ep = poison_episode(
            start_s=start,
            first=first,
            size=count,
            poison=min(max(poison, first), first + count - 1),
            draw=self.durations.one,
            stamp=stamp,
            max_retry_attempts=sc.max_retry_attempts,
            bisect=sc.bisect_on_error,
            partial=sc.report_batch_item_failures,
            retention_s=sc.retention_hours * 3600.0,
            max_age_s=float(sc.max_record_age_s),
            stop_s=self.run_s,
        )
        totals["invocations"] += ep.invocations
        totals["errors"] += ep.errors
        totals["handler_s"] += ep.gb_seconds_s
        totals["duplicates"] += ep.retried_deliveries
        for done, index, failed in ep.samples:
            if done <= self.run_s:
                p = _period_of(done, sc.period_s, self.periods)
                ages.add(p, np.array([done - stamp(index)]))
                per["errors"][p] += failed
        per["retries"][_period_of(start, sc.period_s, self.periods)] += ep.retried_deliveries
        if math.isinf(ep.end_s):
            # Still failing when the run ends: the lane (the shard, under the "shard"
            # failure policy) is stuck; the records stay unsettled.
            blocked = range((lane // self.pf) * self.pf, (lane // self.pf + 1) * self.pf)
            for other in blocked:
                free[other] = math.inf
            return
        poison_index[lane].pop(0)
        if ep.first_loss_s is not None and (
            self.first_loss is None or ep.first_loss_s < self.first_loss
        ):
            self.first_loss = ep.first_loss_s
        done = float(ep.succeeded + ep.to_destination + ep.expired)
        processed[lane] += done
        succeeded[lane] += ep.succeeded
        to_dest[lane] += ep.to_destination
        expired[lane] += ep.expired
        held[lane] = 0.0
        free[lane] = ep.end_s
        window_start[lane] = ep.end_s
        per["settled"][_period_of(min(ep.end_s, self.run_s - 1e-9), sc.period_s, self.periods)] += (
            done
        )
        base = (lane // self.pf) * self.pf
        for other in range(base, base + self.pf):  # parallel_failure_policy "shard"
            free[other] = max(free[other], ep.end_s)

    # -- the report -------------------------------------------------------------------------

    def _report(
        self,
        hist: _History,
        per: dict[str, list[float]],
        backlog: list[float | None],
        ages: _Ages,
        totals: dict[str, float],
        writes: _Writes,
        processed: NDArray[np.float64],
        succeeded: NDArray[np.float64],
        expired: NDArray[np.float64],
        to_dest: NDArray[np.float64],
        first_loss: float | None,
    ) -> Report:
        sc = self.sc
        periods = self.periods
        edges = [min(p * sc.period_s, self.run_s) for p in range(periods + 1)]
        spans = [b - a for a, b in itertools.pairwise(edges)]
        sizes = self.sizes
        put = round(totals["put"])
        put_bytes = totals["put"] * self.record_bytes
        usage = Usage(
            hours=self.run_s / 3600,
            mode=sc.mode,
            shards=self.shards,
            retention_hours=sc.retention_hours,
            put_payload_units=round(totals["put"] * sizes.payload_units),
            on_demand_bytes_in=round(totals["put"] * sizes.on_demand_bytes),
            bytes_read=round(put_bytes * (1 + sc.shared_readers)),
            efo_consumers=sc.fan_out_consumers,
            efo_bytes=round(put_bytes * sc.fan_out_consumers),
            lambda_requests=round(totals["invocations"]),
            lambda_gb_seconds=totals["handler_s"] * sc.memory_mb / 1024,
        )
        cost = monthly_cost(usage, sc.prices)
        written = hist.latest()
        pending = written - processed
        shards: dict[str, dict[str, int]] = {}
        pf = self.pf
        for s in range(self.shards):
            w = round(float(written[s * pf : (s + 1) * pf].sum()))
            done = round(float(processed[s * pf : (s + 1) * pf].sum()))
            shards[f"shardId-{s:012d}"] = {"written": w, "settled": done, "pending": w - done}
        processed_n = round(float(succeeded.sum()))
        expired_n = round(float(expired.sum()))
        dest_n = round(float(to_dest.sum()))
        summary = Summary(
            max_iterator_age_s=round(ages.max, 3),
            p99_iterator_age_s=round(ages.p99(), 3),
            records_generated=round(totals["generated"]),
            records_put=put,
            producer_throttled=round(writes.throttled),
            producer_gave_up=round(writes.gave_up),
            records_processed=processed_n,
            records_expired=expired_n,
            records_to_destination=dest_n,
            records_unresolved=max(0, round(float(pending.sum()))),
            duplicate_deliveries=round(totals["duplicates"]),
            time_to_first_loss_s=first_loss,
            peak_concurrency=round(totals["peak_concurrency"]),
            invocations=round(totals["invocations"]),
            errors=round(totals["errors"]),
            lambda_throttles=round(totals["lambda_throttles"]),
            write_throttles=round(writes.throttled),
            read_throttles=round(totals["read_throttles"]),
            monthly_cost_usd=cost.total,
            cost_lines=dict(cost.lines),
            prices_as_of=cost.as_of,
        )
        series: dict[str, list[float | None]] = {
            "iterator_age_max_s": list(ages.period_max),
            "incoming_per_s": [v / s for v, s in zip(per["incoming"], spans, strict=True)],
            "processed_per_s": [v / s for v, s in zip(per["settled"], spans, strict=True)],
            "backlog_records": backlog,
            "concurrency_max": list(per["concurrency"]),
            "write_throttles": list(per["write_throttles"]),
            "read_throttles": list(per["read_throttles"]),
            "lambda_throttles": list(per["lambda_throttles"]),
            "errors": list(per["errors"]),
            "retries": list(per["retries"]),
        }
        return Report(
            scenario=sc.to_dict(),
            description=sc.describe(),
            period_s=sc.period_s,
            times_s=[float(e) for e in edges[:-1]],
            series=series,
            summary=summary,
            shards=shards,
            engine="aggregate",
            error_bound=dict(ERROR_BOUND),
        )
