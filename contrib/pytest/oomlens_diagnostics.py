"""oomlens per-test memory diagnostics for pytest.

Writes one JSON object per line (JSON Lines) to a file as the tests run, each
record written with a single write() and fsync'd, so that the file survives
the SIGKILL of the kernel's OOM killer and tells oomlens which tests kept
memory and which test was merely running when the kernel struck. The format
is docs/diagnostics-format.md in the oomlens repository (schema
"oomlens/diagnostics/v1").

Enable it with contrib/pytest on PYTHONPATH:

    OOMLENS_DIAGNOSTICS=diag.jsonl python -m pytest -p oomlens_diagnostics
    python -m pytest -p oomlens_diagnostics --oomlens-diagnostics=diag.jsonl

Under pytest-xdist each worker writes its own file, the worker id put before
the suffix (diag.gw0.jsonl, diag.gw1.jsonl, ...); the controller, which runs
no tests, writes nothing.

Settings (command-line option, or environment variable):
  --oomlens-diagnostics PATH        OOMLENS_DIAGNOSTICS           output file
  --oomlens-sample-interval SECS    OOMLENS_SAMPLE_INTERVAL       "sample" record
                                    period (default 0.25; 0 writes none)
  OOMLENS_PEAK_INTERVAL   RSS polling period for the peak (default 0.01 s)
  OOMLENS_PEAK_SOURCE=sampled
                          do not reset the kernel's VmHWM at each test start
                          (it is how the exact per-test peak is measured, but
                          other tools in the process reading VmHWM or
                          ru_maxrss then see per-test peaks); the peak is then
                          the highest polled RSS
  OOMLENS_GC=0            skip gc.collect() before measuring what a test kept
  OOMLENS_FSYNC=0         skip os.fsync() (records still survive a SIGKILL of
                          pytest: write() puts them in the page cache; fsync
                          also keeps them when the whole machine goes down)

Standard library only; psutil is used for RSS where /proc is missing.
"""

import gc
import json
import os
import sys
import threading
import time
import weakref

import pytest

SCHEMA = "oomlens/diagnostics/v1"

_DEFAULT_SAMPLE_INTERVAL = 0.25
_DEFAULT_PEAK_INTERVAL = 0.01
_RECORDER_NAME = "oomlens_diagnostics_recorder"


def pytest_addoption(parser):
    group = parser.getgroup("oomlens", "oomlens memory diagnostics")
    group.addoption(
        "--oomlens-diagnostics",
        metavar="PATH",
        default=None,
        help="write per-test memory diagnostics (JSON Lines) to PATH; "
        "under xdist, PATH gets the worker id before its suffix "
        "(env OOMLENS_DIAGNOSTICS)",
    )
    group.addoption(
        "--oomlens-sample-interval",
        metavar="SECONDS",
        type=float,
        default=None,
        help="period of 'sample' RSS records, 0 for none "
        "(default %s, env OOMLENS_SAMPLE_INTERVAL)" % _DEFAULT_SAMPLE_INTERVAL,
    )


