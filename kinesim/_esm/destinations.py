"""On-failure invocation records: AWS's exact payload (ground truth §2.5) and the S3 object key."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from random import Random
from typing import Any

__all__ = ["failure_record", "iso_ms", "s3_key", "uuid_from"]

RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


def iso_ms(epoch_ms: int) -> str:
    """``2022-07-13T13:48:01.000Z``: UTC with milliseconds and Z, as AWS writes these times."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"


def uuid_from(rng: Random) -> str:
    """A version-4 UUID string drawn from a seeded generator (deterministic)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def failure_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    function_error: str | None,
    with_response: bool,
    now_ms: int,
    shard_id: str,
    first_sequence_number: str,
    last_sequence_number: str,
    first_arrival_ms: int,
    last_arrival_ms: int,
    batch_size: int,
    stream_arn: str,
) -> dict[str, Any]:
    """The invocation record, keys in AWS's order. ``RecordAgeExceeded`` has no
    ``responseContext`` (``with_response=False``)."""
    record: dict[str, Any] = {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        }
    }
    if with_response:
        record["responseContext"] = {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": function_error,
        }
    record["version"] = "1.0"
    record["timestamp"] = iso_ms(now_ms)
    record["KinesisBatchInfo"] = {
        "shardId": shard_id,
        "startSequenceNumber": first_sequence_number,
        "endSequenceNumber": last_sequence_number,
        "approximateArrivalOfFirstRecord": iso_ms(first_arrival_ms),
        "approximateArrivalOfLastRecord": iso_ms(last_arrival_ms),
        "batchSize": batch_size,
        "streamArn": stream_arn,
    }
    return record


def s3_key(mapping_uuid: str, shard_id: str, now_ms: int, suffix: str) -> str:
    """``aws/lambda/<UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<suffix>`` at the record's
    timestamp (ground truth §2.5; the suffix is a random UUID [B6])."""
    moment = datetime.fromtimestamp(now_ms // 1000, timezone.utc)
    return (
        f"aws/lambda/{mapping_uuid}/{shard_id}/{moment:%Y/%m/%d}/"
        f"{moment:%Y-%m-%dT%H.%M.%S}-{suffix}"
    )


def dumps(record: dict[str, Any]) -> str:
    """The message body: compact JSON (what a consumer ``json.loads``). Anything a handler may
    have put into its records that JSON cannot hold is written as its ``str``."""
    return json.dumps(record, separators=(",", ":"), default=str)
