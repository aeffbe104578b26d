"""Shared helpers for the event source mapping tests."""

from __future__ import annotations

import base64
from typing import Any

import kinesim


def datas(event: dict[str, Any]) -> list[str]:
    """The decoded data of an event's records, in order."""
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]


class Recorder:
    """A handler that records every event it gets and fails as told.

    ``fail_on``: data values whose presence in a batch makes the invocation raise (forever, or
    ``times`` times each). ``respond`` computes the return value from the event.
    """

    def __init__(
        self,
        *,
        fail_on: set[str] | None = None,
        respond: Any = None,
        times: int | None = None,
    ) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail_on = fail_on or set()
        self.respond = respond
        self.times = times
        self._failures: dict[str, int] = {}

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        for value in datas(event):
            if value in self.fail_on:
                seen = self._failures.get(value, 0)
                if self.times is None or seen < self.times:
                    self._failures[value] = seen + 1
                    raise RuntimeError(f"poison record {value}")
        if callable(self.respond):
            return self.respond(event)
        return self.respond

    @property
    def batches(self) -> list[list[str]]:
        return [datas(e) for e in self.events]

    def delivered(self) -> list[str]:
        return [d for batch in self.batches for d in batch]


def setup(
    handler: Any = None,
    *,
    shards: int = 1,
    duration: float = 0.0,
    sim: kinesim.Simulator | None = None,
    **fn_kwargs: Any,
) -> tuple[kinesim.Simulator, Any, Any]:
    """A simulator with a stream ``s`` and a function ``f``, both ready."""
    sim = sim or kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=shards)
    fn = sim.lambda_.create_function("f", handler, duration=duration, **fn_kwargs)
    sim.advance(0)
    return sim, stream, fn


def put(stream: Any, values: list[str], key: str = "k") -> list[str]:
    """Put records one by one; their sequence numbers."""
    return [stream.put_record(v.encode(), key).sequence_number for v in values]
