package job

import (
	"bytes"
	"compress/gzip"
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
