import contextlib

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kinesim
from kinesim import Simulator, Trace, TraceFormatError


def _traced_sim(seed=3):
    sim = Simulator(seed=seed)
    sim.trace.emit("a", n=1, nested={"z": [1, 2.5, None], "a": b"\x00"})
    sim.advance(1.5)
    sim.trace.emit("b", ok=True, text="é")
    return sim


def test_events_carry_time_kind_fields_in_order():
    sim = _traced_sim()
    events = sim.trace.events
    assert [(e.time_ms - sim.start_ms, e.kind) for e in events] == [(0, "a"), (1500, "b")]
    assert events[1].fields == {"ok": True, "text": "é"}
    assert len(sim.trace) == 2
    assert sim.trace.of_kind("b") == [events[1]]
    assert sim.trace.tail(1) == [events[1]]
    assert sim.trace.tail(0) == []


def test_off_and_filtered_recording():
    sim = Simulator(trace=False)
    sim.trace.emit("a")
    assert len(sim.trace) == 0
    assert not sim.trace.wants("a")
    sim = Simulator(trace={"keep"})
    sim.trace.emit("drop", x=1)
    sim.trace.emit("keep", x=2)
    assert [e.kind for e in sim.trace] == ["keep"]
    sim.trace.kinds = None
    sim.trace.enabled = False
    sim.trace.emit("keep")
    assert len(sim.trace) == 1
    with pytest.raises(TypeError, match="kinds=\\{'keep'\\}"):
        sim.trace.kinds = "keep"
    with pytest.raises(TypeError, match="True or False"):
        sim.trace.enabled = 1


def test_round_trip_through_file(tmp_path):
    sim = _traced_sim(seed=12345678901234567890123)
    path = tmp_path / "t.kstrace"
    sim.trace.save(path)
    loaded = Trace.load(path)
    assert loaded.events == sim.trace.events
    assert loaded.seed == 12345678901234567890123
    assert loaded.start_ms == sim.start_ms
    assert loaded.kinesim_version == kinesim.__version__
    assert loaded.digest() == sim.trace.digest()
    with pytest.raises(TypeError, match="no clock"):
        loaded.emit("x")


def test_digest_covers_every_event_recorded_not_only_those_held():
    # The digest packs fields in the order recorded (no per-event key sorting: that cost
    # ~10 us per event on a path every run takes); emitters build fields in a fixed order.
    held_all, ring = Trace(limit=None), Trace(limit=5)
    for i in range(40):
        held_all.record(i, "k", {"i": i, "y": {"p": 1}})
        ring.record(i, "k", {"i": i, "y": {"p": 1}})
        assert ring.digest() == held_all.digest()
    assert len(held_all) == 40
    assert 5 <= len(ring) <= 6  # trimmed a tenth (at least one) past the limit at a time
    assert ring.recorded == 40
    assert ring.dropped == 40 - len(ring)
    assert [e.time_ms for e in ring] == list(range(40 - len(ring), 40))
    ring.record(40, "k", {})
    assert ring.digest() != held_all.digest()


def test_unencodable_field_is_a_loud_bug():
    trace = Trace()
    trace.record(0, "bad", {"obj": object()})
    with pytest.raises(TypeError, match="not msgpack-safe"):
        trace.to_bytes()


def _frame(header, *events):
    packer = msgpack.Packer(use_bin_type=True)
    return b"".join([packer.pack(header), *(packer.pack(e) for e in events)])


GOOD_HEADER = {
    "magic": "kinesim-trace",
    "format": 1,
    "kinesim": "0.1.0",
    "seed": "0",
    "start_ms": 0,
    "count": 1,
}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x92\x01\x02", "magic"),
        (_frame({**GOOD_HEADER, "magic": "nope"}), "magic"),
        (_frame({**GOOD_HEADER, "format": 2}, [0, "k", {}]), "version 2"),
        (_frame({**GOOD_HEADER, "extra": 1}), "header keys"),
        (_frame(GOOD_HEADER), "truncated: header declares 1 events, found 0"),
        (_frame(GOOD_HEADER, [0, "k", {}], [1, "k", {}]), "more events"),
        (_frame(GOOD_HEADER, [0, "k"]), "not a \\[time_ms, kind, fields\\]"),
        (_frame(GOOD_HEADER, ["0", "k", {}]), "wrong types"),
        (_frame({**GOOD_HEADER, "count": -1}), "count"),
        (_frame({**GOOD_HEADER, "seed": 5}), "seed"),
        (_frame({**GOOD_HEADER, "start_ms": "0"}), "start_ms"),
        (_frame(GOOD_HEADER, [0, "k", {"x": msgpack.ExtType(5, b"")}]), "extension"),
        (_frame(GOOD_HEADER)[:-3], "malformed|truncated"),
        # An array header declaring 4 billion entries in a 10-byte input.
        (_frame(GOOD_HEADER) + b"\xdd\xff\xff\xff\xff", "malformed|truncated"),
    ],
)
def test_invalid_traces_raise_trace_format_error(data, message):
    with pytest.raises(TraceFormatError, match=message):
        Trace.from_bytes(data)


def test_deep_nesting_is_refused():
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    with pytest.raises(TraceFormatError, match="nests deeper"):
        Trace.from_bytes(_frame(GOOD_HEADER, [0, "k", {"x": deep}]))


def test_non_bytes_input():
    with pytest.raises(TraceFormatError, match="bytes"):
        Trace.from_bytes("text")  # type: ignore[arg-type]


@given(st.binary(max_size=300))
def test_random_bytes_only_ever_raise_trace_format_error(data):
    with contextlib.suppress(TraceFormatError):
        Trace.from_bytes(data)


_VALID = _traced_sim().trace.to_bytes()


@given(st.data())
def test_corrupted_traces_only_ever_raise_trace_format_error(data):
    raw = bytearray(_VALID)
    for _ in range(data.draw(st.integers(1, 8))):
        index = data.draw(st.integers(0, len(raw) - 1))
        raw[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        trace = Trace.from_bytes(bytes(raw[:cut]))
    except TraceFormatError:
        return
    # What loads must be a well-formed trace.
    assert all(isinstance(e.kind, str) and isinstance(e.fields, dict) for e in trace)
