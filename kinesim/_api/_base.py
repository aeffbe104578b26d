"""What every service client shares: operation dispatch, botocore-style parameter validation,
``ResponseMetadata``, ``client.exceptions`` and the readable bodies boto3 returns.

A client is a table: each service module writes one translation method per AWS operation,
marked with :func:`operation`, whose keyword-only parameters are the operation's PascalCase
request members it translates. :class:`Client` turns each into a public snake_case method that
validates the request against the operation's botocore request shape (copied into
``_shapes.py``) before calling it, and adds ``ResponseMetadata`` to what it returns. Behaviour
lives in the domain; a translation method only renames and reshapes.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import kinesim._errors as _errors
from kinesim._api._shapes import INPUTS
from kinesim._errors import (
    AWSError,
    KinesimTypeError,
    KinesimValueError,
    ParamValidationError,
    as_client_error,
)

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = ["STATUS", "Client", "ParamValidationError", "StreamingBody", "operation"]

#: A translation method returns this key to answer with another HTTP status than the
#: operation's usual one (Invoke: 202 for an Event invocation).
STATUS = "__kinesim_http_status__"

F = TypeVar("F", bound=Callable[..., dict[str, Any]])


# -- the operation table ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Operation:
    name: str  # AWS's, e.g. "PutRecord"
    status: int
    not_required: tuple[str, ...]
    hints: Mapping[str, str]


def operation(
    name: str,
    *,
    status: int = 200,
    not_required: tuple[str, ...] = (),
    hints: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """Mark a client method as the translation of AWS operation ``name``. ``status`` is the
    HTTP status of a success; ``not_required`` lists members botocore requires that kinesim
    can do without (Lambda's ``Code``, when ``handler=`` gives the code); ``hints`` say what to
    do instead when a member kinesim does not translate is given."""

    def mark(method: F) -> F:
        method._kinesim_operation = _Operation(  # type: ignore[attr-defined]
            name, status, not_required, hints or {}
        )
        return method

    return mark


def snake_case(name: str) -> str:
    """botocore's method name for an operation: ``ListObjectsV2`` -> ``list_objects_v2``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class _Exceptions:
    """``client.exceptions``: kinesim's AWS error classes by code, as boto3's clients expose
    theirs, plus ``ClientError`` (the base class, :class:`kinesim.AWSError`)."""

    ClientError = AWSError

    def __init__(self) -> None:
        for name in _errors.__all__:
            cls = getattr(_errors, name)
            if isinstance(cls, type) and issubclass(cls, AWSError) and cls is not AWSError:
                setattr(self, name, cls)

    def __getattr__(self, name: str) -> type[AWSError]:
        # Only reached for a name that is not set: say which ones are.
        known = sorted(n for n in vars(self) if not n.startswith("_"))
        raise AttributeError(
            f"kinesim raises no error class {name!r}; client.exceptions has {', '.join(known)}"
        )


_EXCEPTIONS = _Exceptions()


@dataclass(frozen=True, slots=True)
class ClientMeta:
    """The part of boto3's ``client.meta`` kinesim can fill: the service and Region."""

    service_name: str
    region_name: str


class Client:
    """Base of kinesim's AWS clients (``sim.client("kinesis")`` ...). Not a botocore client:
    calls go straight to the simulator, in virtual time, with no network, retries or
    credentials."""

    service_name: ClassVar[str]
    _operations: ClassVar[dict[str, str]]  # snake_case -> AWS name

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self.exceptions = _EXCEPTIONS
        self.meta = ClientMeta(self.service_name, sim.region)
        self._request_ids = sim.random(f"api.{self.service_name}.request_ids")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._operations = {}
        shapes = INPUTS[cls.service_name]
        for attr, method in list(vars(cls).items()):
            op: _Operation | None = getattr(method, "_kinesim_operation", None)
            if op is None:
                continue
            public = snake_case(op.name)
            assert attr != public, f"name the translation of {op.name} _{public}"
            cls._operations[public] = op.name
            setattr(cls, public, _public_method(public, op, method, shapes[op.name]))

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: an operation kinesim does not cover.
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"kinesim's {self.service_name} client has no operation {name!r}; it covers "
            f"{', '.join(sorted(self._operations))}"
        )

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._operations})

    def __repr__(self) -> str:
        return f"<kinesim {self.service_name} client>"

    def get_paginator(self, operation_name: str) -> Any:
        """Not on kinesim's own clients: paginators (and waiters) are botocore's."""
        raise KinesimValueError(
            f"kinesim's {self.service_name} client has no paginators; for "
            f"get_paginator({operation_name!r}) use boto3 inside kinesim.mock_aws(sim), which "
            "gives botocore's own paginators and waiters over this simulator"
        )

    def get_waiter(self, waiter_name: str) -> Any:
        """Not on kinesim's own clients: waiters (and paginators) are botocore's."""
        raise KinesimValueError(
            f"kinesim's {self.service_name} client has no waiters; for "
            f"get_waiter({waiter_name!r}) use boto3 inside kinesim.mock_aws(sim), which gives "
            "botocore's own waiters and paginators over this simulator (whose waits are virtual)"
        )

    def can_paginate(self, operation_name: str) -> bool:
        """False: kinesim's own clients have no paginators (see :meth:`get_paginator`)."""
        return False

    def call_prevalidated(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run ``operation`` (snake_case) on AWS request members that a botocore client has
        already validated against the same model (``mock_aws``'s road): the translation and
        response of the public method, without validating twice."""
        answer: Callable[[Client, dict[str, Any]], dict[str, Any]]
        answer = getattr(type(self), operation).prevalidated
        return answer(self, params)

    @property
    def operations(self) -> list[str]:
        """The snake_case operations this client covers."""
        return sorted(self._operations)

    def new_request_id(self) -> str:
        """A request ID in AWS's form, drawn from the simulator's seed (so runs repeat)."""
        bits = self._request_ids.getrandbits(128)
        text = f"{bits:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _public_method(
    public: str, op: _Operation, method: Callable[..., dict[str, Any]], shape: Any
) -> Callable[..., dict[str, Any]]:
    _, required, members = shape
    required = tuple(r for r in required if r not in op.not_required)
    params = inspect.signature(method).parameters
    translated = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    # kinesim's own keywords (lower case, e.g. Lambda's handler=) that are not AWS members.
    extras = {n for n in translated if n not in members}

    def answer(self: Client, kwargs: dict[str, Any]) -> dict[str, Any]:
        untranslated = sorted(k for k in kwargs if k not in translated)
        if untranslated:
            hint = "; ".join(op.hints[k] for k in untranslated if k in op.hints)
            raise KinesimValueError(
                f"kinesim's {op.name} does not translate {', '.join(untranslated)}"
                + (f": {hint}" if hint else "")
                + f". It takes {', '.join(sorted(translated))}."
            )
        try:
            response = method(self, **kwargs)
        except AWSError as error:
            as_client_error(error, op.name)
            raise
        response["ResponseMetadata"] = {
            "RequestId": self.new_request_id(),
            "HTTPStatusCode": response.pop(STATUS, op.status),
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        }
        return response

    @functools.wraps(method)
    def call(self: Client, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args:
            raise KinesimTypeError(f"{public}() only accepts keyword arguments.")
        aws = {k: v for k, v in kwargs.items() if k not in extras}
        errors = _validate(("structure", required, members), aws, "input", top=True)
        if errors:
            raise ParamValidationError("Parameter validation failed:\n" + "\n".join(errors))
        return answer(self, kwargs)

    call.prevalidated = answer  # type: ignore[attr-defined]
    call.__name__ = call.__qualname__ = public
    call.__doc__ = f"AWS {op.name}. {method.__doc__ or ''}".strip()
    return call


# -- botocore's client-side validation --------------------------------------------------------

_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "<class 'str'>"),
    "integer": ((int,), "<class 'int'>"),
    "long": ((int,), "<class 'int'>"),
    "boolean": ((bool,), "<class 'bool'>"),
    "double": ((float, int), "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>"),
    "float": ((float, int), "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>"),
    "timestamp": (
        (_dt.datetime, str, int, float),
        "<class 'datetime.datetime'>, timestamp-string",
    ),
    "blob": (
        (bytes, bytearray, str),
        "<class 'bytes'>, <class 'bytearray'>, file-like object",
    ),
    "list": ((list, tuple), "<class 'list'>, <class 'tuple'>"),
    "structure": ((Mapping,), "<class 'dict'>"),
    "map": ((Mapping,), "<class 'dict'>"),
}


def _validate(shape: Any, value: Any, path: str, *, top: bool = False) -> list[str]:
    """botocore's ParamValidationError lines for ``value`` against ``shape`` (empty if fine)."""
    kind = shape if isinstance(shape, str) else shape[0]
    types, names = _TYPES[kind]
    readable = kind == "blob" and callable(getattr(value, "read", None))
    # As botocore: a bool passes as an integer (the domain then refuses it).
    if not readable and not isinstance(value, types):
        return [
            f"Invalid type for parameter {path}, value: {value}, type: {type(value)}, "
            f"valid types: {names}"
        ]
    if kind == "structure":
        _, required, members = shape
        where = "input" if top else path
        errors = [
            f'Missing required parameter in {where}: "{name}"'
            for name in required
            if name not in value
        ]
        for name, member_value in value.items():
            if name not in members:
                errors.append(
                    f'Unknown parameter in {where}: "{name}", must be one of: ' + ", ".join(members)
                )
            else:
                child = name if top else f"{path}.{name}"
                errors += _validate(members[name], member_value, child)
        return errors
    if kind == "list":
        return [
            e for i, item in enumerate(value) for e in _validate(shape[1], item, f"{path}[{i}]")
        ]
    if kind == "map":
        return [e for k, item in value.items() for e in _validate(shape[1], item, f"{path}.{k}")]
    return []


# -- bodies -------------------------------------------------------------------------------------


class StreamingBody(io.BytesIO):
    """A readable body, as botocore's ``StreamingBody`` (Invoke's ``Payload``, S3's ``Body``):
    ``read()``, ``read(amt)``, ``iter_lines()``, ``iter_chunks()``, ``close()``."""

    def iter_chunks(self, chunk_size: int = 1024) -> Iterator[bytes]:
        while chunk := self.read(chunk_size):
            yield chunk

    def iter_lines(self, chunk_size: int = 1024, keepends: bool = False) -> Iterator[bytes]:
        yield from self.read().splitlines(keepends)


def epoch_seconds(value: Any) -> float:
    """A request timestamp (datetime, epoch seconds, or ISO 8601 text) as epoch seconds."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return float(value.timestamp())
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return epoch_seconds(_dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    return float(value)


def read_blob(value: Any) -> bytes:
    """A blob request member as bytes: bytes as they are, str as UTF-8, a file-like read."""
    if callable(getattr(value, "read", None)):
        value = value.read()
    if isinstance(value, str):
        return value.encode()
    return bytes(value)
