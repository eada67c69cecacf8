import pytest


def test_one():
    assert 1 + 1 == 2


@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n > 0


@pytest.mark.skip(reason="not on this host")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


def test_fails():
    assert [1, 2] == [1, 3]


class TestGroup:
    def test_method(self):
        assert True
