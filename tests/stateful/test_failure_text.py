"""The state machine's failure, as pytest prints it for a known-buggy handler: one exception,
raised once, naming the extra count and the redelivered record; kinesim's frames hidden; the
counterexample and the failure in about 30 lines."""

from __future__ import annotations

import re

pytest_plugins = ["pytester"]

MACHINE = """
from collections import Counter

from hypothesis import settings
from hypothesis.stateful import invariant

from kinesim.stateful import KinesimMachine


class CountOnce(KinesimMachine):
    faults = ("failure",)

    def __init__(self):
        super().__init__()
        self.counts = Counter()

    def handler(self, event, context):  # counts again when a batch is retried
        for record in event["Records"]:
            self.counts[record["kinesis"]["partitionKey"]] += 1

    @invariant()
    def each_order_counted_once(self):
        self.check_idempotent(
            self.counts, expected=lambda records: Counter(r.partition_key for r in records)
        )


TestCountOnce = CountOnce.TestCase
TestCountOnce.settings = settings(
    TestCountOnce.settings, max_examples=100, stateful_step_count=10, derandomize=True,
    database=None,
)
"""

REQUEST = re.compile(r"request [0-9a-f-]{36}")


def test_a_non_idempotent_handler_fails_once_and_readably(pytester):
    pytester.makepyfile(test_machine=MACHINE)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    failure = text[text.index("self = CountOnce") : text.index("short test summary")]
    lines = failure.splitlines()
    assert len(lines) <= 32, failure
    body = [REQUEST.sub("request <id>", line) for line in lines if line.startswith("E ")]
    assert body[:6] == [
        "E       kinesim.invariants.InvariantViolation: the handler's side effect is not what "
        "processing each of the 1 delivered record(s) once gives:",
        "E         actual:   Counter({'a': 2})",
        "E         expected: Counter({'a': 1})",
        "E         extra in actual:     'a': 2 (expected 1)",
        "E       records delivered more than once (each delivery repeats a side effect):",
        "E         shardId-000000000000/49001767225600000000000000000000000000000000000016738394 "
        "(partition key 'a', data b'0', arrived 2026-01-01T00:00:00.000Z) delivered 2 times: "
        "request <id> (first) at 2026-01-01T00:00:01.000Z; request <id> (retry) at "
        "2026-01-01T00:00:02.050Z",
    ]
    steps = [line.split("state.", 1)[1] for line in body if "state." in line]
    assert [s for s in steps if not s.startswith(("each_order", "kinesim_inv"))] == [
        "put_records(keys=['a'])",
        "fail_next_invocations(count=1)",
        "drain()",
        "teardown()",
    ]
    # Raised once: no chained copy, no second "distinct failure", no explain phase, and the
    # traceback ends in the user's invariant, not in kinesim's modules.
    assert "During handling of the above exception" not in text
    assert "distinct failures" not in text
    assert "Explanation:" not in text
    assert "kinesim/invariants.py" not in failure
    assert "kinesim/stateful.py" not in failure
    source = MACHINE.strip().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "self.check_idempotent(" in text)
    assert f"test_machine.py:{line}: InvariantViolation" in failure
