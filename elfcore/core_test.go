package elfcore

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// The real core: scripts/make-core.sh, a C program that put 1 MiB of small
// blocks on the brk heap, malloc'ed and touched 8 MiB, started one idle
// thread and called abort(); written by Linux 6.18 (core_pattern "core").
const coreTestFile = "../testdata/cores/oomcore-demo.core.xz"

var coreTestOnce struct {
	sync.Once
	data []byte
	err  error
}

// coreTestBytes returns the decompressed real core (10,055,680 bytes).
func coreTestBytes(t testing.TB) []byte {
	t.Helper()
	coreTestOnce.Do(func() {
		f, err := os.Open(coreTestFile)
		if err != nil {
			coreTestOnce.err = err
			return
		}
		defer f.Close()
		zr, err := xz.NewReader(f)
		if err != nil {
			coreTestOnce.err = err
			return
		}
		coreTestOnce.data, coreTestOnce.err = io.ReadAll(zr)
	})
	if coreTestOnce.err != nil {
		t.Fatal(coreTestOnce.err)
	}
	return coreTestOnce.data
}

// coreTestWant is the real core's summary, checked by hand against
// `readelf -lW` (PT_LOAD sizes and flags), `gdb -c core` ("info proc
// mappings": 15 file mappings, 0x20f000 bytes; 2 threads; SIGABRT; the
// command line) and the program itself.
func coreTestWant() Core {
	return Core{
		PID: 13893, PPID: 13859, UID: 0,
		Comm: "oomcore-demo",
		Args: "./oomcore-demo --alloc 8MiB",
		Exe:  "/tmp/tmp.rSDkO6p7eh/oomcore-demo",
		// abort() raises SIGABRT with tgkill: si_code SI_TKILL, sender itself.
		Signal: 6, SignalName: "SIGABRT", SignalCode: -6, SignalSenderPID: 13893,
		Threads:  2,
		Arch:     "x86_64",
		Producer: "kernel",
		// 27 program headers: 1 PT_NOTE, 26 PT_LOAD.
		MappedBytes: 12144640, DumpedBytes: 10043392,
		AnonBytes: 9981952, FileBytes: 0x20f000, NoAccessBytes: 0x1000,
		HeapBytes: 0x108000, HeapStart: 0x56275a601000,
		Regions: []Region{
			// The 8 MiB malloc (glibc's own mmap, 8 MiB + 16 KiB VMA).
			{Start: 0x7f6ce4ef9000, SizeBytes: 0x804000, Perms: "rw-", DumpedBytes: 0x804000},
			// The brk heap: 512 x 2 KiB blocks plus malloc's top pad.
			{Start: 0x56275a601000, SizeBytes: 0x108000, Perms: "rw-", DumpedBytes: 0x108000, Heap: true},
			// The idle thread's 256 KiB stack (its guard page is the PROT_NONE 4 KiB).
			{Start: 0x7f6ce4eb9000, SizeBytes: 0x40000, Perms: "rw-", DumpedBytes: 0x40000},
			// The main stack.
			{Start: 0x7ffc76cd7000, SizeBytes: 0x21000, Perms: "rw-", DumpedBytes: 0x21000},
			// libc's anonymous data after its .data, and ld.so's.
			{Start: 0x7f6ce58d2000, SizeBytes: 0xd000, Perms: "rw-", DumpedBytes: 0xd000},
			{Start: 0x7f6ce58ea000, SizeBytes: 0x2000, Perms: "rw-", DumpedBytes: 0x2000},
		},
		Mappings: 26, FileMappings: 15,
	}
}

func TestParseCoreReal(t *testing.T) {
	data := coreTestBytes(t)
	if len(data) != 10055680 {
		t.Fatalf("decompressed core is %d bytes, want 10055680", len(data))
	}
	c, err := Parse(bytes.NewReader(data), int64(len(data)), Options{Name: "core"})
	if err != nil {
		t.Fatal(err)
	}
	if want := coreTestWant(); !reflect.DeepEqual(*c, want) {
		t.Errorf("core summary:\n got %+v\nwant %+v", *c, want)
	}
}

