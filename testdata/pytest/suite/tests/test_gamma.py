import logging

import pytest


@pytest.mark.parametrize("size", ["small", "large"])
def test_gamma(size):
    # shows up with --log-cli-level (live log) and -rP
    logging.getLogger(__name__).warning("allocating a %s buffer", size)
    assert size


def test_gamma_last():
    # shows up with -s, glued to the -v echo
    print("output from gamma", end="")
    assert True
