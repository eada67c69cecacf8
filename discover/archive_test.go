package discover

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

const pytestLine = "tests/test_a.py::test_one PASSED [ 50%]\ntests/test_a.py::test_two "

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

type member struct {
	name string
	data []byte
	link bool
}

func tarBytes(t *testing.T, comp string, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}
		if m.link {
			h = &tar.Header{Name: m.name, Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if !m.link {
			tw.Write(m.data)
		}
	}
	tw.Close()
	out := buf.Bytes()
	switch comp {
	case "gz":
		out = gz(out)
	case "zst":
		var zb bytes.Buffer
		zw, _ := zstd.NewWriter(&zb)
		zw.Write(out)
		zw.Close()
		out = zb.Bytes()
	case "xz":
		var xb bytes.Buffer
		xw, _ := xz.NewWriter(&xb)
		xw.Write(out)
		xw.Close()
		out = xb.Bytes()
	}
	return out
}

func zipBytes(t *testing.T, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		if m.link {
			h.SetMode(os.ModeSymlink | 0o777)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	zw.Close()
	return buf.Bytes()
}

func write(t *testing.T, p string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWalkReadsArchives(t *testing.T) {
	dir := t.TempDir()
	members := []member{
		{name: "logs/kern.log.gz", data: gz([]byte(kernelLine))},
		{name: "pytest.log", data: []byte(pytestLine)},
		{name: "../../etc/evil", data: []byte("x")},
		{name: "/abs/evil", data: []byte("x")},
		{name: "link", link: true},
	}
	files := map[string][]byte{
		"job.tar":     tarBytes(t, "", members),
		"job.tar.gz":  tarBytes(t, "gz", members),
		"job.tgz":     tarBytes(t, "gz", members),
		"job.tar.zst": tarBytes(t, "zst", members),
		"job.tar.xz":  tarBytes(t, "xz", members),
		"job.zip":     zipBytes(t, members),
		"artifact":    zipBytes(t, members), // the content says archive, not the name
	}
	for name, b := range files {
		p := write(t, filepath.Join(dir, name), b)
		set, err := Walk([]string{p}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(set.Inputs) != 2 {
			t.Fatalf("%s: %d inputs, want 2", name, len(set.Inputs))
		}
		k, py := set.Inputs[0], set.Inputs[1]
		if k.Path != p+"/logs/kern.log.gz" || !bytes.Equal(k.Head, []byte(kernelLine)) {
			t.Errorf("%s: kernel member %s %q", name, k.Path, k.Head)
		}
		if py.Path != p+"/pytest.log" || string(py.Head) != pytestLine {
			t.Errorf("%s: pytest member %s %q", name, py.Path, py.Head)
		}
		warn := strings.Join(set.Warnings, "\n")
		for _, w := range []string{`"../../etc/evil" escapes`, `"/abs/evil" escapes`, `"link" is a link`} {
			if !strings.Contains(warn, w) {
				t.Errorf("%s: no warning %q in\n%s", name, w, warn)
			}
		}
	}
	// An archive in a folder is read as part of it, and a label names it.
	os.Mkdir(filepath.Join(dir, "job"), 0o755)
	write(t, filepath.Join(dir, "job", "ci.log"), []byte(pytestLine))
	write(t, filepath.Join(dir, "job", "artifacts.zip"), zipBytes(t, members[:1]))
	set, err := Walk([]string{filepath.Join(dir, "job")}, Options{Label: "my-job"})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, in := range set.Inputs {
		paths = append(paths, in.Path)
	}
	if want := []string{"my-job/artifacts.zip/logs/kern.log.gz", "my-job/ci.log"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
}

// brokenCentralDirectory is a zip whose end record lists one entry more
// than its central directory holds.
func brokenCentralDirectory(t *testing.T) []byte {
	b := zipBytes(t, []member{{name: "kern.log", data: []byte(kernelLine)}})
	end := bytes.LastIndex(b, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(b[end+8:], 2)  // entries on this disk
	binary.LittleEndian.PutUint16(b[end+10:], 2) // entries in all
	return b
}

// emptiedCentralDirectory keeps the members but says the directory is empty.
func emptiedCentralDirectory(t *testing.T) []byte {
	b := zipBytes(t, []member{{name: "kern.log", data: []byte(kernelLine)}})
	end := bytes.LastIndex(b, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(b[end+8:], 0)
	binary.LittleEndian.PutUint16(b[end+10:], 0)
	binary.LittleEndian.PutUint32(b[end+12:], 0)           // directory size
	binary.LittleEndian.PutUint32(b[end+16:], uint32(end)) // directory offset: the end record
	return b
}

// TestWalkDamagedArchivesAreErrors: an archive nothing can be read from,
// or a file named like one that is none, is an error naming the file, never
// a job with no evidence.
func TestWalkDamagedArchivesAreErrors(t *testing.T) {
	dir := t.TempDir()
	random := make([]byte, 4096)
	rand.New(rand.NewSource(1)).Read(random)
	gzRandom := append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, random...)
	full := tarBytes(t, "gz", []member{{name: "kern.log", data: bytes.Repeat([]byte(kernelLine), 200)}})
	for name, b := range map[string][]byte{
		"random.tgz":        random,
		"random.zip":        random,
		"random.tar.zst":    random,
		"gzip-garbage.tgz":  gzRandom,
		"bad.zip":           []byte("PK\x03\x04 this is not a zip"),
		"count.zip":         brokenCentralDirectory(t),
		"emptied-dir.zip":   emptiedCentralDirectory(t),
		"cut-in-header.tgz": full[:30],
		"text.tar.gz":       gz([]byte(kernelLine)), // a gzipped log is no tar
	} {
		p := write(t, filepath.Join(dir, name), b)
		set, err := Walk([]string{p}, Options{})
		if err == nil {
			t.Errorf("%s: no error; %d inputs", name, len(set.Inputs))
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
}

// TestWalkCutArchiveKeepsWhatWasRead: a .tar.gz cut after its first member
// keeps that member and warns of the cut.
func TestWalkCutArchiveKeepsWhatWasRead(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("x"), 1<<20)
	full := tarBytes(t, "gz", []member{{name: "kern.log", data: []byte(kernelLine)}, {name: "big.log", data: big}, {name: "after.log", data: big}})
	p := write(t, filepath.Join(dir, "cut.tar.gz"), full[:len(full)/2])
	set, err := Walk([]string{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Inputs) < 1 || set.Inputs[0].Path != p+"/kern.log" {
		t.Fatalf("inputs %d", len(set.Inputs))
	}
	if w := strings.Join(set.Warnings, "\n"); !strings.Contains(w, "cut off") || !strings.Contains(w, p) {
		t.Errorf("warnings %q", w)
	}
}

func TestWalkCapsDecompression(t *testing.T) {
	dir := t.TempDir()
	bomb := gz(make([]byte, 8<<20)) // 8 MiB of zeros, a few KiB compressed
	p := write(t, filepath.Join(dir, "bomb.zip"), zipBytes(t, []member{{name: "big.log.gz", data: bomb}}))
	_, err := Walk([]string{p}, Options{MaxArchiveBytes: 1 << 20})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), p) {
		t.Fatalf("bomb: err = %v, want ErrTooLarge naming the file", err)
	}
	if _, err := Walk([]string{p}, Options{MaxArchiveBytes: 16 << 20}); err != nil {
		t.Fatalf("under the cap: %v", err)
	}
}

// TestGitHubRunJobs reads the layout GitHub serves for a workflow run's
// logs: a top-level log per job, and a folder of step logs per job, with
// some step folders or top-level logs missing.
func TestGitHubRunJobs(t *testing.T) {
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "logs_123.zip"), zipBytes(t, []member{
		{name: "0_lint.txt", data: []byte("lint\n")},
		{name: "1_test (3.11).txt", data: []byte(pytestLine)},
		{name: "test (3.11)/1_Set up job.txt", data: []byte("x\n")},
		{name: "test (3.11)/12_Run tests.txt", data: []byte(pytestLine)},
		{name: "test (3.11)/2_Run actionscheckout@v4.txt", data: []byte("x\n")},
		{name: "test (3.12)/1_Set up job.txt", data: []byte("x\n")},
		{name: "test (3.12)/3_Run tests.txt", data: []byte(pytestLine)},
	}))
	got := GitHubRunJobs(p)
	want := []ArchiveJob{
		{Name: "lint", Members: []string{"0_lint.txt"}},
		{Name: "test (3.11)", Members: []string{"1_test (3.11).txt"}},
		{Name: "test (3.12)", Members: []string{"test (3.12)/1_Set up job.txt", "test (3.12)/3_Run tests.txt"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("jobs %+v\nwant %+v", got, want)
	}
	set, err := Walk([]string{p}, Options{Members: func(m string) bool { return m == "test (3.12)/3_Run tests.txt" }})
	if err != nil || len(set.Inputs) != 1 || set.Inputs[0].Path != p+"/test (3.12)/3_Run tests.txt" {
		t.Fatalf("members: %v, %+v", err, set)
	}
	// Any other member: an archive of one job.
	other := write(t, filepath.Join(dir, "job.zip"), zipBytes(t, []member{{name: "0_lint.txt"}, {name: "kern.log"}}))
	if jobs := GitHubRunJobs(other); jobs != nil {
		t.Errorf("an archive with kern.log read as a run: %+v", jobs)
	}
}

// TestWalkGitHubRunLogs: given whole to analyze, a run's logs zip is read
// one log per job, never a job's whole log and its step logs both (which
// would be the job's pytest session twice).
func TestWalkGitHubRunLogs(t *testing.T) {
	p := write(t, filepath.Join(t.TempDir(), "logs_9.zip"), zipBytes(t, []member{
		{name: "0_test.txt", data: []byte(pytestLine)},
		{name: "test/1_Set up job.txt", data: []byte("x\n")},
		{name: "test/3_Run tests.txt", data: []byte(pytestLine)},
	}))
	set, err := Walk([]string{p}, Options{})
	if err != nil || len(set.Inputs) != 1 || set.Inputs[0].Path != p+"/0_test.txt" {
		t.Fatalf("%v, %+v", err, set)
	}
}

// TestWalkIgnoresDeclaredSizes: a zip whose 400 members each declare
// 60 MiB (24 GB in all) holding a few bytes each reserves nothing for the
// declared sizes: each member is read as the few bytes it holds (and
// reported cut off, as its size does not match).
func TestWalkIgnoresDeclaredSizes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	body := []byte(pytestLine)
	for i := range 400 {
		h := &zip.FileHeader{Name: fmt.Sprintf("m%03d.log", i), Method: zip.Store,
			CompressedSize64: uint64(len(body)), UncompressedSize64: 60 << 20, CRC32: crc32.ChecksumIEEE(body)}
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	zw.Close()
	p := write(t, filepath.Join(t.TempDir(), "liar.zip"), buf.Bytes())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	set, err := Walk([]string{p}, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Inputs) != 400 || string(set.Inputs[399].Head) != pytestLine {
		t.Fatalf("%d inputs, want 400 of %q", len(set.Inputs), pytestLine)
	}
	// 400 members read through a 4 KiB buffer and a first piece each, and
	// the zip listing: a few MiB, against the 24 GB declared.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("reading the archive allocated %d bytes: declared sizes were trusted", alloc)
	}
}

// TestWalkCapsArchiveMembers: an archive of more entries than the cap is
// read up to the cap, with a warning saying so.
func TestWalkCapsArchiveMembers(t *testing.T) {
	const maxMembers = 50
	var members []member
	for i := range maxMembers + 10 {
		members = append(members, member{name: fmt.Sprintf("e%03d.log", i)})
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"many.tar.gz": tarBytes(t, "gz", members), "many.zip": zipBytes(t, members)} {
		p := write(t, filepath.Join(dir, name), b)
		set, err := Walk([]string{p}, Options{MaxArchiveMembers: maxMembers})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(set.Inputs) != maxMembers || set.Inputs[maxMembers-1].Path != p+"/e049.log" {
			t.Errorf("%s: %d inputs, want the first %d", name, len(set.Inputs), maxMembers)
		}
		want := p + ": holds more than the cap of 50 entries: those after the first 50 were not read"
		if name == "many.zip" {
			want = p + ": holds 60 entries, more than the cap of 50: the 10 after the first 50 were not read"
		}
		if !reflect.DeepEqual(set.Warnings, []string{want}) {
			t.Errorf("%s: warnings %q, want %q", name, set.Warnings, want)
		}
	}
}

// TestReadMemberHoldsItsBytes: a member is held in pieces whose room is its
// size, within one page-sized trim margin per piece, whatever its size, and
// reads back whole.
func TestReadMemberHoldsItsBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, size := range []int{0, 1, 4095, 4096, 4097, HeadBytes - 1, HeadBytes, HeadBytes + 1, 3<<20 + 17, 5 << 20} {
		data := make([]byte, size)
		rng.Read(data)
		c, n, more, err := readMember(iotest.HalfReader(bytes.NewReader(data)), 1<<30, -1, nil)
		if err != nil || more || n != int64(size) {
			t.Fatalf("size %d: n %d more %v err %v", size, n, more, err)
		}
		room := 0
		for _, b := range c {
			room += cap(b)
		}
		if room > size+len(c)*4<<10 {
			t.Errorf("size %d: %d pieces hold %d bytes of room", size, len(c), room)
		}
		if len(c) > 0 && len(c[0]) < min(size, HeadBytes) {
			t.Errorf("size %d: first piece %d bytes, want the head", size, len(c[0]))
		}
		got, _ := io.ReadAll(c.reader())
		if !bytes.Equal(got, data) {
			t.Errorf("size %d: read back %d bytes, differ", size, len(got))
		}
	}
	if _, _, more, _ := readMember(bytes.NewReader(make([]byte, 100)), 99, -1, nil); !more {
		t.Error("a member over the limit: more not set")
	}
	// A member that declares its size, or more, below memberChunkBytes,
	// is held in one piece (Input.Bytes reads it in place); one that
	// declares less than it holds, or more than a piece, in pieces: all
	// are read whole.
	for _, c := range []struct{ size, declared int }{
		{HeadBytes + 1, HeadBytes + 1}, {170 << 10, 170 << 10}, {memberChunkBytes - 1, memberChunkBytes - 1},
		{100 << 10, 900 << 10}, {100 << 10, 70 << 10}, {100 << 10, HeadBytes}, {2 * memberChunkBytes, 2 * memberChunkBytes},
	} {
		data := make([]byte, c.size)
		rng.Read(data)
		for _, bufs := range []*Buffers{nil, {}} {
			got, n, more, err := readMember(iotest.HalfReader(bytes.NewReader(data)), 1<<30, int64(c.declared), bufs)
			if err != nil || more || n != int64(c.size) {
				t.Fatalf("%+v: n %d more %v err %v", c, n, more, err)
			}
			in := fromMember("m", got, n)
			whole, ok := in.Bytes()
			if wantOne := c.declared >= c.size && c.declared < memberChunkBytes; ok != wantOne || ok && !bytes.Equal(whole, data) {
				t.Errorf("%+v: held in %d pieces, Bytes ok %v (want %v)", c, len(got), ok, wantOne)
			}
			back, _ := io.ReadAll(got.reader())
			if !bytes.Equal(back, data) {
				t.Errorf("%+v: read back %d bytes, differ", c, len(back))
			}
		}
	}
	// Within the budget: a member declaring more than the limit is cut at
	// it, as before.
	if _, n, more, _ := readMember(bytes.NewReader(make([]byte, 200<<10)), 100<<10, 200<<10, nil); !more || n > 100<<10+HeadBytes {
		t.Errorf("a member over the limit: more %v after %d bytes", more, n)
	}
}

// rawZip is a zip of one member named name whose header declares size
// uncompressed bytes and holds data (compressed by method, as given).
func rawZip(t *testing.T, name string, method uint16, data []byte, size uint64, crc uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: method, CompressedSize64: uint64(len(data)), UncompressedSize64: size, CRC32: crc})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	zw.Close()
	return buf.Bytes()
}

// TestWalkShortMembersSayWhatIsMissing: a member that ends before the size
// its header declares, or whose own compression is cut, or whose checksum
// is wrong, is kept as far as it goes, with a warning that says so in the
// user's words and sizes (it said "cut off: unexpected EOF").
func TestWalkShortMembersSayWhatIsMissing(t *testing.T) {
	line := strings.Repeat("x", 99) + "\n" // 100 bytes
	content := []byte(strings.Repeat(line, 12000))
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
	fw.Write(content)
	fw.Close()
	half := deflated.Bytes()[:deflated.Len()/2]
	dir := t.TempDir()
	tarGz := tarBytes(t, "", []member{{name: "kern.log.gz", data: gz(content)[:3000]}})
	for _, tc := range []struct {
		name, member string
		archive      []byte
		want         string // after "NAME: member MEMBER: "
	}{
		{"jobs.zip", "kern.log", rawZip(t, "kern.log", zip.Store, content, 4_000_000, crc32.ChecksumIEEE(content)),
			"cut off after 1.2 MB of the 4.0 MB it declares; the 12000 lines before it were read"},
		{"deflated.zip", "kern.log", rawZip(t, "kern.log", zip.Deflate, half, uint64(len(content)), crc32.ChecksumIEEE(content)),
			"cut off after %s of the 1.2 MB it declares; the %d lines before it were read"},
		{"crc.zip", "kern.log", rawZip(t, "kern.log", zip.Store, content, uint64(len(content)), 1),
			"its checksum is not the one the archive declares (damaged in the archive); its 1.2 MB (12000 lines) were read as they are"},
		{"inner.tar", "kern.log.gz", tarGz, "gzip stream cut off after %s; the %d lines before it were read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, filepath.Join(dir, tc.name), tc.archive)
			set, err := Walk([]string{p}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Inputs) != 1 || len(set.Warnings) != 1 {
				t.Fatalf("%d inputs, warnings %q", len(set.Inputs), set.Warnings)
			}
			kept, err := io.ReadAll(mustOpen(t, set.Inputs[0]))
			if err != nil || !bytes.HasPrefix(content, kept) || len(kept) == 0 {
				t.Fatalf("kept %d bytes (%v), want a prefix of the content", len(kept), err)
			}
			want := tc.want
			if strings.Contains(want, "%") {
				want = fmt.Sprintf(want, HumanBytes(int64(len(kept))), bytes.Count(kept, []byte{'\n'}))
			}
			if got, want := set.Warnings[0], p+": member "+tc.member+": "+want; got != want {
				t.Errorf("warning\n%q, want\n%q", got, want)
			}
		})
	}
}

