// Package discover turns the paths a user names into the inputs of one job:
// it walks folders, reads stdin, and undoes gzip, zstd and xz compression by
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
	"strings"
	"sync"
	"syscall"

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
	// SizeBytes is the size of the file on disk (0 for a stream).
	SizeBytes int64
	// Warnings are what discover noticed about the input, each naming it:
	// a compressed stream cut off, a read error part way, a special file
	// skipped, a file that could not be read at all.
	Warnings []string
	// Unreadable is set for an input with no content to read (Warnings say
	// why): it is listed so that the user sees it, and parsed by nothing.
	Unreadable bool

	file string // where the bytes are; "" for data or a stream
	// data is the bytes on disk, for an input held in memory: made from
	// bytes, or a small file read whole (then file is set too).
	data []byte
	// member is the decompressed content of an archive member, held in
	// pieces (memberContent); nil otherwise.
	member memberContent
	// whole is set when Head holds all of the decompressed content (the
	// read ended before HeadBytes): Open then reads Head, not the file again.
	whole bool
	// stream is the decompressed content after Head, for an input that can
	// be read once only (stdin, a FIFO, a character device): it is never
	// reopened nor copied to disk; Open and OpenN continue from Head.
	stream       io.Reader
	streamCloser io.Closer
	streamUsed   bool

	mu      sync.Mutex
	damaged bool // a damage warning was given (once per input)
	// shared are the readers Share prepared for parsers reading a stream
	// at the same time; sharedOpened and sharedDone count them out.
	shared                   []io.ReadCloser
	sharedOpened, sharedDone int
}

// Stream reports whether the input can be read once only (see OpenN).
func (in *Input) Stream() bool { return in.stream != nil && !in.whole }

// Open returns the decompressed content from its start. A file, or content
// held in memory, can be opened again for each parser; a stream only once
// (OpenN hands one stream to several parsers). Read errors part way (a
// compressed stream cut off, an I/O error) end the content early with a
// warning on the input (see Warnings) instead of failing the parser: what
// came before is kept.
func (in *Input) Open() (io.ReadCloser, error) {
	if rc := in.takeShared(); rc != nil {
		return rc, nil // the stream's reader has its damageCatcher
	}
	rc, err := in.open()
	if err != nil {
		return nil, err
	}
	return newDamageCatcher(in, rc), nil
}

