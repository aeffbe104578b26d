"""The pytest plugin, driven through pytester (an inner pytest run per test)."""

import subprocess
import sys

import pytest

from kinesim import Trace

pytest_plugins = ["pytester"]

# The inner runs test the plugin's fixtures, some of whose scopes are shared by tests in file
# order (module_kinesim, class_kinesim): shuffling them (pytest-randomly, which the outer run
# may use) would test the shuffler, not the plugin.
RUN = ("-p", "no:cacheprovider", "-p", "no:randomly")


def test_fixture_and_marker(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_default(kinesim):
            assert kinesim.seed == 0
            assert kinesim.elapsed == 0
            kinesim.advance(60)

        def test_fresh_per_test(kinesim):
            assert kinesim.elapsed == 0

        @pytest.mark.kinesim(seed=9, region="eu-west-1", start=1_800_000_000)
        def test_marked(kinesim):
            assert kinesim.seed == 9
            assert kinesim.region == "eu-west-1"
            assert kinesim.now_ms == 1_800_000_000_000
        """
    )
    pytester.runpytest(*RUN).assert_outcomes(passed=3)


def test_marker_on_class_and_module(pytester):
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.kinesim(seed=3)

        def test_module_marker(kinesim):
            assert kinesim.seed == 3

        @pytest.mark.kinesim(seed=4)
        class TestClass:
            def test_class_marker(self, kinesim):
                assert kinesim.seed == 4

            @pytest.mark.kinesim(seed=5)
            def test_closest_marker_wins(self, kinesim):
                assert kinesim.seed == 5
        """
    )
    pytester.runpytest(*RUN).assert_outcomes(passed=3)


def test_marker_misuse_fails_with_what_to_do(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kinesim(7)
        def test_positional(kinesim):
            pass

        @pytest.mark.kinesim(shards=4)
        def test_unknown(kinesim):
            pass
        """
    )
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.kinesim takes keyword arguments only, got (7,); "
            "write e.g. @pytest.mark.kinesim(seed=7)",
            "*@pytest.mark.kinesim got unknown option(s) shards; it takes seed, start, *",
        ]
    )


def test_marker_is_registered(pytester):
    result = pytester.runpytest(*RUN, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.kinesim(**options): *"])


SEED_PROBE = """
    import pytest

    def test_seed(kinesim):
        print("SEED", kinesim.seed)

    @pytest.mark.kinesim(seed=1)
    def test_marker_beats_options(kinesim):
        assert kinesim.seed == 1
"""


def test_seed_option(pytester):
    pytester.makepyfile(SEED_PROBE)
    result = pytester.runpytest(*RUN, "-s", "--kinesim-seed", "42")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*SEED 42*"])


def test_seed_ini_and_option_precedence(pytester):
    pytester.makeini("[pytest]\nkinesim_seed = 17\n")
    pytester.makepyfile(SEED_PROBE)
    result = pytester.runpytest(*RUN, "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*SEED 17*"])
    result = pytester.runpytest(*RUN, "-s", "--kinesim-seed=23")
    result.stdout.fnmatch_lines(["*SEED 23*"])


def test_bad_ini_seed_is_a_usage_error(pytester):
    pytester.makeini("[pytest]\nkinesim_seed = seventeen\n")
    pytester.makepyfile(SEED_PROBE)
    result = pytester.runpytest(*RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini setting kinesim_seed must be an int, got 'seventeen'"])


def test_wider_scopes_share_one_simulator(pytester):
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.kinesim(seed=8)
        seen = []

        def test_module_first(module_kinesim, session_kinesim, package_kinesim):
            module_kinesim.advance(5)
            seen.append(module_kinesim)
            assert module_kinesim.seed == 8
            assert session_kinesim is not module_kinesim

        def test_module_second(module_kinesim, kinesim):
            assert module_kinesim is seen[0]
            assert module_kinesim.elapsed == 5
            assert kinesim is not module_kinesim

        class TestA:
            def test_one(self, class_kinesim):
                class_kinesim.advance(1)
                seen.append(class_kinesim)

            def test_two(self, class_kinesim):
                assert class_kinesim is seen[1]
                assert class_kinesim.elapsed == 1

        class TestB:
            def test_other_class_other_simulator(self, class_kinesim):
                assert class_kinesim is not seen[1]
                assert class_kinesim.elapsed == 0
        """
    )
    pytester.runpytest(*RUN).assert_outcomes(passed=5)


