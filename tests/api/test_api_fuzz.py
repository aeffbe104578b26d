"""Fuzzing every ``sim.client(...)`` service: generated operations with valid, almost valid and
junk parameters only ever fail with an AWS-named error, botocore's ParamValidationError or a
kinesim usage error; afterwards a sentinel record still flows through a mapping and the
invariants hold."""

from __future__ import annotations

import base64
import inspect
from datetime import datetime, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
import kinesim.invariants as invariants
from kinesim._api._base import snake_case
from kinesim._api._shapes import INPUTS

ALLOWED = (kinesim.AWSError, kinesim.KinesimValueError, kinesim.KinesimTypeError)
SERVICES = sorted(INPUTS)
ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s"
# Placeholders resolved when the call is made, to values that exist then.
MAPPING_UUID = "<mapping-uuid>"
ITERATOR = "<iterator>"
RECEIPT = "<receipt>"

NAMES = [
    "s",
    "f",
    "q",
    "t",
    "bkt",
    "c",
    "new-name",
    STREAM_ARN,
    f"{STREAM_ARN}/consumer/c:1767225600",
    f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",
    f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q",
    f"arn:aws:sns:us-east-1:{ACCOUNT}:t",
    "shardId-000000000000",
    "shardId-000000000001",
    "TRIM_HORIZON",
    "LATEST",
    "AT_TIMESTAMP",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SHARD_ID",
    "PROVISIONED",
    "ON_DEMAND",
    "UNIFORM_SCALING",
    "RequestResponse",
    "Event",
    "DryRun",
    "Tail",
    "ReportBatchItemFailures",
    "sqs",
    "All",
    "k",
    "49001767225600000000000000000000000000000000000010000000",
    "170141183460469231731687303715884105728",
    '{"a": 1}',
    MAPPING_UUID,
    ITERATOR,
    RECEIPT,
    "",
    "\ud800",
    "\x00",
    "x" * 300,
]
JUNK = [
    None,
    -1,
    2**70,
    1.5,
    float("nan"),
    True,
    "",
    "\udfff",
    b"\xff",
    [],
    [None],
    {},
    {"Unknown": 1},
    object(),
    datetime(2026, 1, 1),
    "not a date",
    10**400,
]
TIMESTAMPS = [
    datetime(2026, 1, 1, tzinfo=timezone.utc),
    "2025-12-31T23:59:00Z",
    1_767_225_599,
    "not a date",
    1e300,
    float("nan"),
]
BLOBS = [b"x", b"", b"{}", b'{"Records": []}', b"\xff\xfe", "text", b"[" * 2000, b"NaN"]


