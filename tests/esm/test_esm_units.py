"""Pure parts of the mapping: validation texts, event size formula, result classification,
retry decisions, on-failure payloads, and the ledger's bookkeeping."""

from __future__ import annotations

import json
import random
from base64 import b64encode
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim._esm.batch import EventBuilder, envelope_size
from kinesim._esm.config import MappingSettings, validate_settings, validate_starting_position
from kinesim._esm.destinations import failure_record, iso_ms, s3_key
from kinesim._esm.retry import ExponentialBackoff, bisect_point, classify, next_step
from kinesim._observe.ledger import Ledger

SEQS = ["49000000000000000000000000000000000000000000000000000001", "4900000002", "4900000003"]


# -- validation ---------------------------------------------------------------------------------


def test_missing_starting_position_is_awss_null_error() -> None:
    with pytest.raises(kinesim.InvalidParameterValueException) as info:
        validate_starting_position(None, None)
    assert info.value.message == (
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null."
    )
    assert info.value.response["Type"] == "User"
    assert info.value.http_status == 400


def test_bad_starting_position_is_a_validation_exception_without_type() -> None:
    with pytest.raises(kinesim.ValidationException) as info:
        validate_starting_position("invalid", None)
    assert info.value.message == (
        "1 validation error detected: Value 'invalid' at 'startingPosition' failed to satisfy "
        "constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]"
    )
    assert "Type" not in info.value.response


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        (
            "batch_size",
            0,
            "Value '0' at 'batchSize' failed to satisfy constraint: Member must "
            "have value greater than or equal to 1",
        ),
        (
            "batch_size",
            10_001,
            "Value '10001' at 'batchSize' failed to satisfy constraint: "
            "Member must have value less than or equal to 10000",
        ),
        ("batching_window", 301, "at 'maximumBatchingWindowInSeconds'"),
        ("parallelization_factor", 11, "at 'parallelizationFactor'"),
        ("max_retry_attempts", -2, "at 'maximumRetryAttempts'"),
        ("max_record_age", 604_801, "at 'maximumRecordAgeInSeconds'"),
        ("tumbling_window", 901, "at 'tumblingWindowInSeconds'"),
    ],
)
def test_out_of_range_settings(name: str, value: int, text: str) -> None:
    with pytest.raises(kinesim.ValidationException) as info:
        validate_settings(MappingSettings(), **{name: value})
    assert text in info.value.message
    assert info.value.message.startswith("1 validation error detected: ")


def test_record_age_between_0_and_59_is_refused_minus_one_and_60_accepted() -> None:
    with pytest.raises(kinesim.InvalidParameterValueException):
        validate_settings(MappingSettings(), max_record_age=59)
    assert validate_settings(MappingSettings(), max_record_age=60).max_record_age == 60
    assert validate_settings(MappingSettings(), max_record_age=-1).max_record_age == -1


def test_wrong_types_are_kinesim_type_errors() -> None:
    with pytest.raises(kinesim.KinesimTypeError, match="batch_size"):
        validate_settings(MappingSettings(), batch_size="10")
    with pytest.raises(kinesim.KinesimTypeError, match="bisect_on_error"):
        validate_settings(MappingSettings(), bisect_on_error=1)


def test_invalid_filter_pattern() -> None:
    with pytest.raises(kinesim.InvalidParameterValueException) as info:
        validate_settings(MappingSettings(), filters=["single-string"])
    assert info.value.message == "Invalid filter pattern definition."


def test_defaults_are_awss() -> None:
    s = MappingSettings()
    assert (s.batch_size, s.batching_window, s.parallelization_factor) == (100, 0, 1)
    assert (s.max_retry_attempts, s.max_record_age, s.bisect_on_error) == (-1, -1, False)
    assert (s.report_batch_item_failures, s.tumbling_window, s.filters) == (False, 0, ())


# -- event records and their size -----------------------------------------------------------------

BUILDER = EventBuilder(
    shard_id="shardId-000000000000",
    stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
    role_arn="arn:aws:iam::123456789012:role/r",
    region="us-east-1",
)