// The same program paused and snapshotted with gdb's gcore (make-core.sh
// gcore): a core a watchdog would take before the OOM kill. Checked by hand
// against readelf -lW (19 PT_LOAD, 20 program headers, 22 section headers)
// and gdb's "info proc mappings" (15 NT_FILE entries; their intersection
// with the PT_LOADs is 0x5a000 bytes).
func TestReadCoreGcore(t *testing.T) {
	c, err := ReadFile("../testdata/cores/oomcore-demo.gcore.xz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Core{
		PID: 16121, PPID: 16108, UID: 0,
		Comm: "oomcore-demo",
		Args: "./oomcore-demo", // gcore keeps argv[0] only
		Exe:  "/tmp/tmp.Pq0i5x4QDd/oomcore-demo",
		// gdb's ptrace stop, in every thread: SIGSTOP, SI_KERNEL.
		Signal: 19, SignalName: "SIGSTOP", SignalCode: 128,
		Threads: 2, Arch: "x86_64", Producer: "gcore",
		MappedBytes: 10330112, DumpedBytes: 10330112,
		AnonBytes: 9961472, FileBytes: 0x5a000,
		// The thread stack's guard page is PROT_NONE, but gcore marks it PF_R.
		NoAccessBytes: 0,
		HeapBytes:     0x108000, HeapStart: 0x55854db55000,
		Regions: []Region{
			{Start: 0x7fe438769000, SizeBytes: 0x804000, Perms: "rw-", DumpedBytes: 0x804000},
			{Start: 0x55854db55000, SizeBytes: 0x108000, Perms: "rw-", DumpedBytes: 0x108000, Heap: true},
			{Start: 0x7fe438729000, SizeBytes: 0x40000, Perms: "rw-", DumpedBytes: 0x40000},
			{Start: 0x7ffe213a4000, SizeBytes: 0x21000, Perms: "rw-", DumpedBytes: 0x21000},
			{Start: 0x7fe439142000, SizeBytes: 0xd000, Perms: "rw-", DumpedBytes: 0xd000},
			{Start: 0x7fe43915b000, SizeBytes: 0x2000, Perms: "rw-", DumpedBytes: 0x2000},
			{Start: 0x7fe438728000, SizeBytes: 0x1000, Perms: "r--", DumpedBytes: 0x1000}, // the guard page
		},
		Mappings: 19, FileMappings: 15,
		Warnings:    []Warning{{Message: "written by gdb's gcore, not by the kernel: the signal (SIGSTOP) is gdb's stop, not a cause of death; gcore marks PROT_NONE regions readable (NoAccessBytes misses them) and leaves out some read-only file mappings (MappedBytes and FileBytes undercount)"}},
		Compression: "xz",
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("gcore core:\n got %+v\nwant %+v", *c, want)
	}
}

// The same program built with gcc -m32 (make-core.sh i386): the 32-bit
// layouts of NT_PRSTATUS (pid at 24), NT_PRPSINFO (124 bytes, 16-bit uid) and
// NT_FILE (4-byte words). Checked by hand against readelf -lW (25 PT_LOAD)
// and gdb's "info proc mappings" (15 entries, 0x258000 bytes).
func TestReadCoreI386(t *testing.T) {
	c, err := ReadFile("../testdata/cores/oomcore-demo-i386.core.xz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Core{
		PID: 17513, PPID: 17512, UID: 0,
		Comm:   "oomcore-demo32",
		Args:   "./oomcore-demo32 --alloc 8MiB",
		Exe:    "/tmp/coremk/c32/oomcore-demo32",
		Signal: 6, SignalName: "SIGABRT", SignalCode: -6, SignalSenderPID: 17513,
		Threads: 2, Arch: "i386", Producer: "kernel",
		MappedBytes: 12419072, DumpedBytes: 10002432,
		AnonBytes: 9957376, FileBytes: 0x258000, NoAccessBytes: 0x1000,
		HeapBytes: 0x109000, HeapStart: 0x56bb1000,
		Regions: []Region{
			{Start: 0xf7572000, SizeBytes: 0x801000, Perms: "rw-", DumpedBytes: 0x801000},
			{Start: 0x56bb1000, SizeBytes: 0x109000, Perms: "rw-", DumpedBytes: 0x109000, Heap: true},
			{Start: 0xf7532000, SizeBytes: 0x40000, Perms: "rw-", DumpedBytes: 0x40000},
			{Start: 0xffd9b000, SizeBytes: 0x21000, Perms: "rw-", DumpedBytes: 0x21000},
			{Start: 0xf7f91000, SizeBytes: 0xa000, Perms: "rw-", DumpedBytes: 0xa000},
			{Start: 0xf7fa7000, SizeBytes: 0x2000, Perms: "rw-", DumpedBytes: 0x2000},
		},
		Mappings: 25, FileMappings: 15,
		Compression: "xz",
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("i386 core:\n got %+v\nwant %+v", *c, want)
	}
}

