"""The built-in demo scenario behind ``kinesim demo``."""

from __future__ import annotations

from kinesim._simulator import Simulator


def run_demo(*, seed: int = 0) -> str:
    """Run the demo and return its report as text."""
    sim = Simulator(seed=seed)
    rng = sim.random("demo.producer")
    arrivals: list[int] = []

    def arrive() -> None:
        arrivals.append(sim.now_ms)
        sim.trace.emit("arrival", n=len(arrivals))
        sim.metrics.put("Demo", "Arrivals", 1)
        if len(arrivals) < 1000:
            sim.call_later_ms(int(rng.expovariate(1 / 86.4) * 1000), arrive)

    sim.call_later_ms(0, arrive)
    sim.advance(86_400)
    series = sim.metrics.series("Demo", "Arrivals")
    return "\n".join(
        [
            f"kinesim demo (seed {seed}): Poisson arrivals over one virtual day",
            f"  arrivals: {series.count()}, first at {arrivals[0]} ms, last at {arrivals[-1]} ms",
            f"  trace: {len(sim.trace)} events, digest {sim.trace.digest()[:16]}",
        ]
    )
