// Package discover turns the paths a user names into the inputs of one job:
// it walks folders, reads stdin, reads the members of archives (zip, tar,
// compressed tar: archive.go), and undoes gzip, zstd and xz compression by
// the content's magic bytes (package decompress; never the file name: a
// rotated kern.log.2.gz and a CI artifact called "log" are both common). It
// knows no format: each input carries the head of its content, from which
// job's table of formats tells what it is.
package discover

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/oomlens/oomlens/decompress"
)

// HeadBytes is how much of an input's decompressed content the head holds.
const HeadBytes = 64 << 10

// Input is one file of a job.
type Input struct {
	// Path names the input in every message: the path as given or found by
	// the walk, or "-" for standard input.
	Path string
	// Compression of the file on disk, as package decompress names it
	// (decompress.None, "", when plain).
	Compression string
	// Head is the first HeadBytes of the decompressed content, what a
	// format is recognised by. It may share memory with the content: do not
	// modify it.
	Head []byte
	// SizeBytes is the size of the file on disk.
	SizeBytes int64

	file string // where the bytes are (a temp file for stdin); "" for data
	data []byte // the bytes on disk, for an input held in memory (an archive member)
	// whole is set when Head holds all of the decompressed content (the
	// read ended before HeadBytes): Open then reads Head, not the file again.
	whole bool
}

// Open returns the decompressed content from its start, so several parsers
// can read one input in turn. Content whose head holds all of it, and content
// held in memory uncompressed, is read from memory; otherwise each call
// opens the file anew.
func (in *Input) Open() (io.ReadCloser, error) {
	if in.whole {
		return io.NopCloser(bytes.NewReader(in.Head)), nil
	}
	if in.file == "" {
		if in.Compression == decompress.None {
			return io.NopCloser(bytes.NewReader(in.data)), nil
		}
		rc, _, err := decompress.NewReader(bytes.NewReader(in.data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.Path, err)
		}
		return rc, nil
	}
	f, err := os.Open(in.file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Path, err)
	}
	if in.Compression == decompress.None {
		return f, nil // the parsers buffer their reads
	}
	rc, _, err := decompress.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", in.Path, err)
	}
	return rc, nil
}

// File is the path of the bytes on disk (compressed as they are), for readers
// that need random access, such as core files; "" for an input held in
// memory (see Data).
func (in *Input) File() string { return in.file }

// Data is the content of an input held in memory, compressed as it was
// stored; nil for an input on disk.
func (in *Input) Data() []byte { return in.data }

// FromBytes makes an input of content held in memory, such as an archive
// member, and reads its head. name is used in every message about it.
func FromBytes(name string, data []byte) (*Input, error) {
	in := &Input{Path: name, data: data, SizeBytes: int64(len(data))}
	if decompress.Of(data) == decompress.None {
		// The head is the content's own start: no copy.
		n := min(len(data), HeadBytes)
		in.Head = data[:n:n]
		in.whole = n == len(data)
		return in, nil
	}
	if err := in.readHead(bytes.NewReader(data), -1); err != nil {
		return nil, err
	}
	return in, nil
}

// Options tunes Walk.
type Options struct {
	// Stdin is read when a path is "-".
	Stdin io.Reader
	// TempDir holds the copy of stdin; "" means os.TempDir().
	TempDir string
	// MaxArchiveBytes caps what one archive may decompress to;
	// 0 = DefaultMaxArchiveBytes.
	MaxArchiveBytes int64
	// Members, when set, reads only the archive members whose names it
	// accepts (one job of a GitHub Actions run's logs: GitHubRunJobs).
	Members func(name string) bool
	// Label, when set, names the one path given in every input's path and
	// message instead of the path itself (batch names a job's inputs by the
	// job's name, the same on every machine).
	Label string
}

