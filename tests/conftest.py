import os

from hypothesis import HealthCheck, settings

# CI runs hypothesis derandomized, with no example database, so every run is the same run.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_sessionfinish(session, exitstatus):
    # CI installs every optional extra, so a skipped test there means a test silently did not
    # run (an extra failed to install, or a dependency went missing): fail the run instead.
    if os.environ.get("KINESIM_FORBID_SKIPS") and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = reporter.stats.get("skipped", []) if reporter is not None else []
        if skipped:
            reporter.write_line(
                f"KINESIM_FORBID_SKIPS: {len(skipped)} test(s) skipped; every extra is installed "
                "here, so every test must run",
                red=True,
            )
            session.exitstatus = 1
