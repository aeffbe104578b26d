"""The Lambda context object handed to handlers, and :func:`spend` for simulated work.

The attributes follow AWS's Python runtime (``awslambdaric/lambda_context.py``): the values it reads
from environment variables are strings (so ``memory_limit_in_mb`` is ``"128"``), ``identity`` is
always an object with ``None`` fields, ``client_context`` is ``None`` unless given.
:meth:`LambdaContext.get_remaining_time_in_millis` reads the virtual clock of the invocation: the
timeout minus the simulated time spent so far.
"""

from __future__ import annotations

import sys
from typing import Any

from kinesim._core.scheduler import seconds_to_ms
from kinesim._errors import KinesimError

__all__ = [
    "Client",
    "ClientContext",
    "CognitoIdentity",
    "LambdaContext",
    "NotInInvocationError",
    "current_context",
    "spend",
]


class NotInInvocationError(KinesimError, RuntimeError):
    """:func:`kinesim.spend` was called while no simulated Lambda handler was running."""


class _TimedOut(BaseException):
    """Raised inside a handler whose simulated time passed its timeout: Lambda would have stopped
    it there. A ``BaseException`` so that a handler's ``except Exception`` does not swallow it."""


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, cognito_identity_id: str | None = None, pool_id: str | None = None):
        self.cognito_identity_id = cognito_identity_id
        self.cognito_identity_pool_id = pool_id

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, fields: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, fields: dict[str, Any]) -> None:
        client = fields.get("client")
        self.client = Client(client) if isinstance(client, dict) else None
        self.custom = fields.get("custom")
        self.env = fields.get("env")


class LambdaContext:
    """What the handler receives as ``context``; see AWS's "Lambda context object in Python"."""

    __slots__ = (
        "_deadline_spent_ms",
        "_spent_ms",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "invoked_function_arn",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
        "tenant_id",
    )

    def __init__(
        self,
        *,
        aws_request_id: str,
        function_name: str,
        invoked_function_arn: str,
        memory_mb: int,
        timeout_ms: int,
        log_stream_name: str,
        client_context: dict[str, Any] | None = None,
    ) -> None:
        self.aws_request_id = aws_request_id
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = str(memory_mb)
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream_name
        self.identity = CognitoIdentity()
        self.client_context = None if client_context is None else ClientContext(client_context)
        self.tenant_id: str | None = None
        self._deadline_spent_ms = timeout_ms
        self._spent_ms = 0

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the timeout, in virtual time (never below 0)."""
        return max(0, self._deadline_spent_ms - self._spent_ms)

    def log(self, msg: object) -> None:
        """Write ``msg`` to the invocation's log (like the runtime's ``context.log``)."""
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )


# Handlers run synchronously, possibly nested (a handler invoking another function), so the
# invocation that spend() applies to is the top of this stack.
_running: list[LambdaContext] = []


def current_context() -> LambdaContext | None:
    """The context of the simulated handler running now, or None."""
    return _running[-1] if _running else None


def spend(seconds: float) -> None:
    """Add ``seconds`` of simulated time to the Lambda invocation whose handler is running.

    Use it for costs that depend on the content (a slow downstream call, per-record work): the
    invocation's duration grows and ``context.get_remaining_time_in_millis()`` shrinks. If the
    spent time reaches the function's timeout, the handler is stopped right there, as Lambda
    would stop it, and the invocation ends with ``Sandbox.Timedout``.
    """
    ms = seconds_to_ms(seconds, "spend(seconds)")
    if not _running:
        raise NotInInvocationError(
            "kinesim.spend() was called outside a simulated Lambda handler; call it from a "
            "handler that a kinesim function is running (sim.lambda_.create_function(...))"
        )
    spend_ms(ms)


def spend_ms(ms: int) -> bool:
    """Add ``ms`` to the running handler's invocation, as :func:`spend` does; False (and nothing
    charged) if no handler is running. Raises the timeout when the time reaches it."""
    if not _running:
        return False
    context = _running[-1]
    context._spent_ms += ms
    if context._spent_ms >= context._deadline_spent_ms:
        raise _TimedOut
    return True
