"""The non-shadowing fixture name and the @given pattern (a simulator per example)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
import kinesim.testing

pytest_plugins = ["pytester"]


@settings(max_examples=20)
@given(payloads=st.lists(st.binary(min_size=1, max_size=50), min_size=1, max_size=10))
def test_a_simulator_per_example_inside_given(payloads):
    with kinesim.testing.simulator(seed=3) as sim:
        assert sim.elapsed == 0.0  # fresh for every example
        assert sim.seed == 3
        stream = sim.kinesis.create_stream("s", shard_count=1)
        seen: list[bytes] = []
        sim.lambda_.create_event_source_mapping(
            sim.lambda_.create_function(
                "f",
                lambda event, context: seen.extend(r["kinesis"]["data"] for r in event["Records"]),
            ),
            stream,
            starting_position="TRIM_HORIZON",
        )
        stream.put_records([(p, "k") for p in payloads])
        sim.drain()
        assert len(seen) == len(payloads)


def test_a_failure_inside_the_block_gets_a_note_describing_the_simulator():
    def example() -> None:
        with kinesim.testing.simulator(seed=9) as sim:
            sim.advance(5)
            raise AssertionError("boom")

    with pytest.raises(AssertionError) as info:
        example()
    (note,) = info.value.__notes__
    assert note.startswith("kinesim.testing.simulator:\nseed: 9\nvirtual time: ")
    assert "(5 s after the start)" in note


def test_options_reach_the_simulator():
    with kinesim.testing.simulator(seed=1, region="eu-west-1") as sim:
        assert sim.region == "eu-west-1"


def test_kinesim_sim_leaves_the_module_usable(pytester):
    pytester.makepyfile(
        """
        import pytest
        import kinesim

        @pytest.mark.kinesim(seed=5)
        def test_both(kinesim_sim):
            assert isinstance(kinesim_sim, kinesim.Simulator)
            assert kinesim_sim.seed == 5
            assert issubclass(kinesim.NotDrained, Exception)

        def test_fails(kinesim_sim):
            kinesim_sim.advance(2)
            assert False
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*- kinesim -*", "seed: 0 (from default)"])
