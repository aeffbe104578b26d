"""Tumbling windows: per-shard aggregation state carried between invocations [B8].

With ``TumblingWindowInSeconds`` W (1-900), the records of a shard fall into windows aligned on
their arrival time: ``[t - t mod W, t - t mod W + W)`` in epoch milliseconds, so windows start on
multiples of W since the epoch (ASSUMED alignment; AWS says only that boundaries follow arrival).

- A batch never spans two windows (the poller cuts it at the window's end).
- Every invocation of a window gets the event plus ``window {start, end}`` (ISO 8601, seconds,
  ``Z``), ``state`` (the ``state`` the previous invocation of the window returned, ``{}`` at
  first), ``shardId``, ``eventSourceARN``, ``isFinalInvokeForWindow`` and
  ``isWindowTerminatedEarly``. The state travels as JSON: each invocation gets a fresh copy.
- A response without ``state`` is a failed invocation ("If the response does not contain a state
  property, Lambda considers this a failed invocation" [B8]); the retry rules are part 1's.
  ``batchItemFailures`` next to the state is honoured as any partial batch response.
- The **final invocation** (``isFinalInvokeForWindow: true``, ``Records: []``) runs when the
  window is over: before the first record of a later window, when the window's end has passed
  and nothing is left to read, when a state over 1 MB ended the window early
  (``isWindowTerminatedEarly: true``; later records of the same interval start a fresh state), or
  when the shard ends ("When the shard ends, Lambda considers the window closed" [B8]; early if
  before the window's end). Until it succeeds the shard waits ("suspends further processing
  until a successful invocation" [B8]); it is retried like a batch and, after
  ``1 + max_retry_attempts`` failed invocations, given up (traced; it has no records to send).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    RequestTooLargeException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from kinesim._esm.retry import Outcome

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._esm.poller import ShardPoller
    from kinesim._lambda.function import Invocation

__all__ = ["STATE_LIMIT_BYTES", "TumblingWindow", "iso_seconds"]

#: "State max 1 MB per shard; exceeding it terminates the window early" [B8]. Measured as the
#: length of ``json.dumps(state)``; 1 MB read as 1 MiB (ASSUMED, like the 6 MB batch cap).
STATE_LIMIT_BYTES = 1024 * 1024


def iso_seconds(epoch_ms: int) -> str:
    """``2020-12-09T07:04:00Z`` (AWS's window bound format [B8])."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class TumblingWindow:
    """The open window of one shard of one mapping (ParallelizationFactor 1)."""

    __slots__ = (
        "_end_timer",
        "_timer",
        "busy",
        "early",
        "end_ms",
        "in_flight",
        "invocations",
        "poller",
        "start_ms",
        "state_json",
        "terminated_early",
        "throttle_streak",
    )

    def __init__(self, poller: ShardPoller) -> None:
        self.poller = poller
        self.start_ms: int | None = None  # None: no window open
        self.end_ms = 0
        self.state_json = "{}"
        self.terminated_early = False  # the state passed 1 MB: close before anything else
        self.busy = False  # the final invocation is pending
        self.early = False
        self.in_flight: Invocation | None = None
        self.invocations = 0
        self.throttle_streak = 0
        self._timer: Handle | None = None
        self._end_timer: Handle | None = None

    @property
    def open(self) -> bool:
        return self.start_ms is not None

    @property
    def size_ms(self) -> int:
        """The open window's length (fixed when it opened), else the mapping's setting."""
        if self.start_ms is not None:
            return self.end_ms - self.start_ms
        return self.poller.mapping.settings.tumbling_window * 1000

    @property
    def stale(self) -> bool:
        """An update changed the window length: the open window closes (early) first."""
        return self.size_ms != self.poller.mapping.settings.tumbling_window * 1000

    def start_for(self, arrival_ms: int) -> int:
        """The start of the window a record that arrived at ``arrival_ms`` belongs to."""
        return arrival_ms - arrival_ms % self.size_ms

    def cut(self, positions: Sequence[int]) -> int:
        """How many of the records at ``positions`` belong to the first one's window (opening
        that window if none is open)."""
        arrival_ms = self.poller.shard.arrival_ms
        start_ms = self.start_for(arrival_ms(positions[0]))
        if self.start_ms is None:
            self.end_ms = start_ms + self.size_ms
            self.start_ms = start_ms
            self.state_json = "{}"
        end_ms = self.end_ms
        n = 1
        while n < len(positions) and arrival_ms(positions[n]) < end_ms:
            n += 1
        return n

    def _extras(self, *, final: bool) -> dict[str, Any]:
        assert self.start_ms is not None
        return {
            "window": {"start": iso_seconds(self.start_ms), "end": iso_seconds(self.end_ms)},
            "state": json.loads(self.state_json),
            "shardId": self.poller.shard.shard_id,
            "eventSourceARN": self.poller.mapping.stream.arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": self.early if final else False,
        }

    def extra_bytes(self) -> int:
        """What the window's fields add to an aggregation event's JSON (see :meth:`decorate`)."""
        return len(json.dumps(self._extras(final=False)))

    def decorate(self, event: dict[str, Any]) -> int:
        """Add the window fields to an aggregation event; the bytes they add to its JSON."""
        extras = self._extras(final=False)
        event.update(extras)
        # '{"Records": [...]}' grows by ', "window": ...' per key: the dump of the extras
        # without its braces, plus the ", " joining it.
        return len(json.dumps(extras))

    def aggregated(self, invocation: Invocation, outcome: Outcome) -> Outcome:
        """Read the state out of an aggregation invocation's response."""
        if outcome.kind == "failure":
            return outcome
        response = invocation.response
        if not isinstance(response, dict) or "state" not in response:
            return Outcome("failure", reason="the tumbling window response has no state")
        try:
            state_json = json.dumps(response["state"])
        except (TypeError, ValueError):
            return Outcome("failure", reason="the tumbling window state is not JSON")
        self.state_json = state_json
        if len(state_json) > STATE_LIMIT_BYTES:
            self.terminated_early = True
        return outcome

    # -- the final invocation -----------------------------------------------------------------

    def close(self, *, early: bool) -> None:
        """Run the window's final invocation; the poller waits until it is settled."""
        self.busy = True
        self.early = early
        self.invocations = 0
        if self._end_timer is not None:
            self._end_timer.cancel()
            self._end_timer = None
        self._invoke()

    def _invoke(self) -> None:
        self._timer = None
        poller = self.poller
        mapping = poller.mapping
        if not mapping.polling:
            self.busy = False
            return
        event: dict[str, Any] = {"Records": []}
        event.update(self._extras(final=True))
        try:
            invocation = mapping.function.start_invocation(
                event, self._on_complete, payload_size=len(json.dumps(event))
            )
        except (
            TooManyRequestsException,
            ResourceNotFoundException,
            RequestTooLargeException,
        ) as exc:
            self.throttle_streak += 1
            mapping._throttled(poller, exc)
            delay_ms = mapping.backoff.delay_ms(self.throttle_streak, mapping.rng)
            self._timer = mapping.sim.call_later_ms(delay_ms, self._invoke)
            return
        except BaseException:
            # As a batch's (see Lane._invoke): it propagates; the final invocation is retried
            # after the backoff, so the next advance or drain goes on.
            self.invocations += 1
            self._retry_later()
            raise
        self.throttle_streak = 0
        self.in_flight = invocation
        self.invocations += 1
        self._trace("final-invoke", request_id=invocation.request_id)

    def _on_complete(self, invocation: Invocation) -> None:
        assert invocation is self.in_flight, "a final invocation not in flight completed"
        self.in_flight = None
        mapping = self.poller.mapping
        response = invocation.response
        ok = invocation.function_error is None and (
            isinstance(response, dict) and "state" in response
        )
        if ok:
            mapping.last_processing_result = "OK"
            self._trace("closed", request_id=invocation.request_id)
            self._reset()
            return
        mapping.last_processing_result = "PROBLEM: Function call failed"
        limit = mapping.settings.max_retry_attempts
        if limit != -1 and self.invocations >= 1 + limit:
            self._trace("given-up", request_id=invocation.request_id)
            self._reset()
            return
        self._retry_later()

    def _retry_later(self) -> None:
        mapping = self.poller.mapping
        if not mapping.polling:
            self.busy = False  # the window stays open: closed again when polling resumes
            return
        delay_ms = mapping.backoff.delay_ms(self.invocations, mapping.rng)
        self._timer = mapping.sim.call_later_ms(delay_ms, self._invoke)

    def _reset(self) -> None:
        self.start_ms = None
        self.state_json = "{}"
        self.terminated_early = False
        self.busy = False
        self.early = False
        self.poller._window_closed()

    def _trace(self, what: str, **fields: Any) -> None:
        mapping = self.poller.mapping
        if mapping.sim.trace.wants("esm.window"):
            mapping.sim.trace.emit(
                "esm.window",
                uuid=mapping.uuid,
                shard=self.poller.shard.shard_id,
                event=what,
                start_ms=self.start_ms,
                early=self.early,
                attempt=self.invocations,
                **fields,
            )

    # -- timers -------------------------------------------------------------------------------

    def wake_at_end(self) -> None:
        """Have the poller look again when the open window's end has passed."""
        if self._end_timer is None and self.start_ms is not None:
            sim = self.poller.mapping.sim
            self._end_timer = sim.call_at_ms(max(self.end_ms, sim.now_ms), self._end_due)

    def _end_due(self) -> None:
        self._end_timer = None
        self.poller._wake()

    def stop(self) -> None:
        """The mapping stopped: a final invocation in flight completes; nothing else runs."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._end_timer is not None:
            self._end_timer.cancel()
            self._end_timer = None
        if self.in_flight is None:
            self.busy = False
