"""Tests of the oomlens_diagnostics pytest plugin.

Each test runs a small suite in a fresh pytest process (subprocess, so that
RSS figures belong to that process alone) with the plugin enabled, then reads
the JSON Lines it wrote. Run with: /usr/bin/python3 -m pytest contrib/pytest
"""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import oomlens_diagnostics

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20
# RSS moves by a few MiB for reasons of its own (allocator arenas, imports,
# page tables); the figures below are checked within this.
TOLERANCE = 12 * MiB

np = pytest.importorskip("numpy")


def run_suite(tmp_path, source, *args, env=None, expect_rc=None):
    """Write source as test_suite.py in tmp_path, run pytest on it with the
    plugin, and return (returncode, path of the diagnostics file)."""
    (tmp_path / "test_suite.py").write_text(textwrap.dedent(source))
    diag = tmp_path / "diag.jsonl"
    environ = dict(os.environ)
    environ["PYTHONPATH"] = HERE + os.pathsep + environ.get("PYTHONPATH", "")
    environ.pop("OOMLENS_DIAGNOSTICS", None)
    environ.pop("PYTEST_XDIST_WORKER", None)
    environ.pop("PYTEST_ADDOPTS", None)
    environ.update(env or {})
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "oomlens_diagnostics",
        "-p", "no:cacheprovider", "--oomlens-diagnostics", str(diag),
        "test_suite.py",
    ] + list(args)
    proc = subprocess.run(cmd, cwd=str(tmp_path), env=environ, capture_output=True, text=True, timeout=300)
    if expect_rc is not None:
        assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    return proc, diag


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def by_event(records, event, nodeid_suffix=None):
    out = [r for r in records if r["event"] == event]
    if nodeid_suffix is not None:
        out = [r for r in out if r.get("nodeid", "").endswith(nodeid_suffix)]
    return out


def one(records, event, nodeid_suffix):
    found = by_event(records, event, nodeid_suffix)
    assert len(found) == 1, (event, nodeid_suffix, found)
    return found[0]


MEMORY_SUITE = """
    import time
    import numpy as np
    import pytest

    KEPT = []

    @pytest.fixture(scope="module")
    def held():
        data = np.ones(150 * 2**20, dtype=np.uint8)
        yield data

    def test_keeps_100mib():
        KEPT.append(np.ones(100 * 2**20, dtype=np.uint8))

    def test_frees_200mib():
        data = np.ones(200 * 2**20, dtype=np.uint8)
        del data

    def test_uses_module_fixture(held):
        assert held[0] == 1

    def test_fails():
        assert False

    @pytest.mark.skip(reason="not today")
    def test_skipped():
        pass

    def test_quiet():
        time.sleep(0.6)
"""


@pytest.fixture(scope="module")
def memory_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("memory")
    proc, diag = run_suite(tmp_path, MEMORY_SUITE, env={"OOMLENS_SAMPLE_INTERVAL": "0.1"})
    assert proc.returncode == 1, proc.stdout + proc.stderr  # test_fails fails
    return read(diag)


def test_session_start(memory_run):
    start = memory_run[0]
    assert start["event"] == "session_start"
    assert start["schema"] == "oomlens/diagnostics/v1"
    assert start["pid"] > 0
    assert "worker" not in start
    assert start["rss_bytes"] > 10 * MiB
    assert start["rss_anon_bytes"] <= start["rss_bytes"]
    with open("/proc/stat") as f:
        btime = int(next(line for line in f if line.startswith("btime")).split()[1])
    assert start["boot_time"] == btime
    # monotonic counts from boot (CLOCK_MONOTONIC, minus suspended time)
    assert 0 < start["monotonic"] <= start["time"] - btime + 1
    # What the kernel's OOM report names the process by (comm is at most 15
    # bytes, task->comm) and its command line.
    assert start["comm"] == os.path.basename(sys.executable)[:15]
    assert start["cmdline"].split()[0] == sys.executable
    assert "-p oomlens_diagnostics" in start["cmdline"]
    assert memory_run[-1]["event"] == "session_end"
    assert memory_run[-1]["exitstatus"] == 1
    assert all(r["pid"] == start["pid"] for r in memory_run)


def test_kept_global_is_retained(memory_run):
    start = one(memory_run, "test_start", "::test_keeps_100mib")
    end = one(memory_run, "test_end", "::test_keeps_100mib")
    kept = end["rss_bytes"] - start["rss_bytes"]
    assert abs(kept - 100 * MiB) < TOLERANCE, kept / MiB
    assert end["outcome"] == "passed"
    assert end["peak_rss_bytes"] >= end["rss_bytes"]


