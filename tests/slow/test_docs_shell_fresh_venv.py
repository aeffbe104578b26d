"""The README's and the docs' shell lines, run as written in a fresh virtualenv (minutes: the
install lines download and install every extra). The quick suite checks that they parse."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from docs_shell import ROOT, all_commands, kinesim_argv

pytestmark = pytest.mark.slow

# What this test does itself, or cannot do here: the venv and its activation, the whole test
# suite and the docs build (CI runs both), and a Dask cluster at a made-up address.
_NOT_RUN = ("python3 -m venv", ". .venv/bin/activate", "pytest", "sphinx-build")


def _runnable(command: str) -> bool:
    placeholder = "<" in command or "[FILE]" in command  # a synopsis, not a command
    return not command.startswith(_NOT_RUN) and "--dask" not in command and not placeholder


def test_install_and_cli_lines_run_as_written(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(env_dir),
    }
    env.pop("PYTHONPATH", None)
    work = tmp_path / "work"
    work.mkdir()
    commands = [c for _, c in all_commands() if _runnable(c)]
    installs = [c for c in commands if c.startswith("pip install")]
    assert installs
    for command in dict.fromkeys(installs):  # each distinct line once, from the clone
        subprocess.run(command, shell=True, cwd=ROOT, env=env, check=True, timeout=1800)
    runs = [c for c in commands if kinesim_argv(c) is not None]
    # Files the pages create before using them (orders.toml from --init) come first.
    runs.sort(key=lambda c: "--init" not in c)
    for command in dict.fromkeys(runs):
        command = command.replace("examples/orders.toml", str(ROOT / "examples" / "orders.toml"))
        done = subprocess.run(
            command, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=1800
        )
        assert done.returncode == 0, (command, done.stderr[-2000:])
        assert "Traceback" not in done.stderr
    assert Path(sys.executable) != bin_dir / "python"
