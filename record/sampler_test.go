package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReadingTimes checks that every reading carries the time it was taken:
// with a clock that advances 1 ms at each look, the readings of one tick get
// distinct, increasing times after the tick's start, and a session_start's
// monotonic clock is read with it.
func TestReadingTimes(t *testing.T) {
	var out bytes.Buffer
	s := newSampler(startTree(t, 3), &out, 1000)
	clock := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var looks []time.Time
	s.now = func() time.Time {
		clock = clock.Add(time.Millisecond)
		looks = append(looks, clock)
		return clock
	}
	s.tick() // first sight
	s.tick() // session_start records
	s.tick() // samples
	s.close()
	var times []float64
	dec := json.NewDecoder(&out)
	for dec.More() {
		var r struct {
			Event string  `json:"event"`
			Time  float64 `json:"time"`
		}
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		times = append(times, r.Time)
	}
	if len(times) != 8 {
		t.Fatalf("%d records, want 4 session_start and 4 samples", len(times))
	}
	// Each tick looks at the clock once at its start and once per reading.
	tickStart := unixS(looks[10])
	for i, ts := range times[4:] {
		if want := unixS(looks[11+i]); ts != want {
			t.Errorf("sample %d at %.6f, want %.6f (the look after its reading)", i, ts, want)
		}
		if ts <= tickStart {
			t.Errorf("sample %d at %.6f, not after the tick's start %.6f", i, ts, tickStart)
		}
	}
}

// signalWriter reports each write on a channel.
type signalWriter chan struct{}

func (w signalWriter) Write(p []byte) (int, error) {
	select {
	case w <- struct{}{}:
	default:
	}
	return len(p), nil
}

