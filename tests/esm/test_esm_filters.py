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
from kinesim._esm.filters import (
    MAX_DATA_DEPTH,
    MAX_PATTERN_DEPTH,
    RecordFilter,
    nests_deeper_than,
    parse_pattern,
)

# -- the matcher, record by record -------------------------------------------------------------


def keep(pattern: dict[str, Any] | list[dict[str, Any]], data: Any) -> bool:
    patterns = pattern if isinstance(pattern, list) else [pattern]
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return RecordFilter(tuple(json.dumps(p) for p in patterns)).keep(raw)


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
    # $or at the top level, each branch on data
    top = {"$or": [{"data": {"kind": ["refund"]}}, {"data": {"amount": [120]}}]}
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


METADATA_KEYS = (
    "partitionKey",
    "sequenceNumber",
    "approximateArrivalTimestamp",
    "kinesisSchemaVersion",
    "eventSource",
    "eventVersion",
    "eventID",
    "eventName",
    "invokeIdentityArn",
    "awsRegion",
    "eventSourceARN",
    "kinesis",
)


@pytest.mark.parametrize("key", METADATA_KEYS)
def test_a_pattern_on_any_key_but_data_is_refused_at_create_and_update(key: str) -> None:
    """ "Kinesis event source mappings only support filtering on the data key" (AWS's guide);
    the text after AWS's "Invalid filter pattern definition." is kinesim's."""
    sim, stream, fn = setup()
    expected = (
        "Invalid filter pattern definition. Kinesis event source mappings only support "
        f"filtering on the data key; this pattern filters on {key!r}."
    )
    for pattern in (
        {key: ["x"]},
        {"data": {"kind": ["order"]}, key: [{"exists": True}]},
        {"$or": [{"data": {"kind": ["order"]}}, {key: [{"prefix": "a"}]}]},
    ):
        with pytest.raises(kinesim.InvalidParameterValueException) as err:
            sim.lambda_.create_event_source_mapping(
                fn, stream, starting_position="LATEST", filters=[pattern]
            )
        assert err.value.message == expected
        assert (err.value.http_status, err.value.response["Type"]) == (400, "User")
    assert sim.lambda_.list_event_source_mappings() == []
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", filters=[{"data": {"kind": ["order"]}}]
    )
    sim.advance(0)
    with pytest.raises(kinesim.InvalidParameterValueException) as err:
        sim.lambda_.update_event_source_mapping(esm, filters=[{key: ["x"]}])
    assert err.value.message == expected
    assert esm.state == "Enabled"
    assert aws_mapping(esm.describe())["FilterCriteria"] == {
        "Filters": [{"Pattern": '{"data": {"kind": ["order"]}}'}]
    }


def test_a_metadata_pattern_is_refused_through_the_client_too() -> None:
    sim, stream, _ = setup()
    client = sim.client("lambda")
    criteria = {"Filters": [{"Pattern": json.dumps({"partitionKey": ["a"]})}]}
    with pytest.raises(client.exceptions.InvalidParameterValueException) as err:
        client.create_event_source_mapping(
            FunctionName="f",
            EventSourceArn=stream.arn,
            StartingPosition="LATEST",
            FilterCriteria=criteria,
        )
    assert err.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "Invalid filter pattern definition. Kinesis event source mappings only "
        "support filtering on the data key; this pattern filters on 'partitionKey'.",
    }
    uuid = client.create_event_source_mapping(
        FunctionName="f", EventSourceArn=stream.arn, StartingPosition="LATEST"
    )["UUID"]
    sim.advance(0)
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="data key"):
        client.update_event_source_mapping(UUID=uuid, FilterCriteria=criteria)
    assert "FilterCriteria" not in client.get_event_source_mapping(UUID=uuid)


