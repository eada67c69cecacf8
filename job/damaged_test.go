package job

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oomlens/oomlens/decompress"
	"github.com/oomlens/oomlens/discover"
)

// damagedJob writes a job folder of damaged inputs, each beside what a user
// would expect of it: the warning it gets (a substring), and the kind it
// keeps.
func damagedJob(t *testing.T) (string, map[string][2]string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A kernel log of many kills, gzipped and cut off half way.
	kern := read("../testdata/corpus/kernel/03-oomanalyser-archlinux-6.1.1-global.log")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for range 200 {
		zw.Write(kern)
	}
	zw.Close()
	write("kern.log.2.gz", gz.Bytes()[:gz.Len()/2])
	junit := read("../testdata/pytest/xdist-verbose-worker-killed.junit.xml")
	write("report.xml", junit[:len(junit)/2])
	write("diag.jsonl", []byte(`{"event":"session_start","time":1,"pid":1,"rss_bytes":100}`+"\n"+
		`{"event":"test_start","time":2,"pid":1,"nodeid":"t.py::a","rss_bytes":100}`+"\n"+
		`{"event":"test_end","time":3,"pid":1,"nodeid":"t.py::a","rss_bytes":-1}`+"\n"+
		`{"event":"sample","time":4,"pid":1,"rss_bytes":200}`+"\n"))
	write("collect.txt", []byte("t.py::a\nt.py::"+strings.Repeat("b", 2<<20)+"\nt.py::c\n"))
	// The first 64 bytes of a real core: its ELF header, nothing more.
	xzcore, err := os.Open("../testdata/cores/oomcore-demo.core.xz")
	if err != nil {
		t.Fatal(err)
	}
	defer xzcore.Close()
	rc, _, err := decompress.NewReader(xzcore)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 64)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	write("core", head)
	pytest := read("../testdata/pytest/verbose-killed.log")
	write("pytest.log", append(append(pytest[:200:200], 0, 1, 2, 0), pytest[200:]...))
	utf16 := []byte{0xff, 0xfe}
	for _, c := range "[ 5864.708440] Out of memory: Killed process 996 (python)\n" {
		utf16 = append(utf16, byte(c), 0)
	}
	write("windows.log", utf16)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "dangling.log")); err != nil {
		t.Fatal(err)
	}
	return dir, map[string][2]string{
		"kern.log.2.gz": {KindKernelLog, "kern.log.2.gz: gzip stream cut off after "},
		"report.xml":    {KindJUnitXML, "report.xml:1: the XML ends part way (cut off?); the "},
		"diag.jsonl":    {KindDiagnostics, "diag.jsonl:3"},
		"collect.txt":   {KindCollectList, "collect.txt:2"},
		"core":          {KindCore, "core: "},
		"pytest.log":    {KindPytestLog, ""},
		"windows.log":   {KindUnrecognized, "windows.log: UTF-16 text"},
		"fifo":          {KindUnrecognized, "fifo: a FIFO (named pipe), not a regular file: skipped"},
		"dangling.log":  {KindUnrecognized, "dangling.log: cannot be read: no such file or directory"},
	}
}

// TestDamagedInputsWarn: every damaged input is a warning naming it, what
// could be read is kept, and the analysis goes on.
func TestDamagedInputsWarn(t *testing.T) {
	dir, want := damagedJob(t)
	done := make(chan struct{})
	var set *discover.Set
	var err error
	go func() {
		set, err = discover.Walk([]string{dir}, discover.Options{})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Walk blocked")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	ev, err := Load(set, Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	seen := map[string]bool{}
	for _, in := range ev.Inputs {
		name := filepath.Base(in.Path)
		seen[name] = true
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected input %s", in.Path)
			continue
		}
		if len(in.Kinds) == 0 || in.Kinds[0] != w[0] {
			t.Errorf("%s: kinds %q, want %s", name, in.Kinds, w[0])
		}
		all := strings.Join(in.Warnings, "\n")
		if w[1] == "" && len(in.Warnings) > 0 && strings.Contains(all, "not recognised") {
			t.Errorf("%s: %q", name, all)
		}
		if w[1] != "" && !strings.Contains(all, w[1]) {
			t.Errorf("%s: warnings %q, want one with %q", name, in.Warnings, w[1])
		}
		for _, bad := range []string{"line 0", "token too long", "zip: zip:", "unexpected EOF"} {
			if strings.Contains(all, bad) {
				t.Errorf("%s: warning in a parser's words (%q): %q", name, bad, all)
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s: neither read nor warned about", name)
		}
	}
	kills := 0
	for _, k := range ev.Kernel {
		kills += len(k.Log.Events)
	}
	if kills == 0 {
		t.Error("the kills before the cut of kern.log.2.gz were lost")
	}
	if len(ev.Pytest) == 0 {
		t.Error("the pytest log with NUL bytes was not read")
	}
}

// TestDiagnosticsOrphanEnd: a test_end with no test_start (its start would
// otherwise be taken from the record before), and one that ends before it
// starts, are warnings; no leak is derived from either.
func TestDiagnosticsOrphanEnd(t *testing.T) {
	dir := t.TempDir()
	const gib = 1 << 30
	os.WriteFile(filepath.Join(dir, "diag.jsonl"), []byte(fmt.Sprintf(
		`{"event":"session_start","time":100,"pid":7,"rss_bytes":%d}
{"event":"test_start","time":101,"pid":7,"nodeid":"t.py::fine","rss_bytes":%d}
{"event":"test_end","time":102,"pid":7,"nodeid":"t.py::fine","rss_bytes":%d,"outcome":"passed"}
{"event":"test_end","time":103,"pid":7,"nodeid":"t.py::orphan","rss_bytes":%d,"outcome":"passed"}
{"event":"test_start","time":105,"pid":7,"nodeid":"t.py::backwards","rss_bytes":%d}
{"event":"test_end","time":104,"pid":7,"nodeid":"t.py::backwards","rss_bytes":%d,"outcome":"passed"}
`, gib/10, gib/10, gib/10, 931*gib, gib/10, 500*gib)), 0o644)
	set, err := discover.Walk([]string{dir}, discover.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	rep, err := Analyze(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range rep.Leaks {
		if l.Test == "t.py::orphan" || l.Test == "t.py::backwards" {
			t.Errorf("a leak derived from a record with no valid start: %+v", l)
		}
	}
	all := strings.Join(rep.Warnings, "\n")
	for _, want := range []string{
		"diag.jsonl:4: test_end of t.py::orphan (pid 7) with no test_start before it: no figure is derived for it",
		"diag.jsonl:6: test_end of t.py::backwards (pid 7) is 1.000 s before its test_start: no figure is derived for it",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in:\n%s", want, all)
		}
	}
}
