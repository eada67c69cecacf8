package weathercop

// This file reads weathercop's memory log, test_memory.log, as written by
// MemoryDiagnosticsLogger._format_entry in iskur/weathercop
// src/weathercop/tests/memory_diagnostics.py (04b6e46, 3a6c791, f709caf;
// unchanged up to main 79434d3). It is plain text, one multi-line record per
// event, no blank line between records:
//
//	[2026-11-26T10:44:10.094324] TEST_END: test_small_ensemble_generation
//	  Elapsed: 0.0s
//	  /proc/self/status:
//	    VmPeak: 49276 kB
//	    VmSize: 18436 kB
//	    VmHWM: 45560 kB
//	    VmRSS: 15004 kB
//	  Top tracemalloc allocations:
//	    (tracemalloc not active)
//	  Peak memory: 30.0 MB
//	  GC: collections=493, uncollectable=0
//	  Open xarray datasets: 1
//
// See ../shared/reference/WEATHERCOP-DIAGNOSTICS.md §3 for the field
// semantics this reader documents on Record.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// Events written by weathercop's MemoryDiagnosticsLogger (log_session_start,
// log_test_start, log_test_end, log_session_end).
const (
	SessionStart = "SESSION_START"
	TestStart    = "TEST_START"
	TestEnd      = "TEST_END"
	SessionEnd   = "SESSION_END"
)

// TracemallocNotActive is the only tracemalloc item real logs have
// held since weathercop 3a6c791: the snapshot is taken outside the window in
// which tracemalloc traces (before tracemalloc.start, after tracemalloc.stop).
const TracemallocNotActive = "(tracemalloc not active)"

// MaxLineBytes is the longest line kept whole. A longer line is cut
// to this length, reported as a warning, and the rest of it is skipped.
const MaxLineBytes = 64 << 10

// Options tunes Parse.
type Options struct {
	// Name names the input in errors (a file name); "" means "weathercop log".
	Name string
	// Location is the time zone of the log's naive local timestamps
	// (datetime.now().isoformat() carries no zone). nil means UTC.
	Location *time.Location
}

// Log is one test_memory.log. The logger truncates the file when
// the pytest session starts, so a log normally holds one session.
type Log struct {
	// Records in file order.
	Records []Record
	// Warnings: cut-off records, interleaving, over-long lines, lines that
	// belong to no record.
	Warnings []Warning
	// Interleaved is true when the log shows records of more than one
	// process: several SESSION_START records, a TEST_START while another test
	// is still open, or Elapsed going backwards. Under pytest-xdist every
	// worker appends to the same file and records carry no pid or worker id,
	// so the records of different workers cannot be told apart.
	Interleaved bool
	// UnfinishedTests holds the indexes in Records of the TEST_START records
	// that no TEST_END follows: the test that was running when the process
	// stopped writing (OOM-killed), or one per worker when Interleaved.
	UnfinishedTests []int
	// SessionEnded is true when a SESSION_END record was read (pytest's
	// pytest_sessionfinish ran, so the session was not killed).
	SessionEnded bool
}

