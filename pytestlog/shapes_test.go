package pytestlog

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func parseString(t *testing.T, s string, opts Options) *Log {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "inline.log"
	}
	l, err := Parse(strings.NewReader(s), opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func one(t *testing.T, l *Log) Session {
	t.Helper()
	if len(l.Sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(l.Sessions))
	}
	return l.Sessions[0]
}

// TestEndMarkers checks each end-of-run shape of PYTEST-CI.md §1.7 and §1.9
// alone on a line after a dangling -v node id.
func TestEndMarkers(t *testing.T) {
	cases := []struct {
		line, kind string
		exit       int // -1: none
		pid        int
	}{
		{"/home/runner/work/_temp/x.sh: line 1:  1950 Killed                  pytest -x", EndSIGKILL, -1, 1950},
		{"/bin/bash: line 1:   557 Killed                  poetry run pytest", EndSIGKILL, -1, 557},
		{"/x.sh: line 3:  77 Segmentation fault      (core dumped) pytest", EndCrash, -1, 77},
		{"/x.sh: line 3:  78 Terminated              pytest", EndCancelled, -1, 78},
		{"zsh: killed     pytest tests/", EndSIGKILL, -1, 0},
		{"Killed", EndSIGKILL, -1, 0},
		{"make: *** [Makefile:40: pytest] Killed", EndSIGKILL, -1, 0},
		{"make[1]: *** [Makefile:12: test] Error 137", EndSIGKILL, 137, 0},
		{"make: *** [Makefile:12: test] Error 143", EndCancelled, 143, 0},
		{"py311: exit -9 (12.34 seconds) /w> pytest tests pid=4242", EndSIGKILL, -9, 0},
		{"ERROR: InvocationError for command /w/.tox/py/bin/pytest (exited with code -9)", EndSIGKILL, -9, 0},
		{"nox > Command pytest failed with exit code -9", EndSIGKILL, -9, 0},
		{"  Warning  OOMKilled  container was OOMKilled", EndSIGKILL, -1, 0},
		{"##[error]Process completed with exit code 137.", EndSIGKILL, 137, 0},
		{"Error: Process completed with exit code 143.", EndCancelled, 143, 0},
		{"##[error]Bash exited with code '137'.", EndSIGKILL, 137, 0},
		{"##[error]Script failed with exit code: 137", EndSIGKILL, 137, 0},
		{"ERROR: Job failed: exit code 137", EndSIGKILL, 137, 0},
		{"ERROR: Job failed: command terminated with exit code 137", EndSIGKILL, 137, 0},
		{"ERROR: Job failed: execution took longer than 1h0m0s seconds", EndTimeout, -1, 0},
		{"Exited with code exit status 137", EndSIGKILL, 137, 0},
		{`Received "killed" signal`, EndSIGKILL, -1, 0},
		{"Too long with no output (exceeded 10m0s): context deadline exceeded", EndTimeout, -1, 0},
		{"script returned exit code 137", EndSIGKILL, 137, 0},
		{`The command "pytest" exited with 137.`, EndSIGKILL, 137, 0},
		{"No output has been received in the last 10m0s, this potentially indicates a stalled build", EndTimeout, -1, 0},
		{"The runner has received a shutdown signal. This can happen when the runner service is stopped", EndCancelled, -1, 0},
		{"ERROR: Job failed (system failure): Error in container build: exit code: 137, reason: 'OOMKilled'", EndSIGKILL, 137, 0},
		{"The hosted runner: GitHub Actions 12 lost communication with the server. Anything in your workflow", EndSIGKILL, -1, 0},
		{"##[error]The operation was canceled.", EndCancelled, -1, 0},
		{"##[error]The job running on runner GitHub Actions 3 has exceeded the maximum execution time of 360 minutes.", EndTimeout, -1, 0},
		{"+++++++++++++++++++++++++++++++++++ Timeout ++++++++++++++++++++++++++++++++++++", EndTimeout, -1, 0},
		{"Fatal Python error: Segmentation fault", EndCrash, -1, 0},
		{"Segmentation fault (core dumped)", EndCrash, -1, 0},
		{"MemoryError", EndMemoryError, -1, 0},
		{"INTERNALERROR> MemoryError", EndMemoryError, -1, 0},
		{"Process completed with exit code 1.", EndUnknown, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			log := "tests/test_a.py::test_a PASSED                                           [ 50%]\ntests/test_a.py::test_b \n" + c.line + "\n"
			s := one(t, parseString(t, log, Options{}))
			if s.End.Kind != c.kind || s.End.KilledPID != c.pid {
				t.Errorf("kind %q pid %d, want %q %d", s.End.Kind, s.End.KilledPID, c.kind, c.pid)
			}
			if c.exit == -1 && s.End.HasExitCode || c.exit != -1 && (!s.End.HasExitCode || s.End.ExitCode != c.exit) {
				t.Errorf("exit %d/%v, want %d", s.End.ExitCode, s.End.HasExitCode, c.exit)
			}
			if len(s.End.Evidence) != 1 || s.End.Evidence[0].Line != 3 {
				t.Errorf("evidence %+v", s.End.Evidence)
			}
			if len(s.InFlight) != 1 || s.InFlight[0].Test != "tests/test_a.py::test_b" {
				t.Errorf("in flight %+v", s.InFlight)
			}
		})
	}
}

