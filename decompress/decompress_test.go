package decompress

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func compress(t *testing.T, kind string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch kind {
	case Gzip:
		w = gzip.NewWriter(&buf)
	case Zstd:
		w, err = zstd.NewWriter(&buf)
	case Xz:
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

// TestNewReaderByContent: each compression is told by its magic bytes and
// undone; plain content comes back as it is, even when shorter than the
// magic numbers.
func TestNewReaderByContent(t *testing.T) {
	const text = "[ 5864.708440] Out of memory: Killed process 996 (python)\n"
	for _, kind := range []string{None, Gzip, Zstd, Xz} {
		for _, plain := range []string{text, "", "\x1f"} {
			data := compress(t, kind, []byte(plain))
			if got := Of(data); got != kind {
				t.Errorf("Of(%s of %q) = %q", kind, plain, got)
			}
			rc, got, err := NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s of %q: %v", kind, plain, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || got != kind || string(b) != plain {
				t.Errorf("%s of %q: read %q as %q, err %v", kind, plain, b, got, err)
			}
		}
	}
}

// TestNewReaderBadHeader: a file that starts with a compression's magic
// number but holds no valid header is an error naming that compression.
func TestNewReaderBadHeader(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		{"\x1f\x8b", "gzip: "},
		{"\xfd7zXZ\x00garbage", "xz: "},
	} {
		_, _, err := NewReader(strings.NewReader(tt.data))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want prefix %q", tt.data, err, tt.want)
		}
	}
}

// closeCounter counts Close calls.
type closeCounter struct {
	io.Reader
	n int
}

func (c *closeCounter) Close() error { c.n++; return nil }

// TestNewReaderClosesUnderlying: closing the decompressor closes the reader
// it was given, whatever the compression.
func TestNewReaderClosesUnderlying(t *testing.T) {
	for _, kind := range []string{None, Gzip, Zstd, Xz} {
		c := &closeCounter{Reader: bytes.NewReader(compress(t, kind, []byte("x\n")))}
		rc, _, err := NewReader(c)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if c.n != 1 {
			t.Errorf("%s: underlying reader closed %d times, want 1", kind, c.n)
		}
	}
}
