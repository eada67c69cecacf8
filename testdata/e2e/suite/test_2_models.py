"""Model computations: a module-scoped fixture that holds memory until the
module's teardown, a hog that allocates a lot and frees it, small tests."""

import time

import numpy as np
import pytest
import xarray as xr

from conftest import mark, pace, size_mib, touched


@pytest.fixture(scope="module")
def climatology():
    """Holds OOMSUITE_FIXTURE_MIB MiB (default 48) from the first test of
    this module that uses it until the module's teardown: not a leak."""
    clim = xr.DataArray(touched(size_mib("FIXTURE", 48), 2.0), dims="day")
    yield clim
    del clim


def test_climatology_mean(climatology):
    time.sleep(pace())
    assert float(climatology[:10].mean()) == 2.0


def test_anomaly(climatology):
    time.sleep(pace())
    anomaly = climatology[:1000] - 2.0
    assert float(abs(anomaly).max()) == 0.0


def test_resample_hog():
    """HOG: allocates OOMSUITE_HOG_MIB MiB (default 128), uses it, frees it."""
    time.sleep(pace())
    big = touched(size_mib("HOG", 128), 3.0)
    total = float(big[::4096].sum())
    del big
    mark("hog-done")  # under xdist the victim's worker may wait for this
    assert total > 0


@pytest.mark.parametrize("window", [3, 7, 30])
def test_rolling_window(window):
    time.sleep(pace())
    da = xr.DataArray(np.arange(100.0), dims="t")
    assert int(da.rolling(t=window).mean().count()) == 100 - window + 1
