"""The tutorial's code, saved as a test module and run by pytest with the plugin, passes: what a
newcomer who copies it gets."""

import re
from pathlib import Path

pytest_plugins = ["pytester"]

PAGE = Path(__file__).resolve().parent.parent / "docs" / "tutorial" / "test-your-handler.md"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def test_the_tutorial_passes_under_pytest(pytester):
    code = "\n\n".join(FENCE.findall(PAGE.read_text(encoding="utf-8")))
    pytester.makepyfile(test_orders=code)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)