// ReadFile tells the compression by magic bytes, not by name.
func TestReadCoreCompressed(t *testing.T) {
	data := coreTestBytes(t)
	dir := t.TempDir()
	write := func(name string, compress func(io.Writer) io.WriteCloser) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := compress(f)
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nop := func(w io.Writer) io.WriteCloser {
		return struct {
			io.Writer
			io.Closer
		}{w, io.NopCloser(nil)}
	}
	gz := func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }
	zs := func(w io.Writer) io.WriteCloser {
		e, err := zstd.NewWriter(w)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	cases := []struct {
		file, compression string
	}{
		{write("plain.core", nop), ""},
		{write("core.gz.bin", gz), "gzip"},
		{write("core.zst", zs), "zstd"},
		{coreTestFile, "xz"},
	}
	for _, tc := range cases {
		c, err := ReadFile(tc.file, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		want := coreTestWant()
		want.Compression = tc.compression
		if !reflect.DeepEqual(*c, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.file, *c, want)
		}
	}
}

// The decompressed temporary file is sparse: the all-zero pages of a core
// take no disk.
func TestCoreSparseCopy(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "sparse")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := make([]byte, 64<<20)
	copy(in[1<<20:], "hello")
	cp, err := coreSparseCopy(f, bytes.NewReader(in), 1<<40, 1<<40)
	if err != nil || cp.n != int64(len(in)) || cp.capped || cp.diskCapped || cp.written != 4096 {
		t.Fatalf("copy %+v err %v", cp, err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, in) {
		t.Fatalf("content differs (err %v)", err)
	}
	if blocks, ok := coreDiskBlocks(t, f.Name()); ok && blocks*512 > 1<<20 {
		t.Errorf("64 MiB of zeros took %d bytes of disk: not sparse", blocks*512)
	}
	// The cap stops the copy and says so.
	g, _ := os.CreateTemp(t.TempDir(), "capped")
	defer g.Close()
	cp, err = coreSparseCopy(g, bytes.NewReader(in), 3<<20, 1<<40)
	if err != nil || cp.n != 3<<20 || !cp.capped || cp.diskCapped {
		t.Errorf("capped copy: %+v err %v", cp, err)
	}
	// So does the cap on disk: non-zero blocks count, holes do not.
	dense := bytes.Repeat([]byte("core"), 16<<20) // 64 MiB, no zero block
	copy(dense, make([]byte, 2<<20))              // 2 MiB of zeros first: holes
	h, _ := os.CreateTemp(t.TempDir(), "disk")
	defer h.Close()
	cp, err = coreSparseCopy(h, bytes.NewReader(dense), 1<<40, 3<<20)
	if err != nil || !cp.diskCapped || cp.written > 3<<20 || cp.n != 5<<20 {
		t.Errorf("disk-capped copy: %+v err %v", cp, err)
	}
	if st, _ := h.Stat(); st.Size() != cp.n {
		t.Errorf("disk-capped file is %d bytes, want %d", st.Size(), cp.n)
	}
}

