"""Code in the docs runs as a test: each page's ```python blocks, in order, in one namespace.

The README counts as a page; a page that defines ``test_*`` functions has them called too. A
``test_*`` function that takes a ``kinesim`` (or ``kinesim_sim``) argument gets a fresh
simulator, configured by its ``@pytest.mark.kinesim(...)`` as the plugin's fixture would be; one
that takes ``kinesim_aws`` runs inside ``kinesim.mock_aws``, as that fixture would.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import kinesim
from kinesim import Simulator

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
PAGES = sorted(
    p
    for p in [ROOT / "README.md", *DOCS.rglob("*.md")]
    if "_build" not in p.parts and FENCE.search(p.read_text(encoding="utf-8"))
)


def test_docs_with_code_are_found():
    assert len(PAGES) >= 3


def _fixtures(test: Callable[..., object]) -> dict[str, object]:
    names = [n for n in ("kinesim", "kinesim_sim") if n in inspect.signature(test).parameters]
    options: dict[str, object] = {}
    for mark in getattr(test, "pytestmark", []):
        if mark.name == "kinesim":
            options.update(mark.kwargs)
    return {name: Simulator(**options) for name in names}


def _call(test: Callable[..., object]) -> None:
    if "kinesim_aws" in inspect.signature(test).parameters:
        # As the plugin's kinesim_aws fixture: a simulator with mock_aws routing active.
        with kinesim.mock_aws() as sim:
            test(kinesim_aws=sim)
    else:
        test(**_fixtures(test))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_code_runs(page, tmp_path, capsys):
    text = page.read_text(encoding="utf-8")
    blocks = FENCE.findall(text)
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        for index, code in enumerate(blocks):
            lineno = text[: text.find(code)].count("\n")
            exec(compile(code, f"{page}:block{index}@line{lineno + 1}", "exec"), namespace)
        for name, value in list(namespace.items()):
            if name.startswith("test_") and callable(value):
                _call(value)
    finally:
        os.chdir(cwd)
