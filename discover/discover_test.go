package discover

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