func mustOpen(t *testing.T, in *Input) io.Reader {
	t.Helper()
	rc, err := in.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// TestHeldFlateAgrees holds the inflater's in-memory input (heldBytesOf:
// a member of an archive read whole is inflated from its bytes in place)
// to the buffered one it replaced: every prefix of a deflate stream, and
// the stream with a byte damaged, inflate to the same bytes and error.
func TestHeldFlateAgrees(t *testing.T) {
	var plain bytes.Buffer
	rng := rand.New(rand.NewSource(1))
	for i := range 3000 {
		fmt.Fprintf(&plain, "tests/test_%d.py::test_%d PASSED rss=%d\n", i%40, i, rng.Intn(1<<30))
	}
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.DefaultCompression)
	fw.Write(plain.Bytes())
	fw.Close()
	stream := comp.Bytes()
	inflate := func(r io.Reader) (string, string) {
		rc := newFlateReader(r)
		defer rc.Close()
		out, err := io.ReadAll(rc)
		return string(out), fmt.Sprint(err)
	}
	cases := [][]byte{stream}
	for _, n := range []int{0, 1, 2, 5, 100, len(stream) / 2, len(stream) - 1} {
		cases = append(cases, stream[:n])
	}
	for _, at := range []int{0, 3, 200, len(stream) / 3} {
		bad := bytes.Clone(stream)
		bad[at] ^= 0x55
		cases = append(cases, bad)
	}
	for i, c := range cases {
		// The member's bytes lie within a larger archive, as in a zip.
		data := append(append([]byte("PK-before"), c...), "after"...)
		held := &heldArchive{Reader: bytes.NewReader(data), data: data}
		section := io.NewSectionReader(held, 9, int64(len(c)))
		if _, ok := heldBytesOf(section); !ok {
			t.Fatalf("case %d: a section of a held archive is not read in place", i)
		}
		gotOut, gotErr := inflate(section)
		wantOut, wantErr := inflate(io.NewSectionReader(bytes.NewReader(data), 9, int64(len(c))))
		if gotOut != wantOut || gotErr != wantErr {
			t.Errorf("case %d (%d bytes): in place %d bytes, %s; buffered %d bytes, %s", i, len(c), len(gotOut), gotErr, len(wantOut), wantErr)
		}
	}
	// A section past the held bytes (a zip whose header lies) is read as
	// any other reader is.
	data := []byte("short")
	if _, ok := heldBytesOf(io.NewSectionReader(&heldArchive{Reader: bytes.NewReader(data), data: data}, 2, 10)); ok {
		t.Error("a section past the held bytes was read in place")
	}
}