FAILING = """
    import pytest

    def test_passes(kinesim):
        kinesim.trace.emit("user.step", n=0)

    @pytest.mark.kinesim(seed=77)
    def test_fails(kinesim):
        for n in range(30):
            kinesim.advance(1.5)
            kinesim.trace.emit("user.step", n=n, note="a b")
        assert False, "boom"

    def test_fails_without_kinesim():
        assert False

    def test_fails_with_module_sim(module_kinesim):
        module_kinesim.trace.emit("user.module", ok=False)
        assert False
"""


def test_failure_report_section(pytester):
    pytester.makepyfile(FAILING)
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=1, failed=3)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*- kinesim -*",
            "seed: 77 (from @pytest.mark.kinesim)",
            "virtual time: 2026-01-01T00:00:45.000Z (45 s after the start)",
            "trace: 30 events, the last 20:",
            "  +00:00:16.500  user.step  n=10 note='a b'",
        ]
    )
    assert "  +00:00:45.000  user.step  n=29 note='a b'" in out
    assert "n=9 " not in out  # only the tail
    result.stdout.fnmatch_lines(
        [
            "*- kinesim (module_kinesim) -*",
            "seed: 0 (from default)",
            "trace: 1 events:",
            "  +00:00:00.000  user.module  ok=False",
        ]
    )
    # one section per failing test that used a simulator, none for the others
    assert out.count("seed: ") == 2
    assert "full trace saved" not in out


def test_failure_report_shows_mapping_ledgers_and_what_is_stuck(pytester):
    pytester.makepyfile(
        """
        def handler(event, context):
            raise RuntimeError("always fails")

        def test_stuck(kinesim):
            stream = kinesim.kinesis.create_stream("orders", shard_count=1)
            fn = kinesim.lambda_.create_function("proc", handler)
            kinesim.lambda_.create_event_source_mapping(
                fn, stream, starting_position="TRIM_HORIZON", batch_size=10
            )
            for n in range(3):
                stream.put_record(b"r%d" % n, "k")
            kinesim.advance(5)
            assert False, "stuck"
        """
    )
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "seed: 0 (from default)",
            "mapping * (proc <- orders, Enabled): fates: none; deliveries: first 3, retry *; "
            "invocations: *; unresolved: 3",
            "  stuck: shardId-000000000000: 3 record(s) from * unsettled since "
            "2026-01-01T00:00:0*Z: *",
        ]
    )


def test_failure_report_says_what_was_not_processed(pytester):
    pytester.makepyfile(
        """
        def handler(event, context):
            raise RuntimeError("always fails")

        def test_given_up(kinesim):
            stream = kinesim.kinesis.create_stream("orders", shard_count=1)
            fn = kinesim.lambda_.create_function("proc", handler)
            kinesim.lambda_.create_event_source_mapping(
                fn, stream, starting_position="TRIM_HORIZON", max_retry_attempts=0
            )
            stream.put_record(b"r", "k")
            kinesim.drain()
            assert False
        """
    )
    result = pytester.runpytest(*RUN)
    result.stdout.fnmatch_lines(
        ["  not processed: 1 given up, with no on-failure destination: lost"]
    )


