"""Suite behind testdata/diagnostics/fixture-teardown.jsonl (see ../README.md).

A module fixture holds 96 MiB, a session fixture 48 MiB; one test fails;
the session ends normally, so every fixture_teardown and session_end is
there. Run with -p no:randomly if that plugin is installed.
"""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def session_cache():
    cache = np.ones(48 * 2**20, dtype=np.uint8)
    yield cache


@pytest.fixture(scope="module")
def grid():
    data = np.ones(96 * 2**20, dtype=np.uint8)
    yield data


def test_reads_grid(grid, session_cache):
    assert grid[0] == session_cache[0]


def test_fails_on_grid(grid):
    assert grid.sum() == 0


def test_after_failure():
    pass
