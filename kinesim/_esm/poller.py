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

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimError
from kinesim._esm import destinations
from kinesim._esm.batch import PAYLOAD_LIMIT_BYTES, EventBuilder
from kinesim._esm.lane import Group, Lane

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._esm.mapping import EventSourceMapping
    from kinesim._kinesis.shard import Shard
    from kinesim._lambda.function import Invocation

__all__ = ["ShardPoller"]

_SLOT_MS = 1000  # AWS: "polls each shard ... at a base rate of once per second" [seed]
#: Records a filtered mapping asks for per read. ASSUMED: GetRecords' largest Limit; AWS does
#: not say how far ahead of the batch its poller reads.
_FILTERED_READ_LIMIT = 10_000


class ShardPoller:
    """Reads one shard for one mapping. See the module docstring for the cycle."""

    __slots__ = (
        "_builder",
        "_matches",
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
        # With filters: the read records that matched and are not in a batch yet (positions).
        self._matches: deque[int] = deque()
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
            self._rewind()
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
            self._rewind()

    def _rewind_unbatched(self) -> None:
        """The filters changed: read again, under the new ones, what no batch holds yet."""
        ends = [lane.group.positions[-1] + 1 for lane in self.lanes if lane.group is not None]
        self.read_end = max([self.position, *ends])
        self._matches.clear()

    def _rewind(self) -> None:
        """Forget what was read and not batched: the next read starts at the checkpoint."""
        self.read_end = self.position
        self._matches.clear()

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
        record_filter = mapping.record_filter
        buffered = self.read_end - self.position if record_filter is None else len(self._matches)
        at_shard_end = False
        if buffered < batch_size:
            self.last_poll_ms = now_ms
            # A filtered mapping reads ahead (GetRecords' largest Limit): its batches are built
            # from the records that match, which may be few of those read.
            limit = batch_size - buffered if record_filter is None else _FILTERED_READ_LIMIT
            result = self._read(self.read_end, limit)
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
            if record_filter is not None:
                self._classify(self.read_end, result.end)
            self.read_end = result.end
            self.last_read_full = result.count == limit and result.count > 0
            at_shard_end = result.at_shard_end
        if record_filter is not None:
            self._skip_filtered()
            buffered = len(self._matches)
        else:
            buffered = self.read_end - self.position
        if buffered == 0:
            if at_shard_end:
                self.finished = True
                mapping._shard_finished(self)
                return
            if self.last_read_full:  # everything read was filtered out; more is waiting
                self._schedule_poll(self._next_slot_ms(now_ms))
                return
            self._idle()
            return
        if buffered < batch_size and settings.batching_window_ms:
            deadline = self.window_start_ms + settings.batching_window_ms
            if now_ms < deadline:
                self._schedule_poll(self._window_wake_ms(now_ms, deadline))
                return
        self.lanes[0].begin(self._build(min(buffered, batch_size)))

    def _window_wake_ms(self, now_ms: int, deadline_ms: int) -> int:
        """When to look again while a batching window fills: the next poll slot."""
        return min(self._next_slot_ms(now_ms), deadline_ms)

    def _read(self, start: int, limit: int) -> Any:
        """One GetRecords-equivalent through the shard's shared read limits (a fan-out source
        overrides this to take what its subscription pushed)."""
        return self.shard.read(start, limit=limit)

    def _classify(self, start: int, end: int) -> None:
        """Run the mapping's filters over the newly read records ``[start, end)`` once."""
        record_filter = self.mapping.record_filter
        assert record_filter is not None
        shard = self.shard
        builder = self._builder
        builder.role_arn = self.mapping.function.role
        keep = record_filter.keep
        matches = self._matches
        before = len(matches)
        for i in range(start, end):
            if keep(
                partition_key=shard.partition_key(i),
                sequence_number=shard.sequence_number(i),
                arrival_ms=shard.arrival_ms(i),
                data=shard.data(i),
                shard_id=shard.shard_id,
                role_arn=builder.role_arn,
                region=builder.region,
                stream_arn=builder.event_source_arn,
            ):
                matches.append(i)
        dropped = (end - start) - (len(matches) - before)
        if dropped:
            self.mapping._filtered_out.add(self.mapping.sim.now_ms, dropped)

    def _skip_filtered(self) -> None:
        """Settle the filtered-out records at the checkpoint (before the first match, or all
        that were read if none matched): the checkpoint moves past them."""
        first = self._matches[0] if self._matches else self.read_end
        if first > self.position:
            self._settle_runs([], "filtered", "", upto=first)

    def _drop_trimmed(self) -> None:
        """Records trimmed by retention before they were settled are lost to expiry."""
        trim = self.shard.trim_index
        if trim > self.position:
            self._lost(self.position, trim)

    def _build(self, count: int) -> Group:
        shard = self.shard
        # The function (or its role) may have changed since the last batch.
        self._builder.role_arn = self.mapping.function.role
        positions: Sequence[int]
        if self.mapping.record_filter is None:
            positions = range(self.position, self.position + count)
        else:
            positions = [self._matches[k] for k in range(count)]
        records, sizes, seqs, arrivals, total = self._builder.build(
            shard, positions, PAYLOAD_LIMIT_BYTES
        )
        if len(records) < len(positions):
            positions = positions[: len(records)]
        if self.mapping.record_filter is not None:
            for _ in range(len(records)):
                self._matches.popleft()
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
        return Group(positions, records, sizes, seqs, arrivals)

    def _rebuild(self, positions: Sequence[int]) -> list[dict[str, Any]]:
        """Fresh event records for ``positions`` (no size cut: they fitted)."""
        self._builder.role_arn = self.mapping.function.role
        return self._builder.build(self.shard, positions, 1 << 62)[0]

    # -- what the lanes report ----------------------------------------------------------------

    def _lost(self, start: int, end: int) -> None:
        """Records ``[start, end)`` were trimmed by retention before they were settled."""
        self.mapping._lose(self, start, end)
        self.position = end
        if self.read_end < end:
            self.read_end = end
        matches = self._matches
        while matches and matches[0] < end:
            matches.popleft()

    def _settled(self, start: int, end: int, kind: str, last_sequence_number: str) -> None:
        """Records ``[start, end)`` reached their final fate: the checkpoint moves past them."""
        self._settle_runs([(start, end)], kind, last_sequence_number)

    def _settle_runs(
        self,
        spans: list[tuple[int, int]],
        kind: str,
        last_sequence_number: str,
        *,
        upto: int | None = None,
    ) -> None:
        """Records in ``spans`` (ascending position ranges) reached their final fate ``kind``;
        the filtered-out records between the checkpoint and them (and, with ``upto``, up to
        that position) are settled as ``filtered``. One trace event for all of it."""
        mapping = self.mapping
        ledger = mapping.ledger
        shard_id = self.shard.shard_id
        now_ms = mapping.sim.now_ms
        count = 0
        skipped = 0
        for start, end in spans:
            if start > self.position:
                ledger.settle(shard_id, self.position, start, "filtered", now_ms)
                skipped += start - self.position
            ledger.settle(shard_id, start, end, kind, now_ms)
            count += end - start
            self.position = max(self.position, end)
        if upto is not None and upto > self.position:
            ledger.settle(shard_id, self.position, upto, "filtered", now_ms)
            skipped += upto - self.position
            self.position = upto
        if self.read_end < self.position:
            self.read_end = self.position
        if mapping.sim.trace.wants("esm.checkpoint"):
            fields: dict[str, Any] = {}
            if mapping.record_filter is not None:
                fields["filtered"] = skipped
            mapping.sim.trace.emit(
                "esm.checkpoint",
                uuid=mapping.uuid,
                shard=shard_id,
                sequence_number=last_sequence_number or self._sequence_before(self.position),
                fate=kind,
                count=count,
                **fields,
            )

    def _sequence_before(self, position: int) -> str:
        try:
            return self.shard.sequence_number(position - 1)
        except KinesimError:  # trimmed meanwhile
            return ""

    def _lane_done(self, lane: Lane) -> None:
        """A lane finished its batch: read on at once while behind, else at the next slot."""
        mapping = self.mapping
        now_ms = mapping.sim.now_ms
        self.window_start_ms = now_ms
        self.stalled_since_ms = None
        self.stall_reason = ""
        if not mapping.polling:
            self._rewind()
            return
        if self.read_end > self.position or self.last_read_full:
            self._poll()
        else:
            self._schedule_poll(self._next_slot_ms(now_ms))

    def _lane_abandoned(self, lane: Lane) -> None:
        """The mapping stopped while the lane was busy: its records will be read again."""
        self._rewind()

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
