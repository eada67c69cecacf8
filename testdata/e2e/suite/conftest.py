"""Shared helpers of the oomlens end-to-end suite.

Every size is in MiB and read from an environment variable, so that one
suite serves several scenarios (see README.md). Memory is always touched
(numpy.ones / numpy.full), never numpy.empty, so that RSS and the cgroup's
charge grow by the full size and a kill is deterministic.
"""

import os

import numpy as np
import pytest

MIB = 1 << 20


def size_mib(name, default):
    """The size named by env OOMSUITE_<name>_MIB, in MiB (default given)."""
    value = os.environ.get("OOMSUITE_%s_MIB" % name, "")
    return float(value) if value else float(default)


def touched(mib, fill=1.0):
    """A float64 array of `mib` MiB with every page written."""
    n = int(mib * MIB) // 8
    return np.full(n, fill, dtype=np.float64)


def pace():
    """Seconds each paced test sleeps (env OOMSUITE_PACE_S, default 0): used
    to make one file take longer so --dist loadfile hands the next file to
    the other worker."""
    value = os.environ.get("OOMSUITE_PACE_S", "")
    return float(value) if value else 0.0


def pytest_configure(config):
    # Record which process is which, outside the captured files, so the
    # capture script can check the kernel's `Killed process <pid>`.
    path = os.environ.get("OOMSUITE_PIDFILE")
    if path:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(path, "a") as f:
            f.write("%s %d\n" % (worker, os.getpid()))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """A session-wide directory for the netCDF files the tests write."""
    return tmp_path_factory.mktemp("netcdf")
