"""One shard's poller: when to read, what to read, and which lane gets the batch.

1. **Poll** at the poller's once-per-second slot: read from the read cursor through
   ``shard.read`` (the shard's shared read limits). A poll that finds nothing registers
   ``shard.notify_on_arrival`` and schedules nothing, so an idle shard costs nothing; the arrival
   (or the shard's closing) schedules the poll at the next slot a ticking poller would have used.
2. **Batch**: up to ``batch_size`` read records, cut before the event would pass 6 MiB; with a
   batching window, keep polling once a second until the batch is full or the window (which starts
   when the previous invocation completed) expires.
3. Hand the batch to a **lane** (:mod:`kinesim._esm.lane`), which invokes, retries and settles it.
   With ParallelizationFactor 1 there is one lane: one batch per shard in flight, the checkpoint
   simply the lane's. With N > 1 (:meth:`ShardPoller._poll_lanes`) each read record goes to the
   lane ``md5(partition key) mod N``, every idle lane with queued records takes a batch of its
   own records, and the checkpoint is the lowest record not yet finished by any lane (records
   finished out of order wait in ``_done`` until it reaches them). How much a failing batch
   blocks is the mapping's ``parallel_failure_policy``: ``"shard"`` (default: no lane starts a
   new batch while one retries) or ``"lane"`` (only the failing lane's keys wait; the others go on
   while fewer than ``READ_AHEAD_RECORDS`` records are read past the checkpoint).
4. When the lane is done: while behind (the last read was full, or read records remain), read
   again at once; otherwise wait for the next slot. A closed shard read to its end is finished and
   its children start (parents before children).
5. With a tumbling window (:mod:`kinesim._esm.window`, ParallelizationFactor 1), a batch never
   spans two windows, and the window's final invocation runs before the first record of a later
   window, when the window's end passes with nothing to read, when its state passed 1 MB, or
   when the shard ends.

Reading (step 1, :meth:`ShardPoller._read`) is separate from lane processing (steps 2-4): with
N > 1 read records reach the lanes through :meth:`ShardPoller._assign`, so a reader that is not
the poller (a fan-out subscription) can feed them too.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from hashlib import md5
from itertools import accumulate, islice
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
from kinesim._esm.window import TumblingWindow

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._esm.mapping import EventSourceMapping
    from kinesim._kinesis.shard import Shard
    from kinesim._lambda.function import Function, Invocation

__all__ = ["READ_AHEAD_RECORDS", "ShardPoller", "lane_of"]

_SLOT_MS = 1000  # AWS: "polls each shard ... at a base rate of once per second" [seed]
_MAX_READ_RECORDS = 10_000  # GetRecords' limit [BC-K]
#: With ParallelizationFactor > 1 and ``parallel_failure_policy="lane"``, healthy lanes go on past
#: a failing one while fewer than this many records are read past the shard's checkpoint (one
#: GetRecords' worth). ASSUMED: AWS documents no read-ahead; without a bound a poison record
#: retried until expiry would make kinesim buffer a whole day of the shard.
READ_AHEAD_RECORDS = 10_000


def lane_of(partition_key: str, lanes: int) -> int:
    """The lane of a record under ParallelizationFactor ``lanes``: MD5 of the key, mod N.

    Deterministic across processes (never ``hash()``); a key always maps to the same lane, which
    is what keeps per-key order.
    """
    return int.from_bytes(md5(partition_key.encode("utf-8")).digest()[:8], "big") % lanes


#: Records a filtered mapping asks for per read. ASSUMED: GetRecords' largest Limit; AWS does
#: not say how far ahead of the batch its poller reads.
_FILTERED_READ_LIMIT = 10_000


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
        "_dispatching",
        "_done",
        "_matches",
        "_redo",
        "_settings",
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
        "window",
        "window_start_ms",
    )

    def __init__(self, mapping: EventSourceMapping, shard: Shard, position: int) -> None:
        self.mapping = mapping
        self.shard = shard
        self.position = position  # the checkpoint: first unsettled record
        self.read_end = position  # records [position, read_end) have been read
        # With filters: the read records that matched and are not in a batch yet (positions).
        self._matches: deque[int] = deque()
        # ParallelizationFactor lanes, keyed by partition key (see lane_of).
        self.lanes = [Lane(self, i) for i in range(mapping.settings.parallelization_factor)]
        # Positions finished out of order by the lanes, waiting for the checkpoint: fate, time.
        self._done: dict[int, tuple[str, int]] = {}
        # The settings the lanes and window were built for (an update replaces the object).
        self._settings = mapping.settings
        self._dispatching = False
        self._redo = False
        self.window: TumblingWindow | None = None
        if mapping.settings.tumbling_window:
            self.window = TumblingWindow(self)
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
        before a disable completes first; the poll after it continues from its end. With
        several lanes the others start at once from the checkpoint (a lane still busy takes
        its keys' records when it is done)."""
        self.window_start_ms = self.mapping.sim.now_ms
        if self.idle or len(self.lanes) > 1:
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
        if self.window is not None:
            self.window.stop()
        if self.idle or len(self.lanes) > 1:
            self._rewind()

    def _rewind_unbatched(self) -> None:
        """The filters changed: read again, under the new ones, what no batch holds yet."""
        if len(self.lanes) > 1:
            # Lanes finish out of order: read again from the checkpoint (what a lane has
            # finished or holds is skipped when the lanes take it; see _dispatch).
            self._rewind()
            return
        ends = [lane.group.positions[-1] + 1 for lane in self.lanes if lane.group is not None]
        self.read_end = max([self.position, *ends])
        self._matches.clear()

    def _rewind(self) -> None:
        """Forget what was read and not batched: the next read starts at the checkpoint."""
        self.read_end = self.position
        self._matches.clear()
        for lane in self.lanes:
            lane.queue.clear()
        if self.read_end < self.shard.end_index:
            # Records are waiting to be read again: when the lanes are next done, read rather
            # than wait for an arrival that may never come.
            self.last_read_full = True

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
        if (
            self.mapping.polling
            and (self.idle or len(self.lanes) > 1)
            and self._timer is None
            and not self.finished
        ):
            self._schedule_poll(self._next_slot_ms(self.mapping.sim.now_ms))

    def _wake(self) -> None:
        """Poll at the next slot (a timer of the tumbling window's end)."""
        if self._timer is None and not self.finished:
            self._schedule_poll(self._next_slot_ms(self.mapping.sim.now_ms))

    def _idle(self) -> None:
        self.stalled_since_ms = None
        self.stall_reason = ""
        if self._waiter is None:
            self._waiter = self.shard.notify_on_arrival(self._on_arrival)
        if self.window is not None and self.window.open:
            self.window.wake_at_end()

    def _sync_settings(self) -> None:
        """Apply an updated ParallelizationFactor or tumbling window once nothing is held (an
        open window is closed first, under the length it opened with)."""
        settings = self.mapping.settings
        if len(self.lanes) != settings.parallelization_factor:
            self.lanes = [Lane(self, i) for i in range(settings.parallelization_factor)]
            # One lane buffers read records as [position, read_end); several queue them per
            # lane: read again from the checkpoint under the new arrangement.
            self._rewind()
        window = self.window
        if settings.tumbling_window and window is None:
            self.window = TumblingWindow(self)
        elif not settings.tumbling_window and window is not None:
            if window.open:
                return  # not applied yet: looked at again at the next poll
            self.window = None
        self._settings = settings

    # -- polling and batching -----------------------------------------------------------------

    def _poll(self) -> None:
        self._timer = None
        mapping = self.mapping
        if not mapping.polling or self.finished:
            return
        if (
            mapping.settings is not self._settings
            and self.idle
            and not self._done
            and not any(lane.queue for lane in self.lanes)
        ):
            self._sync_settings()
        if len(self.lanes) > 1:
            self._poll_lanes(read=True)
            return
        if not self.idle:
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
            # A filtered mapping reads ahead (GetRecords' largest Limit): its batches are built
            # from the records that match, which may be few of those read.
            limit = batch_size - buffered if record_filter is None else _FILTERED_READ_LIMIT
            result = self._poll_read(now_ms, limit)
            if result is None:
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
        window = self.window
        if buffered == 0:
            if at_shard_end:
                if window is not None and window.open:
                    # "When the shard ends, Lambda considers the window closed" [B8].
                    window.close(early=window.terminated_early or now_ms < window.end_ms)
                    return
                self.finished = True
                mapping._shard_finished(self)
                return
            if self.last_read_full:  # everything read was filtered out; more is waiting
                self._schedule_poll(self._next_slot_ms(now_ms))
                return
            if (
                window is not None
                and window.open
                and (window.terminated_early or now_ms >= window.end_ms or window.stale)
            ):
                window.close(early=window.terminated_early or window.stale)
                return
            self._idle()
            return
        if window is not None and window.open:
            first = self._matches[0] if record_filter is not None else self.position
            first_arrival_ms = self.shard.arrival_ms(first)
            if (
                window.terminated_early
                or window.stale
                or window.start_for(first_arrival_ms) != window.start_ms
            ):
                window.close(early=window.terminated_early or window.stale)
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

    # -- ParallelizationFactor > 1 --------------------------------------------------------------

    def _room(self) -> int:
        """How many records to read now (0: the lanes have enough queued, or the read-ahead
        is used up: wait for lanes to finish). A read takes up to one GetRecords' worth, so
        N lanes cost no more read calls than one (the shard allows 5 a second)."""
        lanes = self.lanes
        queued = sum(len(lane.queue) for lane in lanes)
        if queued >= self.mapping.settings.batch_size * len(lanes):
            return 0
        ahead = READ_AHEAD_RECORDS - (self.read_end - self.position)
        return max(0, min(ahead, _MAX_READ_RECORDS))

    def _poll_lanes(self, *, read: bool) -> None:
        """One step of a ParallelizationFactor > 1 poller: read if there is room, hand every
        idle lane a batch of its own records, and arrange the next step."""
        mapping = self.mapping
        sim = mapping.sim
        now_ms = sim.now_ms
        self._drop_trimmed()
        throttled = False
        room = self._room()
        if read and not room:
            # Records may have arrived since the last read: read as soon as there is room.
            self.last_read_full = True
        elif read and not (self.shard.closed and self.read_end >= self.shard.end_index):
            result = self._poll_read(now_ms, room)
            if result is None:
                throttled = True
            else:
                if result.start > self.read_end:
                    self.read_end = result.start
                    self._drop_trimmed()
                self._assign(result.start, result.end)
                # Behind if the read was cut (by count or by GetRecords' 10 MiB) before the end.
                self.last_read_full = result.count > 0 and (
                    result.count == room or result.end < self.shard.end_index
                )
        if self._dispatching:
            self._redo = True
            return
        self._dispatching = True
        try:
            self._redo = True
            while self._redo:
                self._redo = False
                self._dispatch()
        finally:
            self._dispatching = False
        if not throttled:
            self._arrange_next()

    def _assign(self, start: int, end: int) -> None:
        """Records ``[start, end)`` were read: queue each on its partition key's lane (records
        the mapping's filters drop are finished at once, as ``filtered``)."""
        # NOTE: per-record work is inherent here (a record's lane depends on its key); the
        # digest is of the key only and the lane lookup is one list index.
        lanes = self.lanes
        n = len(lanes)
        key_of = self.shard.partition_key
        done = self._done
        queues = [lane.queue for lane in lanes]
        start = max(start, self.position)
        if self.mapping.record_filter is None:
            for i in range(start, end):
                if done and i in done:
                    continue
                queues[lane_of(key_of(i), n)].append(i)
        else:
            matches = self._matches
            matches.clear()
            self._classify(start, end)
            now_ms = self.mapping.sim.now_ms
            # Read again after the filters changed, records may already be finished or in a
            # lane's batch: the new filters do not settle those (a record queued again waits
            # behind its own lane's batch, and is dropped once that batch finishes it).
            held_end = max(
                (lane.group.positions[-1] + 1 for lane in lanes if lane.group is not None),
                default=start,
            )
            held: set[int] = set()
            if start < held_end:
                held = {p for lane in lanes if lane.group is not None for p in lane.group.positions}
            for i in range(start, end):
                if matches and matches[0] == i:
                    matches.popleft()
                    if not (done and i in done):
                        queues[lane_of(key_of(i), n)].append(i)
                elif i not in done and i not in held:
                    done[i] = ("filtered", now_ms)
            self._advance()
        if end > self.read_end:
            self.read_end = end

    def _dispatch(self) -> None:
        """Give every idle lane with queued records a batch (unless a failure blocks them)."""
        mapping = self.mapping
        lanes = self.lanes
        if mapping.parallel_failure_policy == "shard" and any(lane.failing for lane in lanes):
            return  # the failing lane's completion dispatches again
        settings = mapping.settings
        batch_size = settings.batch_size
        window_ms = settings.batching_window_ms
        now_ms = mapping.sim.now_ms
        wake_ms: int | None = None
        floor = max(self.position, self.shard.trim_index)
        done = self._done
        for lane in lanes:
            queue = lane.queue
            if lane.group is not None or not queue:
                continue
            while queue and (queue[0] < floor or queue[0] in done):
                queue.popleft()
            if not queue:
                continue
            if window_ms and len(queue) < batch_size:
                deadline = lane.window_start_ms + window_ms
                if now_ms < deadline:
                    wake_ms = deadline if wake_ms is None else min(wake_ms, deadline)
                    continue
            take = [queue.popleft() for _ in range(min(batch_size, len(queue)))]
            lane.begin(self._build_at(lane, take))
        if wake_ms is not None and self._timer is None:
            self._schedule_poll(wake_ms)

    def _arrange_next(self) -> None:
        """After a step: finish the shard, sleep until an arrival, or read again soon."""
        if self.finished or not self.mapping.polling or self._timer is not None:
            return
        lanes = self.lanes
        busy = any(lane.group is not None for lane in lanes)
        queued = any(lane.queue for lane in lanes)
        if not busy and not queued and self.position >= self.read_end:
            if self.shard.closed and self.read_end >= self.shard.end_index:
                self.finished = True
                self.mapping._shard_finished(self)
                return
            if self.last_read_full:
                self._schedule_poll(self._next_slot_ms(self.mapping.sim.now_ms))
            else:
                self._idle()
            return
        if not self._room():
            # A lane's completion makes room and steps again; records may arrive meanwhile
            # with no one waiting for them, so that step reads.
            self.last_read_full = True
            return
        if self.shard.closed and self.read_end >= self.shard.end_index:
            return  # read to its end: the lanes' completions finish the shard
        if self.last_read_full:
            if not busy or any(lane.group is None for lane in lanes):
                self._schedule_poll(self._next_slot_ms(self.mapping.sim.now_ms))
        elif self._waiter is None:
            self._waiter = self.shard.notify_on_arrival(self._on_arrival)

    def _build_at(self, lane: Lane, positions: list[int]) -> Group:
        """A batch of ``lane``'s records at ``positions``; any cut off by 6 MiB go back."""
        self._builder.role_arn = self.mapping.function.role
        records, sizes, seqs, arrivals, total = self._builder.build(
            self.shard, positions, PAYLOAD_LIMIT_BYTES
        )
        if len(records) < len(positions):
            lane.queue.extendleft(reversed(positions[len(records) :]))
            del positions[len(records) :]
        mapping = self.mapping
        sim = mapping.sim
        if sim.trace.wants("esm.batch"):
            sim.trace.emit(
                "esm.batch",
                uuid=mapping.uuid,
                shard=self.shard.shard_id,
                first=seqs[0],
                last=seqs[-1],
                count=len(records),
                payload_bytes=total,
                lane=lane.index,
            )
        return Group(positions, records, sizes, seqs, arrivals)

    def _poll_read(self, now_ms: int, limit: int) -> Any | None:
        """One traced read of up to ``limit`` records at ``read_end``; None when the shard's
        read limits throttled it (the poller then stalls and polls again at the next slot)."""
        self.last_poll_ms = now_ms
        result = self._read(self.read_end, limit)
        mapping = self.mapping
        sim = mapping.sim
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
            return None
        return result

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
        kept = record_filter.select(
            shard,
            start,
            end,
            role_arn=builder.role_arn,
            region=builder.region,
            stream_arn=builder.event_source_arn,
        )
        self._matches.extend(kept)
        dropped = (end - start) - len(kept)
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
        mapping = self.mapping
        # The fast path cuts contiguous ranges: filters pick records and windows cut batches.
        if (
            mapping.record_filter is None
            and self.window is None
            and _takes_batch_view(mapping.function)
        ):
            return self._build_fast(count)
        shard = self.shard
        # The function (or its role) may have changed since the last batch.
        self._builder.role_arn = self.mapping.function.role
        positions: Sequence[int]
        if self.mapping.record_filter is None:
            positions = range(self.position, self.position + count)
        else:
            positions = list(islice(self._matches, count))
        limit_bytes = PAYLOAD_LIMIT_BYTES
        if self.window is not None:
            # A batch never spans two windows, and the window's fields (its state) count
            # towards the 6 MiB.
            positions = positions[: self.window.cut(positions)]
            limit_bytes -= self.window.extra_bytes()
        records, sizes, seqs, arrivals, total = self._builder.build(shard, positions, limit_bytes)
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
            range(start, start + k),
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
        if len(self.lanes) > 1:
            for lane in self.lanes:
                queue = lane.queue
                while queue and queue[0] < end:
                    queue.popleft()
        if self._done:
            # Some of them were finished by a lane before the checkpoint reached them.
            now_ms = self.mapping.sim.now_ms
            for p in range(max(start, self.position), end):
                self._done.setdefault(p, ("expired", now_ms))
            self._advance()
            return
        self.mapping._lose(self, start, end)
        self.position = end
        if self.read_end < end:
            self.read_end = end
        matches = self._matches
        while matches and matches[0] < end:
            matches.popleft()

    def _lost_at(self, positions: list[int]) -> None:
        """A lane's records at ``positions`` were trimmed before they were settled."""
        self._settled_at(positions, "expired")

    def _settled_at(self, positions: list[int], kind: str) -> None:
        """A lane finished its records at ``positions`` (ParallelizationFactor > 1): they settle
        in the ledger when the checkpoint, the lowest unfinished record, reaches them."""
        now_ms = self.mapping.sim.now_ms
        done = self._done
        checkpoint = self.position
        for p in positions:
            if p >= checkpoint:
                done[p] = (kind, now_ms)
        self._advance()

    def _advance(self) -> None:
        """Move the checkpoint over the finished records at its front, settling them in order."""
        done = self._done
        start = p = self.position
        if p not in done:
            return
        mapping = self.mapping
        shard_id = self.shard.shard_id
        kind = ""
        while p in done:
            kind, time_ms = done.pop(p)
            q = p + 1
            while (following := done.get(q)) is not None and following[0] == kind:
                del done[q]
                q += 1
            if kind == "expired":
                mapping._lose(self, p, q)
            else:
                mapping.ledger.settle(shard_id, p, q, kind, time_ms)
            p = q
        self.position = p
        if self.read_end < p:
            self.read_end = p
        if mapping.sim.trace.wants("esm.checkpoint") and p - 1 >= self.shard.trim_index:
            mapping.sim.trace.emit(
                "esm.checkpoint",
                uuid=mapping.uuid,
                shard=shard_id,
                sequence_number=self.shard.sequence_number(p - 1),
                fate=kind,
                count=p - start,
            )

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
        lane.window_start_ms = now_ms
        self.stalled_since_ms = None
        self.stall_reason = ""
        if len(self.lanes) > 1:
            if mapping.polling and not self.finished:
                self._poll_lanes(read=self.last_read_full)
            return
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

    def _window_closed(self) -> None:
        """The tumbling window's final invocation settled: go on reading."""
        if self.mapping.polling and not self.finished:
            self._poll()

    def _stall(self, reason: str) -> None:
        if self.stalled_since_ms is None:
            self.stalled_since_ms = self.mapping.sim.now_ms
        self.stall_reason = reason

    # -- status -------------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """No lane holds a batch and no window's final invocation is pending."""
        window = self.window
        if window is not None and window.busy:
            return False
        return all(lane.group is None for lane in self.lanes)

    @property
    def in_flight(self) -> Invocation | None:
        """An invocation in flight on this shard, if any (the first lane's)."""
        for lane in self.lanes:
            if lane.in_flight is not None:
                return lane.in_flight
        if self.window is not None:
            return self.window.in_flight
        return None

    @property
    def in_flight_count(self) -> int:
        """Batches in flight on this shard (at most ParallelizationFactor)."""
        count = sum(lane.in_flight is not None for lane in self.lanes)
        if self.window is not None and self.window.in_flight is not None:
            count += 1
        return count

    @property
    def caught_up(self) -> bool:
        """Nothing in flight or waiting, and every record of the shard settled."""
        if self.finished:
            return True
        # A closed shard is done only once its poller has seen the end (and started children).
        # An open tumbling window still owes its final invocation.
        if self.window is not None and self.window.open:
            return False
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
        lane = next((lane for lane in self.lanes if lane.group is not None), self.lanes[0])
        since = lane.stalled_since_ms if lane.stalled_since_ms is not None else None
        since = since if since is not None else self.stalled_since_ms
        when = "" if since is None else f" since {destinations.iso_ms(since)}"
        if self.window is not None and self.window.busy:
            why = "the tumbling window's final invocation is pending"
        elif lane.in_flight is not None:
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
        assert 1 <= len(self.lanes) <= 10, "ParallelizationFactor is 1-10"
        assert self.in_flight_count <= len(self.lanes), (
            f"{self.shard.shard_id}: {self.in_flight_count} batches in flight, more than "
            f"ParallelizationFactor {len(self.lanes)}"
        )
        assert self.position not in self._done, "a finished record at the checkpoint"
        assert all(p > self.position for p in self._done), "a finished record behind the checkpoint"
        if len(self.lanes) > 1:
            n = len(self.lanes)
            for lane in self.lanes:
                for p in lane.queue:
                    if p >= self.shard.trim_index:
                        assert lane_of(self.shard.partition_key(p), n) == lane.index, (
                            "a record queued on the wrong lane for its partition key"
                        )
        for lane in self.lanes:
            lane._check()
