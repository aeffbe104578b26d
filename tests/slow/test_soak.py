"""A week of virtual time at constant load stays in bounded memory (issue 14).

2 shards, 24 h retention, 20 records/s, one function behind an event source mapping, every
setting at its default. RSS is sampled after each virtual day; from day 1 the retained records
are constant, so RSS must grow by less than 5 MB per virtual day after day 1. Several minutes:
run with ``pytest -m slow tests/slow/test_soak.py``.
"""

import gc
import os

import pytest

import kinesim


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.slow
def test_a_week_at_20_records_per_second_grows_under_5_mb_per_day() -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("soak", shard_count=2)
    fn = sim.lambda_.create_function("f", None, duration=0.02)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    batch = [(b"x" * 100, f"k{i}") for i in range(20)]

    def produce() -> None:
        stream.put_records(batch)
        sim.call_later(1, produce)

    sim.call_later(0, produce)
    rss = []
    for _ in range(7):
        sim.advance(86_400)
        gc.collect()
        rss.append(_rss_mb())
    per_day = (rss[-1] - rss[0]) / (len(rss) - 1)
    assert per_day < 5, f"RSS per virtual day (MB): {[round(x, 1) for x in rss]}"
    # Retained records are a day's worth; everything older was trimmed and released.
    retained = sum(shard.end_index - shard.trim_index for shard in stream.shards)
    assert retained <= 86_400 * 20 + 20
    assert esm.ledger.bookkeeping()["runs"] <= 2
    assert len(sim.trace) <= 11_000
    assert len(fn.invocations) <= 11_000
    assert fn.invocation_count == esm.ledger.invocations()
    assert esm.ledger.fates()["succeeded"] >= 7 * 86_400 * 20 - 100
