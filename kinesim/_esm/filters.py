"""Event filtering: Lambda's ``FilterCriteria`` patterns, compiled once, matched per record.

A mapping has up to five patterns; a record is delivered if it matches **any** of them, otherwise
it is skipped: never delivered, settled in the ledger as ``filtered``, and the checkpoint moves
past it [B9]. A pattern is an EventBridge-style JSON object matched against the record as
Lambda's filtering documentation shows it, the ``kinesis`` fields flattened into the record::

    {"kinesisSchemaVersion": "1.0", "partitionKey": "...", "sequenceNumber": "...",
     "data": <the data, decoded as JSON>, "approximateArrivalTimestamp": 1545084650.987,
     "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": "shardId-...:...",
     "eventName": "aws:kinesis:record", "invokeIdentityArn": "...", "awsRegion": "...",
     "eventSourceARN": "..."}

``data`` is matched as JSON: a pattern on ``data`` must be an object (``{"data": {"kind":
["a"]}}``), and a record whose data is not JSON never matches a pattern that looks into
``data`` (not even ``{"exists": false}``). The handler still gets the original base64 data.

Operators (the rule syntax of Lambda's event filtering page): exact values (strings, numbers,
``null``, ``""``), ``prefix``, ``suffix`` (both also with ``{"equals-ignore-case": ...}``),
``anything-but`` (a value, a list, ``{"prefix": ...}``, ``{"suffix": ...}``,
``{"equals-ignore-case": ...}``), ``numeric`` (``=``, ``<``, ``<=``, ``>``, ``>=``, or a range
of a lower and an upper bound), ``exists``, ``equals-ignore-case``, and ``$or`` (a list of
sub-patterns). Several fields in one pattern must all match; several values in one list are
alternatives; an event value that is a list matches if any element does.

Compiled patterns are closures over tuples; a record builds only the fields the patterns read
(the data is parsed only when a pattern looks into ``data``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Protocol

from kinesim._errors import InvalidParameterValueException

__all__ = [
    "MAX_FILTERS",
    "MAX_PATTERN_CHARS",
    "RecordFilter",
    "compile_filters",
    "invalid_pattern",
    "parse_pattern",
]

#: "You can define up to five different filters for a single event source mapping" [B9].
MAX_FILTERS = 5
#: ``FilterCriteria.Filters[].Pattern`` is at most 4,096 characters [BC-L].
MAX_PATTERN_CHARS = 4096

#: The record's top-level fields a pattern may name (Lambda's flattened Kinesis record).
RECORD_FIELDS = (
    "kinesisSchemaVersion",
    "partitionKey",
    "sequenceNumber",
    "data",
    "approximateArrivalTimestamp",
    "eventSource",
    "eventVersion",
    "eventID",
    "eventName",
    "invokeIdentityArn",
    "awsRegion",
    "eventSourceARN",
)

_MISSING: Any = object()  # the field is absent from the record
_NOT_JSON: Any = object()  # the record's data is not JSON: nothing under "data" matches

Leaf = Callable[[Any], bool]
Matcher = Callable[[Any], bool]


def invalid_pattern() -> InvalidParameterValueException:
    """AWS's error for a pattern it cannot use [AWS-snapshot §2.4]."""
    return InvalidParameterValueException("Invalid filter pattern definition.", Type="User")


# -- compiling --------------------------------------------------------------------------------


def parse_pattern(text: str) -> Matcher:
    """Compile one pattern (a JSON string); :func:`invalid_pattern` if AWS would refuse it."""
    try:
        pattern = json.loads(text)
    except ValueError:
        raise invalid_pattern() from None
    if not isinstance(pattern, dict) or not pattern:
        raise invalid_pattern()
    _check_data(pattern)
    return _object(pattern)


