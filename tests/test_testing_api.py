"""The testing modules' public names are declared once (``__all__``), exist, and are documented
on the testing reference page; importing kinesim imports none of them."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = (
    Path(__file__).resolve().parent.parent / "docs" / "reference" / "testing.md"
).read_text(encoding="utf-8")

EXPECTED = {
    "kinesim.strategies": [
        "MAX_DATA_BYTES",
        "MAX_KEY_CHARS",
        "MAX_PUT_RECORDS",
        "POISON_PREFIX",
        "FaultEvent",
        "FaultPlan",
        "InjectedFailure",
        "PoisonRecordError",
        "PutSchedule",
        "ScheduledPut",
        "fault_plans",
        "is_poison",
        "key_sequences",
        "mapping_configs",
        "partition_keys",
        "payloads",
        "poisoned",
        "put_schedules",
        "record_batches",
        "records",
    ],
    "kinesim.stateful": ["FAULTS", "KinesimMachine"],
    "kinesim.invariants": [
        "Delivery",
        "InvariantViolation",
        "SeenRecord",
        "check_at_least_once",
        "check_idempotent",
        "check_no_silent_loss",
        "check_order_per_key",
        "deliveries",
    ],
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_public_names(module):
    loaded = importlib.import_module(module)
    assert sorted(loaded.__all__) == sorted(EXPECTED[module])
    for name in loaded.__all__:
        assert hasattr(loaded, name), name
        assert name in REFERENCE, f"{module}.{name} is not on docs/reference/testing.md"


def test_import_kinesim_imports_no_testing_module():
    code = (
        "import sys, kinesim; "
        "print(sorted(m for m in sys.modules if m in ('kinesim.strategies', 'kinesim.stateful', "
        "'kinesim.invariants', 'hypothesis', 'pytest', 'kinesim._pytest_plugin')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