// Record is one logged event.
type Record struct {
	// Line is the 1-based line number of the record's "[timestamp] EVENT:
	// test" header.
	Line int
	// Time is the header's timestamp: naive local time from
	// datetime.now().isoformat(), read in Options.Location.
	Time time.Time
	// Event is SESSION_START, TEST_START, TEST_END or SESSION_END (another
	// upper-case word is kept as is, with a warning).
	Event string
	// Test is request.node.name: the bare test name plus its parametrization
	// (test_fit[clayton]), with no file, class or "::". Session events log
	// "pytest". Names collide across files.
	Test string
	// ElapsedS is "Elapsed: N.Ns": seconds since the logger was created at
	// session start, printed with one decimal, from the wall clock.
	ElapsedS float64
	// Vm*Bytes are /proc/self/status values at the event (kB = KiB in
	// proc(5), converted to bytes). VmRSS is the resident set now, VmHWM its
	// peak since the process started, VmPeak and VmSize virtual sizes. The
	// per-test RSS timeline is VmRSS at TEST_START and TEST_END.
	VmRSSBytes, VmHWMBytes, VmPeakBytes, VmSizeBytes int64
	// ProcStatusError is the logger's error value when it could not read
	// /proc/self/status ("proc/status not available"); "" otherwise.
	ProcStatusError string
	// TracemallocPeakMiB is "Peak memory: X MB" (TEST_END only): the
	// tracemalloc peak of Python allocations traced during this one test,
	// peak/1024/1024, so MiB. It is not RSS and not a leak measure: memory
	// freed before the test ended still counts.
	TracemallocPeakMiB float64
	// OpenXarrayDatasets is "Open xarray datasets: N" (TEST_END only): the
	// number of datasets returned by xr.open_dataset/open_mfdataset that are
	// still alive anywhere in the process, a process-wide count, not the
	// datasets this test left open and not a per-test delta. The logger
	// prints the line only when the count is non-zero, so 0 means the line
	// was absent.
	OpenXarrayDatasets int
	// GCCollections is "GC: collections=N": sum(gc.get_count()), the
	// generation allocation counters, NOT a number of collections.
	// GCUncollectable is len(gc.garbage). TEST_START and TEST_END only.
	GCCollections, GCUncollectable int
	// TracemallocTop are the items under "Top tracemalloc allocations:",
	// without their indentation: "(tracemalloc not active)", "error: ...",
	// or "file:lineno: X.X MB". The records of a log may share one list
	// (it is capped: appending copies); copy it before changing an item.
	TracemallocTop []string
	// Extra keeps every line of the record this reader does not know, as
	// written (indentation included).
	Extra []string

	// The Has* flags say which optional lines the record held (a value of 0
	// is then a real 0). They sit together to keep the record small.
	HasElapsed, HasVmRSS, HasVmHWM, HasVmPeak, HasVmSize, HasTracemallocPeak, HasGC bool
	// Partial is true when the record is incomplete: it was cut off (by the
	// kill, at the end of the file) or lost lines (interleaved writers). A
	// warning says what is missing.
	Partial bool
}

// Sniff reports whether head, the first bytes of an input,
// starts like a weathercop memory log: its first non-blank line is a
// "[YYYY-MM-DDTHH:MM:SS(.ffffff)] EVENT: " record header with one of the four
// known events. The output of weathercop's scripts/analyze_memory_log.py
// ("Analyzing: ...", "Tests with unclosed xarray datasets:") is not a log and
// is not recognised: it holds only per-test summaries of a log.
func Sniff(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		_, event, _, ok := wcHeader(line, &wcClock{loc: time.UTC})
		if !ok {
			return false
		}
		switch event {
		case SessionStart, TestStart, TestEnd, SessionEnd:
			return true
		}
		return false
	}
	return false
}

// Parse reads a weathercop test_memory.log. It streams: memory is
// the records kept plus one line. A cut-off record, interleaved writers and
// unknown lines give warnings, not errors. The errors are a read error and a
// non-empty input that holds no record header at all.
func Parse(r io.Reader, opts Options) (*Log, error) {
	return parse(r, opts, nil, true)
}

// Stream reads a weathercop log as Parse does, but hands each record to
// each once it is complete instead of keeping it: the Log it returns has
// no Records (UnfinishedTests still index the records in file order, from
// 0). Memory stays that of one record and one line whatever the log's
// length, so a caller that keeps only what it needs of each record
// (correlate's normaliser) holds no second copy of the log. rec is valid
// only during the call (its strings and slices may be kept).
func Stream(r io.Reader, opts Options, each func(rec *Record)) (*Log, error) {
	if each == nil {
		each = func(*Record) {}
	}
	return parse(r, opts, each, true)
}

// parse reads with usual, the fast path, unless a test turns it off (fast).
func parse(r io.Reader, opts Options, each func(*Record), fast bool) (*Log, error) {
	p := wcParser{
		fast:  fast,
		name:  opts.Name,
		clock: wcClock{loc: opts.Location},
		in:    wcLines{rd: r, buf: make([]byte, wcReadBytes)},
		log:   &Log{},
		each:  each,
	}
	if p.name == "" {
		p.name = "weathercop log"
	}
	if p.clock.loc == nil {
		p.clock.loc = time.UTC
	}
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.log, nil
}

type wcSection int

const (
	wcNone wcSection = iota
	wcStatus
	wcTop
)

