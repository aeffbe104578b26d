"""Running a user's handler the way AWS's Python runtime does, in-process.

Shapes errors like ``awslambdaric/bootstrap.py`` (``make_error``: ``errorMessage``, ``errorType``,
``requestId``, ``stackTrace`` as ``traceback.format_list`` strings) and its marshaller
(``Runtime.MarshalError`` "Unable to marshal response: ..."), and captures what the handler
prints or logs, for the duration of the call only: ``sys.stdout``/``sys.stderr`` and a handler on
the root logger are swapped in and always restored.
"""

from __future__ import annotations

import decimal
import json
import logging
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kinesim._lambda.context import LambdaContext, _running, _TimedOut

__all__ = ["NONE_OUTCOME", "HandlerOutcome", "RuntimeFault", "run_handler", "to_json"]

#: Largest response the synchronous Invoke returns, in bytes (observed AWS message text).
MAX_RESPONSE_BYTES = 6_291_556
_NBSP = "\u00a0"


class _Encoder(json.JSONEncoder):
    # NOTE: the runtime uses simplejson, which also encodes Decimal as a number; the stdlib
    # encoder plus this default gives the same text for what handlers usually return.
    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return float(o) if not o.is_nan() else float("nan")
        return super().default(o)


def to_json(value: Any) -> str:
    """JSON text as the runtime's marshaller would produce it (may raise TypeError)."""
    return json.dumps(value, cls=_Encoder)


@dataclass(frozen=True, slots=True)
class HandlerOutcome:
    """What running a handler produced, before timing is applied."""

    response: Any
    error_type: str | None
    timed_out: bool
    logs: tuple[str, ...]
    #: Size of the serialised response (0 on error or timeout).
    response_bytes: int = 0


class RuntimeFault(Exception):
    """A failure the runtime itself reports while loading the handler (its ``FaultException``):
    ``error_type`` is ``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``, ... The error
    document has an empty ``requestId``, as the runtime's init errors do."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


#: What a handler that returns None produces; shared, it is immutable.
NONE_OUTCOME = HandlerOutcome(None, None, False, (), 4)


class _LineSink:
    """Collects output as log lines in the order it was written, like CloudWatch events."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._partial = ""

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        *complete, partial = (self._partial + text).split("\n")
        self._partial = partial
        self.lines.extend(complete)
        return len(text)

    def add_event(self, text: str) -> None:
        self.flush_partial()
        self.lines.append(text)

    def flush_partial(self) -> None:
        if self._partial:
            self.lines.append(self._partial)
            self._partial = ""

    # The file-like surface print() and friends use.
    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return "utf-8"


class _VirtualTimeFormatter(logging.Formatter):
    """The runtime's text log format, with timestamps from the virtual clock."""

    def __init__(self, clock_ms: Callable[[], int], request_id: str) -> None:
        super().__init__("[%(levelname)s]\t%(asctime)s\t" + request_id + "\t%(message)s")
        self._clock_ms = clock_ms

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        now_ms = self._clock_ms()
        stamp = datetime.fromtimestamp(now_ms // 1000, timezone.utc)
        return f"{stamp:%Y-%m-%dT%H:%M:%S}.{now_ms % 1000:03d}Z"


class _SinkHandler(logging.Handler):
    def __init__(self, sink: _LineSink) -> None:
        super().__init__()
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self._sink.add_event(self.format(record))


def error_log_lines(error: dict[str, Any]) -> str:
    """The ``[ERROR] Type: message`` event the runtime logs for a failed invocation."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    stack = error.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append(_NBSP * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines)


def make_error(
    message: str, error_type: str, stack_trace: list[str], request_id: str
) -> dict[str, Any]:
    """The runtime's error document (same keys, same order)."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack_trace,
    }


def run_handler(
    handler: Callable[[Any, Any], Any] | None,
    event: Any,
    context: LambdaContext,
    clock_ms: Callable[[], int],
) -> HandlerOutcome:
    """Run ``handler(event, context)`` now, capturing its output; never raises for handler
    errors (they become the runtime's error document)."""
    request_id = context.aws_request_id
    sink = _LineSink()
    log_handler = _SinkHandler(sink)
    log_handler.setFormatter(_VirtualTimeFormatter(clock_ms, request_id))
    root = logging.getLogger()
    saved_out, saved_err = sys.stdout, sys.stderr
    response: Any = None
    error: dict[str, Any] | None = None
    timed_out = False
    _running.append(context)
    sys.stdout = sys.stderr = sink
    root.addHandler(log_handler)
    try:
        if handler is not None:
            response = handler(event, context)
    except _TimedOut:
        timed_out = True
    except RuntimeFault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, "")
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop run_handler's own frame
        error = make_error(str(exc), type(exc).__name__, traceback.format_list(frames), request_id)
    finally:
        root.removeHandler(log_handler)
        sys.stdout, sys.stderr = saved_out, saved_err
        _running.pop()
    if timed_out:
        sink.flush_partial()
        return HandlerOutcome(None, "Sandbox.Timedout", True, tuple(sink.lines))
    size = 0
    if error is None:
        try:
            # NOTE: serialised once, here: the marshal check and the 6 MB check share it.
            size = len(response) if isinstance(response, bytes) else len(to_json(response).encode())
        except (TypeError, ValueError) as exc:
            error = make_error(
                f"Unable to marshal response: {exc}", "Runtime.MarshalError", [], request_id
            )
    if error is not None:
        sink.flush_partial()
        return HandlerOutcome(error, error["errorType"], False, tuple(sink.lines))
    sink.flush_partial()
    return HandlerOutcome(response, None, False, tuple(sink.lines), size)
