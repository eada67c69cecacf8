// Package decompress undoes gzip, zstd and xz compression, told by the
// content's magic bytes, never by a file name: a rotated kern.log.2.gz, a CI
// artifact called "log" and a core called core.12345.zst are all common. It is
// the one place that knows the magic numbers, for discover (every input),
// elfcore (compressed cores) and batch (compressed archives and members).
package decompress

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Names of the compressions read, as Of and NewReader report them; None is
// the empty string so that an uncompressed input's field stays empty.
const (
	None = ""
	Gzip = "gzip"
	Zstd = "zstd"
	Xz   = "xz"
)

// MagicBytes is how many leading bytes Of needs to tell every compression.
const MagicBytes = 6

// Magic numbers of the compressed formats read (RFC 1952 §2.3.1, RFC 8878
// §3.1.1, the xz file format 1.2.1 §2.1.1.1).
var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicXz   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// Of names the compression whose magic bytes start b: Gzip, Zstd, Xz or None.
// MagicBytes bytes are enough to tell.
func Of(b []byte) string {
	switch {
	case bytes.HasPrefix(b, magicGzip):
		return Gzip
	case bytes.HasPrefix(b, magicZstd):
		return Zstd
	case bytes.HasPrefix(b, magicXz):
		return Xz
	}
	return None
}

// NewReader wraps r in the decompressor its magic bytes call for, and names
// the compression; uncompressed content is returned as it is (buffered). The
// returned closer closes r too when r is an io.Closer. An error names the
// compression whose header could not be read ("gzip: unexpected EOF").
//
// zstd is decoded on one goroutine in its low-memory mode: inputs are read
// once, front to back, and several jobs may be decoded at once (batch).
func NewReader(r io.Reader) (io.ReadCloser, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(MagicBytes)
	closeUnder := func() error {
		if c, ok := r.(io.Closer); ok {
			return c.Close()
		}
		return nil
	}
	switch kind := Of(magic); kind {
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("gzip: %w", err)
		}
		return readCloser{zr, func() error { zr.Close(); return closeUnder() }}, kind, nil
	case Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, "", fmt.Errorf("zstd: %w", err)
		}
		return readCloser{zr, func() error { zr.Close(); return closeUnder() }}, kind, nil
	case Xz:
		zr, err := xz.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("xz: %w", err)
		}
		return readCloser{zr, closeUnder}, kind, nil
	}
	return readCloser{br, closeUnder}, None, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (rc readCloser) Close() error { return rc.close() }
