package batch

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/oomlens/oomlens/decompress"
	"github.com/oomlens/oomlens/discover"
)

// DefaultMaxJobBytes caps the bytes decompressed for one archived job.
const DefaultMaxJobBytes = 1 << 30

// ErrTooLarge is returned when a job decompresses to more than its cap: a
// decompression bomb, or a job larger than the user allowed.
var ErrTooLarge = errors.New("decompresses to more than the per-job cap (--max-job-bytes)")

// Loaded is a job read into inputs.
type Loaded struct {
	Set      *discover.Set
	Warnings []string
}

// Load reads a job's inputs. A folder is walked as `analyze` walks it; an
// archive is read into memory member by member, each member decompressed
// (gzip, zstd, xz) as it is read, with at most maxBytes decompressed in all.
// Members that would escape the archive (absolute paths, `..`) and links are
// skipped with a warning; they are never followed or written anywhere.
func Load(job Job, maxBytes int64) (*Loaded, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxJobBytes
	}
	if !job.Archive {
		set, err := discover.Walk([]string{job.Path}, discover.Options{})
		if err != nil {
			set.Cleanup()
			return nil, err
		}
		return &Loaded{Set: set}, nil
	}
	a := &archiveReader{job: job, budget: maxBytes, set: &discover.Set{}}
	f, err := os.Open(job.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if isZip(head[:n]) {
		err = a.readZip(f)
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		err = a.readTar(f)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", job.Path, err)
	}
	return &Loaded{Set: a.set, Warnings: a.warnings}, nil
}

// maxPresize bounds the buffer made for a member from the size its archive
// declares, which may lie; a larger member grows its buffer as it is read.
const maxPresize = 64 << 20

// readAll reads r to its end into a buffer made for size bytes (+1, so that
// the end is seen without growing it).
func readAll(r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, max(size, 0)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type archiveReader struct {
	job      Job
	budget   int64
	set      *discover.Set
	warnings []string
}

func (a *archiveReader) warnf(format string, args ...any) {
	a.warnings = append(a.warnings, a.job.Name+": "+fmt.Sprintf(format, args...))
}

// safeName reports whether an archive member's name stays inside the
// archive: relative, with no `..` element.
func safeName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || strings.Contains(name, `:\`) {
		return false
	}
	for _, el := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if el == ".." {
			return false
		}
	}
	return true
}

func (a *archiveReader) readZip(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	for _, m := range zr.File {
		if m.FileInfo().IsDir() {
			continue
		}
		if !safeName(m.Name) {
			a.warnf("member %q escapes the archive: skipped", m.Name)
			continue
		}
		if m.Mode()&os.ModeSymlink != 0 || !m.Mode().IsRegular() {
			a.warnf("member %q is a link or special file: skipped", m.Name)
			continue
		}
		rc, err := m.Open()
		if err != nil {
			a.warnf("member %q: %v: skipped", m.Name, err)
			continue
		}
		err = a.add(m.Name, rc, int64(min(m.UncompressedSize64, 1<<62)))
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *archiveReader) readTar(f *os.File) error {
	rc, _, err := decompress.NewReader(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if len(a.set.Inputs) > 0 {
				a.warnf("archive cut off or damaged after %d members: %v", len(a.set.Inputs), err)
				return nil
			}
			return fmt.Errorf("tar: %w", err)
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg, tar.TypeRegA:
		default:
			a.warnf("member %q is a link or special file: skipped", h.Name)
			continue
		}
		if !safeName(h.Name) {
			a.warnf("member %q escapes the archive: skipped", h.Name)
			continue
		}
		if err := a.add(h.Name, tr, h.Size); err != nil {
			return err
		}
	}
}

// add reads one member, undoes its own compression within the budget, and
// sniffs it. size is the size the archive declares for it (a hint: it
// sizes the buffer of a plain member, which is then read with no copy
// beyond the one into that buffer).
func (a *archiveReader) add(name string, r io.Reader, size int64) error {
	name = path.Clean(strings.ReplaceAll(name, `\`, "/"))
	if path.Base(name)[0] == '.' {
		return nil
	}
	// The magic bytes tell a compressed member; they are read again below.
	var magic [decompress.MagicBytes]byte
	n, err := io.ReadFull(r, magic[:])
	switch err {
	case nil:
		r = io.MultiReader(bytes.NewReader(magic[:]), r)
	case io.EOF, io.ErrUnexpectedEOF:
		r = bytes.NewReader(magic[:n]) // the whole member
	default:
		// the read below reports it, after the bytes before it
		r = io.MultiReader(bytes.NewReader(magic[:n]), errReader{err})
	}
	var data []byte
	if decompress.Of(magic[:n]) == decompress.None {
		data, err = readAll(io.LimitReader(r, a.budget+1), min(size, a.budget, maxPresize))
	} else {
		dr, _, derr := decompress.NewReader(r)
		if derr != nil {
			a.warnf("member %q: %v: skipped", name, derr)
			return nil
		}
		data, err = readAll(io.LimitReader(dr, a.budget+1), 0)
		dr.Close()
	}
	if int64(len(data)) > a.budget {
		return ErrTooLarge
	}
	a.budget -= int64(len(data))
	if err != nil {
		a.warnf("member %q cut off: %v (kept the %d bytes read)", name, err, len(data))
	}
	in, err := discover.FromBytes(a.job.Name+"/"+name, data)
	if err != nil {
		a.warnf("member %q: %v: skipped", name, err)
		return nil
	}
	a.set.Inputs = append(a.set.Inputs, in)
	return nil
}
