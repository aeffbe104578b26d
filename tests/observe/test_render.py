from kinesim._observe.render import (
    format_epoch_ms,
    format_event,
    format_offset,
    format_value,
    kind_matches,
)
from kinesim._observe.trace import TraceEvent


def test_offsets():
    assert format_offset(0) == "+00:00:00.000"
    assert format_offset(3_723_004) == "+01:02:03.004"
    assert format_offset(2 * 86_400_000 + 5) == "+2d00:00:00.005"
    assert format_offset(-1500) == "-00:00:01.500"


def test_epoch_ms():
    assert format_epoch_ms(1_767_225_600_123) == "2026-01-01T00:00:00.123Z"


def test_values():
    assert format_value("shardId-000000000000") == "shardId-000000000000"
    assert format_value("") == "''"
    assert format_value("a b") == "'a b'"
    assert format_value(None) == "None"
    assert format_value(1.5) == "1.5"
    assert format_value(b"x" * 70) == repr(b"x" * 64) + "…"
    assert format_value({"k": [1, "two words"]}) == "{k: [1, 'two words']}"
    assert format_value({str(i): i for i in range(10)}).endswith("7: 7, …2 more}")
    assert format_value("y" * 100, width=10) == "y" * 9 + "…"


def test_event_line():
    event = TraceEvent(1_000, "esm.batch", {"start": 0, "end": 3})
    assert format_event(event, 0, kind_width=10) == "+00:00:01.000  esm.batch   start=0 end=3"
    assert format_event(TraceEvent(0, "x", {}), 0) == "+00:00:00.000  x"


def test_kind_patterns():
    assert kind_matches("esm.batch", ["esm.batch"])
    assert kind_matches("esm.batch", ["esm"])
    assert not kind_matches("esm.batch", ["es"])
    assert kind_matches("lambda.throttle", ["*.throttle"])
    assert not kind_matches("lambda.throttle", ["kinesis", "*.put"])
    assert not kind_matches("esm.batch", [])