def test_non_json_data_never_matches_a_data_pattern() -> None:
    """The guide: non-JSON data with a JSON pattern on data -> "Lambda drops the record"."""
    for raw in (b"plain text", b"\xff\xfe", b"{broken", b""):
        assert keep({"data": {"kind": ["order"]}}, raw) is False
        assert keep({"data": {"kind": [{"exists": False}]}}, raw) is False
        assert keep([{"data": {"kind": ["order"]}}, {"data": {"x": [{"exists": False}]}}], raw) is (
            False
        )


@pytest.mark.parametrize(
    "pattern",
    [
        "not json",
        '"a string"',
        "[]",
        "{}",
        '{"data": ["x"]}',  # data must be matched as JSON, not as a plain value
        '{"data": "x"}',
        '{"$or": [{"data": {"k": ["x"]}}, {"data": ["x"]}]}',
        '{"data": {}}',
        '{"data": {"a": []}}',
        '{"data": {"a": "x"}}',
        '{"data": {"a": [{"wildcard": "*x"}]}}',
        '{"data": {"a": [{"cidr": "10.0.0.0/24"}]}}',
        '{"data": {"a": [{"numeric": [">"]}]}}',
        '{"data": {"a": [{"numeric": ["<", 5, ">", 1]}]}}',
        '{"data": {"a": [{"numeric": [">", "5"]}]}}',
        '{"data": {"a": [{"exists": "yes"}]}}',
        '{"data": {"a": [{"prefix": 5}]}}',
        '{"data": {"a": [{"anything-but": []}]}}',
        '{"data": {"a": [{"anything-but": [{"x": 1}]}]}}',
        '{"data": {"a": [{"equals-ignore-case": 1}]}}',
        '{"data": {"$or": [{"a": ["x"]}]}}',
        '{"$or": [{"data": {"a": ["x"]}}]}',
        '{"data": {"a": [{"prefix": "x", "suffix": "y"}]}}',
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
    six = [{"data": {"n": [i]}} for i in range(6)]
    with pytest.raises(kinesim.InvalidParameterValueException, match="limit of 5"):
        sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST", filters=six)
    long = json.dumps({"data": {"s": ["x" * 4100]}})
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
        fn, stream, starting_position="TRIM_HORIZON", filters=[{"data": {"who": ["nobody"]}}]
    )
    for i in range(250):
        stream.put_record(json.dumps({"who": f"k{i}"}).encode(), f"k{i}")
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
        filters=[{"data": {"i": [{"numeric": [">=", 0]}], "p": ["even"]}}],
    )

    def body(i: int) -> str:
        return json.dumps({"p": "even" if i % 2 == 0 else "odd", "i": i})

    for i in range(8):
        stream.put_record(body(i).encode(), "k")
    sim.drain()
    assert handler.batches[0] == [body(i) for i in (0, 2, 4, 6)]
    # the failing record and the one after it are retried, then given up
    assert handler.batches[1:] == [[body(i) for i in (4, 6)]] * 2
    (body,) = dlq.json_bodies()
    assert body["KinesisBatchInfo"]["batchSize"] == 2
    assert esm.ledger.fates() == {"succeeded": 2, "filtered": 4, "RetryAttemptsExhausted": 2}
    esm._check()


