"""Error handling decisions, as pure functions: what a function's answer means, and what next.

The poller asks two questions of this module after every invocation:

- :func:`classify` — was the batch a success, a whole-batch failure, or a partial failure (and
  where does the retry start)? Rules: ground truth §6.5 and aws-semantics B5.
- :func:`next_step` — after a whole-batch failure: retry the same batch, bisect it, or give up?

The retry counter, precisely: every batch (a record range) counts its own invocations from 0.
A retry of the same range adds one. Giving up happens once a range has been invoked
``1 + max_retry_attempts`` times (``-1`` never gives up). A bisected half and the remainder after a
partial failure are *new* ranges that start from 0 — so splitting never consumes the quota (AWS:
"Splitting a batch does not count towards the retry quota") and a partial success gives the rest a
fresh count (ground truth §2.6: delivered 5 times, approximateInvokeCount 4). A range of one record
cannot be split, so with bisect on a poison record is retried ``max_retry_attempts`` times on its
own before it is given up. Throttles are not invocations and never count.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kinesim._errors import KinesimTypeError, KinesimValueError

__all__ = ["ExponentialBackoff", "Outcome", "classify", "next_step"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExponentialBackoff:
    """The delay before retrying a failed or throttled batch. AWS publishes no schedule.

    The n-th consecutive failure on a shard (n = 1, 2, ...) waits
    ``min(max_s, initial_s * multiplier ** (n - 1))`` seconds, then, with ``jitter`` > 0, a
    uniformly drawn fraction of up to ``jitter`` of that is taken off (from the simulator's named
    generator ``"esm.backoff"``, so it is deterministic). Default: 0.5 s, doubling, at most 60 s,
    no jitter (ASSUMED, derived from AWS's recordings; see the fidelity page):

    - 2025-11 recording, MaximumRetryAttempts -1, MaximumRecordAge 60 s, always-failing
      function: ``approximateInvokeCount`` 8, i.e. 7 invocations while the record was at most
      60 s old and the 8th attempt after. With doubling from ``initial_s`` the 7th invocation
      comes ``63 * initial_s`` after the first and the 8th ``127 * initial_s`` after, so
      ``60 - lag`` must lie in ``[63, 127) * initial_s`` (lag: the record's age at the first
      invocation). ``initial_s`` 1 fits no lag (7 invocations would need 63 s); 0.5 fits every
      lag from 0 to 28.5 s, kinesim's own (about 0-1 s) included.
    - Every other recorded retry (1 + MaximumRetryAttempts = 2, 3 and 4 invocations, each seen
      well inside the tests' waits of 230 s or more) only bounds the sum from above: 0.5 s fits.
    - The doubling and the 60 s cap are not tested by any recording (the 8th delay, 64 s, is
      never waited for); they stay the exponential-with-cap shape of AWS's SDKs.
    """

    initial_s: float = 0.5
    multiplier: float = 2.0
    max_s: float = 60.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        for name in ("initial_s", "multiplier", "max_s", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise KinesimTypeError(f"ExponentialBackoff.{name} takes a number, got {value!r}")
        if not 0 <= self.initial_s <= self.max_s < float("inf"):
            raise KinesimValueError(
                "ExponentialBackoff needs 0 <= initial_s <= max_s < inf, got "
                f"initial_s={self.initial_s!r}, max_s={self.max_s!r}"
            )
        if self.multiplier < 1:
            raise KinesimValueError(
                f"ExponentialBackoff.multiplier must be >= 1, got {self.multiplier!r}"
            )
        if not 0 <= self.jitter <= 1:
            raise KinesimValueError(
                f"ExponentialBackoff.jitter is a fraction in [0, 1], got {self.jitter!r}"
            )

    def delay_ms(self, failures: int, rng: random.Random | None = None) -> int:
        """Delay after the ``failures``-th consecutive failure (>= 1), in whole ms."""
        exponent = min(failures - 1, 64)  # beyond this the cap has long applied
        delay_s = min(self.max_s, self.initial_s * self.multiplier**exponent)
        if self.jitter and rng is not None:
            delay_s -= delay_s * self.jitter * rng.random()
        return round(delay_s * 1000)


Kind = Literal["success", "failure", "partial"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an invocation's result means for its batch.

    ``retry_from`` (partial only) is the index in the batch of the lowest reported failure: the
    records before it succeeded. ``function_error`` is what the destination record shows
    (``"Unhandled"``, or None when the function returned normally but its report was invalid).
    """

    kind: Kind
    retry_from: int = 0
    function_error: str | None = None
    reason: str = ""


SUCCESS = Outcome("success")


def classify(
    function_error: str | None,
    response: Any,
    sequence_numbers: Sequence[str],
    report_batch_item_failures: bool,
) -> Outcome:
    """Interpret one invocation of a batch whose records have ``sequence_numbers`` (in order)."""
    if function_error is not None:
        return Outcome("failure", function_error=function_error, reason="function error")
    if not report_batch_item_failures:
        return SUCCESS
    # Complete success: null/empty response, empty or null list [ground truth §2.6; B5].
    if response is None or response == "" or response == [] or response == {}:
        return SUCCESS
    if not isinstance(response, dict):
        # ASSUMED: a response that is not a JSON object cannot be read as a report.
        return Outcome("failure", reason="response is not a batch item failure report")
    if "batchItemFailures" not in response:
        # ASSUMED: an object without the key is an empty report (handlers often return
        # {"statusCode": 200}); AWS documents only the empty and null cases.
        return SUCCESS
    failures = response["batchItemFailures"]
    if failures is None or failures == []:
        return SUCCESS
    if not isinstance(failures, list):
        return Outcome("failure", reason="batchItemFailures is not a list")
    index_of: dict[str, int] | None = None
    lowest = len(sequence_numbers)
    for entry in failures:
        identifier = entry.get("itemIdentifier") if isinstance(entry, dict) else None
        if not isinstance(identifier, str) or not identifier:
            return Outcome("failure", reason=f"invalid batch item failure {entry!r}")
        if index_of is None:
            index_of = {seq: i for i, seq in enumerate(sequence_numbers)}
        index = index_of.get(identifier)
        if index is None:
            return Outcome(
                "failure", reason=f"itemIdentifier {identifier!r} is not a record of the batch"
            )
        lowest = min(lowest, index)
    return Outcome("partial", retry_from=lowest, reason="partial batch failure")


Step = Literal["retry", "bisect", "give_up"]


def next_step(
    *, size: int, invocations: int, max_retry_attempts: int, bisect_on_error: bool
) -> Step:
    """After a whole-batch failure of a range of ``size`` records invoked ``invocations`` times."""
    if bisect_on_error and size > 1:
        return "bisect"
    if max_retry_attempts != -1 and invocations >= 1 + max_retry_attempts:
        return "give_up"
    return "retry"


def bisect_point(size: int) -> int:
    """Where a failed batch of ``size`` > 1 records is split: the first half is the smaller one
    when ``size`` is odd (ASSUMED: AWS says "split in half" only)."""
    return size // 2
