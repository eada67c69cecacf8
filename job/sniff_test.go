package job

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/internal/content"
)

// The sniffing tests: one head, the kinds job's table of formats names
// (each format's own Sniff, offered the heads of the shape it reads).

func TestSniffCorpus(t *testing.T) {
	kernel := []string{KindKernelLog}
	pytest := []string{KindPytestLog}
	want := map[string][]string{
		"pytest/05-dmesg-T-localized-oom-kill-pytest.log":                       kernel,
		"weathercop/analysis_output_excerpt_XARRAY_LEAK_FINDINGS.txt":           {KindUnrecognized},
		"pytest/07-circleci-xdist-quiet-killed-exit-status.log":                 pytest,
		"pytest/08-make-killed-parametrized-id.log":                             pytest,
		"pytest/18-gha-runner-shutdown-signal-137.log":                          pytest,
		"kernel/13-dmesg-T-chinese-locale-memcg-v1-k8s-repeated.log":            kernel,
		"pytest/11-jenkins-double-timestamp-xdist-crash-internalerror.log":      pytest,
		"pytest/20-custom-plugin-top5-ram-increment-report.log":                 pytest,
		"kernel/17-systemd-oomd-userspace-journal.log":                          kernel,
		"kernel/12-kmsg-raw-memcg-v1-k8s-systemd-driver-hierarchical-stats.log": kernel,
	}
	files, err := filepath.Glob("../testdata/corpus/*/*.log")
	if err != nil || len(files) < 47 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		rel := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		w, ok := want[rel]
		if !ok {
			// Every other sample is one kind, named by its folder.
			if strings.HasPrefix(rel, "kernel/") {
				w = kernel
			} else {
				w = pytest
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(b); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: Sniff = %q, want %q", rel, got, w)
		}
	}
}

