package elfcore

// This file summarises Linux ELF core dumps: who the process was, which
// signal it died of, and what its memory looked like, from the ELF header,
// the program headers and the PT_NOTE notes only. No memory contents are
// read, so a core of a 10 GB process costs a few reads.
//
// Layouts: include/uapi/linux/elfcore.h (elf_prstatus, elf_prpsinfo),
// fs/binfmt_elf.c (fill_note_info, fill_files_note), and the measurements in
// ../shared/reference/CORE-DUMPS.md. debug/elf supplies the spec's types
// and constants; the headers are decoded by hand because elf.NewFile fails
// with a bare io.EOF on a truncated gdb core (its section headers sit at the
// end of the file), knows no PN_XNUM, and is not hardened against hostile
// input. Every size read from the file is bounded before use.
//
// An OOM-killed process leaves no core: the OOM killer sends SIGKILL, whose
// action is to terminate without a dump. A core is corroborating evidence
// from a process that aborted on a failed allocation, from a snapshot taken
// before the kill (gcore), or from another process of the same incident.

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/oomlens/oomlens/decompress"
)

// DefaultMaxDecompressedBytes caps the decompressed size of a compressed
// core when Options.MaxDecompressedBytes is 0.
const DefaultMaxDecompressedBytes = 32 << 30

// DefaultMaxTempFileBytes caps the disk a core's temporary file takes when
// Options.MaxTempFileBytes is 0: a 3 MB .gz core of non-zero pages can
// decompress to gigabytes, and what the summary reads (ELF header, program
// headers, notes) comes first in the file.
const DefaultMaxTempFileBytes = 1 << 30

// MaxRegions is the number of largest anonymous regions Core.Regions
// lists.
const MaxRegions = 10

// Bounds on what is read from the file before allocating.
const (
	coreMaxNoteSegment = 64 << 20 // bytes read from one PT_NOTE
	coreMaxPhnum       = 1 << 24  // program headers (vm.max_map_count is 65530 by default)
	coreMaxNoteName    = 1 << 10
)

// Note types debug/elf does not define (include/uapi/linux/elf.h).
const (
	coreNTAuxv    elf.NType = 6
	coreNTSiginfo elf.NType = 0x53494749 // "SIGI"
	coreNTFile    elf.NType = 0x46494c45 // "FILE"
)

// Auxiliary vector keys (include/uapi/linux/auxvec.h).
const (
	coreATNull        = 0
	coreATPhdr        = 3
	coreATSysinfoEhdr = 33 // the vDSO
)

// Options tunes ReadFile and Parse.
type Options struct {
	// Name names the input in errors and warnings (a file name).
	Name string
	// MaxDecompressedBytes caps how many bytes ReadFile decompresses from a
	// .gz, .zst or .xz core (or ReadStream reads); 0 means
	// DefaultMaxDecompressedBytes. The cap counts the apparent size: the
	// temporary file is written sparse (all-zero 4 KiB blocks become holes),
	// so disk use is the non-zero contents only, capped by MaxTempFileBytes.
	// Past the cap the core is read as if it were truncated there, with a
	// warning.
	MaxDecompressedBytes int64
	// MaxTempFileBytes caps the bytes ReadStream writes to its temporary
	// file (the non-zero blocks: disk use); 0 means DefaultMaxTempFileBytes.
	// Past it the core is read as if it were truncated there, with a
	// warning.
	MaxTempFileBytes int64
}