// A compressed file that is not a core is refused from its first bytes.
func TestReadCoreCompressedNotCore(t *testing.T) {
	dir := t.TempDir()
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{"text.gz": []byte("hello, not a core"), "exe.gz": exe[:8192]} {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(in)
		w.Close()
		p := filepath.Join(dir, name)
		os.WriteFile(p, buf.Bytes(), 0o600)
		_, err := ReadFile(p, Options{Name: name})
		want := map[string]string{
			"text.gz": "gzip-compressed: text.gz: offset 0: not an ELF file",
			"exe.gz":  "gzip-compressed: exe.gz: offset 16: not a core file: ELF type ET_",
		}[name]
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}

func TestReadCoreCapped(t *testing.T) {
	c, err := ReadFile(coreTestFile, Options{MaxDecompressedBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Truncated || c.Comm != "oomcore-demo" || c.Threads != 2 || c.MappedBytes != 12144640 {
		t.Errorf("capped core: %+v", c)
	}
	if c.MissingBytes != 10055680-(1<<20) {
		t.Errorf("MissingBytes = %d, want %d", c.MissingBytes, 10055680-(1<<20))
	}
	last := c.Warnings[len(c.Warnings)-1].String()
	if !strings.Contains(last, "offset 1048576: decompressed only the first 1048576 bytes (MaxDecompressedBytes)") {
		t.Errorf("warnings %v", c.Warnings)
	}
}

// TestReadCoreDiskCapped: a compressed core whose non-zero contents pass the
// cap on the temporary file is read up to the cap, as a truncated core, with
// a warning; the notes and memory map, which come first, are all there.
func TestReadCoreDiskCapped(t *testing.T) {
	c, err := ReadFile(coreTestFile, Options{MaxTempFileBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Truncated || c.Comm != "oomcore-demo" || c.Threads != 2 || c.MappedBytes != 12144640 || c.MissingBytes == 0 {
		t.Errorf("capped core: %+v", c)
	}
	last := c.Warnings[len(c.Warnings)-1].String()
	if !strings.Contains(last, "filled the temporary file's cap of 1048576 bytes on disk (MaxTempFileBytes); the rest is read as missing") {
		t.Errorf("warnings %v", c.Warnings)
	}
}

// TestReadCoreLeavesNoTempFile: the temporary file has no name from the
// moment it is made, so nothing is left in $TMPDIR, whether the read ends
// well, on an error, or by a signal (which no handler could catch: SIGKILL).
func TestReadCoreLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	f, err := createUnlinkedTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("kept while open"); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%s holds %v while the temporary file is open", dir, ents)
	}
	got := make([]byte, 4)
	if _, err := f.ReadAt(got, 0); err != nil || string(got) != "kept" {
		t.Errorf("the unlinked file reads %q, %v", got, err)
	}
	// While ReadStream copies a core (its temporary file made: the
	// header was read), $TMPDIR stays empty.
	data := coreTestBytes(t)
	var seen []string
	look := &coreLookingReader{r: bytes.NewReader(data), at: int64(len(data)) / 2, look: func() {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			seen = append(seen, e.Name())
		}
	}}
	if _, err := ReadStream(look, Options{}); err != nil {
		t.Fatal(err)
	}
	if !look.looked || len(seen) != 0 {
		t.Errorf("looked %v; %s held %v while ReadStream copied", look.looked, dir, seen)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%s holds %v after ReadStream", dir, ents)
	}
}

// coreLookingReader calls look once when its reader has given at bytes.
type coreLookingReader struct {
	r      io.Reader
	n, at  int64
	look   func()
	looked bool
}

func (l *coreLookingReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n >= l.at && !l.looked {
		l.looked = true
		l.look()
	}
	return n, err
}

// TestReadStream: a core read once from a stream (an archive member, a
// pipe), plain or compressed, summarises as the file does.
func TestReadStream(t *testing.T) {
	data := coreTestBytes(t)
	var gzbuf bytes.Buffer
	zw := gzip.NewWriter(&gzbuf)
	zw.Write(data)
	zw.Close()
	for name, in := range map[string][]byte{"plain": data, "gzip": gzbuf.Bytes()} {
		c, err := ReadStream(iotest.HalfReader(bytes.NewReader(in)), Options{Name: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := coreTestWant()
		if name == "gzip" {
			want.Compression = "gzip"
		}
		if !reflect.DeepEqual(*c, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, *c, want)
		}
	}
	if _, err := ReadStream(strings.NewReader("not a core"), Options{Name: "x"}); err == nil || !strings.Contains(err.Error(), "x") {
		t.Errorf("not a core: err = %v", err)
	}
}

// A core cut in the middle (ulimit -c, a full disk) keeps its notes and its
// complete memory map: every figure holds, the missing contents are counted.
func TestParseCoreTruncated(t *testing.T) {
	data := coreTestBytes(t)
	half := data[:len(data)/2]
	c, err := Parse(bytes.NewReader(half), int64(len(half)), Options{Name: "half"})
	if err != nil {
		t.Fatal(err)
	}
	want := coreTestWant()
	want.Truncated = true
	// PT_LOAD contents run contiguously from offset 0x3000 to the end of the
	// file, so exactly the second half is missing.
	want.MissingBytes = int64(len(data) - len(half))
	want.Regions[0].Missing = true // the 8 MiB block spans the cut
	// Regions after the cut in file order (stacks, libc data) are missing too.
	for i := range want.Regions {
		switch want.Regions[i].Start {
		case 0x7ffc76cd7000, 0x7f6ce58d2000, 0x7f6ce58ea000:
			want.Regions[i].Missing = true
		}
	}
	want.Warnings = []Warning{{Offset: 5027840, Message: "core truncated at 5027840 bytes: 14 segment(s) from offset 1368064 on, 5027840 bytes of dumped memory, lie past the end; the memory map (program headers) is complete"}}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("truncated core:\n got %+v\nwant %+v", *c, want)
	}
}

// A truncated compressed file: the decoder stops early, what it gave is
// summarised, with a warning.
func TestReadCoreTruncatedZstd(t *testing.T) {
	data := coreTestBytes(t)
	var buf bytes.Buffer
	e, _ := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1<<17))
	e.Write(data)
	e.Close()
	p := filepath.Join(t.TempDir(), "cut.zst")
	if err := os.WriteFile(p, buf.Bytes()[:buf.Len()/2], 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ReadFile(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Truncated || c.Comm != "oomcore-demo" || c.MissingBytes == 0 {
		t.Errorf("core %+v", c)
	}
	found := false
	for _, w := range c.Warnings {
		found = found || strings.Contains(w.Message, "zstd stream ends after")
	}
	if !found {
		t.Errorf("no stream-end warning in %v", c.Warnings)
	}
}

func coreTestPatch(data []byte, off int, v any) []byte {
	out := append([]byte(nil), data...)
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, v)
	copy(out[off:], b.Bytes())
	return out
}

func TestParseCoreMalformed(t *testing.T) {
	data := coreTestBytes(t)
	head := data[:0x3000] // ELF header, program headers and notes
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, err string
		in        []byte
	}{
		{"not ELF", "x: offset 0: not an ELF file", []byte("hello world, this is text")},
		{"empty", "x: offset 0: not an ELF file", nil},
		{"executable", "x: offset 16: not a core file: ELF type ET_", exe[:4096]},
		{"header cut", "x: offset 40: ELF header cut short: 40 of 64 bytes", head[:40]},
		{"bad class", "x: offset 4: unknown ELF class 9", coreTestPatch(head, 4, uint8(9))},
		{"bad phentsize", "x: offset 54: program header size 40, want 56", coreTestPatch(head, 54, uint16(40))},
		{"no program headers", "x: offset 56: core has no program headers", coreTestPatch(head, 56, uint16(0))},
		{"program headers cut", "x: offset 64: program headers past the end of the file (100 bytes)", head[:100]},
		// Program header 1 (the first PT_LOAD) at 64+56: p_filesz at +32.
		{"filesz > memsz", "x: offset 120: program header 1: PT_LOAD file size 0x2000 larger than its memory size 0x1000", coreTestPatch(head, 64+56+32, uint64(0x2000))},
		{"huge offset", "x: offset 120: program header 1: offset 0xffffffffffffffff", coreTestPatch(head, 64+56+8, uint64(math.MaxUint64))},
		{"PN_XNUM without section header", "x: offset 0: e_phnum is PN_XNUM but section header 0 (at 0) is not in the file", coreTestPatch(coreTestPatch(head, 56, uint16(0xffff)), 58, uint16(64))},
	}
	for _, tt := range tests {
		_, err := Parse(bytes.NewReader(tt.in), int64(len(tt.in)), Options{Name: "x"})
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.err)
		}
	}
}

