"""SubscribeToShard: one consumer's push subscription to one shard, in virtual time.

A :class:`Subscription` delivers :class:`FanoutEvent` values (``SubscribeToShardEvent`` in AWS's
API) to an ``on_event`` callback and, unless told not to, keeps them in :attr:`Subscription.events`.

The model, per consumer and shard:

- **Push, not poll.** A record that arrives at ``t`` is delivered in an event at
  ``t + Timings.efo_push_latency_s`` (default 70 ms, AWS's quoted average), or later if the pipe
  is busy or the subscription's last event was less than ``Timings.efo_event_interval_s``
  (default 20 ms, assumed) before. An idle subscription waits on
  :meth:`Shard.notify_on_arrival` and schedules nothing.
- **A dedicated pipe.** Each consumer gets 2 MiB/s per shard (:data:`PIPE_BYTES_PER_S`) of its
  own: reading peeks the shard (:meth:`Shard.peek`) and never charges the shared 2 MiB/s and
  5 calls/s that polling readers split. An event of ``B`` bytes occupies the pipe for
  ``B / 2 MiB`` seconds; a backlog is pushed in events of at most :data:`EVENT_MAX_BYTES`
  (assumed, AWS does not say) and :data:`EVENT_MAX_RECORDS`. The pipe's state belongs to the
  consumer and shard, so resubscribing does not buy a fresh burst.
- **Five minutes.** A subscription ends :data:`SUBSCRIPTION_LIFETIME_MS` after it started; the
  reader resubscribes with ``AFTER_SEQUENCE_NUMBER`` and the last event's
  ``ContinuationSequenceNumber`` and loses or repeats nothing.
- **Shard end.** When a closed shard has been read to its end, the last event carries
  ``ChildShards`` and a null ``ContinuationSequenceNumber``, and the subscription ends.

Complexity: an event costs O(log n) arrival lookups plus O(records in the event).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kinesim._core.scheduler import to_epoch_ms
from kinesim._errors import (
    InvalidArgumentException,
    KinesimTypeError,
    ValidationException,
)
from kinesim._kinesis import sequence
from kinesim._kinesis.validate import check_str

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._kinesis.descriptions import ChildShard
    from kinesim._kinesis.fanout.consumers import Consumer, _ShardSlot
    from kinesim._kinesis.shard import Record, Shard, _ArrivalWaiter
    from kinesim._simulator import Simulator

__all__ = [
    "EVENT_MAX_BYTES",
    "EVENT_MAX_RECORDS",
    "PIPE_BYTES_PER_S",
    "RESUBSCRIBE_GUARD_MS",
    "STARTING_POSITION_TYPES",
    "SUBSCRIBE_INTERVAL_MS",
    "SUBSCRIPTION_LIFETIME_MS",
    "EndReason",
    "FanoutEvent",
    "Subscription",
    "resolve_starting_position",
]

#: Dedicated read throughput per consumer per shard (AWS: "up to 2 MiB per second").
PIPE_BYTES_PER_S = 2 * 1024 * 1024
#: A subscription pushes events "for up to 5 minutes" (AWS SubscribeToShard).
SUBSCRIPTION_LIFETIME_MS = 300_000
#: A second subscribe within 5 s of a successful one is refused (ResourceInUseException).
RESUBSCRIBE_GUARD_MS = 5_000
#: One SubscribeToShard call per second per consumer per shard (LimitExceededException).
SUBSCRIBE_INTERVAL_MS = 1_000
#: Most bytes (data + partition keys) pushed in one event while catching up. Assumed: AWS does
#: not document an event size; 1 MiB gives two events a second at the pipe's full 2 MiB/s.
EVENT_MAX_BYTES = 1024 * 1024
#: Most records in one event (assumed, as GetRecords' largest Limit).
EVENT_MAX_RECORDS = 10_000

STARTING_POSITION_TYPES = (
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
    "LATEST",
    "AT_TIMESTAMP",
)


class EndReason(str, enum.Enum):
    """Why a subscription stopped pushing events."""

    #: Five minutes passed; resubscribe from the continuation sequence number.
    EXPIRED = "EXPIRED"
    #: A closed shard was read to its end; the last event named the child shards.
    SHARD_END = "SHARD_END"
    #: A SubscribeToShard call for the same consumer and shard took over.
    REPLACED = "REPLACED"
    #: The reader closed it (:meth:`Subscription.cancel`).
    CANCELLED = "CANCELLED"
    #: The consumer was deregistered (or its stream deleted).
    CONSUMER_DELETED = "CONSUMER_DELETED"


@dataclass(frozen=True, slots=True)
class FanoutEvent:
    """One ``SubscribeToShardEvent``: the records ``[start, end)`` of a shard, pushed at
    ``time_ms``.

    Positions are the shard's absolute record positions; :meth:`records` gives the records
    themselves (``sim.client("kinesis")`` shapes the event as AWS's ``SubscribeToShardEvent``).
    """

    time_ms: int
    shard: Shard
    start: int
    end: int
    bytes: int
    continuation_sequence_number: str | None
    millis_behind_latest: int
    #: The shard's children, only in the last event of a closed shard.
    child_shards: tuple[ChildShard, ...] | None = None

    @property
    def shard_id(self) -> str:
        return self.shard.shard_id

    @property
    def record_count(self) -> int:
        return self.end - self.start

    def records(self) -> list[Record]:
        """The records of this event (kinesim ``Record`` values), oldest first."""
        if self.end == self.start:
            return []
        return self.shard.records(self.start, self.end)

    def sequence_numbers(self) -> list[str]:
        return [self.shard.sequence_number(i) for i in range(self.start, self.end)]


# -- starting positions -----------------------------------------------------------------------


def normalize_starting_position(
    starting_position: str | Mapping[str, Any],
    sequence_number: str | None = None,
    timestamp: datetime | float | None = None,
) -> tuple[str, str | None, datetime | float | None]:
    """``(type, sequence_number, timestamp)`` from AWS's ``StartingPosition`` dict or a type name
    with keyword arguments."""
    if isinstance(starting_position, Mapping):
        if sequence_number is not None or timestamp is not None:
            raise KinesimTypeError(
                "pass the sequence number and timestamp inside the StartingPosition dict "
                "or as keywords with a type name, not both"
            )
        unknown = set(starting_position) - {"Type", "SequenceNumber", "Timestamp"}
        if unknown:
            raise KinesimTypeError(
                f"StartingPosition takes Type, SequenceNumber and Timestamp, got {sorted(unknown)}"
            )
        kind = starting_position.get("Type")
        sequence_number = starting_position.get("SequenceNumber")
        timestamp = starting_position.get("Timestamp")
    else:
        kind = starting_position
    if not isinstance(kind, str) or kind not in STARTING_POSITION_TYPES:
        raise ValidationException(
            f"1 validation error detected: Value '{kind}' at 'startingPosition.type' failed to "
            "satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(STARTING_POSITION_TYPES)}]"
        )
    if sequence_number is not None:
        check_str(
            sequence_number,
            "startingPosition.sequenceNumber",
            max_len=129,
            pattern=sequence.SEQUENCE_NUMBER_PATTERN,
        )
    return kind, sequence_number, timestamp


def resolve_starting_position(
    shard: Shard,
    kind: str,
    sequence_number: str | None,
    timestamp: datetime | float | None,
    now_ms: int,
) -> int:
    """The absolute position a subscription starts at; AWS's InvalidArgumentException if the
    combination is wrong. Changes nothing."""
    # GetShardIterator's texts (kinesim's Kinesis model), assumed to be SubscribeToShard's too.
    wants_number = kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
    if wants_number != (sequence_number is not None):
        raise InvalidArgumentException(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
            "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
            f"StartingSequenceNumber. Request specified {kind} and "
            + ("no StartingSequenceNumber." if wants_number else "also a StartingSequenceNumber.")
        )
    if kind != "AT_TIMESTAMP" and timestamp is not None:
        raise InvalidArgumentException(
            "Must specify timestampInMillis parameter only for iterator of type "
            f"AT_TIMESTAMP. Current request has iterator type {kind}."
        )
    if kind == "TRIM_HORIZON":
        return shard.trim_index
    if kind == "LATEST":
        return shard.end_index
    if kind == "AT_TIMESTAMP":
        if timestamp is None:
            raise InvalidArgumentException(
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                "Current request has no timestamp parameter."
            )
        ts_ms = to_epoch_ms(timestamp, "Timestamp")
        if ts_ms > now_ms:
            raise InvalidArgumentException(
                "The timestampInMillis parameter cannot be greater than the "
                f"currentTimestampInMillis. timestampInMillis: {ts_ms}, "
                f"currentTimestampInMillis: {now_ms}"
            )
        return shard.position_at_timestamp(ts_ms)
    assert sequence_number is not None
    # NOTE: _locate also says whether the number is a record's: AFTER a record is the next
    # position, AFTER a shard's starting (or ending) number is the position it designates.
    position, is_record = shard._locate(sequence_number, "SubscribeToShard")
    return position + 1 if kind == "AFTER_SEQUENCE_NUMBER" and is_record else position


def first_at_or_after(shard: Shard, lo: int, hi: int, when_ms: int) -> int:
    """The first position in ``[lo, hi)`` whose arrival is at or after ``when_ms`` (else ``hi``).
    Arrival times never decrease along a shard, so this is a binary search."""
    while lo < hi:
        mid = (lo + hi) // 2
        if shard.arrival_ms(mid) < when_ms:
            lo = mid + 1
        else:
            hi = mid
    return lo


def continuation_sequence_number(shard: Shard, position: int) -> str:
    """A sequence number from which ``AFTER_SEQUENCE_NUMBER`` resumes at ``position``.

    The last record before ``position`` if the shard still holds it; the shard's starting
    sequence number at position 0; otherwise (that record was trimmed) a number with that
    record's position, which the shard accepts for any trimmed record.
    """
    # Positions before the trim horizon resume at it, like a read from them would.
    position = max(position, shard.trim_index)
    if position > shard.trim_index:
        return shard.sequence_number(position - 1)
    if position == 0:
        return shard.starting_sequence_number
    time_ms = (
        sequence.decode(shard.sequence_number(position)).time_ms  # type: ignore[union-attr]
        if position < shard.end_index
        else shard.created_ms
    )
    return sequence.encode(time_ms, shard.index, position, shard.stream.tag)


# -- the subscription -------------------------------------------------------------------------


class Subscription:
    """A consumer's push subscription to one shard.

    Made by :meth:`Consumer.subscribe` / ``sim.kinesis.subscribe_to_shard``, never directly.
    ``on_event(event)`` runs at each event's virtual time; ``on_end(subscription)`` once when it
    ends (:attr:`end_reason`). ``keep_events=False`` stops it from keeping :attr:`events` (long
    runs inside kinesim that only need the callback).
    """

    def __init__(
        self,
        sim: Simulator,
        consumer: Consumer,
        slot: _ShardSlot,
        shard: Shard,
        position: int,
        *,
        on_event: Callable[[FanoutEvent], object] | None = None,
        on_end: Callable[[Subscription], object] | None = None,
        keep_events: bool = True,
    ) -> None:
        self._sim = sim
        self.consumer = consumer
        self.shard = shard
        self._slot = slot
        self.started_ms = sim.now_ms
        self.expires_ms = self.started_ms + SUBSCRIPTION_LIFETIME_MS
        #: The next position to push (absolute, in the shard).
        self.position = position
        self.on_event = on_event
        self.on_end = on_end
        self.events: list[FanoutEvent] = []
        self._keep_events = keep_events
        self.end_reason: EndReason | None = None
        self.ended_ms: int | None = None
        self.event_count = 0
        self.records_delivered = 0
        self.bytes_delivered = 0
        self._last_continuation: str | None = self._continuation_at(position)
        self._paused = False
        self._initial = True  # AWS pushes a first event at once, even with no records.
        self._pending: Handle | None = None
        self._arrival: _ArrivalWaiter | None = None
        self._latency_ms = round(sim.timings.efo_push_latency_s * 1000)
        self._interval_ms = round(sim.timings.efo_event_interval_s * 1000)
        self._last_event_ms = self.started_ms
        dims = {"StreamName": consumer.stream.name, "ConsumerName": consumer.name}
        metrics = sim.metrics
        self._m_records = metrics.handle(
            "AWS/Kinesis", "SubscribeToShardEvent.Records", dims, "Count"
        )
        self._m_bytes = metrics.handle("AWS/Kinesis", "SubscribeToShardEvent.Bytes", dims, "Bytes")
        self._m_behind = metrics.handle(
            "AWS/Kinesis", "SubscribeToShardEvent.MillisBehindLatest", dims, "Milliseconds"
        )
        self._m_success = metrics.handle(
            "AWS/Kinesis", "SubscribeToShardEvent.Success", dims, "Count"
        )
        self._expiry = sim.call_at_ms(self.expires_ms, self._end, EndReason.EXPIRED)
        self._schedule()

    # -- reading ------------------------------------------------------------------------------

    @property
    def shard_id(self) -> str:
        return self.shard.shard_id

    @property
    def active(self) -> bool:
        return self.end_reason is None

    @property
    def continuation_sequence_number(self) -> str | None:
        """Where to resubscribe from with ``AFTER_SEQUENCE_NUMBER``: the last event's
        ``ContinuationSequenceNumber`` (before the first event, the number of the record before
        the starting position). None once a closed shard was read to its end."""
        return self._last_continuation

    def records(self) -> list[Record]:
        """Every record of the kept events, in order."""
        return [record for event in self.events for record in event.records()]

    # -- control ------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Close the subscription, as a reader closing its HTTP/2 stream. Idempotent."""
        self._end(EndReason.CANCELLED)

    def pause(self) -> None:
        """Stop pushing until :meth:`resume` (flow control for a reader inside kinesim)."""
        self._paused = True
        self._cancel_timers()

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._schedule()

    # -- machinery ----------------------------------------------------------------------------

    def _continuation_at(self, position: int) -> str:
        return continuation_sequence_number(self.shard, position)

    def _cancel_timers(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._arrival is not None:
            self._arrival.cancel()
            self._arrival = None

    def _schedule(self) -> None:
        if self.end_reason is not None or self._paused or self._pending is not None:
            return
        shard = self.shard
        now_ms = self._sim.now_ms
        position = max(self.position, shard.trim_index)
        if position < shard.end_index:
            due_ms = shard.arrival_ms(position) + self._latency_ms
        elif self._initial or shard.closed:
            # The first event, or the shard-end event of a shard that just closed.
            due_ms = now_ms + self._latency_ms
        else:
            if self._arrival is None:
                self._arrival = shard.notify_on_arrival(self._on_arrival)
            return
        if self._initial:
            # The first event answers the subscribe call: one push latency after it.
            due_ms = max(due_ms, self.started_ms + self._latency_ms)
        else:
            due_ms = max(due_ms, self._last_event_ms + self._interval_ms)
        due_ms = max(due_ms, now_ms, self._slot.pipe_free_ms)
        self._pending = self._sim.call_at_ms(due_ms, self._deliver)

    def _on_arrival(self, _shard: Shard) -> None:
        self._arrival = None
        self._schedule()

    def _deliver(self) -> None:
        self._pending = None
        if self.end_reason is not None:
            return
        sim = self._sim
        now_ms = sim.now_ms
        shard = self.shard
        start = max(self.position, shard.trim_index)
        end_index = shard.end_index
        # Only records that arrived at least the push latency ago have reached the reader.
        horizon = first_at_or_after(shard, start, end_index, now_ms - self._latency_ms + 1)
        end = start
        if horizon > start:
            start, end = shard.peek(
                start, limit=min(horizon - start, EVENT_MAX_RECORDS), max_bytes=EVENT_MAX_BYTES
            )
        at_shard_end = shard.closed and end == end_index
        if end == start and not (self._initial or at_shard_end):
            self._schedule()
            return
        self._initial = False
        self._last_event_ms = now_ms
        self.position = end
        nbytes = shard.bytes_between(start, end)
        if sim.limits.kinesis_throughput and nbytes:
            # NOTE: ceil division keeps the pipe at or under 2 MiB/s at 1-ms resolution.
            self._slot.pipe_free_ms = now_ms + -(-nbytes * 1000 // PIPE_BYTES_PER_S)
        behind = 0 if end >= end_index else now_ms - shard.arrival_ms(end)
        continuation = None if at_shard_end else self._continuation_at(end)
        if not at_shard_end:
            self._last_continuation = continuation
        else:
            self._last_continuation = None
        event = FanoutEvent(
            time_ms=now_ms,
            shard=shard,
            start=start,
            end=end,
            bytes=nbytes,
            continuation_sequence_number=continuation,
            millis_behind_latest=behind,
            child_shards=(
                tuple(self.consumer.stream.child_shards(shard.shard_id)) if at_shard_end else None
            ),
        )
        count = end - start
        self.event_count += 1
        self.records_delivered += count
        self.bytes_delivered += nbytes
        self._m_success.add(now_ms, 1)
        self._m_records.add(now_ms, count)
        self._m_bytes.add(now_ms, nbytes)
        if count:
            # AWS: "the current time and when the last record of the event was written".
            self._m_behind.add(now_ms, now_ms - shard.arrival_ms(end - 1))
        if sim.trace.wants("efo.event"):
            sim.trace.emit(
                "efo.event",
                consumer=self.consumer.name,
                shard=shard.shard_id,
                start=start,
                end=end,
                bytes=nbytes,
                behind_ms=behind,
                shard_end=at_shard_end,
            )
        if self._keep_events:
            self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        if at_shard_end:
            self._end(EndReason.SHARD_END)
        else:
            self._schedule()

    def _end(self, reason: EndReason) -> None:
        if self.end_reason is not None:
            return
        self.end_reason = reason
        self.ended_ms = self._sim.now_ms
        self._cancel_timers()
        self._expiry.cancel()
        if self._slot.subscription is self:
            self._slot.subscription = None
        self._sim.trace.emit(
            "efo.end",
            consumer=self.consumer.name,
            shard=self.shard.shard_id,
            reason=reason.value,
            events=self.event_count,
            records=self.records_delivered,
        )
        if self.on_end is not None:
            self.on_end(self)

    def _check(self) -> None:
        """Invariants (for stress tests and the state machine)."""
        assert self.started_ms <= self.expires_ms == self.started_ms + SUBSCRIPTION_LIFETIME_MS
        if self.end_reason is not None:
            assert self._pending is None
            assert self._arrival is None
        else:
            assert not (self._pending is not None and self._arrival is not None)
            if not self._paused:
                assert self._pending is not None or self._arrival is not None
        assert self.position >= 0

    def __repr__(self) -> str:
        state = "active" if self.end_reason is None else self.end_reason.value
        return (
            f"<Subscription {self.consumer.name} {self.shard.shard_id} {state} "
            f"position={self.position} events={self.event_count}>"
        )
