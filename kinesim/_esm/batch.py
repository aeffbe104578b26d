"""Building the event AWS hands the function, and measuring it without serialising it.

The record shape and key order are AWS's (ground truth §2.2). The payload size of an event is the
length of ``json.dumps(event)`` (default separators, ASCII output); it is computed arithmetically
per record (:class:`EventBuilder.record_size`) so the 6 MB cap costs no serialisation; a property
test pins the formula to ``json.dumps``.
"""

from __future__ import annotations

import json
from base64 import b64encode
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Any, Protocol

from kinesim._kinesis.sequence import encode

__all__ = [
    "BATCH_VIEW_ATTRIBUTE",
    "PAYLOAD_LIMIT_BYTES",
    "BatchView",
    "Columns",
    "EventBuilder",
    "LazySequence",
    "envelope_size",
    "json_str_len",
    "record_sizes",
]

#: Synchronous invocation payload limit, which caps a batch: "The payload size reaches 6 MB. You
#: cannot modify this limit." [LDG:invocation-eventsourcemapping]. Lambda's 6 MB is 6 MiB
#: (6,291,456 bytes; the recorded response limit is 6,291,556 = 6 MiB + 100).
PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024

_ENVELOPE_BYTES = len('{"Records": []}')
_SEPARATOR_BYTES = len(", ")


class _Shard(Protocol):
    def sequence_number(self, i: int) -> str: ...
    def arrival_ms(self, i: int) -> int: ...
    def partition_key(self, i: int) -> str: ...
    def data(self, i: int) -> bytes: ...


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
        return self._record(partition_key, sequence_number, encoded, arrival), size

    def build(
        self, shard: _Shard, positions: Sequence[int], limit_bytes: int
    ) -> tuple[list[dict[str, Any]], list[int], list[str], list[int], int]:
        """The records at ``positions`` of ``shard`` as event records, stopping before the event
        would pass ``limit_bytes`` (always at least one record); for tests and one-off callers
        (the mapping builds its batches from :class:`Columns`).

        Returns ``(records, sizes, sequence_numbers, arrivals_ms, event_bytes)``.
        """
        seqs = [shard.sequence_number(i) for i in positions]
        arrivals = [shard.arrival_ms(i) for i in positions]
        keys = [shard.partition_key(i) for i in positions]
        data = [shard.data(i) for i in positions]
        sizes = [
            self._fixed_bytes
            + json_str_len(key)
            + 2 * len(seq)
            + 4 * -(-len(d) // 3)
            + len(repr(arrival / 1000))
            for key, seq, d, arrival in zip(keys, seqs, data, arrivals, strict=True)
        ]
        k = fitting(sizes, limit_bytes)
        records = self.records(keys[:k], seqs[:k], data[:k], arrivals[:k])
        return records, sizes[:k], seqs[:k], arrivals[:k], envelope_size(k, sum(sizes[:k]))

    def records(
        self, keys: Sequence[str], seqs: Sequence[str], data: Sequence[bytes], arrivals: Any
    ) -> list[dict[str, Any]]:
        """Event records from columns (fresh dicts: the handler may change what it gets)."""
        # NOTE: the hot path of the mapping's event building (bench_esm): constants in locals,
        # the record dict built inline rather than through record().
        shard_id_colon = self.shard_id + ":"
        role, region, source = self.role_arn, self.region, self.event_source_arn
        return [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": key,
                    "sequenceNumber": seq,
                    "data": b64encode(d).decode("ascii"),
                    "approximateArrivalTimestamp": arrival / 1000,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": shard_id_colon + seq,
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role,
                "awsRegion": region,
                "eventSourceARN": source,
            }
            for key, seq, d, arrival in zip(keys, seqs, data, arrivals, strict=True)
        ]


def fitting(sizes: Sequence[int], limit_bytes: int) -> int:
    """How many of the records with JSON ``sizes`` fit in an event of ``limit_bytes`` (the
    longest prefix; at least one record)."""
    limit = limit_bytes - _ENVELOPE_BYTES + _SEPARATOR_BYTES
    if sum(sizes) + _SEPARATOR_BYTES * len(sizes) <= limit:
        return len(sizes)
    # NOTE: one C-level accumulate and bisect instead of a loop over the records.
    return bisect_right(list(accumulate(size + _SEPARATOR_BYTES for size in sizes)), limit) or 1


# -- the what-if fast path ---------------------------------------------------------------------

#: A handler with this attribute set to True takes a :class:`BatchView` instead of the event.
BATCH_VIEW_ATTRIBUTE = "kinesim_takes_batch_view"

_SEQUENCE_NUMBER_DIGITS = 56  # every sequence number kinesim issues (``sequence.encode``)


