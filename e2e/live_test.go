package e2e

// The machinery of a live run: the suite's command line, environment and
// limit as scripts/make-scenarios.sh assembles them for cmd/oomharness
// (whose main package cannot be imported, so its GitHub Actions stamping and
// journalctl rendering are replicated here, minimally), the run under
// package harness, and the facts of the run that the checks compare the
// verdict with.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oomlens/oomlens/harness"
)

// python is the interpreter the suite runs with (RULES.md: the Debian one,
// with python3-pytest, -xarray, -netcdf4, -numpy, -pytest-xdist).
const python = "/usr/bin/python3"

const mib = 1 << 20

// Node ids of the suite (testdata/e2e/suite/README.md).
const (
	testCache   = "test_1_io.py::test_open_cached_dataset"    // LEAK of CACHE MiB
	testList    = "test_3_registry.py::test_register_dataset" // LEAK of LIST MiB
	testSmall   = "test_3_registry.py::test_memo_small"       // leak of SMALL MiB, below the floor
	testHog     = "test_2_models.py::test_resample_hog"       // HOG of HOG MiB, nothing kept
	testFixture = "test_2_models.py::test_climatology_mean"   // sets up the module fixture of FIXTURE MiB
	testVictim  = "test_3_registry.py::test_merge_all"        // VICTIM: crosses the limit
)

// sizes are the suite's OOMSUITE_<NAME>_MIB settings.
type sizes struct {
	Cache, List, Small, Fixture, Hog, Victim float64
	// Ballast is held from the session's start: a heavier baseline, as on
	// another machine. The limit is not told about it.
	Ballast float64
	// Light runs the suite without netCDF4 (OOMSUITE_LIGHT=1): a lighter
	// baseline, likewise unknown to the limit.
	Light bool
	// Creep is what each test of a creep file keeps (OOMSUITE_CREEP_MIB),
	// CreepMembers how many of them run.
	Creep        float64
	CreepMembers int
}

// untilKilled as sizes.Victim makes the victim allocate, in 8 MiB chunks, up
// to victimBoundFactor times the run's limit: the kernel kills it whatever
// the machine's baseline (another kernel, other library builds, a ballast).
const untilKilled = -1

// victimBoundFactor bounds the victim's allocation when no kill comes (no
// limit enforced): it then returns, and the checks say the suite did not
// behave.
const victimBoundFactor = 4

// defaultSizes are the suite's defaults, which make-scenarios.sh exports for
// every variant but victim-only; the victim allocates until killed.
var defaultSizes = sizes{Cache: 96, List: 64, Small: 3, Fixture: 48, Hog: 128, Victim: untilKilled}

func (s sizes) env(limitBytes int64) []string {
	f := func(name string, v float64) string {
		return "OOMSUITE_" + name + "_MIB=" + strconv.FormatFloat(v, 'f', -1, 64)
	}
	victim := s.Victim
	if victim == untilKilled {
		victim = float64(victimBoundFactor * limitBytes / mib)
	}
	light := "0"
	if s.Light {
		light = "1"
	}
	return []string{f("CACHE", s.Cache), f("LIST", s.List), f("SMALL", s.Small),
		f("FIXTURE", s.Fixture), f("HOG", s.Hog), f("VICTIM", victim), f("BALLAST", s.Ballast), f("CREEP", s.Creep), "OOMSUITE_LIGHT=" + light}
}

// heldBeforeVictimBytes is the most the suite's own tests hold at once before
// the victim: every leak, the module fixture and the hog together (more than
// the suite ever holds: the fixture is released before the victim).
func (s sizes) heldBeforeVictimBytes() int64 {
	return int64((s.Cache + s.List + s.Small + s.Fixture + s.Hog + float64(s.CreepMembers)*s.Creep) * mib)
}

// marginBytes is the room between what a run is known to hold before its
// victim and its limit: wide enough for another machine's baseline (the
// ballast variant adds 64 MiB unknown to the limit and must still be judged
// right), so that only the victim, which allocates until killed, reaches the
// limit.
const marginBytes = 256 * mib

// limitFor is the memory limit of a run: procs Python processes at the
// baseline measured on this machine, what the suite holds before its victim,
// extra (a recorder in the same cgroup) and marginBytes, rounded up to 64
// MiB. The variant's ballast and light mode are left out on purpose.
func limitFor(t *testing.T, s sizes, procs int, extraBytes int64) int64 {
	t.Helper()
	b := int64(procs)*pythonBaselineBytes(t) + s.heldBeforeVictimBytes() + extraBytes + marginBytes
	const step = 64 * mib
	return (b + step - 1) / step * step
}

