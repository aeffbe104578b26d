"""One shard's poller: when to read, what to read, and which lane gets the batch.

1. **Poll** at the poller's once-per-second slot: read from the read cursor through
   ``shard.read`` (the shard's shared read limits). A poll that finds nothing registers
   ``shard.notify_on_arrival`` and schedules nothing, so an idle shard costs nothing; the arrival
   (or the shard's closing) schedules the poll at the next slot a ticking poller would have used.
2. **Batch**: up to ``batch_size`` read records, cut before the event would pass 6 MiB; with a
   batching window, keep polling once a second until the batch is full or the window (which starts
   when the previous invocation completed) expires.
3. Hand the batch to a **lane** (:mod:`kinesim._esm.lane`), which invokes, retries and settles it.
   ParallelizationFactor lanes per shard is part 2; part 1 runs one lane, so one batch per shard
   is in flight and the checkpoint is simply the lane's.
4. When the lane is done: while behind (the last read was full, or read records remain), read
   again at once; otherwise wait for the next slot. A closed shard read to its end is finished and
   its children start (parents before children).
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimError
from kinesim._esm import destinations
from kinesim._esm.batch import (
    BATCH_VIEW_ATTRIBUTE,
    PAYLOAD_LIMIT_BYTES,
    Columns,
    EventBuilder,
    LazySequence,
    envelope_size,
    record_sizes,
)
from kinesim._esm.lane import Group, Lane

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._esm.mapping import EventSourceMapping
    from kinesim._kinesis.shard import Shard
    from kinesim._lambda.function import Function, Invocation

__all__ = ["ShardPoller"]

_SLOT_MS = 1000  # AWS: "polls each shard ... at a base rate of once per second" [seed]


def _takes_batch_view(function: Function) -> bool:
    """Whether the fast path applies: nothing would read the event records. True when the
    handler is None or declares ``kinesim_takes_batch_view = True`` and neither duration model
    is computed from the event (a ``FromCallable``)."""
    from kinesim._lambda.durations import FromCallable

    handler = function.handler
    if handler is not None and not getattr(handler, BATCH_VIEW_ATTRIBUTE, False):
        return False
    return not isinstance(function.duration, FromCallable) and not isinstance(
        function.cold_start, FromCallable
    )


_SLOT_MS = 1000  # AWS: "polls each shard ... at a base rate of once per second" [seed]


class ShardPoller:
    """Reads one shard for one mapping. See the module docstring for the cycle."""

    __slots__ = (
        "_builder",
        "_timer",
        "_waiter",
        "finished",
        "lanes",
        "last_poll_ms",
        "last_read_full",
        "mapping",
        "position",
        "read_end",
        "shard",
        "stall_reason",
        "stalled_since_ms",
        "window_start_ms",
    )

    def __init__(self, mapping: EventSourceMapping, shard: Shard, position: int) -> None:
        self.mapping = mapping
        self.shard = shard
        self.position = position  # the checkpoint: first unsettled record
        self.read_end = position  # records [position, read_end) have been read
        # ParallelizationFactor lanes (part 2); part 1 processes one batch at a time.
        self.lanes = [Lane(self)]
        self._timer: Handle | None = None
        self._waiter: Any = None
        self.last_poll_ms: int | None = None
        self.last_read_full = False
        self.window_start_ms = mapping.sim.now_ms
        self.stalled_since_ms: int | None = None
        self.stall_reason = ""
        self.finished = False
        self._builder = EventBuilder(
            shard_id=shard.shard_id,
            stream_arn=mapping.stream.arn,
            role_arn=mapping.function.role,
            region=mapping.sim.region,
        )
        mapping.ledger.open(shard, position)

    # -- scheduling ---------------------------------------------------------------------------

    def start(self) -> None:
        """Begin (or resume, from the checkpoint) polling now. A batch still in flight from
        before a disable completes first; the poll after it continues from its end."""
        self.window_start_ms = self.mapping.sim.now_ms
        if self.idle:
            self.read_end = self.position
            self._schedule_poll(self.mapping.sim.now_ms)

    def stop(self) -> None:
        """Stop polling. An invocation in flight completes and is settled; nothing follows."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._waiter is not None:
            self._waiter.cancel()
            self._waiter = None
        for lane in self.lanes:
            lane.stop()
        if self.idle:
            self.read_end = self.position

    def _next_slot_ms(self, now_ms: int) -> int:
        """The first once-per-second slot at or after now that a ticking poller would use."""
        last = self.last_poll_ms
        if last is None:
            return now_ms
        if now_ms <= last:
            return last + _SLOT_MS
        return last + -(-(now_ms - last) // _SLOT_MS) * _SLOT_MS

    def _schedule_poll(self, when_ms: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.mapping.sim.call_at_ms(when_ms, self._poll)

    def _on_arrival(self, shard: Shard) -> None:
        self._waiter = None
        if self.mapping.polling and self.idle and self._timer is None:
            self._schedule_poll(self._next_slot_ms(self.mapping.sim.now_ms))

    def _idle(self) -> None:
        self.stalled_since_ms = None
        self.stall_reason = ""
        if self._waiter is None:
            self._waiter = self.shard.notify_on_arrival(self._on_arrival)

    # -- polling and batching -----------------------------------------------------------------

    def _poll(self) -> None:
        self._timer = None
        mapping = self.mapping
        if not mapping.polling or not self.idle or self.finished:
            return
        sim = mapping.sim
        now_ms = sim.now_ms
        settings = mapping.settings
        batch_size = settings.batch_size
        self._drop_trimmed()
        buffered = self.read_end - self.position
        if buffered < batch_size:
            self.last_poll_ms = now_ms
            result = self.shard.read(self.read_end, limit=batch_size - buffered)
            if sim.trace.wants("esm.poll"):
                sim.trace.emit(
                    "esm.poll",
                    uuid=mapping.uuid,
                    shard=self.shard.shard_id,
                    start=result.start,
                    count=result.count,
                    throttled=result.throttled,
                    millis_behind=result.millis_behind_latest,
                )
            if result.throttled:
                self._stall("read throttled by the shard's shared read limits")
                self._schedule_poll(now_ms + _SLOT_MS)
                return
            if result.start > self.read_end:
                self.read_end = result.start
                self._drop_trimmed()
            self.read_end = result.end
            self.last_read_full = result.count == batch_size - buffered and result.count > 0
            buffered = self.read_end - self.position
            if buffered == 0:
                if result.at_shard_end:
                    self.finished = True
                    mapping._shard_finished(self)
                    return
                self._idle()
                return
        if buffered < batch_size and settings.batching_window_ms:
            deadline = self.window_start_ms + settings.batching_window_ms
            if now_ms < deadline:
                self._schedule_poll(min(self._next_slot_ms(now_ms), deadline))
                return
        self.lanes[0].begin(self._build(min(buffered, batch_size)))

    def _drop_trimmed(self) -> None:
        """Records trimmed by retention before they were settled are lost to expiry."""
        trim = self.shard.trim_index
        if trim > self.position:
            self._lost(self.position, trim)

    def _build(self, count: int) -> Group:
        if _takes_batch_view(self.mapping.function):
            return self._build_fast(count)
        shard = self.shard
        # The function (or its role) may have changed since the last batch.
        self._builder.role_arn = self.mapping.function.role
        records, sizes, seqs, arrivals, total = self._builder.build(
            shard, self.position, count, PAYLOAD_LIMIT_BYTES
        )
        mapping = self.mapping
        sim = mapping.sim
        if sim.trace.wants("esm.batch"):
            sim.trace.emit(
                "esm.batch",
                uuid=mapping.uuid,
                shard=shard.shard_id,
                first=seqs[0],
                last=seqs[-1],
                count=len(records),
                payload_bytes=total,
            )
        return Group(self.position, records, sizes, seqs, arrivals)

    def _rebuild(self, start: int, count: int) -> list[dict[str, Any]]:
        """Fresh event records for ``[start, start + count)`` (no size cut: they fitted)."""
        self._builder.role_arn = self.mapping.function.role
        return self._builder.build(self.shard, start, count, 1 << 62)[0]

    def _build_fast(self, count: int) -> Group:
        """:meth:`_build` without event records: the what-if fast path.

        NOTE: a duration-model handler never reads the event, so the batch is cut from the
        shard's columns (four C-level slices), its JSON size computed arithmetically
        (:func:`~kinesim._esm.batch.record_sizes`) and its sequence numbers and records made
        only if something asks (a failure record, a partial-failure response). Same batches,
        same sizes, same outcomes as :meth:`_build`: a test compares the two paths.
        """
        shard = self.shard
        self._builder.role_arn = self.mapping.function.role
        start = self.position
        a = start - shard._base
        b = a + count
        data, keys, arrivals = shard._data[a:b], shard._keys[a:b], shard._arrival[a:b]
        sizes = record_sizes(self._builder, data, keys, arrivals)  # type: ignore[arg-type]
        # The 6 MiB cut: the longest prefix whose event fits (at least one record).
        limit = PAYLOAD_LIMIT_BYTES - envelope_size(0, 0) + 2
        k = bisect_right(list(accumulate(size + 2 for size in sizes)), limit) or 1
        if k < count:
            data, keys, arrivals, sizes = data[:k], keys[:k], arrivals[:k], sizes[:k]
        columns = Columns(
            start=start,
            data=data,  # type: ignore[arg-type]
            keys=keys,  # type: ignore[arg-type]
            arrivals=arrivals,
            seq_ms=shard._seq_ms[a : a + k],
            shard_index=shard.index,
            tag=shard.stream.tag,
            builder=self._builder,
        )
        group = Group(
            start,
            LazySequence(columns, 0, k, Columns.record, materialize=True),
            sizes,
            LazySequence(columns, 0, k, Columns.sequence_number),
            arrivals,
            columns,
        )
        mapping = self.mapping
        sim = mapping.sim
        if sim.trace.wants("esm.batch"):
            sim.trace.emit(
                "esm.batch",
                uuid=mapping.uuid,
                shard=shard.shard_id,
                first=group.seqs[0],
                last=group.seqs[k - 1],
                count=k,
                payload_bytes=envelope_size(k, sum(sizes)),
            )
        return group

    # -- what the lanes report ----------------------------------------------------------------

    def _lost(self, start: int, end: int) -> None:
        """Records ``[start, end)`` were trimmed by retention before they were settled."""
        self.mapping._lose(self, start, end)
        self.position = end
        if self.read_end < end:
            self.read_end = end

    def _settled(self, start: int, end: int, kind: str, last_sequence_number: str) -> None:
        """Records ``[start, end)`` reached their final fate: the checkpoint moves past them."""
        mapping = self.mapping
        mapping.ledger.settle(self.shard.shard_id, start, end, kind, mapping.sim.now_ms)
        if end > self.position:
            self.position = end
        if self.read_end < self.position:
            self.read_end = self.position
        if mapping.sim.trace.wants("esm.checkpoint"):
            mapping.sim.trace.emit(
                "esm.checkpoint",
                uuid=mapping.uuid,
                shard=self.shard.shard_id,
                sequence_number=last_sequence_number,
                fate=kind,
                count=end - start,
            )

    def _lane_done(self, lane: Lane) -> None:
        """A lane finished its batch: read on at once while behind, else at the next slot."""
        mapping = self.mapping
        now_ms = mapping.sim.now_ms
        self.window_start_ms = now_ms
        self.stalled_since_ms = None
        self.stall_reason = ""
        if not mapping.polling:
            self.read_end = self.position
            return
        if self.read_end > self.position or self.last_read_full:
            self._poll()
        else:
            self._schedule_poll(self._next_slot_ms(now_ms))

    def _lane_abandoned(self, lane: Lane) -> None:
        """The mapping stopped while the lane was busy: its records will be read again."""
        self.read_end = self.position

    def _stall(self, reason: str) -> None:
        if self.stalled_since_ms is None:
            self.stalled_since_ms = self.mapping.sim.now_ms
        self.stall_reason = reason

    # -- status -------------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """No lane holds a batch."""
        return all(lane.group is None for lane in self.lanes)

    @property
    def in_flight(self) -> Invocation | None:
        """The invocation in flight on this shard, if any (one lane in part 1)."""
        return self.lanes[0].in_flight

    @property
    def caught_up(self) -> bool:
        """Nothing in flight or waiting, and every record of the shard settled."""
        if self.finished:
            return True
        # A closed shard is done only once its poller has seen the end (and started children).
        return self.idle and self.position >= self.shard.end_index and not self.shard.closed

    def describe_stuck(self) -> str:
        shard = self.shard
        pending = shard.end_index - self.position
        first = ""
        if pending > 0 and self.position >= shard.trim_index:
            try:
                first = f" from {shard.sequence_number(self.position)}"
            except KinesimError:  # trimmed since
                first = ""
        lane = self.lanes[0]
        since = lane.stalled_since_ms if lane.stalled_since_ms is not None else None
        since = since if since is not None else self.stalled_since_ms
        when = "" if since is None else f" since {destinations.iso_ms(since)}"
        if lane.in_flight is not None:
            why = f"an invocation is in flight (request {lane.in_flight.request_id})"
        elif lane.stall_reason:
            why = lane.stall_reason
        elif self.stall_reason:
            why = self.stall_reason
        else:
            why = "behind: records remain to be read"
        return f"{shard.shard_id}: {pending} record(s){first} unsettled{when}: {why}"

    def _check(self) -> None:
        assert self.position <= self.read_end or not self.idle, "read cursor behind"
        ledger_checkpoint = self.mapping.ledger.checkpoint(self.shard.shard_id)
        assert ledger_checkpoint == self.position, (
            f"{self.shard.shard_id}: checkpoint {self.position} but the ledger settled up to "
            f"{ledger_checkpoint}"
        )
        assert len(self.lanes) == 1, "part 1 runs one lane per shard"
        for lane in self.lanes:
            lane._check()
