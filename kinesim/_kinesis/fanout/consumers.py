"""Registered stream consumers: RegisterStreamConsumer and friends.

A stream keeps its consumers in its ``_consumers`` dict (registration order, which is the order
ListStreamConsumers gives; DeleteStream checks it); :class:`ConsumerRegistry` is the view of it that
registers, finds and deregisters. A consumer's ARN is its stream's ARN plus
``/consumer/<name>:<creation epoch seconds>``; it is CREATING for ``Timings.consumer_register_s``,
then ACTIVE; deregistering makes it DELETING for ``Timings.consumer_deregister_s``, then it is gone
(a zero timing makes the change at once). A stream takes at most 20 consumers, at most 5 of them
CREATING at a time.

:class:`StreamConsumersMixin` and :class:`KinesisFanoutMixin` are base classes of the Kinesis
``Stream`` and service, which give them their consumer operations; the Kinesis side calls back
only ``Consumer._on_stream_deleted()`` when a stream deleted with EnforceConsumerDeletion goes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    ExpiredNextTokenException,
    InvalidArgumentException,
    KinesimTypeError,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from kinesim._kinesis.descriptions import ConsumerDescription, ConsumerPage
from kinesim._kinesis.fanout.subscription import (
    RESUBSCRIBE_GUARD_MS,
    SUBSCRIBE_INTERVAL_MS,
    EndReason,
    FanoutEvent,
    Subscription,
    normalize_starting_position,
    resolve_starting_position,
)
from kinesim._kinesis.iterators import ITERATOR_TTL_MS, IteratorCodec, IteratorState
from kinesim._kinesis.validate import NAME_PATTERN, check_int, check_name, check_str, fail

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._kinesis.stream import Stream
    from kinesim._simulator import Simulator

__all__ = [
    "MAX_CONSUMERS_CREATING",
    "MAX_CONSUMERS_PER_STREAM",
    "Consumer",
    "ConsumerRegistry",
    "ConsumerStatus",
    "KinesisFanoutMixin",
    "StreamConsumersMixin",
]

#: Consumers per stream (AWS: 20 for provisioned and On-demand Standard streams).
MAX_CONSUMERS_PER_STREAM = 20
#: "You cannot have more than 5 consumers in a CREATING status at the same time."
MAX_CONSUMERS_CREATING = 5

_CONSUMER_ARN = re.compile(
    r"^(?P<stream_arn>arn:aws[^:]*:kinesis:[^:]*:\d{12}:stream/[a-zA-Z0-9_.-]+)"
    r"/consumer/(?P<name>[a-zA-Z0-9_.-]+):(?P<created>[0-9]+)$"
)


class ConsumerStatus(str, enum.Enum):
    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    DELETING = "DELETING"


@dataclass(slots=True)
class _ShardSlot:
    """What a consumer remembers per shard: its subscribe calls, its pipe, its subscription."""

    last_call_ms: int | None = None
    last_success_ms: int | None = None
    #: When the consumer's dedicated pipe on this shard can push the next event.
    pipe_free_ms: int = 0
    subscription: Subscription | None = None


def _validate_name(name: object) -> str:
    return check_name(name, "consumerName")


def parse_consumer_arn(arn: object) -> tuple[str, str, int]:
    """``(stream ARN, consumer name, creation epoch seconds)`` of a consumer ARN."""
    if not isinstance(arn, str):
        raise KinesimTypeError(f"a consumer ARN is a str, got {arn!r}")
    match = _CONSUMER_ARN.match(arn)
    if match is None:
        raise fail(
            "consumerARN",
            arn,
            "Member must satisfy regular expression pattern: "
            r"^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/"
            r"[a-zA-Z0-9_.-]+:[0-9]+",
        )
    return match["stream_arn"], match["name"], int(match["created"])


class Consumer:
    """A registered enhanced fan-out consumer of one stream.

    Read :attr:`status`, :attr:`arn`; :meth:`subscribe` to a shard once it is ACTIVE.
    """

    def __init__(self, registry: ConsumerRegistry, name: str) -> None:
        self._registry = registry
        self._sim = registry.sim
        self.stream = registry.stream
        self.name = name
        self.creation_ms = self._sim.now_ms
        self.arn = f"{self.stream.arn}/consumer/{name}:{self.creation_ms // 1000}"
        self.status = ConsumerStatus.CREATING
        #: TagResource / PutResourcePolicy by the consumer's ARN (stored, not enforced).
        self.tags: dict[str, str] = {}
        self.resource_policy: str | None = None
        self._slots: dict[str, _ShardSlot] = {}
        self._transition: Handle | None = None

    @property
    def creation_timestamp(self) -> datetime:
        """``ConsumerCreationTimestamp``: whole seconds, as in the ARN."""
        return datetime.fromtimestamp(self.creation_ms // 1000, timezone.utc)

    @property
    def creation_epoch_s(self) -> int:
        return self.creation_ms // 1000

    def description(self) -> ConsumerDescription:
        """The consumer now (DescribeStreamConsumer, ListStreamConsumers)."""
        return ConsumerDescription(
            self.name, self.arn, self.status.value, self.creation_epoch_s, self.stream.arn
        )

    def subscriptions(self) -> list[Subscription]:
        """This consumer's active subscriptions, by shard id."""
        return [
            slot.subscription
            for _, slot in sorted(self._slots.items())
            if slot.subscription is not None
        ]

    def subscription(self, shard_id: str) -> Subscription | None:
        """The active subscription to ``shard_id``, if any."""
        slot = self._slots.get(shard_id)
        return None if slot is None else slot.subscription

    def subscribe(
        self,
        shard_id: str,
        starting_position: str | Mapping[str, Any],
        *,
        sequence_number: str | None = None,
        timestamp: datetime | float | None = None,
        on_event: Callable[[FanoutEvent], object] | None = None,
        on_end: Callable[[Subscription], object] | None = None,
        keep_events: bool = True,
    ) -> Subscription:
        """SubscribeToShard: start pushing ``shard_id``'s records to this consumer.

        ``starting_position`` is AWS's ``StartingPosition`` dict (``{"Type": ...,
        "SequenceNumber": ..., "Timestamp": ...}``) or a type name with ``sequence_number`` /
        ``timestamp`` keywords. Raises AWS's errors: ResourceInUseException (consumer not ACTIVE,
        or a successful subscribe to this shard less than 5 s ago), ResourceNotFoundException
        (unknown shard), InvalidArgumentException (bad starting position) and
        LimitExceededException (more than one call per second for this shard).
        """
        sim = self._sim
        stream = self.stream
        if self.status is not ConsumerStatus.ACTIVE:
            # Observed text (A10), with the odd spacing AWS uses.
            raise ResourceInUseException(
                f"Consumer {self.name} with creation timestamp {self.creation_epoch_s} under "
                f"stream: {stream.name} , account {sim.account_id} is not in ACTIVE status."
            )
        shard = stream.shard(check_str(shard_id, "shardId", max_len=128, pattern=NAME_PATTERN))
        kind, sequence_number, timestamp = normalize_starting_position(
            starting_position, sequence_number, timestamp
        )
        position = resolve_starting_position(shard, kind, sequence_number, timestamp, sim.now_ms)
        now_ms = sim.now_ms
        slot = self._slots.get(shard_id)
        if slot is None:
            slot = self._slots[shard_id] = _ShardSlot()
        if slot.last_call_ms is not None and now_ms - slot.last_call_ms < SUBSCRIBE_INTERVAL_MS:
            self._refuse(shard_id, kind, "LimitExceededException")
            # Assumed text: AWS documents the limit, not its message.
            raise LimitExceededException(
                f"Rate exceeded for consumer {self.arn} and shard {shard_id}. "
                "Make at most one SubscribeToShard call per second per consumer per shard."
            )
        slot.last_call_ms = now_ms
        if slot.last_success_ms is not None and now_ms - slot.last_success_ms < (
            RESUBSCRIBE_GUARD_MS
        ):
            self._refuse(shard_id, kind, "ResourceInUseException")
            # Observed prefix [issue:daangn/kinesumer#16]; the ARN suffix is assumed.
            raise ResourceInUseException(
                f"Another active subscription exists for this consumer: {self.arn}"
            )
        slot.last_success_ms = now_ms
        old = slot.subscription
        if old is not None:
            old._end(EndReason.REPLACED)
        dims = {"StreamName": stream.name, "ConsumerName": self.name}
        sim.metrics.put("AWS/Kinesis", "SubscribeToShard.Success", 1, dimensions=dims)
        sim.trace.emit(
            "efo.subscribe",
            consumer=self.name,
            shard=shard_id,
            starting_position=kind,
            position=position,
            replaced=old is not None,
            error=None,
        )
        subscription = Subscription(
            sim,
            self,
            slot,
            shard,
            position,
            on_event=on_event,
            on_end=on_end,
            keep_events=keep_events,
        )
        slot.subscription = subscription
        return subscription

    def _refuse(self, shard_id: str, kind: str, code: str) -> None:
        sim = self._sim
        dims = {"StreamName": self.stream.name, "ConsumerName": self.name}
        sim.metrics.put("AWS/Kinesis", "SubscribeToShard.RateExceeded", 1, dimensions=dims)
        sim.metrics.put("AWS/Kinesis", "SubscribeToShard.Success", 0, dimensions=dims)
        sim.trace.emit(
            "efo.subscribe",
            consumer=self.name,
            shard=shard_id,
            starting_position=kind,
            position=None,
            replaced=False,
            error=code,
        )

    def _on_stream_deleted(self) -> None:
        """The stream is gone (DeleteStream with EnforceConsumerDeletion): so is the consumer."""
        if self._transition is not None:
            self._transition.cancel()
            self._transition = None
        self.status = ConsumerStatus.DELETING
        self._end_subscriptions(EndReason.CONSUMER_DELETED)
        self._sim.trace.emit(
            "efo.consumer", consumer=self.name, stream=self.stream.name, status="DELETED"
        )

    def _end_subscriptions(self, reason: EndReason) -> None:
        for subscription in self.subscriptions():
            subscription._end(reason)

    def _check(self) -> None:
        assert self.arn.endswith(f"/consumer/{self.name}:{self.creation_epoch_s}")
        for shard_id, slot in self._slots.items():
            if slot.subscription is not None:
                assert self.status is ConsumerStatus.ACTIVE
                assert slot.subscription.active
                assert slot.subscription.shard_id == shard_id
                slot.subscription._check()

    def __repr__(self) -> str:
        return f"<Consumer {self.name} of {self.stream.name} {self.status.value}>"


