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

import math
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from kinesim._esm.batch import PAYLOAD_LIMIT_BYTES
from kinesim._esm.poller import READ_AHEAD_RECORDS
from kinesim._kinesis.hashing import even_ranges
from kinesim.whatif._aggregate_parts import (
    BACKOFF,
    key_mix,
    lane_of,
    poison_episode,
    shard_of,
    size_stats,
    unsupported_features,
)
from kinesim.whatif._aggregate_report import aggregate_report
from kinesim.whatif._aggregate_state import (
    READ_BYTES,
    READ_CALLS,
    READ_RECORDS,
    RECORD_OVERHEAD,
    Ages,
    Durations,
    History,
    Writes,
)
from kinesim.whatif._aggregate_steady import steady_stretch
from kinesim.whatif._report import Report
from kinesim.whatif._workload import ConstantRate, Poisson

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from kinesim.whatif._scenario import Scenario

__all__ = ["AggregateUnsupported", "run_aggregate"]


class AggregateUnsupported(ValueError):
    """The scenario uses something the aggregate engine does not model."""


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
        self.durations = Durations(sc, np.random.default_rng([seed, 1]))
        self.error_rng = np.random.default_rng([seed, 2])
        self.run_s = sc.simulated_s
        self.steps = math.ceil(self.run_s)
        self.periods = math.ceil(self.run_s / sc.period_s)
        share = np.asarray(self.mix.lane_share) / sum(self.mix.lane_share)
        # Shares summing to 1 within rounding: numpy's multinomial checks the partial sums.
        share[-1] = max(0.0, 1.0 - float(share[:-1].sum()))
        self.share = share
        event_bytes = self.record_bytes * 4 / 3 + RECORD_OVERHEAD
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
        hist = History(lanes, max(0.0, 1.0 - flush_s))
        writes = Writes(sc, self.shards, self.record_bytes)
        ages = Ages(self.periods)
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
        event_bytes = self.record_bytes * 4 / 3 + RECORD_OVERHEAD
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
        read_records_cap = max(1.0, min(5 * READ_RECORDS, READ_BYTES / event_bytes))
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
                # Each other reader reads what is new each time; the mapping what it is due.
                new_bytes = float(lane_new.sum()) * self.record_bytes / self.shards
                calls = 1 + readers_per_s
                read_debt = np.maximum(read_debt - READ_BYTES, 0.0)
                over_calls = max(0.0, calls - READ_CALLS)
                blocked = read_debt >= READ_BYTES
                admitted = (~blocked) & (
                    np.full(self.shards, over_calls) < (k % max(1, math.ceil(calls))) + 1
                )
                mapping_bytes = due.reshape(self.shards, pf).sum(axis=1) * self.record_bytes
                read_debt += new_bytes * readers_per_s + np.where(admitted, mapping_bytes, 0.0)
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
        return aggregate_report(
            self,
            hist, per, backlog_at_end, ages, totals, writes, processed, succeeded, expired,
            to_dest, self.first_loss,
        )  # fmt: skip

    def _read_ahead(
        self,
        hist: History,
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
        hist: History,
        writes: Writes,
        ages: Ages,
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
        hist: History,
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
        ages: Ages,
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
