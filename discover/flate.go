package discover

import (
	"bufio"
	"bytes"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Zip members are inflated by klauspost/compress/flate, not the standard
// library's compress/flate: the same format and errors (its
// CorruptInputError is the standard library's), about twice the speed, and
// already a dependency (zstd). Half the jobs of a batch are zips, and
// inflating them was ~4% of a job (go test ./batch -bench Run).
//
// Inflaters are pooled with their input buffer, as archive/zip pools its
// own: a job's members are a few, a batch's are tens of thousands, and a new
// inflater is ~40 KB of tables.
var flateReaders sync.Pool

// pooledFlate is an inflater that goes back to the pool when closed.
type pooledFlate struct {
	fr io.ReadCloser // implements flate.Resetter
	br *bufio.Reader // the compressed input, buffered: flate reads it byte by byte
	// mem is the compressed input when the archive is held in memory
	// (heldArchive): flate reads it in place, with no buffer between, and
	// takes its loop for a *bytes.Reader (klauspost/compress
	// flate/inflate_gen.go picks one by the input's type). Zipped jobs of
	// BenchmarkWalkBatchJobs: 2.15M to 2.05M instructions a job under
	// cachegrind.
	mem *bytes.Reader
}

// newFlateReader is the zip.Decompressor of zip.Deflate.
func newFlateReader(r io.Reader) io.ReadCloser {
	p, _ := flateReaders.Get().(*pooledFlate)
	if p == nil {
		p = &pooledFlate{br: bufio.NewReaderSize(nil, 32<<10), mem: bytes.NewReader(nil)}
	}
	var src flate.Reader = p.br
	if b, ok := heldBytesOf(r); ok {
		p.mem.Reset(b)
		src = p.mem
	} else {
		p.br.Reset(r)
	}
	if p.fr == nil {
		p.fr = flate.NewReader(src)
	} else {
		p.fr.(flate.Resetter).Reset(src, nil)
	}
	return p
}

// heldBytesOf is the bytes r reads when they are held in memory: a
// member's section (archive/zip's io.SectionReader) of a heldArchive.
func heldBytesOf(r io.Reader) ([]byte, bool) {
	sr, ok := r.(*io.SectionReader)
	if !ok {
		return nil, false
	}
	outer, off, n := sr.Outer()
	h, ok := outer.(*heldArchive)
	if !ok || off < 0 || n < 0 || off > int64(len(h.data)) || n > int64(len(h.data))-off {
		return nil, false
	}
	return h.data[off : off+n : off+n], true
}

// heldArchive is an archive held in memory (a file read whole), read by
// archive/zip through its io.ReaderAt.
type heldArchive struct {
	*bytes.Reader
	data []byte
}

func (p *pooledFlate) Read(b []byte) (int, error) {
	if p.fr == nil {
		return 0, io.ErrClosedPipe
	}
	return p.fr.Read(b)
}

// Close returns the inflater to the pool; it must not be read after.
func (p *pooledFlate) Close() error {
	if p.fr == nil {
		return nil
	}
	err := p.fr.Close()
	p.br.Reset(nil)
	p.mem.Reset(nil)
	flateReaders.Put(&pooledFlate{fr: p.fr, br: p.br, mem: p.mem})
	p.fr, p.br, p.mem = nil, nil, nil
	return err
}