// wcOpen is a TEST_START record not yet ended.
type wcOpen struct {
	idx  int // its index in file order
	test string
	line int
}

type wcParser struct {
	name  string
	clock wcClock
	fast  bool // read usual lines with usual (fastpath.go)
	in    wcLines
	log   *Log

	lineNo    int
	chunks    [][]Record // records read, wcChunk to a chunk (Parse)
	each      func(*Record)
	scratch   Record   // the record being read (Stream)
	slab      []string // backing store of TracemallocTop items
	notActive []string // TracemallocTop of the records with only TracemallocNotActive
	n         int      // records read
	cur       *Record  // the record being read, or nil
	sec       wcSection
	statusN   int // entries read under "/proc/self/status:"
	hasStat   bool
	hasTop    bool
	orphans   int // lines before the first record
	orphanAt  int
	nonBlank  int

	open         []wcOpen // TEST_START records not yet ended
	sessions     int
	warnedSplit  map[string]bool
	unknownEvent map[string]bool
	prevElapsed  float64
	havePrev     bool
	statusErrs   int // records with "error: ..." under /proc/self/status
	statusErrAt  int
	statusErr    string
}

func (p *wcParser) warn(line int, format string, args ...any) {
	p.log.Warnings = append(p.log.Warnings, Warning{Line: line, Message: fmt.Sprintf(format, args...)})
}

// readLine returns the next line without its "\n" (and "\r"), whether it was
// terminated by "\n", and io.EOF after the last line. A line already in
// the buffer is found here, without a call: bufio.Reader.ReadSlice's own
// cost per line, beyond the search for "\n", was a tenth of
// BenchmarkStreamFile.
func (p *wcParser) readLine() (line []byte, terminated bool, err error) {
	in := &p.in
	if i := bytes.IndexByte(in.buf[in.r:in.w], '\n'); i >= 0 && i < MaxLineBytes {
		line = in.buf[in.r : in.r+i]
		in.r += i + 1
		terminated = true
	} else {
		line, err = in.next()
		if err == bufio.ErrBufferFull {
			return p.longLine(line)
		}
		if err != nil && err != io.EOF {
			return nil, false, fmt.Errorf("%s:%d: %w", p.name, p.lineNo+1, err)
		}
		if len(line) == 0 && err == io.EOF {
			return nil, false, io.EOF
		}
		if terminated = err == nil; terminated {
			line = line[:len(line)-1]
		}
	}
	p.lineNo++
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, terminated, nil
}

// longLine keeps the first MaxLineBytes of a longer line, which it is
// given, and skips the rest of the line.
func (p *wcParser) longLine(full []byte) (line []byte, terminated bool, err error) {
	p.lineNo++
	p.warn(p.lineNo, "line longer than %d bytes: cut to that length", MaxLineBytes)
	line = append([]byte(nil), full...)
	err = bufio.ErrBufferFull
	for err == bufio.ErrBufferFull {
		_, err = p.in.next()
	}
	if err != nil && err != io.EOF {
		return nil, false, fmt.Errorf("%s:%d: %w", p.name, p.lineNo, err)
	}
	return bytes.TrimRight(line, "\r"), err == nil, nil
}

// wcLines reads its reader a buffer at a time for readLine, which takes the
// lines from the buffer, as bufio.Reader.ReadSlice('\n') would over a
// buffer of MaxLineBytes. The buffer is larger, wcReadBytes, to make fewer
// reads.
type wcLines struct {
	rd   io.Reader
	buf  []byte
	r, w int   // buf[r:w] is read and not yet handed out
	err  error // rd's error, handed out once buf[r:w] holds no whole line
}

// next returns the next line with its "\n", reading more when the buffer
// holds no whole line. Without a "\n", it returns what is left with the
// read error (io.EOF at the end), or the first MaxLineBytes of a line of
// MaxLineBytes or more with bufio.ErrBufferFull (the next call returns
// the rest of it).
func (l *wcLines) next() ([]byte, error) {
	for {
		i := bytes.IndexByte(l.buf[l.r:l.w], '\n')
		if i < 0 && l.w-l.r >= MaxLineBytes || i >= MaxLineBytes {
			line := l.buf[l.r : l.r+MaxLineBytes]
			l.r += MaxLineBytes
			return line, bufio.ErrBufferFull
		}
		if i >= 0 {
			line := l.buf[l.r : l.r+i+1]
			l.r += i + 1
			return line, nil
		}
		if l.err != nil {
			line := l.buf[l.r:l.w]
			l.r = l.w
			return line, l.err
		}
		if l.r > 0 {
			l.w = copy(l.buf, l.buf[l.r:l.w])
			l.r = 0
		}
		l.read()
	}
}