def _check_data(pattern: dict[str, Any]) -> None:
    """Refuse a pattern that matches ``data`` as a plain value (here or in a top-level ``$or``
    branch): "The filter pattern for data properties must be in a valid JSON format" [B9]."""
    data = pattern.get("data", _MISSING)
    if data is not _MISSING and not isinstance(data, dict):
        raise invalid_pattern()
    branches = pattern.get("$or")
    if isinstance(branches, list):
        for branch in branches:
            if isinstance(branch, dict):
                _check_data(branch)


def _object(pattern: dict[str, Any]) -> Matcher:
    """All fields must match (And); ``$or`` holds alternative sub-patterns."""
    parts: list[Matcher] = []
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise invalid_pattern()
            branches = []
            for branch in value:
                if not isinstance(branch, dict) or not branch:
                    raise invalid_pattern()
                branches.append(_object(branch))
            parts.append(_any_of(tuple(branches)))
        elif isinstance(value, dict):
            if not value:
                raise invalid_pattern()
            parts.append(_field(key, _object(value), nested=True))
        elif isinstance(value, list):
            if not value:
                raise invalid_pattern()
            leaves = tuple(_leaf(item) for item in value)
            parts.append(_field(key, _leaves(leaves, value), nested=False))
        else:
            raise invalid_pattern()
    return _all_of(tuple(parts))


def _all_of(parts: tuple[Matcher, ...]) -> Matcher:
    if len(parts) == 1:
        return parts[0]
    return lambda doc: all(part(doc) for part in parts)


def _any_of(branches: tuple[Matcher, ...]) -> Matcher:
    return lambda doc: any(branch(doc) for branch in branches)


def _field(key: str, inner: Matcher, *, nested: bool) -> Matcher:
    def match(doc: Any) -> bool:
        if doc is _NOT_JSON:
            return False
        value = doc.get(key, _MISSING) if isinstance(doc, dict) else _MISSING
        if value is _NOT_JSON:
            return False
        if nested:
            if isinstance(value, list):
                return any(inner(item) for item in value if isinstance(item, dict))
            return inner(value if isinstance(value, dict) else {})
        return inner(value)

    return match


def _leaves(leaves: tuple[tuple[str, Leaf], ...], raw: list[Any]) -> Matcher:
    """One field's alternatives. ``exists`` is about the field; the others about its value."""
    presence = [leaf for kind, leaf in leaves if kind == "exists"]
    values = tuple(leaf for kind, leaf in leaves if kind != "exists")

    def match(value: Any) -> bool:
        if isinstance(value, dict):
            # Rules match leaves: an object here is no value, and ``exists`` does not see
            # intermediate nodes (EventBridge: "Exists matching only works on leaf nodes").
            value = _MISSING
        if value is _MISSING:
            return any(leaf(value) for leaf in presence)
        if any(leaf(value) for leaf in presence):
            return True
        if isinstance(value, list):
            return any(leaf(item) for item in value for leaf in values)
        return any(leaf(value) for leaf in values)

    return match


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _leaf(item: Any) -> tuple[str, Leaf]:
    """One alternative of a field: an exact value or an operator object."""
    if item is None:
        return "value", (lambda v: v is None)
    if isinstance(item, str):
        return "value", (lambda v, item=item: isinstance(v, str) and v == item)
    if isinstance(item, bool):
        return "value", (lambda v, item=item: isinstance(v, bool) and v is item)
    if _is_number(item):
        return "value", (lambda v, item=item: _is_number(v) and v == item)
    if not isinstance(item, dict) or len(item) != 1:
        raise invalid_pattern()
    ((op, arg),) = item.items()
    if op == "exists":
        if not isinstance(arg, bool):
            raise invalid_pattern()
        return "exists", (lambda v, want=arg: (v is not _MISSING) is want)
    if op in ("prefix", "suffix"):
        return "value", _affix(op, arg)
    if op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise invalid_pattern()
        folded = arg.lower()
        return "value", (lambda v: isinstance(v, str) and v.lower() == folded)
    if op == "numeric":
        return "value", _numeric(arg)
    if op == "anything-but":
        return "value", _anything_but(arg)
    # wildcard, cidr and the rest of EventBridge's operators are not in Lambda's rule syntax.
    raise invalid_pattern()


