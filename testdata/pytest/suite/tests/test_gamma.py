import pytest


@pytest.mark.parametrize("size", ["small", "large"])
def test_gamma(size):
    assert size


def test_gamma_last():
    assert True
