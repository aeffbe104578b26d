"""``sim.lambda_``: creating and configuring functions, and the account's concurrency pool.

Concurrency follows AWS: the account quota (``sim.limits.account_concurrency``) is shared by all
functions without reserved concurrency; a function with reserved concurrency gets exactly that
many slots, carved out of the shared pool, and reservations must leave at least
``min(sim.limits.lambda_unreserved_minimum, quota)`` unreserved. An invocation over its limit is
throttled with ``TooManyRequestsException`` (``Rate Exceeded.``) and the AWS reason.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from kinesim._errors import (
    InvalidParameterValueException,
    KinesimTypeError,
    KinesimValueError,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
    ValidationException,
)
from kinesim._esm.service import EventSourceMappingMethods
from kinesim._lambda.concurrency import PeakPerMinute
from kinesim._lambda.durations import as_duration_model
from kinesim._lambda.function import NS, Function, Invocation
from kinesim._lambda.package import DeploymentPackage, PackageHandler, check_runtime

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = ["KINESIS_EXECUTION_POLICY", "LambdaService"]

#: The AWS managed policy a default execution role carries (what a Kinesis mapping needs).
KINESIS_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"

_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
_ROLE = re.compile(_ROLE_PATTERN)
_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+)$")

_UNSET: Any = object()


def _validation(value: object, member: str, constraint: str) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}"
    )


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise KinesimTypeError(f"a function name is a str such as 'orders-processor', got {name!r}")
    if len(name) > 64:
        raise _validation(name, "functionName", "Member must have length less than or equal to 64")
    if not _NAME.fullmatch(name):
        raise _validation(
            name,
            "functionName",
            f"Member must satisfy regular expression pattern: {_NAME_PATTERN}",
        )
    return name


def _check_int(value: object, member: str, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise KinesimTypeError(f"{member} takes a whole number, got {value!r}")
    if value < low:
        raise _validation(value, member, f"Member must have value greater than or equal to {low}")
    if high is not None and value > high:
        raise _validation(value, member, f"Member must have value less than or equal to {high}")
    return value


def resolve_handler(
    handler: object,
) -> tuple[Callable[[Any, Any], Any] | None, str | None]:
    """The callable for ``handler`` (a callable, ``"package.module:function"``, or None)."""
    if handler is None:
        return None, None
    if isinstance(handler, str):
        module_name, sep, attr = handler.partition(":")
        if not sep:  # AWS's own "module.function" spelling
            module_name, _, attr = handler.rpartition(".")
        if not module_name or not attr:
            raise KinesimValueError(
                f"handler={handler!r} is not an import string: write 'package.module:function'"
            )
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise KinesimValueError(
                f"handler={handler!r}: unable to import module {module_name!r}: {exc}"
            ) from exc
        fn = getattr(module, attr, None)
        if not callable(fn):
            raise KinesimValueError(
                f"handler={handler!r}: module {module_name!r} has no callable {attr!r}"
            )
        return fn, handler
    if callable(handler):
        qualname = getattr(handler, "__qualname__", None) or repr(handler)
        module_of = getattr(handler, "__module__", None)
        return handler, f"{module_of}:{qualname}" if module_of else qualname
    raise KinesimTypeError(
        f"handler={handler!r}: pass a callable (event, context), an import string "
        "'package.module:function', or None for a handler that returns None"
    )


def _package_handler(
    name: str, package: object, handler: object, runtime: object
) -> tuple[PackageHandler, str]:
    """The handler of a function created from a deployment package, checked as AWS does."""
    if not isinstance(package, (bytes, bytearray)):
        raise KinesimTypeError(f"package takes the .zip file's bytes, got {type(package).__name__}")
    if runtime is None or handler is None:
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with deployment "
            "packages."
        )
    check_runtime(runtime)
    if not isinstance(handler, str):
        raise KinesimTypeError(
            f"with a deployment package, handler is AWS's handler string such as "
            f"'app.handler', got {handler!r}"
        )
    if len(handler) > 128 or not handler or any(c.isspace() for c in handler):
        raise _validation(
            handler, "handler", r"Member must satisfy regular expression pattern: [^\s]+"
        )
    return DeploymentPackage(bytes(package)).handler(handler, name), handler


class LambdaService(EventSourceMappingMethods):
    """The Lambda service of one simulated account and Region (``sim.lambda_``)."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._functions: dict[str, Function] = {}
        self._reserved_total = 0
        self._in_flight = 0
        self._unreserved_in_flight = 0
        metrics = sim.metrics
        self._m_invocations = metrics.handle(NS, "Invocations", None, "Count")
        self._m_errors = metrics.handle(NS, "Errors", None, "Count")
        self._m_throttles = metrics.handle(NS, "Throttles", None, "Count")
        self._m_duration = metrics.handle(NS, "Duration", None, "Milliseconds")
        self._m_concurrent = PeakPerMinute(
            metrics.handle(NS, "ConcurrentExecutions", None, "Count")
        )
        self._m_unreserved = PeakPerMinute(
            metrics.handle(NS, "UnreservedConcurrentExecutions", None, "Count")
        )

    # -- functions ------------------------------------------------------------------------------

    def create_function(
        self,
        name: str,
        handler: Callable[[Any, Any], Any] | str | None = None,
        *,
        timeout: int = 3,
        memory_mb: int = 128,
        reserved_concurrency: int | None = None,
        duration: Any = 0.0,
        cold_start: Any = 0.0,
        role: str | None = None,
        keep_invocations: bool = True,
        package: bytes | None = None,
        runtime: str | None = None,
    ) -> Function:
        """Create a function running ``handler`` (a callable ``(event, context)``, an import
        string ``"package.module:function"``, or None for one that returns None).

        ``timeout`` is whole seconds (1-900), ``memory_mb`` 128-10,240. ``duration`` and
        ``cold_start`` (the init duration added to cold invocations) take seconds, a callable
        ``(event, context) -> seconds`` or a model (``kinesim.LogNormal(median=, p99=)``...).
        ``role`` is the execution role ARN (default: a role with the managed
        AWSLambdaKinesisExecutionRole policy). ``keep_invocations=False`` stops recording
        :attr:`Function.invocations` (metrics and trace still record everything).

        ``package`` is a .zip deployment package (bytes): ``handler`` is then AWS's handler
        string ``"module.function"``, loaded from the zip in the function's own module
        namespace at its first invocation, and ``runtime`` a Python runtime such as
        ``"python3.12"`` (see the Lambda reference page).
        """
        sim = self._sim
        _check_name(name)
        fn: Callable[[Any, Any], Any] | None
        handler_name: str | None
        if package is not None:
            fn, handler_name = _package_handler(name, package, handler, runtime)
        else:
            fn, handler_name = resolve_handler(handler)
        _check_int(timeout, "timeout", 1, 900)
        _check_int(memory_mb, "memorySize", 128, 10240)
        duration_model = as_duration_model(duration, "duration")
        cold_model = as_duration_model(cold_start, "cold_start")
        default_role = role is None
        if role is None:
            role = f"arn:aws:iam::{sim.account_id}:role/service-role/{name}-role"
        elif not isinstance(role, str) or not _ROLE.fullmatch(role):
            raise _validation(
                role, "role", f"Member must satisfy regular expression pattern: {_ROLE_PATTERN}"
            )
        if name in self._functions:
            raise ResourceConflictException(f"Function already exist: {name}", Type="User")
        if reserved_concurrency is not None:
            self._check_reservation(name, reserved_concurrency, previous=0)
        function = Function(
            self,
            name=name,
            handler=fn,
            handler_name=handler_name,
            timeout=timeout,
            memory_mb=memory_mb,
            duration=duration_model,
            cold_start=cold_model,
            role=role,
            keep_invocations=bool(keep_invocations),
        )
        if default_role:
            function.role_policies = (KINESIS_EXECUTION_POLICY,)
        if runtime is not None:
            function.runtime = runtime
        if reserved_concurrency is not None:
            function.reserved_concurrency = reserved_concurrency
            self._reserved_total += reserved_concurrency
        self._functions[name] = function
        return function

    def function(self, name_or_arn: str | Function) -> Function:
        """The function with this name or ARN; ``ResourceNotFoundException`` if there is none."""
        if isinstance(name_or_arn, Function):
            if name_or_arn.deleted or name_or_arn._service is not self:
                raise self._not_found(name_or_arn.arn)
            return name_or_arn
        if not isinstance(name_or_arn, str):
            raise KinesimTypeError(
                f"expected a function name, ARN or Function, got {name_or_arn!r}"
            )
        match = _ARN.fullmatch(name_or_arn)
        name = match.group(3) if match else name_or_arn
        function = self._functions.get(name)
        if function is None or (match and function.arn != name_or_arn):
            sim = self._sim
            arn = (
                name_or_arn
                if match
                else f"arn:aws:lambda:{sim.region}:{sim.account_id}:function:{name_or_arn}"
            )
            raise self._not_found(arn)
        return function

    get_function = function

    def list_functions(self) -> list[Function]:
        """Functions in creation order."""
        return list(self._functions.values())

    def update_function(
        self,
        function: str | Function,
        *,
        handler: Any = _UNSET,
        timeout: Any = _UNSET,
        memory_mb: Any = _UNSET,
        duration: Any = _UNSET,
        cold_start: Any = _UNSET,
        role: Any = _UNSET,
    ) -> Function:
        """Change a function's code or configuration. As on AWS, invocations after the update
        run in new execution environments (the next one is cold); running ones finish as
        they were."""
        fn = self.function(function)
        changes: dict[str, Any] = {}
        if handler is not _UNSET:
            changes["handler"], changes["handler_name"] = resolve_handler(handler)
        if timeout is not _UNSET:
            changes["timeout"] = _check_int(timeout, "timeout", 1, 900)
        if memory_mb is not _UNSET:
            changes["memory_mb"] = _check_int(memory_mb, "memorySize", 128, 10240)
        if duration is not _UNSET:
            changes["duration"] = as_duration_model(duration, "duration")
        if cold_start is not _UNSET:
            changes["cold_start"] = as_duration_model(cold_start, "cold_start")
        if role is not _UNSET:
            if not isinstance(role, str) or not _ROLE.fullmatch(role):
                raise _validation(
                    role, "role", f"Member must satisfy regular expression pattern: {_ROLE_PATTERN}"
                )
            changes["role"] = role
            changes["role_policies"] = ()
        for attr, value in changes.items():
            setattr(fn, attr, value)
        if changes:
            fn._retire_environments()
        return fn

    def delete_function(self, function: str | Function) -> None:
        """Delete a function. Running invocations finish; new ones get ResourceNotFound."""
        fn = self.function(function)
        if fn.reserved_concurrency is not None:
            self._reserved_total -= fn.reserved_concurrency
        fn.deleted = True
        fn._retire_environments()
        del self._functions[fn.name]

    # -- reserved concurrency -------------------------------------------------------------------

    def put_function_concurrency(self, function: str | Function, reserved: int) -> int:
        """Reserve ``reserved`` concurrent executions for the function (0 throttles it)."""
        fn = self.function(function)
        if isinstance(reserved, bool) or not isinstance(reserved, int):
            raise KinesimTypeError(f"reserved concurrency is a whole number, got {reserved!r}")
        if reserved < 0:
            raise _validation(
                reserved,
                "reservedConcurrentExecutions",
                "Member must have value greater than or equal to 0",
            )
        previous = fn.reserved_concurrency
        self._check_reservation(fn.name, reserved, previous=previous or 0)
        if previous is None:
            # The function's running invocations move from the shared pool to its own.
            self._unreserved_in_flight -= fn.in_flight
        self._reserved_total += reserved - (previous or 0)
        fn.reserved_concurrency = reserved
        return reserved

    def get_function_concurrency(self, function: str | Function) -> int | None:
        """The function's reserved concurrency, or None."""
        return self.function(function).reserved_concurrency

    def delete_function_concurrency(self, function: str | Function) -> None:
        """Remove the reservation: the function shares the unreserved pool again."""
        fn = self.function(function)
        if fn.reserved_concurrency is None:
            return
        self._reserved_total -= fn.reserved_concurrency
        fn.reserved_concurrency = None
        self._unreserved_in_flight += fn.in_flight

    def _check_reservation(self, name: str, reserved: int, *, previous: int) -> None:
        if isinstance(reserved, bool) or not isinstance(reserved, int):
            raise KinesimTypeError(f"reserved_concurrency is a whole number, got {reserved!r}")
        if reserved < 0:
            raise _validation(
                reserved,
                "reservedConcurrentExecutions",
                "Member must have value greater than or equal to 0",
            )
        limits = self._sim.limits
        minimum = min(limits.lambda_unreserved_minimum, limits.account_concurrency)
        unreserved = limits.account_concurrency - (self._reserved_total - previous + reserved)
        if unreserved < minimum:
            raise InvalidParameterValueException(
                f"Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{minimum}].",
                Type="User",
            )

    # -- the account ----------------------------------------------------------------------------

    @property
    def account_concurrency(self) -> int:
        return self._sim.limits.account_concurrency

    @property
    def unreserved_concurrency(self) -> int:
        """The shared pool: the account quota minus every reservation."""
        return self._sim.limits.account_concurrency - self._reserved_total

    @property
    def in_flight(self) -> int:
        """Concurrent executions across the account now."""
        return self._in_flight

    def invoke(self, function: str | Function, payload: Any = None, **kwargs: Any) -> Invocation:
        """Invoke a function synchronously; see :meth:`Function.invoke`."""
        return self.function(function).invoke(payload, **kwargs)

    def invocation_log(self) -> list[dict[str, Any]]:
        """Every kept invocation of every function as report rows, in start order."""
        return [inv.log_row() for inv in self.invocations()]

    def invocations(self) -> list[Invocation]:
        """Every function's invocations, in start order."""
        merged = [inv for fn in self._functions.values() for inv in fn.invocations]
        merged.sort(key=lambda inv: inv.start_ms)  # stable: same-ms ties keep function order
        return merged

    # -- internal: slots --------------------------------------------------------------------------

    def _check_concurrency(self, fn: Function) -> None:
        reserved = fn.reserved_concurrency
        if reserved is not None:
            if fn.in_flight >= reserved:
                self._throttle(fn, "ReservedFunctionConcurrentInvocationLimitExceeded")
        elif self._unreserved_in_flight >= self.unreserved_concurrency:
            self._throttle(fn, "ConcurrentInvocationLimitExceeded")

    def _throttle(self, fn: Function, reason: str) -> NoReturn:
        sim = self._sim
        now_ms = sim.now_ms
        fn._m_throttles.add(now_ms, 1)
        self._m_throttles.add(now_ms, 1)
        if sim.trace.wants("lambda.throttle"):
            sim.trace.emit("lambda.throttle", function=fn.name, reason=reason)
        raise TooManyRequestsException("Rate Exceeded.", Reason=reason, Type="User")

    def _acquire(self, fn: Function) -> None:
        fn._in_flight += 1
        self._in_flight += 1
        now_ms = self._sim.now_ms
        fn._m_concurrent.observe(now_ms, fn._in_flight)
        self._m_concurrent.observe(now_ms, self._in_flight)
        if fn.reserved_concurrency is None:
            self._unreserved_in_flight += 1
            self._m_unreserved.observe(now_ms, self._unreserved_in_flight)

    def _release(self, fn: Function) -> None:
        fn._in_flight -= 1
        self._in_flight -= 1
        now_ms = self._sim.now_ms
        fn._m_concurrent.observe(now_ms, fn._in_flight)
        self._m_concurrent.observe(now_ms, self._in_flight)
        if fn.reserved_concurrency is None:
            self._unreserved_in_flight -= 1
            self._m_unreserved.observe(now_ms, self._unreserved_in_flight)

    def _count_result(self, now_ms: int, failed: bool, duration_ms: int) -> None:
        self._m_invocations.add(now_ms, 1)
        self._m_errors.add(now_ms, 1 if failed else 0)
        self._m_duration.add(now_ms, duration_ms)

    def _not_found(self, arn: str) -> ResourceNotFoundException:
        return ResourceNotFoundException(f"Function not found: {arn}", http_status=404, Type="User")

    def _check(self) -> None:
        """Invariants across the account."""
        # Deleted functions may still have invocations running, so these are lower bounds.
        assert self._in_flight >= sum(fn.in_flight for fn in self._functions.values())
        assert 0 <= self._unreserved_in_flight <= self._in_flight
        for fn in self._functions.values():
            fn._check()