func (in *Input) open() (io.ReadCloser, error) {
	if in.Unreadable {
		return nil, fmt.Errorf("%s: not readable", in.Path)
	}
	if in.whole {
		return io.NopCloser(bytes.NewReader(in.Head)), nil
	}
	if in.stream != nil {
		in.mu.Lock()
		used := in.streamUsed
		in.streamUsed = true
		in.mu.Unlock()
		if used {
			return nil, fmt.Errorf("%s: a stream (pipe or standard input) can be read once only", in.Path)
		}
		return readCloser{io.MultiReader(bytes.NewReader(in.Head), in.stream), in.streamCloser}, nil
	}
	if in.member != nil {
		return io.NopCloser(in.member.reader()), nil
	}
	if in.data != nil || in.file == "" {
		if in.Compression == decompress.None {
			return io.NopCloser(bytes.NewReader(in.data)), nil
		}
		rc, _, err := decompress.NewReader(bytes.NewReader(in.data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.Path, err)
		}
		return rc, nil
	}
	f, err := openRegular(in.file)
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

// Bytes is the decompressed content when it is held in memory in one
// piece: a file read whole (plain), an archive member read in one piece,
// a head that holds it all. A parser can read it in place rather than
// through Open, which hands over a copy of it, read by read; nothing can
// fail part way. The bytes may be reused once the analysis of the set is
// done (see Buffers): a parser copies out what it keeps, and must not
// modify them. ok is false for content read from disk or a stream, or
// held in pieces; Open reads it then.
func (in *Input) Bytes() (content []byte, ok bool) {
	switch {
	case in.Unreadable:
		return nil, false
	case in.whole:
		return in.Head, true
	case in.stream != nil:
		return nil, false
	case in.member != nil:
		if len(in.member) == 1 {
			return in.member[0], true
		}
		return nil, false
	case in.data != nil && in.Compression == decompress.None:
		return in.data, true
	}
	return nil, false
}

// OpenN returns n readers of the content, each from its start, to be read
// at the same time (by parsers running concurrently). For a file each is an
// Open of its own; a stream is read once and each chunk handed to every
// reader in turn (memory: one chunk), so a reader that is not read holds the
// others up: every reader must be read to its end or closed.
func (in *Input) OpenN(n int) ([]io.ReadCloser, error) {
	if !in.Stream() {
		out := make([]io.ReadCloser, 0, n)
		for range n {
			rc, err := in.Open()
			if err != nil {
				for _, c := range out {
					c.Close()
				}
				return nil, err
			}
			out = append(out, rc)
		}
		return out, nil
	}
	src, err := in.Open()
	if err != nil {
		return nil, err
	}
	out := make([]io.ReadCloser, n)
	ws := make([]*io.PipeWriter, n)
	for i := range n {
		r, w := io.Pipe()
		out[i], ws[i] = r, w
	}
	go fanOut(src, ws)
	return out, nil
}

// fanOut copies src to every writer; a writer whose reader was closed is
// dropped.
func fanOut(src io.ReadCloser, ws []*io.PipeWriter) {
	defer src.Close()
	buf := make([]byte, 64<<10)
	live := len(ws)
	for live > 0 {
		n, err := src.Read(buf)
		if n > 0 {
			for i, w := range ws {
				if w == nil {
					continue
				}
				if _, werr := w.Write(buf[:n]); werr != nil {
					ws[i] = nil
					live--
				}
			}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			for _, w := range ws {
				if w != nil {
					w.CloseWithError(err)
				}
			}
			return
		}
	}
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (r readCloser) Close() error {
	if r.c == nil {
		return nil
	}
	return r.c.Close()
}

// damageCatcher ends the content at the first read error, as if it ended
// there, and gives the input a warning saying where and how many lines came
// before: a parser keeps all it read, the analysis goes on.
type damageCatcher struct {
	in    *Input
	rc    io.ReadCloser
	bytes int64
	// count: lines are counted as they are read, where damage is common
	// (compressed content cut off, streams). A plain file's lines are
	// counted only when a read of it fails, from the file again (linesOf):
	// counting every read was 8% of the CPU of `oomlens analyze` on
	// scripts/bench-kernel.sh's 1 GiB log. Content held in memory as it is
	// (an archive member, read whole already; a plain file read whole) is
	// never counted: no read of it fails.
	count bool
	lines int64
	err   error
}

func newDamageCatcher(in *Input, rc io.ReadCloser) *damageCatcher {
	held := in.whole || in.member != nil || in.data != nil && in.Compression == decompress.None
	return &damageCatcher{in: in, rc: rc, count: !held && (in.file == "" || in.Compression != decompress.None)}
}

func (d *damageCatcher) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, io.EOF
	}
	n, err := d.rc.Read(p)
	d.bytes += int64(n)
	if d.count {
		d.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
	}
	if err != nil && err != io.EOF {
		d.err = err
		lines := d.lines
		if !d.count {
			lines = linesOf(d.in.file, d.bytes)
		}
		d.in.damage(err, d.bytes, lines)
		return n, io.EOF
	}
	return n, err
}

// linesOf counts the newlines in the first n bytes of the file at path; -1
// when it cannot read them all again.
func linesOf(path string, n int64) int64 {
	f, err := openRegular(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var lines, read int64
	r := io.LimitReader(f, n)
	for {
		k, err := r.Read(buf)
		lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
		read += int64(k)
		if err == io.EOF && read == n {
			return lines
		}
		if err != nil {
			return -1
		}
	}
}

func (d *damageCatcher) Close() error { return d.rc.Close() }

// damage gives the input its warning for a read that failed after the
// given number of bytes and whole lines of decompressed content (-1 lines:
// not known).
func (in *Input) damage(err error, n, lines int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.damaged {
		return
	}
	in.damaged = true
	read := fmt.Sprintf("the %d lines before it were read", lines)
	switch lines {
	case 1:
		read = "the line before it was read"
	case -1:
		read = "what came before it was read"
	}
	var msg string
	switch {
	case in.Compression != decompress.None && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)):
		msg = fmt.Sprintf("%s: %s stream cut off after %s; %s", in.Path, in.Compression, HumanBytes(n), read)
	case in.Compression != decompress.None:
		msg = fmt.Sprintf("%s: %s stream damaged after %s (%v); %s", in.Path, in.Compression, HumanBytes(n), plainError(err), read)
	case lines < 0:
		msg = fmt.Sprintf("%s: read error after %s: %v; %s", in.Path, HumanBytes(n), plainError(err), read)
	default:
		msg = fmt.Sprintf("%s: read error after %s (line %d): %v; %s", in.Path, HumanBytes(n), lines+1, plainError(err), read)
	}
	in.Warnings = append(in.Warnings, msg)
}

