"""File-backed datasets: one test leaks an open, loaded netCDF Dataset."""

import numpy as np
import pytest
import xarray as xr

from conftest import open_dataset, size_mib, touched, write_dataset

# Module-level cache that the leaking test fills and nobody clears: the
# loaded Dataset and its open netCDF file stay alive for the whole session.
_OPEN_DATASETS = {}


def test_write_small_file(data_dir):
    ds = xr.Dataset({"t": ("x", np.arange(1000.0))})
    path = data_dir / "small.nc"
    write_dataset(ds, path)
    with open_dataset(path) as back:
        assert float(back["t"].sum()) == float(np.arange(1000.0).sum())


def test_open_cached_dataset(data_dir):
    """LEAK: keeps a loaded, never-closed file-backed Dataset of
    OOMSUITE_CACHE_MIB MiB (default 96) in the module-level cache."""
    mib = size_mib("CACHE", 96)
    path = data_dir / "cache.nc"
    src = xr.Dataset({"precip": ("time", touched(mib, 0.5))})
    write_dataset(src, path)
    del src
    ds = open_dataset(path)  # not closed, on purpose
    ds.load()
    _OPEN_DATASETS[str(path)] = ds
    assert ds["precip"].size == int(mib * (1 << 20)) // 8


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16"])
def test_roundtrip_dtype(data_dir, dtype):
    ds = xr.Dataset({"v": ("x", np.arange(256).astype(dtype))})
    path = data_dir / ("rt-%s.nc" % dtype)
    write_dataset(ds, path)
    with open_dataset(path) as back:
        assert back["v"].dtype == np.dtype(dtype)