// Core is the summary of one ELF core file.
type Core struct {
	// PID is NT_PRPSINFO pr_pid, the process id (the thread group id). When
	// the note is missing it is the first NT_PRSTATUS pr_pid: the id of the
	// thread that took the signal.
	PID, PPID int
	UID       int
	// Comm is NT_PRPSINFO pr_fname: the command name, at most 15 bytes.
	Comm string
	// Args is NT_PRPSINFO pr_psargs: argv joined by spaces, cut by the kernel
	// to 79 bytes (gcore keeps argv[0] only).
	Args string
	// Exe is the NT_FILE path of the main executable (the mapping holding
	// the auxiliary vector's AT_PHDR); "" when unknown.
	Exe string
	// Signal is the signal the core was written for: NT_SIGINFO si_signo, or
	// the first NT_PRSTATUS pr_cursig. SignalName is its name in the generic
	// Linux numbering (x86, arm, riscv, ppc, s390), "" elsewhere.
	Signal     int
	SignalName string
	// SignalCode is NT_SIGINFO si_code: 0 SI_USER (kill), -6 SI_TKILL
	// (raise, abort), 128 SI_KERNEL, 1/2 SEGV_MAPERR/SEGV_ACCERR.
	SignalCode int
	// SignalSenderPID is si_pid for signals sent by a process (si_code <= 0):
	// the shell or watchdog that sent it, or the process itself for abort().
	SignalSenderPID int
	// Threads is the number of NT_PRSTATUS notes: one per thread.
	Threads int
	// Arch is the machine as uname -m names it (x86_64, aarch64, ...).
	Arch string
	// Producer is "kernel" or "gcore" (a GDB note or gdb's section headers).
	// A gcore core's signal is gdb's SIGSTOP, not a cause of death.
	Producer string
	// MappedBytes is the sum of every PT_LOAD's p_memsz: the whole virtual
	// memory map (VSZ), PROT_NONE reservations included. DumpedBytes is the
	// sum of p_filesz: the contents the file holds (coredump_filter decides).
	MappedBytes, DumpedBytes int64
	// AnonBytes is accessible anonymous memory (p_memsz of accessible
	// PT_LOADs, less the ranges NT_FILE names), shared anonymous included.
	// FileBytes is accessible memory NT_FILE names as file-backed.
	// NoAccessBytes is PROT_NONE memory (p_flags without R, W or X): guard
	// pages and malloc arena reserves. HeapBytes is the brk heap's p_memsz.
	// All are virtual sizes, not resident memory.
	AnonBytes, FileBytes, NoAccessBytes, HeapBytes int64
	// SharedAnonBytes is the part of AnonBytes that NT_FILE names as
	// "/dev/zero (deleted)" (MAP_SHARED|MAP_ANONYMOUS), "/dev/shm/...",
	// "/memfd:..." or "/SYSV...": shared memory with no real file behind it.
	SharedAnonBytes int64
	// UnclassifiedBytes is accessible memory that could not be split into
	// anonymous and file-backed because the core has no NT_FILE note (it is
	// dropped above kernel.core_file_note_size_limit).
	UnclassifiedBytes int64
	// HeapStart is the brk heap's address, 0 when none was found. The heap
	// is the first anonymous read-write PT_LOAD above the end of the main
	// executable's last NT_FILE mapping, within the kernel's brk
	// randomisation range (1 GiB for 64-bit tasks, 32 MiB for 32-bit ones;
	// arch_randomize_brk), skipping an anonymous segment right at the end of
	// the executable (its .bss) when another candidate follows.
	HeapStart uint64
	// Regions are the largest anonymous accessible regions (PT_LOADs),
	// largest first, at most MaxRegions. Without NT_FILE they are the
	// largest accessible regions, marked Unclassified.
	Regions []Region
	// Mappings is the number of PT_LOAD segments: one per VMA in a kernel
	// core. FileMappings is the number of NT_FILE entries.
	Mappings, FileMappings int
	// Warnings: truncation, missing notes, gcore provenance, heuristics.
	Warnings []Warning
	// Truncated is true when the file ends before the data its headers
	// promise (segment contents, notes or program headers past EOF).
	// MissingBytes counts the promised segment contents past EOF.
	Truncated    bool
	MissingBytes int64
	// Compression is "gzip", "zstd" or "xz" when ReadFile decompressed the
	// file, "" for a plain core.
	Compression string
}

// Region is one PT_LOAD segment (one VMA).
type Region struct {
	Start     uint64
	SizeBytes int64 // p_memsz
	// Perms is "rwx" with "-" for each missing right, from p_flags.
	Perms string
	// DumpedBytes is p_filesz: 0 when coredump_filter left it out.
	DumpedBytes int64
	// Heap marks the brk heap.
	Heap bool
	// Shared marks shared anonymous memory; Path is its NT_FILE name.
	Shared bool
	Path   string
	// Unclassified: the core has no NT_FILE, so the region may be
	// file-backed.
	Unclassified bool
	// Missing: its dumped contents lie (partly) past the end of the file.
	Missing bool
}

