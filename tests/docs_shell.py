"""The shell lines of the README and the docs: install lines and kinesim commands, as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    p for p in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")] if "_build" not in p.parts
)
_CONSOLE = re.compile(r"^```console[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_SPAN = re.compile(r"`([^`\n]+)`")


def console_commands(page: Path) -> list[str]:
    """Commands of a page's ```console blocks (a "$ " prompt is dropped), split at ``&&``."""
    commands = []
    for block in _CONSOLE.findall(page.read_text(encoding="utf-8")):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("$ "):
                line = line[2:]
            elif not line or not re.match(r"(python3?|pip|kinesim|\.|pytest|sphinx-build)\b", line):
                continue  # output, not a command
            commands += [part.strip() for part in line.split("&&")]
    return commands


def inline_commands(page: Path) -> list[str]:
    """Commands quoted inline: `pip install ...` and `kinesim whatif|sweep|trace ...` spans."""
    text = page.read_text(encoding="utf-8")
    parts = [part.strip() for span in _SPAN.findall(text) for part in span.split("&&")]
    return [
        span
        for span in parts
        if span.startswith(("pip install", "kinesim whatif", "kinesim sweep", "kinesim trace"))
        and span not in ("kinesim trace show", "kinesim whatif", "kinesim sweep")  # names only
    ]


def all_commands() -> list[tuple[str, str]]:
    return [
        (str(page.relative_to(ROOT)), command)
        for page in PAGES
        for command in console_commands(page) + inline_commands(page)
    ]


def kinesim_argv(command: str) -> list[str] | None:
    """The arguments of a ``kinesim ...`` command, without a shell redirection; else None."""
    words = shlex.split(command)
    if not words or words[0] != "kinesim":
        return None
    if ">" in words:
        words = words[: words.index(">")]
    return words[1:]