def test_update_changes_the_filters_for_records_not_yet_read() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", filters=[{"data": {"k": ["a"]}}]
    )
    sim.advance(1)

    def put(n: int, k: str) -> None:
        stream.put_record(json.dumps({"k": k, "n": n}).encode(), "pk")

    put(1, "a")
    put(2, "b")
    sim.drain()
    sim.lambda_.update_event_source_mapping(esm, filters=[{"data": {"k": ["b"]}}])
    sim.advance(0)
    put(3, "a")
    put(4, "b")
    sim.drain()
    sim.lambda_.update_event_source_mapping(esm, filters=None)  # None keeps them
    sim.advance(0)
    assert aws_mapping(esm.describe())["FilterCriteria"] == {
        "Filters": [{"Pattern": '{"data": {"k": ["b"]}}'}]
    }
    sim.lambda_.update_event_source_mapping(esm, filters=[])
    sim.advance(0)
    put(5, "a")
    sim.drain()
    assert [json.loads(d)["n"] for d in handler.delivered()] == [1, 4, 5]
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
    sim.lambda_.update_event_source_mapping(esm, filters=[{"data": {"k": ["zzz"]}}])
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
        filters=[{"data": {"k": ["a"]}}],
    )
    sim.advance(1.601)
    sim.lambda_.put_function_concurrency(fn, 0)  # record 1's batch is throttled, retried
    stream.put_record(b'{"k": "a", "n": 1}', "a")
    sim.advance(0.5)
    stream.put_record(b'{"k": "a", "n": 2}', "a")
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
        filters=[{"data": {"key": [k]}} for k in sorted(wanted)],
    )
    values = [json.dumps({"key": key, "i": i}) for i, key in enumerate(keys)]
    for value, key in zip(values, keys, strict=True):
        stream.put_record(value.encode(), key)
    sim.drain()
    expected = [v for v, key in zip(values, keys, strict=True) if key in wanted]
    assert handler.delivered() == expected
    assert all(len(batch) <= batch_size for batch in handler.batches)
    fates = esm.ledger.fates()
    assert fates.get("succeeded", 0) == len(expected)
    assert fates.get("filtered", 0) == len(keys) - len(expected)
    esm._check()


def test_parse_pattern_is_usable_alone() -> None:
    match = parse_pattern('{"data": {"a": [{"numeric": [">=", 1, "<", 2]}]}}')
    assert match({"data": {"a": 1.5}}) is True
    assert match({"data": {"a": 2}}) is False


class _Rows:
    def __init__(self, rows: list[bytes]) -> None:
        self.rows = rows

    def data(self, i: int) -> bytes:
        return self.rows[i]


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["a", "A", "ab", "", "b.png"])
)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.one_of(
            st.dictionaries(st.sampled_from(["x", "y"]), _VALUES).map(
                lambda d: json.dumps(d).encode()
            ),
            st.just(b"\x00 not json"),
            st.just(b"[" * 300 + b"]" * 300),
        ),
        max_size=20,
    )
)
def test_property_select_agrees_with_keep(rows: list[bytes]) -> None:
    patterns = (
        json.dumps({"data": {"x": [{"anything-but": ["a", 1]}], "y": [{"exists": False}]}}),
        json.dumps({"$or": [{"data": {"x": [None, True]}}, {"data": {"y": [{"prefix": "a"}]}}]}),
    )
    record_filter = RecordFilter(patterns)
    shard = _Rows(rows)
    context = {"role_arn": "r", "region": "us-east-1", "stream_arn": "arn"}
    selected = record_filter.select(shard, 0, len(rows), **context)
    assert selected == [i for i in range(len(rows)) if record_filter.keep(shard.data(i))]


# -- nesting: deep records and deep patterns (issue 16, r04) -----------------------------------


def _nested_pattern(depth: int) -> dict[str, Any]:
    """A pattern nesting ``depth`` objects and lists: ``{"data": {"a": ... {"a": [1]}}}``."""
    inner: Any = [1]
    for _ in range(depth - 2):
        inner = {"a": inner}
    return {"data": inner}


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def test_a_deeply_nested_record_is_not_matched_and_the_mapping_goes_on() -> None:
    """r04: one 2 KB record of 1,000-deep JSON used to raise RecursionError out of drain() and
    wedge the mapping. It is now dropped like data that is not JSON."""
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", filters=[{"data": {"type": ["order"]}}]
    )
    stream.put_record(b"[" * 1000 + b"]" * 1000, "k")
    stream.put_record(b'{"type": [' * 50_000 + b"1" + b"]}" * 50_000, "k")
    stream.put_record(b'{"type": "order"}', "k")
    sim.drain(60)
    assert handler.delivered() == ['{"type": "order"}']
    assert esm.ledger.fates() == {"filtered": 2, "succeeded": 1}
    assert esm.caught_up
    stream.put_record(b'{"type": "order", "n": 2}', "k")
    sim.drain(60)
    assert handler.delivered() == ['{"type": "order"}', '{"type": "order", "n": 2}']
    esm._check()