var (
	baselineOnce  sync.Once
	baselineBytes int64
	baselineErr   error
)

// pythonBaselineBytes is the resident memory of /usr/bin/python3 once it has
// imported what the suite imports (pytest, numpy, xarray, netCDF4): the
// baseline of one pytest process on this machine, measured, not assumed.
func pythonBaselineBytes(t *testing.T) int64 {
	t.Helper()
	baselineOnce.Do(func() {
		cmd := exec.Command(python, "-c", `import pytest, numpy, xarray, netCDF4
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) * 1024)`)
		cmd.Env = append(baseEnv(), "PYTHONDONTWRITEBYTECODE=1")
		out, err := cmd.Output()
		if err != nil {
			baselineErr = fmt.Errorf("measuring the Python baseline: %v", err)
			return
		}
		baselineBytes, baselineErr = strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	})
	if baselineErr != nil {
		t.Fatal(baselineErr)
	}
	return baselineBytes
}

// paths are the repository's folders the runs need.
type paths struct {
	root, suite, plugin string
}

func repoPaths(t *testing.T) paths {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd) // go test runs in the package folder, e2e/
	p := paths{root: root, suite: filepath.Join(root, "testdata", "e2e", "suite"), plugin: filepath.Join(root, "contrib", "pytest")}
	for _, f := range []string{filepath.Join(p.suite, "conftest.py"), filepath.Join(p.plugin, "oomlens_diagnostics.py")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("the end-to-end tests need %s: %v", f, err)
		}
	}
	return p
}

var (
	pythonOnce sync.Once
	pythonErr  error
)

// need skips a live test under -short, or when this machine cannot run it
// (no memory cgroup or kernel log for the harness, no Python modules); under
// CI=true a missing prerequisite is a failure, not a skip.
func need(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("the live OOM kills take about a minute; skipped under -short")
	}
	fail := func(what string, err error) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s required under CI=true: %v", what, err)
		}
		t.Skipf("%s not available here, skipped (set CI=true to make this a failure): %v", what, err)
	}
	if err := harness.Available(); err != nil {
		fail("the harness (a memory cgroup controller and a readable kernel log)", err)
	}
	pythonOnce.Do(func() {
		out, err := exec.Command(python, "-c", "import pytest, xdist, numpy, xarray, netCDF4").CombinedOutput()
		if err != nil {
			pythonErr = fmt.Errorf("%s cannot import pytest, xdist, numpy, xarray, netCDF4 (Debian python3-pytest, -pytest-xdist, -numpy, -xarray, -netcdf4): %v", python, err)
			if out = bytes.TrimSpace(out); len(out) > 0 {
				pythonErr = fmt.Errorf("%w: %s", pythonErr, out)
			}
		}
	})
	if pythonErr != nil {
		fail(python+" with the suite's modules", pythonErr)
	}
}

// baseEnv is this process's environment without the variables that would
// change what the suite or the plugin does.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "OOMSUITE_") || strings.HasPrefix(k, "OOMLENS_") ||
			strings.HasPrefix(k, "PYTEST_") || strings.HasPrefix(k, "PYTHON") || k == "TMPDIR" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

var (
	collectOnce sync.Once
	collectOut  []byte
	collectErr  error
)

// collectList is `pytest --collect-only -q` of the suite, as make-scenarios.sh
// makes it for the dots variant (the node ids in run order).
func collectList(t *testing.T, p paths) []byte {
	t.Helper()
	collectOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "oomlens-e2e-collect")
		if err != nil {
			collectErr = err
			return
		}
		defer os.RemoveAll(tmp)
		cmd := exec.Command(python, "-m", "pytest", "--collect-only", "-q")
		cmd.Dir = p.suite
		cmd.Env = append(baseEnv(), "PYTHONDONTWRITEBYTECODE=1", "TMPDIR="+tmp)
		collectOut, collectErr = cmd.CombinedOutput()
		if collectErr != nil {
			collectErr = fmt.Errorf("pytest --collect-only -q: %v:\n%s", collectErr, collectOut)
		}
	})
	if collectErr != nil {
		t.Fatal(collectErr)
	}
	return collectOut
}

// collectFiles is `pytest --collect-only -q FILE...` in the suite: the node
// ids of a run that names its files (the creep variants).
func collectFiles(t *testing.T, p paths, files ...string) []byte {
	t.Helper()
	cmd := exec.Command(python, append([]string{"-m", "pytest", "--collect-only", "-q"}, files...)...)
	cmd.Dir = p.suite
	cmd.Env = append(baseEnv(), "PYTHONDONTWRITEBYTECODE=1", "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pytest --collect-only -q %v: %v:\n%s", files, err, out)
	}
	return out
}