// Only the header region (12 KiB: header, program headers, notes): every
// process figure holds, all segment contents are missing.
func TestParseCoreHeaderOnly(t *testing.T) {
	head := coreTestBytes(t)[:0x3000]
	c, err := Parse(bytes.NewReader(head), int64(len(head)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := coreTestWant()
	if c.PID != want.PID || c.Threads != 2 || c.HeapBytes != want.HeapBytes || c.AnonBytes != want.AnonBytes ||
		!c.Truncated || c.MissingBytes != want.DumpedBytes {
		t.Errorf("core %+v", c)
	}
}

// Corrupt notes end the note walk with a warning: the memory map holds.
func TestParseCoreBadNote(t *testing.T) {
	data := coreTestBytes(t)
	// The first note (NT_PRSTATUS) starts at the PT_NOTE offset 0x628; make
	// its name size absurd.
	bad := coreTestPatch(data[:0x3000], 0x628, uint32(0x7fffffff))
	c, err := Parse(bytes.NewReader(bad), int64(len(bad)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Threads != 0 || c.Comm != "" || c.MappedBytes != 12144640 || c.UnclassifiedBytes != 12144640-4096 {
		t.Errorf("core %+v", c)
	}
	if !strings.Contains(c.Warnings[0].String(), "offset 1576: note with name size 2147483647 runs past its PT_NOTE") {
		t.Errorf("warnings %v", c.Warnings)
	}
	// Without NT_FILE the largest regions are listed as unclassified.
	if len(c.Regions) == 0 || !c.Regions[0].Unclassified || c.Regions[0].SizeBytes != 0x804000 {
		t.Errorf("regions %+v", c.Regions)
	}
}

// PN_XNUM: with 65535 or more program headers the kernel writes e_phnum =
// 0xffff and the real count in section header 0's sh_info.
func TestParseCoreXnum(t *testing.T) {
	data := coreTestBytes(t)
	x := append([]byte(nil), data...)
	shoff := len(x)
	sh := make([]byte, 64)
	binary.LittleEndian.PutUint32(sh[44:], 27) // sh_info
	x = append(x, sh...)
	x = coreTestPatch(x, 40, uint64(shoff))
	x = coreTestPatch(x, 56, uint16(0xffff))
	x = coreTestPatch(x, 58, uint16(64))
	x = coreTestPatch(x, 60, uint16(1))
	c, err := Parse(bytes.NewReader(x), int64(len(x)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := coreTestWant(); !reflect.DeepEqual(*c, want) {
		t.Errorf("PN_XNUM core:\n got %+v\nwant %+v", *c, want)
	}
}

func TestLooksLikeCore(t *testing.T) {
	data := coreTestBytes(t)
	xzData, err := os.ReadFile(coreTestFile)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		head []byte
		want bool
	}{
		{"core", data[:64], true},
		{"core, 18 bytes", data[:18], true},
		{"core, 17 bytes", data[:17], false},
		{"xz-compressed core", xzData[:64], false},
		{"executable", exe[:64], false},
		{"text", []byte("[2026-11-26T10:44:10] SESSION_START: pytest\n"), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := Sniff(tt.head); got != tt.want {
			t.Errorf("%s: Sniff = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Every prefix of the header region parses without a panic, and from the
// end of the program headers on without an error.
func TestParseCoreEveryPrefix(t *testing.T) {
	head := coreTestBytes(t)[:0x3000]
	phEnd := 64 + 27*56
	for i := 0; i <= len(head); i++ {
		c, err := Parse(bytes.NewReader(head[:i]), int64(i), Options{})
		if i >= phEnd && (err != nil || !c.Truncated || c.MappedBytes != 12144640) {
			t.Fatalf("prefix %d: err %v, core %+v", i, err, c)
		}
	}
}

// coreTestHead decodes only the first n bytes of the real core: the fuzzing
// workers run instrumented code, where decoding all 10 MB is slow.
func coreTestHead(t testing.TB, n int) []byte {
	t.Helper()
	f, err := os.Open(coreTestFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := xz.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(zr, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseCore(f *testing.F) {
	data := coreTestHead(f, 0x3000)
	f.Add(data[:0x3000])
	f.Add(data[:0x2718]) // ends with the notes
	f.Add(data[:1000])
	// A big-endian core with shared anonymous memory (see TestParseCoreSynthetic).
	be := binary.BigEndian
	synth := coreSynth{bo: be, machine: 22, loads: []coreSynthLoad{{0x1000000, 0x2000, 0x1000, 5}, {0x1800000, 0x10000, 0x1000, 6}, {0x7f0000000000, 0x1000, 0x1000, 6}}}
	synth.notes = []coreSynthNote{coreSynthPrstatus(be, 11, 7), coreSynthPrpsinfo(be, 7, "a", "a b"), coreSynthAuxv(be, 3, 0x1000040),
		coreSynthNtFile(be, coreSynthFile{0x1000000, 0x1002000, "/bin/a"}, coreSynthFile{0x7f0000000000, 0x7f0000001000, "/dev/zero (deleted)"})}
	f.Add(synth.build())
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(bytes.NewReader(in), int64(len(in)), Options{})
		Sniff(in)
		if err != nil {
			return
		}
		if c.MappedBytes < math.MaxInt64 && c.AnonBytes+c.FileBytes+c.NoAccessBytes+c.UnclassifiedBytes != c.MappedBytes {
			t.Fatalf("anon %d + file %d + no-access %d + unclassified %d != mapped %d", c.AnonBytes, c.FileBytes, c.NoAccessBytes, c.UnclassifiedBytes, c.MappedBytes)
		}
		if len(c.Regions) > MaxRegions || c.SharedAnonBytes > c.AnonBytes || c.MissingBytes > c.DumpedBytes {
			t.Fatalf("core %+v", c)
		}
	})
}

// coreSynth builds a small ELF64 core in memory, for the cases no real core
// here shows: big-endian, shared anonymous memory, no NT_SIGINFO, a .bss
// segment next to the executable.
type coreSynth struct {
	bo      coreSynthOrder
	machine uint16
	loads   []coreSynthLoad
	notes   []coreSynthNote
}

type coreSynthOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type coreSynthLoad struct {
	vaddr, memsz, filesz uint64
	flags                uint32
}

type coreSynthNote struct {
	name string
	typ  uint32
	desc []byte
}

func (s *coreSynth) build() []byte {
	bo := s.bo
	var notes []byte
	pad := func(b []byte) []byte {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	for _, n := range s.notes {
		notes = bo.AppendUint32(notes, uint32(len(n.name)+1))
		notes = bo.AppendUint32(notes, uint32(len(n.desc)))
		notes = bo.AppendUint32(notes, n.typ)
		notes = pad(append(append(notes, n.name...), 0))
		notes = pad(append(notes, n.desc...))
	}
	phnum := 1 + len(s.loads)
	notesOff := uint64(64 + 56*phnum)
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4] = 2 // ELFCLASS64
	h[5] = 1
	if bo.String() == binary.BigEndian.String() {
		h[5] = 2
	}
	h[6] = 1
	bo.PutUint16(h[16:], 4) // ET_CORE
	bo.PutUint16(h[18:], s.machine)
	bo.PutUint32(h[20:], 1)
	bo.PutUint64(h[32:], 64)
	bo.PutUint16(h[52:], 64)
	bo.PutUint16(h[54:], 56)
	bo.PutUint16(h[56:], uint16(phnum))
	bo.PutUint16(h[58:], 64)
	ph := func(typ, flags uint32, off, vaddr, filesz, memsz uint64) {
		b := make([]byte, 56)
		bo.PutUint32(b[0:], typ)
		bo.PutUint32(b[4:], flags)
		bo.PutUint64(b[8:], off)
		bo.PutUint64(b[16:], vaddr)
		bo.PutUint64(b[32:], filesz)
		bo.PutUint64(b[40:], memsz)
		h = append(h, b...)
	}
	ph(4, 0, notesOff, 0, uint64(len(notes)), 0) // PT_NOTE
	off := notesOff + uint64(len(notes))
	for _, l := range s.loads {
		ph(1, l.flags, off, l.vaddr, l.filesz, l.memsz)
		off += l.filesz
	}
	out := append(h, notes...)
	return append(out, make([]byte, off-uint64(len(out)))...)
}

func coreSynthPrstatus(bo coreSynthOrder, cursig uint16, tid int32) coreSynthNote {
	d := make([]byte, 336)
	bo.PutUint16(d[12:], cursig)
	bo.PutUint32(d[32:], uint32(tid))
	return coreSynthNote{"CORE", 1, d}
}

func coreSynthPrpsinfo(bo coreSynthOrder, pid int32, comm, args string) coreSynthNote {
	d := make([]byte, 136)
	bo.PutUint32(d[24:], uint32(pid))
	copy(d[40:56], comm)
	copy(d[56:136], args)
	return coreSynthNote{"CORE", 3, d}
}

func coreSynthAuxv(bo coreSynthOrder, kv ...uint64) coreSynthNote {
	var d []byte
	for _, v := range append(kv, 0, 0) {
		d = bo.AppendUint64(d, v)
	}
	return coreSynthNote{"CORE", 6, d}
}

type coreSynthFile struct {
	start, end uint64
	path       string
}

func coreSynthNtFile(bo coreSynthOrder, files ...coreSynthFile) coreSynthNote {
	var d []byte
	d = bo.AppendUint64(d, uint64(len(files)))
	d = bo.AppendUint64(d, 4096)
	for _, f := range files {
		d = bo.AppendUint64(d, f.start)
		d = bo.AppendUint64(d, f.end)
		d = bo.AppendUint64(d, 0)
	}
	for _, f := range files {
		d = append(append(d, f.path...), 0)
	}
	return coreSynthNote{"CORE", 0x46494c45, d}
}

func TestParseCoreSynthetic(t *testing.T) {
	bo := binary.BigEndian
	const (
		exe    = 0x1000000
		bss    = 0x1003000
		heap   = 0x1800000
		shm    = 0x7f0000000000
		memfd  = 0x7f0000200000
		guard  = 0x7f1000000000
		big    = 0x7f2000000000
		libc   = 0x7f3000000000
		stack  = 0x7ffff0000000
		rw, rx = 6, 5
	)
	s := coreSynth{bo: bo, machine: 22 /* EM_S390 */}
	s.loads = []coreSynthLoad{
		{exe, 0x2000, 0x1000, 4 | 1},
		{exe + 0x2000, 0x1000, 0x1000, rw},
		{bss, 0x1000, 0x1000, rw},
		{heap, 0x200000, 0x1000, rw},
		{shm, 0x100000, 0x100000, rw},
		{memfd, 0x80000, 0x80000, rw},
		{guard, 0x3000000, 0, 0},
		{big, 0x4000000, 0x1000, rw},
		{libc, 0x1e0000, 0x1000, rx},
		{stack, 0x21000, 0x21000, rw},
	}
	s.notes = []coreSynthNote{
		coreSynthPrstatus(bo, 11, 4242),
		coreSynthPrpsinfo(bo, 4242, "python3", "python3 -m pytest -x tests/"),
		coreSynthAuxv(bo, 3 /* AT_PHDR */, exe+0x40),
		coreSynthNtFile(bo,
			coreSynthFile{exe, exe + 0x2000, "/usr/bin/python3.11"},
			coreSynthFile{exe + 0x2000, exe + 0x3000, "/usr/bin/python3.11"},
			coreSynthFile{shm, shm + 0x100000, "/dev/zero (deleted)"},
			coreSynthFile{memfd, memfd + 0x80000, "/memfd:arrow (deleted)"},
			coreSynthFile{libc, libc + 0x1e0000, "/usr/lib/libc.so.6"}),
		coreSynthPrstatus(bo, 0, 4243),
		{"GNU", 5, []byte("ignored")},
	}
	data := s.build()
	if !Sniff(data) {
		t.Fatal("Sniff = false for a big-endian core")
	}
	c, err := Parse(bytes.NewReader(data), int64(len(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Core{
		PID: 4242, Comm: "python3", Args: "python3 -m pytest -x tests/", Exe: "/usr/bin/python3.11",
		// No NT_SIGINFO: the signal is pr_cursig of the first NT_PRSTATUS.
		Signal: 11, SignalName: "SIGSEGV",
		Threads: 2, Arch: "s390x", Producer: "kernel",
		MappedBytes: 0x3000 + 0x1000 + 0x200000 + 0x100000 + 0x80000 + 0x3000000 + 0x4000000 + 0x1e0000 + 0x21000,
		DumpedBytes: 0x1000 + 0x1000 + 0x1000 + 0x1000 + 0x100000 + 0x80000 + 0x1000 + 0x1000 + 0x21000,
		FileBytes:   0x3000 + 0x1e0000,
		AnonBytes:   0x1000 + 0x200000 + 0x100000 + 0x80000 + 0x4000000 + 0x21000,
		// /dev/zero (deleted) and /memfd: are shared anonymous memory.
		SharedAnonBytes: 0x180000,
		NoAccessBytes:   0x3000000,
		// The segment right after the executable is its .bss: the heap is
		// the next one.
		HeapStart: heap, HeapBytes: 0x200000,
		Regions: []Region{
			{Start: big, SizeBytes: 0x4000000, Perms: "rw-", DumpedBytes: 0x1000},
			{Start: heap, SizeBytes: 0x200000, Perms: "rw-", DumpedBytes: 0x1000, Heap: true},
			{Start: shm, SizeBytes: 0x100000, Perms: "rw-", DumpedBytes: 0x100000, Shared: true, Path: "/dev/zero (deleted)"},
			{Start: memfd, SizeBytes: 0x80000, Perms: "rw-", DumpedBytes: 0x80000, Shared: true, Path: "/memfd:arrow (deleted)"},
			{Start: stack, SizeBytes: 0x21000, Perms: "rw-", DumpedBytes: 0x21000},
			{Start: bss, SizeBytes: 0x1000, Perms: "rw-", DumpedBytes: 0x1000},
		},
		Mappings: 10, FileMappings: 5,
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("synthetic core:\n got %+v\nwant %+v", *c, want)
	}

	// Without a later candidate, the segment next to the executable is
	// taken, with a warning that it may be the .bss.
	s.loads = append(s.loads[:3:3], s.loads[4:]...)
	data = s.build()
	c, err = Parse(bytes.NewReader(data), int64(len(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.HeapStart != bss || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Message, "brk heap at 0x1003000 is adjacent to the executable: it may be the executable's .bss") {
		t.Errorf("heap %#x, warnings %v", c.HeapStart, c.Warnings)
	}

	// Without NT_AUXV the executable, and so the heap, are unknown.
	s.notes = append(s.notes[:2:2], s.notes[3:]...)
	data = s.build()
	c, err = Parse(bytes.NewReader(data), int64(len(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.HeapStart != 0 || c.Exe != "" || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Message, "brk heap not found: no AT_PHDR in NT_AUXV") {
		t.Errorf("heap %#x, exe %q, warnings %v", c.HeapStart, c.Exe, c.Warnings)
	}
}
