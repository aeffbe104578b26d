"""The quick run leaves out tests marked slow, and `-m slow` selects them."""

pytest_plugins = ["pytester"]


def test_the_quick_run_deselects_slow_tests_and_m_slow_runs_them(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.slow
        def test_soak():
            pass

        def test_quick():
            pass
        """
    )
    args = ("-p", "no:randomly", "-o", "markers=slow: long", "-m", "not slow")
    pytester.runpytest(*args).assert_outcomes(passed=1, deselected=1)
    pytester.runpytest(*args, "-m", "slow").assert_outcomes(passed=1, deselected=1)


def test_the_project_registers_slow_and_leaves_it_out_by_default(pytestconfig):
    assert any(line.startswith("slow:") for line in pytestconfig.getini("markers"))
    assert "-m" in pytestconfig.getini("addopts")
    assert "not slow" in pytestconfig.getini("addopts")
