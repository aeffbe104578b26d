"""Running a :class:`Scenario` on the real models: a stream, a function, a mapping, a producer.

The engine only composes kinesim's public and internal APIs (``sim.kinesis``, ``sim.lambda_``,
``sim.sqs``); it simulates nothing itself. It samples the metrics once per report period (never
per record), so a long run costs what the models cost.
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kinesim._config import Limits
from kinesim._esm.batch import BatchView
from kinesim._lambda.durations import DurationModel
from kinesim._observe.metrics import Series
from kinesim._simulator import Simulator
from kinesim.whatif._dists import poisson
from kinesim.whatif._pricing import Usage, monthly_cost
from kinesim.whatif._producer import Producer
from kinesim.whatif._report import Report, Summary

if TYPE_CHECKING:
    from kinesim._esm.mapping import EventSourceMapping
    from kinesim.whatif._faults import Faults
    from kinesim.whatif._scenario import Scenario

__all__ = ["PoisonRecordError", "TransientError", "run_scenario"]

STREAM = "whatif"
FUNCTION = "whatif-handler"


class PoisonRecordError(Exception):
    """Raised by the what-if handler for a batch holding a poison record."""


class TransientError(Exception):
    """Raised by the what-if handler at random (``faults.error_probability``)."""


class _FaultyHandler:
    """The what-if handler when faults need one: fails batches holding a poison record (or,
    with ``report_batch_item_failures``, reports the poison record as the batch's failed item)
    and, with ``error_probability``, fails any batch.

    It takes the ESM's :class:`~kinesim._esm.batch.BatchView` (shard id and positions), so the
    mapping need not build event records (the fast path); given a real event it reads the
    records' sequence numbers instead.
    """

    kinesim_takes_batch_view = True

    def __init__(
        self, faults: Faults, rng: random.Random, *, report_item_failures: bool = False
    ) -> None:
        self.report_item_failures = report_item_failures
        self.poison_positions: dict[str, list[int]] = {}
        self.poison_seqs: set[str] = set()
        self.error_probability = faults.error_probability
        self.rng = rng

    def add_poison(self, shard_id: str, position: int, sequence_number: str) -> None:
        insort(self.poison_positions.setdefault(shard_id, []), position)
        self.poison_seqs.add(sequence_number)

    def _first_poison(self, event: Any) -> str | None:
        """The sequence number of the batch's first poison record, or None."""
        if isinstance(event, BatchView):
            positions = self.poison_positions.get(event.shard_id)
            if not positions:
                return None
            k = bisect_left(positions, event.start)
            # A lane's batch (ParallelizationFactor > 1) holds some of [start, end) only.
            while k < len(positions) and positions[k] < event.end:
                if event.holds(positions[k]):
                    return event.sequence_number(positions[k])
                k += 1
            return None
        for record in event["Records"]:
            seq: str = record["kinesis"]["sequenceNumber"]
            if seq in self.poison_seqs:
                return seq
        return None

    def __call__(self, event: Any, context: Any) -> Any:
        if self.poison_seqs:
            poison = self._first_poison(event)
            if poison is not None:
                if self.report_item_failures:
                    # What a handler using ReportBatchItemFailures does: report the bad record
                    # (the mapping checkpoints before it and retries from it).
                    return {"batchItemFailures": [{"itemIdentifier": poison}]}
                raise PoisonRecordError("a poison record is in this batch")
        if self.error_probability and self.rng.random() < self.error_probability:
            raise TransientError("a transient error (faults.error_probability)")
        return None


class _Slowed(DurationModel):
    """The scenario's duration model, times the slow periods' factor at invocation time."""

    __slots__ = ("base", "faults", "sim", "start_ms")

    def __init__(self, base: DurationModel, faults: Faults, sim: Simulator) -> None:
        self.base = base
        self.faults = faults
        self.sim = sim
        self.start_ms = sim.now_ms

    def sample(self, rng: random.Random, event: Any, context: Any) -> float:
        seconds = self.base.sample(rng, event, context)
        return seconds * self.faults.slow_factor((self.sim.now_ms - self.start_ms) / 1000)


class _Source:
    """Turns the scenario's workload into (keys, sizes) per producer tick."""

    def __init__(self, scenario: Scenario, sim: Simulator) -> None:
        self.arrivals = scenario.arrivals
        self.sizes = scenario.record_size
        self.keys = scenario.keys
        self.rng_count = sim.random("whatif.arrivals")
        self.rng_size = sim.random("whatif.sizes")
        self.rng_key = sim.random("whatif.keys")
        self.poisson = self.arrivals.poisson_counts()
        self.carry = 0.0
        self.replay = self.arrivals.load() if self.arrivals.is_replay else None  # type: ignore[attr-defined]
        self.cursor = 0
        self.keys_drawn = 0

    def __call__(self, start_ms: int, end_ms: int) -> tuple[list[str], list[int]]:
        replay = self.replay
        if replay is not None:
            lo = self.cursor
            hi = lo
            times = replay.times_ms
            while hi < len(times) and times[hi] < end_ms:
                hi += 1
            self.cursor = hi
            sizes = list(replay.sizes[lo:hi])
            drawn = iter(self.keys.sample(sum(k is None for k in replay.keys[lo:hi]), self.rng_key))
            keys = [k if k is not None else next(drawn) for k in replay.keys[lo:hi]]
            return keys, sizes
        mean = self.arrivals.expected(start_ms, end_ms)
        if self.poisson:
            n = poisson(mean, self.rng_count)
        else:
            self.carry += mean
            n = math.floor(self.carry + 1e-9)
            self.carry -= n
        if n <= 0:
            return [], []
        keys = self.keys.sample_at(self.keys_drawn, n, self.rng_key)
        self.keys_drawn += n
        return keys, self.sizes.sample(n, self.rng_size)


class _FanOutReaders:
    """``count`` enhanced fan-out consumers reading every shard from the start, resubscribing
    every five minutes as KCL does; they count the bytes pushed to them (for the cost)."""

    def __init__(self, sim: Simulator, stream: Any, count: int) -> None:
        self.sim = sim
        self.bytes = 0
        self.consumers = [stream.register_consumer(f"whatif-fan-out-{k}") for k in range(count)]
        for consumer in self.consumers:
            for shard in stream.open_shards():
                self._subscribe(consumer, shard.shard_id, "TRIM_HORIZON", None)

    def _subscribe(self, consumer: Any, shard_id: str, position: str, seq: str | None) -> None:
        consumer.subscribe(
            shard_id,
            position,
            sequence_number=seq,
            on_event=self._on_event,
            on_end=self._on_end,
            keep_events=False,
        )

    def _on_event(self, event: Any) -> None:
        self.bytes += event.bytes

    def _on_end(self, subscription: Any) -> None:
        if subscription.end_reason.value != "EXPIRED":
            return
        shard = subscription.shard
        position = subscription.position
        if position > shard.trim_index:
            args = ("AFTER_SEQUENCE_NUMBER", shard.sequence_number(position - 1))
        else:
            args = ("TRIM_HORIZON", None)
        self.sim.call_later_ms(0, self._subscribe, subscription.consumer, shard.shard_id, *args)


class _SharedReaders:
    """``count`` other applications polling every shard through GetRecords (shared throughput,
    like a KCL worker): each reads up to 10,000 records every ``interval_ms`` from where it left
    off, charging the shard's shared 5 calls/s and 2 MiB/s read limits the mapping also uses."""

    def __init__(self, sim: Simulator, stream: Any, count: int, interval_ms: int) -> None:
        self.sim = sim
        self.interval_ms = interval_ms
        self.bytes = 0
        for k in range(count):
            for shard in stream.open_shards():
                # Staggered within the interval, so readers do not all poll at the same instant.
                offset = (k * interval_ms) // max(1, count)
                sim.call_later_ms(offset, self._poll, shard, shard.trim_index)

    def _poll(self, shard: Any, position: int) -> None:
        result = shard.read(position)
        if not result.throttled:
            self.bytes += result.bytes
            position = result.end
        self.sim.call_later_ms(self.interval_ms, self._poll, shard, position)


def _period_values(series: Series, edges: list[int], how: str) -> list[float | None]:
    out: list[float | None] = []
    for a, b in itertools.pairwise(edges):
        values = series.values(a, b)
        if how == "sum":
            out.append(float(sum(values)))
        elif values:
            out.append(float(max(values)))
        else:
            out.append(None)
    return out


def run_scenario(
    scenario: Scenario, *, progress: Callable[[float], object] | None = None
) -> Report:
    """Build the models for ``scenario``, run it, and read the report off the metrics."""
    sim = Simulator(
        seed=scenario.seed,
        trace=False,
        # The report reads every datapoint back in periods of scenario.period_s seconds.
        metric_datapoints=None,
        limits=Limits(account_concurrency=scenario.account_concurrency),
    )
    if scenario.mode == "ON_DEMAND":
        stream = sim.kinesis.create_stream(
            STREAM, mode="ON_DEMAND", retention_hours=scenario.retention_hours
        )
    else:
        stream = sim.kinesis.create_stream(
            STREAM, scenario.shards, retention_hours=scenario.retention_hours
        )
    faults = scenario.faults
    handler: _FaultyHandler | None = None
    if faults.any_record_faults:
        handler = _FaultyHandler(
            faults,
            sim.random("whatif.errors"),
            report_item_failures=scenario.report_batch_item_failures,
        )
    duration: DurationModel = scenario.duration
    if faults.slow_periods:
        duration = _Slowed(duration, faults, sim)
    fn = sim.lambda_.create_function(
        FUNCTION,
        handler,
        timeout=scenario.timeout_s,
        memory_mb=scenario.memory_mb,
        reserved_concurrency=scenario.reserved_concurrency,
        duration=duration,
        cold_start=scenario.cold_start_s,
        keep_invocations=False,
    )
    dlq = sim.sqs.create_queue("whatif-on-failure") if scenario.on_failure else None
    mapping: EventSourceMapping = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position=scenario.starting_position,
        batch_size=scenario.batch_size,
        batching_window=scenario.batching_window_s,
        parallelization_factor=scenario.parallelization_factor,
        bisect_on_error=scenario.bisect_on_error,
        max_retry_attempts=scenario.max_retry_attempts,
        max_record_age=scenario.max_record_age_s,
        on_failure=dlq,
        report_batch_item_failures=scenario.report_batch_item_failures,
    )
    _Throttles(sim, fn, faults.throttle_periods, scenario.reserved_concurrency)

    run_ms = round(scenario.simulated_s * 1000)
    poison_rng = sim.random("whatif.poison")
    poison_key_rng = sim.random("whatif.poison.keys")

    def poison_key() -> str:
        if faults.poison_key is not None:
            return faults.poison_key
        return scenario.keys.sample(1, poison_key_rng)[0]

    def on_poison(shard_id: str, position: int) -> None:
        assert handler is not None
        handler.add_poison(shard_id, position, stream.shard(shard_id).sequence_number(position))

    producer = Producer(
        sim,
        stream,
        _Source(scenario, sim),
        config=scenario.producer,
        stop_ms=run_ms,
        poison_times_ms=faults.poison_times_ms(run_ms, poison_rng),
        poison_key=poison_key,
        on_poison=on_poison,
    )
    producer.start()
    fan_out = _FanOutReaders(sim, stream, scenario.fan_out_consumers)
    _SharedReaders(
        sim, stream, scenario.shared_readers, round(scenario.shared_reader_interval_s * 1000)
    )

    period_ms = scenario.period_s * 1000
    start_ms = sim.now_ms
    edges = [start_ms]
    processed: list[float | None] = []
    backlog: list[float | None] = []
    settled_before = 0
    while edges[-1] < start_ms + run_ms:
        target = min(edges[-1] + period_ms, start_ms + run_ms)
        sim.advance_ms(target - sim.now_ms)
        edges.append(target)
        settled = sum(p.position for p in mapping.pollers.values())
        written = sum(s.end_index for s in stream.shards)
        span_s = (edges[-1] - edges[-2]) / 1000
        processed.append((settled - settled_before) / span_s)
        backlog.append(float(written - settled))
        settled_before = settled
        if progress is not None:
            progress((target - start_ms) / run_ms)
    return _report(scenario, sim, stream, fn, mapping, producer, fan_out, edges, processed, backlog)