def record_sizes(
    builder: EventBuilder, data: list[bytes], keys: list[str], arrivals: Any
) -> list[int]:
    """The ``json.dumps`` sizes :meth:`EventBuilder.record` would compute, without building
    records: the same formula, per batch.

    NOTE: the mapping's hot path (bench_esm): base64 lengths from ``map(len, data)``, key lengths
    by ``map(len, keys)`` when the batch's keys need no JSON escaping (one check of them
    joined), arrival lengths once per distinct arrival time. A test pins it to
    :meth:`EventBuilder.record`.
    """
    fixed = builder._fixed_bytes + 2 * _SEQUENCE_NUMBER_DIGITS
    joined = "".join(keys)
    key_lens: Any
    if joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined:
        key_lens = map(len, keys)
    else:
        key_lens = map(json_str_len, keys)
    repr_lens = {a: len(repr(a / 1000)) for a in set(arrivals)}
    return [
        fixed + (((n + 2) // 3) << 2) + k + r
        for n, k, r in zip(
            map(len, data), key_lens, map(repr_lens.__getitem__, arrivals), strict=True
        )
    ]


class Columns:
    """A batch: its records as the shard's columns held them when the batch was cut (slices or
    gathered copies, so retention trimming the shard meanwhile changes nothing here), at shard
    ``positions`` (a ``range`` when contiguous). The one batch representation of the mapping:
    sequence numbers and event records are made on demand, event records afresh for each
    invocation (AWS hands every invocation its own copy)."""

    __slots__ = (
        "arrivals",
        "builder",
        "data",
        "keys",
        "positions",
        "seq_ms",
        "shard_index",
        "tag",
    )

    def __init__(
        self,
        *,
        positions: Sequence[int],
        data: list[bytes],
        keys: list[str],
        arrivals: Any,
        seq_ms: Any,
        shard_index: int,
        tag: int,
        builder: EventBuilder,
    ) -> None:
        self.positions = positions
        self.data = data
        self.keys = keys
        self.arrivals = arrivals
        self.seq_ms = seq_ms
        self.shard_index = shard_index
        self.tag = tag
        self.builder = builder

    def __len__(self) -> int:
        return len(self.positions)

    def sequence_number(self, k: int) -> str:
        return encode(self.seq_ms[k], self.shard_index, self.positions[k] + 1, self.tag)

    def sequence_numbers(self, lo: int, hi: int) -> list[str]:
        index, tag = self.shard_index, self.tag
        positions, seq_ms = self.positions, self.seq_ms
        if lo < hi and seq_ms[lo] == seq_ms[hi - 1]:
            # NOTE: the common case (records put in the same millisecond; the sequence clock
            # never decreases along a shard): the prefix and the tag are formatted once, one
            # position per record.
            head, tail = f"49{seq_ms[lo]:015d}{index:012d}", f"{tag:07d}"
            return [f"{head}{p + 1:020d}{tail}" for p in positions[lo:hi]]
        # NOTE: sequence.encode inlined (one f-string per record).
        return [
            f"49{seq_ms[k]:015d}{index:012d}{positions[k] + 1:020d}{tag:07d}" for k in range(lo, hi)
        ]

    def record(self, k: int) -> dict[str, Any]:
        record, _ = self.builder.record(
            self.keys[k], self.sequence_number(k), self.data[k], self.arrivals[k]
        )
        return record

    def records(self, lo: int, hi: int) -> list[dict[str, Any]]:
        """Fresh event records for items ``[lo, hi)``."""
        return self.builder.records(
            self.keys[lo:hi], self.sequence_numbers(lo, hi), self.data[lo:hi], self.arrivals[lo:hi]
        )


class LazySequence(Sequence[Any]):
    """Items ``[lo, hi)`` of a :class:`Columns`, made by ``make(columns, k)`` when read; a
    slice is another lazy view."""

    __slots__ = ("columns", "hi", "lo", "make")

    def __init__(self, columns: Columns, lo: int, hi: int, make: Any) -> None:
        self.columns = columns
        self.lo = lo
        self.hi = hi
        self.make = make

    def __len__(self) -> int:
        return self.hi - self.lo

    def __getitem__(self, index: Any) -> Any:
        n = self.hi - self.lo
        if isinstance(index, slice):
            lo, hi, step = index.indices(n)
            if step != 1:
                return [self[i] for i in range(lo, hi, step)]
            return LazySequence(self.columns, self.lo + lo, self.lo + max(lo, hi), self.make)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        return self.make(self.columns, self.lo + index)


class BatchView:
    """What a batch-view handler (and a duration model, when the handler is None) receives
    instead of ``{"Records": [...]}``: the shard id and the shard ``positions`` of the batch's
    records (``start`` and ``end`` bound them; they are contiguous unless filters or
    ParallelizationFactor picked them); :meth:`records` builds the event records."""

    __slots__ = ("_columns", "_lo", "end", "positions", "shard_id", "start")

    def __init__(self, shard_id: str, columns: Columns, lo: int, hi: int) -> None:
        self.shard_id = shard_id
        self.positions = columns.positions[lo:hi]
        self.start = self.positions[0]
        self.end = self.positions[-1] + 1
        self._columns = columns
        self._lo = lo

    def __len__(self) -> int:
        return len(self.positions)

    def records(self) -> list[dict[str, Any]]:
        return self._columns.records(self._lo, self._lo + len(self.positions))

    def holds(self, position: int) -> bool:
        """Whether the record at shard ``position`` is in this batch."""
        if isinstance(self.positions, range):
            return position in self.positions
        k = bisect_right(self.positions, position) - 1
        return k >= 0 and self.positions[k] == position

    def sequence_number(self, position: int) -> str:
        """The sequence number of the record at shard ``position`` (one of the batch's)."""
        if not self.holds(position):
            raise IndexError(f"position {position} is not in this batch {self!r}")
        k = bisect_right(self.positions, position) - 1
        return self._columns.sequence_number(self._lo + k)

    def __repr__(self) -> str:
        return f"<BatchView {self.shard_id} [{self.start}, {self.end}) {len(self)} record(s)>"
