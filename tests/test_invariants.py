"""kinesim.invariants against real mappings, and against hand-made deliveries that break them."""

import base64
import re
from collections import Counter

import pytest

import kinesim
from kinesim import invariants
from kinesim.invariants import Delivery, InvariantViolation, SeenRecord

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch ms


def pipeline(handler, *, destination=False, **mapping):
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=2)
    fn = sim.lambda_.create_function("f", handler)
    dlq = sim.sqs.create_queue("dlq") if destination else None
    settings = {"starting_position": "TRIM_HORIZON", "batch_size": 10, **mapping}
    esm = sim.lambda_.create_event_source_mapping(fn, stream, on_failure=dlq, **settings)
    return sim, stream, esm


def datas(event):
    return [base64.b64decode(r["kinesis"]["data"]) for r in event["Records"]]


def test_a_healthy_pipeline_passes_every_check():
    got = []
    sim, stream, esm = pipeline(lambda event, context: got.extend(datas(event)))
    for n in range(30):
        stream.put_record(b"%d" % n, f"k{n % 4}")
    sim.drain()
    seen = invariants.deliveries(esm)
    assert sum(len(d.records) for d in seen) == 30
    assert all(d.reason == "first" for d in seen)
    invariants.check_order_per_key(seen)
    invariants.check_at_least_once(esm)
    invariants.check_at_least_once(esm, seen)
    invariants.check_no_silent_loss(esm)
    invariants.check_idempotent(
        Counter(got), seen, expected=lambda records: Counter(r.data for r in records)
    )


def rec(seq, key="k", shard="shardId-000000000000", data=b"x"):
    return SeenRecord(shard, str(seq), key, data)


def test_order_within_a_batch():
    bad = [Delivery("req-1", T0 + 1500, (rec(1), rec(3), rec(2)), "first")]
    message = (
        "records of one partition key were delivered out of order:\n"
        "  request req-1 (first) at 2026-01-01T00:00:01.500Z has shardId-000000000000/2 "
        "(partition key 'k', data b'x') after shardId-000000000000/3 (partition key 'k', "
        "data b'x')"
    )
    with pytest.raises(InvariantViolation, match=f"^{re.escape(message)}$"):
        invariants.check_order_per_key(bad)


def test_order_across_deliveries():
    bad = [
        Delivery("req-1", T0, (rec(1), rec(5, key="other")), "first"),
        Delivery("req-2", T0 + 2000, (rec(3),), "first"),
        Delivery("req-3", T0 + 4000, (rec(2), rec(4, key="other")), "first"),
    ]
    with pytest.raises(InvariantViolation) as info:
        invariants.check_order_per_key(bad)
    assert str(info.value).splitlines() == [
        "records of one partition key were delivered out of order:",
        "  shardId-000000000000/2 (partition key 'k', data b'x') was first delivered in "
        "request req-3 (first) at 2026-01-01T00:00:04.000Z, after the later "
        "shardId-000000000000/3 (partition key 'k', data b'x') in request req-2 (first) at "
        "2026-01-01T00:00:02.000Z",
        "  shardId-000000000000/4 (partition key 'other', data b'x') was first delivered in "
        "request req-3 (first) at 2026-01-01T00:00:04.000Z, after the later "
        "shardId-000000000000/5 (partition key 'other', data b'x') in request req-1 (first) "
        "at 2026-01-01T00:00:00.000Z",
    ]


def test_retries_may_go_back_and_keys_and_shards_are_independent():
    fine = [
        Delivery("req-1", T0, (rec(1), rec(2), rec(3)), "first"),
        Delivery("req-2", T0 + 1000, (rec(2), rec(3)), "retry"),
        Delivery("req-3", T0 + 2000, (rec(1, key="b"), rec(0, shard="shardId-000000000001"))),
    ]
    invariants.check_order_per_key(fine)


def test_at_least_once_names_records_never_seen():
    sim, stream, esm = pipeline(lambda event, context: None)
    stream.put_record(b"a", "k")
    sim.drain()
    with pytest.raises(InvariantViolation) as info:
        invariants.check_at_least_once(esm, seen=[])
    lines = str(info.value).splitlines()
    assert lines[0] == "1 record(s) succeeded without reaching the handler:"
    assert re.fullmatch(
        r"  shardId-00000000000\d/\d+ \(partition key 'k', data b'a', arrived "
        r"2026-01-01T00:00:00.000Z\): settled as succeeded by 2026-01-01T00:00:00.000Z but "
        r"never delivered",
        lines[1],
    )