// plainError drops the package prefixes of Go's decompressors ("gzip: ",
// "flate: ") from an error's text.
func plainError(err error) string {
	s := err.Error()
	for _, p := range []string{"gzip: ", "flate: ", "zstd: ", "xz: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// HumanBytes writes n as a user reads sizes: "1.8 MB", "512 bytes".
func HumanBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// File is the path of the bytes on disk (compressed as they are), for readers
// that need random access, such as core files; "" for an input held in
// memory (see Data) or a stream.
func (in *Input) File() string { return in.file }

// Data is the content of an input held in memory, compressed as it was
// stored (a small file is read whole: see wholeFileBytes); nil for an input
// read from disk.
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

// fromMember makes an input of an archive member's content, n bytes: its
// head is the content's first piece, no copy.
func fromMember(name string, c memberContent, n int64) *Input {
	in := &Input{Path: name, member: c, SizeBytes: n}
	if len(c) == 0 {
		in.Head, in.whole = []byte{}, true
		return in
	}
	h := c[0][:min(len(c[0]), HeadBytes)]
	in.Head = h[:len(h):len(h)]
	in.whole = int64(len(in.Head)) == n
	return in
}

// DefaultMaxFiles bounds the files one folder walk takes (Options.MaxFiles):
// each input holds its head (up to HeadBytes) until the analysis ends, so
// the walk holds at most DefaultMaxFiles * HeadBytes (640 MiB).
const DefaultMaxFiles = 10000

// Options tunes Walk.
type Options struct {
	// Stdin is read when a path is "-". It is read once, as a stream: never
	// copied to disk.
	Stdin io.Reader
	// TempDir is unused (stdin is no longer copied); kept for callers.
	TempDir string
	// MaxFiles bounds the files taken from each folder given; 0 means
	// DefaultMaxFiles. The files left out are named in a warning.
	MaxFiles int
	// MaxArchiveBytes caps what one archive may decompress to;
	// 0 = DefaultMaxArchiveBytes.
	MaxArchiveBytes int64
	// MaxArchiveMembers caps the entries read from one archive; 0 means
	// DefaultMaxArchiveMembers. Those past it are left out with a warning.
	MaxArchiveMembers int
	// Members, when set, reads only the archive members whose names it
	// accepts (one job of a GitHub Actions run's logs: GitHubRunJobs).
	Members func(name string) bool
	// Label, when set, names the one path given in every input's path and
	// message instead of the path itself (batch names a job's inputs by the
	// job's name, the same on every machine).
	Label string
	// Buffers, when set, is where small files and archive members are
	// read: memory of an earlier Walk that its caller released (see
	// Buffers). nil: new memory.
	Buffers *Buffers
}

// Walk expands paths (files, folders walked in lexical order, "-" for stdin)
// into inputs and reads the head of each. A path given that does not exist is
// an error naming it; a file found that cannot be read is an input with a
// warning (Unreadable). Hidden folders (".git") are skipped. Symbolic links
// inside folders are followed, each folder and file taken once (a link loop
// is a warning); FIFOs, sockets and devices inside folders are skipped with
// a warning (opening a FIFO with no writer would block forever), while one
// named on its own (`oomlens analyze <(zcat kern.log.gz)`, /dev/stdin) is
// read once as a stream. An archive, given or found in a folder, is read
// member by member: its members are inputs named "archive/member". A file
// given that is named like an archive and is none, or an archive of which
// nothing can be read, is an error naming it; found in a folder, it is an
// input with a warning. An archive on standard input is an error: a zip
// cannot be read as a stream (give its path). The caller calls Cleanup.
func Walk(paths []string, opts Options) (*Set, error) {
	set := &Set{}
	stdinUsed := false
	maxFiles := opts.MaxFiles
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
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
			if opts.Stdin == nil {
				return set, errors.New("-: no standard input")
			}
			in, err := set.fromStream(name, opts.Stdin, nil)
			if err != nil {
				return set, err
			}
			if kind := ArchiveOf(in.Head); kind != "" {
				return set, fmt.Errorf("%s: a %s archive on standard input: give its path instead (an archive is not read as a stream)", name, kind)
			}
			set.Inputs = append(set.Inputs, in)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return set, err
		}
		switch {
		case st.IsDir():
			w := &walker{set: set, max: maxFiles, seen: map[fileID]string{}, opts: opts, root: p}
			w.dir(p, st)
			if w.over > 0 {
				set.Inputs = append(set.Inputs, &Input{Path: p, Unreadable: true, Warnings: []string{fmt.Sprintf(
					"%s: holds more than %d files; the %d after the first %d (in lexical order) were not read", p, maxFiles, w.over, maxFiles)}})
			}
		case st.Mode().IsRegular():
			if err := set.add(name, p, st.Size(), opts); err != nil {
				return set, err
			}
		default:
			// A FIFO, a character device, a socket named on its own.
			f, err := os.Open(p)
			if err != nil {
				return set, err
			}
			in, err := set.fromStream(name, f, f)
			if err != nil {
				return set, err
			}
			if kind := ArchiveOf(in.Head); kind != "" {
				return set, fmt.Errorf("%s: a %s archive in a pipe or device: give a file's path instead (an archive is not read as a stream)", name, kind)
			}
			set.Inputs = append(set.Inputs, in)
		}
	}
	return set, nil
}