// TestLineTick checks that a kick makes the sampler read at once, between
// periodic ticks an hour apart, and counts it.
func TestLineTick(t *testing.T) {
	wrote := make(signalWriter, 1)
	// The first tick only sees the tree (no record, nothing written); the
	// second writes the session_start records.
	s := newSampler(startTree(t, 1), wrote, 0)
	kick := make(chan struct{}, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go s.run(time.Hour, kick, stop, &wg)
	time.Sleep(50 * time.Millisecond)
	kick <- struct{}{}
	select {
	case <-wrote:
	case <-time.After(5 * time.Second):
		t.Error("no reading within 5 s of the kick")
	}
	close(stop)
	wg.Wait()
	s.close()
	if st := s.Stats(); st.Ticks != 2 || st.LineTicks != 1 {
		t.Errorf("ticks %d, line ticks %d; want 2 and 1 (one periodic at the start, one asked for)", st.Ticks, st.LineTicks)
	}
}

func TestCommandEnv(t *testing.T) {
	env, added := commandEnv([]string{"PATH=/bin", "HOME=/root"})
	if strings.Join(env, " ") != "PATH=/bin HOME=/root PYTHONUNBUFFERED=1" || added["PYTHONUNBUFFERED"] != "1" || len(added) != 1 {
		t.Errorf("env %q, added %v", env, added)
	}
	for _, given := range []string{"PYTHONUNBUFFERED=0", "PYTHONUNBUFFERED="} {
		env, added := commandEnv([]string{"PATH=/bin", given})
		if strings.Join(env, " ") != "PATH=/bin "+given || added != nil {
			t.Errorf("with %s: env %q, added %v", given, env, added)
		}
	}
}

// TestPythonUnbuffered checks that the command sees PYTHONUNBUFFERED=1 and
// record.json says it was added, and that a value the caller set is kept.
func TestPythonUnbuffered(t *testing.T) {
	script := `import os, sys, time
print("value=" + repr(os.environ.get("PYTHONUNBUFFERED")))
print("write_through=" + str(sys.stdout.write_through))
time.sleep(0.3)
print("late")
`
	if v, ok := os.LookupEnv("PYTHONUNBUFFERED"); ok {
		t.Setenv("PYTHONUNBUFFERED", v) // restored after the test
		os.Unsetenv("PYTHONUNBUFFERED")
	}
	r := runRecord(t, python, "-c", script)
	lines := logLines(t, r.dir)
	if strings.Join(lines, "|") != "value='1'|write_through=True|late" {
		t.Errorf("output.log lines %q", lines)
	}
	// Unbuffered, the first lines are stamped before the sleep, not with
	// "late" when the buffer is flushed at exit.
	b, _ := os.ReadFile(filepath.Join(r.dir, OutputLogFile))
	ls := strings.Split(strings.TrimSpace(string(b)), "\n")
	t0, _ := time.Parse(StampLayout, stampRe.FindStringSubmatch(ls[0])[1])
	t2, _ := time.Parse(StampLayout, stampRe.FindStringSubmatch(ls[2])[1])
	if d := t2.Sub(t0); d < 250*time.Millisecond {
		t.Errorf("first line stamped %v before the last, want >= 250ms: buffered output", d)
	}
	m := readManifest(t, r.dir)
	if added, _ := m["env_added"].(map[string]any); added["PYTHONUNBUFFERED"] != "1" {
		t.Errorf("record.json env_added = %v", m["env_added"])
	}

	t.Setenv("PYTHONUNBUFFERED", "")
	r = runRecord(t, python, "-c", `import os; print(repr(os.environ.get("PYTHONUNBUFFERED")))`)
	if lines := logLines(t, r.dir); strings.Join(lines, "|") != "''" {
		t.Errorf("with the caller's empty value: output.log lines %q", lines)
	}
	if _, ok := readManifest(t, r.dir)["env_added"]; ok {
		t.Errorf("record.json has env_added though the caller set PYTHONUNBUFFERED")
	}
}

// TestReadingAtEachTestBoundary records a real pytest -v session whose
// tests take 0.2 s each, sampling once a second: the end of each result
// line asks for a reading, so the pytest process has a sample just after
// every line's stamp, which the periodic ticks alone would give only by
// chance.
func TestReadingAtEachTestBoundary(t *testing.T) {
	dir := t.TempDir()
	tests := filepath.Join(dir, "test_pace.py")
	if err := os.WriteFile(tests, []byte("import time\n"+
		"def test_a(): time.sleep(0.5)\ndef test_b(): time.sleep(0.5)\n"+
		"def test_c(): time.sleep(0.5)\ndef test_d(): time.sleep(0.5)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "rec")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := Run(Options{Dir: out, Interval: time.Second,
		Command: []string{python, "-m", "pytest", "-p", "no:cacheprovider", "-v", tests}})
	if err != nil || res.Status != 0 {
		t.Fatalf("status %v, err %v", res, err)
	}
	if st := res.Manifest.Sampler; st.LineTicks < 4 {
		t.Errorf("%d line ticks, want >= 4 (one per result line)", st.LineTicks)
	}
	var pyPID int
	var times []float64
	for _, rec := range readDiagnostics(t, out) {
		if rec.Event == "session_start" && strings.HasPrefix(rec.Comm, "python") {
			pyPID = rec.PID
		}
		if rec.PID == pyPID && pyPID != 0 {
			times = append(times, rec.Time)
		}
	}
	// Each result line is followed by a reading before the next result line
	// (or the end): the kick, since the periodic ticks are a second apart
	// and the tests take half that. No fixed latency is asked for: a loaded
	// machine may delay the kick, not skip it.
	var stamps []float64
	var texts []string
	for _, line := range logLinesStamped(t, out) {
		if strings.Contains(line.text, "::") && strings.Contains(line.text, "PASSED") {
			stamps = append(stamps, float64(line.at.UnixMicro())/1e6)
			texts = append(texts, line.text)
		}
	}
	if len(stamps) != 4 {
		t.Fatalf("%d result lines, want 4", len(stamps))
	}
	for i, at := range stamps {
		next := math.Inf(1)
		if i+1 < len(stamps) {
			next = stamps[i+1]
		}
		found := false
		for _, ts := range times {
			if ts >= at && ts < next {
				found = true
			}
		}
		if !found {
			t.Errorf("no reading of pytest after %q (stamp %.6f) before the next result line", texts[i], at)
		}
	}
}

type stampedLine struct {
	at   time.Time
	text string
}

func logLinesStamped(t *testing.T, dir string) []stampedLine {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, OutputLogFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []stampedLine
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		m := stampRe.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("no stamp: %q", line)
		}
		at, err := time.Parse(StampLayout, m[1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, stampedLine{at, line[len(m[0]):]})
	}
	return out
}