def test_record_shape_and_key_order_are_awss() -> None:
    record, _ = BUILDER.record("test", SEQS[0], b"hello", 1_767_225_600_123)
    assert list(record) == [
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    ]
    assert record["kinesis"] == {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "test",
        "sequenceNumber": SEQS[0],
        "data": "aGVsbG8=",
        "approximateArrivalTimestamp": 1767225600.123,
    }
    assert list(record["kinesis"]) == [
        "kinesisSchemaVersion",
        "partitionKey",
        "sequenceNumber",
        "data",
        "approximateArrivalTimestamp",
    ]
    assert record["eventID"] == f"shardId-000000000000:{SEQS[0]}"
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["eventVersion"] == "1.0"
    assert record["invokeIdentityArn"] == "arn:aws:iam::123456789012:role/r"
    assert "encryptionType" not in record["kinesis"]


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=20),
            st.binary(max_size=300),
            st.integers(min_value=0, max_value=4_102_444_800_000),
            st.from_regex(r"[1-9][0-9]{0,55}", fullmatch=True),
        ),
        max_size=8,
    )
)
def test_size_formula_equals_json_dumps(rows: list[tuple[str, bytes, int, str]]) -> None:
    records, total = [], 0
    for key, data, arrival_ms, seq in rows:
        record, size = BUILDER.record(key, seq, data, arrival_ms)
        assert size == len(json.dumps(record))
        assert record["kinesis"]["data"] == b64encode(data).decode()
        records.append(record)
        total += size
    assert envelope_size(len(records), total) == len(json.dumps({"Records": records}))


# -- classification and retry decisions -----------------------------------------------------------


@pytest.mark.parametrize(
    "response", [None, "", [], {}, {"batchItemFailures": []}, {"batchItemFailures": None}]
)
def test_rbif_success_responses(response: Any) -> None:
    assert classify(None, response, SEQS, True).kind == "success"


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": 123}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"foo": SEQS[1]}]},
        {"batchItemFailures": [{"foo": None}]},
        {"batchItemFailures": [{"itemIdentifier": "4999"}]},  # not in the batch
        {"batchItemFailures": "nope"},
    ],
)
def test_rbif_whole_batch_failures_have_no_function_error(response: Any) -> None:
    outcome = classify(None, response, SEQS, True)
    assert (outcome.kind, outcome.function_error) == ("failure", None)


def test_rbif_partial_checkpoints_at_the_lowest_reported_record() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": SEQS[2]}, {"itemIdentifier": SEQS[1]}]}
    outcome = classify(None, response, SEQS, True)
    assert (outcome.kind, outcome.retry_from) == ("partial", 1)


def test_without_rbif_the_report_is_ignored_and_errors_fail() -> None:
    assert classify(None, {"batchItemFailures": [{"x": 1}]}, SEQS, False).kind == "success"
    failed = classify("Unhandled", None, SEQS, True)
    assert (failed.kind, failed.function_error) == ("failure", "Unhandled")


def test_next_step() -> None:
    assert next_step(size=1, invocations=1, max_retry_attempts=1, bisect_on_error=False) == "retry"
    assert (
        next_step(size=1, invocations=2, max_retry_attempts=1, bisect_on_error=False) == "give_up"
    )
    assert next_step(size=5, invocations=9, max_retry_attempts=-1, bisect_on_error=False) == (
        "retry"
    )
    assert next_step(size=2, invocations=9, max_retry_attempts=0, bisect_on_error=True) == (
        "bisect"
    )
    assert next_step(size=1, invocations=1, max_retry_attempts=0, bisect_on_error=True) == (
        "give_up"
    )
    assert [bisect_point(n) for n in (2, 3, 100)] == [1, 1, 50]


def test_backoff_default_and_jitter_is_seeded() -> None:
    policy = ExponentialBackoff()
    assert [policy.delay_ms(n) for n in (1, 2, 3, 7, 8, 500)] == [
        500,
        1000,
        2000,
        32_000,
        60_000,
        60_000,
    ]
    jittery = ExponentialBackoff(jitter=0.5)
    a = [jittery.delay_ms(3, random.Random(1)) for _ in range(3)]
    b = [jittery.delay_ms(3, random.Random(1)) for _ in range(3)]
    assert a == b
    assert all(1000 <= d <= 2000 for d in a)
    with pytest.raises(kinesim.KinesimValueError):
        ExponentialBackoff(multiplier=0.5)


# -- destination payloads --------------------------------------------------------------------------


def test_iso_ms_and_s3_key_formats() -> None:
    assert iso_ms(1_657_720_081_000) == "2022-07-13T13:48:01.000Z"
    assert iso_ms(1_657_720_081_007) == "2022-07-13T13:48:01.007Z"
    assert (
        s3_key("u-1", "shardId-000000000000", 1_657_720_081_007, "x")
        == "aws/lambda/u-1/shardId-000000000000/2022/07/13/2022-07-13T13.48.01-x"
    )


