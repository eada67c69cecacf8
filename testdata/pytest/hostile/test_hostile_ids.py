# Parametrize ids chosen to break a naive reader of pytest -v output: spaces,
# brackets, "::", non-ASCII (pytest escapes it), a 300-character id, ids that
# read like result words or progress indicators, " - " as in the short
# summary, a trailing space and a newline.
import pytest

IDS = [
    "plain",
    "two words",
    "x[1]",
    "a::b",
    "caf\u00e9",
    "\u65e5\u672c",
    "L" * 300,
    "PASSED",
    " [ 50%]",
    "x PASSED [ 50%",
    "SKIPPED (why)",
    "a - b",
    "trailing ",
    "new\nline",
    "dots.in.id",
    "<- other.py",
]


@pytest.mark.parametrize("value", IDS, ids=IDS)
def test_hostile(value):
    assert value is not None


class TestNested:
    @pytest.mark.parametrize("n", [0, 1], ids=["FAILED", "XPASS"])
    def test_in_class(self, n):
        assert n >= 0

    @pytest.mark.skip(reason="skip reason with PASSED [ 10%] inside")
    def test_skip_reason(self):
        pass