// TestGluedMarkers: markers written by another process land on pytest's
// unfinished line and must be cut off the node id or the letters.
func TestGluedMarkers(t *testing.T) {
	cases := []struct{ log, inflight, tests string }{
		{"tests/t.py::test_x[a b] Killed\n", "tests/t.py::test_x[a b]", ""},
		{"tests/t.py::test_x[p] zsh: killed     pytest\n", "tests/t.py::test_x[p]", ""},
		{"tests/t.py::test_x +++++++++++++ Timeout +++++++++++++\n", "tests/t.py::test_x", ""},
		{"tests/t.py::test_x Fatal Python error: Aborted\n", "tests/t.py::test_x", ""},
		{"collected 3 items\n\ntests/t.py ..Killed\n", "tests/t.py::#3", "tests/t.py::#1 tests/t.py::#2"},
		{"collected 3 items\n\ntests/t.py .F/bin/sh: line 1: 12 Killed pytest\n", "tests/t.py::#3", "tests/t.py::#1 tests/t.py::#2"},
		{"collected 3 items\n\ntests/t.py ..Fatal Python error: Segmentation fault\n", "tests/t.py::#3", "tests/t.py::#1 tests/t.py::#2"},
	}
	// killed after a -v result, before the next echo: nothing in flight,
	// and the result stands.
	for _, log := range []string{
		"tests/t.py::test_a PASSED                                      [ 50%]/x.sh: line 1:   123 Killed                  pytest -v\n",
		"tests/t.py::test_a PASSED                                      [ 50%]Killed\n",
	} {
		s := one(t, parseString(t, log, Options{}))
		checkDigest(t, s, digest{Mode: ModeVerbose, Tests: []string{"tests/t.py::test_a passed"}, End: s.End.Kind + " exit=- pid=" + map[bool]string{true: "123", false: "0"}[strings.Contains(log, "123")] + " evidence=1"})
		if s.End.Kind != EndSIGKILL || strings.HasPrefix(s.End.Evidence[0].Text, "50%") {
			t.Errorf("%q: end %+v", log, s.End)
		}
	}
	for _, c := range cases {
		s := one(t, parseString(t, c.log, Options{}))
		if len(s.InFlight) != 1 || s.InFlight[0].Test != c.inflight {
			t.Errorf("%q: in flight %+v, want %q", c.log, s.InFlight, c.inflight)
		}
		var ids []string
		for _, tt := range s.Tests {
			ids = append(ids, tt.NodeID+tt.Position)
		}
		if strings.Join(ids, " ") != c.tests {
			t.Errorf("%q: tests %q, want %q", c.log, ids, c.tests)
		}
		if s.End.Kind == EndUnknown {
			t.Errorf("%q: no end found", c.log)
		}
	}
}