def _env_float(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError("%s=%r is not a number of seconds" % (name, value))


def _env_off(name):
    return os.environ.get(name, "1").strip().lower() in ("0", "false", "no", "off")


def worker_path(path, worker):
    """diag.jsonl -> diag.gw0.jsonl for worker "gw0"; no suffix -> diag.gw0."""
    if not worker:
        return path
    head, tail = os.path.split(path)
    stem, suffix = os.path.splitext(tail)
    if not stem:  # ".jsonl": a name that is only a suffix
        stem, suffix = tail, ""
    return os.path.join(head, "%s.%s%s" % (stem, worker, suffix))


def pytest_configure(config):
    path = config.getoption("oomlens_diagnostics") or os.environ.get("OOMLENS_DIAGNOSTICS")
    if not path:
        return
    interval = config.getoption("oomlens_sample_interval")
    if interval is None:
        interval = _env_float("OOMLENS_SAMPLE_INTERVAL", _DEFAULT_SAMPLE_INTERVAL)
    recorder = Recorder(
        config,
        os.path.abspath(path),
        worker=os.environ.get("PYTEST_XDIST_WORKER") or None,
        sample_interval=interval,
        peak_interval=_env_float("OOMLENS_PEAK_INTERVAL", _DEFAULT_PEAK_INTERVAL),
        collect=not _env_off("OOMLENS_GC"),
        reset_hwm=os.environ.get("OOMLENS_PEAK_SOURCE", "vmhwm").strip().lower() != "sampled",
        fsync=not _env_off("OOMLENS_FSYNC"),
    )
    config.pluginmanager.register(recorder, _RECORDER_NAME)


def pytest_unconfigure(config):
    recorder = config.pluginmanager.get_plugin(_RECORDER_NAME)
    if recorder is not None:
        recorder.close(exitstatus=None)
        config.pluginmanager.unregister(recorder, _RECORDER_NAME)


# ---------------------------------------------------------------------------
# Reading memory


def _read_status():
    """(VmRSS, RssAnon, VmHWM) in bytes from /proc/self/status; None for a
    missing line (RssAnon needs Linux 4.5). Values there are in kB = KiB
    (fs/proc/task_mmu.c, task_mem())."""
    rss = anon = hwm = None
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith(b"RssAnon:"):
                    anon = int(line.split()[1]) * 1024
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return rss, anon, hwm


try:
    import psutil as _psutil  # optional, for systems without /proc

    _PROCESS = _psutil.Process()
except Exception:  # ImportError, or psutil failing on this platform
    _PROCESS = None


def _memory():
    """(rss, rss_anon, hwm) in bytes, any of them None when unknown."""
    rss, anon, hwm = _read_status()
    if rss is None and _PROCESS is not None:
        try:
            rss = _PROCESS.memory_info().rss
        except Exception:
            pass
    return rss, anon, hwm


def _reset_hwm():
    """Reset the kernel's VmHWM (peak RSS) to the current RSS by writing 5 to
    /proc/self/clear_refs (Linux 4.0+, Documentation/filesystems/proc.rst).
    Then VmHWM at the end of a test is the exact peak during it, even one
    too brief for the polling thread, which needs the GIL, to see."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _boot_time():
    """btime of /proc/stat: the boot time in Unix seconds."""
    try:
        with open("/proc/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime "):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _proc_text(name):
    """/proc/self/<name> as text without its newline, or None."""
    try:
        with open("/proc/self/" + name, "rb") as f:
            return f.read().decode("utf-8", "replace").rstrip("\n")
    except OSError:
        return None


def _cmdline():
    """The command line as the kernel has it (/proc/self/cmdline, arguments
    joined by spaces): what ps and the OOM killer's process name match."""
    text = _proc_text("cmdline")
    if text is None:
        return " ".join([sys.executable] + sys.argv)
    return " ".join(arg for arg in text.split("\0") if arg)


# ---------------------------------------------------------------------------
# Objects left alive: xarray Datasets


class _Tracked:
    __slots__ = ("ref", "test_seq", "file_backed", "source")

    def __init__(self, ref, test_seq, file_backed, source):
        self.ref = ref
        self.test_seq = test_seq
        self.file_backed = file_backed
        self.source = source


class ObjectTracker:
    """Keeps weak references to the xarray Datasets made while tests run.

    xarray.Dataset is unhashable, so entries are keyed by id(); the weakref
    callback drops an entry when its object dies. Each entry remembers the
    sequence number of the test during which it was made.
    """

    def __init__(self):
        self.entries = {}
        self.test_seq = 0
        self.patched = False

    def track(self, obj, file_backed=False, source=None):
        key = id(obj)
        entry = self.entries.get(key)
        if entry is not None and entry.ref() is obj:
            entry.file_backed = entry.file_backed or file_backed
            entry.source = entry.source or source
            return
        entries = self.entries

        def gone(ref, key=key):
            e = entries.get(key)
            if e is not None and e.ref is ref:
                del entries[key]

        try:
            ref = weakref.ref(obj, gone)
        except TypeError:
            return
        entries[key] = _Tracked(ref, self.test_seq, file_backed, source)

    def patch_xarray(self):
        """Wrap xarray.Dataset.__init__, xarray.open_dataset and
        xarray.open_mfdataset, once xarray has been imported by the tests
        (importing it ourselves would add its memory to every session).
        Patching Dataset.__init__ on the class also catches names bound by
        `from xarray import open_dataset` before the patch."""
        if self.patched:
            return True
        xr = sys.modules.get("xarray")
        if xr is None or not hasattr(xr, "Dataset"):
            return False
        self.patched = True
        tracker = self
        Dataset = xr.Dataset
        orig_init = Dataset.__init__

        def __init__(self, *args, **kwargs):
            orig_init(self, *args, **kwargs)
            tracker.track(self)

        __init__.__wrapped__ = orig_init
        __init__.__doc__ = orig_init.__doc__
        Dataset.__init__ = __init__

        def wrap_open(name):
            orig = getattr(xr, name, None)
            if orig is None:
                return

            def opener(*args, **kwargs):
                result = orig(*args, **kwargs)
                if isinstance(result, Dataset):
                    source = args[0] if args else kwargs.get("filename_or_obj", kwargs.get("paths"))
                    tracker.track(result, file_backed=True, source=_describe_source(source))
                return result

            opener.__wrapped__ = orig
            opener.__doc__ = orig.__doc__
            opener.__name__ = name
            setattr(xr, name, opener)

        wrap_open("open_dataset")
        wrap_open("open_mfdataset")
        return True

    def install_import_hook(self):
        """Patch xarray right after it is first imported, even from inside a
        test body, without importing it ourselves."""
        if self.patched or self.patch_xarray():
            return
        if not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
            sys.meta_path.insert(0, _PatchOnImport(self))

    def alive_from(self, test_seq):
        """The Datasets made during test test_seq that are still alive:
        (counts by type, details)."""
        details = []
        for entry in list(self.entries.values()):
            if entry.test_seq != test_seq:
                continue
            obj = entry.ref()
            if obj is None:
                continue
            details.append(_dataset_details(obj, entry))
        counts = {}
        for d in details:
            counts[d["type"]] = counts.get(d["type"], 0) + 1
        return counts, details


class _PatchOnImport:
    """A sys.meta_path finder that lets the usual finders find xarray, then
    wraps the loader so that ObjectTracker.patch_xarray runs as soon as the
    module has executed. It removes itself once xarray is patched."""

    def __init__(self, tracker):
        self.tracker = tracker

    def find_spec(self, name, path=None, target=None):
        if name != "xarray":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchAfterExec(spec.loader, self)
        return spec

    def patched(self):
        self.tracker.patch_xarray()
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


class _PatchAfterExec:
    """Wraps a module loader; every other attribute is the wrapped loader's."""

    def __init__(self, loader, hook):
        self._loader = loader
        self._hook = hook

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._hook.patched()

    def __getattr__(self, name):
        return getattr(self._loader, name)


def _describe_source(source):
    if isinstance(source, (str, bytes, os.PathLike)):
        return os.fsdecode(source)
    if isinstance(source, (list, tuple)) and source:
        return "%s (+%d more)" % (_describe_source(source[0]), len(source) - 1)
    if source is None:
        return None
    return type(source).__name__


def _dataset_details(ds, entry):
    encoding = getattr(ds, "_encoding", None) or {}
    source = entry.source or encoding.get("source")
    close = getattr(ds, "_close", None)
    # A Dataset from open_dataset holds the backend's close in ds._close
    # (Dataset.set_close); Dataset.close() calls it and sets _close to None
    # (xarray/core/common.py). encoding["source"] stays after the close.
    file_backed = bool(entry.file_backed or source or close is not None)
    try:
        nbytes = int(ds.nbytes)
    except Exception:
        nbytes = None
    try:
        dims = ", ".join("%s: %d" % (k, v) for k, v in ds.dims.items())
    except Exception:
        dims = "?"
    description = "(%s)" % dims
    if source:
        description = "%s %s" % (source, description)
    out = {
        "type": "xarray.Dataset",
        "file_backed": file_backed,
        "closed": file_backed and close is None,
        "description": description,
    }
    if nbytes is not None:
        out["nbytes"] = nbytes
    return out


# ---------------------------------------------------------------------------
# The recorder


class _TestState:
    __slots__ = ("nodeid", "seq", "peak", "hwm_reset", "duration", "outcome")

    def __init__(self, nodeid, seq, rss, hwm_reset):
        self.nodeid = nodeid
        self.seq = seq
        self.peak = rss or 0  # raised by the polling thread
        self.hwm_reset = hwm_reset
        self.duration = 0.0
        self.outcome = None


class Recorder:
    """The plugin object registered while a diagnostics file is wanted."""

    def __init__(self, config, path, worker, sample_interval, peak_interval, collect, fsync, reset_hwm=True):
        self.config = config
        self.base_path = path
        self.worker = worker
        self.sample_interval = sample_interval
        self.peak_interval = max(peak_interval, 0.001)
        self.collect = collect
        self.reset_hwm = reset_hwm
        self.do_fsync = fsync
        self.pid = os.getpid()
        self.fd = None
        self.path = None
        self.lock = threading.Lock()
        self.tracker = ObjectTracker()
        self.test = None  # _TestState of the test running
        self.item = None  # the pytest Item running
        self.test_seq = 0
        self.stop = threading.Event()
        self.sampler = None
        self.orig_finish = None

    # -- output -----------------------------------------------------------

    def write(self, event, when=None, **fields):
        """Write one record with a single write() (O_APPEND), then fsync.
        when is the record's time (time.time()), now when None."""
        if self.fd is None or os.getpid() != self.pid:
            return  # closed, or in a forked child
        record = {"event": event, "time": time.time() if when is None else when, "pid": self.pid}
        if self.worker:
            record["worker"] = self.worker
        for key, value in fields.items():
            if value is not None:
                record[key] = value
        data = (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode("utf-8")
        with self.lock:
            if self.fd is None:
                return
            try:
                view = memoryview(data)
                while view:
                    n = os.write(self.fd, view)
                    view = view[n:]
            except OSError as e:
                # A full disk must not take the test run down with it: stop
                # writing, say so once. The file then ends like a killed one.
                os.close(self.fd)
                self.fd = None
                sys.stderr.write("oomlens_diagnostics: writing %s failed, no more records: %s\n" % (self.path, e))
                return
            if self.do_fsync:
                try:
                    os.fsync(self.fd)
                except OSError:
                    pass

    # -- session ----------------------------------------------------------

    def pytest_sessionstart(self, session):
        # xdist registers its controller ("dsession") in its pytest_configure;
        # the controller runs no tests, so it writes no file.
        if not self.worker and self.config.pluginmanager.has_plugin("dsession"):
            return
        self.path = worker_path(self.base_path, self.worker)
        directory = os.path.dirname(self.path)
        if directory:
            try:
                os.makedirs(directory, exist_ok=True)
            except OSError as e:
                raise pytest.UsageError("oomlens_diagnostics: cannot make %s: %s" % (directory, e))
        # One file holds one session: truncate what an earlier run left.
        try:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        except OSError as e:
            raise pytest.UsageError("oomlens_diagnostics: cannot write %s: %s" % (self.path, e))
        rss, anon, _ = _memory()
        # Read the two clocks back to back: together they map kernel uptime
        # stamps onto the wall clock. time.monotonic() is CLOCK_MONOTONIC on
        # Linux (PEP 418).
        now = time.time()
        monotonic = time.monotonic()
        self.write(
            "session_start",
            when=now,
            schema=SCHEMA,
            rss_bytes=rss,
            rss_anon_bytes=anon,
            boot_time=_boot_time(),
            monotonic=monotonic,
            comm=_proc_text("comm"),
            cmdline=_cmdline(),
            python=sys.version.split()[0],
            argv=sys.argv[1:],
        )
        self.tracker.install_import_hook()
        self._wrap_fixture_finish()
        self.sampler = threading.Thread(target=self._sample, name="oomlens-sampler", daemon=True)
        self.sampler.start()

    # trylast: after the runner's own pytest_sessionfinish has torn down the
    # remaining session fixtures, whose fixture_teardown records come first.
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self.close(exitstatus=int(exitstatus))

    def close(self, exitstatus):
        if self.fd is None:
            return
        self.stop.set()
        if self.sampler is not None:
            self.sampler.join(timeout=2)
        rss, anon, _ = _memory()
        self.write("session_end", rss_bytes=rss, rss_anon_bytes=anon, exitstatus=exitstatus)
        with self.lock:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
        self._unwrap_fixture_finish()

    def _sample(self):
        """Poll RSS for each test's peak; write a "sample" record every
        sample_interval seconds."""
        next_sample = time.monotonic()
        while not self.stop.wait(self.peak_interval):
            rss, anon, _ = _memory()
            if rss is None:
                continue
            test = self.test
            if test is not None and rss > test.peak:
                test.peak = rss
            if self.sample_interval > 0 and time.monotonic() >= next_sample:
                next_sample = time.monotonic() + self.sample_interval
                self.write(
                    "sample",
                    rss_bytes=rss,
                    rss_anon_bytes=anon,
                    nodeid=test.nodeid if test is not None else None,
                )

    # -- tests ------------------------------------------------------------
    #
    # pytest's runner (_pytest/runner.py, pytest_runtest_protocol) calls
    #   pytest_runtest_logstart -> runtestprotocol(setup, call, teardown)
    #   -> pytest_runtest_logfinish.
    # runtestprotocol keeps the item's fixture values in item.funcargs (and
    # item._request) until after the teardown hooks; only then does it set
    # item.funcargs = None ("After all teardown hooks have been called want
    # funcargs and request info to go away"). So RSS read in
    # pytest_runtest_teardown, or in an autouse fixture's teardown as
    # weathercop does, still counts the function-scoped fixture values.
    # pytest_runtest_logfinish is the first hook after they are released,
    # which is where test_end is written.
    #
    # Caveat: a failing test's traceback, with its frames and their locals,
    # is kept in sys.last_traceback (pytest_runtest_call) until the next
    # test's call phase deletes it, so a failed test may appear to keep its
    # locals; the next test then appears to give them back.

    def pytest_runtest_logstart(self, nodeid, location):
        if self.fd is None:
            return
        self.tracker.patch_xarray()
        self.test_seq += 1
        self.tracker.test_seq = self.test_seq
        rss, anon, _ = _memory()
        hwm_reset = self.reset_hwm and _reset_hwm()
        self.test = _TestState(nodeid, self.test_seq, rss, hwm_reset)
        self.write("test_start", nodeid=nodeid, rss_bytes=rss, rss_anon_bytes=anon)

    def pytest_runtest_protocol(self, item, nextitem):
        self.item = item  # for _finish: the item whose funcargs hold fixtures

    def pytest_runtest_logreport(self, report):
        test = self.test
        if test is None or report.nodeid != test.nodeid:
            return
        test.duration += getattr(report, "duration", 0.0) or 0.0
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        if report.when == "call":
            test.outcome = outcome
        elif report.failed:  # setup or teardown failed: pytest says "error"
            test.outcome = "error"
        elif report.when == "setup" and test.outcome is None:
            test.outcome = outcome  # "skipped" in setup; "passed" until the call

    def pytest_runtest_logfinish(self, nodeid, location):
        test = self.test
        if self.fd is None or test is None:
            return
        self.item = None
        if self.collect:
            gc.collect()
        rss, anon, hwm = _memory()
        peak = test.peak
        if test.hwm_reset and hwm is not None:
            peak = max(peak, hwm)
        if rss is not None:
            peak = max(peak, rss)
        fields = {}
        if self.tracker.patched:
            counts, details = self.tracker.alive_from(test.seq)
            fields["open_objects"] = counts
            if details:
                fields["open_object_details"] = details
        # A failed test's frames stay in sys.last_traceback until the next
        # test's call phase (see the caveat above): say so, since its locals
        # are then counted in rss_bytes.
        if getattr(sys, "last_traceback", None) is not None:
            fields["traceback_kept"] = True
        self.test = None
        self.tracker.test_seq = 0
        self.write(
            "test_end",
            nodeid=nodeid,
            outcome=test.outcome or "unknown",
            duration_s=round(test.duration, 6),
            rss_bytes=rss,
            rss_anon_bytes=anon,
            peak_rss_bytes=peak or None,
            peak_source="vmhwm" if test.hwm_reset and hwm is not None else "sampled",
            **fields
        )

    # -- fixtures ---------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        """fixture_setup records for fixtures wider than a function: the
        memory a module or session fixture takes is told apart from the
        test during whose setup it is made."""
        scope = getattr(fixturedef, "scope", None)
        if self.fd is None or scope in (None, "function"):
            yield
            return
        before, anon_before, _ = _memory()
        yield
        after, anon, _ = _memory()
        test = self.test
        self.write(
            "fixture_setup",
            fixture=fixturedef.argname,
            scope=scope,
            rss_before_bytes=before,
            rss_after_bytes=after,
            rss_anon_before_bytes=anon_before,
            rss_anon_bytes=anon,
            nodeid=test.nodeid if test is not None else None,
        )

    def _wrap_fixture_finish(self):
        """Wrap FixtureDef.finish to write fixture_teardown records for
        fixtures wider than a function.

        pytest_fixture_post_finalizer is too early: FixtureDef.finish calls
        it before it sets cached_result = None (_pytest/fixtures.py), so the
        value is still held. And the running item's item.funcargs holds the
        values of the module or session fixtures it uses until
        runtestprotocol clears it after teardown; the fixture is being torn
        down, so its entry is dropped from the running item's funcargs first.
        """
        try:
            from _pytest.fixtures import FixtureDef
        except ImportError:
            return
        recorder = self
        orig = FixtureDef.finish
        self.orig_finish = (FixtureDef, orig)

        def finish(fixturedef, *args, **kwargs):
            scope = getattr(fixturedef, "scope", None)
            if (
                recorder.fd is None
                or scope in (None, "function")
                or getattr(fixturedef, "cached_result", None) is None
            ):
                return orig(fixturedef, *args, **kwargs)
            item = recorder.item
            funcargs = getattr(item, "funcargs", None)
            if isinstance(funcargs, dict) and fixturedef.argname in funcargs:
                if funcargs[fixturedef.argname] is fixturedef.cached_result[0]:
                    del funcargs[fixturedef.argname]
            if recorder.collect:
                gc.collect()
            before, anon_before, _ = _memory()
            try:
                return orig(fixturedef, *args, **kwargs)
            finally:
                if recorder.collect:
                    gc.collect()
                after, anon, _ = _memory()
                test = recorder.test
                recorder.write(
                    "fixture_teardown",
                    fixture=fixturedef.argname,
                    scope=scope,
                    rss_before_bytes=before,
                    rss_after_bytes=after,
                    rss_anon_before_bytes=anon_before,
                    rss_anon_bytes=anon,
                    nodeid=test.nodeid if test is not None else None,
                    traceback_kept=True if getattr(sys, "last_traceback", None) is not None else None,
                )

        finish.__wrapped__ = orig
        FixtureDef.finish = finish

    def _unwrap_fixture_finish(self):
        if self.orig_finish is not None:
            cls, orig = self.orig_finish
            cls.finish = orig
            self.orig_finish = None