class ConsumerRegistry:
    """The consumers registered with one stream, in registration order."""

    def __init__(self, sim: Simulator, stream: Stream) -> None:
        self.sim = sim
        self.stream = stream
        # The stream owns the dict (DeleteStream checks and clears it); this is a view of it.
        self._consumers: dict[str, Consumer] = stream._consumers

    def __len__(self) -> int:
        return len(self._consumers)

    def __iter__(self) -> Iterator[Consumer]:
        return iter(list(self._consumers.values()))

    def _not_found(self, name: str) -> ResourceNotFoundException:
        # Assumed text, in the style of Kinesis's "Stream <name> under account <acct> not found."
        return ResourceNotFoundException(
            f"Consumer {name} under stream {self.stream.name} under account "
            f"{self.sim.account_id} not found."
        )

    def get(self, name: str) -> Consumer:
        consumer = self._consumers.get(_validate_name(name))
        if consumer is None:
            raise self._not_found(name)
        return consumer

    def by_arn(self, arn: str) -> Consumer:
        stream_arn, name, _created_s = parse_consumer_arn(arn)
        consumer = self._consumers.get(name)
        if consumer is None or consumer.arn != arn or stream_arn != self.stream.arn:
            raise self._not_found(name)
        return consumer

    def register(self, name: str) -> Consumer:
        """RegisterStreamConsumer. The consumer is returned in its first status."""
        name = _validate_name(name)
        sim, stream = self.sim, self.stream
        stream._require_writable()
        if stream.status not in ("ACTIVE", "UPDATING"):
            raise ResourceInUseException(
                f"Stream {stream.name} under account {sim.account_id} not ACTIVE or UPDATING, "
                f"instead in state {stream.status}"
            )
        if name in self._consumers:
            raise ResourceInUseException(
                f"Consumer {name} under stream {stream.name} under account {sim.account_id} "
                "already exists."
            )
        # A Kinesis queue counts as a registered consumer too (CreateQueue's documentation).
        if len(self._consumers) + stream.queue_count >= MAX_CONSUMERS_PER_STREAM:
            raise LimitExceededException(
                f"Stream {stream.name} under account {sim.account_id} already has "
                f"{MAX_CONSUMERS_PER_STREAM} registered consumers, the most a stream can have."
            )
        creating = sum(c.status is ConsumerStatus.CREATING for c in self._consumers.values())
        if creating >= MAX_CONSUMERS_CREATING:
            raise LimitExceededException(
                f"Stream {stream.name} under account {sim.account_id} already has "
                f"{MAX_CONSUMERS_CREATING} consumers in CREATING status; wait for one to "
                "become ACTIVE."
            )
        consumer = Consumer(self, name)
        self._consumers[name] = consumer
        delay_ms = round(sim.timings.consumer_register_s * 1000)
        if delay_ms == 0:
            consumer.status = ConsumerStatus.ACTIVE
        else:
            consumer._transition = sim.call_later_ms(delay_ms, self._activate, consumer)
        sim.trace.emit(
            "efo.consumer",
            consumer=name,
            stream=stream.name,
            status=consumer.status.value,
            arn=consumer.arn,
        )
        return consumer

    def _activate(self, consumer: Consumer) -> None:
        consumer._transition = None
        consumer.status = ConsumerStatus.ACTIVE
        self.sim.trace.emit(
            "efo.consumer", consumer=consumer.name, stream=self.stream.name, status="ACTIVE"
        )

    def deregister(self, consumer: Consumer) -> None:
        """DeregisterStreamConsumer: DELETING now, gone after ``consumer_deregister_s``.

        Its subscriptions end at once. Deregistering a consumer already DELETING does nothing.
        """
        if consumer.status is ConsumerStatus.DELETING:
            return
        if consumer._transition is not None:
            consumer._transition.cancel()
        consumer.status = ConsumerStatus.DELETING
        consumer._end_subscriptions(EndReason.CONSUMER_DELETED)
        sim = self.sim
        sim.trace.emit(
            "efo.consumer", consumer=consumer.name, stream=self.stream.name, status="DELETING"
        )
        delay_ms = round(sim.timings.consumer_deregister_s * 1000)
        if delay_ms == 0:
            self._remove(consumer)
        else:
            consumer._transition = sim.call_later_ms(delay_ms, self._remove, consumer)

    def _remove(self, consumer: Consumer) -> None:
        consumer._transition = None
        if self._consumers.get(consumer.name) is consumer:
            del self._consumers[consumer.name]
            self.sim.trace.emit(
                "efo.consumer", consumer=consumer.name, stream=self.stream.name, status="DELETED"
            )

    def _check(self) -> None:
        assert len(self._consumers) <= MAX_CONSUMERS_PER_STREAM
        for name, consumer in self._consumers.items():
            assert consumer.name == name
            assert consumer.stream is self.stream
            consumer._check()