def test_failure_record_key_order_and_record_age_has_no_response_context() -> None:
    common: dict[str, Any] = {
        "request_id": "r",
        "function_arn": "arn:f",
        "invoke_count": 2,
        "function_error": "Unhandled",
        "now_ms": 1_657_720_081_000,
        "shard_id": "shardId-000000000000",
        "first_sequence_number": "1",
        "last_sequence_number": "2",
        "first_arrival_ms": 1_657_720_080_000,
        "last_arrival_ms": 1_657_720_080_500,
        "batch_size": 2,
        "stream_arn": "arn:s",
    }
    exhausted = failure_record(condition="RetryAttemptsExhausted", with_response=True, **common)
    assert list(exhausted) == [
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "KinesisBatchInfo",
    ]
    assert exhausted["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert exhausted["KinesisBatchInfo"] == {
        "shardId": "shardId-000000000000",
        "startSequenceNumber": "1",
        "endSequenceNumber": "2",
        "approximateArrivalOfFirstRecord": "2022-07-13T13:48:00.000Z",
        "approximateArrivalOfLastRecord": "2022-07-13T13:48:00.500Z",
        "batchSize": 2,
        "streamArn": "arn:s",
    }
    aged = failure_record(condition="RecordAgeExceeded", with_response=False, **common)
    assert "responseContext" not in aged
    assert aged["requestContext"]["condition"] == "RecordAgeExceeded"


# -- ledger ---------------------------------------------------------------------------------------


class _FakeShard:
    shard_id = "shardId-000000000000"
    end_index = 10

    def sequence_number(self, i: int) -> str:
        return f"s{i}"

    def position_of(self, sequence_number: str) -> int:
        return int(sequence_number[1:])


def test_ledger_ranges_merge_and_answer_queries() -> None:
    ledger = Ledger()
    ledger.open(_FakeShard(), 2)
    ledger.delivered("shardId-000000000000", 2, 6, "first", 10, "a")
    ledger.settle("shardId-000000000000", 2, 4, "succeeded", 11)
    ledger.delivered("shardId-000000000000", 4, 6, "partial-failure", 12, "b")
    ledger.settle("shardId-000000000000", 4, 5, "succeeded", 13)
    ledger.settle("shardId-000000000000", 5, 6, "RetryAttemptsExhausted", 14)
    assert ledger.fates() == {"succeeded": 3, "RetryAttemptsExhausted": 1}
    assert ledger.fate("s4") == ledger.fate(("shardId-000000000000", 4))
    fate = ledger.fate("s4")
    assert fate is not None
    assert fate.kind == "succeeded"
    assert ledger.fate("s7") is None
    assert [d.reason for d in ledger.deliveries("s5")] == ["first", "partial-failure"]
    assert ledger.unresolved() == [("shardId-000000000000", 6, 10)]
    assert ledger.delivery_reasons() == {"first": 4, "partial-failure": 2}
    ledger._check()
    with pytest.raises(AssertionError, match="vanish"):
        ledger.settle("shardId-000000000000", 7, 8, "succeeded", 15)


class _RowsShard:
    def __init__(self, rows: list[tuple[str, bytes, int, str]]) -> None:
        self.rows = rows

    def sequence_number(self, i: int) -> str:
        return self.rows[i][3]

    def arrival_ms(self, i: int) -> int:
        return self.rows[i][2]

    def partition_key(self, i: int) -> str:
        return self.rows[i][0]

    def data(self, i: int) -> bytes:
        return self.rows[i][1]


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=20),
            st.binary(max_size=300),
            st.integers(min_value=0, max_value=4_102_444_800_000),
            st.from_regex(r"[1-9][0-9]{0,55}", fullmatch=True),
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=0, max_value=4000),
)
def test_build_matches_record_and_cuts_at_the_limit(
    rows: list[tuple[str, bytes, int, str]], limit: int
) -> None:
    records, sizes, seqs, arrivals, total = BUILDER.build(_RowsShard(rows), range(len(rows)), limit)
    assert len(records) >= 1
    assert total == len(json.dumps({"Records": records}))
    assert total <= limit or len(records) == 1
    if len(records) < len(rows):
        longer = [BUILDER.record(k, s, d, a)[0] for k, d, a, s in rows[: len(records) + 1]]
        assert len(json.dumps({"Records": longer})) > limit
    for (key, data, arrival, seq), record, size in zip(rows, records, sizes, strict=False):
        assert record == BUILDER.record(key, seq, data, arrival)[0]
        assert size == len(json.dumps(record))
    assert seqs == [r[3] for r in rows[: len(records)]]
    assert arrivals == [r[2] for r in rows[: len(records)]]