// add reads the file at file, named name: an input, or the members of an
// archive. An unreadable file is an input with a warning, unless it is named
// like an archive: then, as an archive that is none or of which nothing can
// be read, it is an error.
func (s *Set) add(name, file string, size int64, opts Options) error {
	return s.take(name, s.openFile(name, file, size, opts.Buffers), opts)
}

// take adds in, the file named name as openFile read it: an input, or the
// members of an archive (see add).
func (s *Set) take(name string, in *Input, opts Options) error {
	if in.Unreadable {
		if NamedArchive(name) {
			return fmt.Errorf("%s (named like an archive)", strings.Join(in.Warnings, "; "))
		}
		s.Inputs = append(s.Inputs, in)
		return nil
	}
	if kind := ArchiveOf(in.Head); kind != "" {
		return s.readArchive(name, in, kind, opts)
	}
	if NamedArchive(name) {
		return fmt.Errorf("%s: named like an archive (%s), but its content is not a zip or tar archive", name, strings.Join(ArchiveSuffixes, ", "))
	}
	s.Inputs = append(s.Inputs, in)
	return nil
}

// fileID identifies a file or folder across the links that lead to it.
type fileID struct{ dev, ino uint64 }

func idOf(st os.FileInfo) (fileID, bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(sys.Dev), uint64(sys.Ino)}, true
}

// fileStat is what the walk needs of a file's stat.
type fileStat struct {
	size    int64
	id      fileID
	hasID   bool // id is known (idOf)
	regular bool
}

func statOf(st os.FileInfo) fileStat {
	id, ok := idOf(st)
	return fileStat{size: st.Size(), id: id, hasID: ok, regular: st.Mode().IsRegular()}
}

func statOfFile(f *os.File) (fileStat, error) {
	st, err := f.Stat()
	if err != nil {
		return fileStat{}, err
	}
	return statOf(st), nil
}

// walker walks one folder given.
type walker struct {
	set   *Set
	max   int
	n     int               // files taken
	over  int               // files left out past max
	seen  map[fileID]string // folders and files taken, and the path they were taken by
	depth int
	opts  Options
	root  string // the folder given, which opts.Label names
}