func TestSniffShapes(t *testing.T) {
	core := make([]byte, 64)
	copy(core, "\x7fELF\x02\x01\x01")
	core[16] = 4
	exe := bytes.Clone(core)
	exe[16] = 2
	for _, tc := range []struct {
		name, head string
		want       []string
	}{
		{"core", string(core), []string{KindCore}},
		{"elf executable", string(exe), []string{KindUnrecognized}},
		{"nul-filled", strings.Repeat("\x00", 4096), []string{KindUnrecognized}},
		{"empty", "", []string{KindUnrecognized}},
		{"random text", "hello world\nnothing to see\n", []string{KindUnrecognized}},
		{"junit", `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest">`, []string{KindJUnitXML}},
		{"diagnostics", `{"event": "session_start", "time": 1.5, "pid": 7, "schema": "oomlens/diagnostics/v1"}` + "\n", []string{KindDiagnostics}},
		{"diagnostics array", `[{"event":"test_end","time":1,"pid":2}]`, []string{KindDiagnostics}},
		{"diagnostics summary", `{"tests": [{"name": "test_a", "peak_memory_mb": 12}]}`, []string{KindDiagnostics}},
		{"other json", `{"foo": 1}`, []string{KindUnrecognized}},
		{"another tool's tests array", `{"tests": [{"name": "a", "duration": 1}], "created": 5}`, []string{KindUnrecognized}},
		{"record manifest", "{\n  \"schema\": \"oomlens/record/v1\",\n  \"command\": [\"pytest\"]\n}", []string{KindRecordManifest}},
		{"json quoting node ids", `{"in_flight": [{"test": "tests/test_a.py::test_b"}], "notes": "Killed process 5"}`, []string{KindUnrecognized}},
		{"journal json", `{"__REALTIME_TIMESTAMP":"1700000000000000","_TRANSPORT":"kernel","MESSAGE":"Out of memory: Killed process 5 (python) total-vm:1kB"}` + "\n", []string{KindKernelLog}},
		{"weathercop", "[2026-11-26T10:44:10.077991] SESSION_START: pytest\n  Elapsed: 0.0s\n", []string{KindWeathercop}},
		{"collect list", "tests/test_a.py::test_one\ntests/test_a.py::test_two[x y]\n\n2 tests collected in 0.01s\n", []string{KindCollectList}},
		{"collect list without footer", "tests/test_a.py::test_one\ntests/test_a.py::test_two\ntests/b.py::T::test_c\n", []string{KindCollectList}},
		{"ci log with pasted dmesg", "=== test session starts ===\n[ 12.5] Out of memory: Killed process 5 (python) total-vm:1kB\n", []string{KindKernelLog, KindPytestLog}},
		{"plain dmesg without oom", "[    0.000000] Linux version 6.1.0\n[    0.000001] Command line: ro\n[    0.000002] x86/fpu: ok\n", []string{KindKernelLog}},
	} {
		if got := Sniff([]byte(tc.head)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Sniff = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTextCandidate(t *testing.T) {
	for _, tc := range []struct {
		kinds []string
		head  string
		want  bool
	}{
		{[]string{KindUnrecognized}, "setup output\n", true},
		{[]string{KindPytestLog}, "x", true},
		{[]string{KindDiagnostics}, "{}", false},
		{[]string{KindCore}, "\x7fELF", false},
		{[]string{KindUnrecognized}, "\x00\x01", false},
		{[]string{KindKernelLog}, "Mem-Info:\nactive_anon:1413442 inactive_anon:1509191 isolated_anon:0\n\x00", true},
		{[]string{KindPytestLog}, "tests/a.py::test_b PASSED                              [ 50%]\n\x00\x01\x02 binary output\ntests/a.py::test_c ", true},
		{[]string{KindUnrecognized}, `{"in_flight": [{"test": "tests/a.py::test_b"}]}`, false},
		{[]string{KindKernelLog}, `{"MESSAGE": "Out of memory"}`, true},
		{[]string{KindUnrecognized}, "[   12.5] some kernel line\n", true},
	} {
		if got := headCandidate([]byte(tc.head), tc.kinds); got != tc.want {
			t.Errorf("%q %q: TextCandidate = %v", tc.kinds, tc.head, got)
		}
	}
}

func FuzzSniff(f *testing.F) {
	files, _ := filepath.Glob("../testdata/corpus/*/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	// What a kill leaves of a file (its blocks allocated, never written)
	// and a UTF-16 kernel log: neither is text; the fuzzer rarely makes
	// an input mostly of NUL bytes from the text samples.
	f.Add(make([]byte, 4096))
	var utf16 []byte
	for _, c := range "[ 5.0] Out of memory: Killed process 1 (x)\n" {
		utf16 = append(utf16, byte(c), 0)
	}
	f.Add(utf16)
	f.Fuzz(func(t *testing.T, b []byte) {
		kinds := Sniff(b)
		if len(kinds) == 0 {
			t.Fatal("no kinds")
		}
		// A few NUL bytes inside text (binary output a test printed) leave
		// it text (issue 17), and so does a NUL tail; a head of NUL bytes
		// or with a NUL in every third byte before its tail is not text.
		if text := bytes.TrimRight(b, "\x00"); headCandidate(b, kinds) && len(b) > 0 && 3*bytes.Count(text, []byte{0}) >= len(text) {
			t.Fatalf("binary head %q is a text candidate", b)
		}
		// The NUL-padded tail a kill leaves after a cut-off write does
		// not change what an input is.
		if len(bytes.TrimRight(b, "\x00")) > 0 {
			padded := append(append([]byte(nil), b...), make([]byte, 64)...)
			if got := Sniff(padded); !reflect.DeepEqual(got, kinds) {
				t.Fatalf("%q: %q, with a NUL tail %q", b, kinds, got)
			}
		}
	})
}

// TestSniffNewEvidence: cgroup files (the bare numbers by name only), kubectl
// output and collect.json are each one kind; a bare number under another
// name is not a cgroup file.
func TestSniffNewEvidence(t *testing.T) {
	for _, c := range []struct {
		path string
		want string
	}{
		{"../testdata/cgroup/v1-memcg-kill/memory.oom_control", KindCgroup},
		{"../testdata/cgroup/v1-memcg-kill/memory.max_usage_in_bytes", KindCgroup},
		{"../testdata/cgroup/v1-memcg-kill/memory.failcnt", KindCgroup},
		{"../testdata/cgroup/v1-memcg-kill/memory.stat", KindCgroup},
		{"../testdata/cgroup/v2-root/sys/fs/cgroup/ci/job-4242/memory.events", KindCgroup},
		{"../testdata/cgroup/v2-root/sys/fs/cgroup/ci/job-4242/memory.peak", KindCgroup},
		{"../testdata/cgroup/v2-root/sys/fs/cgroup/ci/job-4242/memory.pressure", KindCgroup},
		{"../testdata/kube/pod-oomkilled.json", KindKube},
		{"../testdata/kube/pod-oomkilled.yaml", KindKube},
		{"../testdata/kube/describe-oomkilled.txt", KindKube},
		{"../testdata/kube/events-oomkilling.json", KindKube},
	} {
		head, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := SniffNamed(c.path, head); !reflect.DeepEqual(got, []string{c.want}) {
			t.Errorf("%s: %v, want %s", c.path, got, c.want)
		}
	}
	// By content alone, under a name a user gave it.
	oc, _ := os.ReadFile("../testdata/cgroup/v1-memcg-kill/memory.oom_control")
	if got := SniffNamed("artifacts/oom_control.txt", oc); !reflect.DeepEqual(got, []string{KindCgroup}) {
		t.Errorf("renamed oom_control: %v", got)
	}
	if got := SniffNamed("artifacts/count.txt", []byte("67108864\n")); !reflect.DeepEqual(got, []string{KindUnrecognized}) {
		t.Errorf("a bare number under another name: %v", got)
	}
	m := []byte(`{"schema": "oomlens/collect/v1", "collected_at": "2026-11-26T10:00:00Z"}`)
	if got := SniffNamed("job/collect.json", m); !reflect.DeepEqual(got, []string{KindCollectManifest}) {
		t.Errorf("collect.json: %v", got)
	}
}

// headCandidate is textCandidate of an input whose head is head.
func headCandidate(head []byte, kinds []string) bool {
	return textCandidate(shapeOf(bytes.TrimPrefix(head, content.BOM)), kinds)
}
