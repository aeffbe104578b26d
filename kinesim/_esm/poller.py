"""One shard's poller: reading, batching, invoking, settling, retrying.

Life of a poller (ParallelizationFactor 1: one batch in flight per shard, records in order):

1. **Poll** at the poller's once-per-second slot: read from the checkpoint through
   ``shard.read`` (the shard's shared read limits). A poll that finds nothing registers
   ``shard.notify_on_arrival`` and schedules nothing, so an idle shard costs nothing; the arrival
   schedules the poll at the next slot a ticking poller would have used.
2. **Batch**: up to ``batch_size`` read records, cut before the event would pass 6 MiB; with a
   batching window, keep polling once a second until the batch is full or the window (which starts
   when the previous invocation completed) expires.
3. **Invoke**: drop records trimmed meanwhile (lost), split records older than
   ``max_record_age`` off the front (``RecordAgeExceeded``), then ``fn.start_invocation``. A
   throttle is retried after the backoff and consumes no attempt.
4. **Settle** on completion, per :mod:`kinesim._esm.retry`: success moves the checkpoint past
   the batch; a partial failure moves it to the lowest reported record, whose remainder is a new
   range; a failure retries, bisects or gives up (on-failure destination).
5. While behind (the last read was full, or read records remain), read again at once; otherwise
   wait for the next slot.

A batch is a *group* of records read together; bisect and partial failures work on sub-ranges of
the group (index ranges into the group's lists), processed strictly in order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    RequestTooLargeException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from kinesim._esm import destinations
from kinesim._esm.batch import (
    BATCH_VIEW_ATTRIBUTE,
    PAYLOAD_LIMIT_BYTES,
    BatchView,
    Columns,
    EventBuilder,
    LazySequence,
    envelope_size,
    record_sizes,
)
from kinesim._esm.retry import bisect_point, classify, next_step

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


class _Group:
    """Records read together and the ranges of them still to process, in order."""

    __slots__ = (
        "arrivals",
        "columns",
        "hi",
        "invocations",
        "last_function_error",
        "last_request_id",
        "lo",
        "pending",
        "reason",
        "records",
        "seqs",
        "sizes",
        "start",
    )

    def __init__(self, start: int) -> None:
        self.start = start  # shard position of index 0
        # On the fast path records and seqs are lazy views over ``columns`` (see _build_fast).
        self.records: Sequence[dict[str, Any]] = []
        self.sizes: list[int] = []
        self.seqs: Sequence[str] = []
        self.arrivals: Sequence[int] = []
        self.columns: Columns | None = None
        # The range being processed, [lo, hi) indices, and its invocation count so far.
        self.lo = 0
        self.hi = 0
        self.invocations = 0
        self.reason = "first"
        self.pending: list[tuple[int, int]] = []  # later ranges (bisect second halves)
        self.last_request_id = ""
        self.last_function_error: str | None = None


class ShardPoller:
    """Reads one shard for one mapping. See the module docstring for the cycle."""

    __slots__ = (
        "_builder",
        "_timer",
        "_waiter",
        "failure_streak",
        "finished",
        "group",
        "in_flight",
        "last_poll_ms",
        "last_read_full",
        "mapping",
        "position",
        "read_end",
        "shard",
        "stall_reason",
        "stalled_since_ms",
        "throttle_streak",
        "window_start_ms",
    )

    def __init__(self, mapping: EventSourceMapping, shard: Shard, position: int) -> None:
        self.mapping = mapping
        self.shard = shard
        self.position = position  # the checkpoint: first unsettled record
        self.read_end = position  # records [position, read_end) have been read
        self.group: _Group | None = None
        self.in_flight: Invocation | None = None
        self._timer: Handle | None = None
        self._waiter: Any = None
        self.last_poll_ms: int | None = None
        self.last_read_full = False
        self.window_start_ms = mapping.sim.now_ms
        self.failure_streak = 0
        self.throttle_streak = 0
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
        """Begin (or resume, from the checkpoint) polling now."""
        self.read_end = self.position
        self.window_start_ms = self.mapping.sim.now_ms
        self._schedule_poll(self.mapping.sim.now_ms)

    def stop(self) -> None:
        """Stop polling. An invocation in flight completes and is settled; nothing follows."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._waiter is not None:
            self._waiter.cancel()
            self._waiter = None
        if self.in_flight is None:
            self.group = None
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
        if self.mapping.polling and self.group is None and self._timer is None:
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
        if not mapping.polling or self.group is not None or self.finished:
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
        self._build(min(buffered, batch_size))
        self._invoke()

    def _drop_trimmed(self) -> None:
        """Records trimmed by retention before they were settled are lost to expiry."""
        trim = self.shard.trim_index
        if trim > self.position:
            self.mapping._lose(self, self.position, trim)
            self.position = trim
            if self.read_end < trim:
                self.read_end = trim

    def _build(self, count: int) -> None:
        if _takes_batch_view(self.mapping.function):
            self._build_fast(count)
            return
        shard = self.shard
        start = self.position
        group = _Group(start)
        builder = self._builder
        records: list[dict[str, Any]] = []
        seqs: list[str] = []
        arrivals: list[int] = []
        sizes = group.sizes
        group.records, group.seqs, group.arrivals = records, seqs, arrivals
        total = envelope_size(0, 0)
        separator = 0
        for i in range(start, start + count):
            seq = shard.sequence_number(i)
            arrival_ms = shard.arrival_ms(i)
            record, size = builder.record(shard.partition_key(i), seq, shard.data(i), arrival_ms)
            if records and total + separator + size > PAYLOAD_LIMIT_BYTES:
                break
            total += separator + size
            separator = 2
            records.append(record)
            sizes.append(size)
            seqs.append(seq)
            arrivals.append(arrival_ms)
        group.hi = len(records)
        self.group = group
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

    def _build_fast(self, count: int) -> None:
        """:meth:`_build` without event records: the what-if fast path.

        NOTE: a duration-model handler never reads the event, so the batch is cut from the
        shard's columns (four C-level slices), its JSON size computed arithmetically
        (:func:`~kinesim._esm.batch.record_sizes`) and its sequence numbers and records made
        only if something asks (a failure record, a partial-failure response). Same batches,
        same sizes, same outcomes as :meth:`_build`: a test compares the two paths.
        """
        shard = self.shard
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
        group = _Group(start)
        group.columns = columns
        group.sizes = sizes
        group.arrivals = arrivals
        group.seqs = LazySequence(columns, 0, k, Columns.sequence_number)
        group.records = LazySequence(columns, 0, k, Columns.record, materialize=True)
        group.hi = k
        self.group = group
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

    # -- invoking -----------------------------------------------------------------------------

    def _invoke(self) -> None:
        self._timer = None
        group = self.group
        mapping = self.mapping
        if group is None:
            return
        if not mapping.polling:
            self.group = None
            self.read_end = self.position
            return
        sim = mapping.sim
        now_ms = sim.now_ms
        # Records trimmed while the batch waited are lost; they are at the front.
        trim = self.shard.trim_index
        if trim > group.start + group.lo:
            lost_hi = min(group.hi, trim - group.start)
            mapping._lose(self, group.start + group.lo, group.start + lost_hi)
            self.position = group.start + lost_hi
            group.lo = lost_hi
        max_age_ms = mapping.settings.max_record_age_ms
        if max_age_ms >= 0 and group.lo < group.hi:
            oldest_allowed = now_ms - max_age_ms
            arrivals = group.arrivals
            k = group.lo
            while k < group.hi and arrivals[k] < oldest_allowed:
                k += 1
            if k > group.lo:
                self._discard(destinations.RECORD_AGE_EXCEEDED, group.lo, k, with_response=False)
                group.lo = k
        if group.lo >= group.hi:
            self._next_range()
            return
        lo, hi = group.lo, group.hi
        size = envelope_size(hi - lo, sum(group.sizes[lo:hi]))
        function = mapping.function
        payload: Any
        if group.columns is not None:
            payload = BatchView(self.shard.shard_id, group.columns, lo, hi)
        else:
            payload = {"Records": group.records[lo:hi]}
        try:
            invocation = function.start_invocation(payload, self._on_complete, payload_size=size)
        except (TooManyRequestsException, ResourceNotFoundException) as exc:
            # Before invocation: retried until the records expire or pass the maximum age;
            # never counted as a retry attempt [B4].
            self.throttle_streak += 1
            delay_ms = mapping.backoff.delay_ms(self.throttle_streak, mapping.rng)
            self._stall(f"throttled ({exc.code}: {exc.message})")
            mapping._throttled(self, exc)
            if sim.trace.wants("esm.retry"):
                sim.trace.emit(
                    "esm.retry",
                    uuid=mapping.uuid,
                    shard=self.shard.shard_id,
                    cause=exc.code,
                    delay_ms=delay_ms,
                    attempt=group.invocations,
                )
            self._timer = sim.call_later_ms(delay_ms, self._invoke)
            return
        except RequestTooLargeException:  # pragma: no cover - the 6 MiB cut prevents it
            raise
        self.throttle_streak = 0
        self.in_flight = invocation
        group.invocations += 1
        group.last_request_id = invocation.request_id
        first = group.start + lo
        mapping.ledger.delivered(
            self.shard.shard_id, first, first + hi - lo, group.reason, now_ms, invocation.request_id
        )
        if sim.trace.wants("esm.invoke"):
            sim.trace.emit(
                "esm.invoke",
                uuid=mapping.uuid,
                shard=self.shard.shard_id,
                request_id=invocation.request_id,
                first=group.seqs[lo],
                count=hi - lo,
                reason=group.reason,
                attempt=group.invocations,
                payload_bytes=size,
            )

    def _on_complete(self, invocation: Invocation) -> None:
        self.in_flight = None
        group = self.group
        mapping = self.mapping
        assert group is not None, "an invocation completed with no batch"
        sim = mapping.sim
        now_ms = sim.now_ms
        lo, hi = group.lo, group.hi
        mapping._iterator_age.add(now_ms, now_ms - group.arrivals[hi - 1])
        outcome = classify(
            invocation.function_error,
            invocation.response,
            group.seqs[lo:hi],
            mapping.settings.report_batch_item_failures,
        )
        if outcome.kind == "partial" and outcome.retry_from == 0:
            outcome = type(outcome)(
                "failure", reason="the first record of the batch failed", function_error=None
            )
        if sim.trace.wants("esm.result"):
            sim.trace.emit(
                "esm.result",
                uuid=mapping.uuid,
                shard=self.shard.shard_id,
                request_id=invocation.request_id,
                outcome=outcome.kind,
                reason=outcome.reason,
                retry_from=outcome.retry_from,
            )
        if outcome.kind == "success":
            mapping.last_processing_result = "OK"
            self.failure_streak = 0
            self._settle(lo, hi, "succeeded")
            self._next_range()
            return
        mapping.last_processing_result = "PROBLEM: Function call failed"
        group.last_function_error = outcome.function_error
        self.failure_streak += 1
        self._stall(
            f"retrying a failing batch ({outcome.reason}; "
            f"{group.invocations} invocation(s) of this batch so far)"
        )
        if outcome.kind == "partial":
            split = lo + outcome.retry_from
            self._settle(lo, split, "succeeded")
            group.lo = split
            group.invocations = 0
            group.reason = "partial-failure"
            self._retry("partial-failure")
            return
        step = next_step(
            size=hi - lo,
            invocations=group.invocations,
            max_retry_attempts=mapping.settings.max_retry_attempts,
            bisect_on_error=mapping.settings.bisect_on_error,
        )
        if step == "give_up":
            self._discard(destinations.RETRY_ATTEMPTS_EXHAUSTED, lo, hi, with_response=True)
            self.failure_streak = 0
            self._next_range()
        elif step == "bisect":
            mid = lo + bisect_point(hi - lo)
            group.pending.insert(0, (mid, hi))
            group.hi = mid
            group.invocations = 0
            group.reason = "bisect"
            if sim.trace.wants("esm.bisect"):
                sim.trace.emit(
                    "esm.bisect",
                    uuid=mapping.uuid,
                    shard=self.shard.shard_id,
                    first=group.seqs[lo],
                    left=mid - lo,
                    right=hi - mid,
                )
            self._retry("bisect")
        else:
            group.reason = "retry"
            self._retry("retry")

    def _retry(self, cause: str) -> None:
        mapping = self.mapping
        if not mapping.polling:
            self.group = None
            self.read_end = self.position
            return
        delay_ms = mapping.backoff.delay_ms(self.failure_streak, mapping.rng)
        sim = mapping.sim
        if sim.trace.wants("esm.retry"):
            group = self.group
            assert group is not None
            sim.trace.emit(
                "esm.retry",
                uuid=mapping.uuid,
                shard=self.shard.shard_id,
                cause=cause,
                delay_ms=delay_ms,
                attempt=group.invocations,
            )
        self._timer = sim.call_later_ms(delay_ms, self._invoke)

    def _next_range(self) -> None:
        """The current range is settled: go on with the next one, or with the stream."""
        group = self.group
        assert group is not None
        mapping = self.mapping
        if group.pending:
            group.lo, group.hi = group.pending.pop(0)
            group.invocations = 0
            group.reason = "bisect"
            self._invoke()
            return
        self.group = None
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

    # -- settling -----------------------------------------------------------------------------

    def _settle(self, lo: int, hi: int, kind: str) -> None:
        if hi <= lo:
            return
        group = self.group
        assert group is not None
        mapping = self.mapping
        start, end = group.start + lo, group.start + hi
        mapping.ledger.settle(self.shard.shard_id, start, end, kind, mapping.sim.now_ms)
        if end > self.position:
            self.position = end
        if mapping.sim.trace.wants("esm.checkpoint"):
            mapping.sim.trace.emit(
                "esm.checkpoint",
                uuid=mapping.uuid,
                shard=self.shard.shard_id,
                sequence_number=group.seqs[hi - 1],
                fate=kind,
                count=hi - lo,
            )

    def _discard(self, condition: str, lo: int, hi: int, *, with_response: bool) -> None:
        """Give up records ``[lo, hi)`` of the group: the on-failure record, then move on."""
        group = self.group
        assert group is not None
        mapping = self.mapping
        invoke_count = group.invocations if with_response else group.invocations + 1
        mapping._send_failure(
            self,
            condition=condition,
            request_id=group.last_request_id,
            invoke_count=invoke_count,
            function_error=group.last_function_error,
            with_response=with_response,
            records=list(group.records[lo:hi]),
            seqs=(group.seqs[lo], group.seqs[hi - 1]),
            arrivals=(group.arrivals[lo], group.arrivals[hi - 1]),
        )
        self._settle(lo, hi, condition)

    def _stall(self, reason: str) -> None:
        if self.stalled_since_ms is None:
            self.stalled_since_ms = self.mapping.sim.now_ms
        self.stall_reason = reason

    # -- status -------------------------------------------------------------------------------

    @property
    def caught_up(self) -> bool:
        """Nothing in flight or waiting, and every record of the shard settled."""
        return (
            self.group is None
            and self.in_flight is None
            and (self.finished or self.position >= self.shard.end_index)
        )

    def describe_stuck(self) -> str:
        shard = self.shard
        pending = shard.end_index - self.position
        first = ""
        if pending > 0 and self.position >= shard.trim_index:
            first = f" from {shard.sequence_number(self.position)}"
        since = self.stalled_since_ms
        when = "" if since is None else f" since {destinations.iso_ms(since)}"
        if self.in_flight is not None:
            why = f"an invocation is in flight (request {self.in_flight.request_id})"
        elif self.stall_reason:
            why = self.stall_reason
        else:
            why = "behind: records remain to be read"
        return f"{shard.shard_id}: {pending} record(s){first} unsettled{when}: {why}"

    def _check(self) -> None:
        assert self.position <= self.read_end or self.group is not None, "read cursor behind"
        ledger_checkpoint = self.mapping.ledger.checkpoint(self.shard.shard_id)
        assert ledger_checkpoint == self.position, (
            f"{self.shard.shard_id}: checkpoint {self.position} but the ledger settled up to "
            f"{ledger_checkpoint}"
        )
        group = self.group
        if group is not None:
            assert group.start + group.lo == self.position, "batch does not start at checkpoint"
            assert group.lo < group.hi or self.in_flight is None, "empty batch in flight"
