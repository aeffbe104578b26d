"""Kinesis queues: records of on-demand streams delivered to queue consumers with visibility
timeouts, acknowledgements and a built-in dead-letter queue (CreateQueue, ReceiveQueueRecords,
AcknowledgeQueueRecords, ...).

A queue keeps, per shard of each of its streams, the position of the next record it has never
delivered, and a table of the records it delivered and that are not acknowledged yet: their
receive count, when they become visible again, their current receipt handle, and whether they
are dead letters. A record the stream no longer retains is no longer delivered, as AWS says.

What AWS does not document is a named choice here, listed on the fidelity page: the order of
delivery (records whose visibility timed out first, oldest first; then new records, shard by shard
in shard order), when a record becomes a dead letter (when its visibility times out after its
``MaxReceiveCount``-th receive), the receipt handle and record id formats, and the error codes of
failed acknowledgement entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kinesim._core.scheduler import seconds_to_ms, to_epoch_ms
from kinesim._errors import (
    InvalidArgumentException,
    KinesimTypeError,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from kinesim._kinesis.fanout.consumers import MAX_CONSUMERS_PER_STREAM
from kinesim._kinesis.resources import check_tags
from kinesim._kinesis.validate import check_enum, check_int, check_name, check_str, fail

if TYPE_CHECKING:
    from kinesim._kinesis.shard import Shard
    from kinesim._kinesis.stream import Stream
    from kinesim._simulator import Simulator

__all__ = [
    "DEFAULT_MAX_RECEIVE_COUNT",
    "DEFAULT_VISIBILITY_TIMEOUT_S",
    "EntryResult",
    "Queue",
    "QueueRecord",
    "QueueService",
]

#: "If you omit this attribute when you create a queue, the queue uses 30 seconds."
DEFAULT_VISIBILITY_TIMEOUT_S = 30
#: "Dead-letter handling is enabled by default, with a MaxReceiveCount of 6."
DEFAULT_MAX_RECEIVE_COUNT = 6
MAX_VISIBILITY_TIMEOUT_S = 43_200
#: "Receives up to 10 records", "Acknowledges up to 10 records".
MAX_BATCH = 10
_QUEUE_ARN = r"arn:aws.*:kinesis:.*:\d{12}:queue/\S+"
_STARTING_TYPES = ["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"]
#: Failed entries: AWS's error codes are not documented (assumed, as SQS names it).
INVALID_HANDLE = "ReceiptHandleIsInvalid"


@dataclass(frozen=True, slots=True)
class QueueRecord:
    """A record as a queue delivers it (ReceiveQueueRecords)."""

    receipt_handle: str
    record_id: str
    partition_key: str
    data: bytes
    arrival_ms: int
    first_receive_ms: int
    receive_count: int


@dataclass(frozen=True, slots=True)
class EntryResult:
    """One entry of an acknowledge / visibility / restore request: ``error_code`` is None on
    success."""

    receipt_handle: str
    error_code: str | None = None
    error_message: str | None = None


@dataclass(slots=True)
class _Delivery:
    """A delivered, unacknowledged record of one queue."""

    shard: Shard
    position: int
    receive_count: int
    first_receive_ms: int
    visible_ms: int
    handle: str
    dead: bool = False


@dataclass(slots=True)
class _Cursor:
    shard: Shard
    next_position: int


@dataclass(slots=True)
class _Attributes:
    visibility_timeout_s: int = DEFAULT_VISIBILITY_TIMEOUT_S
    dead_letter: bool = True
    max_receive_count: int | None = DEFAULT_MAX_RECEIVE_COUNT


class Queue:
    """A Kinesis queue over one or more on-demand streams. Create one with
    ``sim.kinesis.queues.create_queue``."""

    def __init__(
        self,
        service: QueueService,
        name: str,
        streams: Sequence[tuple[Stream, str, int | None]],
        attributes: _Attributes,
        tags: Mapping[str, str],
    ) -> None:
        sim = service.sim
        self._service = service
        self._sim = sim
        self.name = name
        self.arn = f"arn:aws:kinesis:{sim.region}:{sim.account_id}:queue/{name}"
        self.created_ms = sim.now_ms
        self.status = "CREATING"
        self.streams = [stream for stream, _, _ in streams]
        #: ``(stream, starting position type, AT_TIMESTAMP epoch ms)`` as given at creation.
        self.starting_positions = [(s.arn, kind, at_ms) for s, kind, at_ms in streams]
        self.attributes = attributes
        self.tags: dict[str, str] = dict(tags)
        self.resource_policy: str | None = None
        self._cursors: list[_Cursor] = []
        for stream, kind, at_ms in streams:
            for shard in stream.shards:
                if kind == "LATEST":
                    position = shard.end_index
                elif kind == "TRIM_HORIZON":
                    position = shard.trim_index
                else:
                    assert at_ms is not None
                    position = shard.position_at_timestamp(at_ms)
                self._cursors.append(_Cursor(shard, position))
        self._deliveries: dict[tuple[str, int, int], _Delivery] = {}
        self._handles: dict[str, tuple[str, int, int]] = {}
        self._handle_serial = 0

    def __repr__(self) -> str:
        return f"<Queue {self.name} {self.status} {len(self._deliveries)} unacknowledged>"

    # -- receiving ------------------------------------------------------------------------------

    def receive(
        self, *, limit: int = MAX_BATCH, visibility_timeout_s: int | None = None
    ) -> list[QueueRecord]:
        """ReceiveQueueRecords: up to ``limit`` (1-10) visible records; each is in flight for
        the visibility timeout (the queue's unless given)."""
        check_int(limit, "limit", minimum=1, maximum=MAX_BATCH)
        timeout_s = self._timeout(visibility_timeout_s)
        self._require_delivering()
        self._settle_expired()
        now_ms = self._sim.now_ms
        out: list[QueueRecord] = []
        again = sorted(
            (d for d in self._deliveries.values() if not d.dead and d.visible_ms <= now_ms),
            key=lambda d: (d.visible_ms, d.shard.stream.arn, d.shard.index, d.position),
        )
        for delivery in again[:limit]:
            out.append(self._deliver(delivery, timeout_s))
        for cursor in self._cursors:
            while len(out) < limit and cursor.next_position < cursor.shard.end_index:
                shard = cursor.shard
                position = max(cursor.next_position, shard.trim_index)
                cursor.next_position = position + 1
                if position >= shard.end_index:
                    break
                delivery = _Delivery(shard, position, 0, now_ms, now_ms, "")
                self._deliveries[_key(shard, position)] = delivery
                out.append(self._deliver(delivery, timeout_s))
        return out

    def receive_dead_letters(
        self, *, limit: int = MAX_BATCH, visibility_timeout_s: int | None = None
    ) -> list[QueueRecord]:
        """ReceiveDeadLetterQueueRecords: up to ``limit`` visible dead-letter records."""
        check_int(limit, "limit", minimum=1, maximum=MAX_BATCH)
        timeout_s = self._timeout(visibility_timeout_s)
        self._require_delivering()
        self._settle_expired()
        now_ms = self._sim.now_ms
        dead = sorted(
            (d for d in self._deliveries.values() if d.dead and d.visible_ms <= now_ms),
            key=lambda d: (d.visible_ms, d.shard.stream.arn, d.shard.index, d.position),
        )
        return [self._deliver(d, timeout_s, count=False) for d in dead[:limit]]

    def _deliver(self, delivery: _Delivery, timeout_s: int, *, count: bool = True) -> QueueRecord:
        now_ms = self._sim.now_ms
        if count:
            if delivery.receive_count == 0:
                delivery.first_receive_ms = now_ms
            delivery.receive_count += 1
        self._handles.pop(delivery.handle, None)
        self._handle_serial += 1
        delivery.handle = _handle(self.arn, self._handle_serial)
        self._handles[delivery.handle] = _key(delivery.shard, delivery.position)
        delivery.visible_ms = now_ms + timeout_s * 1000
        shard, position = delivery.shard, delivery.position
        self._sim.trace.emit(
            "kinesis.queue.receive",
            queue=self.name,
            shard=shard.shard_id,
            position=position,
            count=delivery.receive_count,
            dead=delivery.dead,
        )
        return QueueRecord(
            receipt_handle=delivery.handle,
            record_id=shard.sequence_number(position),
            partition_key=shard.partition_key(position),
            data=shard.data(position),
            arrival_ms=shard.arrival_ms(position),
            first_receive_ms=delivery.first_receive_ms,
            receive_count=delivery.receive_count,
        )

    def _settle_expired(self) -> None:
        """Forget records the stream no longer retains; make dead letters of records whose
        visibility timed out after their last allowed receive."""
        now_ms = self._sim.now_ms
        limit = self.attributes.max_receive_count if self.attributes.dead_letter else None
        for key, delivery in list(self._deliveries.items()):
            shard = delivery.shard
            if delivery.position < shard.trim_index:
                del self._deliveries[key]
                self._handles.pop(delivery.handle, None)
            elif (
                not delivery.dead
                and limit is not None
                and delivery.receive_count >= limit
                and delivery.visible_ms <= now_ms
            ):
                delivery.dead = True
                self._sim.trace.emit(
                    "kinesis.queue.dead_letter",
                    queue=self.name,
                    shard=shard.shard_id,
                    position=delivery.position,
                )

    # -- acknowledging and visibility -----------------------------------------------------------

    def acknowledge(
        self, receipt_handles: Iterable[str], *, dead: bool = False
    ) -> list[EntryResult]:
        """AcknowledgeQueueRecords (or, with ``dead``, AcknowledgeDeadLetterQueueRecords):
        the records are not delivered again."""
        results = []
        for handle, delivery in self._entries(receipt_handles, dead):
            if delivery is None:
                results.append(_invalid(handle))
                continue
            del self._deliveries[_key(delivery.shard, delivery.position)]
            del self._handles[handle]
            results.append(EntryResult(handle))
        return results

    def change_visibility(
        self, entries: Iterable[tuple[str, int]], *, dead: bool = False
    ) -> list[EntryResult]:
        """UpdateQueueRecordsVisibility (or its dead-letter twin): ``(receipt handle, seconds)``
        entries; 0 makes a record visible at once."""
        pairs = [
            (
                h,
                check_int(
                    t, "visibilityTimeoutSeconds", minimum=0, maximum=MAX_VISIBILITY_TIMEOUT_S
                ),
            )
            for h, t in _listed(entries, "entries")
        ]
        timeouts = dict(pairs)
        results = []
        for handle, delivery in self._entries([h for h, _ in pairs], dead):
            if delivery is None:
                results.append(_invalid(handle))
                continue
            delivery.visible_ms = self._sim.now_ms + timeouts[handle] * 1000
            results.append(EntryResult(handle))
        return results

    def restore(self, receipt_handles: Iterable[str]) -> list[EntryResult]:
        """RestoreDeadLetterQueueRecords: the dead letters return to the normal receive path,
        visible at once, with their receive count reset."""
        results = []
        for handle, delivery in self._entries(receipt_handles, True):
            if delivery is None:
                results.append(_invalid(handle))
                continue
            delivery.dead = False
            delivery.receive_count = 0
            delivery.visible_ms = self._sim.now_ms
            del self._handles[handle]
            delivery.handle = ""
            results.append(EntryResult(handle))
        return results

    def _entries(
        self, receipt_handles: Iterable[str], dead: bool
    ) -> list[tuple[str, _Delivery | None]]:
        handles = [
            check_str(h, "entries.member.receiptHandle", max_len=1024)
            for h in _listed(receipt_handles, "entries")
        ]
        self._require_delivering()
        self._settle_expired()
        out: list[tuple[str, _Delivery | None]] = []
        for handle in handles:
            key = self._handles.get(handle)
            delivery = None if key is None else self._deliveries.get(key)
            out.append(
                (handle, delivery if delivery is not None and delivery.dead == dead else None)
            )
        return out

    # -- configuration --------------------------------------------------------------------------

    def _timeout(self, visibility_timeout_s: int | None) -> int:
        if visibility_timeout_s is None:
            return self.attributes.visibility_timeout_s
        return check_int(
            visibility_timeout_s,
            "visibilityTimeoutSeconds",
            minimum=0,
            maximum=MAX_VISIBILITY_TIMEOUT_S,
        )

    def _require_delivering(self) -> None:
        if self.status not in ("ACTIVE", "UPDATING"):
            raise ResourceInUseException(
                f"Queue {self.name} under account {self._sim.account_id} is not ACTIVE, "
                f"instead in state {self.status}."
            )

    @property
    def in_flight(self) -> int:
        """Records received and neither acknowledged, visible again nor dead letters."""
        now_ms = self._sim.now_ms
        return sum(1 for d in self._deliveries.values() if not d.dead and d.visible_ms > now_ms)

    @property
    def dead_letters(self) -> int:
        self._settle_expired()
        return sum(1 for d in self._deliveries.values() if d.dead)


class QueueService:
    """The queues of ``sim.kinesis`` (``sim.kinesis.queues``)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._queues: dict[str, Queue] = {}

    def __repr__(self) -> str:
        return f"<QueueService {len(self._queues)} queues>"

    def create_queue(
        self,
        name: str,
        streams: Sequence[Mapping[str, Any]],
        *,
        visibility_timeout_s: int | None = None,
        dead_letter: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Queue:
        """CreateQueue on on-demand ``streams``: ``[{"StreamARN": ..., "StartingPosition":
        {"Type": "LATEST" | "TRIM_HORIZON" | "AT_TIMESTAMP", "Timestamp": ...}}]``.
        ``dead_letter`` is AWS's DeadLetterConfiguration (default: built in, 6 receives)."""
        check_name(name, "queueName")
        attributes = _attributes(_Attributes(), visibility_timeout_s, dead_letter)
        checked_tags = check_tags(tags) if tags else {}
        configs = _listed(streams, "streamConfigurationList")
        if not configs:
            raise fail(
                "streamConfigurationList",
                "[]",
                "Member must have length greater than or equal to 1",
            )
        resolved: list[tuple[Stream, str, int | None]] = []
        for config in configs:
            if not isinstance(config, Mapping):
                raise KinesimTypeError(
                    f"a stream configuration is a dict with StreamARN, got {config!r}"
                )
            if "StreamARN" not in config:
                raise KinesimTypeError(
                    f"a stream configuration is a dict with StreamARN, got {config!r}"
                )
            stream = self.sim.kinesis.stream_by_arn(config["StreamARN"])
            position = config.get("StartingPosition") or {"Type": "LATEST"}
            kind = check_enum(position.get("Type"), "startingPosition.type", _STARTING_TYPES)
            at_ms = None
            if kind == "AT_TIMESTAMP":
                if position.get("Timestamp") is None:
                    raise ValidationException(
                        "Timestamp must be specified when StartingPosition type is AT_TIMESTAMP."
                    )
                at_ms = to_epoch_ms(position["Timestamp"], "StartingPosition Timestamp")
            elif position.get("Timestamp") is not None:
                raise ValidationException(
                    f"Timestamp must not be specified when StartingPosition type is {kind}."
                )
            if stream.mode != "ON_DEMAND":
                raise ValidationException(
                    f"Queues are supported only on data streams in on-demand capacity mode; "
                    f"stream {stream.name} under account {self.sim.account_id} is PROVISIONED."
                )
            stream._require_active()
            if len(stream._consumers) + len(self.on_stream(stream)) >= MAX_CONSUMERS_PER_STREAM:
                raise LimitExceededException(
                    f"Stream {stream.name} under account {self.sim.account_id} already has "
                    f"{MAX_CONSUMERS_PER_STREAM} registered consumers and queues, the most a "
                    "stream can have."
                )
            resolved.append((stream, kind, at_ms))
        if name in self._queues:
            raise ResourceInUseException(
                f"Queue {name} under account {self.sim.account_id} already exists."
            )
        queue = Queue(self, name, resolved, attributes, checked_tags)
        self._queues[name] = queue
        self.sim.trace.emit(
            "kinesis.queue.create", queue=name, streams=[s.name for s in queue.streams]
        )
        self._after(
            self.sim.timings.consumer_register_s, "consumer_register_s", self._activate, queue
        )
        return queue

    def _after(self, delay_s: float, name: str, fn: Any, *args: Any) -> None:
        delay_ms = seconds_to_ms(delay_s, name)
        if delay_ms == 0:
            fn(*args)
        else:
            self.sim.call_later_ms(delay_ms, fn, *args)

    def _activate(self, queue: Queue) -> None:
        if queue.status in ("CREATING", "UPDATING"):
            queue.status = "ACTIVE"

    def queue(self, queue_arn: str) -> Queue:
        """The queue with this ARN (``ResourceNotFoundException`` if there is none)."""
        check_str(queue_arn, "queueARN", max_len=2048, pattern=_QUEUE_ARN)
        name = queue_arn.rpartition(":queue/")[2]
        queue = self._queues.get(name)
        if queue is None or queue.arn != queue_arn:
            raise ResourceNotFoundException(
                f"Queue {name} under account {self.sim.account_id} not found."
            )
        return queue

    def on_stream(self, stream: Stream) -> list[Queue]:
        """The queues that deliver ``stream``'s records, in creation order."""
        return [q for q in self._queues.values() if stream in q.streams]

    def list_queues(self, *, stream_arns: Iterable[str] | None = None) -> list[Queue]:
        """Every queue in creation order (only those on these streams, if given)."""
        queues = list(self._queues.values())
        if stream_arns is not None:
            wanted = set(stream_arns)
            queues = [q for q in queues if any(s.arn in wanted for s in q.streams)]
        return queues

    def update_queue(
        self,
        queue_arn: str,
        *,
        visibility_timeout_s: int | None = None,
        dead_letter: Mapping[str, Any] | None = None,
    ) -> Queue:
        """UpdateQueue: UPDATING, then the new attributes apply (to records received after)."""
        queue = self.queue(queue_arn)
        attributes = _attributes(
            _Attributes(
                queue.attributes.visibility_timeout_s,
                queue.attributes.dead_letter,
                queue.attributes.max_receive_count,
            ),
            visibility_timeout_s,
            dead_letter,
        )
        if queue.status != "ACTIVE":
            raise ResourceInUseException(
                f"Queue {queue.name} under account {self.sim.account_id} is not ACTIVE, "
                f"instead in state {queue.status}."
            )
        queue.status = "UPDATING"

        def apply() -> None:
            if queue.status == "UPDATING":
                queue.attributes = attributes
                queue.status = "ACTIVE"

        self._after(self.sim.timings.stream_update_s, "stream_update_s", apply)
        return queue

    def delete_queue(self, queue_arn: str) -> Queue:
        """DeleteQueue: DELETING (no more deliveries; receipt handles stop being valid), then
        gone."""
        queue = self.queue(queue_arn)
        queue.status = "DELETING"
        queue._deliveries.clear()
        queue._handles.clear()
        self.sim.trace.emit("kinesis.queue.delete", queue=queue.name)
        self._after(
            self.sim.timings.consumer_deregister_s, "consumer_deregister_s", self._remove, queue
        )
        return queue

    def _remove(self, queue: Queue) -> None:
        if self._queues.get(queue.name) is queue:
            del self._queues[queue.name]


def _attributes(
    base: _Attributes, visibility_timeout_s: int | None, dead_letter: Mapping[str, Any] | None
) -> _Attributes:
    if visibility_timeout_s is not None:
        base.visibility_timeout_s = check_int(
            visibility_timeout_s,
            "queueAttributes.visibilityTimeoutSeconds",
            minimum=0,
            maximum=MAX_VISIBILITY_TIMEOUT_S,
        )
    if dead_letter is not None:
        if not isinstance(dead_letter, Mapping):
            raise KinesimTypeError(
                "dead_letter takes AWS's DeadLetterConfiguration, e.g. "
                "{'TargetType': 'BUILT_IN', 'MaxReceiveCount': 3}"
            )
        kind = check_enum(
            dead_letter.get("TargetType"),
            "queueAttributes.deadLetterConfiguration.targetType",
            ["BUILT_IN", "NONE"],
        )
        count = dead_letter.get("MaxReceiveCount")
        if kind == "BUILT_IN":
            if count is None:
                raise InvalidArgumentException(
                    "MaxReceiveCount must be specified when TargetType is BUILT_IN."
                )
            base.max_receive_count = check_int(
                count,
                "queueAttributes.deadLetterConfiguration.maxReceiveCount",
                minimum=1,
                maximum=1000,
            )
            base.dead_letter = True
        else:
            if count is not None:
                raise InvalidArgumentException(
                    "MaxReceiveCount must not be specified when TargetType is NONE."
                )
            base.dead_letter = False
            base.max_receive_count = None
    return base


def _listed(values: Any, field_name: str) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise KinesimTypeError(f"{field_name} takes a list, got {values!r}")
    items = list(values)
    if field_name == "entries" and not 1 <= len(items) <= MAX_BATCH:
        raise fail(field_name, items, f"Member must have length between 1 and {MAX_BATCH}")
    return items


def _key(shard: Shard, position: int) -> tuple[str, int, int]:
    """A record's key: its stream (a stream with queues cannot be deleted), shard, position."""
    return (shard.stream.arn, shard.index, position)


def _handle(queue_arn: str, serial: int) -> str:
    # Opaque and deterministic: a digest of the queue and a per-queue serial number.
    return hashlib.sha256(f"{queue_arn}#{serial}".encode()).hexdigest()


def _invalid(handle: str) -> EntryResult:
    return EntryResult(handle, INVALID_HANDLE, "The receipt handle is not valid for this queue.")
