"""A Lambda function: configuration, execution environments, and invocations in virtual time.

An invocation (:meth:`Function.start_invocation`) either takes a concurrency slot or raises
``TooManyRequestsException`` at once (throttled, never queued). When it gets a slot the handler
runs synchronously *now* (virtual time t) and its completion is scheduled at
``t + init (cold only) + duration``, where the invoke phase is capped by the timeout: a handler
that would run longer ends with ``Sandbox.Timedout`` at ``t + init + timeout``. The slot (and the
execution environment) is held until then.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kinesim._core.scheduler import seconds_to_ms
from kinesim._errors import KinesimTypeError, RequestTooLargeException, ResourceNotFoundException
from kinesim._lambda.concurrency import PeakPerMinute
from kinesim._lambda.context import LambdaContext, spend_ms
from kinesim._lambda.durations import DurationModel
from kinesim._lambda.runtime import (
    MAX_RESPONSE_BYTES,
    NONE_OUTCOME,
    error_log_lines,
    run_handler,
    to_json,
)

if TYPE_CHECKING:
    from kinesim._lambda.service import LambdaService

__all__ = ["MAX_REQUEST_BYTES", "Function", "Invocation", "wait_for_end"]

#: Invocations a function's log keeps by default (the latest; counts cover every one).
INVOCATION_LOG_LIMIT = 10_000
#: Largest synchronous Invoke request payload, in bytes (6 MiB; AWS's message names 6291456).
MAX_REQUEST_BYTES = 6_291_456

NS = "AWS/Lambda"


@dataclass(frozen=True, slots=True, eq=False)
class Invocation:
    """One invocation that got a concurrency slot: what happened and when (epoch ms).

    ``response`` is the handler's return value on success, or the runtime's error document
    (``errorType``, ``errorMessage``, ...) when ``function_error`` is ``"Unhandled"``.
    """

    request_id: str
    function: Function
    start_ms: int
    end_ms: int
    init_ms: int
    cold: bool
    function_error: str | None
    response: Any
    error_type: str | None
    billed_duration_ms: int
    logs: tuple[str, ...]
    log_stream_name: str
    payload_size: int
    status_code: int = 200

    @property
    def duration_ms(self) -> int:
        """The invoke phase (the ``Duration`` metric): end minus start, minus init."""
        return self.end_ms - self.start_ms - self.init_ms

    @property
    def outcome(self) -> str:
        """``"success"``, ``"timeout"`` or ``"error"``."""
        if self.function_error is None:
            return "success"
        return "timeout" if self.error_type == "Sandbox.Timedout" else "error"

    @property
    def ok(self) -> bool:
        return self.function_error is None

    def invoke_response(self) -> dict[str, Any]:
        """The synchronous Invoke response as boto3 returns it (``Payload`` as bytes)."""
        response: dict[str, Any] = {"StatusCode": self.status_code}
        if self.function_error is not None:
            response["FunctionError"] = self.function_error
        response["ExecutedVersion"] = "$LATEST"
        body = self.response
        response["Payload"] = body if isinstance(body, bytes) else to_json(body).encode()
        return response

    def log_row(self) -> dict[str, Any]:
        """The invocation log entry: one flat, JSON-friendly row for reports."""
        return {
            "request_id": self.request_id,
            "function": self.function.name,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "cold": self.cold,
            "init_ms": self.init_ms,
            "duration_ms": self.duration_ms,
            "billed_duration_ms": self.billed_duration_ms,
            "outcome": self.outcome,
            "error_type": self.error_type,
        }

    def cloudwatch_lines(self) -> list[str]:
        """The invocation's log events as CloudWatch Logs shows them: START, the handler's
        output, END and REPORT."""
        rid = self.request_id
        report = (
            f"REPORT RequestId: {rid}\tDuration: {self.duration_ms:.2f} ms\t"
            f"Billed Duration: {self.billed_duration_ms} ms\t"
            f"Memory Size: {self.function.memory_mb} MB"
        )
        if self.cold:
            report += f"\tInit Duration: {self.init_ms:.2f} ms"
        if self.error_type == "Sandbox.Timedout":
            report += "\tStatus: timeout"
        return [
            f"START RequestId: {rid} Version: $LATEST",
            *self.logs,
            f"END RequestId: {rid}",
            report,
        ]

    def __repr__(self) -> str:
        return (
            f"<Invocation {self.function.name} {self.request_id} {self.outcome} "
            f"{self.start_ms}..{self.end_ms} ms{' cold' if self.cold else ''}>"
        )


class _Environment:
    """One execution environment (a warm sandbox that handles one invocation at a time)."""

    __slots__ = ("generation", "idle_since_ms", "log_stream_name")

    def __init__(self, log_stream_name: str, generation: int) -> None:
        self.log_stream_name = log_stream_name
        self.generation = generation
        self.idle_since_ms = 0


class Function:
    """A Lambda function. Create it with ``sim.lambda_.create_function``."""

    def __init__(
        self,
        service: LambdaService,
        *,
        name: str,
        handler: Callable[[Any, Any], Any] | None,
        handler_name: str | None,
        timeout: int,
        memory_mb: int,
        duration: DurationModel,
        cold_start: DurationModel,
        role: str,
        keep_invocations: bool = True,
    ) -> None:
        sim = service._sim
        self._service = service
        self._sim = sim
        self.name = name
        self.arn = f"arn:aws:lambda:{sim.region}:{sim.account_id}:function:{name}"
        self.handler = handler
        self.handler_name = handler_name
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.duration = duration
        self.cold_start = cold_start
        self.role = role
        #: Managed policies known to be on the role: the default role carries
        #: AWSLambdaKinesisExecutionRole; kinesim does not model IAM beyond that.
        self.role_policies: tuple[str, ...] = ()
        #: The Runtime given at creation (a deployment package's), None for a Python callable.
        self.runtime: str | None = None
        self.reserved_concurrency: int | None = None
        self.deleted = False
        #: The invocation log: the latest invocations that got a slot, in start order. It
        #: keeps the last ``invocation_log_limit`` (default 10,000; None keeps every one),
        #: trimmed in steps so it holds up to a tenth more between trims; ``invocation_count``
        #: and ``outcome_counts`` count every invocation, logged or not. Set
        #: ``keep_invocations`` False for long what-if runs that only need metrics.
        self.invocations: list[Invocation] = []
        self.keep_invocations = keep_invocations
        self.invocation_log_limit: int | None = INVOCATION_LOG_LIMIT
        #: Invocations that got a slot, ever.
        self.invocation_count = 0
        #: Invocations per outcome ("success", "error", ...), ever.
        self.outcome_counts: dict[str, int] = {}
        self._in_flight = 0
        # Idle environments, most recently used last; the front is the next to expire.
        self._idle: deque[_Environment] = deque()
        self._environments = 0  # idle + busy
        self._generation = 0
        self._rng_duration = sim.random(f"lambda.{name}.duration")
        self._rng_init = sim.random(f"lambda.{name}.init")
        self._rng_request = sim.random(f"lambda.{name}.request_id")
        self._rng_stream = sim.random(f"lambda.{name}.log_stream")
        self._keep_alive_ms = seconds_to_ms(sim.timings.lambda_keep_alive_s)
        limits = sim.limits
        self._scale_window_ms = max(1, seconds_to_ms(limits.lambda_scaling_window_s))
        self._scale_rate = limits.lambda_scaling_rate
        self._scale_tokens = self._scale_rate * self._scale_window_ms  # full bucket
        self._scale_at_ms = sim.now_ms
        dims = {"FunctionName": name}
        metrics = sim.metrics
        self._m_invocations = metrics.handle(NS, "Invocations", dims, "Count")
        self._m_errors = metrics.handle(NS, "Errors", dims, "Count")
        self._m_throttles = metrics.handle(NS, "Throttles", dims, "Count")
        self._m_duration = metrics.handle(NS, "Duration", dims, "Milliseconds")
        self._m_concurrent = PeakPerMinute(
            metrics.handle(NS, "ConcurrentExecutions", dims, "Count")
        )

    # -- reading --------------------------------------------------------------------------------

    @property
    def timeout_ms(self) -> int:
        return self.timeout * 1000

    @property
    def in_flight(self) -> int:
        """Invocations running now (this function's concurrent executions)."""
        return self._in_flight

    @property
    def warm_environments(self) -> int:
        """Idle execution environments that the next invocation could reuse."""
        self._reclaim_expired(self._sim.now_ms)
        return len(self._idle)

    @property
    def environments(self) -> int:
        """Execution environments alive now, busy or idle."""
        self._reclaim_expired(self._sim.now_ms)
        return self._environments

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.name}"

    def log_lines(self) -> list[str]:
        """Every invocation's CloudWatch Logs lines, in start order."""
        return [line for inv in self.invocations for line in inv.cloudwatch_lines()]

    def __repr__(self) -> str:
        return f"<Function {self.name} in_flight={self._in_flight}>"

    # -- invoking -------------------------------------------------------------------------------

    def invoke(self, payload: Any = None, **kwargs: Any) -> Invocation:
        """Invoke synchronously (RequestResponse) with no completion callback; the returned
        invocation already holds the result, observed at ``end_ms``."""
        return self.start_invocation(payload, None, **kwargs)

    def start_invocation(
        self,
        payload: Any,
        on_complete: Callable[[Invocation], object] | None,
        *,
        payload_size: int | None = None,
        client_context: dict[str, Any] | None = None,
    ) -> Invocation:
        """Take a concurrency slot and run the handler now; ``on_complete(invocation)`` is
        called through the scheduler when the invocation ends.

        Raises ``TooManyRequestsException`` (throttled, nothing ran), ``RequestTooLargeException``
        for a request over 6 MB, ``ResourceNotFoundException`` if the function was deleted.
        """
        sim = self._sim
        if self.deleted:
            raise ResourceNotFoundException(
                f"Function not found: {self.arn}", http_status=404, Type="User"
            )
        if payload_size is None:
            try:
                payload_size = len(to_json(payload).encode())
            except (TypeError, ValueError) as exc:
                raise KinesimTypeError(
                    f"the payload of {self.name!r} must be JSON-serialisable, as Invoke's is: {exc}"
                ) from exc
        if payload_size > MAX_REQUEST_BYTES:
            raise RequestTooLargeException(
                f"Request must be smaller than {MAX_REQUEST_BYTES} bytes for the "
                "InvokeFunction operation",
                Type="User",
            )
        service = self._service
        service._check_concurrency(self)  # raises TooManyRequestsException
        now_ms = sim.now_ms
        env = self._take_environment(now_ms)  # may raise (scaling rate)
        cold = env is None
        if env is None:
            env = self._new_environment(now_ms)
        service._acquire(self)
        try:
            invocation = self._run(payload, payload_size, env, cold, now_ms, client_context)
            # May refuse an end beyond the latest representable time (a cold start of ages).
            sim.call_at_ms(invocation.end_ms, self._finish, invocation, env, on_complete)
        except BaseException:
            # A duration model returning nonsense, or a handler raising SystemExit: kinesim
            # misuse that propagates; give the slot back so the simulator stays consistent.
            self._environments -= 1
            service._release(self)
            raise
        self.invocation_count += 1
        outcome = invocation.outcome
        self.outcome_counts[outcome] = self.outcome_counts.get(outcome, 0) + 1
        if self.keep_invocations:
            self._log(invocation)
        return invocation

    def _log(self, invocation: Invocation) -> None:
        log = self.invocations
        log.append(invocation)
        limit = self.invocation_log_limit
        # NOTE: trimming a tenth at a time keeps the deletion (a memmove of the list) amortised
        # O(1) per invocation instead of O(limit).
        if limit is not None and len(log) > limit + max(1, limit // 10):
            del log[: len(log) - limit]

    def _run(
        self,
        payload: Any,
        payload_size: int,
        env: _Environment,
        cold: bool,
        now_ms: int,
        client_context: dict[str, Any] | None,
    ) -> Invocation:
        sim = self._sim

        request_id = str(uuid.UUID(int=self._rng_request.getrandbits(128), version=4))
        timeout_ms = self.timeout_ms
        context = LambdaContext(
            aws_request_id=request_id,
            function_name=self.name,
            invoked_function_arn=self.arn,
            memory_mb=self.memory_mb,
            timeout_ms=timeout_ms,
            log_stream_name=env.log_stream_name,
            client_context=client_context,
        )
        init_ms = (
            seconds_to_ms(self.cold_start.sample(self._rng_init, payload, context)) if cold else 0
        )
        handler_start_ms = now_ms + init_ms
        if sim.trace.wants("lambda.invoke"):
            sim.trace.emit(
                "lambda.invoke",
                function=self.name,
                request_id=request_id,
                cold=cold,
                init_ms=init_ms,
                payload_size=payload_size,
            )

        def clock_ms() -> int:
            return handler_start_ms + context._spent_ms

        handler = self.handler
        if handler is None:
            outcome = NONE_OUTCOME
        else:
            with sim.holding_clock():  # advancing the clock from the handler is refused
                outcome = run_handler(handler, payload, context, clock_ms)
        response = outcome.response
        error_type = outcome.error_type
        logs = outcome.logs
        if outcome.timed_out:
            run_ms = timeout_ms
        else:
            run_ms = context._spent_ms + seconds_to_ms(
                self.duration.sample(self._rng_duration, payload, context)
            )
            if run_ms >= timeout_ms:
                run_ms = timeout_ms
                error_type = "Sandbox.Timedout"
        if error_type == "Sandbox.Timedout":
            stamp = _iso_ms(handler_start_ms + timeout_ms)
            message = f"Task timed out after {self.timeout:.2f} seconds"
            logs = (*logs, f"{stamp} {request_id} {message}")
            response = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: {message}",
            }
        elif error_type is not None:
            logs = (*logs, error_log_lines(response))
        elif outcome.response_bytes > MAX_RESPONSE_BYTES:
            error_type = "Function.ResponseSizeTooLarge"
            response = {
                "errorMessage": "Response payload size exceeded maximum allowed payload "
                f"size ({MAX_RESPONSE_BYTES} bytes).",
                "errorType": error_type,
            }
        end_ms = handler_start_ms + run_ms
        return Invocation(
            request_id=request_id,
            function=self,
            start_ms=now_ms,
            end_ms=end_ms,
            init_ms=init_ms,
            cold=cold,
            function_error=None if error_type is None else "Unhandled",
            response=response,
            error_type=error_type,
            # NOTE: billed in 1-ms steps (AWS since Dec 2020), init included (AWS since Aug 2025).
            billed_duration_ms=max(1, run_ms + init_ms),
            logs=logs,
            log_stream_name=env.log_stream_name,
            payload_size=payload_size,
        )

    def _finish(
        self,
        invocation: Invocation,
        env: _Environment,
        on_complete: Callable[[Invocation], object] | None,
    ) -> None:
        sim = self._sim
        self._release_environment(env)
        self._service._release(self)
        now_ms = sim.now_ms
        failed = invocation.function_error is not None
        self._m_invocations.add(now_ms, 1)
        self._m_errors.add(now_ms, 1 if failed else 0)
        self._m_duration.add(now_ms, invocation.duration_ms)
        self._service._count_result(now_ms, failed, invocation.duration_ms)
        if sim.trace.wants("lambda.result"):
            sim.trace.emit(
                "lambda.result",
                function=self.name,
                request_id=invocation.request_id,
                outcome=invocation.outcome,
                error_type=invocation.error_type,
                duration_ms=invocation.duration_ms,
                billed_duration_ms=invocation.billed_duration_ms,
            )
        if on_complete is not None:
            on_complete(invocation)

    # -- execution environments -----------------------------------------------------------------

    def _take_environment(self, now_ms: int) -> _Environment | None:
        """A warm environment to reuse (most recently used first), or None after checking that
        the scaling rate allows a new one (raises TooManyRequestsException if not)."""
        self._reclaim_expired(now_ms)
        if self._idle:
            return self._idle.pop()
        self._refill_scaling(now_ms)
        if self._scale_tokens < self._scale_window_ms:
            self._service._throttle(self, "ConcurrentInvocationLimitExceeded")
        self._scale_tokens -= self._scale_window_ms
        return None

    def _refill_scaling(self, now_ms: int) -> None:
        capacity = self._scale_rate * self._scale_window_ms
        self._scale_tokens = min(
            capacity, self._scale_tokens + (now_ms - self._scale_at_ms) * self._scale_rate
        )
        self._scale_at_ms = now_ms

    def _new_environment(self, now_ms: int) -> _Environment:
        day = datetime.fromtimestamp(now_ms // 1000, timezone.utc)
        stream = f"{day:%Y/%m/%d}/[$LATEST]{self._rng_stream.getrandbits(128):032x}"
        self._environments += 1
        return _Environment(stream, self._generation)

    def _release_environment(self, env: _Environment) -> None:
        if self.deleted or env.generation != self._generation:
            self._environments -= 1
            return
        env.idle_since_ms = self._sim.now_ms
        self._idle.append(env)

    def _reclaim_expired(self, now_ms: int) -> None:
        # NOTE: reclaiming lazily, when environments are next looked at, instead of a timer per
        # release: a timer would leave one cancelled heap entry per reused environment for the
        # whole keep-alive (600,000 stale entries at 1,000 invocations/s). Observably the same:
        # every read of the environments goes through here first.
        idle = self._idle
        expiry_ms = now_ms - self._keep_alive_ms
        while idle and idle[0].idle_since_ms <= expiry_ms:
            idle.popleft()
            self._environments -= 1

    def _retire_environments(self) -> None:
        """Configuration changed or the function was deleted: no environment is reused."""
        self._generation += 1
        self._environments -= len(self._idle)
        self._idle.clear()

    def _check(self) -> None:
        """Invariants (for stress tests and state machines)."""
        self._reclaim_expired(self._sim.now_ms)
        assert 0 <= self._in_flight <= self._environments
        assert len(self._idle) + self._in_flight == self._environments


def wait_for_end(invocation: Invocation) -> None:
    """Make the caller of a synchronous (RequestResponse) invocation wait for its end, in
    virtual time.

    Called from a Lambda handler (a function invoking another, a common pattern), the wait is the
    caller's own time: the callee's duration (cold start included) is charged to the caller's
    invocation as :func:`kinesim.spend` would, so the caller can time out waiting; the clock does
    not move under the running handler. Called from a scheduled callback, the clock is already
    advancing and cannot be moved: the response is returned at once, the callee keeps its
    concurrency slot until its end. Otherwise the clock advances to the invocation's end,
    running whatever else is due meanwhile.
    """
    if spend_ms(invocation.end_ms - invocation.start_ms):
        return
    sim = invocation.function._sim
    wait_ms = invocation.end_ms - sim.now_ms
    if wait_ms > 0 and not sim.advancing:
        sim.advance_ms(wait_ms)


def _iso_ms(epoch_ms: int) -> str:
    stamp = datetime.fromtimestamp(epoch_ms // 1000, timezone.utc)
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"
