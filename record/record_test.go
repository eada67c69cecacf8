package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const python = "/usr/bin/python3"

// stampRe is the GitHub Actions raw-log prefix (PYTEST-CI.md §1.9).
var stampRe = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z) `)

type recorded struct {
	dir            string
	res            *Result
	stdout, stderr bytes.Buffer
}

func runRecord(t *testing.T, command ...string) *recorded {
	t.Helper()
	return runRecordIn(t, t.TempDir(), command...)
}

// runRecordIn is runRecord into a folder the caller chose (so that the
// command can watch the files the recorder writes).
func runRecordIn(t *testing.T, dir string, command ...string) *recorded {
	t.Helper()
	r := &recorded{dir: dir}
	res, err := Run(Options{Dir: r.dir, Command: command, Interval: 20 * time.Millisecond,
		Stdout: &r.stdout, Stderr: &r.stderr})
	if err != nil {
		t.Fatalf("Run(%q): %v", command, err)
	}
	r.res = res
	return r
}

// logLines reads output.log and returns the lines without their stamps,
// checking that every line has one and that the stamps never go back.
func logLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, OutputLogFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("output.log does not end with a newline: %q", b)
	}
	var lines []string
	var prev time.Time
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" && len(b) == 0 {
			break
		}
		m := stampRe.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("output.log:%d: no stamp: %q", i+1, line)
		}
		ts, err := time.Parse(StampLayout, m[1])
		if err != nil {
			t.Fatalf("output.log:%d: %v", i+1, err)
		}
		if ts.Before(prev) {
			t.Errorf("output.log:%d: stamp %s before the previous line's %s", i+1, ts, prev)
		}
		prev = ts
		lines = append(lines, line[len(m[0]):])
	}
	return lines
}

type diagRecord struct {
	Event        string   `json:"event"`
	Schema       string   `json:"schema"`
	Time         float64  `json:"time"`
	PID          int      `json:"pid"`
	PPID         int      `json:"ppid"`
	RSSBytes     *uint64  `json:"rss_bytes"`
	RSSAnonBytes *uint64  `json:"rss_anon_bytes"`
	BootTime     int64    `json:"boot_time"`
	Monotonic    *float64 `json:"monotonic"`
	Comm         string   `json:"comm"`
	Cmdline      string   `json:"cmdline"`
	Worker       string   `json:"worker"`
}

func readDiagnostics(t *testing.T, dir string) []diagRecord {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, DiagnosticsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []diagRecord
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var r diagRecord
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("diagnostics.jsonl:%d: %v: %s", n, err, sc.Bytes())
		}
		if r.RSSBytes == nil || r.RSSAnonBytes == nil || r.PID <= 0 || r.Time <= 0 {
			t.Fatalf("diagnostics.jsonl:%d: missing field: %s", n, sc.Bytes())
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

func readManifest(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("record.json: %v", err)
	}
	return m
}

func TestOutputStampedAndPassedThrough(t *testing.T) {
	r := runRecord(t, "/bin/sh", "-c",
		`echo one; sleep 0.1; echo two >&2; sleep 0.1; echo "three  spaced"; sleep 0.1; printf 'partial, no newline'`)
	if got, want := r.stdout.String(), "one\nthree  spaced\npartial, no newline"; got != want {
		t.Errorf("stdout passthrough = %q, want %q", got, want)
	}
	if got, want := r.stderr.String(), "two\n"; got != want {
		t.Errorf("stderr passthrough = %q, want %q", got, want)
	}
	got := logLines(t, r.dir)
	want := []string{"one", "two", "three  spaced", "partial, no newline"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("output.log lines = %q, want %q", got, want)
	}
	if r.res.Status != 0 {
		t.Errorf("status = %d, want 0", r.res.Status)
	}
}

// TestOutputStampedWhenNewlineArrives checks that a line is stamped when its
// newline arrives, not when its first byte did.
func TestOutputStampedWhenNewlineArrives(t *testing.T) {
	// The command writes its first line, then the start of its second, and
	// ends that line only once the test has created the file go: the
	// second line's newline cannot arrive before then, so its stamp is at or
	// after the moment the file was made, whatever the machine's load (no
	// sleep decides it).
	dir := t.TempDir()
	gate := filepath.Join(t.TempDir(), "go")
	done := make(chan *recorded, 1)
	go func() {
		r := &recorded{dir: dir}
		res, err := Run(Options{Dir: dir, Interval: 20 * time.Millisecond, Stdout: &r.stdout, Stderr: &r.stderr,
			Command: []string{"/bin/sh", "-c", `echo first; printf 'slow '; while [ ! -e ` + gate + ` ]; do sleep 0.01; done; echo line`}})
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		r.res = res
		done <- r
	}()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(dir, OutputLogFile))
		if bytes.Contains(b, []byte("first\n")) {
			break
		}
		if time.Now().After(deadline) {
			os.WriteFile(gate, nil, 0o644)
			<-done
			t.Fatalf("the first line never reached output.log: %q", b)
		}
	}
	opened := time.Now().UTC()
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	<-done
	b, _ := os.ReadFile(filepath.Join(dir, OutputLogFile))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[1], " slow line") {
		t.Fatalf("output.log = %q", b)
	}
	t0, _ := time.Parse(StampLayout, stampRe.FindStringSubmatch(lines[0])[1])
	t1, _ := time.Parse(StampLayout, stampRe.FindStringSubmatch(lines[1])[1])
	// Stamps keep 100 ns.
	if t1.Before(opened.Truncate(100 * time.Nanosecond)) {
		t.Errorf("second line stamped %v, before its newline could be written (the gate opened at %v): stamped when the line began?", t1, opened)
	}
	if !t0.Before(opened) {
		t.Errorf("first line stamped %v, not before the gate opened at %v", t0, opened)
	}
}

// TestLongLineOneStamp checks that a line longer than maxPendingBytes is
// written as it comes with one stamp.
func TestLongLineOneStamp(t *testing.T) {
	r := runRecord(t, python, "-c",
		`import sys; sys.stdout.write("a" * (3 << 20)); sys.stdout.flush(); print("b"); print("next")`)
	lines := logLines(t, r.dir)
	if len(lines) != 2 || lines[0] != strings.Repeat("a", 3<<20)+"b" || lines[1] != "next" {
		t.Errorf("got %d lines, first %d bytes", len(lines), len(lines[0]))
	}
}

func TestMemoryOfTheProcessTree(t *testing.T) {
	// Each process waits until the recorder has described it and sampled
	// it as the test needs (read back from diagnostics.jsonl as it is
	// written), so the outcome does not depend on how the machine schedules
	// the sampler; the wait is bounded by the script's own deadline.
	dir := t.TempDir()
	diag := filepath.Join(dir, DiagnosticsFile)
	r := runRecordIn(t, dir, "/bin/sh", "-c", `echo start; `+python+` -c '
