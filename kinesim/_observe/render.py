"""Trace events as text for people: one line per event, time relative to the trace's start.

Used by the pytest plugin's failure report and by ``kinesim trace show``. A line reads::

    +00:00:12.345  esm.batch  shard_id=shardId-000000000000 start=0 end=3

Long values are cut (with ``…``) so that one odd field cannot flood a terminal; the saved trace
keeps everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from typing import Any

from kinesim._observe.trace import TraceEvent

__all__ = [
    "format_epoch_ms",
    "format_event",
    "format_events",
    "format_offset",
    "format_value",
    "kind_matches",
]

#: A rendered field value longer than this is cut.
VALUE_WIDTH = 80
#: At most this many items of a list or dict are shown.
_ITEMS = 8


def format_offset(offset_ms: int) -> str:
    """``+HH:MM:SS.mmm`` (with ``Nd`` days in front past a day); negative offsets get ``-``."""
    sign = "-" if offset_ms < 0 else "+"
    offset_ms = abs(offset_ms)
    days, rest = divmod(offset_ms, 86_400_000)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
    return f"{sign}{days}d{text}" if days else f"{sign}{text}"


def format_epoch_ms(epoch_ms: int) -> str:
    """An epoch millisecond as ISO 8601 UTC with milliseconds, e.g. ``2026-01-01T00:00:00.000Z``."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"


def format_value(value: Any, width: int = VALUE_WIDTH) -> str:
    """A field value, compact: bare words stay bare, other strings and bytes are quoted."""
    text = _render(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _render(value: Any) -> str:
    if isinstance(value, str):
        bare = value and all(ch.isalnum() or ch in "-_.:/@+" for ch in value)
        return value if bare else repr(value)
    if isinstance(value, bytes):
        return repr(value[:64]) + ("…" if len(value) > 64 else "")
    if isinstance(value, list):
        items = [_render(item) for item in value[:_ITEMS]]
        more = f", …{len(value) - _ITEMS} more" if len(value) > _ITEMS else ""
        return "[" + ", ".join(items) + more + "]"
    if isinstance(value, dict):
        pairs = [f"{key}: {_render(item)}" for key, item in list(value.items())[:_ITEMS]]
        more = f", …{len(value) - _ITEMS} more" if len(value) > _ITEMS else ""
        return "{" + ", ".join(pairs) + more + "}"
    return repr(value)


def format_event(event: TraceEvent, start_ms: int, *, kind_width: int = 16) -> str:
    """One line: offset from ``start_ms``, kind, then ``key=value`` for each field in order."""
    fields = " ".join(f"{key}={format_value(value)}" for key, value in event.fields.items())
    line = f"{format_offset(event.time_ms - start_ms)}  {event.kind:<{kind_width}}  {fields}"
    return line.rstrip()


def format_events(events: Iterable[TraceEvent], start_ms: int) -> list[str]:
    """:func:`format_event` for each event, with the kind column as wide as the widest kind."""
    events = list(events)
    width = max((len(event.kind) for event in events), default=0)
    return [format_event(event, start_ms, kind_width=width) for event in events]


def kind_matches(kind: str, patterns: Iterable[str]) -> bool:
    """Whether ``kind`` matches one of ``patterns``.

    A pattern is a kind (``esm.batch``), an area (``esm`` matches every ``esm.*`` kind) or a
    shell-style wildcard (``*.throttle``).
    """
    for pattern in patterns:
        if kind == pattern or kind.startswith(pattern + "."):
            return True
        if any(ch in pattern for ch in "*?[") and fnmatchcase(kind, pattern):
            return True
    return False