def test_freed_allocation_peaks_but_is_not_retained(memory_run):
    start = one(memory_run, "test_start", "::test_frees_200mib")
    end = one(memory_run, "test_end", "::test_frees_200mib")
    assert end["peak_rss_bytes"] - start["rss_bytes"] >= 200 * MiB - TOLERANCE, end
    assert abs(end["rss_bytes"] - start["rss_bytes"]) < TOLERANCE
    assert end["peak_source"] in ("vmhwm", "sampled")


def test_module_fixture_teardown_gives_memory_back(memory_run):
    setups = [r for r in by_event(memory_run, "fixture_setup") if r["fixture"] == "held"]
    assert len(setups) == 1
    assert abs(setups[0]["rss_after_bytes"] - setups[0]["rss_before_bytes"] - 150 * MiB) < TOLERANCE
    teardowns = [r for r in by_event(memory_run, "fixture_teardown") if r["fixture"] == "held"]
    assert len(teardowns) == 1, teardowns
    td = teardowns[0]
    assert td["scope"] == "module"
    dropped = td["rss_before_bytes"] - td["rss_after_bytes"]
    assert abs(dropped - 150 * MiB) < TOLERANCE, dropped / MiB
    anon_dropped = td["rss_anon_before_bytes"] - td["rss_anon_bytes"]
    assert abs(anon_dropped - 150 * MiB) < TOLERANCE, anon_dropped / MiB
    # The module fixture is made in the setup of the test using it and torn
    # down after the last test of the module; both records name that test.
    assert setups[0]["nodeid"].endswith("::test_uses_module_fixture")
    assert td["nodeid"].endswith("::test_quiet")


def test_outcomes(memory_run):
    failed = one(memory_run, "test_end", "::test_fails")
    assert failed["outcome"] == "failed"
    assert failed["traceback_kept"] is True
    assert "traceback_kept" not in one(memory_run, "test_end", "::test_keeps_100mib")
    assert one(memory_run, "test_end", "::test_skipped")["outcome"] == "skipped"
    quiet = one(memory_run, "test_end", "::test_quiet")
    assert quiet["outcome"] == "passed"
    assert quiet["duration_s"] >= 0.6


def test_records_in_order(memory_run):
    events = [(r["event"], r.get("nodeid")) for r in memory_run if r["event"] in ("test_start", "test_end")]
    names = ["test_keeps_100mib", "test_frees_200mib", "test_uses_module_fixture", "test_fails", "test_skipped", "test_quiet"]
    want = []
    for n in names:
        want += [("test_start", "test_suite.py::" + n), ("test_end", "test_suite.py::" + n)]
    assert events == want
    times = [r["time"] for r in memory_run if r["event"] in ("test_start", "test_end")]
    assert times == sorted(times)


def test_samples_during_a_quiet_test(memory_run):
    samples = by_event(memory_run, "sample", "::test_quiet")
    # 0.6 s at a 0.1 s sample interval
    assert len(samples) >= 3, samples
    assert all(s["rss_bytes"] > 0 for s in samples)


def test_worker_path():
    assert oomlens_diagnostics.worker_path("/x/diag.jsonl", "gw0") == "/x/diag.gw0.jsonl"
    assert oomlens_diagnostics.worker_path("diag", "gw3") == "diag.gw3"
    assert oomlens_diagnostics.worker_path("/x/diag.jsonl", None) == "/x/diag.jsonl"
    assert oomlens_diagnostics.worker_path("a.b/d.tar.jsonl", "gw1") == "a.b/d.tar.gw1.jsonl"


XARRAY_SUITE = """
    import numpy as np
    import xarray as xr
    import pytest

    KEPT = []

    @pytest.fixture
    def path(tmp_path):
        p = tmp_path / "data.nc"
        xr.Dataset({"v": ("t", np.arange(1000.0))}).to_netcdf(p)
        return p

    def test_leaves_open(path):
        KEPT.append(xr.open_dataset(path))

    def test_closes_but_keeps(path):
        ds = xr.open_dataset(path)
        ds.close()
        KEPT.append(ds)

    def test_with_block(path):
        with xr.open_dataset(path) as ds:
            ds.load()

    def test_in_memory_kept():
        KEPT.append(xr.Dataset({"w": ("x", np.zeros(10))}))
"""