import json, os, subprocess, sys, time
def seen(pid, rss_at_least=0):
    deadline = time.time() + 120
    while time.time() < deadline:
        starts, big = False, False
        try:
            lines = open(`+strconv.Quote(diag)+`).read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("pid") != pid:
                continue
            starts = starts or rec.get("event") == "session_start"
            big = big or (rec.get("event") == "sample" and rec.get("rss_bytes", 0) >= rss_at_least)
        if starts and big:
            return
        time.sleep(0.01)
    sys.exit("the recorder never described pid %d" % pid)
b = bytearray(100 << 20)
for i in range(0, len(b), 4096):
    b[i] = 1
seen(os.getpid(), 100 << 20)
del b
p = subprocess.Popen(["/bin/sleep", "120"])
seen(p.pid)
p.kill()
p.wait()
'; echo end`)
	recs := readDiagnostics(t, r.dir)
	starts := map[int]diagRecord{}
	samples := map[int]int{}
	peak := map[int]uint64{}
	var prevTime float64
	for _, rec := range recs {
		if rec.Time < prevTime {
			t.Errorf("time goes back: %v after %v", rec.Time, prevTime)
		}
		prevTime = rec.Time
		switch rec.Event {
		case "session_start":
			if _, dup := starts[rec.PID]; dup {
				t.Errorf("second session_start for pid %d", rec.PID)
			}
			if rec.Schema != DiagnosticsSchema || rec.BootTime <= 0 || rec.Monotonic == nil || *rec.Monotonic <= 0 || rec.Comm == "" {
				t.Errorf("incomplete session_start: %+v", rec)
			}
			starts[rec.PID] = rec
		case "sample":
			if _, ok := starts[rec.PID]; !ok {
				t.Errorf("sample for pid %d before its session_start", rec.PID)
			}
			samples[rec.PID]++
		default:
			t.Errorf("unexpected event %q", rec.Event)
		}
		peak[rec.PID] = max(peak[rec.PID], *rec.RSSBytes)
		if *rec.RSSAnonBytes > *rec.RSSBytes {
			t.Errorf("pid %d: rss_anon_bytes %d > rss_bytes %d", rec.PID, *rec.RSSAnonBytes, *rec.RSSBytes)
		}
	}
	byComm := map[string]diagRecord{}
	for _, s := range starts {
		byComm[s.Comm] = s
	}
	sh, py, sl := byComm["sh"], byComm["python3"], byComm["sleep"]
	if sh.PID == 0 || py.PID == 0 || sl.PID == 0 {
		t.Fatalf("session_start comms = %v, want sh, python3 and sleep", keys(byComm))
	}
	if py.PPID != sh.PID || sl.PPID != py.PID {
		t.Errorf("tree: sh %d, python3 %d (ppid %d), sleep %d (ppid %d)", sh.PID, py.PID, py.PPID, sl.PID, sl.PPID)
	}
	if !strings.Contains(py.Cmdline, "bytearray(100 << 20)") {
		t.Errorf("python3 cmdline = %q", py.Cmdline)
	}
	for _, s := range []diagRecord{sh, py, sl} {
		if samples[s.PID] == 0 {
			t.Errorf("no sample for %s (pid %d)", s.Comm, s.PID)
		}
	}
	if peak[py.PID] < 100<<20 {
		t.Errorf("python3 peak RSS %d, want >= 100 MiB", peak[py.PID])
	}
	if peak[sh.PID] >= 100<<20 {
		t.Errorf("sh peak RSS %d: the child's memory was counted to its parent", peak[sh.PID])
	}
	if got := logLines(t, r.dir); strings.Join(got, "|") != "start|end" {
		t.Errorf("output.log lines = %q", got)
	}
	st := r.res.Manifest.Sampler
	if st.Processes != 3 || st.Ticks < 10 || st.Discovery == "" {
		t.Errorf("sampler stats = %+v, want 3 processes, >= 10 ticks", st)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		script   string
		status   int
		exitCode any // float64 or nil, as JSON decodes it
		signal   any // string or nil
	}{
		{"exit 0", 0, 0.0, nil},
		{"echo bye; exit 3", 3, 3.0, nil},
		{"kill -9 $$", 137, nil, "killed"},
		{"kill -TERM $$", 143, nil, "terminated"},
	} {
		t.Run(tc.script, func(t *testing.T) {
			r := runRecord(t, "/bin/sh", "-c", tc.script)
			if r.res.Status != tc.status {
				t.Errorf("status = %d, want %d", r.res.Status, tc.status)
			}
			m := readManifest(t, r.dir)
			if m["status"] != float64(tc.status) || m["exit_code"] != tc.exitCode || m["signal"] != tc.signal {
				t.Errorf("record.json status %v exit_code %v signal %v, want %v %v %v",
					m["status"], m["exit_code"], m["signal"], tc.status, tc.exitCode, tc.signal)
			}
			for _, k := range []string{"command", "start", "end", "boot_time", "host", "kernel_log", "oom_score_adj", "sampler"} {
				if _, ok := m[k]; !ok {
					t.Errorf("record.json has no %q", k)
				}
			}
			if m["kernel_log"] == nil && m["kernel_log_unavailable"] == "" {
				t.Errorf("kernel_log null without a reason")
			}
			if m["kernel_log"] != nil {
				if _, err := os.Stat(filepath.Join(r.dir, KernelLogFile)); err != nil {
					t.Error(err)
				}
			}
			start, err1 := time.Parse(time.RFC3339Nano, m["start"].(string))
			end, err2 := time.Parse(time.RFC3339Nano, m["end"].(string))
			if err1 != nil || err2 != nil || end.Before(start) {
				t.Errorf("start %v end %v", m["start"], m["end"])
			}
		})
	}
}

