"""Event filtering (issue 7 §3): every operator, OR of patterns, non-JSON data, the ledger, the
AWS-recorded scenario, and the errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from esm_helpers import Recorder, datas, setup
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim._api._lambda_responses import event_source_mapping as aws_mapping
from kinesim._esm.filters import RecordFilter, parse_pattern

# -- the matcher, record by record -------------------------------------------------------------


def keep(pattern: dict[str, Any] | list[dict[str, Any]], data: Any, **meta: Any) -> bool:
    patterns = pattern if isinstance(pattern, list) else [pattern]
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    fields = {
        "partition_key": "user-1",
        "sequence_number": "49590338271490256608559692538361571095921575989136588898",
        "arrival_ms": 1_767_225_600_123,
        "shard_id": "shardId-000000000000",
        "role_arn": "arn:aws:iam::123456789012:role/r",
        "region": "us-east-1",
        "stream_arn": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
    }
    fields.update(meta)
    return RecordFilter(tuple(json.dumps(p) for p in patterns)).keep(data=raw, **fields)


ORDER = {"kind": "order", "amount": 120, "region": "us-west-2", "file": "a.PNG", "tags": ["x", "y"]}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # exact values
        ({"kind": ["order"]}, True),
        ({"kind": ["refund"]}, False),
        ({"kind": ["refund", "order"]}, True),  # a list is OR
        ({"amount": [120]}, True),
        ({"amount": [120.0]}, True),
        ({"amount": ["120"]}, False),  # a string never equals a number
        ({"missing": [None]}, False),
        ({"tags": ["y"]}, True),  # an array in the event matches if any element does
        # prefix / suffix, also ignoring case
        ({"region": [{"prefix": "us-"}]}, True),
        ({"region": [{"prefix": "eu-"}]}, False),
        ({"region": [{"prefix": {"equals-ignore-case": "US-"}}]}, True),
        ({"file": [{"suffix": ".PNG"}]}, True),
        ({"file": [{"suffix": ".png"}]}, False),
        ({"file": [{"suffix": {"equals-ignore-case": ".png"}}]}, True),
        # anything-but: a value, a list, a prefix, a suffix, ignoring case
        ({"kind": [{"anything-but": "refund"}]}, True),
        ({"kind": [{"anything-but": ["refund", "order"]}]}, False),
        ({"amount": [{"anything-but": [100, 120]}]}, False),
        ({"amount": [{"anything-but": 7}]}, True),
        ({"region": [{"anything-but": {"prefix": "us-"}}]}, False),
        ({"region": [{"anything-but": {"prefix": "eu-"}}]}, True),
        ({"file": [{"anything-but": {"suffix": ".PNG"}}]}, False),
        ({"kind": [{"anything-but": {"equals-ignore-case": ["ORDER"]}}]}, False),
        ({"missing": [{"anything-but": "x"}]}, False),  # needs the field
        # numeric
        ({"amount": [{"numeric": ["=", 120]}]}, True),
        ({"amount": [{"numeric": [">", 100, "<=", 120]}]}, True),
        ({"amount": [{"numeric": [">", 120]}]}, False),
        ({"amount": [{"numeric": [">=", 0, "<", 120]}]}, False),
        ({"kind": [{"numeric": [">", 0]}]}, False),  # a string is not a number
        # exists
        ({"kind": [{"exists": True}]}, True),
        ({"missing": [{"exists": True}]}, False),
        ({"missing": [{"exists": False}]}, True),
        ({"kind": [{"exists": False}]}, False),
        # equals-ignore-case
        ({"kind": [{"equals-ignore-case": "ORDER"}]}, True),
        ({"kind": [{"equals-ignore-case": "refund"}]}, False),
    ],
)
def test_each_operator_on_data(rule: dict[str, Any], expected: bool) -> None:
    assert keep({"data": rule}, ORDER) is expected


def test_fields_of_one_pattern_are_and_and_or_is_or() -> None:
    both = {"data": {"kind": ["order"], "amount": [{"numeric": [">", 500]}]}}
    assert keep(both, ORDER) is False
    either = {"data": {"$or": [{"kind": ["refund"]}, {"amount": [{"numeric": [">", 100]}]}]}}
    assert keep(either, ORDER) is True
    neither = {"data": {"$or": [{"kind": ["refund"]}, {"amount": [{"numeric": [">", 500]}]}]}}
    assert keep(neither, ORDER) is False
    # $or across metadata and data at the top level
    top = {"$or": [{"partitionKey": ["user-9"]}, {"data": {"kind": ["order"]}}]}
    assert keep(top, ORDER) is True


def test_patterns_are_ored() -> None:
    refunds = {"data": {"kind": ["refund"]}}
    big = {"data": {"amount": [{"numeric": [">=", 100]}]}}
    assert keep([refunds], ORDER) is False
    assert keep([refunds, big], ORDER) is True


def test_nested_fields() -> None:
    event = {"order": {"customer": {"tier": "gold"}}, "n": 1}
    assert keep({"data": {"order": {"customer": {"tier": ["gold"]}}}}, event) is True
    assert keep({"data": {"order": {"customer": {"tier": ["silver"]}}}}, event) is False
    assert keep({"data": {"order": {"vip": [{"exists": False}]}}}, event) is True
    assert keep({"data": {"nothing": {"here": [{"exists": False}]}}}, event) is True
    # exists sees leaves only, not intermediate nodes
    assert keep({"data": {"order": [{"exists": True}]}}, event) is False
    assert keep({"data": {"order": [{"exists": False}]}}, event) is True
    assert keep({"data": {"order": {"customer": [{"exists": True}]}}}, event) is False
    assert keep({"data": {"n": [{"exists": True}]}}, event) is True


def test_metadata_fields() -> None:
    assert keep({"partitionKey": ["user-1"]}, b"not json") is True
    assert keep({"partitionKey": [{"prefix": "user-"}]}, b"x") is True
    assert keep({"partitionKey": ["user-2"]}, b"x") is False
    assert keep({"approximateArrivalTimestamp": [{"numeric": [">", 1_767_225_600]}]}, b"x")
    assert keep({"eventSource": ["aws:kinesis"], "awsRegion": ["us-east-1"]}, b"x")
    assert keep({"eventID": [{"prefix": "shardId-000000000000:4959"}]}, b"x")
    assert keep({"sequenceNumber": [{"suffix": "898"}]}, b"x")
    assert keep({"eventSourceARN": [{"suffix": ":stream/s"}]}, b"x")
    assert keep({"kinesisSchemaVersion": ["1.0"], "eventName": ["aws:kinesis:record"]}, b"x")


def test_non_json_data_never_matches_a_data_pattern() -> None:
    for raw in (b"plain text", b"\xff\xfe", b"{broken"):
        assert keep({"data": {"kind": ["order"]}}, raw) is False
        assert keep({"data": {"kind": [{"exists": False}]}}, raw) is False
        # ... but a metadata-only alternative still can
        assert keep([{"data": {"kind": ["order"]}}, {"partitionKey": ["user-1"]}], raw) is True


@pytest.mark.parametrize(
    "pattern",
    [
        "not json",
        '"a string"',
        "[]",
        "{}",
        '{"data": ["x"]}',  # data must be matched as JSON, not as a plain value
        '{"data": "x"}',
        '{"$or": [{"data": ["x"]}, {"partitionKey": ["k"]}]}',
        '{"a": []}',
        '{"a": "x"}',
        '{"a": [{"wildcard": "*x"}]}',
        '{"a": [{"numeric": [">"]}]}',
        '{"a": [{"numeric": ["<", 5, ">", 1]}]}',
        '{"a": [{"numeric": [">", "5"]}]}',
        '{"a": [{"exists": "yes"}]}',
        '{"a": [{"prefix": 5}]}',
        '{"a": [{"anything-but": []}]}',
        '{"a": [{"anything-but": [{"x": 1}]}]}',
        '{"a": [{"equals-ignore-case": 1}]}',
        '{"$or": [{"a": ["x"]}]}',
        '{"a": [{"prefix": "x", "suffix": "y"}]}',
    ],
)
def test_invalid_patterns_are_refused_at_create_and_update(pattern: str) -> None:
    sim, stream, fn = setup()
    with pytest.raises(kinesim.InvalidParameterValueException) as err:
        sim.lambda_.create_event_source_mapping(
            fn, stream, starting_position="LATEST", filters=[pattern]
        )
    assert err.value.message == "Invalid filter pattern definition."
    assert err.value.code == "InvalidParameterValueException"
    assert sim.lambda_.list_event_source_mappings() == []
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    sim.advance(0)
    with pytest.raises(kinesim.InvalidParameterValueException, match="Invalid filter pattern"):
        sim.lambda_.update_event_source_mapping(esm, filters=[pattern])
    assert esm.state == "Enabled"  # a failed call changes nothing


def test_at_most_five_filters_and_4096_characters() -> None:
    sim, stream, fn = setup()
    six = [{"partitionKey": [str(i)]} for i in range(6)]
    with pytest.raises(kinesim.InvalidParameterValueException, match="limit of 5"):
        sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST", filters=six)
    long = json.dumps({"partitionKey": ["x" * 4100]})
    with pytest.raises(kinesim.ValidationException, match="less than or equal to 4096"):
        sim.lambda_.create_event_source_mapping(
            fn, stream, starting_position="LATEST", filters=[long]
        )


def test_describe_echoes_filter_criteria_as_aws_does() -> None:
    sim, stream, fn = setup()
    pattern = '{"data": {"event_type": ["function_1"]}}'
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", filters={"Filters": [{"Pattern": pattern}]}
    )
    assert aws_mapping(esm.describe())["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    sim.advance(0)
    sim.lambda_.update_event_source_mapping(esm, filters=[])
    sim.advance(0)
    assert "FilterCriteria" not in aws_mapping(esm.describe())  # empty Filters: the key is absent


# -- in a mapping ------------------------------------------------------------------------------


def test_ground_truth_json_pattern_two_mappings_each_gets_its_record() -> None:
    """``test_kinesis_event_filtering_json_pattern`` (ground truth §2.6): two functions, each
    mapped with ``{"data": {"event_type": ["function_N"]}}`` and BatchSize 1: each is invoked
    exactly once, with only its matching record, whose data is the original base64."""
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    handlers = [Recorder(), Recorder()]
    mappings = []
    for n, handler in enumerate(handlers, start=1):
        fn = sim.lambda_.create_function(f"function_{n}", handler)
        pattern = json.dumps({"data": {"event_type": [f"function_{n}"]}})
        mappings.append(
            sim.lambda_.create_event_source_mapping(
                fn,
                stream,
                starting_position="TRIM_HORIZON",
                batch_size=1,
                filters={"Filters": [{"Pattern": pattern}]},
            )
        )
    bodies = [{"event_type": "function_1", "n": 1}, {"event_type": "function_2", "n": 2}]
    for body in bodies:
        stream.put_record(json.dumps(body).encode(), "k")
    sim.drain()
    for n, (handler, esm) in enumerate(zip(handlers, mappings, strict=True), start=1):
        assert len(handler.events) == 1
        (record,) = handler.events[0]["Records"]
        sent = json.dumps(bodies[n - 1]).encode()
        assert record["kinesis"]["data"] == base64.b64encode(sent).decode()
        assert esm.ledger.fates() == {"succeeded": 1, "filtered": 1}


def test_filtered_records_are_skipped_counted_and_the_checkpoint_passes_them() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=3,
        filters=[{"data": {"keep": [True]}}],
    )
    values = [json.dumps({"keep": i % 3 == 0, "i": i}) for i in range(10)]
    seqs = [stream.put_record(v.encode(), "k").sequence_number for v in values]
    stream.put_record(b"not json", "k")
    sim.drain()
    kept = [v for v in values if json.loads(v)["keep"]]
    assert handler.delivered() == kept  # i = 0, 3, 6, 9: batches of matches only
    assert handler.batches == [kept[:3], kept[3:]]
    assert esm.ledger.fates() == {"succeeded": 4, "filtered": 7}
    assert esm.ledger.fate(seqs[1]).kind == "filtered"  # type: ignore[union-attr]
    assert esm.ledger.deliveries(seqs[1]) == []
    assert [d.reason for d in esm.ledger.deliveries(seqs[3])] == ["first"]
    assert esm.ledger.unresolved() == []
    assert esm.checkpoints() == {"shardId-000000000000": 11}
    filtered = sim.metrics.series(
        "AWS/Lambda", "FilteredOutEventCount", EventSourceMappingUUID=esm.uuid
    )
    assert filtered.sum() == 7
    esm._check()


def test_nothing_matches_nothing_is_invoked_and_the_shard_is_caught_up() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", filters=[{"partitionKey": ["nobody"]}]
    )
    for i in range(250):
        stream.put_record(b"{}", f"k{i}")
    sim.drain()
    assert handler.events == []
    assert esm.ledger.fates() == {"filtered": 250}
    assert esm.ledger.invocations() == 0


def test_failures_retries_and_partial_batches_with_filter_gaps() -> None:
    """A failing batch whose records are not contiguous: retries, partial failure and the
    destination keep to the matching records; the ledger settles every gap as filtered."""

    def respond(event: dict[str, Any]) -> Any:
        records = event["Records"]
        failed = [r for r in records if datas({"Records": [r]})[0].endswith('"i": 4}')]
        if failed:
            return {
                "batchItemFailures": [{"itemIdentifier": failed[0]["kinesis"]["sequenceNumber"]}]
            }
        return None

    handler = Recorder(respond=respond)
    sim, stream, fn = setup(handler)
    dlq = sim.sqs.create_queue("dlq")
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=10,
        report_batch_item_failures=True,
        max_retry_attempts=1,
        on_failure=dlq,
        filters=[{"data": {"i": [{"numeric": [">=", 0]}]}, "partitionKey": ["even"]}],
    )
    for i in range(8):
        body = json.dumps({"i": i}).encode()
        stream.put_record(body, "even" if i % 2 == 0 else "odd")
    sim.drain()
    assert handler.batches[0] == [json.dumps({"i": i}) for i in (0, 2, 4, 6)]
    # the failing record and the one after it are retried, then given up
    assert handler.batches[1:] == [[json.dumps({"i": i}) for i in (4, 6)]] * 2
    (body,) = dlq.json_bodies()
    assert body["KinesisBatchInfo"]["batchSize"] == 2
    assert esm.ledger.fates() == {"succeeded": 2, "filtered": 4, "RetryAttemptsExhausted": 2}
    esm._check()


def test_update_changes_the_filters_for_records_not_yet_read() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", filters=[{"partitionKey": ["a"]}]
    )
    sim.advance(1)
    stream.put_record(b"1", "a")
    stream.put_record(b"2", "b")
    sim.drain()
    sim.lambda_.update_event_source_mapping(esm, filters=[{"partitionKey": ["b"]}])
    sim.advance(0)
    stream.put_record(b"3", "a")
    stream.put_record(b"4", "b")
    sim.drain()
    sim.lambda_.update_event_source_mapping(esm, filters=None)  # None keeps them
    sim.advance(0)
    assert aws_mapping(esm.describe())["FilterCriteria"] == {
        "Filters": [{"Pattern": '{"partitionKey": ["b"]}'}]
    }
    sim.lambda_.update_event_source_mapping(esm, filters=[])
    sim.advance(0)
    stream.put_record(b"5", "a")
    sim.drain()
    assert handler.delivered() == ["1", "4", "5"]
    assert esm.ledger.fates() == {"succeeded": 3, "filtered": 2}


def test_a_filter_update_with_lanes_does_not_settle_records_a_lane_holds_or_finished() -> None:
    """ParallelizationFactor 2: record "p" (lane 0) keeps failing while "ok" (lane 1) has
    succeeded; the filters then change to match neither. Reading again from the checkpoint
    under the new filters must not settle "p" (still in its lane's batch) nor "ok" (already
    succeeded) as filtered: "p" succeeds once it heals, and the checkpoint never passes it."""
    failing = {b"p"}

    def handler(event: dict[str, Any], context: Any) -> None:
        if failing & {base64.b64decode(r["kinesis"]["data"]) for r in event["Records"]}:
            raise RuntimeError("failing")

    sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=1))
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=1.0)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", parallelization_factor=2
    )
    sim.advance(2)
    stream.put_record(b"p", "a")  # lane 0
    stream.put_record(b"ok", "c")  # lane 1
    sim.advance(0.5)
    sim.lambda_.update_event_source_mapping(esm, filters=[{"partitionKey": ["zzz"]}])
    sim.advance(1.5)
    stream.put_record(b"new", "c")  # an arrival: the poller reads again from the checkpoint
    for _ in range(10):
        sim.advance(0.5)
        esm._check()
    assert esm.pollers["shardId-000000000000"].position == 0
    failing.clear()
    sim.drain()
    assert esm.ledger.fates() == {"succeeded": 2, "filtered": 1}


def test_a_filter_update_with_lanes_reads_again_without_waiting_for_an_arrival() -> None:
    """ParallelizationFactor 3: record 1's batch is throttled when record 2 has been read; the
    filters change, so the poller reads again from the checkpoint. Once the lane is done it
    reads record 2 again at once (it went idle, waiting for an arrival that never came)."""
    sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=1))
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", lambda event, context: None, duration=0.3)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        parallelization_factor=3,
        filters=[{"partitionKey": ["a"]}],
    )
    sim.advance(1.601)
    sim.lambda_.put_function_concurrency(fn, 0)  # record 1's batch is throttled, retried
    stream.put_record(b"1", "a")
    sim.advance(0.5)
    stream.put_record(b"2", "a")
    sim.lambda_.update_event_source_mapping(esm, filters=[])
    sim.lambda_.delete_function_concurrency(fn)
    sim.drain(timeout=600)
    assert esm.ledger.fates() == {"succeeded": 2}


@settings(max_examples=60, deadline=None)
@given(
    keys=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=40),
    wanted=st.sets(st.sampled_from(["a", "b", "c"]), min_size=1),
    batch_size=st.integers(1, 7),
)
def test_property_exactly_the_matching_records_in_order_every_record_settled(
    keys: list[str], wanted: set[str], batch_size: int
) -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=batch_size,
        filters=[{"partitionKey": [k]} for k in sorted(wanted)],
    )
    for i, key in enumerate(keys):
        stream.put_record(f"{i}".encode(), key)
    sim.drain()
    expected = [str(i) for i, key in enumerate(keys) if key in wanted]
    assert handler.delivered() == expected
    assert all(len(batch) <= batch_size for batch in handler.batches)
    fates = esm.ledger.fates()
    assert fates.get("succeeded", 0) == len(expected)
    assert fates.get("filtered", 0) == len(keys) - len(expected)
    esm._check()


def test_parse_pattern_is_usable_alone() -> None:
    match = parse_pattern('{"a": [{"numeric": [">=", 1, "<", 2]}]}')
    assert match({"a": 1.5}) is True
    assert match({"a": 2}) is False


class _Rows:
    shard_id = "shardId-000000000003"

    def __init__(self, rows: list[tuple[str, bytes]]) -> None:
        self.rows = rows

    def partition_key(self, i: int) -> str:
        return self.rows[i][0]

    def sequence_number(self, i: int) -> str:
        return f"4959{i:052d}"

    def arrival_ms(self, i: int) -> int:
        return 1_767_225_600_000 + 7 * i

    def data(self, i: int) -> bytes:
        return self.rows[i][1]


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["a", "A", "ab", "", "b.png"])
)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "ab", "b"]),
            st.one_of(
                st.dictionaries(st.sampled_from(["x", "y"]), _VALUES).map(
                    lambda d: json.dumps(d).encode()
                ),
                st.just(b"\x00 not json"),
            ),
        ),
        max_size=20,
    )
)
def test_property_select_agrees_with_keep(rows: list[tuple[str, bytes]]) -> None:
    patterns = (
        json.dumps({"data": {"x": [{"anything-but": ["a", 1]}], "y": [{"exists": False}]}}),
        json.dumps({"partitionKey": [{"prefix": "a"}], "eventID": [{"suffix": "1"}]}),
        json.dumps({"$or": [{"data": {"x": [None, True]}}, {"sequenceNumber": [{"suffix": "2"}]}]}),
        json.dumps({"approximateArrivalTimestamp": [{"numeric": [">", 1_767_225_600.03]}]}),
    )
    record_filter = RecordFilter(patterns)
    shard = _Rows(rows)
    context = {"role_arn": "r", "region": "us-east-1", "stream_arn": "arn"}
    selected = record_filter.select(shard, 0, len(rows), **context)
    expected = [
        i
        for i in range(len(rows))
        if record_filter.keep(
            partition_key=shard.partition_key(i),
            sequence_number=shard.sequence_number(i),
            arrival_ms=shard.arrival_ms(i),
            data=shard.data(i),
            shard_id=shard.shard_id,
            **context,
        )
    ]
    assert selected == expected
