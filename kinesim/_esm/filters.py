"""Event filtering: Lambda's ``FilterCriteria`` patterns, compiled once, matched per record.

A mapping has up to five patterns; a record is delivered if it matches **any** of them, otherwise
it is skipped: never delivered, settled in the ledger as ``filtered``, and the checkpoint moves
past it [B9]. "Kinesis event source mappings only support filtering on the ``data`` key" (AWS
Lambda guide, "Using event filtering with a Kinesis event source"): a pattern is an
EventBridge-style JSON object whose only top-level key is ``data`` (also in every branch of a
top-level ``$or``), matched against the record's data **decoded as JSON**. A pattern on any other
key is refused at create and update, as is one whose ``data`` is not an object ("The filter
pattern for data properties must be in a valid JSON format"). A record whose data is not JSON
(or not UTF-8) is dropped, as the guide says: it never matches, not even ``{"exists": false}``.
The handler still gets the original base64 data.

Operators (the rule syntax of Lambda's event filtering page): exact values (strings, numbers,
``null``, ``""``), ``prefix``, ``suffix`` (both also with ``{"equals-ignore-case": ...}``),
``anything-but`` (a value, a list, ``{"prefix": ...}``, ``{"suffix": ...}``,
``{"equals-ignore-case": ...}``), ``numeric`` (``=``, ``<``, ``<=``, ``>``, ``>=``, or a range
of a lower and an upper bound), ``exists``, ``equals-ignore-case``, and ``$or`` (a list of
sub-patterns). Several fields in one pattern must all match; several values in one list are
alternatives; an event value that is a list matches if any element does.

Nesting is bounded (ASSUMED limits, AWS documents none): a pattern nested deeper than
:data:`MAX_PATTERN_DEPTH` is refused, and a record whose data is nested deeper than
:data:`MAX_DATA_DEPTH` matches no pattern (as data that is not JSON), so that neither compiling
nor parsing can exhaust Python's stack, whatever the depth of the caller's.

Compiled patterns are closures over tuples; a record's data is parsed once, when it is read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Protocol

from kinesim._errors import InvalidParameterValueException, KinesimTypeError

__all__ = [
    "MAX_DATA_DEPTH",
    "MAX_FILTERS",
    "MAX_PATTERN_CHARS",
    "MAX_PATTERN_DEPTH",
    "RecordFilter",
    "compile_filters",
    "invalid_pattern",
    "nests_deeper_than",
    "parse_pattern",
    "pattern_text",
]

#: "You can define up to five different filters for a single event source mapping" [B9].
MAX_FILTERS = 5
#: ``FilterCriteria.Filters[].Pattern`` is at most 4,096 characters [BC-L].
MAX_PATTERN_CHARS = 4096
#: The deepest JSON nesting (objects and lists) a pattern may have (ASSUMED; kinesim's bound).
MAX_PATTERN_DEPTH = 64
#: The deepest JSON nesting of a record's data that patterns are matched against (ASSUMED;
#: deeper data matches no pattern, like data that is not JSON).
MAX_DATA_DEPTH = 256

#: The one key a Kinesis pattern may name at its top level.
DATA_KEY = "data"

_MISSING: Any = object()  # the field is absent from the record
_NOT_JSON: Any = object()  # the record's data is not JSON: nothing under "data" matches

Leaf = Callable[[Any], bool]
Matcher = Callable[[Any], bool]


def invalid_pattern(detail: str = "") -> InvalidParameterValueException:
    """AWS's error for a pattern it cannot use [AWS-snapshot §2.4]; ``detail`` is kinesim's
    explanation, appended after AWS's text."""
    message = "Invalid filter pattern definition."
    return InvalidParameterValueException(f"{message} {detail}" if detail else message, Type="User")


# -- nesting ----------------------------------------------------------------------------------

# Brackets as "(" and ")", quotes kept, everything else deleted (one C pass).
_AS_PARENS = bytes.maketrans(b"[]{}", b"()()")
_NOT_MARKS = bytes(b for b in range(256) if b not in b'[]{}"')


def nests_deeper_than(text: bytes, limit: int) -> bool:
    """Whether the JSON ``text`` nests objects and lists more than ``limit`` deep, found
    without recursion. For text that is not JSON the answer may be True where a parser would
    have failed anyway.

    NOTE: the hot path of a filtered mapping, all at C speed. Two counts settle most records.
    The rest lose their escapes, then keep only brackets (as parentheses) and quotes: a string
    is then ``""`` unless it holds a bracket, so when every quote pairs off the strings are gone
    for free (otherwise they are cut out first), and each ``replace`` of ``()`` removes one
    level. A Python scan token by token was 7-10x slower than the parse itself.
    """
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    if b"\\" in text:  # drop escaped backslashes, then escaped quotes: the rest pair up
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    pairs = text.translate(_AS_PARENS, _NOT_MARKS).replace(b'""', b"")
    if b'"' in pairs:  # a string holds brackets: cut the strings out
        pairs = b"".join(text.split(b'"')[0::2]).translate(_AS_PARENS, _NOT_MARKS)
    for _ in range(limit):
        inner = pairs.replace(b"()", b"")
        if len(inner) == len(pairs):
            break
        pairs = inner
    return b"(" in pairs