func TestHeaderShapes(t *testing.T) {
	// pytest >= 7.3 prints rootdir, configfile and testpaths on their own lines.
	log := `============================= test session starts ==============================
platform linux -- Python 3.12.1[pypy-7.3.15-final], pytest-8.3.4, pluggy-1.5.0
rootdir: /w
configfile: pyproject.toml
testpaths: tests
plugins: xdist-3.6.1, memray-1.7.0, timeout-2.3.1
asyncio: mode=strict
created: 8/8 workers
8 workers [1234 items]

`
	h := one(t, parseString(t, log, Options{})).Header
	want := Header{Line: 1, Platform: "linux", PythonVersion: "3.12.1", PytestVersion: "8.3.4", PluggyVersion: "1.5.0", Rootdir: "/w",
		Configfile: "pyproject.toml", Testpaths: "tests", Plugins: []string{"xdist-3.6.1", "memray-1.7.0", "timeout-2.3.1"},
		Extra: []string{"asyncio: mode=strict"}, Workers: 8, Items: 1234}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("header\n got %+v\nwant %+v", h, want)
	}
	h = one(t, parseString(t, "platform linux -- Python 3.8.0, pytest-5.4.3, py-1.9.0, pluggy-0.13.1\nrootdir: /w, inifile: tox.ini\ncollecting ... collected 227 items / 1 error / 2 deselected / 1 skipped / 224 selected\n", Options{})).Header
	if h.Configfile != "tox.ini" || h.Collected != 227 || h.Errors != 1 || h.Deselected != 2 || h.Skipped != 1 || h.Selected != 224 {
		t.Errorf("header %+v", h)
	}
}

func TestVerboseShapes(t *testing.T) {
	log := `collected 6 items

tests/t.py::test_a PASSED                                                [ 1/6]
tests/t.py::test_b <- tests/base.py PASSED                               [ 2/6]
tests/t.py::test_c 
-------------------------------- live log call ---------------------------------
INFO     root:t.py:9 tests/t.py::test_z PASSED
PASSED                                                                   [ 3/6]
tests/t.py::test_d SKIPPED (no GPU)                                      [ 4/6]
tests/t.py::test_e 
-------------------------------- live log call ---------------------------------
WARNING  root:t.py:20 allocating 8 GiB
`
	s := one(t, parseString(t, log, Options{}))
	want := digest{Mode: ModeVerbose,
		Tests:    []string{"tests/t.py::test_a passed", "tests/t.py::test_b passed", "tests/t.py::test_c passed", "tests/t.py::test_d skipped"},
		InFlight: []string{"tests/t.py::test_e |  | verbose-log | line 10"},
		End:      "unknown exit=- pid=0 evidence="}
	checkDigest(t, s, want)
	if d := s.Tests[2]; d.Done != 3 || d.Total != 6 || d.Percent != 50 || d.Line != 8 {
		t.Errorf("count style: %+v", d)
	}
	if s.Tests[3].Reason != "no GPU" {
		t.Errorf("reason %q", s.Tests[3].Reason)
	}
}

