"""The Kinesis reference page's examples run (the docs suite runs every page; this keeps the
Kinesis page honest on its own branch too)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "kinesis.md"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def test_reference_page_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = FENCE.findall(text)
    assert len(blocks) >= 8
    namespace: dict[str, object] = {"__name__": "docs.kinesis"}
    for index, code in enumerate(blocks):
        exec(compile(code, f"{PAGE}:block{index}", "exec"), namespace)
    assert "Rate exceeded for shard shardId-000000000000 in stream hot" in capsys.readouterr().out


def test_fidelity_page_is_a_table_of_known_statuses() -> None:
    page = PAGE.parent.parent / "fidelity" / "kinesis.md"
    rows = [line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    assert rows[0] == "| Behaviour | Status | Source / assumption |"
    statuses = {"exact", "approximated", "assumed", "not modelled"}
    for row in rows[1:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert len(cells) == 3, row
        assert any(s in cells[1] for s in statuses), row