def _affix(op: str, arg: Any) -> Leaf:
    ignore_case = False
    if isinstance(arg, dict) and set(arg) == {"equals-ignore-case"}:
        arg = arg["equals-ignore-case"]
        ignore_case = True
    if not isinstance(arg, str):
        raise invalid_pattern()
    if ignore_case:
        folded = arg.lower()
        if op == "prefix":
            return lambda v: isinstance(v, str) and v.lower().startswith(folded)
        return lambda v: isinstance(v, str) and v.lower().endswith(folded)
    if op == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(arg)
    return lambda v: isinstance(v, str) and v.endswith(arg)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _numeric(arg: Any) -> Leaf:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise invalid_pattern()
    tests: list[tuple[Callable[[float, float], bool], float]] = []
    for k in range(0, len(arg), 2):
        op, bound = arg[k], arg[k + 1]
        if op not in _COMPARE or not _is_number(bound) or not math.isfinite(bound):
            raise invalid_pattern()
        tests.append((_COMPARE[op], bound))
    # A range: a lower bound (> or >=) then an upper bound (< or <=), as EventBridge takes.
    if len(arg) == 4 and (
        arg[0] not in (">", ">=") or arg[2] not in ("<", "<=") or arg[1] > arg[3]
    ):
        raise invalid_pattern()
    frozen = tuple(tests)
    return lambda v: _is_number(v) and all(test(v, bound) for test, bound in frozen)


def _anything_but(arg: Any) -> Leaf:
    if isinstance(arg, dict):
        if len(arg) != 1:
            raise invalid_pattern()
        ((op, inner),) = arg.items()
        if op in ("prefix", "suffix"):
            affix = _affix(op, inner)
            return lambda v: isinstance(v, str) and not affix(v)
        if op == "equals-ignore-case":
            words = inner if isinstance(inner, list) else [inner]
            if not words or not all(isinstance(w, str) for w in words):
                raise invalid_pattern()
            folded = frozenset(w.lower() for w in words)
            return lambda v: isinstance(v, str) and v.lower() not in folded
        raise invalid_pattern()
    values = arg if isinstance(arg, list) else [arg]
    if not values:
        raise invalid_pattern()
    strings = frozenset(v for v in values if isinstance(v, str))
    numbers = tuple(v for v in values if _is_number(v))
    if len(strings) + len(numbers) != len(values):
        raise invalid_pattern()  # only strings and numbers can be excluded

    def match(v: Any) -> bool:
        if isinstance(v, str):
            return v not in strings
        if _is_number(v):
            return not any(v == n for n in numbers)
        return v is not None  # present but of another type (True, an object...)

    return match


# -- matching records -------------------------------------------------------------------------