@pytest.fixture(scope="module")
def xarray_run(tmp_path_factory):
    pytest.importorskip("xarray")
    pytest.importorskip("netCDF4")
    tmp_path = tmp_path_factory.mktemp("xarray")
    proc, diag = run_suite(tmp_path, XARRAY_SUITE, expect_rc=0)
    return read(diag)


def test_unclosed_file_backed_dataset(xarray_run):
    end = one(xarray_run, "test_end", "::test_leaves_open")
    assert end["open_objects"] == {"xarray.Dataset": 1}
    (detail,) = end["open_object_details"]
    assert detail["type"] == "xarray.Dataset"
    assert detail["file_backed"] is True
    assert detail["closed"] is False
    assert detail["nbytes"] == 8000
    assert "data.nc" in detail["description"]


def test_closed_dataset_still_alive(xarray_run):
    end = one(xarray_run, "test_end", "::test_closes_but_keeps")
    assert end["open_objects"] == {"xarray.Dataset": 1}
    (detail,) = end["open_object_details"]
    assert detail["file_backed"] is True
    assert detail["closed"] is True


def test_dataset_released(xarray_run):
    end = one(xarray_run, "test_end", "::test_with_block")
    assert end["open_objects"] == {}
    assert "open_object_details" not in end


def test_in_memory_dataset(xarray_run):
    end = one(xarray_run, "test_end", "::test_in_memory_kept")
    assert end["open_objects"] == {"xarray.Dataset": 1}
    (detail,) = end["open_object_details"]
    assert detail["file_backed"] is False
    assert detail["closed"] is False


def test_no_xarray_no_open_objects(memory_run):
    # the memory suite never imports xarray: nothing is tracked, so the field
    # is missing rather than a misleading {}.
    for r in by_event(memory_run, "test_end"):
        assert "open_objects" not in r


def test_xarray_imported_inside_a_test(tmp_path):
    pytest.importorskip("xarray")
    pytest.importorskip("netCDF4")
    suite = """
        KEPT = []

        def test_opens(tmp_path):
            import numpy as np
            import xarray as xr
            xr.Dataset({"v": ("t", np.zeros(4))}).to_netcdf(tmp_path / "late.nc")
            KEPT.append(xr.open_dataset(tmp_path / "late.nc"))

        def test_after():
            import xarray
            assert xarray.open_dataset.__wrapped__ is not None
    """
    proc, diag = run_suite(tmp_path, suite, expect_rc=0)
    records = read(diag)
    end = one(records, "test_end", "::test_opens")
    assert end["open_objects"] == {"xarray.Dataset": 1}
    assert end["open_object_details"][0]["file_backed"] is True
    assert end["open_object_details"][0]["closed"] is False
    assert one(records, "test_end", "::test_after")["open_objects"] == {}


KILLED_SUITE = """
    import os, signal

    def test_first():
        pass

    def test_killed():
        os.kill(os.getpid(), signal.SIGKILL)

    def test_never_runs():
        pass
"""


def test_sigkill_leaves_records_up_to_the_victim(tmp_path):
    proc, diag = run_suite(tmp_path, KILLED_SUITE)
    assert proc.returncode == -signal.SIGKILL
    records = read(diag)
    events = [(r["event"], r.get("nodeid", "").split("::")[-1]) for r in records if r["event"] != "sample"]
    assert events == [
        ("session_start", ""),
        ("test_start", "test_first"),
        ("test_end", "test_first"),
        ("test_start", "test_killed"),
    ]


def test_xdist_one_file_per_worker(tmp_path):
    pytest.importorskip("xdist")
    suite = "\n".join("def test_%d():\n    pass\n" % i for i in range(6))
    proc, diag = run_suite(tmp_path, suite, "-n", "2", expect_rc=0)
    assert not diag.exists(), "the xdist controller runs no tests and writes no file"
    files = sorted(p.name for p in tmp_path.glob("diag*.jsonl"))
    assert files == ["diag.gw0.jsonl", "diag.gw1.jsonl"]
    nodeids = []
    for name in files:
        worker = name.split(".")[1]
        records = read(tmp_path / name)
        assert records[0]["event"] == "session_start"
        assert {r["worker"] for r in records} == {worker}
        assert len({r["pid"] for r in records}) == 1
        nodeids += [r["nodeid"] for r in by_event(records, "test_end")]
    assert sorted(nodeids) == sorted("test_suite.py::test_%d" % i for i in range(6))