def _value_nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether a pattern given as dicts and lists nests more than ``limit`` deep, walked
    without recursion; the walk stops at the limit, so a dict that contains itself ends too."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def pattern_text(pattern: dict[str, Any]) -> str:
    """A pattern given as a dict, as the JSON string AWS stores."""
    if _value_nests_deeper_than(pattern, MAX_PATTERN_DEPTH):
        raise _too_deep()
    try:
        return json.dumps(pattern, allow_nan=False)
    except (TypeError, ValueError) as error:  # a set, an object, NaN...: not JSON
        raise KinesimTypeError(
            f"a filter pattern dict must hold JSON values only ({error}), got {pattern!r}"
        ) from None


def _too_deep() -> InvalidParameterValueException:
    return invalid_pattern(f"The pattern nests deeper than {MAX_PATTERN_DEPTH} levels.")


# -- compiling --------------------------------------------------------------------------------


def parse_pattern(text: str) -> Matcher:
    """Compile one pattern (a JSON string); :func:`invalid_pattern` if AWS would refuse it."""
    if nests_deeper_than(text.encode("utf-8", "surrogatepass"), MAX_PATTERN_DEPTH):
        raise _too_deep()
    try:
        pattern = json.loads(text)
    except ValueError:
        raise invalid_pattern() from None
    if not isinstance(pattern, dict) or not pattern:
        raise invalid_pattern()
    _check_keys(pattern)
    return _object(pattern)


def _check_keys(pattern: dict[str, Any]) -> None:
    """Refuse a key other than ``data`` at the top (or in a branch of a top-level ``$or``), and
    a ``data`` that is not an object: "The filter pattern for data properties must be in a
    valid JSON format" [B9]."""
    for key, value in pattern.items():
        if key == "$or":
            for branch in value if isinstance(value, list) else ():
                if isinstance(branch, dict):
                    _check_keys(branch)
        elif key != DATA_KEY:
            raise invalid_pattern(
                "Kinesis event source mappings only support filtering on the data key; "
                f"this pattern filters on {key!r}."
            )
        elif not isinstance(value, dict):
            raise invalid_pattern()


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

    __slots__ = ("_matchers", "patterns")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._matchers = tuple(parse_pattern(p) for p in patterns)

    def keep(self, data: bytes) -> bool:
        """Whether a record with ``data`` matches any pattern (and so is delivered)."""
        document = {DATA_KEY: _decoded(data)}
        return any(match(document) for match in self._matchers)

    def select(self, shard: _Shard, start: int, end: int, **_record_context: str) -> list[int]:
        """The positions in ``[start, end)`` of ``shard`` whose records match.

        ``_record_context`` (the poller passes ``role_arn``, ``region`` and ``stream_arn``) is
        accepted and not read: patterns see only ``data``.
        """
        # NOTE: the per-record loop of :func:`_decoded`, inlined (with the cheap half of the
        # nesting bound): a filtered mapping's hot path, where two calls a record showed.
        matchers = self._matchers
        data_of = shard.data
        loads = json.loads
        out: list[int] = []
        for i in range(start, end):
            raw = data_of(i)
            if raw.count(b"[") + raw.count(b"{") > MAX_DATA_DEPTH and nests_deeper_than(
                raw, MAX_DATA_DEPTH
            ):
                value = _NOT_JSON
            else:
                try:
                    value = loads(raw)
                except ValueError:  # not UTF-8 or not JSON
                    value = _NOT_JSON
            document = {DATA_KEY: value}
            for match in matchers:
                if match(document):
                    out.append(i)
                    break
        return out


def _decoded(data: bytes) -> Any:
    """A record's data as the patterns see it: its JSON value, or :data:`_NOT_JSON` when it is
    not JSON, not UTF-8, or nested deeper than :data:`MAX_DATA_DEPTH`."""
    if nests_deeper_than(data, MAX_DATA_DEPTH):
        return _NOT_JSON
    try:
        return json.loads(data)
    except ValueError:  # not UTF-8 or not JSON
        return _NOT_JSON


class _Shard(Protocol):
    def data(self, i: int) -> bytes: ...


def compile_filters(patterns: tuple[str, ...]) -> RecordFilter | None:
    """The mapping's filter, or None when it has no patterns (every record is delivered)."""
    return RecordFilter(patterns) if patterns else None