# -- the hooks the Kinesis stream and service inherit -----------------------------------------


class StreamConsumersMixin:
    """Consumer operations of a Kinesis ``Stream`` (one of its base classes).

    The stream keeps its consumers in ``_consumers`` (name -> :class:`Consumer`) and its
    simulator in ``sim``.
    """

    @property
    def consumers(self) -> ConsumerRegistry:
        """The consumers registered with this stream (a view, in registration order)."""
        stream: Stream = self  # type: ignore[assignment]
        return ConsumerRegistry(stream.sim, stream)

    def register_consumer(self, name: str) -> Consumer:
        """RegisterStreamConsumer: an enhanced fan-out consumer of this stream.

        It is ACTIVE after ``sim.timings.consumer_register_s`` (at once by default).
        """
        return self.consumers.register(name)

    def consumer(self, name: str) -> Consumer:
        """The registered consumer ``name`` (ResourceNotFoundException if none)."""
        return self.consumers.get(name)

    def list_consumers(self) -> list[Consumer]:
        """Every registered consumer, in registration order."""
        return list(self.consumers)

    def deregister_consumer(self, name: str) -> None:
        """DeregisterStreamConsumer by name."""
        registry = self.consumers
        registry.deregister(registry.get(name))


class KinesisFanoutMixin:
    """The consumer operations of ``sim.kinesis`` (a base class of the Kinesis service), by ARN.

    As with the rest of the service, the operation that creates something returns the object
    (:class:`Consumer`); describing and listing return frozen descriptions.
    """

    # Provided by the Kinesis service.
    sim: Simulator
    _codec: IteratorCodec

    def stream_by_arn(self, arn: str) -> Stream:
        raise NotImplementedError

    def _registry(self, stream_arn: str) -> ConsumerRegistry:
        registry: ConsumerRegistry = self.stream_by_arn(stream_arn).consumers
        return registry

    def consumer_by_arn(self, consumer_arn: str) -> Consumer:
        """The consumer with this ARN (ResourceNotFoundException if it is gone)."""
        stream_arn, name, _ = parse_consumer_arn(consumer_arn)
        try:
            registry = self._registry(stream_arn)
        except ResourceNotFoundException:
            stream_name = stream_arn.rsplit("/", 1)[1]
            account = stream_arn.split(":")[4]
            raise ResourceNotFoundException(
                f"Consumer {name} under stream {stream_name} under account {account} not found."
            ) from None
        return registry.by_arn(consumer_arn)

    def _find_consumer(
        self, stream_arn: str | None, consumer_name: str | None, consumer_arn: str | None
    ) -> Consumer:
        if consumer_arn is not None:
            consumer = self.consumer_by_arn(consumer_arn)
            if (stream_arn is not None and stream_arn != consumer.stream.arn) or (
                consumer_name is not None and consumer_name != consumer.name
            ):
                raise InvalidArgumentException(
                    f"ConsumerARN {consumer_arn} conflicts with the given StreamARN or "
                    "ConsumerName."
                )
            return consumer
        if stream_arn is None or consumer_name is None:
            raise InvalidArgumentException(
                "Either ConsumerARN or both StreamARN and ConsumerName must be provided."
            )
        return self._registry(stream_arn).get(consumer_name)

    def register_stream_consumer(self, stream_arn: str, consumer_name: str) -> Consumer:
        """RegisterStreamConsumer by stream ARN."""
        return self._registry(stream_arn).register(consumer_name)

    def describe_stream_consumer(
        self,
        *,
        stream_arn: str | None = None,
        consumer_name: str | None = None,
        consumer_arn: str | None = None,
    ) -> ConsumerDescription:
        """DescribeStreamConsumer: by consumer ARN, or stream ARN and name (or all three if
        they agree)."""
        return self._find_consumer(stream_arn, consumer_name, consumer_arn).description()

    def list_stream_consumers(
        self,
        stream_arn: str,
        *,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> ConsumerPage:
        """ListStreamConsumers: consumers in registration order, ``max_results`` (1-10,000,
        default 100) at a time. A ``next_token`` expires after 300 s
        (``ExpiredNextTokenException``)."""
        if max_results is not None:
            check_int(max_results, "maxResults", minimum=1, maximum=10000)
        page_size = max_results or 100
        stream = self.stream_by_arn(stream_arn)
        consumers = list(stream.consumers)
        offset = 0
        if next_token is not None:
            check_str(next_token, "nextToken", max_len=1048576)
            state = self._codec.decode(next_token, "lc")
            if state is None or state.stream_name != stream.name or state.stream_tag != stream.tag:
                raise InvalidArgumentException("Invalid NextToken.")
            if self.sim.now_ms - state.issued_ms > ITERATOR_TTL_MS:
                raise ExpiredNextTokenException(
                    "The pagination token passed to the operation is expired."
                )
            offset = state.position
        page = consumers[offset : offset + page_size]
        token = None
        if offset + len(page) < len(consumers):
            token = self._codec.encode(
                IteratorState("lc", stream.name, stream.tag, 0, offset + len(page), self.sim.now_ms)
            )
        return ConsumerPage(tuple(c.description() for c in page), token)

    def deregister_stream_consumer(
        self,
        *,
        stream_arn: str | None = None,
        consumer_name: str | None = None,
        consumer_arn: str | None = None,
    ) -> None:
        """DeregisterStreamConsumer: by consumer ARN, or stream ARN and name."""
        consumer = self._find_consumer(stream_arn, consumer_name, consumer_arn)
        consumer._registry.deregister(consumer)

    def subscribe_to_shard(
        self,
        consumer_arn: str,
        shard_id: str,
        starting_position: str | Mapping[str, Any],
        *,
        sequence_number: str | None = None,
        timestamp: datetime | float | None = None,
        on_event: Callable[[FanoutEvent], object] | None = None,
        on_end: Callable[[Subscription], object] | None = None,
        keep_events: bool = True,
    ) -> Subscription:
        """SubscribeToShard by consumer ARN; see :meth:`Consumer.subscribe`."""
        return self.consumer_by_arn(consumer_arn).subscribe(
            shard_id,
            starting_position,
            sequence_number=sequence_number,
            timestamp=timestamp,
            on_event=on_event,
            on_end=on_end,
            keep_events=keep_events,
        )