class _Throttles:
    """Applies the scenario's throttle periods: while any is active the function's reserved
    concurrency is the smallest active cap; when none is, the scenario's own setting again.
    Overlapping periods compose (a period ending does not lift another still running)."""

    def __init__(self, sim: Simulator, fn: Any, periods: Any, normal: int | None) -> None:
        self.sim = sim
        self.fn = fn
        self.normal = normal
        self.active: list[int] = []
        for period in periods:
            sim.call_later_ms(round(period.start_s * 1000), self._begin, period.concurrency)
            sim.call_later_ms(
                round((period.start_s + period.duration_s) * 1000), self._end, period.concurrency
            )

    def _apply(self) -> None:
        lambda_ = self.sim.lambda_
        if self.active:
            lambda_.put_function_concurrency(self.fn, min(self.active))
        elif self.normal is None:
            lambda_.delete_function_concurrency(self.fn)
        else:
            lambda_.put_function_concurrency(self.fn, self.normal)

    def _begin(self, cap: int) -> None:
        self.active.append(cap)
        self._apply()

    def _end(self, cap: int) -> None:
        self.active.remove(cap)
        self._apply()


def _first_loss_ms(mapping: EventSourceMapping) -> int | None:
    lost = [
        run.time_ms
        for run in mapping.ledger.fate_runs()
        if run.kind not in ("succeeded", "filtered")
    ]
    return min(lost, default=None)