// nodeIDs are the node ids of a collect list, in run order.
func nodeIDs(collect []byte) []string {
	var out []string
	for _, l := range strings.Split(string(collect), "\n") {
		if l = strings.TrimSpace(l); strings.Contains(l, "::") {
			out = append(out, l)
		}
	}
	return out
}

// spec is one way to run the suite.
type spec struct {
	// procs is how many Python processes share the limit (an xdist
	// controller and its workers: 3); extraBytes what else runs in the
	// cgroup (oomlens record). The limit is derived from them (limitFor).
	procs      int
	extraBytes int64
	sizes      sizes
	paceS      string // OOMSUITE_PACE_S
	plugin     bool   // -p oomlens_diagnostics, writing diag.jsonl into the job folder
	gha        bool   // GitHub Actions per-line stamps; the log is ci.log
	journal    bool   // kernel lines as journalctl -k -o short-iso: journalctl-k.log
	collect    bool   // the job folder gets collect.txt
	xdist      bool
	pytestArgs []string
	// env is added to the suite's environment (OOMSUITE_VICTIM_ALONE=1:
	// under xdist the victim waits until the other worker's session is over).
	env []string
	// wrap, when set, runs the pytest command line through it (oomlens
	// record): it gets the job folder and returns the full command.
	wrap func(jobDir string, pytest []string) []string
}

// run is what one live run left: the job folder and the facts the checks
// compare the verdict with.
type run struct {
	// limitBytes is the run's memory limit (limitFor).
	limitBytes int64
	jobDir     string
	logPath    string // the pytest or CI log, in jobDir unless the wrapper writes its own
	res        harness.Result
	// pids from the suite's OOMSUITE_PIDFILE: "main" or the xdist worker id.
	pids map[string][]int
	// diagPIDs are the session_start pids of the diagnostics files, by
	// worker ("" for a single process).
	diagPIDs map[string]int
	// victimWorker is the worker whose diagnostics hold the victim's
	// test_start with no test_end ("" for a single process).
	victimWorker string
	// victimStartCgroupBytes is the cgroup's charge when the victim
	// started, as the suite read it (0 if it could not).
	victimStartCgroupBytes int64
	// kernelLog is the job folder's kernel file; kernelKills are the (pid,
	// comm) of its every `Killed process` line.
	kernelLog   []byte
	kernelKills [][2]string
	elapsed     time.Duration
}

// runLive runs the suite once under the harness. Other jobs' OOM kills may
// land in the run's kernel-log window (this machine is shared; so is a CI
// host's dmesg): they stay in the job folder, and the verdict must still pick
// the run's own kill.
func runLive(t *testing.T, p paths, s spec) *run {
	t.Helper()
	r := runOnce(t, p, s)
	if f := r.foreignKills(); len(f) > 0 {
		t.Logf("the job's kernel log also holds other processes' OOM kills %v (other jobs on this machine); kept in the job folder", f)
	}
	return r
}

