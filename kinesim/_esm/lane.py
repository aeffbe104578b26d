"""A lane: one batch at a time, processed strictly in order — invoke, settle, retry, bisect.

A shard's poller (:mod:`kinesim._esm.poller`) reads records; its dispatcher
(:mod:`kinesim._esm.dispatcher`) queues each read record on a lane and cuts batches from the
lane's queue. ParallelizationFactor N means N lanes per shard, each record assigned to a lane by
its partition key, so a key's records are processed in order by one lane while other keys run
concurrently (N = 1: one lane, the same code). What a lane finishes goes to the shard's
:class:`~kinesim._esm.checkpoint.Checkpoint`, which never passes an unfinished record.

A lane's batch is a *group* of records read together; bisect and partial failures work on
sub-ranges of the group (index ranges into the group's lists), processed strictly in order:

1. **Invoke**: drop records trimmed meanwhile (lost), split records older than
   ``max_record_age`` off the front (``RecordAgeExceeded``), then ``fn.start_invocation``. An
   error before invocation (throttle, deleted function, an event over 6 MiB) is retried after the
   backoff and consumes no attempt.
2. **Settle** on completion, per :mod:`kinesim._esm.retry`: success moves the checkpoint past
   the range; a partial failure moves it to the lowest reported record and the rest becomes a new
   range; a failure retries, bisects or gives up (on-failure destination).
3. When the group is done the lane tells its poller, which reads on.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    RequestTooLargeException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from kinesim._esm import destinations
from kinesim._esm.batch import BatchView, Columns, LazySequence, envelope_size
from kinesim._esm.retry import Outcome, bisect_point, classify, next_step

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._esm.poller import ShardPoller
    from kinesim._lambda.function import Invocation

__all__ = ["Group", "Lane"]


class Group:
    """A batch (its :class:`~kinesim._esm.batch.Columns`) and the ranges of it still to
    process, in order."""

    __slots__ = (
        "arrivals",
        "columns",
        "hi",
        "invocations",
        "last_function_error",
        "last_request_id",
        "lo",
        "pending",
        "positions",
        "reason",
        "seqs",
        "sizes",
    )

    def __init__(self, columns: Columns, sizes: list[int]) -> None:
        self.columns = columns
        # Shard position of each index: a range, or the lane's (or the filters') records.
        self.positions: Sequence[int] = columns.positions
        self.sizes = sizes
        self.seqs: Sequence[str] = LazySequence(columns, 0, len(columns), Columns.sequence_number)
        self.arrivals = columns.arrivals
        # The range being processed, [lo, hi) indices, and its invocation count so far.
        self.lo = 0
        self.hi = len(columns)
        self.invocations = 0
        self.reason = "first"
        self.pending: list[tuple[int, int]] = []  # later ranges (bisect second halves)
        self.last_request_id = ""
        self.last_function_error: str | None = None


class Lane:
    """Processes one group at a time for its poller. See the module docstring."""

    __slots__ = (
        "_head",
        "_outstanding",
        "_queue",
        "_starting",
        "_timer",
        "failure_streak",
        "group",
        "in_flight",
        "index",
        "poller",
        "stall_reason",
        "stalled_since_ms",
        "throttle_streak",
        "window_start_ms",
    )

    def __init__(self, poller: ShardPoller, index: int = 0) -> None:
        self.poller = poller
        self.index = index
        # Positions read and assigned to this lane, not yet in a batch: _queue[_head:].
        self._queue: list[int] = []
        self._head = 0
        self.window_start_ms = poller.mapping.sim.now_ms  # the lane's batching window
        self.group: Group | None = None
        self.in_flight: Invocation | None = None
        self._outstanding = 0  # invocations started and not completed: at most one
        self._starting = False  # inside start_invocation (the handler is running)
        self._timer: Handle | None = None
        self.failure_streak = 0
        self.throttle_streak = 0
        self.stalled_since_ms: int | None = None
        self.stall_reason = ""

    @property
    def idle(self) -> bool:
        return self.group is None

    @property
    def failing(self) -> bool:
        """Retrying a batch after a function error (what ``parallel_failure_policy`` is about)."""
        return self.group is not None and self.failure_streak > 0

    # -- the queue of read records ------------------------------------------------------------

    @property
    def queued(self) -> int:
        return len(self._queue) - self._head

    def queue(self, positions: Sequence[int]) -> None:
        self._queue.extend(positions)

    def first_queued(self) -> int:
        return self._queue[self._head]

    def take(self, count: int) -> Sequence[int]:
        """The first ``count`` queued positions (a ``range`` when contiguous), dequeued."""
        head = self._head
        taken = self._queue[head : head + count]
        self._head = head + len(taken)
        if self._head >= len(self._queue):
            self._queue.clear()
            self._head = 0
        if taken and taken[-1] - taken[0] == len(taken) - 1:
            return range(taken[0], taken[-1] + 1)
        return taken

    def put_back(self, positions: Sequence[int]) -> None:
        """Positions taken and not used (cut off by 6 MiB) go back to the front."""
        self._queue[self._head : self._head] = positions

    def drop_queued(self, keep: Any) -> None:
        """Forget queued positions for which ``keep(position)`` is false, from the front."""
        queue, head = self._queue, self._head
        while head < len(queue) and not keep(queue[head]):
            head += 1
        self._head = head
        if head >= len(queue):
            queue.clear()
            self._head = 0

    def clear_queue(self) -> None:
        self._queue.clear()
        self._head = 0

    def queued_positions(self) -> list[int]:
        return self._queue[self._head :]

    def begin(self, group: Group) -> None:
        """Process ``group``, a batch cut from this lane's queue."""
        self.group = group
        self._invoke()

    def stop(self) -> None:
        """Drop the group unless an invocation is in flight (that one completes and settles)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.in_flight is None and not self._starting:
            self.group = None

    # -- invoking -----------------------------------------------------------------------------

    def _invoke(self) -> None:
        self._timer = None
        group = self.group
        poller = self.poller
        mapping = poller.mapping
        if group is None:
            return
        if not mapping.polling:
            self._abandon()
            return
        sim = mapping.sim
        now_ms = sim.now_ms
        # Records trimmed while the batch waited are lost (the checkpoint settles them as
        # expired); they are at the front.
        trim = poller.shard.trim_index
        positions = group.positions
        if group.lo < group.hi and trim > positions[group.lo]:
            poller.checkpoint.lose_before(trim)
            group.lo = bisect_left(positions, trim, group.lo, group.hi)
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
        payload: Any
        if poller.takes_batch_view():
            payload = BatchView(poller.shard.shard_id, group.columns, lo, hi)
        else:
            payload = {"Records": group.columns.records(lo, hi)}
            if poller.window is not None:
                size += poller.window.decorate(payload)
        # The handler runs inside start_invocation: it may stop its own mapping (stop() then
        # keeps this batch, as it would an invocation in flight) or raise a BaseException.
        self._starting = True
        try:
            invocation = mapping.function.start_invocation(
                payload, self._on_complete, payload_size=size
            )
        except (
            TooManyRequestsException,
            ResourceNotFoundException,
            RequestTooLargeException,
        ) as exc:
            # Before invocation (throttled, function deleted, or a single record whose event
            # alone passes 6 MiB): retried until the records expire or pass the maximum age;
            # never counted as a retry attempt [B4].
            self.throttle_streak += 1
            delay_ms = mapping.backoff.delay_ms(self.throttle_streak, mapping.rng)
            self._stall(f"not invoked ({exc.code}: {exc.message})")
            mapping._throttled(poller, exc)
            self._trace_retry(exc.code, delay_ms)
            self._timer = sim.call_later_ms(delay_ms, self._invoke)
            return
        except BaseException as exc:
            # KeyboardInterrupt, SystemExit, GeneratorExit from the handler (or kinesim misuse
            # in a duration model): it propagates to the caller of advance/drain, and the batch
            # is left as after a failed invocation, retried after the backoff, so the next
            # advance or drain goes on delivering.
            group.invocations += 1
            group.reason = "retry"
            self.failure_streak += 1
            self._stall(f"the handler raised {type(exc).__name__}; retrying the batch")
            self._retry(type(exc).__name__)
            raise
        finally:
            self._starting = False
        self.throttle_streak = 0
        self.in_flight = invocation
        self._outstanding += 1
        group.invocations += 1
        group.last_request_id = invocation.request_id
        if mapping.iterator_age_at == "invoke":
            mapping._iterator_age.add(now_ms, now_ms - group.arrivals[hi - 1])
        shard_id = poller.shard.shard_id
        positions = group.positions
        if isinstance(positions, range):
            mapping.ledger.delivered(
                shard_id,
                positions[lo],
                positions[hi - 1] + 1,
                group.reason,
                now_ms,
                invocation.request_id,
            )
        else:
            mapping.ledger.delivered_at(
                shard_id, tuple(positions[lo:hi]), group.reason, now_ms, invocation.request_id
            )
        if sim.trace.wants("esm.invoke"):
            sim.trace.emit(
                "esm.invoke",
                uuid=mapping.uuid,
                shard=shard_id,
                request_id=invocation.request_id,
                first=group.seqs[lo],
                count=hi - lo,
                reason=group.reason,
                attempt=group.invocations,
                payload_bytes=size,
            )

    def _on_complete(self, invocation: Invocation) -> None:
        assert invocation is self.in_flight, "a completion for an invocation not in flight"
        self.in_flight = None
        self._outstanding -= 1
        group = self.group
        assert group is not None, "an invocation completed with no batch"
        mapping = self.poller.mapping
        sim = mapping.sim
        now_ms = sim.now_ms
        lo, hi = group.lo, group.hi
        if mapping.iterator_age_at == "batch_end":
            mapping._iterator_age.add(now_ms, now_ms - group.arrivals[hi - 1])
        outcome = classify(
            invocation.function_error,
            invocation.response,
            group.seqs[lo:hi],
            mapping.settings.report_batch_item_failures,
        )
        if self.poller.window is not None:
            # A window response must carry the state; the state flows to the next invocation.
            outcome = self.poller.window.aggregated(invocation, outcome)
        if outcome.kind == "partial" and outcome.retry_from == 0:
            # Nothing before the lowest failure succeeded: a failure of the same range (its
            # count goes on, or the range would never exhaust its attempts).
            outcome = Outcome("failure", reason="the batch's first record was reported failed")
        if sim.trace.wants("esm.result"):
            sim.trace.emit(
                "esm.result",
                uuid=mapping.uuid,
                shard=self.poller.shard.shard_id,
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
                    shard=self.poller.shard.shard_id,
                    first=group.seqs[lo],
                    left=mid - lo,
                    right=hi - mid,
                )
            self._retry("bisect")
        else:
            group.reason = "retry"
            self._retry("retry")

    def _retry(self, cause: str) -> None:
        mapping = self.poller.mapping
        if not mapping.polling:
            self._abandon()
            return
        delay_ms = mapping.backoff.delay_ms(self.failure_streak, mapping.rng)
        self._trace_retry(cause, delay_ms)
        self._timer = mapping.sim.call_later_ms(delay_ms, self._invoke)

    def _trace_retry(self, cause: str, delay_ms: int) -> None:
        mapping = self.poller.mapping
        if mapping.sim.trace.wants("esm.retry"):
            group = self.group
            assert group is not None
            mapping.sim.trace.emit(
                "esm.retry",
                uuid=mapping.uuid,
                shard=self.poller.shard.shard_id,
                cause=cause,
                delay_ms=delay_ms,
                attempt=group.invocations,
            )

    def _next_range(self) -> None:
        """The current range is settled: go on with the next one, or hand back to the poller."""
        group = self.group
        assert group is not None
        if group.pending:
            group.lo, group.hi = group.pending.pop(0)
            group.invocations = 0
            group.reason = "bisect"
            self._invoke()
            return
        self.group = None
        self.stalled_since_ms = None
        self.stall_reason = ""
        self.poller._lane_done(self)

    def _abandon(self) -> None:
        """The mapping stopped polling: forget the group (its records stay unsettled)."""
        self.group = None
        self.stalled_since_ms = None
        self.stall_reason = ""
        self.poller._lane_abandoned(self)

    def _settle(self, lo: int, hi: int, kind: str) -> None:
        if hi > lo:
            group = self.group
            assert group is not None
            self.poller.checkpoint.finish(group.positions[lo:hi], kind)

    def _discard(self, condition: str, lo: int, hi: int, *, with_response: bool) -> None:
        """Give up records ``[lo, hi)`` of the group: the on-failure record, then move on."""
        group = self.group
        assert group is not None
        self.poller.mapping._send_failure(
            self.poller,
            condition=condition,
            request_id=group.last_request_id,
            invoke_count=group.invocations if with_response else group.invocations + 1,
            function_error=group.last_function_error,
            with_response=with_response,
            records=group.columns.records(lo, hi),
            seqs=(group.seqs[lo], group.seqs[hi - 1]),
            arrivals=(group.arrivals[lo], group.arrivals[hi - 1]),
        )
        self._settle(lo, hi, condition)

    def _stall(self, reason: str) -> None:
        if self.stalled_since_ms is None:
            self.stalled_since_ms = self.poller.mapping.sim.now_ms
        self.stall_reason = reason

    def _check(self) -> None:
        assert self._outstanding == (self.in_flight is not None), "more than one batch in flight"
        group = self.group
        if group is None:
            assert self.in_flight is None, "an invocation in flight without a batch"
        elif group.lo < group.hi:
            # The checkpoint is the lowest unfinished record of all lanes: never past this
            # lane's first unsettled record (unless retention trimmed it meanwhile).
            first = group.positions[group.lo]
            assert first >= self.poller.position or first < self.poller.shard.trim_index, (
                "the checkpoint passed a record this lane has not finished"
            )
