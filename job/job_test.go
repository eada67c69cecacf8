package job

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/discover"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadReadsEveryKindOnce(t *testing.T) {
	dir := t.TempDir()
	// Names say nothing: every kind comes from the content.
	copyFile(t, "../testdata/corpus/kernel/03-oomanalyser-archlinux-6.1.1-global.log", filepath.Join(dir, "a"))
	copyFile(t, "../testdata/pytest/verbose-killed.log", filepath.Join(dir, "b"))
	copyFile(t, "../testdata/diagnostics/killed-leak.jsonl", filepath.Join(dir, "c"))
	copyFile(t, "../testdata/weathercop/01-reference-sample-verbatim.log", filepath.Join(dir, "d"))
	copyFile(t, "../testdata/pytest/xdist-verbose-worker-killed.junit.xml", filepath.Join(dir, "e"))
	copyFile(t, "../testdata/pytest/suite.collect.txt", filepath.Join(dir, "f"))
	copyFile(t, "../testdata/cores/oomcore-demo.core.xz", filepath.Join(dir, "g"))
	os.WriteFile(filepath.Join(dir, "h"), []byte("nothing oomlens reads\n"), 0o644)
	// A CI log with dmesg pasted after the pytest output, gzipped.
	ci, _ := os.ReadFile("../testdata/pytest/verbose-killed.log")
	kern, _ := os.ReadFile("../testdata/corpus/kernel/11-journalctl-memcg-v2-6.x-rss_anon-custom-cgroup.log")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(append(append(ci, "\n$ sudo journalctl -k\n"...), kern...))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "i"), gz.Bytes(), 0o644)

	set, err := discover.Walk([]string{dir}, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	ev, err := Load(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]string{}
	for _, in := range ev.Inputs {
		kinds[filepath.Base(in.Path)] = in.Kinds
	}
	want := map[string][]string{
		"a": {"kernel-log"},
		"b": {"pytest-log"},
		"c": {"diagnostics-jsonl"},
		"d": {"weathercop-log"},
		"e": {"junit-xml"},
		"f": {"collect-list"},
		"g": {"core"},
		"h": {"unrecognized"},
		"i": {"kernel-log", "pytest-log"},
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds = %v\nwant %v", kinds, want)
	}
	if len(ev.Kernel) != 2 || len(ev.Pytest) != 2 || len(ev.Diagnostics) != 1 || len(ev.Weathercop) != 1 ||
		len(ev.JUnit) != 1 || len(ev.Cores) != 1 || len(ev.Collect) == 0 {
		t.Errorf("evidence: kernel %d pytest %d diagnostics %d weathercop %d junit %d cores %d collect %d",
			len(ev.Kernel), len(ev.Pytest), len(ev.Diagnostics), len(ev.Weathercop), len(ev.JUnit), len(ev.Cores), len(ev.Collect))
	}
	for _, k := range ev.Kernel {
		if len(k.Log.Events) == 0 {
			t.Errorf("%s: no kernel events", k.Path)
		}
	}
	for _, in := range ev.Inputs {
		if filepath.Base(in.Path) == "h" && (len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "looked for")) {
			t.Errorf("unrecognised input warnings: %q", in.Warnings)
		}
	}
}

func TestLoadErrorsNameTheInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "diag.jsonl")
	os.WriteFile(p, []byte(`{"event":"session_start","time":1,"pid":1}`+"\n"+`{"event":"test_end","time":"soon","pid":1,"nodeid":"t"}`+"\n"+`{"event":"sample","time":2,"pid":1,"rss_bytes":5}`+"\n"), 0o644)
	set, err := discover.Walk([]string{p}, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Load(set, Options{})
	if err != nil {
		if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), ":2") {
			t.Fatalf("error %q does not name %s and its line", err, p)
		}
		return
	}
	// A reader may keep going past a bad record; then it must say so.
	w := strings.Join(ev.Inputs[0].Warnings, "\n")
	if !strings.Contains(w, p+":2") {
		t.Fatalf("bad record neither an error nor a warning naming %s:2: %q", p, w)
	}
}