// name is how the inputs name the file at p: its path, or under a label
// the label and its path inside the folder given.
func (w *walker) name(p string) string {
	if w.opts.Label == "" {
		return p
	}
	rel, err := filepath.Rel(w.root, p)
	if err != nil {
		return p
	}
	return path.Join(w.opts.Label, filepath.ToSlash(rel))
}

// dir walks the folder p (followed through links), in lexical order. st is
// its stat, nil when not made yet (Walk's own of the folder given is not
// made twice).
func (w *walker) dir(p string, st os.FileInfo) {
	if st == nil {
		var err error
		if st, err = os.Stat(p); err != nil {
			w.warn(p, fmt.Sprintf("%s: cannot be read: %v", p, plainPathError(err)))
			return
		}
	}
	if id, ok := idOf(st); ok {
		if first, dup := w.seen[id]; dup {
			w.warn(p, fmt.Sprintf("%s: a link to folder %s, read already (a link loop?): skipped", p, first))
			return
		}
		w.seen[id] = p
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		w.warn(p, fmt.Sprintf("%s: folder cannot be read: %v", p, plainPathError(err)))
	}
	for _, e := range entries { // ReadDir sorts by name
		path := filepath.Join(p, e.Name())
		if e.IsDir() {
			if !strings.HasPrefix(e.Name(), ".") {
				w.dir(path, nil)
			}
			continue
		}
		if e.Type().IsRegular() && w.openedFile(path) {
			continue
		}
		st, err := os.Stat(path) // follows links
		if err != nil {
			w.warn(path, fmt.Sprintf("%s: cannot be read: %v", path, plainPathError(err)))
			continue
		}
		switch {
		case st.IsDir():
			if !strings.HasPrefix(e.Name(), ".") {
				w.dir(path, st)
			}
		case st.Mode().IsRegular():
			w.file(path, statOf(st), nil)
		default:
			w.warn(path, fmt.Sprintf("%s: a %s, not a regular file: skipped (name it on its own to read it)", path, kindOfFile(st.Mode())))
		}
	}
}

// openedFile takes the file at path, which its folder entry shows to be a
// regular file (not a link), opened first and then stat'ed through the open
// file, rather than stat'ed by its path and then opened: a path is looked
// up once, not twice. A lookup cost ~5 µs on the virtual machine of
// scripts/bench-batch.sh, three of them per job folder (BenchmarkRun in
// package batch). It reports false, having taken nothing, when the file
// cannot be opened or is no longer a regular file: the caller then takes
// it by its path, which says what is wrong.
func (w *walker) openedFile(path string) bool {
	f, err := openRegularFile(path)
	if err != nil {
		return false
	}
	st, err := f.stat()
	if err != nil || !st.regular {
		f.Close()
		return false
	}
	w.file(path, st, f)
	return true
}

// file takes the regular file at path, of stat st: once whatever the links
// to it, and up to the walk's cap. f is the file opened already, which file
// closes, or nil.
func (w *walker) file(path string, st fileStat, f *regularFile) {
	if st.hasID {
		if first, dup := w.seen[st.id]; dup {
			closeFile(f)
			w.warn(path, fmt.Sprintf("%s: the same file as %s (a link): read once", path, first))
			return
		}
		w.seen[st.id] = path
	}
	if w.n >= w.max {
		closeFile(f)
		w.over++
		return
	}
	w.n++
	name := w.name(path)
	var in *Input
	if f != nil {
		in = w.set.readOpened(name, path, f, st.size, w.opts.Buffers)
	} else {
		in = w.set.openFile(name, path, st.size, w.opts.Buffers)
	}
	if err := w.set.take(name, in, w.opts); err != nil {
		w.warn(name, err.Error())
	}
}

func closeFile(f *regularFile) {
	if f != nil {
		f.Close()
	}
}

// warn lists path as an input that was not read, with why.
func (w *walker) warn(path, msg string) {
	w.set.Inputs = append(w.set.Inputs, &Input{Path: path, Unreadable: true, Warnings: []string{msg}})
}

func kindOfFile(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "FIFO (named pipe)"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "block device"
	}
	return "special file"
}