// Sniff reports whether head starts with an ELF header of type
// ET_CORE (either byte order).
func Sniff(head []byte) bool {
	if len(head) < 18 || !bytes.HasPrefix(head, []byte(elf.ELFMAG)) {
		return false
	}
	var bo binary.ByteOrder
	switch elf.Data(head[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return false
	}
	return elf.Type(bo.Uint16(head[16:])) == elf.ET_CORE
}

// ReadFile summarises the core file at path, plain or compressed with gzip,
// zstd or xz (told by its magic bytes, not its name). A plain core is read
// in place. A compressed one is decompressed into a temporary file
// (ReadStream), because the summary needs random access.
func ReadFile(path string, opts Options) (*Core, error) {
	if opts.Name == "" {
		opts.Name = path
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var head [decompress.MagicBytes]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	if decompress.Of(head[:n]) == decompress.None {
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", opts.Name, err)
		}
		return Parse(f, st.Size(), opts)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	// The file is closed above, not by ReadStream.
	return ReadStream(struct{ io.Reader }{f}, opts)
}

// ReadStream summarises a core read once from r (an archive member, a
// pipe), plain or compressed (told by its magic bytes). The summary needs
// random access, so the core is copied into a temporary file in
// os.TempDir ($TMPDIR), sparse (all-zero 4 KiB blocks become holes: the
// kernel's cores are mostly holes and zero pages), and bounded twice: at
// most opts.MaxDecompressedBytes of the core are read, and at most
// opts.MaxTempFileBytes are written to disk. Past either cap the core is
// read as if it were truncated there, with a warning: the headers and notes
// the summary is made of come first in a core. A compressed stream that
// ends early is read as a truncated core.
//
// The temporary file is unlinked as soon as it is made, before anything is
// written to it: it lives only as the open descriptor, so no exit path,
// SIGINT, SIGTERM or SIGKILL included, can leave it behind.
func ReadStream(r io.Reader, opts Options) (*Core, error) {
	if opts.Name == "" {
		opts.Name = "core"
	}
	dec, kind, err := decompress.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	defer dec.Close()
	// Refuse what is not a core before decompressing all of it.
	br := bufio.NewReaderSize(dec, 64<<10)
	if head, _ := br.Peek(64); !Sniff(head) {
		if _, err := Parse(bytes.NewReader(head), int64(len(head)), opts); err != nil {
			if kind != decompress.None {
				return nil, fmt.Errorf("%s-compressed: %w", kind, err)
			}
			return nil, err
		}
		if kind != decompress.None {
			return nil, fmt.Errorf("%s: %s-compressed file does not start with an ELF core header", opts.Name, kind)
		}
		return nil, fmt.Errorf("%s: does not start with an ELF core header", opts.Name)
	}
	limit := opts.MaxDecompressedBytes
	if limit <= 0 {
		limit = DefaultMaxDecompressedBytes
	}
	diskLimit := opts.MaxTempFileBytes
	if diskLimit <= 0 {
		diskLimit = DefaultMaxTempFileBytes
	}
	tmp, err := createUnlinkedTemp()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	defer tmp.Close()
	cp, decErr := coreSparseCopy(tmp, br, limit, diskLimit)
	if decErr != nil && cp.n == 0 {
		if kind != decompress.None {
			return nil, fmt.Errorf("%s: %s: %w", opts.Name, kind, decErr)
		}
		return nil, fmt.Errorf("%s: %w", opts.Name, decErr)
	}
	c, err := Parse(tmp, cp.n, opts)
	if err != nil {
		return nil, err
	}
	c.Compression = kind
	switch {
	case cp.diskCapped:
		c.Warnings = append(c.Warnings, Warning{Offset: cp.n, Message: fmt.Sprintf("read only the first %d bytes: their non-zero blocks filled the temporary file's cap of %d bytes on disk (MaxTempFileBytes); the rest is read as missing", cp.n, diskLimit)})
	case cp.capped:
		c.Warnings = append(c.Warnings, Warning{Offset: cp.n, Message: fmt.Sprintf("decompressed only the first %d bytes (MaxDecompressedBytes): the rest is read as missing", cp.n)})
	}
	if decErr != nil {
		what := "stream ends after %d bytes"
		if kind != decompress.None {
			what = kind + " stream ends after %d decompressed bytes"
		}
		c.Warnings = append(c.Warnings, Warning{Offset: cp.n, Message: fmt.Sprintf(what+": %v (truncated file?)", cp.n, decErr)})
	}
	return c, nil
}

// createUnlinkedTemp makes a temporary file and removes its name at once:
// the file is reachable only through the returned descriptor, and the
// kernel frees it when that is closed, or when the process ends however it
// ends.
func createUnlinkedTemp() (*os.File, error) {
	tmp, err := os.CreateTemp("", "oomlens-core-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(tmp.Name()); err != nil {
		tmp.Close()
		return nil, err
	}
	return tmp, nil
}

// sparseCopy is what coreSparseCopy did: n bytes copied (the apparent
// size), written of them to disk, and which cap stopped it, if one did.
type sparseCopy struct {
	n, written         int64
	capped, diskCapped bool
}

// coreSparseCopy copies r into f, at most limit bytes, seeking over all-zero
// 4 KiB blocks so they become holes, and writing at most diskLimit bytes of
// the others. It returns what it copied and the reader's error (nil at a
// clean end).
func coreSparseCopy(f *os.File, r io.Reader, limit, diskLimit int64) (cp sparseCopy, err error) {
	const block = 4096
	buf := make([]byte, 1<<20)
	var zero [block]byte
	var pendingSeek bool
	finish := func() error {
		if pendingSeek {
			return f.Truncate(cp.n)
		}
		return nil
	}
	for cp.n < limit {
		m, rerr := coreReadFull(r, buf[:min(int64(len(buf)), limit-cp.n)])
		for off := 0; off < m; off += block {
			chunk := buf[off:min(off+block, m)]
			if bytes.Equal(chunk, zero[:len(chunk)]) {
				if _, err := f.Seek(int64(len(chunk)), io.SeekCurrent); err != nil {
					return cp, err
				}
				pendingSeek = true
			} else {
				if cp.written+int64(len(chunk)) > diskLimit {
					cp.diskCapped = true
					return cp, finish()
				}
				if _, err := f.Write(chunk); err != nil {
					return cp, err
				}
				cp.written += int64(len(chunk))
				pendingSeek = false
			}
			cp.n += int64(len(chunk))
		}
		if rerr == io.EOF {
			return cp, finish()
		}
		if rerr != nil {
			finish()
			return cp, rerr
		}
	}
	if err := finish(); err != nil {
		return cp, err
	}
	// Probe for more data past the cap.
	var one [1]byte
	m, _ := io.ReadFull(r, one[:])
	cp.capped = m > 0
	return cp, nil
}

// coreReadFull fills b from r. Unlike io.ReadFull it returns the reader's
// own error, so a clean io.EOF stays apart from a decoder's
// io.ErrUnexpectedEOF (a cut compressed stream).
func coreReadFull(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// corePhdr is one program header.
type corePhdr struct {
	typ    elf.ProgType
	flags  elf.ProgFlag
	off    uint64
	vaddr  uint64
	filesz uint64
	memsz  uint64
}

// coreFileMap is one NT_FILE entry.
type coreFileMap struct {
	start, end, pgoff uint64
	path              string
}

type coreParser struct {
	r    io.ReaderAt
	size int64
	name string
	bo   binary.ByteOrder
	is64 bool
	c    *Core

	phdrs    []corePhdr
	files    []coreFileMap
	haveFile bool
	atPhdr   uint64
	vdso     uint64
	shnum    int
	gdbNote  bool
	sigSeen  bool
	cursig   int
	prSigno  int
	prPID    int
	psSeen   bool
}

func (p *coreParser) errorf(off int64, format string, args ...any) error {
	return fmt.Errorf("%s: offset %d: %s", p.name, off, fmt.Sprintf(format, args...))
}

func (p *coreParser) warn(off int64, format string, args ...any) {
	p.c.Warnings = append(p.c.Warnings, Warning{Offset: off, Message: fmt.Sprintf(format, args...)})
}

// readAt reads len(b) bytes at off and returns how many it got: fewer only
// at the end of the file.
func (p *coreParser) readAt(b []byte, off int64) (int, error) {
	if off >= p.size {
		return 0, nil
	}
	if int64(len(b)) > p.size-off {
		b = b[:p.size-off]
	}
	n, err := p.r.ReadAt(b, off)
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		return n, fmt.Errorf("%s: offset %d: %w", p.name, off, err)
	}
	return n, nil
}

// Parse summarises the ELF core in r, size bytes long. A core cut short
// is summarised from what is there, with warnings and Truncated set; a file
// that is not an ELF core, or whose ELF or program headers are malformed,
// gives an error naming the byte offset.
func Parse(r io.ReaderAt, size int64, opts Options) (*Core, error) {
	p := &coreParser{r: r, size: size, name: opts.Name, c: &Core{}}
	if p.name == "" {
		p.name = "core"
	}
	if err := p.header(); err != nil {
		return nil, err
	}
	for _, ph := range p.phdrs {
		if ph.typ == elf.PT_NOTE {
			if err := p.notes(ph); err != nil {
				return nil, err
			}
		}
	}
	p.finish()
	return p.c, nil
}

func (p *coreParser) header() error {
	var h [64]byte
	n, err := p.readAt(h[:], 0)
	if err != nil {
		return err
	}
	if n < 16 || !bytes.HasPrefix(h[:], []byte(elf.ELFMAG)) {
		return p.errorf(0, "not an ELF file (no \\x7fELF magic)")
	}
	switch elf.Class(h[elf.EI_CLASS]) {
	case elf.ELFCLASS64:
		p.is64 = true
	case elf.ELFCLASS32:
	default:
		return p.errorf(elf.EI_CLASS, "unknown ELF class %d", h[elf.EI_CLASS])
	}
	switch elf.Data(h[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		p.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		p.bo = binary.BigEndian
	default:
		return p.errorf(elf.EI_DATA, "unknown ELF data encoding %d", h[elf.EI_DATA])
	}
	hsize := 52
	if p.is64 {
		hsize = 64
	}
	if n < hsize {
		p.c.Truncated = true
		return p.errorf(int64(n), "ELF header cut short: %d of %d bytes", n, hsize)
	}
	typ := elf.Type(p.bo.Uint16(h[16:]))
	if typ != elf.ET_CORE {
		return p.errorf(16, "not a core file: ELF type %v", typ)
	}
	mach := elf.Machine(p.bo.Uint16(h[18:]))
	p.c.Arch = coreArch(mach, p.is64, p.bo)

	var phoff, shoff uint64
	var phentsize, phnum, shentsize, shnum int
	if p.is64 {
		phoff = p.bo.Uint64(h[32:])
		shoff = p.bo.Uint64(h[40:])
		phentsize = int(p.bo.Uint16(h[54:]))
		phnum = int(p.bo.Uint16(h[56:]))
		shentsize = int(p.bo.Uint16(h[58:]))
		shnum = int(p.bo.Uint16(h[60:]))
	} else {
		phoff = uint64(p.bo.Uint32(h[28:]))
		shoff = uint64(p.bo.Uint32(h[32:]))
		phentsize = int(p.bo.Uint16(h[42:]))
		phnum = int(p.bo.Uint16(h[44:]))
		shentsize = int(p.bo.Uint16(h[46:]))
		shnum = int(p.bo.Uint16(h[48:]))
	}
	p.shnum = shnum
	wantPh := 32
	if p.is64 {
		wantPh = 56
	}
	if phnum == 0 {
		return p.errorf(56, "core has no program headers")
	}
	if phentsize != wantPh {
		return p.errorf(54, "program header size %d, want %d", phentsize, wantPh)
	}
	if phnum == 0xffff {
		// PN_XNUM: the real count is sh_info of section header 0
		// (fs/binfmt_elf.c fill_extnum_info).
		real, err := p.xnum(shoff, shentsize)
		if err != nil {
			return err
		}
		phnum = real
	}
	if phnum > coreMaxPhnum {
		return p.errorf(56, "%d program headers: more than the %d this reader accepts", phnum, coreMaxPhnum)
	}
	if phoff < uint64(hsize) {
		return p.errorf(32, "program header offset %d is inside the ELF header", phoff)
	}
	if phoff >= uint64(p.size) {
		return p.errorf(int64(min(phoff, 1<<62)), "program headers past the end of the file (%d bytes): core truncated before any memory map", p.size)
	}
	avail := (uint64(p.size) - phoff) / uint64(phentsize)
	if uint64(phnum) > avail {
		p.c.Truncated = true
		p.warn(int64(phoff), "file ends inside the program headers: %d of %d read", avail, phnum)
		phnum = int(avail)
		if phnum == 0 {
			return p.errorf(int64(phoff), "program headers past the end of the file (%d bytes): core truncated before any memory map", p.size)
		}
	}
	buf := make([]byte, phnum*phentsize)
	if _, err := p.readAt(buf, int64(phoff)); err != nil {
		return err
	}
	p.phdrs = make([]corePhdr, phnum)
	for i := range p.phdrs {
		b := buf[i*phentsize:]
		ph := &p.phdrs[i]
		if p.is64 {
			ph.typ = elf.ProgType(p.bo.Uint32(b[0:]))
			ph.flags = elf.ProgFlag(p.bo.Uint32(b[4:]))
			ph.off = p.bo.Uint64(b[8:])
			ph.vaddr = p.bo.Uint64(b[16:])
			ph.filesz = p.bo.Uint64(b[32:])
			ph.memsz = p.bo.Uint64(b[40:])
		} else {
			ph.typ = elf.ProgType(p.bo.Uint32(b[0:]))
			ph.off = uint64(p.bo.Uint32(b[4:]))
			ph.vaddr = uint64(p.bo.Uint32(b[8:]))
			ph.filesz = uint64(p.bo.Uint32(b[16:]))
			ph.memsz = uint64(p.bo.Uint32(b[20:]))
			ph.flags = elf.ProgFlag(p.bo.Uint32(b[24:]))
		}
		at := int64(phoff) + int64(i*phentsize)
		if ph.off > 1<<62 || ph.filesz > 1<<62 || ph.memsz > 1<<62 || ph.vaddr+ph.memsz < ph.vaddr {
			return p.errorf(at, "program header %d: offset %#x, file size %#x, memory size %#x at %#x out of range", i, ph.off, ph.filesz, ph.memsz, ph.vaddr)
		}
		if ph.typ == elf.PT_LOAD && ph.filesz > ph.memsz {
			return p.errorf(at, "program header %d: PT_LOAD file size %#x larger than its memory size %#x", i, ph.filesz, ph.memsz)
		}
	}
	return nil
}

// xnum reads the real program header count from section header 0.
func (p *coreParser) xnum(shoff uint64, shentsize int) (int, error) {
	want, at := 40, 28
	if p.is64 {
		want, at = 64, 44
	}
	if shentsize != want {
		return 0, p.errorf(58, "e_phnum is PN_XNUM but the section header size is %d, want %d", shentsize, want)
	}
	if shoff == 0 || shoff > uint64(p.size) || uint64(p.size)-shoff < uint64(want) {
		return 0, p.errorf(int64(min(shoff, 1<<62)), "e_phnum is PN_XNUM but section header 0 (at %d) is not in the file (%d bytes)", shoff, p.size)
	}
	var b [4]byte
	if _, err := p.readAt(b[:], int64(shoff)+int64(at)); err != nil {
		return 0, err
	}
	return int(p.bo.Uint32(b[:])), nil
}

// notes walks one PT_NOTE segment. A malformed or cut-off note ends the walk
// with a warning: the notes before it, and the program headers, still hold.
func (p *coreParser) notes(ph corePhdr) error {
	length := ph.filesz
	if length > coreMaxNoteSegment {
		p.warn(int64(ph.off), "PT_NOTE of %d bytes: only the first %d read", length, coreMaxNoteSegment)
		length = coreMaxNoteSegment
	}
	if ph.off >= uint64(p.size) {
		p.c.Truncated = true
		p.warn(int64(ph.off), "PT_NOTE at offset %d lies past the end of the file (%d bytes): no process notes", ph.off, p.size)
		return nil
	}
	buf := make([]byte, min(length, uint64(p.size)-ph.off))
	n, err := p.readAt(buf, int64(ph.off))
	if err != nil {
		return err
	}
	buf = buf[:n]
	if uint64(n) < length {
		p.c.Truncated = true
		p.warn(int64(ph.off)+int64(n), "PT_NOTE cut by the end of the file: %d of %d bytes", n, length)
	}
	pos := 0
	for pos+12 <= len(buf) {
		at := int64(ph.off) + int64(pos)
		namesz := uint64(p.bo.Uint32(buf[pos:]))
		descsz := uint64(p.bo.Uint32(buf[pos+4:]))
		typ := elf.NType(p.bo.Uint32(buf[pos+8:]))
		nameEnd := uint64(pos+12) + (namesz+3)&^3
		if namesz > coreMaxNoteName || nameEnd > uint64(len(buf)) {
			p.warn(at, "note with name size %d runs past its PT_NOTE (%d bytes): notes after it not read", namesz, len(buf))
			p.c.Truncated = p.c.Truncated || uint64(n) < length
			return nil
		}
		descEnd := nameEnd + descsz
		if descEnd > uint64(len(buf)) {
			p.warn(at, "note type %#x with %d-byte description runs past its PT_NOTE (%d bytes): notes from here on not read", uint32(typ), descsz, len(buf))
			return nil
		}
		name := string(bytes.TrimRight(buf[pos+12:pos+12+int(namesz)], "\x00"))
		desc := buf[nameEnd:descEnd]
		p.note(name, typ, desc, int64(ph.off)+int64(nameEnd))
		pos = int((descEnd + 3) &^ 3)
	}
	return nil
}

func (p *coreParser) note(name string, typ elf.NType, desc []byte, at int64) {
	if name == "GDB" {
		p.gdbNote = true
		return
	}
	if name != "CORE" {
		return
	}
	switch typ {
	case elf.NT_PRSTATUS:
		p.c.Threads++
		if p.c.Threads > 1 {
			return
		}
		pidOff := 24
		if p.is64 {
			pidOff = 32
		}
		if len(desc) < pidOff+4 {
			p.warn(at, "NT_PRSTATUS of %d bytes: too short to read", len(desc))
			return
		}
		p.prSigno = int(int32(p.bo.Uint32(desc[0:])))
		p.cursig = int(p.bo.Uint16(desc[12:]))
		p.prPID = int(int32(p.bo.Uint32(desc[pidOff:])))
	case elf.NT_PRPSINFO:
		p.prpsinfo(desc, at)
	case coreNTSiginfo:
		if p.sigSeen {
			return
		}
		if len(desc) < 12 {
			p.warn(at, "NT_SIGINFO of %d bytes: too short to read", len(desc))
			return
		}
		p.sigSeen = true
		p.c.Signal = int(int32(p.bo.Uint32(desc[0:])))
		p.c.SignalCode = int(int32(p.bo.Uint32(desc[8:])))
		pidOff := 12
		if p.is64 {
			pidOff = 16
		}
		if p.c.SignalCode <= 0 && len(desc) >= pidOff+4 {
			p.c.SignalSenderPID = int(int32(p.bo.Uint32(desc[pidOff:])))
		}
	case coreNTAuxv:
		w := 4
		if p.is64 {
			w = 8
		}
		for i := 0; i+2*w <= len(desc); i += 2 * w {
			k, v := p.word(desc[i:], w), p.word(desc[i+w:], w)
			if k == coreATNull {
				break
			}
			switch k {
			case coreATPhdr:
				p.atPhdr = v
			case coreATSysinfoEhdr:
				p.vdso = v
			}
		}
	case coreNTFile:
		p.ntFile(desc, at)
	}
}

func (p *coreParser) word(b []byte, w int) uint64 {
	if w == 8 {
		return p.bo.Uint64(b)
	}
	return uint64(p.bo.Uint32(b))
}

// prpsinfo decodes struct elf_prpsinfo (include/uapi/linux/elfcore.h): 136
// bytes on 64-bit; on 32-bit 124 bytes with 16-bit uid/gid (i386, arm) or 128
// with 32-bit ones.
func (p *coreParser) prpsinfo(desc []byte, at int64) {
	var uidOff, uidSize, pidOff, fnameOff int
	switch {
	case p.is64 && len(desc) >= 136:
		uidOff, uidSize, pidOff, fnameOff = 16, 4, 24, 40
	case !p.is64 && len(desc) == 124:
		uidOff, uidSize, pidOff, fnameOff = 8, 2, 12, 28
	case !p.is64 && len(desc) >= 128:
		uidOff, uidSize, pidOff, fnameOff = 8, 4, 16, 32
	default:
		p.warn(at, "NT_PRPSINFO of %d bytes: layout unknown, process name and arguments not read", len(desc))
		return
	}
	p.psSeen = true
	if uidSize == 2 {
		p.c.UID = int(p.bo.Uint16(desc[uidOff:]))
	} else {
		p.c.UID = int(p.bo.Uint32(desc[uidOff:]))
	}
	p.c.PID = int(int32(p.bo.Uint32(desc[pidOff:])))
	p.c.PPID = int(int32(p.bo.Uint32(desc[pidOff+4:])))
	p.c.Comm = coreCString(desc[fnameOff : fnameOff+16])
	p.c.Args = strings.TrimRight(coreCString(desc[fnameOff+16:fnameOff+16+80]), " ")
}

func coreCString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// ntFile decodes NT_FILE (fs/binfmt_elf.c fill_files_note): count,
// page_size, count x {start, end, file_ofs}, then count NUL-ended paths.
func (p *coreParser) ntFile(desc []byte, at int64) {
	w := 4
	if p.is64 {
		w = 8
	}
	if len(desc) < 2*w {
		p.warn(at, "NT_FILE of %d bytes: too short to read", len(desc))
		return
	}
	count := p.word(desc, w)
	if count > uint64((len(desc)-2*w)/(3*w)) {
		p.warn(at, "NT_FILE claims %d mappings but holds room for %d: not read", count, (len(desc)-2*w)/(3*w))
		return
	}
	p.haveFile = true
	pos := 2 * w
	files := make([]coreFileMap, count)
	for i := range files {
		files[i].start = p.word(desc[pos:], w)
		files[i].end = p.word(desc[pos+w:], w)
		files[i].pgoff = p.word(desc[pos+2*w:], w)
		pos += 3 * w
	}
	names := desc[pos:]
	for i := range files {
		j := bytes.IndexByte(names, 0)
		if j < 0 {
			if len(names) > 0 {
				files[i].path = strings.ToValidUTF8(string(names), "\uFFFD")
				names = nil
				continue
			}
			p.warn(at, "NT_FILE holds %d paths for %d mappings", i, count)
			break
		}
		files[i].path = strings.ToValidUTF8(string(names[:j]), "\uFFFD")
		names = names[j+1:]
	}
	p.files = files
	p.c.FileMappings = len(files)
}

// coreSharedAnon reports whether an NT_FILE path names shared memory with no
// real file: MAP_SHARED|MAP_ANONYMOUS shows as "/dev/zero (deleted)".
func coreSharedAnon(path string) bool {
	return path == "/dev/zero (deleted)" || strings.HasPrefix(path, "/dev/shm/") ||
		strings.HasPrefix(path, "/memfd:") || strings.HasPrefix(path, "/SYSV")
}

type coreLoad struct {
	corePhdr
	fileBytes, sharedBytes int64
	sharedPath             string
}

func (p *coreParser) finish() {
	c := p.c
	if p.psSeen {
		if c.PID == 0 {
			c.PID = p.prPID
		}
	} else {
		c.PID = p.prPID
		p.warn(0, "no NT_PRPSINFO note: no process name or arguments; PID is the signalled thread's id")
	}
	if !p.sigSeen {
		c.Signal = p.cursig
		if c.Signal == 0 {
			c.Signal = p.prSigno
		}
	}
	c.SignalName = coreSignalName(c.Signal, c.Arch)
	if c.Threads == 0 {
		p.warn(0, "no NT_PRSTATUS note: thread count unknown")
	}
	if p.gdbNote || p.shnum > 1 {
		c.Producer = "gcore"
		p.warn(0, "written by gdb's gcore, not by the kernel: the signal (%s) is gdb's stop, not a cause of death; gcore marks PROT_NONE regions readable (NoAccessBytes misses them) and leaves out some read-only file mappings (MappedBytes and FileBytes undercount)", c.SignalName)
	} else {
		c.Producer = "kernel"
	}

	var loads []coreLoad
	for _, ph := range p.phdrs {
		if ph.typ == elf.PT_LOAD {
			loads = append(loads, coreLoad{corePhdr: ph})
		}
	}
	sort.SliceStable(loads, func(i, j int) bool { return loads[i].vaddr < loads[j].vaddr })
	c.Mappings = len(loads)
	files := append([]coreFileMap(nil), p.files...)
	sort.SliceStable(files, func(i, j int) bool { return files[i].start < files[j].start })
	if !p.haveFile {
		p.warn(0, "no NT_FILE note (dropped above kernel.core_file_note_size_limit, or not written): memory cannot be split into anonymous and file-backed")
	}

	// Truncation: contents promised past the end of the file.
	var missingSegs int
	var firstMissing int64 = -1
	fi := 0
	for i := range loads {
		l := &loads[i]
		coreAdd(&c.MappedBytes, int64(l.memsz))
		coreAdd(&c.DumpedBytes, int64(l.filesz))
		if l.filesz > 0 && l.off+l.filesz > uint64(p.size) {
			past := l.filesz
			if l.off < uint64(p.size) {
				past = l.off + l.filesz - uint64(p.size)
			}
			coreAdd(&c.MissingBytes, int64(past))
			missingSegs++
			if firstMissing < 0 || int64(l.off) < firstMissing {
				firstMissing = int64(l.off)
			}
		}
		// Intersect with the NT_FILE ranges (both sorted by address).
		for fi < len(files) && files[fi].end <= l.vaddr {
			fi++
		}
		for k := fi; k < len(files) && files[k].start < l.vaddr+l.memsz; k++ {
			lo, hi := max(files[k].start, l.vaddr), min(files[k].end, l.vaddr+l.memsz)
			if hi <= lo {
				continue
			}
			if coreSharedAnon(files[k].path) {
				l.sharedBytes += int64(hi - lo)
				l.sharedPath = files[k].path
			} else {
				l.fileBytes += int64(hi - lo)
			}
		}
	}
	for i := range loads {
		// Overlapping NT_FILE entries (never in a kernel core) must not
		// count a byte twice.
		l := &loads[i]
		l.fileBytes = min(l.fileBytes, int64(l.memsz))
		l.sharedBytes = min(l.sharedBytes, int64(l.memsz)-l.fileBytes)
	}
	if missingSegs > 0 {
		c.Truncated = true
		p.warn(p.size, "core truncated at %d bytes: %d segment(s) from offset %d on, %d bytes of dumped memory, lie past the end; the memory map (program headers) is complete", p.size, missingSegs, firstMissing, c.MissingBytes)
	}

	// The main executable and the end of its last mapping.
	var exeEnd uint64
	if p.atPhdr != 0 {
		for _, f := range files {
			if f.start <= p.atPhdr && p.atPhdr < f.end {
				c.Exe = f.path
			}
		}
		for _, f := range files {
			if c.Exe != "" && f.path == c.Exe && f.end > exeEnd {
				exeEnd = f.end
			}
		}
	}

	anon := make([]int, 0, len(loads))
	for i := range loads {
		l := &loads[i]
		if l.flags&(elf.PF_R|elf.PF_W|elf.PF_X) == 0 {
			coreAdd(&c.NoAccessBytes, int64(l.memsz))
			continue
		}
		if !p.haveFile {
			coreAdd(&c.UnclassifiedBytes, int64(l.memsz))
			anon = append(anon, i)
			continue
		}
		coreAdd(&c.FileBytes, l.fileBytes)
		coreAdd(&c.AnonBytes, int64(l.memsz)-l.fileBytes)
		coreAdd(&c.SharedAnonBytes, l.sharedBytes)
		if l.fileBytes == 0 {
			anon = append(anon, i)
		}
	}

	heap := -1
	if exeEnd != 0 && p.haveFile {
		gap := uint64(1 << 30)
		if !p.is64 {
			gap = 32 << 20
		}
		var cands []int
		for _, i := range anon {
			l := loads[i]
			if l.sharedBytes == 0 && l.flags&(elf.PF_R|elf.PF_W) == elf.PF_R|elf.PF_W && l.vaddr >= exeEnd {
				cands = append(cands, i)
			}
		}
		if len(cands) > 0 {
			first := loads[cands[0]]
			switch {
			case first.vaddr == exeEnd && len(cands) > 1 && loads[cands[1]].vaddr < first.vaddr+first.memsz+gap:
				heap = cands[1] // the first one is the executable's .bss
			case first.vaddr == exeEnd:
				heap = cands[0]
				p.warn(0, "brk heap at %#x is adjacent to the executable: it may be the executable's .bss, or hold it", first.vaddr)
			case first.vaddr < exeEnd+gap:
				heap = cands[0]
			}
		}
	}
	if heap >= 0 {
		c.HeapStart = loads[heap].vaddr
		c.HeapBytes = int64(loads[heap].memsz)
	} else {
		what := "no anonymous read-write segment follows the executable within the brk randomisation range (the process never grew its brk heap?)"
		switch {
		case p.atPhdr == 0:
			what = "no AT_PHDR in NT_AUXV, so the executable's mappings are unknown"
		case !p.haveFile:
			what = "no NT_FILE, so the executable's mappings are unknown"
		case c.Exe == "":
			what = fmt.Sprintf("AT_PHDR %#x lies in no NT_FILE mapping", p.atPhdr)
		}
		p.warn(0, "brk heap not found: %s", what)
	}

	// The kernel's own pages ([vvar] and [vdso] just below it, and the
	// x86_64 [vsyscall] page in the kernel half) are anonymous to NT_FILE but
	// hold no process memory: they count in AnonBytes (tens of KiB) but are
	// not listed as regions.
	special := make(map[int]bool)
	for i := len(loads) - 1; i >= 0; i-- {
		l := loads[i]
		if l.vaddr >= 1<<63 && p.is64 {
			special[i] = true
		}
		if p.vdso != 0 && l.vaddr == p.vdso {
			special[i] = true
			for j := i - 1; j >= 0; j-- {
				prev := loads[j]
				if prev.vaddr+prev.memsz != loads[j+1].vaddr || prev.flags&elf.PF_W != 0 || prev.fileBytes != 0 {
					break
				}
				special[j] = true
			}
		}
	}
	kept := anon[:0]
	for _, i := range anon {
		if !special[i] {
			kept = append(kept, i)
		}
	}
	anon = kept
	sort.SliceStable(anon, func(a, b int) bool {
		la, lb := loads[anon[a]], loads[anon[b]]
		if la.memsz != lb.memsz {
			return la.memsz > lb.memsz
		}
		return la.vaddr < lb.vaddr
	})
	for _, i := range anon[:min(len(anon), MaxRegions)] {
		l := loads[i]
		c.Regions = append(c.Regions, Region{
			Start:        l.vaddr,
			SizeBytes:    int64(l.memsz),
			Perms:        corePerms(l.flags),
			DumpedBytes:  int64(l.filesz),
			Heap:         i == heap,
			Shared:       l.sharedBytes > 0,
			Path:         l.sharedPath,
			Unclassified: !p.haveFile,
			Missing:      l.filesz > 0 && l.off+l.filesz > uint64(p.size),
		})
	}
}

// coreAdd adds b >= 0 to *a, saturating at math.MaxInt64: the segment sizes
// of a hostile file may sum past it (each is bounded to 2^62).
func coreAdd(a *int64, b int64) {
	if *a > math.MaxInt64-b {
		*a = math.MaxInt64
		return
	}
	*a += b
}

func corePerms(f elf.ProgFlag) string {
	b := []byte("---")
	if f&elf.PF_R != 0 {
		b[0] = 'r'
	}
	if f&elf.PF_W != 0 {
		b[1] = 'w'
	}
	if f&elf.PF_X != 0 {
		b[2] = 'x'
	}
	return string(b)
}

func coreArch(m elf.Machine, is64 bool, bo binary.ByteOrder) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i386"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_RISCV:
		if is64 {
			return "riscv64"
		}
		return "riscv32"
	case elf.EM_PPC64:
		if bo == binary.LittleEndian {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_S390:
		if is64 {
			return "s390x"
		}
		return "s390"
	case elf.EM_LOONGARCH:
		return "loongarch64"
	}
	return m.String()
}

// coreSignals is the generic Linux numbering (include/uapi/asm-generic/signal.h,
// shared by x86, arm, riscv, powerpc and s390; mips, sparc, alpha and parisc
// differ).
var coreSignals = [...]string{1: "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
	"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
	"SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
	"SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"}

func coreSignalName(sig int, arch string) string {
	switch arch {
	case "x86_64", "i386", "aarch64", "arm", "riscv64", "riscv32", "ppc64", "ppc64le", "s390x", "s390", "loongarch64":
	default:
		return ""
	}
	if sig > 0 && sig < len(coreSignals) {
		return coreSignals[sig]
	}
	return ""
}
