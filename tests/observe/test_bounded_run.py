"""A long run's bookkeeping is bounded by caps, not by virtual time (issue 14; the r14 repro).

Constant load (2 shards, 20 records/s) with the default caps lowered so the bounds show within
minutes: what the metrics, ledger, trace and invocation log hold after 40 virtual minutes is
what they hold after 20 (periods aside: one per metric and minute). The 7-day version with the
defaults is tests/slow/test_soak.py.
"""

import msgpack
import pytest

import kinesim
from kinesim import invariants


def _run(hours: int, *, step_s: int = 3600, **simulator: object):
    sim = kinesim.Simulator(**simulator)
    stream = sim.kinesis.create_stream("s", shard_count=2)
    fn = sim.lambda_.create_function("f", None, duration=0.02)
    fn.invocation_log_limit = 100
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    esm.ledger.compact_after = 50

    def produce() -> None:
        stream.put_records([(b"x" * 100, f"k{i}") for i in range(20)])
        sim.call_later(1, produce)

    sim.call_later(0, produce)
    sizes = []
    for _ in range(hours):
        sim.advance(step_s)
        sizes.append(
            (
                sim.metrics.bookkeeping()["raw"],
                sim.metrics.bookkeeping()["periods_60s"],
                esm.ledger.bookkeeping(),
                len(sim.trace),
                len(fn.invocations),
            )
        )
    return sim, stream, fn, esm, sizes


def test_bookkeeping_stays_bounded_under_constant_load() -> None:
    sim, stream, fn, esm, sizes = _run(2, step_s=1200, trace_limit=500, metric_datapoints=50)
    (raw1, periods1, ledger1, trace1, log1), (raw2, periods2, ledger2, trace2, log2) = sizes
    # Raw datapoints per metric: the cap, plus at most the cap again and the open minute's
    # (at most 120 a minute here), whatever the time.
    metrics = len(sim.metrics.list_metrics())
    assert 50 * metrics <= raw1 <= (2 * 50 + 120) * metrics
    assert 50 * metrics <= raw2 <= (2 * 50 + 120) * metrics
    # Periods grow with virtual minutes (one per metric and minute), not with events.
    assert periods2 - periods1 <= 20 * metrics
    # The ledger of a healthy mapping: one run per shard and fewer than compact_after entries.
    assert ledger2["runs"] == ledger1["runs"] == 2
    assert ledger2["deliveries"] <= 2 * (50 + 1)
    assert 500 <= trace1 == trace2 <= 550
    assert 100 <= log1 <= 110
    assert 100 <= log2 <= 110
    # ...while the counts cover everything.
    assert fn.invocation_count == esm.ledger.invocations() >= 2 * 1200 * 2
    assert fn.outcome_counts == {"success": fn.invocation_count}
    assert sim.trace.recorded > 20_000
    sim.drain()
    written = sum(shard.end_index for shard in stream.shards)
    assert written >= 2 * 1200 * 20
    assert esm.ledger.fates() == {"succeeded": written}
    assert esm.ledger.delivery_reasons() == {"first": written}
    # The invariants read the compacted ledger.
    invariants.check_no_silent_loss(esm)
    invariants.check_at_least_once(esm)
    invariants.check_order_per_key(invariants.deliveries(esm))
    series = sim.metrics.series("AWS/Kinesis", "IncomingRecords", StreamName="s")
    assert series.sum() == written


def test_the_digest_covers_the_whole_run_whatever_the_limit() -> None:
    ring = _run(1, step_s=600, trace_limit=100)[0]
    every = _run(1, step_s=600, trace="all")[0]
    assert len(every.trace) == every.trace.recorded == ring.trace.recorded
    assert len(ring.trace) <= 110
    assert ring.trace.digest() == every.trace.digest()
    assert ring.trace.events == every.trace.events[-len(ring.trace) :]


def test_trace_streams_every_event_to_a_file(tmp_path) -> None:
    path = tmp_path / "run.trace"
    sim = kinesim.Simulator(trace_limit=10, trace_file=path)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    for i in range(30):
        stream.put_record(b"x", f"k{i}")
        sim.advance(1)
    sim.trace.flush()
    loaded = kinesim.Trace.load(path)  # a valid trace mid-run, once flushed
    assert len(loaded) == sim.trace.recorded == 31  # create + 30 puts
    assert loaded.digest() == sim.trace.digest()
    sim.trace.close_stream()
    assert [e.fields.get("first") for e in loaded.of_kind("kinesis.put")] == list(range(30))
    assert len(sim.trace) <= 11
    with path.open("rb") as file:
        header = next(msgpack.Unpacker(file, raw=False))
    assert header["count"] == 31


def test_trace_options_are_checked() -> None:
    with pytest.raises(ValueError, match="'all'"):
        kinesim.Simulator(trace="everything")
    with pytest.raises(ValueError, match="limit"):
        kinesim.Simulator(trace_limit=-1)
    assert kinesim.Simulator(trace="all").trace.limit is None
    assert kinesim.Simulator().trace.limit == 1_000
    assert kinesim.Simulator(trace={"kinesis.put"}, trace_limit=5).trace.limit == 5


def test_invocation_log_keeps_the_latest_and_counts_every_one() -> None:
    sim = kinesim.Simulator()
    fn = sim.lambda_.create_function("f", lambda event, context: event["i"] % 3 or 1 / 0)
    fn.invocation_log_limit = 10
    for i in range(100):
        fn.invoke({"i": i})
        sim.advance(1)
    assert 10 <= len(fn.invocations) <= 11
    assert [inv.outcome for inv in fn.invocations][-3:] == ["success", "success", "error"]
    assert fn.invocations[-1].start_ms == sim.start_ms + 99_000  # the latest are kept
    assert fn.invocation_count == 100
    assert fn.outcome_counts == {"success": 66, "error": 34}
    fn.invocation_log_limit = None
    for _ in range(30):
        fn.invoke({"i": 1})
    assert len(fn.invocations) >= 40
    quiet = sim.lambda_.create_function("q", None, keep_invocations=False)
    quiet.invoke({})
    assert (quiet.invocations, quiet.invocation_count) == ([], 1)
