"""A mapping's shard reader through an enhanced fan-out consumer (SubscribeToShard).

A mapping whose source is a registered consumer does not poll: for each shard it holds a
subscription (:mod:`kinesim._kinesis.fanout`), which pushes records over the consumer's own
2 MiB/s pipe one push latency after they arrive. :class:`FanoutPoller` is a
:class:`~kinesim._esm.poller.ShardPoller` whose reads take what the subscription pushed instead
of calling GetRecords; batching, filters, lanes, retries and checkpoints are the poller's and
lanes' own, so one batch per shard is in flight exactly as with polling.

- **Wake-ups**: every pushed event wakes an idle reader at once (no once-per-second slot); an
  idle shard costs nothing (the subscription itself waits on arrivals).
- **Flow control**: while a full batch of pushed records waits unread, the subscription is
  paused (HTTP/2 flow control); it resumes when the reader takes them.
- **Every 5 minutes** a subscription ends; the reader resubscribes at once with
  ``AFTER_SEQUENCE_NUMBER`` and the last event's ``ContinuationSequenceNumber``, so nothing is
  lost or read twice (the ledger proves it).
- A refused SubscribeToShard (consumer not ACTIVE yet, the 5-second rule after a disable and
  enable, deregistered consumer) is retried every :data:`RESUBSCRIBE_RETRY_MS`; the shard shows
  as stalled with the reason meanwhile.
- **Shard end**: the last event of a closed shard carries ``ChildShards``; once read to there
  the shard is finished and its children start as with polling (parents first). A closed shard
  that expired from the stream before it was read to its end (SubscribeToShard: not found) is
  ended by the reader itself: its trimmed records settle as ``expired``.

The event's ``eventSourceARN`` is the stream's ARN, also through a consumer [B10].
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kinesim._errors import AWSError
from kinesim._esm.poller import ShardPoller
from kinesim._kinesis.fanout.subscription import EndReason, continuation_sequence_number
from kinesim._kinesis.shard import ShardRead

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._esm.mapping import EventSourceMapping
    from kinesim._kinesis.fanout import FanoutEvent, Subscription
    from kinesim._kinesis.shard import Shard

__all__ = ["RESUBSCRIBE_RETRY_MS", "FanoutPoller"]

#: How long a reader waits before trying SubscribeToShard again after a refusal. ASSUMED: AWS
#: does not document Lambda's retry; 5 s is SubscribeToShard's own re-subscribe guard.
RESUBSCRIBE_RETRY_MS = 5_000


class FanoutPoller(ShardPoller):
    """Reads one shard for one mapping through the mapping's consumer. See the module doc."""

    __slots__ = (
        "_resubscribe",
        "_shard_ended",
        "_subscription",
        "pushed_end",
        "subscribe_calls",
    )

    def __init__(self, mapping: EventSourceMapping, shard: Shard, position: int) -> None:
        super().__init__(mapping, shard, position)
        self._subscription: Subscription | None = None
        self._resubscribe: Handle | None = None
        #: One past the last record the subscription pushed.
        self.pushed_end = position
        self._shard_ended = False
        #: Successful SubscribeToShard calls (one per 5 minutes while enabled).
        self.subscribe_calls = 0

    # -- the subscription ---------------------------------------------------------------------

    def start(self) -> None:
        super().start()
        if self._subscription is None and self._resubscribe is None:
            self._subscribe(self.read_end, None)

    def stop(self) -> None:
        self._unsubscribe()
        super().stop()

    def _unsubscribe(self) -> None:
        if self._resubscribe is not None:
            self._resubscribe.cancel()
            self._resubscribe = None
        sub, self._subscription = self._subscription, None
        if sub is not None:
            sub.cancel()

    def _subscribe(self, position: int, continuation: str | None) -> None:
        """SubscribeToShard from ``position`` (or after ``continuation``, when resubscribing)."""
        self._resubscribe = None
        mapping = self.mapping
        consumer = mapping.consumer
        assert consumer is not None
        if continuation is None:
            continuation = continuation_sequence_number(self.shard, position)
            self.pushed_end = max(position, self.shard.trim_index)
            self._shard_ended = False
        try:
            sub = consumer.subscribe(
                self.shard.shard_id,
                "AFTER_SEQUENCE_NUMBER",
                sequence_number=continuation,
                on_event=self._on_event,
                on_end=self._on_end,
                keep_events=False,
            )
        except AWSError as exc:
            shard = self.shard
            if shard.closed and all(s is not shard for s in mapping.stream.shards):
                # The closed shard expired from the stream before it was read to its end (e.g.
                # while the mapping was disabled): no subscription will ever push its end, so
                # end it here; the poller settles what retention trimmed as expired, finishes
                # the shard and starts its children.
                self.pushed_end = shard.end_index
                self._shard_ended = True
                self.stalled_since_ms = None
                self.stall_reason = ""
                if mapping.polling and not self.finished:
                    self._schedule_poll(mapping.sim.now_ms)
                return
            self._stall(f"SubscribeToShard refused ({exc.code}: {exc.message})")
            self._resubscribe = mapping.sim.call_later_ms(
                RESUBSCRIBE_RETRY_MS, self._subscribe, self.pushed_end, continuation
            )
            return
        self.subscribe_calls += 1
        self._subscription = sub
        self._flow(self.read_end)

    def _on_event(self, event: FanoutEvent) -> None:
        if event.end > self.pushed_end:
            self.pushed_end = event.end
        if event.child_shards is not None or event.continuation_sequence_number is None:
            self._shard_ended = True
        self._flow(self.read_end)
        if self.mapping.polling and (self.idle or len(self.lanes) > 1) and not self.finished:
            self._schedule_poll(self.mapping.sim.now_ms)

    def _on_end(self, sub: Subscription) -> None:
        if sub is not self._subscription:
            return  # one we cancelled ourselves
        self._subscription = None
        if not self.mapping.polling or sub.end_reason is EndReason.SHARD_END:
            return
        continuation = sub.continuation_sequence_number
        if sub.end_reason is EndReason.EXPIRED and continuation is not None:
            # AWS: call SubscribeToShard again every 5 minutes, from the continuation number.
            self._subscribe(self.pushed_end, continuation)
            return
        reason = sub.end_reason.value if sub.end_reason is not None else "ended"
        self._stall(f"the subscription ended ({reason}); subscribing again")
        self._resubscribe = self.mapping.sim.call_later_ms(
            RESUBSCRIBE_RETRY_MS, self._subscribe, self.pushed_end, continuation
        )

    def _flow(self, read_end: int) -> None:
        """Pause the subscription while a full batch of pushed records waits unread."""
        sub = self._subscription
        if sub is None:
            return
        if self.pushed_end - read_end >= self.mapping.settings.batch_size:
            sub.pause()
        else:
            sub.resume()

    # -- the poller's hooks -------------------------------------------------------------------

    def _read(self, start: int, limit: int) -> Any:
        """What the subscription pushed from ``start``: no GetRecords, no shared limits."""
        shard = self.shard
        begin = max(start, shard.trim_index)
        end = max(begin, min(self.pushed_end, begin + limit))
        now_ms = self.mapping.sim.now_ms
        behind = 0 if end >= shard.end_index else now_ms - shard.arrival_ms(end)
        self._flow(end)
        return ShardRead(
            start=begin,
            end=end,
            throttled=False,
            millis_behind_latest=behind,
            at_shard_end=self._shard_ended and end >= self.pushed_end,
        )

    def _idle(self) -> None:
        # Nothing to register: the next pushed event wakes the reader. Without a subscription
        # (waiting to subscribe again) the shard stays stalled, with the reason.
        if self._subscription is not None:
            self.stalled_since_ms = None
            self.stall_reason = ""
        if self.window is not None and self.window.open:
            self.window.wake_at_end()

    def _on_arrival(self, shard: Shard) -> None:
        self._waiter = None  # the pushed event, one push latency later, wakes the reader

    def _next_slot_ms(self, now_ms: int) -> int:
        return now_ms  # pushed, not polled: no once-per-second slot

    def _window_wake_ms(self, now_ms: int, deadline_ms: int) -> int:
        return deadline_ms  # pushed events wake the reader earlier

    def _check(self) -> None:
        super()._check()
        mapping = self.mapping
        if mapping.polling and mapping.enabled and not self.finished:
            assert (
                self._subscription is not None or self._resubscribe is not None or self._shard_ended
            ), f"{self.shard.shard_id}: reading through a consumer with no subscription"