// TestPriority checks that the command keeps the caller's nice value while
// the recorder raises its own (or says why it could not), and that the
// recorder's threads have their value back when Run returns.
func TestPriority(t *testing.T) {
	before, err := niceOf(0)
	if err != nil {
		t.Fatal(err)
	}
	r := runRecord(t, python, "-c", "import os; print(os.nice(0))")
	if got := logLines(t, r.dir); strings.Join(got, "|") != strconv.Itoa(before) {
		t.Errorf("the command's nice value is %q, want the caller's %d", got, before)
	}
	p := r.res.Manifest.Priority
	if p.Original != before || (p.Recorder != recorderNice && p.Unraised == "") || (p.Recorder != before && p.Unraised != "") {
		t.Errorf("priority %+v (caller's nice %d)", p, before)
	}
	names, err := listDir("/proc/self/task", make([]byte, 8192))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		tid, _ := strconv.Atoi(name)
		if n, err := niceOf(tid); err == nil && n != before {
			t.Errorf("thread %d has nice %d after Run, want %d", tid, n, before)
		}
	}
}

// TestLineBudget checks the rationing of line readings: LineTickBurst at
// once, then one per LineTickSpacing, and the bucket refills while idle.
func TestLineBudget(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	b := newLineBudget(t0)
	for i := range LineTickBurst {
		if d := b.take(t0); d != 0 {
			t.Fatalf("reading %d of a burst waits %v", i+1, d)
		}
	}
	if d := b.take(t0); d != LineTickSpacing {
		t.Errorf("reading past the burst waits %v, want %v", d, LineTickSpacing)
	}
	// Asked for again at once: it waits behind the one before.
	if d := b.take(t0); d != 2*LineTickSpacing {
		t.Errorf("next reading waits %v, want %v", d, 2*LineTickSpacing)
	}
	// Half a spacing after the last wait ended: half a token is back.
	if d := b.take(t0.Add(2*LineTickSpacing + LineTickSpacing/2)); d != LineTickSpacing/2 {
		t.Errorf("waits %v, want %v", d, LineTickSpacing/2)
	}
	// Idle for long: the bucket is full again, not fuller.
	later := t0.Add(time.Hour)
	for i := range LineTickBurst {
		if d := b.take(later); d != 0 {
			t.Fatalf("after an idle hour, reading %d waits %v", i+1, d)
		}
	}
	if d := b.take(later); d == 0 {
		t.Errorf("the bucket held more than %d tokens", LineTickBurst)
	}
}

// TestOutputGrace checks that a descendant holding the output pipes open
// after the command exited stops the reading after OutputGrace when the
// recorder cannot end it (no cgroup, and it left the process group): Run
// returns, says the output was cut, and keeps what came before. With a
// cgroup the descendant is found there and ended.
func TestOutputGrace(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	res, err := Run(Options{Dir: dir, Interval: 20 * time.Millisecond, OutputGrace: 300 * time.Millisecond,
		Command: []string{"/bin/sh", "-c", "setsid sleep 5 & echo done"}})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("Run took %v: it waited for the descendant, not the grace", took)
	}
	m := res.Manifest
	if m.Cgroup != "" {
		if m.OutputTruncated || m.LeftoverProcesses != 1 || m.LeftoverSignal != "terminated" {
			t.Errorf("with cgroup %s: output_truncated %v, leftover_processes %d (%q), want the setsid sleep terminated",
				m.Cgroup, m.OutputTruncated, m.LeftoverProcesses, m.LeftoverSignal)
		}
	} else if !m.OutputTruncated {
		t.Errorf("output_truncated not set (no cgroup: %s)", m.CgroupUnavailable)
	}
	if got := logLines(t, dir); strings.Join(got, "|") != "done" {
		t.Errorf("output.log lines %q", got)
	}
}

// TestRawPipe checks the output pipe: data, end of file once every write end
// is closed, and Stop waking a Read that waits.
func TestRawPipe(t *testing.T) {
	r, w, err := newRawPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		w.Write([]byte("hello\n"))
		time.Sleep(20 * time.Millisecond)
		w.Close()
	}()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello\n" {
		t.Errorf("read %q, %v", got, err)
	}

	r2, w2, err := newRawPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	done := make(chan error, 1)
	go func() {
		_, err := r2.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	r2.Stop()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Stop: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not wake the Read")
	}
	r2.Close()
}