func TestCollectFileResolvesPositions(t *testing.T) {
	set, err := discover.Walk([]string{"../testdata/pytest/progress-killed.log"}, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Load(set, Options{CollectFile: "../testdata/pytest/suite.collect.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Collect) == 0 || len(ev.Pytest) != 1 {
		t.Fatalf("collect %d, pytest %d", len(ev.Collect), len(ev.Pytest))
	}
	s := ev.Pytest[0].Log.Sessions[0]
	if len(s.InFlight) != 1 || !strings.Contains(s.InFlight[0].Test, "::") || strings.Contains(s.InFlight[0].Test, "::#") {
		t.Fatalf("in flight %+v: the position was not resolved to a node id", s.InFlight)
	}
	if _, err := Load(set, Options{CollectFile: "../testdata/none.txt"}); err == nil || !strings.Contains(err.Error(), "none.txt") {
		t.Fatalf("missing --collect file: %v", err)
	}
}

// TestRecordFolder loads real `oomlens record` folders: record.json is
// decoded into the evidence, and an empty kernel.log that record.json names
// is read as the kernel log (nothing was logged), not reported unrecognised.
func TestRecordFolder(t *testing.T) {
	for _, tc := range []struct {
		dir      string
		signal   string
		interval float64
		kernel   int // kill events in the kernel log
	}{
		{"record-memcg-50ms", "killed", 50, 1},
		{"record-watchdog-sigkill", "killed", 10, 0},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			set, err := discover.Walk([]string{filepath.Join("..", "correlate", "testdata", tc.dir)}, discover.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer set.Cleanup()
			ev, err := Load(set, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.Records) != 1 {
				t.Fatalf("%d records", len(ev.Records))
			}
			m := ev.Records[0].Manifest
			if filepath.Base(ev.Records[0].Path) != "record.json" || m.Signal == nil || *m.Signal != tc.signal || m.ExitCode != nil ||
				m.Status != 137 || m.KernelLog == nil || *m.KernelLog != "kernel.log" || m.KernelLogUnavailable != "" ||
				m.BootTime != 1795691885 || m.Sampler.IntervalMS != tc.interval || m.Sampler.LineTicks == 0 || m.Start == "" || m.End == "" {
				t.Errorf("manifest %+v", m)
			}
			if len(ev.Kernel) != 1 || len(ev.Kernel[0].Log.Events) != tc.kernel {
				t.Errorf("kernel inputs %+v", ev.Kernel)
			}
			for _, in := range ev.Inputs {
				if filepath.Base(in.Path) == "kernel.log" && !reflect.DeepEqual(in.Kinds, []string{"kernel-log"}) {
					t.Errorf("kernel.log: kinds %v, warnings %v", in.Kinds, in.Warnings)
				}
			}
		})
	}
}

// TestRecordManifestBroken: a record.json cut off at every byte is a
// warning on its input naming the file (and the offset where the JSON
// broke), never a failure of the load or a panic.
func TestRecordManifestBroken(t *testing.T) {
	b, err := os.ReadFile("../correlate/testdata/record-memcg-50ms/record.json")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		dir := t.TempDir()
		// The kind is sniffed from the head: a cut too short to show the
		// schema is not a record.json at all.
		if err := os.WriteFile(filepath.Join(dir, "record.json"), b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		set, err := discover.Walk([]string{dir}, discover.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Load(set, Options{})
		set.Cleanup()
		if err != nil {
			t.Fatalf("cut at %d: %v", n, err)
		}
		in := ev.Inputs[0]
		if !reflect.DeepEqual(in.Kinds, []string{KindRecordManifest}) {
			continue
		}
		if json.Valid(b[:n]) {
			if len(ev.Records) != 1 || len(in.Warnings) != 0 {
				t.Fatalf("cut at %d (valid JSON): records %d, warnings %q", n, len(ev.Records), in.Warnings)
			}
			continue
		}
		if len(ev.Records) != 0 || len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "record.json: offset ") {
			t.Fatalf("cut at %d: records %d, warnings %q", n, len(ev.Records), in.Warnings)
		}
	}
}

// FuzzRecordManifest feeds readManifest anything, seeded with the real
// record.json files: no panic, and an error exactly when the content is not
// one JSON object (or is too large).
func FuzzRecordManifest(f *testing.F) {
	for _, d := range []string{"record-memcg-50ms", "record-memcg-10ms", "record-watchdog-sigkill"} {
		b, err := os.ReadFile(filepath.Join("..", "correlate", "testdata", d, "record.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema":"oomlens/record/v1","exit_code":"0"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := discover.FromBytes("record.json", data)
		if err != nil {
			return
		}
		m, err := readManifest(in)
		if err == nil && !json.Valid(data) {
			t.Errorf("invalid JSON read without error: %+v", m)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "record.json: ") {
			t.Errorf("error does not name the file: %v", err)
		}
	})
}

// TestRecordManifestRunning: a record.json left by a recorder that was
// killed ("running": true) is kept, with a warning that the command's end is
// unknown.
func TestRecordManifestRunning(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "record.json"), []byte(`{"schema": "oomlens/record/v1", "command": ["pytest"], "start": "2026-11-26T10:11:12Z", "running": true, "pid": 42}`), 0o644)
	set, err := discover.Walk([]string{dir}, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	ev, err := Load(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 1 || len(ev.Inputs[0].Warnings) != 1 || !strings.Contains(ev.Inputs[0].Warnings[0], "record.json: the recorder ended before the command did") {
		t.Fatalf("records %d, warnings %q", len(ev.Records), ev.Inputs[0].Warnings)
	}
}

// TestCollectEmptyKernelLog: the kernel log collect.json names is a kernel
// log even when empty: the kernel logged nothing since --since.
func TestCollectEmptyKernelLog(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "collect.json"), []byte(`{"schema": "oomlens/collect/v1", "collected_at": "2026-11-26T10:00:00Z", "host": {"boot_time": "2026-11-26T08:00:00Z"}, "kernel_log": {"file": "kernel.log", "source": "/dev/kmsg", "records": 0}, "logs": [], "unread": [{"what": "memory cgroup", "why": "no memory controller"}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "kernel.log"), nil, 0o644)
	set, err := discover.Walk([]string{dir}, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	rep, err := Analyze(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	var warns []string
	for _, in := range rep.Inputs {
		kinds[filepath.Base(in.Path)] = strings.Join(in.Kinds, ",")
		warns = append(warns, in.Warnings...)
	}
	if kinds["kernel.log"] != KindKernelLog || kinds["collect.json"] != KindCollectManifest {
		t.Errorf("kinds %v", kinds)
	}
	if !strings.Contains(strings.Join(warns, "\n"), "memory cgroup could not be read: no memory controller") {
		t.Errorf("warnings %q", warns)
	}
	if rep.Alignment.Method != "collect-boot-time" {
		t.Errorf("alignment %+v", rep.Alignment)
	}
}