func TestProgressWrapping(t *testing.T) {
	// 80 columns: the letters reach the edge, pytest writes the progress
	// right after them and carries on with letters only.
	log := "============================= test session starts ==============================\n" +
		"collected 200 items\n\n" +
		"tests/test_many.py " + strings.Repeat(".", 53) + " [ 26%]\n" +
		strings.Repeat(".", 72) + " [ 62%]\n" +
		"..F.\n" +
		"Killed\n"
	s := one(t, parseString(t, log, Options{}))
	if n := len(s.Tests); n != 129 {
		t.Fatalf("%d tests", n)
	}
	if tt := s.Tests[127]; tt.Position != "tests/test_many.py::#128" || tt.Outcome != OutcomeFailed || tt.File != "tests/test_many.py" {
		t.Errorf("test 128: %+v", tt)
	}
	if len(s.InFlight) != 1 || s.InFlight[0].Test != "tests/test_many.py::#130" || s.End.Kind != EndSIGKILL {
		t.Errorf("in flight %+v, end %q", s.InFlight, s.End.Kind)
	}
	// closed by wrapping at the edge, then killed before the next letter.
	log = "============================= test session starts ==============================\n" +
		"collected 200 items\n\ntests/test_many.py " + strings.Repeat(".", 53) + " [ 26%]\nKilled\n"
	s = one(t, parseString(t, log, Options{}))
	if len(s.InFlight) != 1 || s.InFlight[0].Test != "tests/test_many.py::#54" {
		t.Errorf("after a wrap: in flight %+v", s.InFlight)
	}
	// closed at a file boundary (padded): the next file is unknown without
	// a collection list, and known with one.
	log = "collected 3 items\n\ntests/a.py ..                                                           [ 66%]\nKilled\n"
	s = one(t, parseString(t, log, Options{}))
	if len(s.InFlight) != 0 {
		t.Errorf("file boundary: in flight %+v", s.InFlight)
	}
	s = one(t, parseString(t, log, Options{Collect: []string{"tests/a.py::t1", "tests/a.py::t2", "tests/b.py::t3"}}))
	if len(s.InFlight) != 1 || s.InFlight[0].Test != "tests/b.py::t3" {
		t.Errorf("file boundary + collect: in flight %+v", s.InFlight)
	}
}

func TestCIPrefixes(t *testing.T) {
	cases := map[string]string{
		"azure": "2024-01-05T10:11:12.1234567Z ##[section]Starting: pytest\n" +
			"2024-01-05T10:11:13.1234567Z tests/t.py::test_a PASSED [ 50%]\n" +
			"2024-01-05T10:11:14.1234567Z tests/t.py::test_b \n" +
			"2024-01-05T10:11:15.1234567Z ##[error]Bash exited with code '137'.\n",
		"jenkins": "[2024-01-05T10:11:13.123Z] tests/t.py::test_a PASSED [ 50%]\n" +
			"[2024-01-05T10:11:14.123Z] tests/t.py::test_b \n" +
			"[2024-01-05T10:11:15.123Z] script returned exit code 137\n",
		"gitlab": "\x1b[0Ksection_start:1704449472:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting \"step_script\" stage\x1b[0;m\n" +
			"\x1b[32;1m$ pytest -v\x1b[0;m\n" +
			"tests/t.py::test_a \x1b[32mPASSED\x1b[0m\x1b[32m [ 50%]\x1b[0m\n" +
			"tests/t.py::test_b \n" +
			"\x1b[0Ksection_end:1704449480:step_script\r\x1b[0K\n" +
			"\x1b[31;1mERROR: Job failed: exit code 137\n\x1b[0;m\n",
		"bom+crlf": "\ufefftests/t.py::test_a PASSED [ 50%]\r\ntests/t.py::test_b \r\nKilled\r\n",
	}
	for name, log := range cases {
		s := one(t, parseString(t, log, Options{}))
		want := digest{Mode: ModeVerbose, Tests: []string{"tests/t.py::test_a passed"}, InFlight: []string{"tests/t.py::test_b |  | verbose-log | line 3"}}
		g := digestOf(s)
		switch name {
		case "gitlab":
			want.InFlight = []string{"tests/t.py::test_b |  | verbose-log | line 4"}
		case "jenkins", "bom+crlf":
			want.InFlight = []string{"tests/t.py::test_b |  | verbose-log | line 2"}
		}
		if !reflect.DeepEqual(g.Tests, want.Tests) || !reflect.DeepEqual(g.InFlight, want.InFlight) || s.End.Kind != EndSIGKILL {
			t.Errorf("%s: %+v", name, g)
		}
	}
	s := one(t, parseString(t, cases["jenkins"], Options{}))
	if !s.Tests[0].End.Equal(mustTime("2024-01-05T10:11:13.123Z")) || !s.InFlight[0].Start.Equal(mustTime("2024-01-05T10:11:13.123Z")) ||
		!s.End.Time.Equal(mustTime("2024-01-05T10:11:15.123Z")) {
		t.Errorf("jenkins times %v %v %v", s.Tests[0].End, s.InFlight[0].Start, s.End.Time)
	}
}

