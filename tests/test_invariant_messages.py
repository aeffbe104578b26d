"""check_idempotent says exactly what differs: extra vs missing, and whether redeliveries can
explain it; one raise site per check (so hypothesis sees one failure per bug)."""

from __future__ import annotations

import pytest

from kinesim.invariants import Delivery, InvariantViolation, SeenRecord, check_idempotent

A1 = SeenRecord("shardId-000000000000", "1", "a", b"x")
B2 = SeenRecord("shardId-000000000000", "2", "b", b"y")
FIRST = Delivery("r-1", 0, (A1, B2), reason="first")
RETRY = Delivery("r-2", 1000, (A1,), reason="retry")


def count(records):
    out: dict[str, int] = {}
    for record in records:
        out[record.partition_key] = out.get(record.partition_key, 0) + 1
    return out


def message(actual, seen):
    with pytest.raises(InvariantViolation) as info:
        check_idempotent(actual, seen, expected=count)
    return str(info.value).splitlines()


def test_an_extra_count_with_a_redelivery_blames_the_redelivery():
    lines = message({"a": 2, "b": 1}, [FIRST, RETRY])
    assert lines[3] == "  extra in actual:     'a': 2 (expected 1)"
    assert lines[4] == "records delivered more than once (each delivery repeats a side effect):"
    assert lines[5].startswith("  shardId-000000000000/1 (partition key 'a', data b'x') delivered")
    assert "missing" not in "\n".join(lines)


def test_a_missing_count_is_not_blamed_on_redeliveries():
    lines = message({"a": 2}, [FIRST, RETRY])
    assert lines[3] == "  extra in actual:     'a': 2 (expected 1)"
    assert lines[4] == "  missing from actual: 'b': 0 (expected 1)"
    only_missing = message({"a": 1}, [FIRST, RETRY])
    assert only_missing[3] == "  missing from actual: 'b': 0 (expected 1)"
    assert only_missing[4].startswith("nothing is counted twice, so redeliveries do not explain")


def test_lists_and_numbers_are_diffed_too():
    def keys(records):
        return [r.partition_key for r in records]

    with pytest.raises(InvariantViolation) as info:
        check_idempotent(["a", "a", "c"], [FIRST], expected=keys)
    text = str(info.value)
    assert "  extra in actual:     'a'; 'c'" in text
    assert "  missing from actual: 'b'" in text
    assert "no record was delivered twice: the handler skipped or lost records" not in text
    with pytest.raises(InvariantViolation, match="missing from actual: 1"):
        check_idempotent(1, [FIRST], expected=len)


def test_every_failure_comes_from_one_line():
    origins = set()
    for actual, seen in (({"a": 2, "b": 1}, [FIRST, RETRY]), ({"a": 1}, [FIRST]), ({}, [FIRST])):
        with pytest.raises(InvariantViolation) as info:
            check_idempotent(actual, seen, expected=count)
        origins.add(info.traceback[-1].lineno)
        assert info.value.__context__ is None
    assert len(origins) == 1