// TestSignalForwarded sends SIGINT to the recorder (this test process, where
// Run catches it) and checks that the command's process group got it, that
// the command's cleanup output was recorded and that the folder is complete.
func TestSignalForwarded(t *testing.T) {
	dir := t.TempDir()
	done := make(chan *Result, 1)
	go func() {
		res, err := Run(Options{Dir: dir, Interval: 20 * time.Millisecond, Command: []string{"/bin/sh", "-c", python + ` -c '
import sys, time
print("ready", flush=True)
try:
    time.sleep(30)
except KeyboardInterrupt:
    print("caught SIGINT", flush=True)
    sys.exit(5)
'`}})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	// Interrupt once python is ready and the sampler has described it; on
	// a failure, the recorder is still interrupted and waited for, so that
	// its goroutine does not outlive the test.
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, OutputLogFile))
		d, _ := os.ReadFile(filepath.Join(dir, DiagnosticsFile))
		if bytes.Contains(b, []byte("ready\n")) && bytes.Contains(d, []byte(`"comm":"python3"`)) {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
			<-done
			if len(d) > 4096 {
				d = d[:4096]
			}
			t.Fatalf("command never got ready within 60 s; output.log = %q, diagnostics.jsonl begins %q", b, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var res *Result
	select {
	case res = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60 s of SIGINT")
	}
	if res == nil {
		t.Fatal("no result")
	}
	// sh waits for python, which exits 5; sh, also interrupted, dies of
	// SIGINT (dash) or passes 5 on (bash): both show the forwarding.
	if res.Status != 5 && res.Status != 130 {
		t.Errorf("status = %d, want 5 or 130", res.Status)
	}
	if got := logLines(t, dir); strings.Join(got, "|") != "ready|caught SIGINT" {
		t.Errorf("output.log lines = %q", got)
	}
	m := readManifest(t, dir)
	if fs, _ := m["forwarded_signals"].([]any); len(fs) != 1 || fs[0] != "interrupt" {
		t.Errorf("forwarded_signals = %v", m["forwarded_signals"])
	}
	if m["end"] == "" {
		t.Error("record.json has no end")
	}
	if recs := readDiagnostics(t, dir); len(recs) < 2 {
		t.Errorf("diagnostics.jsonl has %d records, want sh's and python3's session_start at least", len(recs))
	}
}

// hasCapSysResource reports whether this process may lower oom_score_adj
// (CAP_SYS_RESOURCE, bit 24 of CapEff in /proc/self/status).
func hasCapSysResource(t *testing.T) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return caps&(1<<24) != 0
		}
	}
	t.Fatal("no CapEff in /proc/self/status")
	return false
}

