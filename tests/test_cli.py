import subprocess
import sys

import pytest

import kinesim
from kinesim import Simulator
from kinesim._cli import main


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: kinesim" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("kinesim ")


def test_console_script_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "kinesim._cli", "--version"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.startswith("kinesim 0.")


# -- kinesim trace show -----------------------------------------------------------------------


@pytest.fixture
def saved_trace(tmp_path):
    sim = Simulator(seed=31)
    sim.trace.emit("kinesis.put", shard_id="shardId-000000000000", records=2)
    sim.advance(1.25)
    sim.trace.emit("esm.batch", shard_id="shardId-000000000000", start=0, end=2, data=b"\x00ab")
    sim.advance(60)
    sim.trace.emit("lambda.throttle", reason="ReservedFunctionConcurrentInvocationLimitExceeded")
    sim.trace.emit("esm.retry", attempt=1, note="two words", positions=list(range(12)))
    sim.advance(86_400)
    sim.trace.emit("kinesis.throttle", sizes={"a": 1, "b": [1, 2]}, big="x" * 200)
    path = tmp_path / "run.msgpack"
    sim.trace.save(path)
    return path


def show(capsys, *args):
    code = main(["trace", "show", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_trace_show_prints_every_event(capsys, saved_trace):
    code, lines, _ = show(capsys, saved_trace)
    assert code == 0
    assert lines[0] == (
        f"kinesim trace {saved_trace}: seed 31, kinesim {kinesim.__version__}, "
        "start 2026-01-01T00:00:00.000Z; 5 events"
    )
    assert lines[1:] == [
        "+00:00:00.000  kinesis.put       shard_id=shardId-000000000000 records=2",
        "+00:00:01.250  esm.batch         shard_id=shardId-000000000000 start=0 end=2 "
        "data=b'\\x00ab'",
        "+00:01:01.250  lambda.throttle   reason=ReservedFunctionConcurrentInvocationLimitExceeded",
        "+00:01:01.250  esm.retry         attempt=1 note='two words' "
        "positions=[0, 1, 2, 3, 4, 5, 6, 7, …4 more]",
        "+1d00:01:01.250  kinesis.throttle  sizes={a: 1, b: [1, 2]} big=" + "x" * 79 + "…",
    ]


def test_trace_show_kind_filters(capsys, saved_trace):
    _, lines, _ = show(capsys, saved_trace, "--kind", "esm")
    assert lines[0].endswith("; 5 events, 2 matching")
    assert [line.split()[1] for line in lines[1:]] == ["esm.batch", "esm.retry"]
    _, lines, _ = show(capsys, saved_trace, "--kind", "*.throttle", "--kind", "kinesis.put")
    assert [line.split()[1] for line in lines[1:]] == [
        "kinesis.put",
        "lambda.throttle",
        "kinesis.throttle",
    ]
    _, lines, _ = show(capsys, saved_trace, "--exclude", "kinesis")
    assert [line.split()[1] for line in lines[1:]] == ["esm.batch", "lambda.throttle", "esm.retry"]
    _, lines, _ = show(capsys, saved_trace, "--kind", "es")  # an area is a whole dotted word
    assert lines[1:] == []


def test_trace_show_time_window(capsys, saved_trace):
    _, lines, _ = show(capsys, saved_trace, "--since", "1.25", "--until", "61.25")
    assert [line.split()[1] for line in lines[1:]] == ["esm.batch", "lambda.throttle", "esm.retry"]


def test_trace_show_limit_and_tail(capsys, saved_trace):
    _, lines, _ = show(capsys, saved_trace, "--limit", "2")
    assert lines[0].endswith("; 5 events, showing 2")
    assert [line.split()[1] for line in lines[1:]] == ["kinesis.put", "esm.batch"]
    _, lines, _ = show(capsys, saved_trace, "--kind", "esm", "--tail", "1")
    assert lines[0].endswith("; 5 events, 2 matching, showing 1")
    assert [line.split()[1] for line in lines[1:]] == ["esm.retry"]
    _, lines, _ = show(capsys, saved_trace, "--tail", "0")
    assert lines[1:] == []


def test_trace_show_bad_arguments(capsys, saved_trace):
    for args in (["--limit", "1", "--tail", "1"], ["--limit", "-1"], ["--since", "nan"]):
        with pytest.raises(SystemExit) as info:
            main(["trace", "show", str(saved_trace), *args])
        assert info.value.code == 2
    err = capsys.readouterr().err
    assert "not allowed with argument" in err
    assert "must be 0 or more, got -1" in err
    assert "must be finite seconds >= 0, got nan" in err


def test_trace_show_unreadable_files(capsys, tmp_path):
    missing = tmp_path / "missing.msgpack"
    code, _, err = show(capsys, missing)
    assert code == 1
    assert err == f"kinesim: error: cannot read {missing}: No such file or directory\n"
    junk = tmp_path / "junk.msgpack"
    junk.write_bytes(b"\x93\x01\x02\x03")
    code, _, err = show(capsys, junk)
    assert code == 1
    assert err == (
        f"kinesim: error: {junk} is not a readable kinesim trace: not a kinesim trace: "
        "the header's magic is missing or wrong\n"
    )


def test_trace_without_subcommand_prints_help(capsys):
    assert main(["trace"]) == 2
    assert "usage: kinesim trace" in capsys.readouterr().out


def test_trace_show_from_the_console_script(saved_trace):
    out = subprocess.run(
        [sys.executable, "-m", "kinesim._cli", "trace", "show", str(saved_trace), "--limit", "1"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.splitlines()[1].startswith("+00:00:00.000  kinesis.put")