def test_failure_report_counts_expiry_and_refused_failure_records(pytester):
    pytester.makepyfile(
        """
        def handler(event, context):
            raise RuntimeError("always fails")

        def test_lost(kinesim):
            fn = kinesim.lambda_.create_function("proc", handler)
            aged = kinesim.kinesis.create_stream("aged", shard_count=1)
            dlq = kinesim.sqs.create_queue("dlq")
            kinesim.lambda_.create_event_source_mapping(
                fn, aged, starting_position="TRIM_HORIZON", max_record_age=3600, on_failure=dlq
            )
            kinesim.sqs.delete_queue(dlq)
            forever = kinesim.kinesis.create_stream("forever", shard_count=1)
            kinesim.lambda_.create_event_source_mapping(
                fn, forever, starting_position="TRIM_HORIZON", batch_size=1
            )
            for stream in (aged, forever):
                for n in range(3):
                    stream.put_record(b"r%d" % n, "k")
            kinesim.advance(25 * 3600)
            assert False
        """
    )
    result = pytester.runpytest(*RUN)
    result.stdout.fnmatch_lines(
        [
            "  not processed: 3 given up, reported to arn:aws:sqs:*:dlq; 1 failure record(s) the "
            "destination refused: lost",
            "mapping * (proc <- forever, Enabled): *",
            "  not processed: 3 trimmed by retention before they were processed",
        ]
    )


def test_failure_report_tail_length_from_ini(pytester):
    pytester.makeini("[pytest]\nkinesim_trace_tail = 2\n")
    pytester.makepyfile(FAILING)
    result = pytester.runpytest(*RUN, "-k", "test_fails and not module and not without")
    result.stdout.fnmatch_lines(["trace: 30 events, the last 2:"])
    assert "n=27" not in result.stdout.str()


def test_trace_off_is_said(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kinesim(trace=False)
        def test_fails(kinesim):
            kinesim.trace.emit("user.step")
            assert False
        """
    )
    result = pytester.runpytest(*RUN)
    result.stdout.fnmatch_lines(["trace: recording was off"])


def test_failing_setup_after_the_fixture_is_reported(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def broken(kinesim):
            kinesim.trace.emit("user.setup")
            raise RuntimeError("setup broke")

        def test_it(broken):
            pass
        """
    )
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*- kinesim -*", "seed: 0 (from default)", "*user.setup*"])


def test_trace_dir_saves_failing_tests_traces(pytester):
    pytester.makepyfile(test_traces=FAILING)
    out_dir = pytester.path / "traces"
    result = pytester.runpytest(*RUN, f"--kinesim-trace-dir={out_dir}")
    result.assert_outcomes(passed=1, failed=3)
    saved = sorted(path.name for path in out_dir.iterdir())
    assert saved == [
        "test_traces.py_test_fails.msgpack",
        "test_traces.py_test_fails_with_module_sim-module_kinesim.msgpack",
    ]
    assert not (out_dir / "test_traces.py_test_passes.msgpack").exists()
    trace = Trace.load(out_dir / "test_traces.py_test_fails.msgpack")
    assert trace.seed == 77
    assert [event.fields["n"] for event in trace] == list(range(30))
    result.stdout.fnmatch_lines(
        [f"full trace saved to {out_dir}/test_traces.py_test_fails.msgpack*"]
    )


def test_trace_dir_long_parametrized_ids_get_a_digest(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("value", ["x" * 200, "y" * 200], ids=str)
        def test_long(kinesim, value):
            assert False
        """
    )
    out_dir = pytester.path / "traces"
    result = pytester.runpytest(*RUN, f"--kinesim-trace-dir={out_dir}")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["trace: no events"])
    names = sorted(path.name for path in out_dir.iterdir())
    assert len(names) == 2
    assert all(len(name) == 100 + 1 + 16 + len(".msgpack") for name in names)


def test_plugin_import_is_light():
    code = (
        "import sys, kinesim._pytest_plugin; "
        "bad = sorted(m for m in ('hypothesis', 'boto3', 'matplotlib') if m in sys.modules); "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.kinesim(seed=12, region="ap-southeast-2")
def test_the_plugin_is_active_here(kinesim):
    assert kinesim.seed == 12
    assert kinesim.region == "ap-southeast-2"