// read appends to buf[:w] what one Read gives, retrying empty reads as
// bufio does.
func (l *wcLines) read() {
	for range 100 {
		n, err := l.rd.Read(l.buf[l.w:])
		if n < 0 || n > len(l.buf)-l.w {
			l.err = errors.New("reader returned an invalid count")
			return
		}
		l.w += n
		if err != nil {
			l.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	l.err = io.ErrNoProgress
}

func (p *wcParser) run() error {
	for {
		if p.fast {
			if n := p.usual(p.in.buf[p.in.r:p.in.w]); n > 0 {
				p.in.r += n
				continue
			}
		}
		line, terminated, err := p.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if !terminated && p.cur != nil {
			// The logger ends every record with "\n"; a last line without
			// one was cut in the middle of the write, so its value cannot be
			// trusted.
			if _, _, _, ok := wcHeader(line, &p.clock); !ok {
				p.cur.Extra = append(p.cur.Extra, string(line))
				p.cur.Partial = true
				p.warn(p.lineNo, "record %s %s cut off in the middle of a line at the end of the input: %q kept as an unknown line", p.cur.Event, p.cur.Test, line)
				continue
			}
		}
		p.line(line, terminated)
	}
	p.closeRecord(true)
	if p.statusErrs > 0 {
		p.warn(p.statusErrAt, "%d record(s) hold no memory figures: the logger could not read /proc/self/status (%q; not Linux?)", p.statusErrs, p.statusErr)
	}
	if p.orphans > 0 {
		p.warn(p.orphanAt, "%d line(s) before the first record header belong to no record (the log starts in the middle of a record?)", p.orphans)
	}
	// One exact allocation for the result: growing a slice of large
	// records by doubling cost more than the parsing itself.
	if p.each == nil && p.n > 0 {
		recs := make([]Record, 0, p.n)
		for _, c := range p.chunks {
			recs = append(recs, c...)
		}
		p.chunks = nil
		p.log.Records = recs
	}
	if p.n == 0 {
		if p.nonBlank > 0 {
			return fmt.Errorf("%s:%d: not a weathercop memory log: no \"[timestamp] EVENT: test\" record header in %d line(s)", p.name, p.orphanAt, p.lineNo)
		}
		p.warn(0, "empty log: the logger truncates it at session start, so the process stopped before its first record (or diagnostics were off)")
		return nil
	}
	for _, o := range p.open {
		p.log.UnfinishedTests = append(p.log.UnfinishedTests, o.idx)
	}
	// Warnings in line order (some are only known at the end).
	sort.SliceStable(p.log.Warnings, func(i, j int) bool { return p.log.Warnings[i].Line < p.log.Warnings[j].Line })
	return nil
}

// line reads one line into the record being read. A record's lines are told
// apart by their indentation and then by the first byte of their text, not
// by trying each field's prefix in turn: the prefix chain and a TrimSpace of
// every line were a third of the parse (BenchmarkStreamFile).
func (p *wcParser) line(line []byte, terminated bool) {
	if len(line) > 0 && line[0] == '[' {
		if ts, event, test, ok := wcHeader(line, &p.clock); ok {
			p.closeRecord(false)
			p.startRecord(ts, event, test, terminated)
			return
		}
	}
	if wcBlank(line) {
		// The code writes no blank lines; the usage guide's example (and a
		// hand-edited log) has them between records.
		return
	}
	p.nonBlank++
	rec := p.cur
	if rec == nil {
		if p.orphans == 0 {
			p.orphanAt = p.lineNo
		}
		p.orphans++
		return
	}
	switch {
	case wcHasPrefix(line, "    "):
		// An item of the section the last field line opened.
		item := line[4:]
		switch p.sec {
		case wcStatus:
			if p.statusEntry(rec, item) {
				p.statusN++
				return
			}
		case wcTop:
			p.topItem(rec, item)
			return
		}
	case wcHasPrefix(line, "  "):
		p.sec = wcNone
		if p.field(rec, line[2:]) {
			return
		}
	default:
		p.sec = wcNone
	}
	rec.Extra = append(rec.Extra, string(line))
}

// field reads a line of the record indented by two spaces (body is the line
// without them): a value, or the title of a section of items. It reports
// false for a line it does not know, which the record keeps in Extra.
func (p *wcParser) field(rec *Record, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	switch body[0] {
	case 'E':
		const prefix = "Elapsed: "
		if !wcHasPrefix(body, prefix) || body[len(body)-1] != 's' {
			return false
		}
		v, ok := wcFloat(body[len(prefix) : len(body)-1])
		if ok {
			rec.ElapsedS, rec.HasElapsed = v, true
		}
		return ok
	case '/':
		if string(body) == "/proc/self/status:" {
			p.sec, p.hasStat = wcStatus, true
			return true
		}
	case 'T':
		if string(body) == "Top tracemalloc allocations:" {
			p.sec, p.hasTop = wcTop, true
			return true
		}
	case 'P':
		const prefix, suffix = "Peak memory: ", " MB"
		if len(body) <= len(prefix)+len(suffix) || !wcHasPrefix(body, prefix) || string(body[len(body)-len(suffix):]) != suffix {
			return false
		}
		v, ok := wcFloat(body[len(prefix) : len(body)-len(suffix)])
		if ok {
			rec.TracemallocPeakMiB, rec.HasTracemallocPeak = v, true
		}
		return ok
	case 'G':
		const prefix, sep = "GC: collections=", ", uncollectable="
		if !wcHasPrefix(body, prefix) {
			return false
		}
		rest := body[len(prefix):]
		// The count ends at its first non-digit: sep is there, or the
		// line is not this field.
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if !wcHasPrefix(rest[i:], sep) {
			return false
		}
		c, ok1 := wcInt(rest[:i])
		u, ok2 := wcInt(rest[i+len(sep):])
		if ok1 && ok2 {
			rec.GCCollections, rec.GCUncollectable, rec.HasGC = c, u, true
		}
		return ok1 && ok2
	case 'O':
		const prefix = "Open xarray datasets: "
		if !wcHasPrefix(body, prefix) {
			return false
		}
		n, ok := wcInt(body[len(prefix):])
		if ok {
			rec.OpenXarrayDatasets = n
		}
		return ok
	}
	return false
}

// statusEntry reads "Key: value" under "/proc/self/status:": one of the
// four Vm keys the logger copies, in kB, or the logger's "error: ...".
// Another key is not known (false).
func (p *wcParser) statusEntry(rec *Record, item []byte) bool {
	var val *int64
	var has *bool
	var rest []byte
	switch {
	case len(item) < len("VmRSS: "):
		return false
	case item[0] == 'e':
		if !wcHasPrefix(item, "error: ") {
			return false
		}
		rec.ProcStatusError = string(item[len("error: "):])
		return true
	// The third byte tells the Vm keys apart before their prefix is compared.
	case item[2] == 'R' && wcHasPrefix(item, "VmRSS: "):
		val, has, rest = &rec.VmRSSBytes, &rec.HasVmRSS, item[len("VmRSS: "):]
	case item[2] == 'H' && wcHasPrefix(item, "VmHWM: "):
		val, has, rest = &rec.VmHWMBytes, &rec.HasVmHWM, item[len("VmHWM: "):]
	case item[2] == 'P' && wcHasPrefix(item, "VmPeak: "):
		val, has, rest = &rec.VmPeakBytes, &rec.HasVmPeak, item[len("VmPeak: "):]
	case item[2] == 'S' && wcHasPrefix(item, "VmSize: "):
		val, has, rest = &rec.VmSizeBytes, &rec.HasVmSize, item[len("VmSize: "):]
	default:
		return false
	}
	const suffix = " kB"
	if len(rest) < len(suffix) || string(rest[len(rest)-len(suffix):]) != suffix {
		return false
	}
	kib, ok := wcInt(rest[:len(rest)-len(suffix)])
	if !ok || int64(kib) > math.MaxInt64/1024 {
		return false
	}
	*val, *has = int64(kib)*1024, true
	return true
}

// topItem appends an item to rec.TracemallocTop. The items of all records
// share slabs of wcChunk strings (one allocation per slab, not per record);
// each record's slice is capped, so appending to it copies. A list of
// "(tracemalloc not active)" alone, that of nearly every record, is one
// slice for the whole log: the slabs were 3 of the 5 MB that
// BenchmarkStreamFile allocated, and their garbage collection a tenth of
// its time.
func (p *wcParser) topItem(rec *Record, item []byte) {
	s := TracemallocNotActive
	if string(item) != s {
		s = string(item)
	}
	n := len(rec.TracemallocTop)
	if n == 0 && s == TracemallocNotActive {
		if p.notActive == nil {
			p.notActive = []string{TracemallocNotActive}
		}
		rec.TracemallocTop = p.notActive
		return
	}
	// The record's items so far must end the slab for the new one to
	// follow them; they do not when they are notActive.
	atEnd := n == 0 || len(p.slab) >= n && &p.slab[len(p.slab)-n] == &rec.TracemallocTop[0]
	if !atEnd || len(p.slab) == cap(p.slab) {
		if cap(p.slab)-len(p.slab) < n+1 {
			p.slab = make([]string, 0, max(wcChunk, 2*(n+1)))
		}
		p.slab = append(p.slab, rec.TracemallocTop...)
	}
	p.slab = append(p.slab, s)
	end := len(p.slab)
	rec.TracemallocTop = p.slab[end-n-1 : end : end]
}

func (p *wcParser) startRecord(ts time.Time, event string, name []byte, terminated bool) {
	// A TEST_END shares its name string with its TEST_START.
	openAt := -1
	var test string
	switch {
	case string(name) == "pytest":
		test = "pytest"
	case event == TestEnd:
		for j := len(p.open) - 1; j >= 0; j-- {
			if o := p.open[j]; o.test == string(name) {
				openAt, test = j, o.test
				break
			}
		}
		if openAt < 0 {
			test = string(name)
		}
	default:
		test = string(name)
	}
	// The record is written in place: building it first and copying it
	// was a tenth of startRecord (BenchmarkStreamFile).
	if p.each != nil {
		p.scratch = Record{Line: p.lineNo, Time: ts, Event: event, Test: test}
		p.cur = &p.scratch
	} else {
		if len(p.chunks) == 0 || len(p.chunks[len(p.chunks)-1]) == wcChunk {
			p.chunks = append(p.chunks, make([]Record, 0, wcChunk))
		}
		last := &p.chunks[len(p.chunks)-1]
		*last = append(*last, Record{Line: p.lineNo, Time: ts, Event: event, Test: test})
		p.cur = &(*last)[len(*last)-1]
	}
	idx := p.n
	p.n++
	p.sec, p.statusN, p.hasStat, p.hasTop = wcNone, 0, false, false
	if !terminated {
		p.cur.Partial = true
		p.warn(p.lineNo, "record %s %s cut off after its header line at the end of the input (the test name may be cut too)", event, test)
	}

	switch event {
	case SessionStart:
		p.sessions++
		if p.sessions == 2 {
			p.interleaved("split-session", "a second SESSION_START")
		}
	case TestStart:
		if len(p.open) > 0 {
			prev := p.open[len(p.open)-1]
			p.interleaved("split-test", fmt.Sprintf("TEST_START %s while %s (line %d) has no TEST_END yet", test, prev.test, prev.line))
		}
		p.open = append(p.open, wcOpen{idx: idx, test: test, line: p.lineNo})
	case TestEnd:
		if openAt >= 0 {
			p.open = append(p.open[:openAt], p.open[openAt+1:]...)
		} else {
			p.warn(p.lineNo, "TEST_END %s has no TEST_START before it (lost to the truncation race of several writers, or the log starts mid-session)", test)
		}
	case SessionEnd:
		p.log.SessionEnded = true
	default:
		if p.unknownEvent == nil {
			p.unknownEvent = map[string]bool{}
		}
		if !p.unknownEvent[event] {
			p.unknownEvent[event] = true
			p.warn(p.lineNo, "unknown event %s: record kept", event)
		}
	}
}

// wcReadBytes is the size of a read: reads of 256 KiB took a quarter less
// time in the kernel than reads of 64 KiB (BenchmarkStreamFile).
const wcReadBytes = 4 * MaxLineBytes

// wcChunk is how many records the parser allocates at a time.
const wcChunk = 4096

func (p *wcParser) interleaved(kind, what string) {
	p.log.Interleaved = true
	if p.warnedSplit == nil {
		p.warnedSplit = map[string]bool{}
	}
	if p.warnedSplit[kind] {
		return
	}
	p.warnedSplit[kind] = true
	p.warn(p.lineNo, "%s: several processes (pytest-xdist workers) wrote this log; its records carry no pid or worker id, so they cannot be told apart", what)
}

// closeRecord checks the record just read for the lines the logger always
// writes for its event.
func (p *wcParser) closeRecord(atEOF bool) {
	rec := p.cur
	if rec == nil {
		return
	}
	p.cur = nil
	var missing []string
	if !rec.HasElapsed {
		missing = append(missing, "Elapsed")
	}
	switch {
	case !p.hasStat:
		missing = append(missing, "/proc/self/status")
	case rec.ProcStatusError == "" && p.statusN == 0:
		missing = append(missing, "/proc/self/status values")
	}
	if !p.hasTop || len(rec.TracemallocTop) == 0 {
		missing = append(missing, "tracemalloc allocations")
	}
	if (rec.Event == TestStart || rec.Event == TestEnd) && !rec.HasGC {
		missing = append(missing, "GC")
	}
	if rec.ProcStatusError != "" {
		if p.statusErrs == 0 {
			p.statusErrAt, p.statusErr = rec.Line, rec.ProcStatusError
		}
		p.statusErrs++
	}
	if len(missing) > 0 {
		rec.Partial = true
		where := "lines lost (interleaved writers?)"
		if atEOF {
			where = "cut off at the end of the input (by the kill?)"
		}
		p.warn(rec.Line, "record %s %s is incomplete, %s: no %s line", rec.Event, rec.Test, where, wcJoin(missing))
	}
	if rec.HasElapsed {
		// Python's %.1f rounding allows 0.1 s of jitter.
		if p.havePrev && rec.ElapsedS < p.prevElapsed-0.15 {
			p.interleaved("elapsed-back", fmt.Sprintf("Elapsed went back from %.1fs to %.1fs (another process's logger, or a wall-clock step)", p.prevElapsed, rec.ElapsedS))
		}
		p.prevElapsed, p.havePrev = rec.ElapsedS, true
	}
	if p.each != nil {
		p.each(rec)
	}
}

func wcJoin(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	return b.String()
}

// wcHeader parses "[YYYY-MM-DDTHH:MM:SS[.ffffff]] EVENT: test". EVENT is an
// upper-case word; test is the rest of the line (it may hold ": " or "]").
func wcHeader(line []byte, clock *wcClock) (ts time.Time, event string, test []byte, ok bool) {
	if len(line) < 22 || line[0] != '[' {
		return
	}
	end := bytes.IndexByte(line, ']')
	if end < 0 {
		return
	}
	ts, ok = clock.time(line[1:end])
	if !ok || end+2 > len(line) || line[end+1] != ' ' {
		return time.Time{}, "", nil, false
	}
	rest := line[end+2:]
	i := bytes.IndexByte(rest, ':')
	if i <= 0 {
		return time.Time{}, "", nil, false
	}
	ev := rest[:i]
	name := rest[i+1:]
	if len(name) > 0 && name[0] == ' ' {
		name = name[1:]
	}
	switch string(ev) {
	case SessionStart:
		event = SessionStart
	case TestStart:
		event = TestStart
	case TestEnd:
		event = TestEnd
	case SessionEnd:
		event = SessionEnd
	default:
		for _, c := range ev {
			if (c < 'A' || c > 'Z') && c != '_' {
				return time.Time{}, "", nil, false
			}
		}
		event = string(ev)
	}
	return ts, event, name, true
}

// wcClock reads the header's stamps, Python's datetime.isoformat() of a
// naive datetime, in a zone. time.Date was a third of the cost of a header
// (BenchmarkStreamFile); the stamps of a log fall in few hours, so the clock
// keeps the first instant of the last hour it read and adds the minutes and
// seconds to it, where one zone offset holds from a day before that hour to
// a day after it (the result is then time.Date's, to the bit).
type wcClock struct {
	loc   *time.Location
	hour  [len("YYYY-MM-DDTHH")]byte
	start time.Time // the first instant of hour, in loc
	keep  bool      // start may be added to
}

// time parses "YYYY-MM-DDTHH:MM:SS" plus ".ffffff" unless the microseconds
// are 0. The date and hour are read only when they are not the kept hour's.
func (c *wcClock) time(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	mi, ok1 := wcInt(b[14:16])
	s, ok2 := wcInt(b[17:19])
	ns, ok3 := wcNanos(b[19:])
	if !ok1 || !ok2 || !ok3 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	sinceHour := time.Duration(mi)*time.Minute + time.Duration(s)*time.Second + time.Duration(ns)
	if c.keep && string(b[:len(c.hour)]) == string(c.hour[:]) {
		return c.start.Add(sinceHour), true
	}
	y, ok1 := wcInt(b[0:4])
	mo, ok2 := wcInt(b[5:7])
	d, ok3 := wcInt(b[8:10])
	h, ok4 := wcInt(b[11:13])
	if !ok1 || !ok2 || !ok3 || !ok4 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, ns, c.loc)
	if t.Day() != d { // 31 February and the like
		return time.Time{}, false
	}
	start := time.Date(y, time.Month(mo), d, h, 0, 0, 0, c.loc)
	from, until := start.ZoneBounds()
	c.keep = start.Add(sinceHour).Equal(t) &&
		(from.IsZero() || !from.After(start.Add(-24*time.Hour))) &&
		(until.IsZero() || until.After(start.Add(25*time.Hour)))
	copy(c.hour[:], b)
	c.start = start
	return t, true
}

// wcNanos reads the fraction of a second after a stamp's seconds: "" or
// "." and 1 to 9 digits.
func wcNanos(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if b[0] != '.' || len(b) > 10 {
		return 0, false
	}
	f, ok := wcInt(b[1:])
	for i := len(b) - 1; i < 9; i++ {
		f *= 10
	}
	return f, ok
}

// wcHasPrefix is bytes.HasPrefix for a constant prefix: the comparison
// with a constant string compiles to a few word compares, not a call.
func wcHasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// wcBlank reports whether line is empty or white space only
// (bytes.TrimSpace would leave nothing), looking at its last byte, or at its
// indentation and the byte after it, unless they are other kinds of space.
func wcBlank(line []byte) bool {
	if n := len(line); n > 0 && line[n-1] > ' ' && line[n-1] < utf8.RuneSelf {
		return false // the end of every line the logger writes
	}
	i := 0
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i == len(line) {
		return true
	}
	if c := line[i]; c > ' ' && c < utf8.RuneSelf {
		return false // ASCII white space is ' ' and below
	}
	return len(bytes.TrimSpace(line)) == 0
}

// wcInt parses a non-negative decimal int.
func wcInt(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

var wcPow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// wcFloat parses Python's "%.1f" output fast ("12.3", "-0.0"): an integer
// mantissa below 2^53 divided by a power of ten is correctly rounded, as
// strconv.ParseFloat would be. Anything else ("inf", "1e+20") goes to
// strconv.
func wcFloat(b []byte) (float64, bool) {
	// "%.1f" of 0 to 10^14 (every float the logger writes) is read without
	// the loop: it was a third of field (BenchmarkStreamFile). It is the
	// loop's result: the same mantissa over the same power of ten.
	if n := len(b); n >= 3 && n <= 16 && b[n-2] == '.' && b[n-1] >= '0' && b[n-1] <= '9' {
		if whole, ok := wcInt(b[:n-2]); ok {
			return float64(uint64(whole)*10+uint64(b[n-1]-'0')) / wcPow10[1], true
		}
	}
	neg := false
	s := b
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			digits = 99
		}
		if digits > 15 {
			break
		}
	}
	if digits > 0 && digits <= 15 && frac < len(wcPow10) {
		v := float64(m) / wcPow10[frac]
		if neg {
			v = -v
		}
		return v, true
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return v, err == nil
}
