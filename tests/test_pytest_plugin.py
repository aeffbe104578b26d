pytest_plugins = ["pytester"]


def test_fixture_and_marker(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_default(kinesim):
            assert kinesim.seed == 0
            assert kinesim.elapsed == 0

        @pytest.mark.kinesim(seed=9, region="eu-west-1")
        def test_marked(kinesim):
            assert kinesim.seed == 9
            assert kinesim.region == "eu-west-1"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
