"""Building the event AWS hands the function, and measuring it without serialising it.

The record shape and key order are AWS's (ground truth §2.2). The payload size of an event is the
length of ``json.dumps(event)`` (default separators, ASCII output); it is computed arithmetically
per record (:class:`EventBuilder.record_size`) so the 6 MB cap costs no serialisation; a property
test pins the formula to ``json.dumps``.
"""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any

__all__ = ["PAYLOAD_LIMIT_BYTES", "EventBuilder", "envelope_size", "json_str_len"]

#: Synchronous invocation payload limit, which caps a batch: "The payload size reaches 6 MB. You
#: cannot modify this limit." [LDG:invocation-eventsourcemapping]. Lambda's 6 MB is 6 MiB
#: (6,291,456 bytes; the recorded response limit is 6,291,556 = 6 MiB + 100).
PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024

_ENVELOPE_BYTES = len('{"Records": []}')
_SEPARATOR_BYTES = len(", ")


def envelope_size(record_count: int, records_bytes: int) -> int:
    """Size of ``{"Records": [...]}`` holding records whose JSON sizes sum to ``records_bytes``."""
    if record_count == 0:
        return _ENVELOPE_BYTES
    return _ENVELOPE_BYTES + records_bytes + _SEPARATOR_BYTES * (record_count - 1)


def json_str_len(text: str) -> int:
    """Length of ``json.dumps(text)`` without the two quotes."""
    # NOTE: fast path for the common case (plain ASCII keys), measured in bench_esm.
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return len(text)
    return len(json.dumps(text)) - 2


class EventBuilder:
    """Builds the Kinesis event records of one shard for one mapping.

    Everything constant per shard (ARNs, region, shard id) is fixed at construction, so a record
    costs one base64 encoding, one dict and a few additions.
    """

    __slots__ = ("_fixed_bytes", "event_source_arn", "region", "role_arn", "shard_id")

    def __init__(self, *, shard_id: str, stream_arn: str, role_arn: str, region: str) -> None:
        self.shard_id = shard_id
        self.event_source_arn = stream_arn
        self.role_arn = role_arn
        self.region = region
        template = self._record("", "", "", 0)
        # Variable parts of the template: partitionKey "", sequenceNumber "" (twice, once in
        # eventID), data "" and the timestamp 0 (one character).
        self._fixed_bytes = len(json.dumps(template)) - 1

    def _record(self, partition_key: str, sequence_number: str, data: str, arrival: float) -> Any:
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": partition_key,
                "sequenceNumber": sequence_number,
                "data": data,
                "approximateArrivalTimestamp": arrival,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{self.shard_id}:{sequence_number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self.role_arn,
            "awsRegion": self.region,
            "eventSourceARN": self.event_source_arn,
        }

    def record(
        self, partition_key: str, sequence_number: str, data: bytes, arrival_ms: int
    ) -> tuple[dict[str, Any], int]:
        """The event record and its ``json.dumps`` size in bytes."""
        encoded = b64encode(data).decode("ascii")
        arrival = arrival_ms / 1000
        size = (
            self._fixed_bytes
            + json_str_len(partition_key)
            + 2 * len(sequence_number)
            + len(encoded)
            + len(repr(arrival))
        )
        record = {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": partition_key,
                "sequenceNumber": sequence_number,
                "data": encoded,
                "approximateArrivalTimestamp": arrival,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{self.shard_id}:{sequence_number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self.role_arn,
            "awsRegion": self.region,
            "eventSourceARN": self.event_source_arn,
        }
        return record, size
