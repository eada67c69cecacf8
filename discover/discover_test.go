package discover

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/oomlens/oomlens/decompress"
)

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

const kernelLine = "[ 5864.708440] Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB\n"

func compressed(t *testing.T, kind string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch kind {
	case decompress.Gzip:
		w = gzip.NewWriter(&buf)
	case decompress.Zstd:
		w, err = zstd.NewWriter(&buf)
	case decompress.Xz:
		w, err = xz.NewWriter(&buf)
	default:
		return data
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWalkDecompressesByContent(t *testing.T) {
	dir := t.TempDir()
	// Names deliberately lie about the content: recognition is by magic bytes.
	files := map[string]string{
		"a-plain.txt":    decompress.None,
		"b-kern.log.2":   decompress.Gzip,
		"c-kern.log.zst": decompress.Zstd,
		"d-kern.log.gz":  decompress.Xz,
	}
	for name, comp := range files {
		if err := os.WriteFile(filepath.Join(dir, name), compressed(t, comp, []byte(kernelLine)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte(kernelLine), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Walk([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Cleanup()
	if len(set.Inputs) != 4 {
		t.Fatalf("walk found %d inputs, want 4 (hidden folders skipped)", len(set.Inputs))
	}
	for i, name := range []string{"a-plain.txt", "b-kern.log.2", "c-kern.log.zst", "d-kern.log.gz"} {
		in := set.Inputs[i]
		if filepath.Base(in.Path) != name {
			t.Fatalf("input %d is %s, want %s (lexical order)", i, in.Path, name)
		}
		if in.Compression != files[name] {
			t.Errorf("%s: compression %q, want %q", name, in.Compression, files[name])
		}
		if !reflect.DeepEqual(in.Kinds, []string{KindKernelLog}) {
			t.Errorf("%s: kinds %q", name, in.Kinds)
		}
		for pass := 0; pass < 2; pass++ { // Open reads from the start every time
			rc, err := in.Open()
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || string(got) != kernelLine {
				t.Errorf("%s pass %d: read %q, %v", name, pass, got, err)
			}
		}
	}
}

func TestWalkStdin(t *testing.T) {
	set, err := Walk([]string{"-"}, Options{Stdin: bytes.NewReader(compressed(t, decompress.Gzip, []byte(kernelLine)))})
	if err != nil {
		t.Fatal(err)
	}
	in := set.Inputs[0]
	if in.Path != "-" || in.Compression != decompress.Gzip || !in.Has(KindKernelLog) {
		t.Fatalf("stdin input = %+v", in)
	}
	tmp := in.File()
	set.Cleanup()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("stdin copy %s not removed: %v", tmp, err)
	}
	if _, err := Walk([]string{"-", "-"}, Options{Stdin: strings.NewReader("")}); err == nil {
		t.Error("stdin named twice: no error")
	}
}

func TestWalkErrorsNameThePath(t *testing.T) {
	_, err := Walk([]string{"/nonexistent/oomlens/input"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/oomlens/input") {
		t.Fatalf("error %v does not name the path", err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.gz")
	if err := os.WriteFile(bad, []byte{0x1f, 0x8b, 0x00, 0x01}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Walk([]string{bad}, Options{})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("corrupt gzip: error %v does not name the file", err)
	}
}

func TestTruncatedCompressedInputKeepsHead(t *testing.T) {
	data := compressed(t, decompress.Gzip, bytes.Repeat([]byte(kernelLine), 2000))
	dir := t.TempDir()
	p := filepath.Join(dir, "cut.gz")
	if err := os.WriteFile(p, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Walk([]string{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !set.Inputs[0].Has(KindKernelLog) {
		t.Errorf("kinds %q", set.Inputs[0].Kinds)
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
		{[]string{KindUnrecognized}, `{"in_flight": [{"test": "tests/a.py::test_b"}]}`, false},
		{[]string{KindKernelLog}, `{"MESSAGE": "Out of memory"}`, true},
		{[]string{KindUnrecognized}, "[   12.5] some kernel line\n", true},
	} {
		in := &Input{Kinds: tc.kinds, Head: []byte(tc.head)}
		if got := in.TextCandidate(); got != tc.want {
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
	f.Fuzz(func(t *testing.T, b []byte) {
		kinds := Sniff(b)
		if len(kinds) == 0 {
			t.Fatal("no kinds")
		}
		if _, _, err := decompress.NewReader(bytes.NewReader(b)); err != nil {
			return
		}
	})
}

func TestFromBytes(t *testing.T) {
	in, err := FromBytes("job.zip/kern.log.xz", compressed(t, decompress.Xz, []byte(kernelLine)))
	if err != nil {
		t.Fatal(err)
	}
	if in.Compression != decompress.Xz || !in.Has(KindKernelLog) || in.File() != "" {
		t.Fatalf("input = %+v", in)
	}
	rc, err := in.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); string(got) != kernelLine {
		t.Errorf("read %q", got)
	}
	if _, err := FromBytes("bad.gz", []byte{0x1f, 0x8b, 0, 0}); err == nil || !strings.Contains(err.Error(), "bad.gz") {
		t.Errorf("corrupt member: %v", err)
	}
}

// TestHeadAndOpenAcrossSizes: for content just under, at and over HeadBytes,
// plain and compressed, on disk and in memory, Head is the content's first
// HeadBytes and every Open reads the whole content from its start. A plain
// file that fits in the head is read once: Open no longer needs the file.
func TestHeadAndOpenAcrossSizes(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, HeadBytes - 1, HeadBytes, HeadBytes + 1, 3*HeadBytes + 7} {
		content := bytes.Repeat([]byte(kernelLine), size/len(kernelLine)+1)[:size]
		for _, comp := range []string{decompress.None, decompress.Gzip, decompress.Zstd, decompress.Xz} {
			data := compressed(t, comp, content)
			p := filepath.Join(dir, "in")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			set, err := Walk([]string{p}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			mem, err := FromBytes("mem", data)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range []*Input{set.Inputs[0], mem} {
				where := fmt.Sprintf("%d bytes, %q, file %q", size, comp, in.File())
				if want := content[:min(size, HeadBytes)]; !bytes.Equal(in.Head, want) {
					t.Fatalf("%s: head of %d bytes, want %d", where, len(in.Head), len(want))
				}
				if in.Compression != comp {
					t.Fatalf("%s: compression %q", where, in.Compression)
				}
				for pass := 0; pass < 2; pass++ {
					rc, err := in.Open()
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(rc)
					rc.Close()
					if err != nil || !bytes.Equal(got, content) {
						t.Fatalf("%s pass %d: read %d bytes, %v", where, pass, len(got), err)
					}
				}
			}
			if comp == decompress.None && size < HeadBytes {
				os.Remove(p)
				rc, err := set.Inputs[0].Open()
				if err != nil {
					t.Fatalf("%d bytes: Open after the file is gone: %v (the head holds it all)", size, err)
				}
				rc.Close()
			}
		}
	}
}

// TestOpenCutCompressedInputFails: a compressed input cut off before
// HeadBytes is not taken as read whole: Open still reports the damage.
func TestOpenCutCompressedInputFails(t *testing.T) {
	data := compressed(t, decompress.Gzip, bytes.Repeat([]byte(kernelLine), 20))
	for _, in := range func() []*Input {
		p := filepath.Join(t.TempDir(), "cut.gz")
		if err := os.WriteFile(p, data[:len(data)-6], 0o644); err != nil {
			t.Fatal(err)
		}
		set, err := Walk([]string{p}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		mem, err := FromBytes("mem.gz", data[:len(data)-6])
		if err != nil {
			t.Fatal(err)
		}
		return []*Input{set.Inputs[0], mem}
	}() {
		rc, err := in.Open()
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(rc)
		rc.Close()
		if err == nil {
			t.Errorf("%s: read a cut gzip stream without an error", in.Path)
		}
	}
}

// TestAnchorKeys: every kernel anchor holds one of the keys that stand for
// it in a first search.
func TestAnchorKeys(t *testing.T) {
	for _, a := range kernelAnchors {
		if !containsAny(a, anchorKeys) {
			t.Errorf("anchor %q holds no key", a)
		}
	}
}

// checkSniffHelpers compares the hand-written matchers with the expressions
// and searches they stand for.
func checkSniffHelpers(t *testing.T, b []byte) {
	t.Helper()
	if got, want := isCollectItem(b), reCollectItem.Match(b); got != want {
		t.Fatalf("isCollectItem(%q) = %v, want %v", b, got, want)
	}
	if got, want := hasResultWord(b), reResultWord.Match(b); got != want {
		t.Fatalf("hasResultWord(%q) = %v, want %v", b, got, want)
	}
	want := false
	for _, ev := range []string{"] SESSION_START: ", "] TEST_START: ", "] TEST_END: ", "] SESSION_END: "} {
		want = want || bytes.Contains(b, []byte(ev))
	}
	if got := hasWeathercopEvent(b); got != want {
		t.Fatalf("hasWeathercopEvent(%q) = %v, want %v", b, got, want)
	}
	anyAnchor := false
	for _, a := range kernelAnchors {
		anyAnchor = anyAnchor || bytes.Contains(b, a)
	}
	if anyAnchor && !containsAny(b, anchorKeys) {
		t.Fatalf("%q holds an anchor but no key", b)
	}
}

var sniffHelperCases = []string{
	"", ".py::x", "a.py::", "a.py::x", "a.py:: x", " a.py::x", ".py::x.py::y", "a b.py::x", "a.py::x PASSED", "a.py::x PASSEDX",
	"a.py::x PASSED_", "a.py::x  [ 50%]", "a.py::x [50%", "[\t7%]", "[%]", "x [ 1 %]", "a.py::\xffx", "\xff.py::x", "a.py::x\vb",
	"[2026-01-05T10:11:12] TEST_START: t", "x] SESSION_END: ", "] TEST_END:", "]TEST_END: ", "_START: ] TEST_START: ",
	"tests/a.py::t ERROR", "tests/a.py::t XPASS(strict)", "a.py::t SKIPPED [ 5%]",
}

func TestSniffHelpers(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*/*")
	more, _ := filepath.Glob("../testdata/corpus/*/*")
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a folder
		}
		if len(b) > HeadBytes {
			b = b[:HeadBytes]
		}
		checkSniffHelpers(t, b)
		for _, line := range bytes.Split(b, []byte("\n")) {
			checkSniffHelpers(t, line)
		}
	}
	for _, c := range sniffHelperCases {
		checkSniffHelpers(t, []byte(c))
	}
}

func FuzzSniffHelpers(f *testing.F) {
	for _, c := range sniffHelperCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSniffHelpers(t, b) })
}
