package discover

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/oomlens/oomlens/decompress"
)

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
		if string(in.Head) != kernelLine {
			t.Errorf("%s: head %q", name, in.Head)
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
	if in.Path != "-" || in.Compression != decompress.Gzip || string(in.Head) != kernelLine {
		t.Fatalf("stdin input = %+v", in)
	}
	if in.File() != "" {
		t.Errorf("stdin copied to %s: it is read as a stream", in.File())
	}
	set.Cleanup()
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
	set, err := Walk([]string{bad}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if in := set.Inputs[0]; !in.Unreadable || len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0], bad+": gzip header damaged") {
		t.Fatalf("corrupt gzip: unreadable %v, warnings %q", in.Unreadable, in.Warnings)
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
	if head := set.Inputs[0].Head; len(head) < len(kernelLine) || !bytes.HasPrefix(head, []byte(kernelLine)) {
		t.Errorf("head %q", head)
	}
}

func TestFromBytes(t *testing.T) {
	in, err := FromBytes("job.zip/kern.log.xz", compressed(t, decompress.Xz, []byte(kernelLine)))
	if err != nil {
		t.Fatal(err)
	}
	if in.Compression != decompress.Xz || string(in.Head) != kernelLine || in.File() != "" {
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

// TestOpenCutCompressedInputWarns: a compressed input cut off before
// HeadBytes is not taken as read whole: Open reads what came before the cut
// and the input gets a warning saying where it was cut off.
func TestOpenCutCompressedInputWarns(t *testing.T) {
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
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || len(got) == 0 {
			t.Errorf("%s: read %d bytes, %v; want what came before the cut", in.Path, len(got), err)
		}
		if len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0], in.Path+": gzip stream cut off after ") || !strings.Contains(in.Warnings[0], "lines before it were read") {
			t.Errorf("%s: warnings %q", in.Path, in.Warnings)
		}
	}
}

// bigLog is a log larger than HeadBytes whose first and last lines are
// marked, so that a reader that skipped either shows it.
func bigLog() []byte {
	var b bytes.Buffer
	b.WriteString("FIRST LINE\n")
	for b.Len() < 5*HeadBytes {
		b.WriteString(kernelLine)
	}
	b.WriteString("LAST LINE\n")
	return b.Bytes()
}

// TestStreamReadOnce: a FIFO named on its own (`<(zcat kern.log.gz)`) and
// stdin are read once, from their first byte: the head and the rest, each
// parser reading all of it through OpenN, nothing reopened or spooled.
func TestStreamReadOnce(t *testing.T) {
	data := bigLog()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(compressed(t, decompress.Gzip, data))
		f.Close()
	}()
	for _, tc := range []struct {
		path  string
		stdin io.Reader
	}{
		{fifo, nil},
		{"-", bytes.NewReader(data)},
	} {
		set, err := Walk([]string{tc.path}, Options{Stdin: tc.stdin})
		if err != nil {
			t.Fatal(err)
		}
		in := set.Inputs[0]
		if !in.Stream() || in.File() != "" {
			t.Fatalf("%s: stream %v, file %q", tc.path, in.Stream(), in.File())
		}
		rcs, err := in.OpenN(2)
		if err != nil {
			t.Fatal(err)
		}
		got := make([][]byte, 2)
		errs := make(chan error, 2)
		for i, rc := range rcs {
			go func() {
				b, err := io.ReadAll(rc)
				rc.Close()
				got[i] = b
				errs <- err
			}()
		}
		for range rcs {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for i := range got {
			if !bytes.Equal(got[i], data) {
				t.Errorf("%s: reader %d got %d bytes (first line %q), want all %d", tc.path, i, len(got[i]), bytes.SplitN(got[i], []byte("\n"), 2)[0], len(data))
			}
		}
		if _, err := in.Open(); err == nil {
			t.Errorf("%s: a stream opened twice", tc.path)
		}
		set.Cleanup()
	}
}

