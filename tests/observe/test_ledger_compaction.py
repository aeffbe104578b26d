"""The ledger compacts clean deliveries into runs, caps detail and releases at retention."""

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from kinesim._observe.ledger import Delivery, Ledger


@dataclass
class _Shard:
    shard_id: str = "shardId-000000000000"
    end_index: int = 0
    trim_index: int = 0

    def sequence_number(self, i: int) -> str:
        return str(1000 + i)

    def position_of(self, sequence_number: str) -> int:
        return int(sequence_number) - 1000


def _clean_batches(ledger: Ledger, shard: _Shard, batches: int, size: int, t0: int = 0) -> None:
    for b in range(batches):
        start = shard.end_index
        shard.end_index += size
        ledger.delivered(shard.shard_id, start, start + size, "first", t0 + b, f"r{b}")
        ledger.settle(shard.shard_id, start, start + size, "succeeded", t0 + b)


def test_clean_deliveries_become_one_run_and_counts_stay_exact() -> None:
    shard = _Shard()
    ledger = Ledger(compact_after=10)
    ledger.open(shard, 0)
    _clean_batches(ledger, shard, 1000, 5)
    held = ledger.bookkeeping()
    assert held["runs"] == 1
    assert held["deliveries"] <= 10 + 1  # compaction runs as the 11th unsettled one arrives
    assert ledger.invocations() == 1000
    assert ledger.delivery_reasons() == {"first": 5000}
    assert ledger.fates() == {"succeeded": 5000}
    # A compacted record says it was delivered once, at its run's first invocation (the run
    # began at time 0); its own time and request id are not kept.
    assert ledger.deliveries(("shardId-000000000000", 7)) == [Delivery("first", 0, "")]
    # The newest, not yet compacted, keep everything.
    assert ledger.deliveries(("shardId-000000000000", 4999)) == [Delivery("first", 999, "r999")]
    batches = ledger.batches()
    assert batches[0].positions == range(len(batches[0].positions))
    assert sum(len(b.positions) for b in batches) == 5000
    ledger._check()


def test_records_with_something_to_say_keep_their_detail() -> None:
    shard = _Shard()
    ledger = Ledger(compact_after=4)
    ledger.open(shard, 0)
    sid = shard.shard_id
    _clean_batches(ledger, shard, 3, 10)  # positions 0-29
    shard.end_index = 40
    ledger.delivered(sid, 30, 40, "first", 10, "a")
    ledger.delivered(sid, 30, 40, "retry", 11, "b")
    ledger.delivered(sid, 30, 35, "bisect", 12, "c")
    ledger.settle(sid, 30, 35, "succeeded", 12)
    ledger.settle(sid, 35, 40, "RetryAttemptsExhausted", 12)
    _clean_batches(ledger, shard, 10, 10, t0=20)
    assert ledger.deliveries((sid, 31)) == [
        Delivery("first", 10, "a"),
        Delivery("retry", 11, "b"),
        Delivery("bisect", 12, "c"),
    ]
    assert ledger.deliveries((sid, 38)) == [Delivery("first", 10, "a"), Delivery("retry", 11, "b")]
    assert ledger.bookkeeping()["runs"] == 2  # clean before and after the retried batch
    assert ledger.delivery_reasons() == {"first": 140, "retry": 10, "bisect": 5}
    assert ledger.invocations() == 16
    ledger._check()


def test_detail_is_capped_with_counts_beyond_and_a_stalled_batch_stays_noisy() -> None:
    shard = _Shard(end_index=10)
    ledger = Ledger(compact_after=5, detail_limit=20)
    ledger.open(shard, 0)
    sid = shard.shard_id
    ledger.delivered(sid, 0, 10, "first", 0, "first")
    for attempt in range(1, 500):  # a poison batch retried for days
        ledger.delivered(sid, 0, 10, "retry", attempt, f"retry-{attempt}")
    held = ledger.bookkeeping()
    assert held["deliveries"] <= 20 + 5
    assert held["detail_dropped"] == 500 - held["deliveries"]
    assert ledger.invocations() == 500
    assert ledger.delivery_reasons() == {"first": 10, "retry": 4990}
    ledger.settle(sid, 0, 10, "succeeded", 600)
    _clean_batches(ledger, shard, 30, 10, t0=700)
    # The retried records were never compacted as clean: what is held of them is their latest
    # retries (detail past the cap is counted, not kept), never a clean run's "first".
    held_for_3 = ledger.deliveries((sid, 3))
    assert held_for_3[-1] == Delivery("retry", 499, "retry-499")
    assert {d.reason for d in held_for_3} == {"retry"}
    assert ledger.invocations() == 530
    ledger._check()


def test_memory_returns_at_retention() -> None:
    shard = _Shard()
    ledger = Ledger(compact_after=10)
    ledger.open(shard, 0)
    sid = shard.shard_id
    _clean_batches(ledger, shard, 20, 10)
    shard.end_index += 10
    ledger.delivered(sid, 200, 210, "first", 50, "x")
    ledger.delivered(sid, 200, 210, "retry", 51, "y")
    ledger.settle(sid, 200, 210, "RecordAgeExceeded", 51)
    shard.trim_index = shard.end_index  # retention trimmed every record
    _clean_batches(ledger, shard, 20, 10, t0=100)
    shard.trim_index = shard.end_index
    _clean_batches(ledger, shard, 11, 1, t0=200)
    held = ledger.bookkeeping()
    assert held["runs"] <= 1
    assert held["deliveries"] <= 10 + 1
    assert ledger.invocations() == 20 + 2 + 20 + 11
    assert ledger.delivery_reasons() == {"first": 421, "retry": 10}
    # Fates are runs already and stay: the given-up range is still reported.
    assert ledger.fates() == {"succeeded": 411, "RecordAgeExceeded": 10}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 8), st.sampled_from(["clean", "retry", "exhausted"])),
        max_size=60,
    ),
    st.integers(1, 6),
)
def test_compaction_keeps_counts_and_fates_whatever_the_history(batches, compact_after) -> None:
    shard = _Shard()
    compacted, full = Ledger(compact_after=compact_after), Ledger(compact_after=10**9)
    for ledger in (compacted, full):
        ledger.open(shard, 0)
    sid = shard.shard_id
    start = 0
    for t, (size, kind) in enumerate(batches):
        shard.end_index = start + size
        for ledger in (compacted, full):
            ledger.delivered(sid, start, start + size, "first", t, f"r{t}")
            if kind != "clean":
                ledger.delivered(sid, start, start + size, "retry", t, f"s{t}")
            fate = "RetryAttemptsExhausted" if kind == "exhausted" else "succeeded"
            ledger.settle(sid, start, start + size, fate, t)
        start += size
    for ledger in (compacted, full):
        ledger._check()
    assert compacted.invocations() == full.invocations()
    assert compacted.delivery_reasons() == full.delivery_reasons()
    assert compacted.fate_runs() == full.fate_runs()
    for position in range(start):
        got = compacted.deliveries((sid, position))
        want = full.deliveries((sid, position))
        if len(want) > 1:
            assert got == want  # something to say: detail kept
        else:
            assert [d.reason for d in got] == ["first"]
