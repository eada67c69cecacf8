package discover

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/oomlens/oomlens/decompress"
)

// Archives are read here, for analyze and batch alike: a job is often
// handed over as one file (a CI artifact .zip, a .tar.gz of the job's
// folder). What is an archive comes from the content: a zip's local file
// header or end record (APPNOTE.TXT 4.3.7, 4.3.16), a POSIX or GNU tar
// header (magic "ustar" at offset 257), plain or compressed (gzip, zstd, xz).
// A file whose name says archive (ArchiveSuffixes) and whose content is none
// is an error naming it, never an input that nothing recognises.

// DefaultMaxArchiveBytes caps the bytes decompressed from one archive.
const DefaultMaxArchiveBytes = 1 << 30

// DefaultMaxArchiveMembers caps the entries (members, folders, links) read
// from one archive (Options.MaxArchiveMembers), as DefaultMaxFiles caps a
// folder walk: a tar.gz of a million empty members is a few megabytes, and
// each member read is an input with its own head, parsers and warnings.
const DefaultMaxArchiveMembers = 10000

// ErrTooLarge is returned when an archive decompresses to more than its cap:
// a decompression bomb, or a job larger than the user allowed.
var ErrTooLarge = errors.New("decompresses to more than the cap on one archive (batch --max-job-bytes)")

// ArchiveSuffixes are the file names that claim an archive.
var ArchiveSuffixes = []string{".zip", ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".txz"}

// NamedArchive reports whether name ends in one of ArchiveSuffixes.
func NamedArchive(name string) bool {
	lower := strings.ToLower(name)
	for _, s := range ArchiveSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// Archive kinds, as ArchiveOf names them.
const (
	ArchiveZip = "zip"
	ArchiveTar = "tar" // plain or compressed (Input.Compression)
)

// ArchiveOf names the archive whose decompressed head is head: ArchiveZip,
// ArchiveTar, or "" for none.
func ArchiveOf(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return ArchiveZip
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return ArchiveTar
	}
	return ""
}

// IsArchive reports whether the file at p is an archive, by its content,
// or one named so (read as an archive, it is then reported as a damaged
// one, never taken for an input).
func IsArchive(p string) (bool, error) {
	if NamedArchive(p) {
		return true, nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return false, err
	}
	var none *Set // the head alone: no file is read whole
	in := none.openFile(p, p, st.Size(), nil)
	if in.Unreadable {
		return false, nil // an input, reported as such when read
	}
	return ArchiveOf(in.Head) != "", nil
}

// archiveReader reads the members of one archive into inputs.
type archiveReader struct {
	name   string // the archive, as every message names it
	budget int64
	// entries counts the archive's entries seen, maxEntries caps them.
	entries, maxEntries int
	members             func(string) bool
	bufs                *Buffers
	inputs              []*Input
	warnings            []string
	failed              []string
}

func (a *archiveReader) warnf(format string, args ...any) {
	a.warnings = append(a.warnings, a.name+": "+fmt.Sprintf(format, args...))
}