func runOnce(t *testing.T, p paths, s spec) *run {
	t.Helper()
	procs := max(s.procs, 1)
	r := &run{jobDir: t.TempDir(), limitBytes: limitFor(t, s.sizes, procs, s.extraBytes)}
	tmp := t.TempDir() // the suite's TMPDIR, pid and facts files: not the job's files
	pidFile, factsFile := filepath.Join(tmp, "pids"), filepath.Join(tmp, "facts")
	env := append(baseEnv(), "PYTHONDONTWRITEBYTECODE=1", "TMPDIR="+tmp, "OOMSUITE_PIDFILE="+pidFile, "OOMSUITE_FACTS="+factsFile)
	env = append(env, s.sizes.env(r.limitBytes)...)
	env = append(env, "OOMSUITE_SYNC_DIR="+tmp)
	env = append(env, s.env...)
	env = append(env, "OOMSUITE_PACE_S="+s.paceS)
	if s.plugin {
		env = append(env, "PYTHONPATH="+p.plugin, "OOMLENS_DIAGNOSTICS="+filepath.Join(r.jobDir, "diag.jsonl"))
	}
	if s.collect {
		if err := os.WriteFile(filepath.Join(r.jobDir, "collect.txt"), collectList(t, p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := append([]string{python, "-m", "pytest"}, s.pytestArgs...)
	var out *os.File
	var err error
	if s.wrap != nil {
		args = s.wrap(r.jobDir, args)
		r.logPath = filepath.Join(r.jobDir, "output.log")
		out, err = os.Create(filepath.Join(tmp, "recorder-stdout.log"))
	} else {
		name := "pytest.log"
		if s.gha {
			name = "ci.log"
		}
		r.logPath = filepath.Join(r.jobDir, name)
		out, err = os.Create(r.logPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var sink interface{ Write([]byte) (int, error) } = out
	if s.gha {
		sink = harness.NewStampWriter(out, nil)
	}
	// A run that outlives this is hung (pytest-xdist waiting on a worker
	// that will never come back): the harness kills the cgroup.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	r.res, err = harness.Run(ctx, harness.Spec{
		LimitBytes: r.limitBytes,
		Dir:        p.suite,
		Env:        env,
		Args:       args,
		Stdout:     sink,
		Stderr:     sink,
	})
	r.elapsed = time.Since(start)
	if err != nil {
		t.Fatalf("harness run of %q: %v\nlast lines of %s:\n%s", strings.Join(args, " "), err, r.logPath, tail(r.logPath, 30))
	}
	if r.res.KernelLogGap != nil {
		t.Logf("kernel log: %v", r.res.KernelLogGap)
	}
	klog, kname := r.res.KernelLog, "kernel.log"
	if s.journal {
		boot, err := harness.BootTime()
		if err != nil {
			t.Fatal(err)
		}
		klog, kname = harness.ToJournal(klog, boot, "ci-host"), "journalctl-k.log"
	}
	if s.wrap == nil {
		if err := os.WriteFile(filepath.Join(r.jobDir, kname), klog, 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		// oomlens record writes its own kernel.log, of the window while
		// the command ran (the harness's is longer): the kills the job
		// folder holds are that file's.
		var err error
		if klog, err = os.ReadFile(filepath.Join(r.jobDir, "kernel.log")); err != nil {
			t.Fatalf("oomlens record wrote no kernel.log: %v", err)
		}
	}
	r.kernelLog = klog
	for _, m := range killedRE.FindAllSubmatch(klog, -1) {
		r.kernelKills = append(r.kernelKills, [2]string{string(m[1]), string(m[2])})
	}
	r.pids = readPIDFile(t, pidFile)
	r.victimStartCgroupBytes = readFacts(t, factsFile)["victim_start_cgroup_bytes"]
	r.diagPIDs, r.victimWorker = readDiagnostics(t, r.jobDir)
	return r
}

var killedRE = regexp.MustCompile(`Killed process (\d+) \(([^)]*)\)`)

// ourPIDs are the suite's processes (and the harness's command).
func (r *run) ourPIDs() map[int]bool {
	m := map[int]bool{r.res.PID: true}
	for _, ps := range r.pids {
		for _, p := range ps {
			m[p] = true
		}
	}
	return m
}

// killed says whether the kernel log has a `Killed process` line for pid.
func (r *run) killed(pid int) bool {
	for _, k := range r.kernelKills {
		if k[0] == strconv.Itoa(pid) {
			return true
		}
	}
	return false
}

func (r *run) foreignKills() []string {
	ours := r.ourPIDs()
	var out []string
	for _, k := range r.kernelKills {
		if pid, _ := strconv.Atoi(k[0]); !ours[pid] {
			out = append(out, k[0]+" ("+k[1]+")")
		}
	}
	return out
}

// readPIDFile reads the suite's `<worker|main> <pid>` lines.
func readPIDFile(t *testing.T, path string) map[string][]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the suite wrote no pid file: %v", err)
	}
	out := map[string][]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			t.Fatalf("%s: bad line %q", path, l)
		}
		pid, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("%s: bad line %q", path, l)
		}
		out[f[0]] = append(out[f[0]], pid)
	}
	return out
}

// readFacts reads the suite's `key value` lines (OOMSUITE_FACTS), if any.
func readFacts(t *testing.T, path string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, ok := strings.Cut(l, " ")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			t.Fatalf("%s: bad line %q", path, l)
		}
		out[k] = n
	}
	return out
}

