"""Every install line in the README, the docs and the CLI's messages installs from a clone with
extras that exist; every kinesim command line there parses (the slow suite runs them)."""

from __future__ import annotations

import configparser
import re

import pytest
from docs_shell import ROOT, all_commands, kinesim_argv

from kinesim._cli import build_parser

_CONFIG = configparser.ConfigParser()
_CONFIG.read(ROOT / "setup.cfg")
EXTRAS = set(_CONFIG["options.extras_require"])
COMMANDS = all_commands()
_INSTALL = re.compile(r"pip install (?P<flag>\S+) (?P<target>\S+)")
_TARGET = re.compile(r"\.(?:\[(?P<extras>[a-z0-9_,-]+)\])?")


def _check_installs(text: str) -> int:
    """Check every ``pip install`` in ``text``; return how many there were."""
    found = 0
    for match in _INSTALL.finditer(text):
        found += 1
        line = match.group(0)
        assert match.group("flag") == "-e", f"{line!r}: kinesim is not on a package index"
        target = _TARGET.match(match.group("target").replace("`", "").strip("\"'"))
        assert target, f"{line!r}: install the clone ('.' or '.[extra]')"
        extras = set(filter(None, (target.group("extras") or "").split(",")))
        assert extras <= EXTRAS, f"{line!r}: no such extra(s) {sorted(extras - EXTRAS)}"
    return found


def test_the_pages_have_install_and_kinesim_lines():
    assert any("pip install" in command for _, command in COMMANDS)
    assert sum(kinesim_argv(command) is not None for _, command in COMMANDS) >= 8


@pytest.mark.parametrize(
    "command",
    [c for _, c in COMMANDS if "pip install" in c],
    ids=[f"{p}: {c}" for p, c in COMMANDS if "pip install" in c],
)
def test_install_lines_install_the_clone_with_existing_extras(command):
    assert _check_installs(command) >= 1


def test_the_cli_messages_install_lines_too():
    found = sum(
        _check_installs(p.read_text(encoding="utf-8")) for p in (ROOT / "kinesim").rglob("*.py")
    )
    assert found >= 4  # --plot, --dask, Report.plot, to_pandas


@pytest.mark.parametrize(
    "command",
    [c for _, c in COMMANDS if kinesim_argv(c) is not None],
    ids=[f"{p}: {c}" for p, c in COMMANDS if kinesim_argv(c) is not None],
)
def test_kinesim_lines_parse(command):
    argv = kinesim_argv(command)
    assert argv is not None
    args, unknown = build_parser().parse_known_args(argv)
    assert unknown == []
    assert hasattr(args, "run"), f"{command!r} names no command"


def test_the_readme_names_the_extras_the_full_suite_needs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_line = next(line for line in readme.splitlines() if "&& pytest" in line)
    for extra in ("test", "boto3", "plot", "dask", "powertools", "pandas"):
        assert extra in test_line
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for extra in ("test", "boto3", "plot", "dask", "powertools", "pandas"):
        assert re.search(rf"pip install -q -e \"\.\[[a-z,]*\b{extra}\b", ci), extra


def test_docs_name_no_private_module_or_private_notes():
    banned = re.compile(
        r"aws-ground-truth|aws-semantics|\[seed\]|part 2, issue|the issue's bar|"
        r"\b(?:esm|stream)\._check\(\)|kinesim\._destinations|READ_AHEAD_RECORDS|"
        r"kinesim\._esm\.|kinesim\._iam\.|kinesim\._kinesis\.bulk"
    )
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in pages
        if "_build" not in p.parts
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if banned.search(line)
    ]
    assert found == []
