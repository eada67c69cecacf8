package discover

import (
	"bufio"
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
}

// newFlateReader is the zip.Decompressor of zip.Deflate.
func newFlateReader(r io.Reader) io.ReadCloser {
	p, _ := flateReaders.Get().(*pooledFlate)
	if p == nil {
		br := bufio.NewReaderSize(r, 32<<10)
		return &pooledFlate{fr: flate.NewReader(br), br: br}
	}
	p.br.Reset(r)
	p.fr.(flate.Resetter).Reset(p.br, nil)
	return p
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
	flateReaders.Put(&pooledFlate{fr: p.fr, br: p.br})
	p.fr, p.br = nil, nil
	return err
}