def test_disabled_without_a_path(tmp_path):
    (tmp_path / "test_suite.py").write_text("def test_a():\n    pass\n")
    environ = dict(os.environ, PYTHONPATH=HERE)
    environ.pop("OOMLENS_DIAGNOSTICS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "oomlens_diagnostics", "-p", "no:cacheprovider", "test_suite.py"],
        cwd=str(tmp_path), env=environ, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == ["test_suite.py"]


def test_env_var_names_the_file(tmp_path):
    (tmp_path / "test_suite.py").write_text("def test_a():\n    pass\n")
    environ = dict(os.environ, PYTHONPATH=HERE, OOMLENS_DIAGNOSTICS="out/d.jsonl")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "oomlens_diagnostics", "-p", "no:cacheprovider", "test_suite.py"],
        cwd=str(tmp_path), env=environ, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = read(tmp_path / "out" / "d.jsonl")
    assert [r["event"] for r in records if r["event"] != "sample"] == ["session_start", "test_start", "test_end", "session_end"]


def test_records_match_the_json_schema(memory_run, xarray_run):
    jsonschema = pytest.importorskip("jsonschema")
    with open(os.path.join(HERE, "..", "..", "docs", "diagnostics.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    for record in memory_run + xarray_run:
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (record, errors)
    assert list(validator.iter_errors({"event": "test_end", "rss_bytes": "abc"}))


def test_session_fixture_torn_down_at_session_finish(tmp_path):
    # Under -x the session stops early; remaining fixtures are torn down in
    # pytest_sessionfinish, before the plugin closes its file.
    suite = """
        import numpy as np
        import pytest

        @pytest.fixture(scope="session")
        def cache():
            yield np.ones(64 * 2**20, dtype=np.uint8)

        def test_a(cache):
            pass

        def test_b():
            assert False

        def test_c(cache):
            pass
    """
    proc, diag = run_suite(tmp_path, suite, "-x", expect_rc=1)
    records = read(diag)
    teardowns = [r for r in by_event(records, "fixture_teardown") if r["fixture"] == "cache"]
    assert len(teardowns) == 1, [r["event"] for r in records]
    td = teardowns[0]
    assert td["scope"] == "session"
    assert abs(td["rss_before_bytes"] - td["rss_after_bytes"] - 64 * MiB) < TOLERANCE
    assert td["traceback_kept"] is True  # test_b's frames, which hold no fixture
    assert records[-1]["event"] == "session_end"
    assert not by_event(records, "test_start", "::test_c")


def test_unwritable_path_is_a_usage_error(tmp_path):
    (tmp_path / "test_suite.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "file").write_text("")
    environ = dict(os.environ, PYTHONPATH=HERE)
    environ.pop("OOMLENS_DIAGNOSTICS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "oomlens_diagnostics", "-p", "no:cacheprovider",
         "--oomlens-diagnostics", str(tmp_path / "file" / "d.jsonl"), "test_suite.py"],
        cwd=str(tmp_path), env=environ, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr  # pytest.ExitCode.USAGE_ERROR
    assert "oomlens_diagnostics: cannot make" in proc.stderr


def test_sampled_peak_without_vmhwm_reset(tmp_path):
    suite = """
        import time
        import numpy as np

        def test_holds_200mib_briefly():
            data = np.ones(200 * 2**20, dtype=np.uint8)
            time.sleep(0.2)  # releases the GIL: the polling thread runs
            del data
    """
    proc, diag = run_suite(tmp_path, suite, env={"OOMLENS_PEAK_SOURCE": "sampled"}, expect_rc=0)
    records = read(diag)
    start = one(records, "test_start", "::test_holds_200mib_briefly")
    end = one(records, "test_end", "::test_holds_200mib_briefly")
    assert end["peak_source"] == "sampled"
    assert end["peak_rss_bytes"] - start["rss_bytes"] >= 200 * MiB - TOLERANCE, end
    assert abs(end["rss_bytes"] - start["rss_bytes"]) < TOLERANCE


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_does_not_break_the_run(tmp_path):
    # /dev/full fails every write with ENOSPC.
    (tmp_path / "test_suite.py").write_text("def test_a():\n    pass\n")
    environ = dict(os.environ, PYTHONPATH=HERE)
    environ.pop("OOMLENS_DIAGNOSTICS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "oomlens_diagnostics", "-p", "no:cacheprovider",
         "--oomlens-diagnostics", "/dev/full", "test_suite.py"],
        cwd=str(tmp_path), env=environ, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    assert "oomlens_diagnostics: writing /dev/full failed, no more records" in proc.stderr
