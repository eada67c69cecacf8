package pytestlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const stacksDir = "../testdata/pytest/stacks"

func parseStackFile(t *testing.T, name string, collect bool) Session {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stacksDir, name))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Name: name}
	if collect {
		f, err := os.Open(filepath.Join(stacksDir, "faulthandler.collect.txt"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		opts.Collect, err = ParseCollectList(f, "faulthandler.collect.txt")
		if err != nil {
			t.Fatal(err)
		}
	}
	return one(t, parseString(t, string(b), opts))
}

// TestStacksNameTheTest: real faulthandler dumps (and a pytest-timeout
// dump built from its source) name the test in flight where the log
// shows only dots, resolved to a node id with the collection list.
func TestStacksNameTheTest(t *testing.T) {
	const decode = "tests/io/test_stream.py::TestDecode::test_decode_stream"
	for _, c := range []struct {
		file    string
		collect bool
		test    string
		basis   string
		kind    string
	}{
		{"faulthandler-segv-quiet.log", true, decode, BasisDotsPosition, EndCrash},
		// Without the list: the stack alone, by the path it printed.
		{"faulthandler-segv-quiet.log", false, "/tmp/fh/tests/io/test_stream.py::test_decode_stream", BasisStack, EndCrash},
		// The file's progress line gives the file; the stack the function.
		{"faulthandler-abort-progress.log", false, "tests/io/test_stream.py::test_decode_stream", BasisStack, EndCrash},
		{"faulthandler-bus-verbose.log", false, decode, BasisVerboseLog, EndCrash},
		{"pytest-timeout-thread.log", false, "tests/net/test_fetch.py::test_fetch_retries", BasisStack, EndTimeout},
	} {
		s := parseStackFile(t, c.file, c.collect)
		if len(s.InFlight) != 1 || s.InFlight[0].Test != c.test || s.InFlight[0].Basis != c.basis {
			t.Errorf("%s (collect %v): in flight %+v, want %s (%s)", c.file, c.collect, s.InFlight, c.test, c.basis)
		}
		if s.End.Kind != c.kind || !s.End.Certain {
			t.Errorf("%s: end %+v", c.file, s.End)
		}
	}
}

// TestPytestDebugTraces: PYTEST_DEBUG=1's hook traces glued onto the node
// id echo and onto "PASSED [ 50%]" (a real capture) leave the ids clean.
func TestPytestDebugTraces(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(stacksDir, "pytest-debug-killed.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := one(t, parseString(t, string(b), Options{}))
	if len(s.Tests) != 1 || s.Tests[0].NodeID != "test_x.py::test_a" || s.Tests[0].Outcome != "passed" {
		t.Errorf("tests %+v", s.Tests)
	}
	if len(s.InFlight) != 1 || s.InFlight[0].Test != "test_x.py::test_b" {
		t.Errorf("in flight %+v", s.InFlight)
	}
	for _, tt := range s.Tests {
		if strings.Contains(tt.NodeID, "hook") || strings.Contains(tt.NodeID, " ") {
			t.Errorf("node id %q", tt.NodeID)
		}
	}
}

// TestXdistCrashBehindTimestamps: "worker 'gw0' crashed while running" is
// read behind each CI timestamper's prefix.
func TestXdistCrashBehindTimestamps(t *testing.T) {
	for _, pre := range []string{
		"[2024-10-27T21:28:18.123Z] ",       // Jenkins Timestamper
		"2024-10-27T21:28:18.1234567Z ",     // GitHub Actions, Azure
		"21:28:18  ",                        // Jenkins Timestamper, time only
		"2024-10-27T21:28:18.123456Z 01E ",  // GitLab FF_TIMESTAMPS
		"2024-10-27T21:28:18.123456Z 01O+ ", // GitLab, continued line
		"\x1b_bk;t=1730064498123\x07",       // Buildkite
	} {
		log := strings.Join([]string{
			"============================= test session starts ==============================",
			"2 workers [4 items]", "",
			"[gw1] [ 25%] PASSED tests/test_a.py::test_one ",
			"=================================== FAILURES ===================================",
			"_____________________________ tests/test_b.py _____________________________",
			"[gw0] linux -- Python 3.11.2 /usr/bin/python3",
			"worker 'gw0' crashed while running 'tests/test_b.py::test_big[2]'",
		}, "\n"+pre)
		s := one(t, parseString(t, pre+log+"\n", Options{}))
		if len(s.InFlight) != 1 || s.InFlight[0].Test != "tests/test_b.py::test_big[2]" || s.InFlight[0].Worker != "gw0" || s.InFlight[0].Basis != BasisXdistCrash {
			t.Errorf("%q: in flight %+v", pre, s.InFlight)
		}
	}
}

// TestStackOfEarlierTestIgnored: a dump in a test's captured output, or
// one followed by more results, does not name the test the run died in.
func TestStackOfEarlierTestIgnored(t *testing.T) {
	dump := "Current thread 0x00007f18a33df040 (most recent call first):\n" +
		"  File \"/w/tests/test_a.py\", line 3 in test_dumps\n\n"
	log := "tests/test_a.py ..\n" + dump + "tests/test_b.py ...\n"
	s := one(t, parseString(t, log, Options{}))
	for _, in := range s.InFlight {
		if strings.Contains(in.Test, "test_dumps") {
			t.Errorf("an earlier dump named the test in flight: %+v", s.InFlight)
		}
	}
	log = "tests/test_a.py::test_dumps FAILED                                      [ 50%]\n" +
		"=================================== FAILURES ===================================\n" +
		"__________________________________ test_dumps __________________________________\n" +
		"----------------------------- Captured stderr call -----------------------------\n" + dump
	s = one(t, parseString(t, log, Options{}))
	if len(s.InFlight) != 0 {
		t.Errorf("a captured dump named a test in flight: %+v", s.InFlight)
	}
}