// TestOOMScoreAdj checks, from inside the command, the recorder's
// oom_score_adj (-1000 when it may lower it, else unchanged and the reason
// recorded) and that the command's descendants keep the original value.
func TestOOMScoreAdj(t *testing.T) {
	orig, err := readOOMScoreAdj("self")
	if err != nil {
		t.Fatal(err)
	}
	privileged := hasCapSysResource(t)
	// $PPID of the shell is the recorder, this test process.
	r := runRecord(t, "/bin/sh", "-c", `cat /proc/$PPID/oom_score_adj; sh -c 'cat /proc/$$/oom_score_adj'`)
	got := logLines(t, r.dir)
	wantRecorder := orig
	if privileged {
		wantRecorder = -1000
	}
	want := []string{strconv.Itoa(wantRecorder), strconv.Itoa(orig)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("recorder, grandchild oom_score_adj = %q, want %q (CAP_SYS_RESOURCE: %v)", got, want, privileged)
	}
	a := r.res.Manifest.OOMScoreAdj
	if a.Original != orig || a.Recorder != wantRecorder || a.Command == nil || *a.Command != orig ||
		(a.Unprotected == "") != privileged {
		t.Errorf("manifest oom_score_adj = %+v (CAP_SYS_RESOURCE: %v)", a, privileged)
	}
	if after, _ := readOOMScoreAdj("self"); after != orig {
		t.Errorf("recorder's oom_score_adj after Run = %d, want %d restored", after, orig)
	}
}