def test_data_nested_to_the_limit_is_matched_one_level_more_is_not() -> None:
    pattern = {"data": {"c": [1]}}
    for depth, expected in ((MAX_DATA_DEPTH, True), (MAX_DATA_DEPTH + 1, False)):
        deep = "[" * (depth - 1) + "]" * (depth - 1)  # the object around it is one more level
        raw = ('{"c": 1, "a": ' + deep + "}").encode()
        assert _depth(json.loads(raw)) == depth
        assert keep(pattern, raw) is expected
    # brackets inside strings are no nesting, with or without escapes around them
    for text in ("[" * 300 + "{" * 300, '\\"[' * 300):
        raw = json.dumps({"c": 1, "s": text, "t": [text]}).encode()
        assert raw.count(b"[") > MAX_DATA_DEPTH
        assert keep(pattern, raw) is True


@pytest.mark.parametrize(
    "pattern",
    [
        json.dumps(_nested_pattern(MAX_PATTERN_DEPTH + 1)),
        '{"data": {"a": ' + "[" * 2000 + "]" * 2000 + "}}",
        _nested_pattern(MAX_PATTERN_DEPTH + 1),
        _nested_pattern(100_000),
    ],
    ids=["text", "text-2000", "dict", "dict-100000"],
)
def test_a_deeply_nested_pattern_is_refused_at_create_and_update(pattern: Any) -> None:
    sim, stream, fn = setup()
    expected = (
        f"Invalid filter pattern definition. The pattern nests deeper than {MAX_PATTERN_DEPTH} "
        "levels."
    )
    with pytest.raises(kinesim.InvalidParameterValueException) as err:
        sim.lambda_.create_event_source_mapping(
            fn, stream, starting_position="LATEST", filters=[pattern]
        )
    assert err.value.message == expected
    assert sim.lambda_.list_event_source_mappings() == []
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    sim.advance(0)
    with pytest.raises(kinesim.InvalidParameterValueException) as err:
        sim.lambda_.update_event_source_mapping(esm, filters=[pattern])
    assert err.value.message == expected
    assert esm.describe().settings.filters == ()


def test_a_pattern_at_the_depth_limit_is_taken_and_a_self_containing_one_refused() -> None:
    sim, stream, fn = setup()
    at_limit = _nested_pattern(MAX_PATTERN_DEPTH)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", filters=[at_limit]
    )
    assert esm.describe().settings.filters == (json.dumps(at_limit),)
    sim.advance(0)
    loop: dict[str, Any] = {}
    loop["data"] = {"a": loop}
    with pytest.raises(kinesim.InvalidParameterValueException, match="nests deeper than"):
        sim.lambda_.update_event_source_mapping(esm, filters=[loop])
    with pytest.raises(kinesim.KinesimTypeError, match="JSON values only"):
        sim.lambda_.update_event_source_mapping(esm, filters=[{"data": {"a": [{1, 2}]}}])


def test_a_deeply_nested_pattern_is_refused_through_the_client() -> None:
    sim, stream, _ = setup()
    client = sim.client("lambda")
    text = json.dumps(_nested_pattern(MAX_PATTERN_DEPTH + 1))
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="nests deeper"):
        client.create_event_source_mapping(
            FunctionName="f",
            EventSourceArn=stream.arn,
            StartingPosition="LATEST",
            FilterCriteria={"Filters": [{"Pattern": text}]},
        )


_JSON = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(value=_JSON, limit=st.integers(0, 8))
def test_property_nests_deeper_than_agrees_with_the_parsed_depth(value: Any, limit: int) -> None:
    text = json.dumps(value).encode()
    assert nests_deeper_than(text, limit) is (_depth(value) > limit)