def values(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for ``shape``: mostly of its kind (valid or almost), one in ten junk."""
    return st.integers(0, 9).flatmap(
        lambda roll: st.sampled_from(JUNK) if roll == 9 or depth > 3 else typed(shape, depth)
    )


def typed(shape: Any, depth: int) -> st.SearchStrategy[Any]:
    kind = shape if isinstance(shape, str) else shape[0]
    if kind == "string":
        return st.sampled_from(NAMES)
    if kind in ("integer", "long"):
        return st.sampled_from([0, 1, 2, 3, 5, 10, 100, 10_000, -5, 2**31])
    if kind == "boolean":
        return st.booleans()
    if kind in ("double", "float"):
        return st.sampled_from([0.0, 1.5, -1.0, float("inf")])
    if kind == "timestamp":
        return st.sampled_from(TIMESTAMPS)
    if kind == "blob":
        return st.sampled_from(BLOBS)
    if kind == "list":
        return st.lists(values(shape[1], depth + 1), max_size=3)
    if kind == "map":
        keys = st.sampled_from(["k", "a", ""])
        return st.dictionaries(keys, values(shape[1], depth + 1), max_size=2)
    return structures(shape, depth)


@st.composite
def structures(
    draw: st.DrawFn, shape: Any, depth: int, only: frozenset[str] | None = None
) -> dict[str, Any]:
    """Every required member and up to three optional ones (S3's PutObject has dozens), of
    ``only`` if given."""
    _, required, members = shape
    optional = sorted(
        name for name in members if name not in required and (only is None or name in only)
    )
    chosen = draw(st.lists(st.sampled_from(optional), max_size=3, unique=True)) if optional else []
    return {name: draw(values(members[name], depth + 1)) for name in [*required, *chosen]}


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    service = draw(st.sampled_from(SERVICES))
    operation = draw(st.sampled_from(sorted(INPUTS[service])))
    # Mostly the members kinesim translates (others are refused as a usage error at once).
    only = TRANSLATED[service, operation] if draw(st.integers(0, 9)) != 9 else None
    params = draw(structures(INPUTS[service][operation], 0, only))
    if draw(st.integers(0, 9)) == 9 and params:  # almost valid: a required member missing
        params.pop(draw(st.sampled_from(sorted(params))))
    if draw(st.integers(0, 19)) == 19:  # almost valid: a member botocore does not know
        params["NoSuchMember"] = 1
    return service, operation, params


def _translated() -> dict[tuple[str, str], frozenset[str]]:
    sim = kinesim.Simulator()
    table = {}
    for service in SERVICES:
        client = sim.client(service)
        for operation in INPUTS[service]:
            method = getattr(client, snake_case(operation)).__wrapped__
            table[service, operation] = frozenset(inspect.signature(method).parameters)
    return table


TRANSLATED = _translated()


def world() -> tuple[kinesim.Simulator, Any, list[str]]:
    """The fuzzed resources (s, f, q, t, bkt) and a sentinel pipeline the calls cannot name."""
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=2)
    fn = sim.lambda_.create_function("f", None, duration=0.01)
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    stream.register_consumer("c")
    sim.sqs.create_queue("q").send_message("hello")
    sim.sns.create_topic("t")
    sim.s3.create_bucket("bkt").put_object("k", b"v")
    got: list[str] = []
    sentinel_stream = sim.kinesis.create_stream("sentinel-stream-9", shard_count=1)
    sentinel_fn = sim.lambda_.create_function(
        "sentinel-fn-9",
        lambda event, context: got.extend(r["kinesis"]["data"] for r in event["Records"]),
    )
    sentinel = sim.lambda_.create_event_source_mapping(
        sentinel_fn, sentinel_stream, starting_position="TRIM_HORIZON"
    )
    return sim, sentinel, got


def resolve(sim: kinesim.Simulator, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: resolve(sim, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(sim, v) for v in value]
    if value == MAPPING_UUID:
        mappings = sim.lambda_.list_event_source_mappings()
        return mappings[0].uuid if mappings else value
    if value == ITERATOR:
        try:
            return sim.kinesis.get_shard_iterator("s", "shardId-000000000000", "TRIM_HORIZON")
        except kinesim.AWSError:
            return value
    if value == RECEIPT:
        try:
            messages = sim.sqs.queue("q").receive_messages()
        except kinesim.AWSError:
            return value
        return messages[0].receipt_handle if messages else value
    return value


@settings(max_examples=60, deadline=None)
@given(st.lists(calls(), min_size=1, max_size=6))
def test_fuzzed_client_calls_fail_only_with_documented_errors(sequence):
    sim, sentinel, got = world()
    for service, operation, params in sequence:
        client = sim.client(service)
        method = getattr(client, snake_case(operation))
        try:
            method(**resolve(sim, params))
        except ALLOWED:
            pass
        except Exception as exc:
            raise AssertionError(
                f"{service}.{operation}({params!r}) raised {type(exc).__name__}: {exc}"
            ) from exc
        assert not sim.advancing
    sim.advance(5)
    sim.kinesis.stream("sentinel-stream-9").put_record(b"sentinel", "k")
    sim.advance(30)
    assert got[-1:] == [base64.b64encode(b"sentinel").decode()]
    assert sentinel.caught_up
    invariants.check_no_silent_loss(sentinel)
    invariants.check_at_least_once(sentinel)
    invariants.check_order_per_key(invariants.deliveries(sentinel))
    assert sim.lambda_.in_flight == 0