def poison_handler(event, context):
    if b"poison" in datas(event):
        raise RuntimeError("poison")


def test_no_silent_loss_needs_a_destination_report():
    sim, stream, esm = pipeline(poison_handler, max_retry_attempts=1)
    stream.put_record(b"poison", "k")
    stream.put_record(b"fine", "k")
    sim.drain()
    with pytest.raises(InvariantViolation) as info:
        invariants.check_no_silent_loss(esm)
    lines = str(info.value).splitlines()
    assert lines[0] == f"mapping {esm.uuid} lost records silently:"
    assert len(lines) == 3  # both records of the failing batch
    assert (
        "(partition key 'k', data b'poison', arrived 2026-01-01T00:00:00.000Z): given up "
        in (lines[1])
    )
    assert lines[1].endswith(
        "given up (RetryAttemptsExhausted) at 2026-01-01T00:00:01.000Z and no on-failure "
        "destination is configured"
    )
    invariants.check_no_silent_loss(esm, allow=["discarded"])


def test_no_silent_loss_accepts_records_reported_to_the_destination():
    sim, stream, esm = pipeline(poison_handler, destination=True, max_retry_attempts=1)
    stream.put_record(b"poison", "k")
    sim.drain()
    assert len(esm.destination.bodies()) == 1
    invariants.check_no_silent_loss(esm)


def test_no_silent_loss_finds_unsettled_records():
    sim, stream, esm = pipeline(poison_handler)  # retries forever
    stream.put_record(b"poison", "k")
    sim.advance(30)
    with pytest.raises(InvariantViolation) as info:
        invariants.check_no_silent_loss(esm)
    assert re.fullmatch(
        r"  shardId-00000000000\d: 1 record\(s\) from position 0 have no fate yet \(first: "
        r"shardId-00000000000\d/\d+ \(partition key 'k', data b'poison', arrived "
        r"2026-01-01T00:00:00.000Z\)\); is the mapping drained\?",
        str(info.value).splitlines()[1],
    )
    invariants.check_no_silent_loss(esm, allow=["unresolved"])
    with pytest.raises(kinesim.KinesimValueError, match=r"allow takes 'unresolved', 'discarded'"):
        invariants.check_no_silent_loss(esm, allow=["lost"])


def test_no_silent_loss_counts_retention_expiry():
    sim, stream, esm = pipeline(poison_handler, batch_size=1)
    stream.put_record(b"poison", "k")
    stream.put_record(b"behind", "k")
    sim.advance(25 * 3600)  # a poison record retried forever: its shard stalls past retention
    with pytest.raises(InvariantViolation, match=r"trimmed by retention before they were"):
        invariants.check_no_silent_loss(esm)
    invariants.check_no_silent_loss(esm, allow=["expired"])


def test_idempotency_names_the_redelivered_records():
    counts = Counter()
    calls = []

    def counting(event, context):  # not idempotent, and fails after counting the first time
        for record in event["Records"]:
            counts[record["kinesis"]["partitionKey"]] += 1
        calls.append(context.aws_request_id)
        if len(calls) == 1:
            raise RuntimeError("crash after the side effect")

    sim, stream, esm = pipeline(counting)
    stream.put_record(b"a", "k")
    sim.drain()
    seen = invariants.deliveries(esm)
    with pytest.raises(InvariantViolation) as info:
        invariants.check_idempotent(
            counts, seen, expected=lambda records: Counter(r.partition_key for r in records)
        )
    lines = str(info.value).splitlines()
    assert lines[:5] == [
        "the handler's side effect is not what processing each of the 1 delivered record(s) "
        "once gives:",
        "  actual:   Counter({'k': 2})",
        "  expected: Counter({'k': 1})",
        "  extra in actual:     'k': 2 (expected 1)",
        "records delivered more than once (each delivery repeats a side effect):",
    ]
    assert re.fullmatch(
        r"  shardId-\d+/\d+ \(partition key 'k', data b'a', arrived 2026-01-01T00:00:00.000Z\) "
        rf"delivered 2 times: request {calls[0]} \(first\) at 2026-01-01T00:00:00.000Z; request "
        rf"{calls[1]} \(retry\) at 2026-01-01T00:00:01.000Z",
        lines[5],
    )


