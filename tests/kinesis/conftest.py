from __future__ import annotations

import pytest

import kinesim


@pytest.fixture
def sim() -> kinesim.Simulator:
    return kinesim.Simulator(seed=0)


@pytest.fixture
def free_sim() -> kinesim.Simulator:
    """A simulator with Kinesis throughput limits switched off."""
    return kinesim.Simulator(seed=0, limits=kinesim.Limits(kinesis_throughput=False))
