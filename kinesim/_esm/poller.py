"""One shard's reader for one mapping: when to call GetRecords, and what it does with the records.

The read model (AWS: Lambda "polls each shard in your Kinesis stream for records at a base rate
of once per second"; it "can be invoked multiple times per second provided that there were more
records retrieved during the poll than the batch size" [seed]):

1. **Read** at the base rate (``Timings.esm_poll_interval_s``, 1 s) up to
   ``Limits.esm_read_records`` (10,000, GetRecords' largest Limit, as the KCL asks) and GetRecords'
   10 MiB, through the shard's shared read limits (5 calls/s, 2 MiB/s). What is read goes to the
   buffer: the :class:`~kinesim._esm.dispatcher.Dispatcher` queues it on the lanes.
2. **Feed** batches from the buffer as fast as the function finishes them: one batch in flight per
   lane (ParallelizationFactor 1: one lane).
3. **Read again before the next tick** only when the buffer is empty and the last read came back
   full (behind); otherwise at the next tick. The reader keeps at most ``esm_read_records`` read
   records past the checkpoint (a read that finds no room is skipped, and counts as behind).
4. The reader **paces itself** on its own reads (it knows what it read in each one-second window):
   a read its own calls or bytes would have throttled waits until the shard's limits allow it. So
   a mapping that is a stream's only reader never causes ReadProvisionedThroughputExceeded; with
   other readers it competes, and a throttled read waits for the next tick.
5. **Idle shards cost nothing**: a read that finds nothing registers ``shard.notify_on_arrival``
   and schedules nothing; the arrival schedules the read at the tick a ticking reader would have
   used, so the observable cadence is once per second.
6. A closed shard read to its end and fully settled is finished; its children start (parents
   before children).

A fan-out source (:mod:`kinesim._esm.efo_reader`) overrides the read hooks: what its subscription
pushed, at once, with no shared limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimError
from kinesim._esm import destinations
from kinesim._esm.batch import BATCH_VIEW_ATTRIBUTE, EventBuilder
from kinesim._esm.checkpoint import Checkpoint
from kinesim._esm.dispatcher import Dispatcher, lane_of
from kinesim._esm.window import TumblingWindow
from kinesim._kinesis.shard import READ_BYTES_PER_S, READ_CALLS_PER_S
from kinesim._kinesis.throughput import WindowLimiter

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._esm.lane import Lane
    from kinesim._esm.mapping import EventSourceMapping
    from kinesim._kinesis.shard import Shard, ShardRead
    from kinesim._lambda.function import Function, Invocation

__all__ = ["READ_AHEAD_RECORDS", "ShardPoller", "lane_of", "takes_batch_view"]

#: The default of ``Limits.esm_read_records``: records a reader asks for per read, and at most
#: read past the checkpoint (what the aggregate what-if engine assumes).
READ_AHEAD_RECORDS = 10_000


def takes_batch_view(function: Function) -> bool:
    """Whether the function gets a :class:`~kinesim._esm.batch.BatchView` instead of the event:
    nothing would read the event records. True when the handler is None or declares
    ``kinesim_takes_batch_view = True`` and neither duration model is computed from the event
    (a ``FromCallable``)."""
    # Imported here: kinesim._lambda imports the mapping service, which imports this module.
    from kinesim._lambda.durations import FromCallable

    handler = function.handler
    if handler is not None and not getattr(handler, BATCH_VIEW_ATTRIBUTE, False):
        return False
    return not isinstance(function.duration, FromCallable) and not isinstance(
        function.cold_start, FromCallable
    )


class ShardPoller:
    """Reads one shard for one mapping. See the module docstring for the read model."""

    __slots__ = (
        "_again",
        "_pace",
        "_read_due",
        "_settings",
        "_stepping",
        "_timer",
        "_timer_ms",
        "_waiter",
        "behind",
        "builder",
        "checkpoint",
        "dispatcher",
        "finished",
        "last_poll_ms",
        "mapping",
        "read_end",
        "seen_end",
        "shard",
        "stall_reason",
        "stalled_since_ms",
        "window",
    )

    def __init__(self, mapping: EventSourceMapping, shard: Shard, position: int) -> None:
        self.mapping = mapping
        self.shard = shard
        self.checkpoint = Checkpoint(mapping, shard, position)
        self.read_end = position  # records [checkpoint, read_end) have been read
        self._settings = mapping.settings  # what the lanes and window were built for
        self.dispatcher = Dispatcher(self, mapping.settings.parallelization_factor)
        self.window: TumblingWindow | None = None
        if mapping.settings.tumbling_window:
            self.window = TumblingWindow(self)
        self.builder = EventBuilder(
            shard_id=shard.shard_id,
            stream_arn=mapping.stream.arn,
            role_arn=mapping.function.role,
            region=mapping.sim.region,
        )
        # The reader's own reads in the shard's one-second windows (see the module docstring).
        self._pace = WindowLimiter(READ_CALLS_PER_S, READ_BYTES_PER_S)
        self._timer: Handle | None = None
        self._timer_ms = 0
        self._read_due = False
        self._waiter: Any = None
        self._stepping = False
        self._again = False
        self.last_poll_ms: int | None = None
        #: The last read came back full, or a read was skipped for lack of room.
        self.behind = False
        #: A read reported the shard's end (closed and read to its last record).
        self.seen_end = False
        self.stalled_since_ms: int | None = None
        self.stall_reason = ""
        self.finished = False
        mapping.ledger.open(shard, position)

    # -- what others read ---------------------------------------------------------------------

    @property
    def position(self) -> int:
        """The checkpoint: the first record not yet settled."""
        return self.checkpoint.position

    @property
    def lanes(self) -> list[Lane]:
        return self.dispatcher.lanes

    @property
    def read_to_end(self) -> bool:
        """A closed shard read to its end."""
        return self.seen_end and self.read_end >= self.shard.end_index

    def takes_batch_view(self) -> bool:
        return self.window is None and takes_batch_view(self.mapping.function)

    # -- starting and stopping ----------------------------------------------------------------

    def start(self) -> None:
        """Begin (or resume, from the checkpoint) reading now. A batch still in flight from
        before a disable completes first; what it holds is not read again."""
        for lane in self.lanes:
            lane.window_start_ms = self.mapping.sim.now_ms
        self._rewind()
        self._schedule(self.mapping.sim.now_ms, read=True)

    def stop(self) -> None:
        """Stop reading. An invocation in flight completes and is settled; nothing follows."""
        self._cancel_timer()
        if self._waiter is not None:
            self._waiter.cancel()
            self._waiter = None
        for lane in self.lanes:
            lane.stop()
        if self.window is not None:
            self.window.stop()
        self._rewind()

    def _rewind(self) -> None:
        """Forget what was read and not batched: the next read starts at the first record that
        is neither finished nor in a lane's batch."""
        self.dispatcher.clear()
        checkpoint = self.checkpoint
        held = self.dispatcher.held()
        p = checkpoint.position
        end = self.shard.end_index
        while p < end and (p in held or checkpoint.finished(p)):
            p += 1
        self.read_end = p
        if p < end:
            self.behind = True  # records wait to be read again: read rather than wait

    def _rewind_unbatched(self) -> None:
        """The filters changed: read again, under the new ones, what no batch holds yet."""
        self._rewind()

    def _sync_settings(self) -> None:
        """Apply an updated ParallelizationFactor or tumbling window once no batch is held (an
        open window is closed first, under the length it opened with)."""
        settings = self.mapping.settings
        if len(self.lanes) != settings.parallelization_factor:
            self.dispatcher = Dispatcher(self, settings.parallelization_factor)
            self._rewind()
        window = self.window
        if settings.tumbling_window and window is None:
            self.window = TumblingWindow(self)
        elif not settings.tumbling_window and window is not None:
            if window.open:
                return  # not applied yet: looked at again at the next step
            self.window = None
        self._settings = settings

    # -- scheduling ---------------------------------------------------------------------------

    def _interval_ms(self) -> int:
        return max(1, round(self.mapping.sim.timings.esm_poll_interval_s * 1000))

    def _next_tick_ms(self, now_ms: int) -> int:
        """The first tick at or after now that a reader ticking since its last read would use."""
        last = self.last_poll_ms
        if last is None:
            return now_ms
        interval = self._interval_ms()
        if now_ms <= last:
            return last + interval
        return last + -(-(now_ms - last) // interval) * interval

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._read_due = False

    def _schedule(self, when_ms: int, *, read: bool) -> None:
        """Step at ``when_ms`` (reading if ``read``). A step due earlier stays (it arranges
        the next one itself); one due at the same time reads if either asked to."""
        if self._timer is not None:
            if self._timer_ms < when_ms:
                return
            if self._timer_ms == when_ms:
                self._read_due = self._read_due or read
                return
            self._timer.cancel()
        self._timer_ms = when_ms
        self._read_due = read
        self._timer = self.mapping.sim.call_at_ms(when_ms, self._on_timer)

    def _on_timer(self) -> None:
        read = self._read_due
        self._timer = None
        self._read_due = False
        self._step(read=read)

    def _on_arrival(self, shard: Shard) -> None:
        self._waiter = None
        if self.mapping.polling and not self.finished:
            self._schedule(self._next_tick_ms(self.mapping.sim.now_ms), read=True)

    def _wake(self) -> None:
        """Look again now (a timer of the tumbling window's end)."""
        if not self.finished:
            self._schedule(self._next_tick_ms(self.mapping.sim.now_ms), read=True)

    def _await_records(self) -> None:
        """Nothing to read: wait for an arrival (a fan-out reader waits for its next push)."""
        self.stalled_since_ms = None
        self.stall_reason = ""
        if self._waiter is None:
            self._waiter = self.shard.notify_on_arrival(self._on_arrival)

    def _readable(self) -> bool:
        """Whether a read could return records or the shard's end."""
        shard = self.shard
        return self.read_end < shard.end_index or (shard.closed and not self.seen_end)

    # -- the step -----------------------------------------------------------------------------

    def _step(self, *, read: bool) -> None:
        """Read (if ``read`` and there is room), hand the lanes their batches, arrange what
        comes next."""
        mapping = self.mapping
        if not mapping.polling or self.finished:
            return
        if self._stepping:  # a handler's call came back here: finish the step first
            self._again = True
            return
        self._stepping = True
        wake_ms: int | None = None
        try:
            again = True
            while again:
                self._again = False
                if mapping.settings is not self._settings and not self._holding():
                    self._sync_settings()
                self.checkpoint.lose_before(self.shard.trim_index)
                if read:
                    read = False
                    if not self._read():
                        return  # throttled: the next tick is scheduled
                wake_ms = self.dispatcher.dispatch()
                again = self._again
        finally:
            self._stepping = False
        self._arrange(wake_ms)

    def _holding(self) -> bool:
        window = self.window
        return self.dispatcher.busy or (window is not None and (window.busy or window.open))

    def _room(self) -> int:
        """How many records a read may take now (0: enough are read and not settled)."""
        limit = self.mapping.sim.limits.esm_read_records
        return max(0, limit - (self.read_end - self.checkpoint.position))

    def _read(self) -> bool:
        """One read into the buffer, if there is room; False when the shard's shared read
        limits throttled it (the reader stalls and reads again at the next tick)."""
        if not self._room():
            self.behind = True
            return True
        mapping = self.mapping
        now_ms = mapping.sim.now_ms
        paced_ms = self._paced_ms(now_ms)
        if paced_ms > now_ms:
            self.behind = True
            self._schedule(paced_ms, read=True)
            return True
        limit = mapping.sim.limits.esm_read_records
        self.last_poll_ms = now_ms
        result = self._read_records(self.read_end, limit)
        trace = mapping.sim.trace
        if trace.wants("esm.poll"):
            trace.emit(
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
            self._schedule(now_ms + self._interval_ms(), read=True)
            return False
        self._charge(now_ms, result.bytes)
        if result.start > self.read_end:  # trimmed meanwhile: lost to retention
            self.checkpoint.lose_before(result.start)
        if result.count:
            self.dispatcher.assign(result.start, result.end)
        self.read_end = max(self.read_end, result.end)
        # Behind if the read was cut (by count or by the 10 MiB) before the shard's end.
        self.behind = result.count > 0 and (
            result.count == limit or result.end < self.shard.end_index
        )
        if result.at_shard_end:
            self.seen_end = True
        return True

    def _read_records(self, start: int, limit: int) -> ShardRead:
        """One GetRecords-equivalent through the shard's shared read limits (a fan-out source
        takes what its subscription pushed instead)."""
        return self.shard.read(start, limit=limit)

    def _paced_ms(self, now_ms: int) -> int:
        """When the reader's own reads let it read again (now, or later)."""
        if not self.mapping.sim.limits.kinesis_throughput:
            return now_ms
        pace = self._pace
        if pace.read_fits(now_ms):
            return now_ms
        return pace.blocked_until_ms(now_ms)

    def _charge(self, now_ms: int, size: int) -> None:
        if self.mapping.sim.limits.kinesis_throughput:
            self._pace.read_fits(now_ms)  # rolls the window
            self._pace.charge(1, size)

    def _arrange(self, wake_ms: int | None) -> None:
        """After a step: finish the shard, sleep until an arrival, or read again soon."""
        if self.finished or not self.mapping.polling:
            return
        now_ms = self.mapping.sim.now_ms
        dispatcher = self.dispatcher
        queued = dispatcher.queued
        busy = dispatcher.busy or (self.window is not None and self.window.busy)
        if wake_ms is not None:
            self._schedule(wake_ms, read=False)
        if not queued and not busy and self.read_to_end:
            window = self.window
            if self.checkpoint.position >= self.shard.end_index and not (
                window is not None and window.open
            ):
                self.finished = True
                self.mapping._shard_finished(self)
            return
        if not self._room():
            self.behind = True  # a lane's completion makes room and steps again
            return
        if self._readable():
            # Behind with nothing left to feed the lanes: read again at once; else at the tick.
            when_ms = now_ms if not queued and self.behind else self._next_tick_ms(now_ms)
            self._schedule(max(when_ms, self._paced_ms(now_ms)), read=True)
        else:
            self._await_records()
            if self.window is not None and self.window.open and not busy:
                self.window.wake_at_end()

    # -- what the lanes report ----------------------------------------------------------------

    def _lane_done(self, lane: Lane) -> None:
        """A lane finished its batch: feed the lanes from the buffer, reading if behind."""
        now_ms = self.mapping.sim.now_ms
        lane.window_start_ms = now_ms
        self.stalled_since_ms = None
        self.stall_reason = ""
        if not self.mapping.polling:
            self._rewind()
            return
        self._step(read=False)

    def _lane_abandoned(self, lane: Lane) -> None:
        """The mapping stopped while the lane was busy: its records will be read again."""
        self._rewind()

    def _window_closed(self) -> None:
        """The tumbling window's final invocation settled: go on."""
        if self.mapping.polling and not self.finished:
            self._step(read=False)

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
        return not self.dispatcher.busy

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
        # A closed shard is done only once its reader has seen the end (and started children).
        # An open tumbling window still owes its final invocation.
        if self.window is not None and self.window.open:
            return False
        return (
            self.idle and self.checkpoint.position >= self.shard.end_index and not self.shard.closed
        )

    def describe_stuck(self) -> str:
        shard = self.shard
        position = self.checkpoint.position
        pending = shard.end_index - position
        first = ""
        if pending > 0 and position >= shard.trim_index:
            try:
                first = f" from {shard.sequence_number(position)}"
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
        self.checkpoint._check()
        assert self.in_flight_count <= len(self.lanes), (
            f"{self.shard.shard_id}: {self.in_flight_count} batches in flight, more than "
            f"ParallelizationFactor {len(self.lanes)}"
        )
        self.dispatcher._check()