// TestFolderSpecialFilesAndLinks: inside a folder, a FIFO with no writer is
// skipped with a warning (no hang), links to files and folders are followed,
// a file reached twice (through a symbolic or a hard link) is read once, a
// link loop and a dangling link are warnings.
func TestFolderSpecialFilesAndLinks(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "kern.log"), []byte(kernelLine), 0o644)
	os.Mkdir(filepath.Join(outside, "more"), 0o755)
	os.WriteFile(filepath.Join(outside, "more", "pytest.log"), []byte("test session starts\n"), 0o644)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.log"), []byte(kernelLine), 0o644)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600))
	must(os.Symlink(filepath.Join(outside, "kern.log"), filepath.Join(dir, "link.log")))
	must(os.Symlink(filepath.Join(dir, "a.log"), filepath.Join(dir, "same.log")))
	must(os.Link(filepath.Join(dir, "a.log"), filepath.Join(dir, "hard.log")))
	must(os.Symlink(filepath.Join(outside, "more"), filepath.Join(dir, "more")))
	must(os.Symlink(dir, filepath.Join(dir, "loop")))
	must(os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling")))
	done := make(chan *Set, 1)
	go func() {
		set, err := Walk([]string{dir}, Options{})
		if err != nil {
			t.Error(err)
		}
		done <- set
	}()
	var set *Set
	select {
	case set = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Walk blocked on the FIFO")
	}
	got := map[string]string{}
	for _, in := range set.Inputs {
		rel, _ := filepath.Rel(dir, in.Path)
		got[rel] = "read"
		if in.Unreadable {
			got[rel] = strings.Join(in.Warnings, "; ")
		}
	}
	want := map[string]string{
		"a.log":           "read",
		"link.log":        "read",
		"more/pytest.log": "read",
		"dangling":        filepath.Join(dir, "dangling") + ": cannot be read: no such file or directory",
		"fifo":            filepath.Join(dir, "fifo") + ": a FIFO (named pipe), not a regular file: skipped (name it on its own to read it)",
		"loop":            filepath.Join(dir, "loop") + ": a link to folder " + dir + ", read already (a link loop?): skipped",
		"same.log":        filepath.Join(dir, "same.log") + ": the same file as " + filepath.Join(dir, "a.log") + " (a link): read once",
		"hard.log":        filepath.Join(dir, "hard.log") + ": the same file as " + filepath.Join(dir, "a.log") + " (a link): read once",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inputs:\n got %q\nwant %q", got, want)
	}
}

// TestMaxFiles: a folder walk takes at most MaxFiles files and says how many
// it left out.
func TestMaxFiles(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), []byte(kernelLine), 0o644)
	}
	set, err := Walk([]string{dir}, Options{MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Inputs) != 4 || !set.Inputs[3].Unreadable || set.Inputs[3].Warnings[0] != dir+": holds more than 3 files; the 2 after the first 3 (in lexical order) were not read" {
		t.Fatalf("inputs %d, last %+v", len(set.Inputs), set.Inputs[len(set.Inputs)-1])
	}
}

// failingReader returns the first n bytes of data, then err.
type failingReader struct {
	data []byte
	n    int
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := copy(p, r.data[:min(r.n, len(p))])
	r.data, r.n = r.data[k:], r.n-k
	return k, nil
}

func (r *failingReader) Close() error { return nil }

// TestPlainFileReadErrorCountsLinesAfter: a plain file's lines are not
// counted as it is read; a read error counts those before it from the file
// again, and says so without a count when the file cannot be read again.
func TestPlainFileReadErrorCountsLinesAfter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kern.log")
	data := []byte(strings.Repeat("a line of the log\n", 5000))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	eio := errors.New("input/output error")
	for _, tc := range []struct {
		name     string
		failAt   int
		remove   bool
		wantLine string
	}{
		{"lines before", 18*1200 + 5, false, "kern.log: read error after 21.6 kB (line 1201): input/output error; the 1200 lines before it were read"},
		{"file gone", 18*1200 + 5, true, "kern.log: read error after 21.6 kB: input/output error; what came before it was read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &Input{Path: "kern.log", file: path}
			d := newDamageCatcher(in, &failingReader{data: data, n: tc.failAt, err: eio})
			if d.count {
				t.Fatal("a plain file's lines are counted as it is read")
			}
			if tc.remove {
				if err := os.Rename(path, path+".gone"); err != nil {
					t.Fatal(err)
				}
				defer os.Rename(path+".gone", path)
			}
			got, err := io.ReadAll(d)
			if err != nil || len(got) != tc.failAt {
				t.Fatalf("read %d bytes, %v; want %d bytes and the end", len(got), err, tc.failAt)
			}
			if len(in.Warnings) != 1 || in.Warnings[0] != tc.wantLine {
				t.Fatalf("warnings %q, want [%q]", in.Warnings, tc.wantLine)
			}
		})
	}
}