// Walk expands paths (files, folders walked in lexical order, "-" for stdin)
// into inputs and reads the head of each. An archive, given or found in a
// folder, is read member by member: its members are inputs named
// "archive/member". A path that cannot be read is an error naming it, and
// so is a file named like an archive that is none, or an archive of which
// nothing can be read. Hidden folders (".git") are skipped. The caller
// removes the temp files with Cleanup.
func Walk(paths []string, opts Options) (*Set, error) {
	set := &Set{}
	stdinUsed := false
	if opts.Label != "" && len(paths) != 1 {
		return set, errors.New("discover: a label names one path")
	}
	for _, p := range paths {
		name := p
		if opts.Label != "" {
			name = opts.Label
		}
		if p == "-" {
			if stdinUsed {
				return set, errors.New("-: standard input named twice")
			}
			stdinUsed = true
			if err := set.fromStdin(name, opts); err != nil {
				return set, err
			}
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return set, err
		}
		if !st.IsDir() {
			if err := set.add(name, p, st.Size(), opts); err != nil {
				return set, err
			}
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return set, err
		}
		sort.Strings(files)
		for _, f := range files {
			st, err := os.Stat(f)
			if err != nil {
				return set, err
			}
			fname := f
			if opts.Label != "" {
				rel, err := filepath.Rel(p, f)
				if err != nil {
					return set, err
				}
				fname = path.Join(opts.Label, filepath.ToSlash(rel))
			}
			if err := set.add(fname, f, st.Size(), opts); err != nil {
				return set, err
			}
		}
	}
	return set, nil
}

// add reads the file at file, named name: an input, or the members of an
// archive.
func (s *Set) add(name, file string, size int64, opts Options) error {
	in, err := openFile(name, file, size)
	if err != nil {
		if NamedArchive(name) {
			return fmt.Errorf("%w (named like an archive)", err)
		}
		return err
	}
	if kind := ArchiveOf(in.Head); kind != "" {
		return s.readArchive(name, file, kind, opts)
	}
	if NamedArchive(name) {
		return fmt.Errorf("%s: named like an archive (%s), but its content is not a zip or tar archive", name, strings.Join(ArchiveSuffixes, ", "))
	}
	s.Inputs = append(s.Inputs, in)
	return nil
}

// Set is the inputs of one job.
type Set struct {
	Inputs []*Input
	// Warnings are about reading the inputs: archive members skipped, an
	// archive cut off.
	Warnings []string
	temps    []string
}

// Cleanup removes the temporary copy of stdin, if any.
func (s *Set) Cleanup() {
	for _, t := range s.temps {
		os.Remove(t)
	}
	s.temps = nil
}

func (s *Set) fromStdin(name string, opts Options) error {
	if opts.Stdin == nil {
		return errors.New("-: no standard input")
	}
	tmp, err := os.CreateTemp(opts.TempDir, "oomlens-stdin-*")
	if err != nil {
		return fmt.Errorf("-: %w", err)
	}
	s.temps = append(s.temps, tmp.Name())
	n, err := io.Copy(tmp, opts.Stdin)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("-: reading standard input: %w", err)
	}
	return s.add(name, tmp.Name(), n, opts)
}

func openFile(name, file string, size int64) (*Input, error) {
	in := &Input{Path: name, file: file, SizeBytes: size}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := in.readHead(f, size); err != nil {
		return nil, err
	}
	return in, nil
}

// readHead reads the head of the decompressed content.
// size is the size of r's content when known (a file's), else -1: an
// uncompressed input smaller than HeadBytes gets a head buffer its size.
func (in *Input) readHead(r io.Reader, size int64) error {
	name := in.Path
	// The magic bytes, as decompress peeks them; plain content (the common
	// case) is then read straight into the head, with no buffer between.
	var magic [decompress.MagicBytes]byte
	m, err := io.ReadFull(r, magic[:])
	switch err {
	case nil:
		r = io.MultiReader(bytes.NewReader(magic[:]), r)
	case io.EOF, io.ErrUnexpectedEOF:
		r = bytes.NewReader(magic[:m])
	default:
		r = io.MultiReader(bytes.NewReader(magic[:m]), errReader{err})
	}
	comp := decompress.Of(magic[:m])
	rc := io.NopCloser(r)
	if comp != decompress.None {
		if rc, comp, err = decompress.NewReader(r); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer rc.Close()
	}
	in.Compression = comp
	bufLen := HeadBytes
	if comp == decompress.None && size >= 0 && size < HeadBytes {
		bufLen = int(size) + 1 // +1: the read ends at EOF, showing the content whole
	}
	head := make([]byte, bufLen)
	n, err := io.ReadFull(rc, head)
	if err == nil && n < HeadBytes {
		// The content outgrew its size: read on up to HeadBytes.
		head = append(head, make([]byte, HeadBytes-n)...)
		var m int
		m, err = io.ReadFull(rc, head[n:])
		n += m
	}
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		// A damaged compressed stream still yields what came before the damage.
		if n == 0 {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	in.Head = head[:n:n]
	// Only a plain read tells a clean end (io.ReadFull's ErrUnexpectedEOF)
	// from a cut-off compressed stream, whose reader says the same.
	in.whole = comp == decompress.None && (err == io.EOF || err == io.ErrUnexpectedEOF)
	return nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