func TestSessionsAndSummary(t *testing.T) {
	log := `py310: commands[0]> pytest -rA
============================= test session starts ==============================
collected 3 items

tests/t.py .F.                                                           [100%]

=================================== FAILURES ===================================
___________________________________ test_b ____________________________________
E       assert False
tests/t.py:5: AssertionError
=========================== short test summary info ============================
PASSED tests/t.py::test_a
FAILED tests/t.py::test_b - assert False
PASSED tests/t.py::test_c
========================= 1 failed, 2 passed in 0.12s ==========================
py310: exit 1 (0.50 seconds) /w> pytest -rA pid=100
py311: commands[0]> pytest -q
.F/bin/sh: line 1:  4711 Killed                  pytest -q
`
	l := parseString(t, log, Options{})
	if len(l.Sessions) != 2 {
		t.Fatalf("%d sessions", len(l.Sessions))
	}
	checkDigest(t, l.Sessions[0], digest{Mode: ModeProgress,
		Tests: []string{"tests/t.py::test_a passed", "tests/t.py::test_b failed", "tests/t.py::test_c passed"},
		End:   "complete exit=1 pid=0 evidence=16", Complete: true})
	if s := l.Sessions[0]; s.Summary["failed"] != 1 || s.Summary["passed"] != 2 || s.DurationS != 0.12 || s.Tests[1].Reason != "assert False" {
		t.Errorf("summary %+v %v %q", s.Summary, s.DurationS, s.Tests[1].Reason)
	}
	// the second tox env prints only letters (-q, no header): a separate
	// session because the first completed.
	checkDigest(t, l.Sessions[1], digest{Mode: ModeProgress, Tests: []string{"#1 passed", "#2 failed"},
		InFlight: []string{"#3 |  | dots-position | line 18"}, End: "sigkill exit=- pid=4711 evidence=18"})
	// -q final line without separators.
	s := one(t, parseString(t, "..s\n2 passed, 1 skipped in 0.03s\n", Options{}))
	if !s.Complete || s.Summary["skipped"] != 1 || s.End.Kind != EndComplete {
		t.Errorf("quiet final line: %+v", digestOf(s))
	}
}

func TestXdistShapes(t *testing.T) {
	log := `8 workers [20 items]

tests/t.py::test_a 
tests/t.py::test_b 
[gw1] [  5%] PASSED tests/t.py::test_b 
[gw0] node down: Not properly terminated
[gw0] [ 10%] FAILED tests/t.py::test_a 

replacing crashed worker gw0
[gw8] Python 3.12.1 (main) [GCC 12]
worker gw8 crashed and worker restarting disabled
`
	s := one(t, parseString(t, log, Options{}))
	checkDigest(t, s, digest{Mode: ModeXdistVerbose,
		Tests:    []string{"tests/t.py::test_b passed @gw1", "tests/t.py::test_a failed @gw0"},
		InFlight: []string{"tests/t.py::test_a | gw0 | xdist-crash | line 6"},
		Workers: []string{"gw1 crashed=no replaced= down=", "gw0 crashed=tests/t.py::test_a replaced=gw8 down=Not properly terminated",
			"gw8 crashed=- replaced= down="},
		End: "unknown exit=- pid=0 evidence="})
	// repr() picks double quotes for a node id holding a single quote.
	s = one(t, parseString(t, `worker 'gw2' crashed while running "tests/t.py::test_q[it's]"`+"\n", Options{}))
	if s.Workers[0].CrashedWhile != "tests/t.py::test_q[it's]" {
		t.Errorf("crashed while %q", s.Workers[0].CrashedWhile)
	}
}

func TestEscapedIDsAgainstCollect(t *testing.T) {
	// -s output glued to the echo: the collection list says where the id ends,
	// in either the escaped or the raw spelling.
	log := "tests/t.py::test_u[caf\\xe9] hello world\nPASSED\ntests/t.py::test_v \n"
	s := one(t, parseString(t, log, Options{Collect: []string{"tests/t.py::test_u[café]", "tests/t.py::test_v"}}))
	if s.Tests[0].NodeID != `tests/t.py::test_u[caf\xe9]` {
		t.Errorf("node id %q", s.Tests[0].NodeID)
	}
	if !newCollectIndex([]string{`a.py::t[\u65e5]`}).has("a.py::t[日]") {
		t.Error("raw id does not match the escaped collect entry")
	}
}