// plainPathError drops the operation and path from an *fs.PathError: the
// message names the path already.
func plainPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, syscall.ELOOP) {
			return errors.New("too many levels of symbolic links (a link loop)")
		}
		return pe.Err
	}
	return err
}

// Set is the inputs of one job.
type Set struct {
	Inputs []*Input
	// Warnings are about reading the inputs: archive members skipped, an
	// archive cut off.
	Warnings []string
	closers  []io.Closer
	// heldBytes is what the set holds of files read whole (maxHeldBytes).
	heldBytes int64
}

// Cleanup closes the streams the set opened.
func (s *Set) Cleanup() {
	for _, c := range s.closers {
		c.Close()
	}
	s.closers = nil
}

// fromStream reads the head of a stream; the rest is read once, by the
// parsers, from where the head ends.
func (s *Set) fromStream(name string, r io.Reader, c io.Closer) (*Input, error) {
	in := &Input{Path: name}
	if c != nil {
		s.closers = append(s.closers, c)
	}
	rest, err := in.readHeadFrom(r, -1)
	if err != nil {
		return nil, err
	}
	if !in.whole {
		in.stream = rest
		if rc, ok := rest.(io.Closer); ok {
			in.streamCloser = rc
			s.closers = append(s.closers, rc)
		}
	} else if rc, ok := rest.(io.Closer); ok {
		rc.Close()
	}
	return in, nil
}

// A regular file of at most wholeFileBytes is read whole, in one read into
// a buffer sized from its stat, and never opened again: the parsers read it
// from memory. Larger files are read by their head, then opened again by
// each parser. A CI job's files are mostly small: reading a batch job's
// 150 KB diagnostics file took a 64 KiB head read, then four reads of it
// again (go test ./batch -bench Run: read syscalls were ~10% of a job).
// What one set holds of such files is capped at maxHeldBytes (a folder of
// 10,000 files of 1 MB is not read into 10 GB); past it, files are read by
// their head.
const (
	wholeFileBytes = 1 << 20
	maxHeldBytes   = 64 << 20
)

// openFile reads the head of a file, or all of a small one (see
// wholeFileBytes) when s is not nil; a file that cannot be read is an input
// with a warning.
func (s *Set) openFile(name, file string, size int64, bufs *Buffers) *Input {
	f, err := openRegularFile(file)
	if err != nil {
		in := &Input{Path: name, file: file, SizeBytes: size}
		in.Unreadable = true
		in.Warnings = append(in.Warnings, fmt.Sprintf("%s: cannot be read: %v", name, plainPathError(err)))
		return in
	}
	return s.readOpened(name, file, f, size, bufs)
}

// readOpened is openFile of f, the file at file opened already, which it
// closes.
func (s *Set) readOpened(name, file string, f *regularFile, size int64, bufs *Buffers) *Input {
	in := &Input{Path: name, file: file, SizeBytes: size}
	defer f.Close()
	if s != nil && size <= wholeFileBytes && s.heldBytes+size <= maxHeldBytes {
		if in.readWhole(f, size, bufs) {
			s.heldBytes += int64(len(in.data))
			return in
		}
		// Grown past its size, or an error: read as any file is, from the
		// start, so that what is reported is the same.
		in = &Input{Path: name, file: file, SizeBytes: size}
		if _, err := f.osFile().Seek(0, io.SeekStart); err != nil {
			in.Unreadable = true
			in.Warnings = append(in.Warnings, fmt.Sprintf("%s: cannot be read: %v", name, plainPathError(err)))
			return in
		}
	}
	rest, err := in.readHeadFrom(f, size)
	if err != nil {
		in.Unreadable = true
		in.Warnings = append(in.Warnings, err.Error())
		return in
	}
	if c, ok := rest.(io.Closer); ok {
		c.Close()
	}
	return in
}

