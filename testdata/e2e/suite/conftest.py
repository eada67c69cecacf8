"""Shared helpers of the oomlens end-to-end suite.

Every size is in MiB and read from an environment variable, so that one
suite serves several scenarios (see README.md). Memory is always touched
(numpy.ones / numpy.full), never numpy.empty, so that RSS and the cgroup's
charge grow by the full size and a kill is deterministic.
"""

import os
import pickle
import sys

# OOMSUITE_LIGHT=1: a lighter baseline, as on a machine without the netCDF
# libraries: netCDF4 is never imported (xarray sees no netCDF engine) and the
# I/O tests keep their files with pickle instead. The same tests, the same
# leaks; only what the process holds before them differs.
LIGHT = os.environ.get("OOMSUITE_LIGHT", "") == "1"
if LIGHT:
    sys.modules["netCDF4"] = None  # an import of it now raises ImportError

import numpy as np
import pytest

MIB = 1 << 20

# Chunk of the victim's allocation, MiB: small against any limit, so the
# kill comes within 8 MiB of the limit whatever was held before.
VICTIM_CHUNK_MIB = 8


def size_mib(name, default):
    """The size named by env OOMSUITE_<name>_MIB, in MiB (default given)."""
    value = os.environ.get("OOMSUITE_%s_MIB" % name, "")
    return float(value) if value else float(default)


def touched(mib, fill=1.0):
    """A float64 array of `mib` MiB with every page written."""
    n = int(mib * MIB) // 8
    return np.full(n, fill, dtype=np.float64)


def write_dataset(ds, path):
    """Writes a Dataset to path: netCDF, or pickle under OOMSUITE_LIGHT."""
    if LIGHT:
        with open(path, "wb") as f:
            pickle.dump(ds, f)
    else:
        ds.to_netcdf(path)


def open_dataset(path):
    """Opens what write_dataset wrote: xarray.open_dataset (lazy, file-backed,
    to be closed by the caller), or the unpickled Dataset under
    OOMSUITE_LIGHT."""
    if LIGHT:
        with open(path, "rb") as f:
            return pickle.load(f)
    import xarray as xr

    return xr.open_dataset(path)


def cgroup_usage_bytes():
    """The memory charged to this process's memory cgroup now (v1
    memory.usage_in_bytes, v2 memory.current), or None where it cannot be
    read."""
    try:
        lines = open("/proc/self/cgroup").read().splitlines()
    except OSError:
        return None
    candidates = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            candidates.append("/sys/fs/cgroup/memory%s/memory.usage_in_bytes" % path)
        elif controllers == "":
            candidates.append("/sys/fs/cgroup%s/memory.current" % path)
    for c in candidates:
        try:
            return int(open(c).read())
        except (OSError, ValueError):
            continue
    return None


def record_fact(key, value):
    """Appends `key value` to the file OOMSUITE_FACTS names (outside the
    captures), for the checks of the live tests."""
    path = os.environ.get("OOMSUITE_FACTS")
    if path and value is not None:
        with open(path, "a") as f:
            f.write("%s %s\n" % (key, value))
            f.flush()
            os.fsync(f.fileno())


def allocate_until_killed(bound_mib):
    """The victim's allocation: touched chunks of VICTIM_CHUNK_MIB, kept,
    until `bound_mib` MiB are held or the kernel kills the process. Under a
    limit, the live tests set the bound to several times the limit, so the
    kill comes whatever the machine's baseline; without one it returns."""
    held = []
    done = 0.0
    while done < bound_mib:
        step = min(VICTIM_CHUNK_MIB, bound_mib - done)
        held.append(touched(step, 5.0))
        done += step
    return held


def mark(name):
    """Creates the file `name` in OOMSUITE_SYNC_DIR, if set: an event other
    processes of the session can wait for."""
    folder = os.environ.get("OOMSUITE_SYNC_DIR")
    if folder:
        open(os.path.join(folder, name), "w").close()


def wait_for(name, timeout_s=120.0):
    """Waits until another process has marked `name` (see mark), when
    OOMSUITE_SYNC_DIR is set; fails the test after timeout_s."""
    folder = os.environ.get("OOMSUITE_SYNC_DIR")
    if not folder:
        return
    import time

    deadline = time.monotonic() + timeout_s
    while not os.path.exists(os.path.join(folder, name)):
        if time.monotonic() > deadline:
            pytest.fail("%s was not marked within %g s" % (name, timeout_s))
        time.sleep(0.01)


def other_workers():
    """The ids of the other workers of this process's xdist session (gw0,
    gw1, ...: PYTEST_XDIST_WORKER_COUNT of them); none outside xdist."""
    me = os.environ.get("PYTEST_XDIST_WORKER")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 0)
    if not me:
        return []
    return ["gw%d" % i for i in range(count) if "gw%d" % i != me]


def pytest_unconfigure(config):
    # An xdist worker's last hook: its tests are done and every
    # pytest_sessionfinish has run (the diagnostics plugin's, which stops
    # its sampler thread). The process then idles, alive, until the
    # controller tears it down at the end of the run. A victim run with
    # OOMSUITE_VICTIM_ALONE=1 waits for this mark.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        mark("worker-done-" + worker)


# OOMSUITE_BALLAST_MIB: memory held from the session's start to its end, as
# a heavier baseline (another machine's libraries, a bigger interpreter).
_BALLAST = []


def pace():
    """Seconds each paced test sleeps (env OOMSUITE_PACE_S, default 0): used
    to make one file take longer so --dist loadfile hands the next file to
    the other worker."""
    value = os.environ.get("OOMSUITE_PACE_S", "")
    return float(value) if value else 0.0


def pytest_configure(config):
    ballast = size_mib("BALLAST", 0)
    if ballast > 0:
        _BALLAST.append(touched(ballast, 6.0))
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