// readDiagnostics reads the session_start pid of each diagnostics file of the
// job folder (the plugin's diag*.jsonl, oomlens record's diagnostics.jsonl
// holds one per process and is skipped here) and which worker's file holds
// the victim's test_start without its test_end. A cut-off last line (the
// killed writer's) is skipped.
func readDiagnostics(t *testing.T, dir string) (map[string]int, string) {
	t.Helper()
	all, _ := filepath.Glob(filepath.Join(dir, "diag*.jsonl"))
	var files []string
	for _, f := range all {
		if filepath.Base(f) != "diagnostics.jsonl" { // oomlens record's: every process of the tree
			files = append(files, f)
		}
	}
	pids := map[string]int{}
	victim := ""
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var worker string
		started, ended := false, false
		for _, l := range bytes.Split(b, []byte("\n")) {
			var rec struct {
				Event, Worker, NodeID string
				PID                   int
			}
			if json.Unmarshal(l, &rec) != nil {
				continue
			}
			switch rec.Event {
			case "session_start":
				worker = rec.Worker
				pids[worker] = rec.PID
			case "test_start":
				started = started || rec.NodeID == testVictim
			case "test_end":
				ended = ended || rec.NodeID == testVictim
			}
		}
		if started && !ended {
			victim = worker
		}
	}
	return pids, victim
}

// diedPID is the pid of the process that ran the victim, from the pid file,
// checked against the harness and the diagnostics: the pytest process, or
// the xdist worker that ran the victim.
func (r *run) diedPID(t *testing.T, s spec) int {
	t.Helper()
	if s.xdist {
		if r.victimWorker == "" {
			t.Fatalf("no diagnostics file holds the victim %s without its end: %v", testVictim, r.diagPIDs)
		}
		pid := r.diagPIDs[r.victimWorker]
		if ps := r.pids[r.victimWorker]; len(ps) != 1 || ps[0] != pid {
			t.Fatalf("worker %s: pid file says %v, its diagnostics' session_start %d", r.victimWorker, ps, pid)
		}
		return pid
	}
	ps := r.pids["main"]
	if len(ps) != 1 {
		t.Fatalf("pid file: %v, want one main pytest process", r.pids)
	}
	if s.wrap == nil && ps[0] != r.res.PID {
		t.Fatalf("pytest's pid %d (pid file) is not the harness's command %d", ps[0], r.res.PID)
	}
	if d, ok := r.diagPIDs[""]; ok && d != ps[0] {
		t.Fatalf("pytest's pid %d (pid file) is not its diagnostics' session_start %d", ps[0], d)
	}
	return ps[0]
}

// checkKilled is the scenario's precondition: exactly one OOM kill in the
// run's cgroup, of the process that ran the victim (other jobs' kills in the
// same window aside). When it fails, the suite
// did not do what it is meant to (its sizes or limit, or this machine), and
// nothing about oomlens can be concluded.
func (r *run) checkKilled(t *testing.T, s spec, died int) {
	t.Helper()
	bad := ""
	// oomlens record runs its command in a child cgroup of its own, and a
	// cgroup v1 counts an OOM kill in the victim's memcg only: there the
	// run's kills are the kernel records whose oom_memcg is the run's
	// cgroup.
	kills, counted := r.res.OOMKills, "the cgroup counted"
	if s.wrap != nil {
		kills = bytes.Count(r.kernelLog, []byte("oom_memcg="+r.res.CgroupPath+","))
		counted = "the kernel records name the run's cgroup as oom_memcg in"
	}
	switch {
	case kills != 1:
		bad = fmt.Sprintf("%s %d OOM kills, want 1", counted, kills)
	case len(r.kernelKills)-len(r.foreignKills()) != 1:
		bad = fmt.Sprintf("the job's kernel log holds %d `Killed process` lines of the suite's processes %v, want 1", len(r.kernelKills)-len(r.foreignKills()), r.kernelKills)
	case !r.killed(died):
		bad = fmt.Sprintf("the kernel did not kill pid %d, which ran the victim: %v", died, r.kernelKills)
	case !bytes.Contains(r.kernelLog, []byte(r.res.CgroupPath)):
		bad = "the job's kernel log does not name the run's cgroup " + r.res.CgroupPath
	}
	if bad != "" {
		t.Fatalf("the suite did not behave as it should, so the verdict cannot be judged: %s\npids %v, harness pid %d, exit %d, signal %v, peak %d of %d bytes\nlast lines of %s:\n%s",
			bad, r.pids, r.res.PID, r.res.ExitCode, r.res.Signal, r.res.MaxUsageBytes, r.limitBytes, r.logPath, tail(r.logPath, 30))
	}
}

// tail is the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// listDir names the files of a job folder with their sizes, for failures.
func listDir(dir string) string {
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if st, err := d.Info(); err == nil {
				rel, _ := filepath.Rel(dir, path)
				out = append(out, fmt.Sprintf("%s (%d bytes)", rel, st.Size()))
			}
		}
		return nil
	})
	sort.Strings(out)
	return strings.Join(out, ", ")
}