// readWhole reads the file f, of size bytes by its stat, whole into in's
// data in one read, and its head from there. It reports false, having read
// nothing that counts, when the file holds more than size bytes, a read
// fails, or its compressed head is damaged: the caller then reads it as a
// larger file, which says what is wrong.
//
// The read asks for a byte more than size: a read of a regular file that
// returns fewer bytes than asked has met the end (POSIX read(2): fewer
// "if the number of bytes left in the file is less than nbyte"; Go retries
// a read a signal interrupted), so when it returns size bytes, as the stat
// said, the content is whole without a second read to meet the end, one of
// the five system calls of reading a small file (openRegularFile). Any
// other count reads on to the end as io.ReadFull does.
func (in *Input) readWhole(f *regularFile, size int64, bufs *Buffers) bool {
	buf := bufs.get(int(size) + 1) // +1: the read ends at EOF, showing the content whole
	n, err := f.Read(buf)
	if err == nil && (int64(n) != size || n == len(buf)) {
		var more int
		more, err = io.ReadFull(f, buf[n:])
		n += more
	}
	if n == len(buf) || err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return false // grown past its size, or failed
	}
	data := buf[:n:n]
	comp := decompress.Of(data[:min(n, decompress.MagicBytes)])
	if comp != decompress.None {
		in.data = data
		if err := in.readHead(bytes.NewReader(data), -1); err != nil {
			in.data = nil
			return false
		}
		return true
	}
	h := min(n, HeadBytes)
	in.Compression, in.data, in.Head, in.whole = decompress.None, data, data[:h:h], n == h
	return true
}

// readHead reads the head of the decompressed content of r.
func (in *Input) readHead(r io.Reader, size int64) error {
	rest, err := in.readHeadFrom(r, size)
	if c, ok := rest.(io.Closer); ok {
		c.Close()
	}
	return err
}

// readHeadFrom reads the head of the decompressed content and returns the
// decompressed reader positioned after it (an io.Closer when it holds a
// decompressor), so that a stream can be read on from there.
// size is the size of r's content when known (a file's), else -1: an
// uncompressed input smaller than HeadBytes gets a head buffer its size.
func (in *Input) readHeadFrom(r io.Reader, size int64) (io.Reader, error) {
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
		if m == 0 {
			return nil, fmt.Errorf("%s: cannot be read: %v", name, plainPathError(err))
		}
		r = io.MultiReader(bytes.NewReader(magic[:m]), errReader{err})
	}
	comp := decompress.Of(magic[:m])
	var rc io.Reader = r
	if comp != decompress.None {
		drc, c, err := decompress.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %s header damaged: %v", name, comp, plainError(err))
		}
		rc, comp = drc, c
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
		// A damaged stream still yields what came before the damage; the
		// parsers' read meets the damage again and warns (damageCatcher).
		if n == 0 {
			return rc, fmt.Errorf("%s: cannot be read: %v", name, plainError(err))
		}
		rc = errReader{err}
	}
	in.Head = head[:n:n]
	// Only a plain read tells a clean end (io.ReadFull's ErrUnexpectedEOF)
	// from a cut-off compressed stream, whose reader says the same.
	in.whole = comp == decompress.None && (err == io.EOF || err == io.ErrUnexpectedEOF)
	return rc, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// Share prepares a stream for n parsers that read it at the same time:
// the next n calls of Open each return a reader of the whole content, fed
// from one read of the stream (see OpenN). Each of the n callers calls Done
// when it has finished, whether it opened its reader or not, so that a
// reader nobody opened does not hold the others up. For an input that is not
// a stream, Share does nothing.
func (in *Input) Share(n int) error {
	if !in.Stream() {
		return nil
	}
	rcs, err := in.OpenN(n)
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.shared, in.sharedOpened, in.sharedDone = rcs, 0, 0
	in.mu.Unlock()
	return nil
}

// Done: see Share.
func (in *Input) Done() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.shared == nil {
		return
	}
	in.sharedDone++
	for in.sharedOpened < in.sharedDone && len(in.shared) > 0 {
		in.shared[0].Close()
		in.shared = in.shared[1:]
		in.sharedOpened++
	}
}

// takeShared returns the next reader Share prepared, if any.
func (in *Input) takeShared() io.ReadCloser {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.shared) == 0 {
		return nil
	}
	rc := in.shared[0]
	in.shared = in.shared[1:]
	in.sharedOpened++
	return rc
}