func TestWarningCap(t *testing.T) {
	// every echo without a result warns; the count is bounded.
	log := strings.Repeat("tests/t.py::test_a \n", MaxWarnings+50)
	l := parseString(t, log, Options{})
	if len(l.Warnings) != MaxWarnings+1 || l.Warnings[MaxWarnings].Message != "49 more warnings not shown" {
		t.Errorf("%d warnings, last %+v", len(l.Warnings), l.Warnings[len(l.Warnings)-1])
	}
}

func TestLongLine(t *testing.T) {
	log := "tests/t.py::test_a PASSED [ 50%]\n" + strings.Repeat("x", MaxLineBytes+10) + "\ntests/t.py::test_b \n"
	l := parseString(t, log, Options{Name: "big.log"})
	s := one(t, l)
	// truncated, and (a line of 'x' being xfail letters) too long to be progress.
	if len(l.Warnings) != 2 || l.Warnings[0].Line != 2 || !strings.HasPrefix(l.Warnings[0].Message, "line longer than") {
		t.Errorf("warnings %+v", l.Warnings)
	}
	if l.Lines != 3 || len(s.InFlight) != 1 || s.InFlight[0].Line != 3 {
		t.Errorf("lines %d, in flight %+v", l.Lines, s.InFlight)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		r.n--
		return copy(p, "tests/t.py::test_a PASSED [ 50%]\n"), nil
	}
	return 0, errFailing
}

var errFailing = errors.New("disk on fire")

func TestReadError(t *testing.T) {
	l, err := Parse(&failingReader{n: 2}, Options{Name: "broken.log"})
	if err == nil || !strings.HasPrefix(err.Error(), "broken.log:3: ") {
		t.Fatalf("err %v", err)
	}
	if len(l.Sessions) != 1 || len(l.Sessions[0].Tests) != 2 {
		t.Errorf("partial result %+v", l.Sessions)
	}
}

// TestEndCertainty: a kind named in the words of whoever ended the run is
// certain; one read from an exit status or a signal's name is not. A CI
// cancel outranks the exit 137 that follows it (the runner's own kill).
func TestEndCertainty(t *testing.T) {
	for _, c := range []struct {
		tail      string
		kind      string
		certain   bool
		oomKilled bool
	}{
		{"##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.\n##[error]The operation was canceled.\n", EndCancelled, true, false},
		{"##[error]The operation was canceled.\n##[error]Process completed with exit code 137.\n", EndCancelled, true, false},
		{"##[error]Process completed with exit code 143.\n", EndCancelled, false, false},
		{"+++++++++++++++++++++++++++++++++++ Timeout ++++++++++++++++++++++++++++++++++++\n", EndTimeout, true, false},
		{"ERROR: Job failed: execution took longer than 1h0m0s seconds\n", EndTimeout, true, false},
		{"/x.sh: line 3:  78 Terminated              pytest\n", EndCancelled, false, false},
		{"##[error]Process completed with exit code 137.\n", EndSIGKILL, false, false},
		{"ERROR: Job failed (system failure): Error in container build: exit code: 137, reason: 'OOMKilled'\n", EndSIGKILL, false, true},
		{"  Reason:       OOMKilled\n", EndSIGKILL, false, true},
		{"  Warning  OOMKilled  container was OOMKilled\n", EndSIGKILL, false, false},
	} {
		log := "tests/test_a.py::test_a PASSED                                           [ 50%]\ntests/test_a.py::test_b \n" + c.tail
		s := one(t, parseString(t, log, Options{}))
		if s.End.Kind != c.kind || s.End.Certain != c.certain || (s.End.OOMKilled != "") != c.oomKilled {
			t.Errorf("%q: kind %q certain %v oomkilled %q, want %q %v %v", c.tail, s.End.Kind, s.End.Certain, s.End.OOMKilled, c.kind, c.certain, c.oomKilled)
		}
	}
}