def _retry_deliveries(mapping: EventSourceMapping, edges: list[int]) -> list[float | None]:
    counts = [0.0] * (len(edges) - 1)
    from bisect import bisect_right

    for batch in mapping.ledger.batches():
        if batch.reason != "first":
            k = bisect_right(edges, batch.time_ms) - 1
            if 0 <= k < len(counts):
                counts[k] += len(batch.positions)
    return list(counts)


def _report(
    scenario: Scenario,
    sim: Simulator,
    stream: Any,
    fn: Any,
    mapping: EventSourceMapping,
    producer: Producer,
    fan_out: _FanOutReaders,
    edges: list[int],
    processed: list[float | None],
    backlog: list[float | None],
) -> Report:
    metrics = sim.metrics
    age = metrics.series("AWS/Lambda", "IteratorAge", FunctionName=FUNCTION)
    incoming = metrics.series("AWS/Kinesis", "IncomingRecords", StreamName=STREAM)
    write_thr = metrics.series(
        "AWS/Kinesis", "WriteProvisionedThroughputExceeded", StreamName=STREAM
    )
    read_thr = metrics.series("AWS/Kinesis", "ReadProvisionedThroughputExceeded", StreamName=STREAM)
    read_bytes = metrics.series("AWS/Kinesis", "GetRecords.Bytes", StreamName=STREAM)
    concurrency = metrics.series("AWS/Lambda", "ConcurrentExecutions", FunctionName=FUNCTION)
    throttles = metrics.series("AWS/Lambda", "Throttles", FunctionName=FUNCTION)
    errors = metrics.series("AWS/Lambda", "Errors", FunctionName=FUNCTION)
    invocations = metrics.series("AWS/Lambda", "Invocations", FunctionName=FUNCTION)
    duration = metrics.series("AWS/Lambda", "Duration", FunctionName=FUNCTION)

    spans = [(b - a) / 1000 for a, b in itertools.pairwise(edges)]
    ages_ms = _period_values(age, edges, "max")
    conc = _period_values(concurrency, edges, "max")
    # A period with no concurrency change holds the level the previous one ended at.
    level = 0.0
    conc_filled: list[float | None] = []
    for k, value in enumerate(conc):
        points = concurrency.values(edges[k], edges[k + 1])
        conc_filled.append(max(level, value) if value is not None else level)
        if points:
            level = float(points[-1])
    series: dict[str, list[float | None]] = {
        "iterator_age_max_s": [None if v is None else v / 1000 for v in ages_ms],
        "incoming_per_s": [
            (v or 0.0) / s
            for v, s in zip(_period_values(incoming, edges, "sum"), spans, strict=True)
        ],
        "processed_per_s": processed,
        "backlog_records": backlog,
        "concurrency_max": conc_filled,
        "write_throttles": _period_values(write_thr, edges, "sum"),
        "read_throttles": _period_values(read_thr, edges, "sum"),
        "lambda_throttles": _period_values(throttles, edges, "sum"),
        "errors": _period_values(errors, edges, "sum"),
        "retries": _retry_deliveries(mapping, edges),
    }
    fates = mapping.ledger.fates()
    reasons = mapping.ledger.delivery_reasons()
    hours = (edges[-1] - edges[0]) / 3_600_000
    stats = producer.stats
    usage = Usage(
        hours=hours,
        mode=scenario.mode,
        shards=len(stream.open_shards()),
        retention_hours=scenario.retention_hours,
        put_payload_units=stats.put_payload_units,
        on_demand_bytes_in=stats.on_demand_bytes,
        bytes_read=int(read_bytes.sum()),
        efo_consumers=scenario.fan_out_consumers,
        efo_bytes=fan_out.bytes,
        lambda_requests=int(invocations.count()),
        lambda_gb_seconds=duration.sum() / 1000 * scenario.memory_mb / 1024,
    )
    cost = monthly_cost(usage, scenario.prices)
    first_loss = _first_loss_ms(mapping)
    shards: dict[str, dict[str, int]] = {}
    for shard in stream.shards:
        poller = mapping.pollers.get(shard.shard_id)
        settled = poller.position if poller is not None else 0
        shards[shard.shard_id] = {
            "written": shard.end_index,
            "settled": settled,
            "pending": shard.end_index - settled,
        }
    destination = sum(v for k, v in fates.items() if k not in ("succeeded", "expired"))
    summary = Summary(
        max_iterator_age_s=(age.max(default=0.0) or 0.0) / 1000,
        p99_iterator_age_s=(age.percentile(99) or 0.0) / 1000 if len(age) else 0.0,
        records_generated=stats.generated,
        records_put=stats.put_ok,
        producer_throttled=stats.throttled_entries,
        producer_gave_up=stats.gave_up,
        records_processed=fates.get("succeeded", 0),
        records_expired=fates.get("expired", 0),
        records_to_destination=destination,
        records_unresolved=sum(u.record_count for u in mapping.ledger.unresolved()),
        duplicate_deliveries=sum(v for k, v in reasons.items() if k != "first"),
        time_to_first_loss_s=None if first_loss is None else (first_loss - edges[0]) / 1000,
        peak_concurrency=int(concurrency.max(default=0) or 0),
        invocations=int(invocations.count()),
        errors=int(errors.sum()),
        lambda_throttles=int(throttles.sum()),
        write_throttles=int(write_thr.sum()),
        read_throttles=int(read_thr.sum()),
        monthly_cost_usd=cost.total,
        cost_lines=dict(cost.lines),
        prices_as_of=cost.as_of,
    )
    return Report(
        scenario=scenario.to_dict(),
        description=scenario.describe(),
        period_s=scenario.period_s,
        times_s=[(e - edges[0]) / 1000 for e in edges[:-1]],
        series=series,
        summary=summary,
        shards=shards,
    )
