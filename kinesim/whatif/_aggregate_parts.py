"""Pure-Python pieces of the aggregate what-if engine (:mod:`kinesim.whatif._aggregate`).

- what the aggregate engine cannot model (:func:`unsupported_features`) and its validated error
  bound (:data:`ERROR_BOUND`);
- the workload's key mix: the share of records each shard and each ParallelizationFactor lane
  gets, computed from the key distribution and the keys' MD5 hash keys (:func:`key_mix`);
- record-size statistics (:func:`size_stats`);
- a failing batch's *episode* (:func:`poison_episode`): the retries, bisections and partial
  failures of the batch that holds a poison record, played invocation by invocation as the
  record-level lane would, since a few hundred invocations cost nothing.

Nothing here imports numpy; the engine passes its seeded draws in as callables.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import md5
from typing import TYPE_CHECKING

from kinesim._esm.retry import ExponentialBackoff, bisect_point
from kinesim._kinesis.hashing import even_ranges, hash_key_of
from kinesim._lambda.durations import Constant, DurationModel, Empirical, LogNormal, Uniform
from kinesim.whatif._pricing import on_demand_bytes, put_payload_units
from kinesim.whatif._workload import (
    CycleKeys,
    EmpiricalSize,
    FixedSize,
    HotKey,
    KeyDistribution,
    LogNormalSize,
    SizeDistribution,
    UniformKeys,
    UniformSize,
    ZipfKeys,
)

if TYPE_CHECKING:
    from kinesim.whatif._scenario import Scenario

__all__ = [
    "AUTO_RECORDS_THRESHOLD",
    "ERROR_BOUND",
    "Episode",
    "KeyMix",
    "SizeStats",
    "expected_records",
    "key_mix",
    "poison_episode",
    "size_stats",
    "unsupported_features",
]

#: ``engine="auto"`` runs the aggregate engine when a scenario is expected to put more records
#: than this (about 3-5 s of the record-level engine on one core), the record-level one below.
AUTO_RECORDS_THRESHOLD = 2_000_000

#: The agreement the aggregate engine is tested to hold against the record-level engine
#: (tests/whatif/test_aggregate.py, tests/slow/test_aggregate_grid.py): relative errors, an
#: absolute floor in seconds for iterator ages, and, for lost records (lost a batch at a time),
#: a floor of one batch.
ERROR_BOUND: dict[str, float] = {
    "records_processed_and_lost_rel": 0.01,
    "iterator_age_rel": 0.05,
    "iterator_age_abs_s": 2.0,
    "throttles_rel": 0.05,
    "monthly_cost_rel": 0.01,
}

#: The ESM's retry backoff as the record-level mapping uses it by default.
BACKOFF = ExponentialBackoff()


def unsupported_features(scenario: Scenario) -> list[str]:
    """What ``scenario`` uses that the aggregate engine does not model (empty: it can run).

    Replays carry per-record content (each record's time, size and key); the aggregate engine
    works from rates and distributions, so it leaves them to the record-level engine.
    """
    out: list[str] = []
    if scenario.arrivals.is_replay:
        out.append(f"a replayed workload (arrivals kind {scenario.arrivals.kind!r})")
    if not isinstance(scenario.duration, (Constant, Uniform, LogNormal, Empirical)):
        out.append(f"a handler duration computed from the event ({scenario.duration!r})")
    if scenario.starting_position != "TRIM_HORIZON":
        out.append("starting_position LATEST")
    # NOTE: concurrency is modelled per round of batches, which is tested only while every lane
    # can run at once; below that the record-level engine's timing of throttles and backoffs
    # decides the throughput, and the aggregate approximation can be far off.
    lanes = (4 if scenario.mode == "ON_DEMAND" else scenario.shards) * (
        scenario.parallelization_factor
    )
    caps = [scenario.account_concurrency]
    if scenario.reserved_concurrency is not None:
        caps.append(scenario.reserved_concurrency)
    caps += [p.concurrency for p in scenario.faults.throttle_periods]
    if min(caps) < lanes:
        out.append(
            f"function concurrency below the {lanes} lane(s) (shards x parallelization_factor): "
            f"a limit of {min(caps)} (reserved, account or a throttle period)"
        )
    return out


def expected_records(scenario: Scenario) -> float:
    """Records the workload is expected to put over the run (the auto engine's yardstick)."""
    arrivals = scenario.arrivals
    if arrivals.is_replay:
        return float(len(arrivals.load().times_ms))  # type: ignore[attr-defined]
    run_ms = round(scenario.simulated_s * 1000)
    step = 60_000
    return sum(
        arrivals.expected(start, min(start + step, run_ms)) for start in range(0, run_ms, step)
    )


# -- the key mix -------------------------------------------------------------------------------


def lane_of(key: str, lanes: int) -> int:
    """The ParallelizationFactor lane of ``key`` (the poller's rule: MD5 of the key mod N)."""
    return int.from_bytes(md5(key.encode("utf-8")).digest()[:8], "big") % lanes


@dataclass(frozen=True, slots=True)
class KeyMix:
    """Where the workload's records go: ``lane_share[l]`` is the share of all records that go
    to lane ``l`` (= shard ``l // pf``, lane ``l % pf``); ``cycle`` (for :class:`CycleKeys`)
    lists the lane of each key of the round robin, which then splits counts exactly."""

    shards: int
    pf: int
    lane_share: tuple[float, ...]
    cycle: tuple[int, ...] = ()
    mean_key_bytes: float = 0.0

    @property
    def shard_share(self) -> list[float]:
        pf = self.pf
        return [sum(self.lane_share[s * pf : (s + 1) * pf]) for s in range(self.shards)]


def _key_weights(keys: KeyDistribution) -> tuple[list[str], list[float]]:
    if isinstance(keys, UniformKeys):
        names = [f"key-{i}" for i in range(keys.count)]
        return names, [1.0 / keys.count] * keys.count
    if isinstance(keys, ZipfKeys):
        names = [f"key-{i}" for i in range(keys.count)]
        raw = [(rank + 1) ** -keys.s for rank in range(keys.count)]
        total = sum(raw)
        return names, [w / total for w in raw]
    if isinstance(keys, HotKey):
        names = [f"key-{i}" for i in range(keys.count)]
        if keys.count == 1:
            return names, [1.0]
        rest = (1 - keys.share) / (keys.count - 1)
        return names, [keys.share] + [rest] * (keys.count - 1)
    if isinstance(keys, CycleKeys):
        return list(keys.keys), [1.0 / len(keys.keys)] * len(keys.keys)
    raise TypeError(f"no key weights for {keys!r}")  # pragma: no cover - all kinds are above


def shard_of(key: str, ranges: list[tuple[int, int]]) -> int:
    """The shard (index into ``ranges``, as :func:`even_ranges` lays a new stream out)."""
    h = hash_key_of(key)
    lo, hi = 0, len(ranges) - 1
    while lo < hi:  # ranges are contiguous and ascending
        mid = (lo + hi) // 2
        if h > ranges[mid][1]:
            lo = mid + 1
        else:
            hi = mid
    return lo


def key_mix(keys: KeyDistribution, shards: int, pf: int) -> KeyMix:
    """The share of records each (shard, lane) gets under ``keys``."""
    ranges = even_ranges(shards)
    names, weights = _key_weights(keys)
    share = [0.0] * (shards * pf)
    lanes: list[int] = []
    key_bytes = 0.0
    for name, weight in zip(names, weights, strict=True):
        lane = shard_of(name, ranges) * pf + (lane_of(name, pf) if pf > 1 else 0)
        share[lane] += weight
        lanes.append(lane)
        key_bytes += weight * len(name.encode("utf-8"))
    cycle = tuple(lanes) if isinstance(keys, CycleKeys) else ()
    return KeyMix(shards, pf, tuple(share), cycle, key_bytes)


# -- record sizes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizeStats:
    """Per-record means of a size distribution: data bytes, PUT payload units, on-demand
    billed bytes, and (for the 6 MB batch cap) the event bytes of one record."""

    data_bytes: float
    payload_units: float
    on_demand_bytes: float


def _size_samples(sizes: SizeDistribution, seed: int) -> list[int]:
    if isinstance(sizes, FixedSize):
        return [sizes.bytes]
    if isinstance(sizes, EmpiricalSize):
        return list(sizes.samples)
    if isinstance(sizes, UniformSize):
        return list(range(sizes.low, sizes.high + 1))
    if isinstance(sizes, LogNormalSize):
        # NOTE: a fixed sample from a seeded generator: the means are estimated, not exact
        # (20,000 draws: a relative error of the mean well under 1%).
        return sizes.sample(20_000, random.Random(f"aggregate.sizes:{seed}"))
    raise TypeError(f"no size statistics for {sizes!r}")  # pragma: no cover


def size_stats(sizes: SizeDistribution, key_bytes: float, seed: int) -> SizeStats:
    samples = _size_samples(sizes, seed)
    n = len(samples)
    key = round(key_bytes)
    return SizeStats(
        data_bytes=sum(samples) / n,
        payload_units=sum(put_payload_units(s + key) for s in samples) / n,
        on_demand_bytes=sum(on_demand_bytes(s + key) for s in samples) / n,
    )


def mean_duration(model: DurationModel) -> float:
    if isinstance(model, Constant):
        return model.seconds
    if isinstance(model, Uniform):
        return (model.low + model.high) / 2
    if isinstance(model, LogNormal):
        return math.exp(model.mu + model.sigma**2 / 2)
    if isinstance(model, Empirical):
        return sum(model.samples) / len(model.samples)
    raise TypeError(f"no mean for {model!r}")  # pragma: no cover


# -- a poison record's batch -------------------------------------------------------------------


@dataclass(slots=True)
class Episode:
    """What processing one batch that holds a poison record came to."""

    end_s: float
    invocations: int = 0
    errors: int = 0
    succeeded: int = 0
    to_destination: int = 0
    expired: int = 0
    retried_deliveries: int = 0
    gb_seconds_s: float = 0.0  # handler seconds
    #: When the first of its records was lost (expired or sent to the destination), if any.
    first_loss_s: float | None = None
    #: (completion time, lane index of the range's last record, failed) per invocation.
    samples: list[tuple[float, int, bool]] = field(default_factory=list)


def poison_episode(
    *,
    start_s: float,
    first: int,
    size: int,
    poison: int,
    draw: Callable[[float], float],
    stamp: Callable[[int], float],
    max_retry_attempts: int,
    bisect: bool,
    partial: bool,
    retention_s: float,
    max_age_s: float,
    stop_s: float,
) -> Episode:
    """Play the batch of lane records ``[first, first + size)`` holding a poison record at lane
    index ``poison`` from ``start_s``, as :mod:`kinesim._esm.lane` does: invoke, fail, back off
    (:data:`BACKOFF`, by the lane's failure streak), retry, bisect or report the failed item,
    until the batch is settled or the run ends at ``stop_s``. ``draw(t)`` is one handler
    duration for an invocation starting at ``t``; ``stamp(i)`` the arrival time of record ``i``.
    """
    ep = Episode(end_s=start_s)
    # NOTE: with ``partial`` the handler reports the poison record as the failed item; when it
    # is the range's first record the lane treats the report as a failure of the range.
    ranges: list[tuple[int, int]] = [(first, first + size)]
    now = start_s
    streak = 0
    delivered_before = False
    while ranges:
        lo, hi = ranges.pop(0)
        invocations = 0
        while lo < hi:
            if now >= stop_s:
                ep.end_s = math.inf
                return ep
            # At invoke: records trimmed by retention are lost, then old ones discarded.
            while lo < hi and stamp(lo) < now - retention_s:
                lo += 1
                ep.expired += 1
                ep.first_loss_s = now if ep.first_loss_s is None else ep.first_loss_s
            if max_age_s >= 0:
                while lo < hi and stamp(lo) < now - max_age_s:
                    lo += 1
                    ep.to_destination += 1
                    ep.first_loss_s = now if ep.first_loss_s is None else ep.first_loss_s
            if lo >= hi:
                break
            duration = draw(now)
            ep.invocations += 1
            ep.gb_seconds_s += duration
            if delivered_before:
                ep.retried_deliveries += hi - lo
            delivered_before = True
            invocations += 1
            now += duration
            failed = lo <= poison < hi
            ep.samples.append((now, hi - 1, failed))
            if not failed:
                ep.succeeded += hi - lo
                streak = 0
                break
            # A reported item failure is a normal return, not a function error (Errors).
            ep.errors += not partial
            streak += 1
            if partial and poison > lo:
                ep.succeeded += poison - lo
                lo, invocations = poison, 0
            elif bisect and hi - lo > 1:
                mid = lo + bisect_point(hi - lo)
                ranges.insert(0, (mid, hi))
                hi, invocations = mid, 0
            elif max_retry_attempts != -1 and invocations >= 1 + max_retry_attempts:
                ep.to_destination += hi - lo
                ep.first_loss_s = now if ep.first_loss_s is None else ep.first_loss_s
                streak = 0
                break
            now += BACKOFF.delay_ms(streak) / 1000
    ep.end_s = now
    return ep
