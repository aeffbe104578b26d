"""The fan-out reference page's ```python examples run, in order, in one namespace."""

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "fanout.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def test_the_reference_page_examples_run():
    if not PAGE.exists():
        pytest.fail(f"{PAGE} is missing")
    blocks = _BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{PAGE.name} example {number}", "exec")
        exec(code, namespace)