class RecordFilter:
    """The compiled ``FilterCriteria`` of one mapping. :meth:`keep` is the per-record test."""

    __slots__ = ("_fields", "_matchers", "_needs_data", "patterns")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._matchers = tuple(parse_pattern(p) for p in patterns)
        keys: set[str] = set()
        for text in patterns:
            keys.update(_top_keys(json.loads(text)))
        self._needs_data = "data" in keys
        # Deterministic order (RECORD_FIELDS), never set order.
        self._fields = tuple(f for f in RECORD_FIELDS if f in keys and f != "data")

    def keep(
        self,
        *,
        partition_key: str,
        sequence_number: str,
        arrival_ms: int,
        data: bytes,
        shard_id: str,
        role_arn: str,
        region: str,
        stream_arn: str,
    ) -> bool:
        """Whether the record matches any pattern (and so is delivered)."""
        doc: dict[str, Any] = {}
        for name in self._fields:
            doc[name] = _metadata(
                name,
                partition_key=partition_key,
                sequence_number=sequence_number,
                arrival_ms=arrival_ms,
                shard_id=shard_id,
                role_arn=role_arn,
                region=region,
                stream_arn=stream_arn,
            )
        if self._needs_data:
            try:
                doc["data"] = json.loads(data)
            except ValueError:  # not UTF-8 or not JSON
                doc["data"] = _NOT_JSON
        return any(match(doc) for match in self._matchers)

    def select(
        self, shard: _Shard, start: int, end: int, *, role_arn: str, region: str, stream_arn: str
    ) -> list[int]:
        """The positions in ``[start, end)`` of ``shard`` whose records match (the per-record
        loop of :meth:`keep`, with the field getters and constants bound once)."""
        # NOTE: the filter's hot path: fixed fields go into a template dict once, the record's
        # own fields through bound methods; data is parsed only if a pattern reads it.
        template: dict[str, Any] = {}
        getters: list[tuple[str, Callable[[int], Any]]] = []
        shard_id = shard.shard_id
        for name in self._fields:
            if name == "partitionKey":
                getters.append((name, shard.partition_key))
            elif name == "sequenceNumber":
                getters.append((name, shard.sequence_number))
            elif name == "approximateArrivalTimestamp":
                getters.append((name, _in_seconds(shard.arrival_ms)))
            elif name == "eventID":
                getters.append((name, _event_id(shard_id, shard.sequence_number)))
            else:
                template[name] = _metadata(
                    name,
                    partition_key="",
                    sequence_number="",
                    arrival_ms=0,
                    shard_id=shard_id,
                    role_arn=role_arn,
                    region=region,
                    stream_arn=stream_arn,
                )
        matchers = self._matchers
        needs_data = self._needs_data
        data_of = shard.data
        loads = json.loads
        out: list[int] = []
        for i in range(start, end):
            doc = template.copy()
            for name, get in getters:
                doc[name] = get(i)
            if needs_data:
                try:
                    doc["data"] = loads(data_of(i))
                except ValueError:
                    doc["data"] = _NOT_JSON
            for match in matchers:
                if match(doc):
                    out.append(i)
                    break
        return out


def _in_seconds(arrival_ms: Callable[[int], int]) -> Callable[[int], float]:
    return lambda i: arrival_ms(i) / 1000


def _event_id(shard_id: str, sequence_number: Callable[[int], str]) -> Callable[[int], str]:
    prefix = shard_id + ":"
    return lambda i: prefix + sequence_number(i)


class _Shard(Protocol):
    @property
    def shard_id(self) -> str: ...
    def partition_key(self, i: int) -> str: ...
    def sequence_number(self, i: int) -> str: ...
    def arrival_ms(self, i: int) -> int: ...
    def data(self, i: int) -> bytes: ...


def _top_keys(pattern: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for key, value in pattern.items():
        if key == "$or":
            for branch in value:
                keys |= _top_keys(branch)
        else:
            keys.add(key)
    return keys


def _metadata(
    name: str,
    *,
    partition_key: str,
    sequence_number: str,
    arrival_ms: int,
    shard_id: str,
    role_arn: str,
    region: str,
    stream_arn: str,
) -> Any:
    if name == "partitionKey":
        return partition_key
    if name == "sequenceNumber":
        return sequence_number
    if name == "approximateArrivalTimestamp":
        return arrival_ms / 1000
    if name == "eventID":
        return f"{shard_id}:{sequence_number}"
    if name == "invokeIdentityArn":
        return role_arn
    if name == "awsRegion":
        return region
    if name == "eventSourceARN":
        return stream_arn
    return _CONSTANTS[name]


_CONSTANTS = {
    "kinesisSchemaVersion": "1.0",
    "eventSource": "aws:kinesis",
    "eventVersion": "1.0",
    "eventName": "aws:kinesis:record",
}


def compile_filters(patterns: tuple[str, ...]) -> RecordFilter | None:
    """The mapping's filter, or None when it has no patterns (every record is delivered)."""
    return RecordFilter(patterns) if patterns else None
