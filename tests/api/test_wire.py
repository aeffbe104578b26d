"""The wire serialisers against botocore's own parsers: whatever kinesim encodes for a response
or an error, botocore reads back exactly (the round trip is the identity), in each protocol."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

botocore_session = pytest.importorskip("botocore.session")
botocore_parsers = pytest.importorskip("botocore.parsers")
botocore_awsrequest = pytest.importorskip("botocore.awsrequest")
botocore_eventstream = pytest.importorskip("botocore.eventstream")

import kinesim  # noqa: E402
from kinesim._api import wire  # noqa: E402
from kinesim._api.wire import eventstream  # noqa: E402

_SESSION = botocore_session.get_session()


def _operation(service, name):
    return _SESSION.get_service_model(service).operation_model(name)


def _parse(operation_model, out):
    response = {
        "status_code": out.status,
        "headers": botocore_awsrequest.HeadersDict(out.headers),
        "body": out.body,
    }
    parser = botocore_parsers.create_parser(wire.protocol_of(operation_model))
    return parser.parse(response, operation_model.output_shape)


# Text AWS carries in JSON and XML alike: no surrogates, no control characters (XML 1.0 cannot
# hold most of them, and parsers normalise \r).
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
instants = st.integers(0, 4_000_000_000_000).map(
    lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)
)


@settings(max_examples=50)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "SequenceNumber": st.integers(0, 10**56).map(str),
                "ApproximateArrivalTimestamp": instants,
                "Data": st.binary(max_size=64),
                "PartitionKey": text,
            }
        ),
        max_size=5,
    ),
    st.integers(0, 10**9),
)
def test_json_get_records_round_trips(records, behind):
    operation = _operation("kinesis", "GetRecords")
    response = {"Records": records, "MillisBehindLatest": behind, "NextShardIterator": "it"}
    out = wire.success_response(operation, response, status=200, request_id="r-1")
    parsed = _parse(operation, out)
    assert parsed["ResponseMetadata"]["RequestId"] == "r-1"
    assert parsed["MillisBehindLatest"] == behind
    assert len(parsed["Records"]) == len(records)
    for got, sent in zip(parsed["Records"], records, strict=True):
        assert got["ApproximateArrivalTimestamp"] == sent["ApproximateArrivalTimestamp"]
        assert {k: v for k, v in got.items() if k != "ApproximateArrivalTimestamp"} == {
            k: v for k, v in sent.items() if k != "ApproximateArrivalTimestamp"
        }


@settings(max_examples=50)
@given(st.lists(st.tuples(text, text), max_size=4))
def test_query_list_subscriptions_round_trips(pairs):
    operation = _operation("sns", "ListSubscriptionsByTopic")
    subscriptions = [
        {"SubscriptionArn": arn, "Owner": "123456789012", "Protocol": "sqs", "Endpoint": endpoint}
        for arn, endpoint in pairs
    ]
    out = wire.success_response(
        operation, {"Subscriptions": subscriptions}, status=200, request_id="r-2"
    )
    parsed = _parse(operation, out)
    assert parsed.get("Subscriptions", []) == subscriptions
    assert parsed["ResponseMetadata"]["RequestId"] == "r-2"


@settings(max_examples=50)
@given(st.lists(st.tuples(text, st.integers(0, 10**12), instants), max_size=4), st.booleans())
def test_rest_xml_list_objects_round_trips(objects, truncated):
    operation = _operation("s3", "ListObjectsV2")
    contents = [
        {"Key": key, "Size": size, "LastModified": when, "ETag": '"e"', "StorageClass": "STANDARD"}
        for key, size, when in objects
    ]
    response = {"IsTruncated": truncated, "Name": "b", "KeyCount": len(contents)}
    if contents:
        response["Contents"] = contents
    out = wire.success_response(operation, response, status=200, request_id="r-3")
    parsed = _parse(operation, out)
    assert parsed["IsTruncated"] is truncated
    assert parsed.get("Contents", []) == contents
    assert parsed["ResponseMetadata"]["RequestId"] == "r-3"


@settings(max_examples=30)
@given(
    st.sampled_from(
        [
            ("kinesis", "DescribeStream", kinesim.ResourceNotFoundException, {}),
            ("sqs", "GetQueueUrl", kinesim.QueueDoesNotExist, {}),
            ("sns", "Publish", kinesim.NotFoundException, {}),
            ("s3", "GetObject", kinesim.NoSuchKey, {}),
            ("lambda", "Invoke", kinesim.TooManyRequestsException, {"Reason": "R"}),
            ("cloudwatch", "ListMetrics", kinesim.InvalidParameterValue, {}),
        ]
    ),
    text,
)
def test_errors_round_trip_in_every_protocol(case, message):
    service, name, cls, extra = case
    operation = _operation(service, name)
    error = cls(message, **extra)
    out = wire.error_response(operation, error, request_id="r-4")
    parsed = _parse(operation, out)
    assert out.status == error.http_status
    assert parsed["Error"]["Code"] == error.code
    assert parsed["Error"]["Message"] == message
    assert parsed["ResponseMetadata"]["RequestId"] == "r-4"


def test_event_stream_messages_decode_with_botocores_decoder():
    buffer = botocore_eventstream.EventStreamBuffer()
    buffer.add_data(eventstream.message({":event-type": "X", "h": "é"}, b'{"a":1}'))
    buffer.add_data(eventstream.message({}, b""))
    first, second = list(buffer)
    assert first.headers == {":event-type": "X", "h": "é"}
    assert first.payload == b'{"a":1}'
    assert (second.headers, second.payload) == ({}, b"")
