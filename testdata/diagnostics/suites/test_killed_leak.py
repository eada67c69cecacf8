"""Suite behind testdata/diagnostics/killed-leak.jsonl (see ../README.md).

Two tests leak 64 MiB each into a module global, one leaves a file-backed
xarray Dataset open, a module fixture holds 96 MiB, one test fails, and the
last test is killed with SIGKILL (as the OOM killer does) while it holds a
128 MiB allocation: its test_start has no test_end.
"""
import os
import signal
import time

import numpy as np
import pytest
import xarray as xr

LEAKED = []


@pytest.fixture(scope="module")
def reference_table():
    table = np.ones(96 * 2**20, dtype=np.uint8)
    yield table


@pytest.fixture
def netcdf_path(tmp_path):
    path = tmp_path / "weather.nc"
    xr.Dataset({"temperature": (("time", "station"), np.ones((2048, 64)))}).to_netcdf(path)
    return path


def test_leaks_first():
    LEAKED.append(np.ones(64 * 2**20, dtype=np.uint8))


def test_clean_peak():
    scratch = np.ones(160 * 2**20, dtype=np.uint8)
    time.sleep(0.3)
    del scratch


def test_leaves_dataset_open(netcdf_path):
    ds = xr.open_dataset(netcdf_path)
    ds.load()
    LEAKED.append(ds)


def test_uses_reference_table(reference_table):
    assert reference_table[0] == 1


def test_leaks_second():
    LEAKED.append(np.ones(64 * 2**20, dtype=np.uint8))


def test_fails_after_allocating():
    data = np.ones(32 * 2**20, dtype=np.uint8)
    assert data.sum() == 0


@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(n):
    assert n > 0


def test_killed_while_allocating():
    victim = np.ones(128 * 2**20, dtype=np.uint8)
    time.sleep(0.6)
    os.kill(os.getpid(), signal.SIGKILL)
    assert victim[0] == 1
