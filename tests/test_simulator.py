import pytest

import kinesim
from kinesim import Limits, Simulator, Timings


def test_defaults():
    sim = Simulator()
    assert sim.seed == 0
    assert sim.account_id == "123456789012"
    assert sim.region == "us-east-1"
    assert sim.timings == Timings()
    assert sim.timings.stream_create_s == 0
    assert sim.limits.kinesis_throughput is True
    assert sim.limits.account_concurrency == 1000
    assert repr(sim) == "<kinesim.Simulator seed=0 now=2026-01-01T00:00:00+00:00>"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"account_id": "12345"}, ValueError, "12 digits"),
        ({"region": "mars"}, ValueError, "us-east-1"),
        ({"timings": {"stream_create_s": 1}}, TypeError, "kinesim.Timings"),
        ({"limits": 5}, TypeError, "kinesim.Limits"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        Simulator(**kwargs)


def test_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        Simulator(1)  # type: ignore[misc]


def test_timings_and_limits_validate():
    with pytest.raises(kinesim.KinesimValueError, match="stream_create_s"):
        Timings(stream_create_s=-1)
    with pytest.raises(kinesim.KinesimTypeError, match="seconds"):
        Timings(stream_create_s="1")  # type: ignore[arg-type]
    with pytest.raises(kinesim.KinesimValueError, match="account_concurrency"):
        Limits(account_concurrency=0)
    with pytest.raises(kinesim.KinesimTypeError, match="True or False"):
        Limits(kinesis_throughput=1)  # type: ignore[arg-type]
    realistic = Timings.realistic()
    assert realistic.stream_create_s > 0
    assert realistic.mapping_transition_s > 0
