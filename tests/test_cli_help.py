"""Every subcommand has a description and lists its flags, one per scenario field."""

from __future__ import annotations

from dataclasses import fields

import pytest

from kinesim._cli import build_parser, main
from kinesim.whatif import Scenario

NESTED = {"duration", "arrivals", "record_size", "keys", "faults", "producer", "prices"}


def _subparsers(parser):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield name, sub
                yield from ((f"{name} {n}", s) for n, s in _subparsers(sub))


def test_every_subcommand_has_a_description():
    found = dict(_subparsers(build_parser()))
    assert set(found) == {"trace", "trace show", "whatif", "sweep"}
    for name, parser in found.items():
        assert parser.description, name


@pytest.mark.parametrize("command", ["whatif", "sweep"])
def test_help_lists_one_flag_per_scenario_field(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    for f in fields(Scenario):
        if f.name in NESTED:
            continue
        flag = "--seed" if f.name == "seed" else f"--{f.name.replace('_', '-')}"
        assert f"\n  {flag} " in out, flag
    assert "--set NAME=VALUE" in out
    assert "--quiet" in out
    assert "--force" in out
    assert "--shards VALUE        (default 4)" in out


def test_a_field_flag_works(capsys, tmp_path):
    argv = ["whatif", "--simulated-s", "60", "--shards", "2", "--batch-size", "50", "--json"]
    assert main([*argv, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert '"shards": 2' in out
    assert '"batch_size": 50' in out
