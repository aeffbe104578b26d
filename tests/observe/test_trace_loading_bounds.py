"""Loading a trace is bounded by the file: element counts capped, containers budgeted, times
within datetime's range, field names str. Anything else is a TraceFormatError, never a crash."""

import struct

import msgpack
import pytest

import kinesim
from kinesim._cli import main
from kinesim._observe.trace import MAX_ELEMENTS

PACK = msgpack.Packer(use_bin_type=True).pack


def header(**overrides):
    fields = {
        "magic": "kinesim-trace",
        "format": 1,
        "kinesim": "0.1.0",
        "seed": "0",
        "start_ms": 0,
        "count": 1,
    }
    fields.update(overrides)
    return PACK(fields)


def event_with_array_of_empty_maps(n):
    # [0, "k", {"a": [{}, {}, ...]}] with an array32 of n empty maps: one byte each on disk.
    return b"\x93\x00\xa1k\x81\xa1a\xdd" + struct.pack(">I", n) + b"\x80" * n


def refused(data, match):
    with pytest.raises(kinesim.TraceFormatError, match=match):
        kinesim.Trace.from_bytes(data)


def test_a_list_longer_than_the_element_cap_is_refused_before_it_is_built():
    refused(header() + event_with_array_of_empty_maps(MAX_ELEMENTS + 1), "max_array_len")
    assert MAX_ELEMENTS == 100_000


def test_a_map_longer_than_the_element_cap_is_refused():
    n = MAX_ELEMENTS + 1
    big_map = b"\xdf" + struct.pack(">I", n) + b"".join(PACK(f"k{i}") + b"\xc0" for i in range(n))
    refused(header() + b"\x93\x00\xa1k" + big_map, "max_map_len")


def test_more_containers_than_the_file_size_allows_are_refused():
    arrays = (b"\xdd" + struct.pack(">I", 50_000) + b"\x80" * 50_000) * 8
    data = header() + b"\x93\x00\xa1k\x81\xa1a\xdd" + struct.pack(">I", 8) + arrays
    refused(data, "more lists and maps than a trace of this size holds")


def test_a_header_count_the_file_cannot_hold_is_refused():
    refused(header(count=10**9) + PACK([0, "k", {}]), "more events than a .*-byte file can hold")


def test_legitimate_containers_within_the_budget_load():
    fields = {"positions": list(range(1000)), "nested": [[1], [2], {"a": [3]}], "data": b"\x00"}
    events = [PACK([i, "k", fields]) for i in range(20)]
    trace = kinesim.Trace.from_bytes(header(count=20) + b"".join(events))
    assert len(trace) == 20
    assert trace.events[19].fields == fields


def test_minimal_events_at_the_size_bound_load():
    n = 10_000
    trace = kinesim.Trace.from_bytes(header(count=n) + PACK([0, "", {}]) * n)
    assert len(trace) == n


@pytest.mark.parametrize("start_ms", [2**63 - 1, -(2**63), 253_402_300_800_000])
def test_a_start_outside_datetimes_range_is_refused(start_ms):
    refused(header(start_ms=start_ms) + PACK([0, "k", {}]), "start_ms .* outside the times")


def test_an_event_time_outside_datetimes_range_is_refused():
    refused(header() + PACK([2**62, "k", {}]), "event 0 time_ms .* outside the times")


def test_the_extreme_times_load():
    data = header(start_ms=-62_135_596_800_000, count=2)
    data += PACK([-62_135_596_800_000, "a", {}]) + PACK([253_402_300_799_999, "b", {}])
    assert [e.kind for e in kinesim.Trace.from_bytes(data)] == ["a", "b"]


@pytest.mark.parametrize("fields", [{b"a": 1, "b": 2}, {"a": {b"x": 1}}, {"a": [{1: 2}]}])
def test_non_str_field_names_are_refused(fields):
    data = msgpack.Packer(use_bin_type=True, strict_types=False).pack
    refused(header() + data([0, "k", fields]), "map key")


def test_a_loaded_trace_always_has_a_digest():
    trace = kinesim.Trace.from_bytes(header() + PACK([0, "k", {"b": {"y": 1, "x": [b"\x00"]}}]))
    assert len(trace.digest()) == 64


# -- kinesim trace show ------------------------------------------------------------------------


def test_trace_show_refuses_a_far_start_with_one_line(tmp_path, capsys):
    path = tmp_path / "far.msgpack"
    path.write_bytes(header(start_ms=2**63 - 1) + PACK([0, "k", {}]))
    assert main(["trace", "show", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"kinesim: error: {path} is not a readable kinesim trace: header ")
    assert "start_ms 9223372036854775807 is outside the times" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("flag", ["--since", "--until"])
@pytest.mark.parametrize("value", ["1e308", "315537897601"])
def test_trace_show_refuses_since_and_until_beyond_any_trace(tmp_path, capsys, flag, value):
    sim = kinesim.Simulator()
    sim.trace.emit("x")
    path = tmp_path / "ok.msgpack"
    sim.trace.save(path)
    with pytest.raises(SystemExit) as info:
        main(["trace", "show", str(path), flag, value])
    assert info.value.code == 2
    assert "must be at most 315,537,897,600 seconds (the span a trace can cover)" in (
        capsys.readouterr().err
    )


def test_trace_show_takes_the_largest_span(tmp_path, capsys):
    sim = kinesim.Simulator()
    sim.trace.emit("x")
    path = tmp_path / "ok.msgpack"
    sim.trace.save(path)
    assert main(["trace", "show", str(path), "--since", "0", "--until", "315537897600"]) == 0
    assert "1 events" in capsys.readouterr().out