func TestStartError(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(Options{Dir: dir, Command: []string{"/nonexistent/oomlens-no-such-program"}})
	var se *StartError
	if !errors.As(err, &se) || se.Status != 127 || res == nil || res.Status != 127 {
		t.Fatalf("Run = %+v, %v; want a StartError with status 127", res, err)
	}
	if m := readManifest(t, dir); m["error"] == nil || m["status"] != 127.0 {
		t.Errorf("record.json error %v status %v", m["error"], m["status"])
	}
}

func TestPrepareDir(t *testing.T) {
	base := t.TempDir()
	fresh := filepath.Join(base, "a", "b")
	if err := PrepareDir(fresh, false); err != nil {
		t.Fatal(err)
	}
	if err := PrepareDir(fresh, false); err != nil {
		t.Errorf("empty existing folder: %v", err)
	}
	os.WriteFile(filepath.Join(fresh, "x"), nil, 0o644)
	if err := PrepareDir(fresh, false); !errors.Is(err, ErrDirNotEmpty) {
		t.Errorf("non-empty folder: %v, want ErrDirNotEmpty", err)
	}
	if err := PrepareDir(fresh, true); err != nil {
		t.Errorf("non-empty folder with force: %v", err)
	}
}

// TestStatmMatchesStatus checks that statm's resident - shared is the RssAnon
// of /proc/<pid>/status, on a process whose memory does not move.
func TestStatmMatchesStatus(t *testing.T) {
	p, err := os.StartProcess("/bin/sleep", []string{"sleep", "5"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { p.Kill(); p.Wait() }()
	time.Sleep(100 * time.Millisecond)
	m, err := readStatm(p.Pid, make([]byte, 512))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(procPath(p.Pid, "status"))
	if err != nil {
		t.Fatal(err)
	}
	kB := func(key string) uint64 {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, key+":"); ok {
				n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				return n << 10
			}
		}
		t.Fatalf("no %s in status", key)
		return 0
	}
	if m.RSSBytes != kB("VmRSS") || m.RSSAnonBytes != kB("RssAnon") {
		t.Errorf("statm rss %d anon %d, status VmRSS %d RssAnon %d", m.RSSBytes, m.RSSAnonBytes, kB("VmRSS"), kB("RssAnon"))
	}
}

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want procStat
		ok   bool
	}{
		{"1234 (python3) S 1200 1234 1200 0 -1 4194304 100 0 0 0 5 2 0 0 20 0 1 0 98765 1000 200", procStat{"python3", 1200, 98765}, true},
		{"7 (a) b (c)) R 6 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 0", procStat{"a) b (c)", 6, 42}, true},
		{"7 (x) R 6", procStat{}, false},
		{"garbage", procStat{}, false},
		{"", procStat{}, false},
	} {
		got, err := parseStat([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestXdistWorker(t *testing.T) {
	cmd := []string{"/bin/sleep", "5"}
	p, err := os.StartProcess(cmd[0], cmd, &os.ProcAttr{Env: []string{"PATH=/bin", "PYTEST_XDIST_WORKER=gw3"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { p.Kill(); p.Wait() }()
	// The environment is readable once execve(2) has set up the new
	// stack, a moment after StartProcess returns.
	got := ""
	for deadline := time.Now().Add(2 * time.Second); got == "" && time.Now().Before(deadline); {
		got = xdistWorker(p.Pid, "sleep 5")
		time.Sleep(5 * time.Millisecond)
	}
	if got != "gw3" {
		t.Errorf("worker from environ = %q, want gw3", got)
	}
	if got := xdistWorker(os.Getpid(), "x"); got != "" && got != os.Getenv("PYTEST_XDIST_WORKER") {
		t.Errorf("worker of this process = %q", got)
	}
	for s, want := range map[string]bool{"gw0": true, "gw12": true, "gw": false, "gwx": false, "master": false} {
		if isWorkerID(s) != want {
			t.Errorf("isWorkerID(%q) = %v", s, !want)
		}
	}
}

// TestXdistWorkersNamed runs a real pytest-xdist session whose tests start a
// subprocess: the subprocesses show PYTEST_XDIST_WORKER in their environ, and
// the worker processes' own samples then carry the id.
func TestXdistWorkersNamed(t *testing.T) {
	if err := exec.Command(python, "-c", "import xdist").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pytest-xdist required under CI=true: %v", err)
		}
		t.Skipf("pytest-xdist not importable by %s: %v", python, err)
	}
	tests := filepath.Join(t.TempDir(), "test_spawn.py")
	if err := os.WriteFile(tests, []byte(`import subprocess
def test_a(): subprocess.run(["/bin/sleep", "0.3"])
def test_b(): subprocess.run(["/bin/sleep", "0.3"])
def test_c(): subprocess.run(["/bin/sleep", "0.3"])
def test_d(): subprocess.run(["/bin/sleep", "0.3"])
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runRecord(t, python, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "-v", tests)
	if r.res.Status != 0 {
		t.Fatalf("pytest status %d; stdout %s", r.res.Status, r.stdout.String())
	}
	starts := map[int]diagRecord{}
	sampleWorker := map[int]string{}
	for _, rec := range readDiagnostics(t, r.dir) {
		if rec.Event == "session_start" {
			starts[rec.PID] = rec
		} else if rec.Worker != "" {
			sampleWorker[rec.PID] = rec.Worker
		}
	}
	named := map[string]bool{}
	for _, s := range starts {
		if s.Comm != "sleep" {
			continue
		}
		if !isWorkerID(s.Worker) {
			t.Errorf("sleep pid %d: worker %q, want gwN from its environ", s.PID, s.Worker)
		}
		if got := sampleWorker[s.PPID]; got != s.Worker {
			t.Errorf("worker process %d (parent of sleep %d, %s): samples say worker %q", s.PPID, s.PID, s.Worker, got)
		}
		named[s.Worker] = true
	}
	// xdist decides which worker runs what; under load one may run all.
	if len(named) == 0 {
		t.Errorf("no worker named")
	}
	lines := logLines(t, r.dir)
	var passed int
	for _, l := range lines {
		if strings.Contains(l, "PASSED") && strings.HasPrefix(l, "[gw") {
			passed++
		}
	}
	if passed != 4 {
		t.Errorf("output.log has %d `[gwN] ... PASSED` lines, want 4", passed)
	}
}

// TestKernelLogCaptured writes a line into the kernel log from the command
// and checks that kernel.log holds it, in dmesg format, and only what came
// after the start.
func TestKernelLogCaptured(t *testing.T) {
	if f, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("kernel log required under CI=true: %v", err)
		}
		t.Skipf("cannot write /dev/kmsg: %v", err)
	} else {
		f.Close()
	}
	tok := strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := os.WriteFile("/dev/kmsg", []byte("oomlens-record-test-before-"+tok+"\n"), 0); err != nil {
		t.Fatal(err)
	}
	r := runRecord(t, "/bin/sh", "-c", `echo "oomlens-record-test-during-`+tok+`" > /dev/kmsg`)
	m := r.res.Manifest
	if m.KernelLog == nil || *m.KernelLog != KernelLogFile || m.KernelLogUnavailable != "" {
		t.Fatalf("kernel_log %v, unavailable %q", m.KernelLog, m.KernelLogUnavailable)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, KernelLogFile))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^\[ *\d+\.\d{6}\] oomlens-record-test-during-` + tok + `$`)
	if !line.Match(b) {
		t.Errorf("kernel.log lacks the line written during the run:\n%s", b)
	}
	if bytes.Contains(b, []byte("oomlens-record-test-before-"+tok)) {
		t.Errorf("kernel.log holds the line written before the start:\n%s", b)
	}
}