def test_idempotency_mismatch_without_redelivery_says_so():
    seen = [Delivery("r", T0, (rec(1),))]
    with pytest.raises(InvariantViolation, match=r"no record was delivered twice"):
        invariants.check_idempotent(5, seen, expected=len)


def test_delivery_from_a_lambda_event():
    got = []
    sim, stream, _ = pipeline(lambda event, context: got.append(event))
    put = stream.put_record(b"\x00hello", "user-1")
    sim.drain()
    delivery = Delivery.from_event(got[0], time_ms=sim.now_ms, request_id="abc")
    assert delivery.records == (
        SeenRecord(put.shard_id, put.sequence_number, "user-1", b"\x00hello", T0),
    )
    assert delivery.describe() == "request abc at 2026-01-01T00:00:00.000Z"
    assert Delivery.from_event({}, time_ms=0).records == ()


def test_long_lists_are_cut():
    bad = [Delivery("r", T0, tuple(rec(n) for n in range(20, 0, -1)))]
    with pytest.raises(InvariantViolation) as info:
        invariants.check_order_per_key(bad)
    lines = str(info.value).splitlines()
    assert len(lines) == 1 + 10 + 1
    assert lines[-1] == "  … and 9 more"


@pytest.mark.parametrize("kind", ["topic", "bucket"])
def test_no_silent_loss_reads_sns_and_s3_destinations(kind):
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", poison_handler)
    target = (
        sim.sns.create_topic("t") if kind == "topic" else sim.s3.create_bucket("failures-bucket")
    )
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", max_retry_attempts=0, on_failure=target
    )
    stream.put_record(b"poison", "k")
    sim.drain()
    assert esm.ledger.fates() == {"RetryAttemptsExhausted": 1}
    invariants.check_no_silent_loss(esm)


def test_no_silent_loss_ignores_shards_closed_before_a_latest_mapping_started():
    """Records in a shard closed before a LATEST mapping started are not the mapping's: they
    are not reported as never read."""
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=2)
    stream.put_record(b"old", "k")
    stream.update_shard_count(1)
    sim.advance(1)
    fn = sim.lambda_.create_function("f", lambda event, context: None)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    sim.advance(1)
    stream.put_record(b"new", "k")
    sim.drain()
    assert esm.ledger.fates() == {"succeeded": 1}
    invariants.check_no_silent_loss(esm)
    esm._check()


def test_no_silent_loss_sees_shards_the_mapping_never_read():
    sim, stream, esm = pipeline(lambda event, context: None, enabled=False)
    stream.put_record(b"unread", "k")
    sim.advance(10)
    assert esm.state == "Disabled"
    with pytest.raises(InvariantViolation) as info:
        invariants.check_no_silent_loss(esm)
    assert re.fullmatch(
        r"  shardId-00000000000\d: 1 record\(s\) never read: the mapping has no poller for this "
        r"shard \(first: shardId-00000000000\d/\d+ \(partition key 'k', data b'unread', arrived "
        r"2026-01-01T00:00:00.000Z\)\)",
        str(info.value).splitlines()[1],
    )
    invariants.check_no_silent_loss(esm, allow=["unresolved"])


def test_order_across_shards_follows_the_put_order():
    parent, child = "shardId-000000000000", "shardId-000000000002"
    put = [rec(10, shard=parent), rec(11, shard=parent), rec(3, shard=child)]
    bad = [
        Delivery("req-1", T0, (put[0],), "first"),
        Delivery("req-2", T0, (put[2],), "first"),  # the child's record before the parent's
        Delivery("req-3", T0 + 50, (put[1],), "first"),
    ]
    invariants.check_order_per_key(bad)  # by sequence number per shard, nothing to see
    with pytest.raises(InvariantViolation) as info:
        invariants.check_order_per_key(bad, put_order=put)
    assert str(info.value).splitlines()[1] == (
        "  shardId-000000000000/11 (partition key 'k', data b'x') was first delivered in request "
        "req-3 (first) at 2026-01-01T00:00:00.050Z, after the later shardId-000000000002/3 "
        "(partition key 'k', data b'x') in request req-2 (first) at 2026-01-01T00:00:00.000Z"
    )
    good = [bad[0], bad[2], bad[1]]
    invariants.check_order_per_key(good, put_order=put)
    # Records the put order does not know are compared within their shard.
    invariants.check_order_per_key([*good, Delivery("r", T0, (rec(1, key="z"),))], put_order=put)