// readArchive reads the archive in (of kind, named name in messages) into
// inputs named name/member: from memory when the file was small enough to
// be read whole, else from its file. Members that would escape the archive
// (absolute paths, `..`) and links are skipped with a warning; they are
// never followed or written anywhere. Damage after some members were read
// is a warning (the rest of the job stands); an archive of which nothing can
// be read is an error.
func (s *Set) readArchive(name string, in *Input, kind string, opts Options) error {
	a := &archiveReader{name: name, budget: opts.MaxArchiveBytes, maxEntries: opts.MaxArchiveMembers, members: opts.Members, bufs: opts.Buffers}
	if a.budget <= 0 {
		a.budget = DefaultMaxArchiveBytes
	}
	if a.maxEntries <= 0 {
		a.maxEntries = DefaultMaxArchiveMembers
	}
	var r interface {
		io.Reader
		io.ReaderAt
	}
	size := int64(len(in.data))
	if in.data != nil {
		r = &heldArchive{Reader: bytes.NewReader(in.data), data: in.data}
	} else {
		f, err := openRegular(in.file)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r, size = f, st.Size()
	}
	var err error
	if kind == ArchiveZip {
		err = a.readZip(r, size)
	} else {
		err = a.readTar(r)
	}
	if err == nil && len(a.inputs) == 0 && len(a.failed) > 0 {
		err = fmt.Errorf("no member could be read: %s", a.failed[0])
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.Inputs = append(s.Inputs, a.inputs...)
	s.Warnings = append(s.Warnings, a.warnings...)
	return nil
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

func (a *archiveReader) readZip(f io.ReaderAt, size int64) error {
	zr, listing, err := openZip(f, size, a.maxEntries, maxZipDirectoryBytes)
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	zr.RegisterDecompressor(zip.Deflate, newFlateReader)
	if listing.Cut() {
		defer a.zipCut(listing)
	}
	if len(zr.File) == 0 {
		// An empty archive is only its end record; a local file header at
		// the start means members the central directory does not list.
		head := make([]byte, 4)
		if n, _ := f.ReadAt(head, 0); n == 4 && bytes.Equal(head, []byte("PK\x03\x04")) {
			return errors.New("zip: the central directory lists no member, but the archive starts with one: damaged")
		}
	}
	if a.members == nil {
		if run := gitHubRunJobs(zr.File); run != nil {
			// A GitHub Actions run's logs: each job once, from its whole
			// log (its step logs repeat it) or its step logs.
			read := map[string]bool{}
			for _, j := range run {
				for _, m := range j.Members {
					read[m] = true
				}
			}
			a.members = func(name string) bool { return read[name] }
		}
	}
	for _, m := range zr.File {
		a.entry() // the listing holds no more than the cap
		if m.FileInfo().IsDir() || (a.members != nil && !a.members(m.Name)) {
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
			a.fail(m.Name, err)
			continue
		}
		declared := int64(-1)
		if m.UncompressedSize64 < 1<<62 {
			declared = int64(m.UncompressedSize64)
		}
		err = a.add(m.Name, rc, declared)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// entry counts one more entry of the archive and reports whether it is
// within the cap.
func (a *archiveReader) entry() bool {
	a.entries++
	return a.entries <= a.maxEntries
}

// overCap warns that the archive holds more entries than the cap, left
// unread: left of them when known (a zip's listing), or -1 (a tar, which is
// not read further to count them).
func (a *archiveReader) overCap(left int) {
	if left >= 0 {
		a.warnf("holds %d entries, more than the cap of %d: the %d after the first %d were not read", a.maxEntries+left, a.maxEntries, left, a.maxEntries)
		return
	}
	a.warnf("holds more than the cap of %d entries: those after the first %d were not read", a.maxEntries, a.maxEntries)
}

// zipCut warns that the zip's listing was cut (openZip): at the cap on
// entries, or at the cap on the bytes of its central directory.
func (a *archiveReader) zipCut(l zipListing) {
	if l.Listed >= a.maxEntries {
		a.overCap(l.Entries - l.Listed)
		return
	}
	a.warnf("its central directory lists %d entries in %s, more than the %s read: the %d after the first %d were not read",
		l.Entries, HumanBytes(l.DirectoryBytes), HumanBytes(maxZipDirectoryBytes), l.Entries-l.Listed, l.Listed)
}

// fail records a member that could not be read at all.
func (a *archiveReader) fail(member string, err error) {
	msg := fmt.Sprintf("member %q: %v", member, err)
	a.failed = append(a.failed, msg)
	a.warnf("%s: skipped", msg)
}

func (a *archiveReader) readTar(f io.Reader) error {
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
			if len(a.inputs) > 0 {
				a.warnf("archive cut off or damaged after %d members: %v", len(a.inputs), err)
				return nil
			}
			return fmt.Errorf("tar: %w", err)
		}
		if !a.entry() {
			a.overCap(-1)
			return nil
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg, tar.TypeRegA:
		default:
			a.warnf("member %q is a link or special file: skipped", h.Name)
			continue
		}
		if a.members != nil && !a.members(h.Name) {
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

// memberChunkBytes is the largest piece a member is held in. A member is
// read into pieces, never into one buffer sized from the size its archive
// declares (which may lie: 400 members declaring 60 MiB each are 24 GB) nor
// regrown by copying: what a member holds is its bytes, within one piece of
// slack while it is read and none after (the last piece is trimmed).
const memberChunkBytes = 1 << 20

// memberContent is an archive member held in memory, decompressed, in
// pieces: the first holds its head (up to HeadBytes, so that Head needs no
// copy), the rest at most memberChunkBytes each.
type memberContent [][]byte

// readMember reads r to its end, or to limit bytes (then more is true),
// into pieces from bufs. declared is the size the archive declares (-1 when
// unknown). It sizes the pieces only as far as the bytes read bear it out:
// the first piece is at most HeadBytes, and the next are sized by what it
// declares is left only once the first is full (a member that declares
// less than memberChunkBytes then moves into one piece of that size, a
// copy of HeadBytes, so that it is held whole: Input.Bytes). So a member
// that tells the truth is read into one piece, or two when it is larger
// than memberChunkBytes; a member that lies costs at most HeadBytes, or a
// piece beyond what it held, which is trimmed as any last piece is.
func readMember(r io.Reader, limit, declared int64, bufs *Buffers) (c memberContent, n int64, more bool, err error) {
	size := 4 << 10 // the first piece grows by doubling up to HeadBytes
	if declared >= 0 {
		size = int(min(declared+1, HeadBytes)) // +1: the read that meets the end
	}
	var buf []byte
	for {
		if buf == nil {
			buf = bufs.get(int(min(int64(size), limit-n+1)))[:0]
		}
		m, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		n += int64(m)
		if n > limit {
			return c, n, true, nil
		}
		if rerr != nil || len(buf) == cap(buf) {
			switch {
			case len(c) == 0 && len(buf) == cap(buf) && cap(buf) < HeadBytes && rerr == nil:
				// The head piece grows (a copy of at most HeadBytes).
				size = min(2*cap(buf), HeadBytes)
				buf = append(bufs.get(size)[:0], buf...)
				continue
			case len(c) == 0 && len(buf) == cap(buf) && rerr == nil && declared > n && declared < memberChunkBytes:
				// The head piece is full and the member declares more,
				// within one piece: the head moves into a piece of the
				// declared size (a copy of HeadBytes), so that the member
				// is held in one piece, which a parser reads in place
				// (Input.Bytes) rather than copy it into a buffer of its
				// own. A member that lies costs what a second piece of
				// the declared size would.
				buf = append(bufs.get(int(min(declared, limit) + 1))[:0], buf...)
				continue
			case len(buf) > 0:
				if bufs == nil && cap(buf)-len(buf) > 4<<10 {
					// Trim the slack of the last piece (in reused
					// buffers the slack is the next job's).
					buf = bytes.Clone(buf)
				}
				c = append(c, buf)
				size = min(2*max(size, cap(buf)), memberChunkBytes)
				if declared > n {
					size = int(min(declared-n+1, memberChunkBytes))
				}
			}
			buf = nil
		}
		if rerr == io.EOF {
			return c, n, false, nil
		}
		if rerr != nil {
			return c, n, false, rerr
		}
	}
}

// lines counts the member's lines (newlines).
func (c memberContent) lines() int64 {
	var n int64
	for _, b := range c {
		n += int64(bytes.Count(b, []byte{'\n'}))
	}
	return n
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// memberDamage says in the user's words what ended a member early, and what
// of it was kept (lines): its bytes in the archive (stored, as the archive
// holds them uncompressed) ended before the size its header declares (the
// archive was cut, or its header lies), its own compression (comp: a
// kern.log.gz in a tar) was cut or damaged after decompressed bytes of
// content, or its checksum does not match (all of it was read).
func memberDamage(err error, comp string, stored, declared, decompressed, lines int64) string {
	read := fmt.Sprintf("the %d lines before it were read", lines)
	if lines == 1 {
		read = "the line before it was read"
	}
	eof := errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Sprintf("its checksum is not the one the archive declares (damaged in the archive); its %s (%d lines) were read as they are", HumanBytes(stored), lines)
	case eof && declared >= 0 && stored < declared:
		return fmt.Sprintf("cut off after %s of the %s it declares; %s", HumanBytes(stored), HumanBytes(declared), read)
	case eof && comp != decompress.None:
		return fmt.Sprintf("%s stream cut off after %s; %s", comp, HumanBytes(decompressed), read)
	case eof:
		return fmt.Sprintf("cut off after %s; %s", HumanBytes(stored), read)
	case comp != decompress.None:
		return fmt.Sprintf("%s stream damaged after %s (%s); %s", comp, HumanBytes(decompressed), plainError(err), read)
	}
	return fmt.Sprintf("damaged after %s (%s); %s", HumanBytes(stored), plainError(err), read)
}

// reader reads the member from its start.
func (c memberContent) reader() io.Reader {
	rs := make([]io.Reader, len(c))
	for i, b := range c {
		rs[i] = bytes.NewReader(b)
	}
	return io.MultiReader(rs...)
}

// peekReaders buffer a member while its magic bytes are peeked (then the
// reads of the member's content, larger than the buffer, go past it).
var peekReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}

// add reads one member, undoes its own compression within the budget, and
// holds it (readMember). The size its archive declares (declared, -1 when
// unknown) is never used to hold it, as it may lie; it only says, when the
// member ends early, how much is missing.
func (a *archiveReader) add(name string, r io.Reader, declared int64) error {
	name = path.Clean(strings.ReplaceAll(name, `\`, "/"))
	if path.Base(name)[0] == '.' {
		return nil
	}
	stored := &countingReader{r: r}
	br := peekReaders.Get().(*bufio.Reader)
	br.Reset(stored)
	defer func() {
		br.Reset(nil)
		peekReaders.Put(br)
	}()
	magic, _ := br.Peek(decompress.MagicBytes)
	var src io.Reader = br
	comp := decompress.Of(magic)
	if comp != decompress.None {
		dr, _, derr := decompress.NewReader(br)
		if derr != nil {
			a.fail(name, derr)
			return nil
		}
		defer dr.Close()
		src = dr
	}
	hint := declared
	if comp != decompress.None {
		hint = -1 // the member's own compression: its size says nothing
	}
	c, n, more, err := readMember(src, a.budget, hint, a.bufs)
	if more {
		return ErrTooLarge
	}
	a.budget -= n
	if err != nil {
		if n == 0 {
			a.fail(name, err)
			return nil
		}
		a.warnf("member %s: %s", name, memberDamage(err, comp, stored.n, declared, n, c.lines()))
	}
	a.inputs = append(a.inputs, fromMember(a.name+"/"+name, c, n))
	return nil
}

// ArchiveJob is one job of an archive that holds several: its name and the
// members that are its inputs.
type ArchiveJob struct {
	Name    string
	Members []string
}

// gitHubJobLog is a top-level job log of a GitHub Actions run-logs zip:
// "3_build (3.11).txt" (an ordinal, or the negative id of the old service).
// gitHubStepLog is a step's log, in a folder named after the job:
// "build (3.11)/4_Run tests.txt". Layout as the REST API's "download
// workflow run logs" serves it, and as GitHub's own CLI reads it
// (cli/cli pkg/cmd/run/view/logs.go).
var (
	gitHubJobLog  = regexp.MustCompile(`^(-?\d+)_(.+)\.txt$`)
	gitHubStepLog = regexp.MustCompile(`^([^/]+)/(\d+)_.*\.txt$`)
)

// GitHubRunJobs reads the listing of the zip at p and, when it is the logs
// of a GitHub Actions workflow run (every member a job log "N_job.txt" or a
// step log "job/N_step.txt"), returns each job of the run: its top-level
// log, which holds every step, or its step logs in step order when the
// top-level one is missing. It returns nil for any other archive or what
// is no zip (the archive reader reports that).
func GitHubRunJobs(p string) []ArchiveJob {
	f, err := openRegularFile(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.stat()
	if err != nil {
		return nil
	}
	if !mayBeGitHubRun(&tailCache{r: f}, st.size) {
		return nil
	}
	zr, _, err := openZip(f, st.size, DefaultMaxArchiveMembers, maxZipDirectoryBytes)
	if err != nil {
		return nil
	}
	return gitHubRunJobs(zr.File)
}

// mayBeGitHubRun reports false when the first entry of the zip's central
// directory is a file that is neither a job's log nor a step's:
// gitHubRunJobs would say nil. Listing every zip of a batch (archive/zip
// reads the whole directory into a *zip.File each) only to find a job's
// own files was a third of finding 10,000 jobs (BenchmarkFindJobs). When
// unsure (a folder, a directory that cannot be read here), it reports true
// and the listing decides.
func mayBeGitHubRun(r io.ReaderAt, size int64) bool {
	start, _, ok := zipDirectoryStart(r, size)
	if !ok {
		return true
	}
	var h [zipDirHeaderLen]byte
	if _, err := r.ReadAt(h[:], start); err != nil || binary.LittleEndian.Uint32(h[:]) != zipDirHeaderSig {
		return true
	}
	name := make([]byte, binary.LittleEndian.Uint16(h[28:]))
	if _, err := r.ReadAt(name, start+zipDirHeaderLen); err != nil {
		return true
	}
	attrs := binary.LittleEndian.Uint32(h[38:])
	if len(name) == 0 || name[len(name)-1] == '/' || attrs&0x10 != 0 || (attrs>>16)&0xf000 == 0x4000 {
		return true // a folder, by its name, its MS-DOS or its Unix attributes
	}
	n := string(name)
	return gitHubStepLog.MatchString(n) || gitHubJobLog.MatchString(n) && !strings.Contains(n, "/")
}

// tailCache is r, whose last read of at least tailCacheMin bytes it keeps
// and serves the reads within it from: the end record and the first
// header of a small zip's central directory (mayBeGitHubRun) are mostly
// in the last KiB that zipDirectoryStart reads. Three reads of each zip
// (pread) were three of the seven system calls of telling a batch's
// zipped job from a run's logs, ~1.5-2 µs of CPU each on the virtual
// machine of scripts/bench-batch.sh (see regularFile).
type tailCache struct {
	r   io.ReaderAt
	off int64
	buf []byte
}

const tailCacheMin = 1 << 10

func (c *tailCache) ReadAt(p []byte, off int64) (int, error) {
	if at := off - c.off; c.buf != nil && at >= 0 && at <= int64(len(c.buf)) && int64(len(p)) <= int64(len(c.buf))-at {
		return copy(p, c.buf[at:]), nil
	}
	n, err := c.r.ReadAt(p, off)
	if n >= tailCacheMin {
		c.off, c.buf = off, append(c.buf[:0], p[:n]...)
	}
	return n, err
}

// gitHubRunJobs is GitHubRunJobs over a zip's listing.
func gitHubRunJobs(files []*zip.File) []ArchiveJob {
	type job struct {
		order int
		top   string
		steps map[int]string
	}
	jobs := map[string]*job{}
	get := func(name string) *job {
		j := jobs[name]
		if j == nil {
			j = &job{order: len(jobs), steps: map[int]string{}}
			jobs[name] = j
		}
		return j
	}
	for _, f := range files {
		if f.FileInfo().IsDir() {
			continue
		}
		if m := gitHubStepLog.FindStringSubmatch(f.Name); m != nil {
			n, _ := strconv.Atoi(m[2])
			get(m[1]).steps[n] = f.Name
			continue
		}
		if m := gitHubJobLog.FindStringSubmatch(f.Name); m != nil && !strings.Contains(f.Name, "/") {
			j := get(m[2])
			if j.top != "" {
				return nil // two logs of one job name: not the layout
			}
			j.top = f.Name
			continue
		}
		return nil
	}
	if len(jobs) == 0 {
		return nil
	}
	out := make([]ArchiveJob, 0, len(jobs))
	for name, j := range jobs {
		aj := ArchiveJob{Name: name}
		if j.top != "" {
			aj.Members = []string{j.top}
		} else {
			nums := make([]int, 0, len(j.steps))
			for n := range j.steps {
				nums = append(nums, n)
			}
			sort.Ints(nums)
			for _, n := range nums {
				aj.Members = append(aj.Members, j.steps[n])
			}
		}
		out = append(out, aj)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}
