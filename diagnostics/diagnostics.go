package diagnostics

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	json "github.com/goccy/go-json"
)

// SchemaV1 is the schema named by the session_start record of a
// diagnostics file written by contrib/pytest/oomlens_diagnostics.py. A file
// without a schema is read as v1. See docs/diagnostics-format.md.
const SchemaV1 = "oomlens/diagnostics/v1"

// The events of the diagnostics format (docs/diagnostics-format.md). Unknown
// events are kept as records with their Event spelled as in the file.
const (
	EventSessionStart    = "session_start"
	EventTestStart       = "test_start"
	EventTestEnd         = "test_end"
	EventFixtureTeardown = "fixture_teardown"
	EventSample          = "sample"
	// Written by the plugin, optional in the format:
	EventFixtureSetup = "fixture_setup" // a module or session fixture made: RSSBeforeBytes, RSSAfterBytes
	EventSessionEnd   = "session_end"   // the session finished (absent when killed)
)

// The shapes Parse accepts, as reported in Log.Format.
const (
	FormatJSONL     = "jsonl"      // one record per line (what the plugin writes)
	FormatJSONArray = "json-array" // one JSON array of records
	FormatSummary   = "summary"    // {"tests": [{"name": …, "peak_memory_mb": …}, …]}
)

// DefaultMaxLineBytes is the longest record line (or array
// element) read when Options.MaxLineBytes is 0. A longer one is
// skipped with a warning carrying its line number.
const DefaultMaxLineBytes = 16 << 20

// diagXarrayDatasetType is the open_objects key of an xarray Dataset, the type the
// legacy open_datasets / unclosed_datasets counts stand for.
const diagXarrayDatasetType = "xarray.Dataset"

// Options tunes Parse.
type Options struct {
	// Name names the input (usually its path) in errors and warnings.
	Name string
	// MaxLineBytes is the longest line or array element read; 0 means
	// DefaultMaxLineBytes.
	MaxLineBytes int
	// SizeHintBytes is the input's size when known, 0 when not. With it,
	// once the first records are read, room for as many records as the
	// rest of the input holds at their average line length is reserved at
	// once, instead of Records being regrown (and copied) step by step. A
	// wrong hint costs memory or copies, never results.
	SizeHintBytes int64
}

// Log is one parsed diagnostics file: the per-test memory records
// written by contrib/pytest/oomlens_diagnostics.py (or a compatible tool) for
// one pytest process. Under pytest-xdist each worker writes its own file;
// records carry PID and Worker so that files may also be merged.
type Log struct {
	// Schema is the session_start "schema", or SchemaV1 when the
	// file does not name one.
	Schema string
	// Records in file order.
	Records []Record
	// Warnings about partial or doubtful evidence: a cut-off last line, an
	// over-long line skipped, an unknown schema.
	Warnings []Warning
	// Format is the shape read: FormatJSONL, FormatJSONArray or FormatSummary.
	Format string
	// Extra holds the top-level fields of a summary object other than
	// "tests", verbatim. Nil for the other shapes.
	Extra map[string]json.RawMessage
}

// Record is one diagnostics event. Which fields are set depends on Event; the
// Has* flags tell a field that is missing (or null) from a zero value. Times
// are Unix seconds on the wall clock (Python's time.time()); memory is in
// bytes, read from /proc/self/status of the test process.
type Record struct {
	Event  string  // "session_start", "test_start", "test_end", "fixture_teardown", "sample", or unknown
	Time   float64 // Unix seconds, wall clock; 0 when missing
	PID    int     // the pytest process (xdist: the worker process)
	Worker string  // pytest-xdist worker id ("gw0"), "" when not under xdist
	Line   int     // 1-based line where the record starts in the input

	NodeID    string  // pytest node id, "path::Class::test[param]"
	Outcome   string  // test_end: "passed", "failed", "skipped", …
	DurationS float64 // test_end: setup+call+teardown wall time, seconds

	// RSSBytes is VmRSS when the record was written: at test_start before
	// setup, at test_end after teardown (function-scoped fixture values
	// released), at sample and session_start when written.
	RSSBytes int64
	// RSSAnonBytes is RssAnon (anonymous resident memory, Linux 4.5+), the
	// part of RSS a leak grows; HasRSSAnon is false when not recorded.
	RSSAnonBytes int64
	// PeakRSSBytes is the highest VmRSS sampled during the test (test_end),
	// or the peak figure of a summary entry (whose unit and meaning are the
	// summary writer's: weathercop's peak_memory_mb is a tracemalloc peak).
	PeakRSSBytes int64
	HasRSS       bool
	HasRSSAnon   bool
	HasPeak      bool
	// PeakSource says how PeakRSSBytes was measured: "vmhwm" (the kernel's
	// exact high-water mark, reset at test_start through
	// /proc/self/clear_refs) or "sampled" (polled, may miss a brief peak).
	PeakSource string
	// TracebackKept is set on a test_end or fixture_teardown read while
	// sys.last_traceback held a failed test's frames (and so their locals)
	// alive; pytest releases them at the next test's call phase.
	TracebackKept bool

	// OpenObjects counts, by type, the objects made during this test and
	// still alive after it (test_end), e.g. {"xarray.Dataset": 1}. A legacy
	// open_datasets / unclosed_datasets count N reads as {"xarray.Dataset": N}.
	OpenObjects       map[string]int
	OpenObjectDetails []OpenObject

	// fixture_teardown: the fixture finalized, its scope ("module",
	// "session", …) and VmRSS just before and after its finalizers ran
	// (fixture_setup: before and after it was made). RSSAnonBytes is then
	// RssAnon after, RSSAnonBeforeBytes RssAnon before.
	Fixture            string
	Scope              string
	RSSBeforeBytes     int64
	RSSAfterBytes      int64
	RSSAnonBeforeBytes int64
	HasRSSAnonBefore   bool

	// session_start: boot time (Unix seconds, btime of /proc/stat) and
	// CLOCK_MONOTONIC seconds at Time, to put kernel uptime stamps on the
	// wall clock.
	BootTime     float64
	Monotonic    float64
	HasBootTime  bool
	HasMonotonic bool

	// Extra holds the fields this reader does not know, verbatim.
	Extra map[string]json.RawMessage
}

// OpenObject describes one object counted in Record.OpenObjects.
type OpenObject struct {
	Type        string // "xarray.Dataset"
	FileBacked  bool   // opened from a file (open_dataset, open_mfdataset)
	Closed      bool   // the file was closed, though the object lives on
	NBytes      int64  // the object's nbytes (in-memory size of its data if loaded)
	Description string // a short human description (path, dims)
}

// ParseError is bad diagnostics input: a line that is not JSON (other
// than a cut-off last line), or a field of the wrong type.
type ParseError struct {
	Name  string // Options.Name
	Line  int    // 1-based line of the record
	Field string // the field at fault, "" for a syntax error
	Msg   string
}

func (e *ParseError) Error() string {
	name := e.Name
	if name == "" {
		name = "diagnostics"
	}
	if e.Field != "" {
		return fmt.Sprintf("%s:%d: field %q: %s", name, e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", name, e.Line, e.Msg)
}

// Sniff reports whether head, the first bytes (up to 64 KiB)
// of an input, looks like a diagnostics file in one of the accepted shapes.
// It is cheap and never reads past head; it does not claim weathercop's text
// logs (which also start with '[') nor pytest-reportlog JSON Lines.
func Sniff(head []byte) bool {
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	head = bytes.TrimPrefix(head, diagBOM)
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 || (head[0] != '{' && head[0] != '[') {
		return false
	}
	if diagKeyValue(head, `"schema"`, func(v []byte) bool {
		return bytes.HasPrefix(v, []byte(`"oomlens/diagnostics/`))
	}) {
		return true
	}
	if diagKeyValue(head, `"event"`, func(v []byte) bool {
		for _, ev := range []string{EventSessionStart, EventTestStart, EventTestEnd, EventFixtureTeardown, EventSample} {
			if bytes.HasPrefix(v, []byte(`"`+ev+`"`)) {
				return true
			}
		}
		return false
	}) {
		return true
	}
	if head[0] == '{' && diagKeyValue(head, `"tests"`, func(v []byte) bool { return len(v) > 0 && v[0] == '[' }) {
		for _, k := range []string{`"peak_memory_mb"`, `"peak_mb"`, `"peak_rss_bytes"`} {
			if diagKeyValue(head, k, func(v []byte) bool { return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') }) {
				return true
			}
		}
	}
	return false
}

// diagKeyValue reports whether head holds key (quoted) followed by a colon
// and a value for which ok is true: "event": "test_end" but not a JSON
// Schema's "event": {"type": "string"}.
func diagKeyValue(head []byte, key string, ok func(value []byte) bool) bool {
	for rest := head; ; {
		i := bytes.Index(rest, []byte(key))
		if i < 0 {
			return false
		}
		rest = rest[i+len(key):]
		v := bytes.TrimLeft(rest, " \t\r\n")
		if len(v) > 0 && v[0] == ':' && ok(bytes.TrimLeft(v[1:], " \t\r\n")) {
			return true
		}
	}
}

var diagBOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads a diagnostics file from r: JSON Lines as written by
// contrib/pytest/oomlens_diagnostics.py, a JSON array of the same records, or
// a summary object {"tests": [...]} (docs/diagnostics-format.md).
//
// It streams: memory is bounded by the records kept plus one line (or array
// element) of at most opts.MaxLineBytes. A cut-off last line, an over-long
// line and an unknown schema are warnings. So is a record with a known field
// of the wrong type or out of range ("rss_bytes": -1) or without an event:
// the warning names the line and the field, that record is skipped (no
// figure of it is trusted) and every other record is kept. A line that is
// not JSON (other than the last one) is an error naming the input and the
// line: such a file was not written to this format.
func Parse(r io.Reader, opts Options) (*Log, error) {
	return parse(r, opts, nil)
}

// Stream reads a diagnostics file as Parse does, but hands each record to
// each as it is read instead of keeping it: the Log it returns holds the
// schema, format, warnings and summary fields, and no Records. Memory stays
// that of one line (or array element) whatever the file's length, so a
// caller that keeps only what it needs of each record (correlate's
// normaliser) holds no second copy of the file. format is Log.Format, known
// before the first record; rec is valid only during the call (its strings
// and maps may be kept).
func Stream(r io.Reader, opts Options, each func(format string, rec *Record)) (*Log, error) {
	if each == nil {
		each = func(string, *Record) {}
	}
	return parse(r, opts, each)
}

// StreamBytes is Stream of an input whole in memory, such as a file
// discover read whole: it is read in place, never copied into a buffer of
// the parser's (see diagSource), and is the caller's again once StreamBytes
// returns: nothing handed to each, nor the Log, holds any of it.
func StreamBytes(data []byte, opts Options, each func(format string, rec *Record)) (*Log, error) {
	if each == nil {
		each = func(string, *Record) {}
	}
	return parseSource(diagSource{data: data}, opts, each, false)
}

func parse(r io.Reader, opts Options, each func(string, *Record)) (*Log, error) {
	return parseWith(r, opts, each, false)
}

// parseWith is parse; general turns the one-pass path (onePass) off.
func parseWith(r io.Reader, opts Options, each func(string, *Record), general bool) (*Log, error) {
	br := diagReaderPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		diagReaderPool.Put(br)
	}()
	return parseSource(diagSource{br: br}, opts, each, general)
}

// parseSource is parseWith of src, a stream or an input in memory.
func parseSource(src diagSource, opts Options, each func(string, *Record), general bool) (*Log, error) {
	p := &diagParser{
		name:    opts.Name,
		maxLine: opts.MaxLineBytes,
		hint:    opts.SizeHintBytes,
		br:      src,
		line:    1,
		d:       &Log{},
		each:    each,
		general: general,
	}
	p.members = p.membersBuf[:0]
	if p.maxLine <= 0 {
		p.maxLine = DefaultMaxLineBytes
	}
	if err := p.parse(); err != nil {
		return nil, err
	}
	if p.d.Schema == "" {
		p.d.Schema = SchemaV1
	}
	return p.d, nil
}

// diagReaderPool recycles Parse' 64 KiB read buffers. Records
// copy what they keep out of the lines (strings, bytes.Clone for Extra), so
// nothing points into a buffer once the parse returns.
var diagReaderPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

type diagParser struct {
	name    string
	maxLine int
	br      diagSource
	line    int // line of the next byte to be read from br
	d       *Log
	members diagMembers // reused by decodeObject
	// membersBuf is members' first array, room for a record's fields: a
	// batch job's first line grew members from nothing four times, a
	// quarter of a Stream call's allocations.
	membersBuf [16]diagMember
	lineBuf    []byte // reused by readLine for lines longer than br's buffer
	hint       int64  // Options.SizeHintBytes
	read       int64  // bytes readLine consumed
	// reserved is set once Records was given room for the hinted input.
	reserved bool
	// strs shares the strings that repeat from record to record (events,
	// outcomes, workers, scopes); lastNodeID the node id of the last record
	// (a test_end names the node its test_start named).
	strs       map[string]string
	lastNodeID string
	// lastNodePlain is set when onePass read lastNodeID: its bytes are
	// printable ASCII without '"' or '\\'.
	lastNodePlain bool
	slab          diagSlab // the node ids
	// each takes the records (Stream); nil keeps them in Records (Parse).
	each    func(format string, rec *Record)
	scratch Record
	// general turns onePass off, for the tests that hold it to the
	// general path.
	general bool
	// onePass's: the shapes of the last lines, the keys of this one, the
	// schema it named.
	shapes        diagShapes
	keys          diagShape
	onePassSchema string
	// byTemplates': the template of each event slot (diagShapeSlot) made
	// of the last line of it onePass read, the values of this one,
	// the slot of the last line read and the slot that followed each
	// the last time.
	templates [len(diagShapes{})]*diagTemplate
	spans     [diagTemplateFields]diagSpan
	lastSlot  int
	follows   [len(diagShapes{})]int
}

func (p *diagParser) errorf(line int, field, format string, args ...any) error {
	return &ParseError{Name: p.name, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (p *diagParser) warn(line int, format string, args ...any) {
	p.d.Warnings = append(p.d.Warnings, Warning{Line: line, Message: fmt.Sprintf(format, args...)})
}

// parse picks the shape from the first non-blank byte: '[' is a JSON array;
// '{' is JSON Lines unless the first line is not a whole JSON value, or is a
// summary object, in which case the input is read as one JSON document.
func (p *diagParser) parse() error {
	if b, err := p.br.Peek(3); err == nil && bytes.Equal(b, diagBOM) {
		p.br.Discard(3)
	}
	c, err := p.skipSpace()
	if err == io.EOF {
		p.d.Format = FormatJSONL
		return nil // an empty file: the process was killed before session_start
	}
	if err != nil {
		return p.readErr(err)
	}
	switch c {
	case '[':
		p.d.Format = FormatJSONArray
		return p.parseDocument()
	case '{':
	default:
		return p.errorf(p.line, "", "not a diagnostics file: starts with %q, want '{' or '['", c)
	}
	// Read the first line and decide between JSON Lines and one document.
	first, firstLine, truncated, err := p.readLine()
	if err != nil && err != io.EOF {
		return p.readErr(err)
	}
	atEOF := err == io.EOF
	if truncated {
		// Too long to tell; JSON Lines, the format's own shape, is likelier
		// than a document whose first line alone passes the limit.
		p.d.Format = FormatJSONL
		p.warn(firstLine, "line longer than %d bytes skipped", p.maxLine)
		if atEOF {
			return nil
		}
		return p.parseLines()
	}
	if fields, err := p.decodeObject(first); err == nil {
		if fields.has("tests") && !fields.has("event") {
			p.d.Format = FormatSummary
			if err := p.summaryObject(fields, firstLine); err != nil {
				return err
			}
			return p.trailing()
		}
		p.d.Format = FormatJSONL
		p.addRecord(fields, firstLine, false)
		if atEOF {
			return nil
		}
		return p.parseLines()
	}
	if atEOF {
		// A single line that is not whole JSON: the first record, cut off.
		p.d.Format = FormatJSONL
		p.warn(firstLine, "last line cut off (%d bytes, not whole JSON): the writer was killed while writing it", len(first))
		return nil
	}
	// The first line is not whole JSON but more follows: one multi-line
	// (pretty-printed) JSON document. Replay the first line.
	p.br.replay(first)
	p.line = firstLine
	p.d.Format = FormatSummary
	return p.parseDocument()
}

func (p *diagParser) readErr(err error) error {
	return fmt.Errorf("%s:%d: reading: %w", p.nameOr(), p.line, err)
}

func (p *diagParser) nameOr() string {
	if p.name == "" {
		return "diagnostics"
	}
	return p.name
}

// skipSpace skips JSON white space and returns, without consuming it, the
// next byte.
func (p *diagParser) skipSpace() (byte, error) {
	for {
		c, err := p.br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case '\n':
			p.line++
		case ' ', '\t', '\r':
		default:
			p.br.UnreadByte()
			return c, nil
		}
	}
}

// readLine reads one line without its newline. truncated is true when the
// line was longer than maxLine; the rest of it is then consumed and dropped.
// err is io.EOF when the line ended at the end of the input without a
// newline (line may still hold bytes).
func (p *diagParser) readLine() (line []byte, lineNo int, truncated bool, err error) {
	lineNo = p.line
	frag, ferr := p.br.ReadSlice()
	p.read += int64(len(frag))
	if ferr == nil && len(frag) <= p.maxLine+1 {
		// The whole line is in br's buffer: use it in place. It is valid
		// until the next read from br, and nothing keeps it that long.
		p.line++
		return frag[:len(frag)-1], lineNo, false, nil
	}
	buf := p.lineBuf[:0]
	defer func() {
		if cap(buf) > cap(p.lineBuf) {
			p.lineBuf = buf[:0]
		}
	}()
	for first := true; ; first = false {
		if !first {
			frag, ferr = p.br.ReadSlice()
			p.read += int64(len(frag))
		}
		if !truncated {
			if len(buf)+len(frag) > p.maxLine+1 { // +1: the newline
				truncated = true
				buf = nil
			} else {
				buf = append(buf, frag...)
			}
		}
		if ferr == bufio.ErrBufferFull {
			continue
		}
		if ferr != nil {
			return buf, lineNo, truncated, ferr
		}
		p.line++
		return bytes.TrimSuffix(buf, []byte{'\n'}), lineNo, truncated, nil
	}
}

// parseLines reads the JSON Lines that follow the first record.
func (p *diagParser) parseLines() error {
	for {
		if !p.general {
			p.onePassBuffered()
		}
		line, lineNo, truncated, err := p.readLine()
		if err != nil && err != io.EOF {
			return p.readErr(err)
		}
		atEOF := err == io.EOF
		if truncated {
			p.warn(lineNo, "line longer than %d bytes skipped", p.maxLine)
		} else if err := p.jsonLine(line, lineNo, atEOF); err != nil {
			return err
		}
		if atEOF {
			return nil
		}
		p.maybeReserve()
	}
}

// maybeReserve reserves room for the records once diagReserveAfter of
// them were read (Parse), and sizes the node ids' next chunk then.
func (p *diagParser) maybeReserve() {
	if !p.reserved && p.each == nil && len(p.d.Records) >= diagReserveAfter {
		p.reserve()
	}
	if p.line == diagReserveAfter {
		p.sizeSlab()
	}
}

// sizeSlab sizes the node ids' next chunk for the rest of the input when
// its size is known (in memory, or hinted), by the node ids' share of the
// lines read so far, 5% more for the spread: a batch job's 170 KB file
// took chunks of 1, 2, 4, 8 and 16 KB (31 KB) for 20 KB of node ids, and
// now takes 1 and some 20 KB. A wrong size costs memory, never results.
func (p *diagParser) sizeSlab() {
	size := p.hint
	if p.br.br == nil {
		size = int64(len(p.br.data))
	}
	if size <= p.read || p.read <= 0 {
		return
	}
	rest := float64(p.slab.used) * float64(size-p.read) / float64(p.read)
	p.slab.next = int(min(rest*1.05, diagSlabMaxChunk))
}

// diagReserveAfter is how many records are read before their average line
// length is taken to size Records for the rest of the hinted input.
const diagReserveAfter = 32

// diagReserveMaxRecords bounds what a hint can reserve (about 32 MiB of
// records): past it, Records grows as appends grow it, so that a wrong hint
// cannot cost more.
const diagReserveMaxRecords = 32 << 20 / int64(unsafe.Sizeof(Record{}))

// reserve gives Records room for the records the rest of the input may
// hold, by SizeHintBytes and the average line length so far (5% more for
// the spread), capped at one record per 32 bytes of input and at
// diagReserveMaxRecords.
func (p *diagParser) reserve() {
	p.reserved = true
	n := int64(len(p.d.Records))
	if p.hint <= p.read || p.read <= 0 {
		return
	}
	est := int64(float64(p.hint) / float64(p.read) * float64(n))
	want := min(est+est/20+1, p.hint/32, diagReserveMaxRecords)
	if want > n {
		p.d.Records = slices.Grow(p.d.Records, int(want-n))
	}
}

func diagIsBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// diagStartsNUL reports a NUL as the first byte after blanks: the cheap
// necessary condition of a NUL line.
func diagStartsNUL(b []byte) bool {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i < len(b) && b[i] == 0
}

func diagIsNUL(b []byte) bool {
	return len(b) > 0 && len(bytes.Trim(b, "\x00")) == 0
}

// jsonLine decodes one line of a JSON Lines file. last is true for a line
// that ends the input without a newline: if it is not whole JSON, it is the
// record being written when the process was killed.
func (p *diagParser) jsonLine(line []byte, lineNo int, last bool) error {
	if diagIsBlank(line) {
		return nil
	}
	if diagStartsNUL(line) && diagIsNUL(bytes.Trim(line, " \t\r")) {
		// A file system can leave a crashed writer's unwritten tail as NULs.
		p.warn(lineNo, "line of %d NUL bytes skipped: blocks allocated but never written before the crash", len(line))
		return nil
	}
	if !p.general && p.onePass(line, lineNo) {
		return nil
	}
	fields, err := p.decodeObject(line)
	if err != nil {
		if last && !json.Valid(line) {
			p.warn(lineNo, "last line cut off (%d bytes, not whole JSON): the writer was killed while writing it", len(line))
			return nil
		}
		if i := bytes.Index(line[1:], []byte(`{"event"`)); i >= 0 {
			return p.errorf(lineNo, "", "%s (a second record starts at byte %d: was a cut-off file concatenated with another? read the files one by one)", err, i+2)
		}
		return p.errorf(lineNo, "", "%s", err)
	}
	p.addRecord(fields, lineNo, false)
	return nil
}

func diagShortErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// trailing checks that nothing but white space follows a JSON document.
func (p *diagParser) trailing() error {
	c, err := p.skipSpace()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return p.readErr(err)
	}
	return p.errorf(p.line, "", "unexpected %q after the JSON document: a file holds one document, or one record per line", c)
}

// parseDocument reads one JSON document streaming: a top-level array of
// records, or a top-level summary object whose "tests" array is streamed
// element by element. The document being cut off is a warning.
func (p *diagParser) parseDocument() error {
	c, err := p.skipSpace()
	if err != nil {
		return p.readErr(err)
	}
	switch c {
	case '[':
		p.br.ReadByte()
		p.d.Format = FormatJSONArray
		done, err := p.streamArray(func(raw []byte, line int) error {
			return p.arrayElement(raw, line, false)
		})
		if err != nil || !done {
			return err
		}
		return p.trailing()
	case '{':
		p.br.ReadByte()
		done, err := p.streamSummaryObject()
		if err != nil || !done {
			return err
		}
		return p.trailing()
	}
	return p.errorf(p.line, "", "not a diagnostics file: starts with %q, want '{' or '['", c)
}

// cutOff records the document ending early. It returns done=false.
func (p *diagParser) cutOff(what string) (bool, error) {
	p.warn(p.line, "JSON document cut off at the end of the input inside %s: the writer was killed while writing it", what)
	return false, nil
}

// streamArray reads array elements after the opening '[' up to the closing
// ']', calling fn with each element's bytes and start line. done is false
// when the input ended first (a warning has then been added).
func (p *diagParser) streamArray(fn func(raw []byte, line int) error) (done bool, err error) {
	for i := 0; ; i++ {
		c, err := p.skipSpace()
		if err == io.EOF {
			return p.cutOff("an array")
		}
		if err != nil {
			return false, p.readErr(err)
		}
		if c == ']' {
			p.br.ReadByte()
			return true, nil
		}
		if i > 0 {
			if c != ',' {
				return false, p.errorf(p.line, "", "unexpected %q in an array, want ',' or ']'", c)
			}
			p.br.ReadByte()
			if c, err = p.skipSpace(); err == io.EOF {
				return p.cutOff("an array")
			} else if err != nil {
				return false, p.readErr(err)
			}
		}
		line := p.line
		raw, tooLong, err := p.readValue()
		if err == io.EOF {
			return p.cutOff("an array element")
		}
		if err != nil {
			return false, err
		}
		if tooLong {
			p.warn(line, "array element longer than %d bytes skipped", p.maxLine)
			continue
		}
		if err := fn(raw, line); err != nil {
			return false, err
		}
	}
}

// streamSummaryObject reads a top-level object after its '{'. The "tests"
// array is streamed; other fields are kept in Log.Extra.
func (p *diagParser) streamSummaryObject() (done bool, err error) {
	p.d.Format = FormatSummary
	sawTests := false
	for i := 0; ; i++ {
		c, err := p.skipSpace()
		if err == io.EOF {
			return p.cutOff("an object")
		}
		if err != nil {
			return false, p.readErr(err)
		}
		if c == '}' {
			p.br.ReadByte()
			if !sawTests {
				return false, p.errorf(p.line, "", "JSON object without a \"tests\" array: not a diagnostics summary (records go one per line)")
			}
			return true, nil
		}
		if i > 0 {
			if c != ',' {
				return false, p.errorf(p.line, "", "unexpected %q in an object, want ',' or '}'", c)
			}
			p.br.ReadByte()
			if _, err = p.skipSpace(); err == io.EOF {
				return p.cutOff("an object")
			} else if err != nil {
				return false, p.readErr(err)
			}
		}
		keyLine := p.line
		rawKey, tooLong, err := p.readValue()
		if err == io.EOF {
			return p.cutOff("an object")
		}
		if err != nil {
			return false, err
		}
		var key string
		if tooLong || json.Unmarshal(rawKey, &key) != nil {
			return false, p.errorf(keyLine, "", "bad object key")
		}
		c, err = p.skipSpace()
		if err == io.EOF {
			return p.cutOff("an object")
		}
		if err != nil {
			return false, p.readErr(err)
		}
		if c != ':' {
			return false, p.errorf(p.line, "", "unexpected %q after an object key, want ':'", c)
		}
		p.br.ReadByte()
		c, err = p.skipSpace()
		if err == io.EOF {
			return p.cutOff("an object")
		}
		if err != nil {
			return false, p.readErr(err)
		}
		if key == "tests" {
			if c != '[' {
				return false, p.errorf(p.line, "tests", "want an array")
			}
			sawTests = true
			p.br.ReadByte()
			done, err := p.streamArray(func(raw []byte, line int) error {
				return p.arrayElement(raw, line, true)
			})
			if err != nil || !done {
				return done, err
			}
			continue
		}
		valLine := p.line
		raw, tooLong, err := p.readValue()
		if err == io.EOF {
			return p.cutOff("an object")
		}
		if err != nil {
			return false, err
		}
		if tooLong {
			p.warn(valLine, "summary field %q longer than %d bytes skipped", key, p.maxLine)
			continue
		}
		if !json.Valid(raw) {
			return false, p.errorf(valLine, key, "not valid JSON")
		}
		if p.d.Extra == nil {
			p.d.Extra = map[string]json.RawMessage{}
		}
		p.d.Extra[key] = raw
	}
}

// summaryObject handles a summary written on a single line. fields shares
// decodeObject's buffer: everything needed from it is taken before the
// entries are decoded.
func (p *diagParser) summaryObject(fields diagMembers, line int) error {
	for _, m := range fields {
		if m.key == "tests" {
			continue
		}
		if p.d.Extra == nil {
			p.d.Extra = map[string]json.RawMessage{}
		}
		p.d.Extra[m.key] = bytes.Clone(m.val)
	}
	testsRaw, _ := fields.get("tests")
	var tests []json.RawMessage
	if len(testsRaw) == 0 || testsRaw[0] != '[' || json.Unmarshal(testsRaw, &tests) != nil {
		return p.errorf(line, "tests", "want an array")
	}
	for _, t := range tests {
		if err := p.arrayElement(t, line, true); err != nil {
			return err
		}
	}
	return nil
}

// arrayElement decodes one element of a record array or of a summary's tests.
func (p *diagParser) arrayElement(raw []byte, line int, summary bool) error {
	fields, err := p.decodeObject(raw)
	if err != nil {
		return p.errorf(line, "", "%s", err)
	}
	p.addRecord(fields, line, summary)
	return nil
}

// readValue reads one JSON value (without validating it beyond its
// structure: strings, brackets and scalars) and returns its bytes. tooLong
// is true when the value exceeded maxLine; it is consumed and dropped. It
// returns io.EOF when the input ends inside the value.
func (p *diagParser) readValue() (raw []byte, tooLong bool, err error) {
	var buf []byte
	add := func(c byte) {
		if tooLong {
			return
		}
		if len(buf) >= p.maxLine {
			tooLong = true
			buf = nil
			return
		}
		buf = append(buf, c)
	}
	depth := 0
	inString, escaped := false, false
	for {
		c, err := p.br.ReadByte()
		if err != nil {
			if err == io.EOF && depth == 0 && !inString && len(buf) > 0 {
				return buf, tooLong, nil // a scalar ending the input
			}
			return nil, false, err
		}
		if c == '\n' {
			p.line++
		}
		if inString {
			add(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				if depth == 0 {
					return buf, tooLong, nil
				}
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			add(c)
		case '{', '[':
			depth++
			add(c)
		case '}', ']':
			if depth == 0 {
				// The end of the enclosing container ends a scalar.
				p.br.UnreadByte()
				return buf, tooLong, nil
			}
			depth--
			add(c)
			if depth == 0 {
				return buf, tooLong, nil
			}
		case ',', ' ', '\t', '\r', '\n', ':':
			if depth == 0 {
				if c == '\n' {
					p.line--
				}
				p.br.UnreadByte()
				return buf, tooLong, nil
			}
			add(c)
		default:
			add(c)
		}
	}
}

// diagMember is one top-level field of a JSON object: its decoded key and its
// raw value, a slice of the input line.
type diagMember struct {
	key string
	val []byte
	id  diagKeyID // the key's place in diagKnownKeys, or diagUnknownKey
}

type diagMembers []diagMember

// get returns the value of key k; of the last one when a key repeats, as
// encoding/json does.
func (ms diagMembers) get(k string) (json.RawMessage, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].key == k {
			return ms[i].val, true
		}
	}
	return nil, false
}

// add appends a member field by field: a composite literal was built on
// the stack, stored 8 bytes at a time, then copied 16 bytes at a time, and
// the wide loads of the narrow stores just made stalled (store forwarding
// failed) on every field of every line, 12% of BenchmarkStreamGenerated.
func (ms diagMembers) add(key string, val []byte, id diagKeyID) diagMembers {
	if len(ms) < cap(ms) {
		ms = ms[:len(ms)+1]
	} else {
		ms = append(ms, diagMember{})
	}
	m := &ms[len(ms)-1]
	m.key, m.val, m.id = key, val, id
	return ms
}

func (ms diagMembers) has(k string) bool {
	_, ok := ms.get(k)
	return ok
}

// decodeObject checks that b is one valid JSON object and splits it into its
// top-level members without copying the values. A line of plain JSON (ASCII
// strings without \u escapes, as the plugin writes) is checked and split in
// one pass (splitPlain); any other goes through goccy/go-json's validator
// (json.Valid, no allocation), then a split. Either way it avoids a map and a
// copy per field on every line of a large file.
func (p *diagParser) decodeObject(b []byte) (diagMembers, error) {
	if ms, ok := p.splitPlain(b); ok {
		return ms, nil
	}
	return p.splitValid(b)
}

// splitValid is decodeObject for any line: json.Valid, then a split.
func (p *diagParser) splitValid(b []byte) (diagMembers, error) {
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		if err == nil { // the two disagree: report the validator's verdict
			err = errors.New("invalid JSON")
		}
		return nil, fmt.Errorf("not a JSON object: %s", diagShortErr(err))
	}
	i := diagSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, fmt.Errorf("not a JSON object: %s", diagDescribe(bytes.TrimSpace(b)))
	}
	// Every step is bounds-checked all the same, so that a validator bug
	// gives an error, not a panic.
	bad := errDiagMalformed
	ms := p.members[:0]
	i = diagSkipWS(b, i+1)
	for i < len(b) && b[i] != '}' {
		if b[i] != '"' {
			return nil, bad
		}
		end := diagValueEnd(b, i)
		if end < i+2 || b[end-1] != '"' {
			return nil, bad
		}
		key := b[i:end]
		i = diagSkipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, bad
		}
		i = diagSkipWS(b, i+1)
		if i >= len(b) {
			return nil, bad
		}
		end = diagValueEnd(b, i)
		if end == i {
			return nil, bad
		}
		name, id := diagKey(key)
		ms = ms.add(name, b[i:end], id)
		i = diagSkipWS(b, end)
		if i < len(b) && b[i] == ',' {
			i = diagSkipWS(b, i+1)
		}
	}
	if i >= len(b) {
		return nil, bad
	}
	p.members = ms
	return ms, nil
}

// splitPlain checks and splits b in one pass when b is a JSON object (RFC
// 8259) whose strings hold only printable ASCII and the escapes \" \\ \/
// \b \f \n \r \t, nested at most diagPlainMaxDepth deep: what the
// plugin writes. ok is false for anything else, valid or not (a \u escape,
// a byte past ASCII, a control character, bad syntax): decodeObject then
// takes the validator's path, whose verdict and error stand. So splitPlain
// only ever accepts what json.Valid accepts (TestSplitPlainAgrees), and
// spares those lines a second pass.
func (p *diagParser) splitPlain(b []byte) (diagMembers, bool) {
	i := diagSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	ms := p.members[:0]
	i = diagSkipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		if diagSkipWS(b, i+1) != len(b) {
			return nil, false
		}
		p.members = ms
		return ms, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		end, ok := diagPlainString(b, i)
		if !ok {
			return nil, false
		}
		key := b[i:end]
		i = diagSkipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = diagSkipWS(b, i+1)
		end, ok = diagPlainValue(b, i, 0)
		if !ok {
			return nil, false
		}
		name, id := diagKey(key)
		ms = ms.add(name, b[i:end], id)
		i = diagSkipWS(b, end)
		if i >= len(b) {
			return nil, false
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return nil, false
		}
		i = diagSkipWS(b, i+1)
	}
	if diagSkipWS(b, i+1) != len(b) {
		return nil, false
	}
	p.members = ms
	return ms, true
}

// diagPlainMaxDepth bounds the nesting splitPlain checks itself.
const diagPlainMaxDepth = 32

// diagPlainValue returns the end of the plain JSON value at b[i] (see
// splitPlain); ok is false when it is not one.
func diagPlainValue(b []byte, i, depth int) (end int, ok bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return diagPlainString(b, i)
	case c == '-' || c >= '0' && c <= '9':
		return diagPlainNumber(b, i)
	case c == 't':
		return diagPlainLiteral(b, i, "true")
	case c == 'f':
		return diagPlainLiteral(b, i, "false")
	case c == 'n':
		return diagPlainLiteral(b, i, "null")
	case c == '{' || c == '[':
		if depth >= diagPlainMaxDepth {
			return 0, false
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		i = diagSkipWS(b, i+1)
		if i < len(b) && b[i] == closing {
			return i + 1, true
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return 0, false
				}
				if i, ok = diagPlainString(b, i); !ok {
					return 0, false
				}
				i = diagSkipWS(b, i)
				if i >= len(b) || b[i] != ':' {
					return 0, false
				}
				i = diagSkipWS(b, i+1)
			}
			if i, ok = diagPlainValue(b, i, depth+1); !ok {
				return 0, false
			}
			i = diagSkipWS(b, i)
			if i >= len(b) {
				return 0, false
			}
			if b[i] == closing {
				return i + 1, true
			}
			if b[i] != ',' {
				return 0, false
			}
			i = diagSkipWS(b, i+1)
		}
	}
	return 0, false
}

// diagPlainString returns the end of the plain string at b[i] == '"'.
// Strings, node ids above all, are most of a line's bytes: it looks each
// byte up in diagPlainStringByte, four to a step, rather than testing it
// against four cases (a byte loop with a switch took 1.8 times as long on
// the strings of BenchmarkStreamGenerated's lines, and eight bytes at a
// time by bit tricks no less).
func diagPlainString(b []byte, i int) (end int, ok bool) {
	j := i + 1
	for {
		j = diagPlainRun(b, j)
		if j >= len(b) {
			return 0, false
		}
		switch b[j] {
		case '"':
			return j + 1, true
		case '\\':
			if j+1 >= len(b) {
				return 0, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
				continue
			}
			return 0, false // \u…, or not an escape
		}
		return 0, false // a control character or a byte past ASCII
	}
}

// diagPlainRun returns the end of the run of bytes that stand for
// themselves in a JSON string (diagPlainStringByte) from b[j], four at a
// time: diagPlainString's and diagRawString's scan.
func diagPlainRun(b []byte, j int) int {
	for j+4 <= len(b) {
		w := b[j : j+4 : j+4]
		if !diagPlainStringByte[w[0]] {
			return j
		}
		if !diagPlainStringByte[w[1]] {
			return j + 1
		}
		if !diagPlainStringByte[w[2]] {
			return j + 2
		}
		if !diagPlainStringByte[w[3]] {
			return j + 3
		}
		j += 4
	}
	for j < len(b) && diagPlainStringByte[b[j]] {
		j++
	}
	return j
}

// diagPlainStringByte is true for the bytes a plain string holds as they
// are: printable ASCII other than '"' and '\\'.
var diagPlainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// diagPlainNumber returns the end of the JSON number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func diagPlainNumber(b []byte, i int) (end int, ok bool) {
	digits := func(j int) int {
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i + 1)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func diagPlainLiteral(b []byte, i int, lit string) (end int, ok bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return 0, false
}

var errDiagMalformed = errors.New("not a JSON object: malformed")

// diagSkipWS returns the index of the first byte from b[i] that is not
// JSON white space. A byte past ' ' is none, which one comparison tells:
// it runs four or five times a field, and the four comparisons of every
// byte were a tenth of BenchmarkStreamJob's instructions.
func diagSkipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// diagValueEnd returns the index just past the JSON value starting at b[i], b
// being valid JSON.
func diagValueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(b)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = diagValueEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
	}
	return len(b)
}

// diagKeyID numbers the keys this reader knows, in the order of
// diagKnownKeys: first the fields addRecord decodes (the rest go to Extra),
// then the aliases a summary's test entries use, then "tests".
type diagKeyID int8

const (
	kEvent diagKeyID = iota
	kTime
	kPID
	kWorker
	kNodeID
	kOutcome
	kDurationS
	kRSSBytes
	kRSSAnonBytes
	kPeakRSSBytes
	kOpenObjects
	kOpenObjectDetails
	kOpenDatasets
	kUnclosedDatasets
	kFixture
	kScope
	kRSSBeforeBytes
	kRSSAfterBytes
	kRSSAnonBeforeBytes
	kBootTime
	kMonotonic
	kSchema
	kPeakSource
	kTracebackKept
	// summary entries
	kName
	kTest
	kPeakMemoryMB
	kPeakMB
	kTests
	diagNumKeys
	diagUnknownKey diagKeyID = -1
)

var diagKnownKeys = [diagNumKeys]string{
	"event", "time", "pid", "worker", "nodeid",
	"outcome", "duration_s", "rss_bytes", "rss_anon_bytes",
	"peak_rss_bytes", "open_objects", "open_object_details",
	"open_datasets", "unclosed_datasets", "fixture", "scope",
	"rss_before_bytes", "rss_after_bytes", "rss_anon_before_bytes", "boot_time",
	"monotonic", "schema", "peak_source", "traceback_kept",
	"name", "test", "peak_memory_mb", "peak_mb", "tests",
}

// diagKeyIndex returns the id of a known key. It is a switch, which the
// compiler turns into a search on length then bytes, rather than a map: it
// runs on every field of every line, and the map's hashing was 3.5% of a
// batch job's CPU. TestDiagKeyIndex checks it against diagKnownKeys.
func diagKeyIndex(k string) (diagKeyID, bool) {
	switch k {
	case "event":
		return kEvent, true
	case "time":
		return kTime, true
	case "pid":
		return kPID, true
	case "worker":
		return kWorker, true
	case "nodeid":
		return kNodeID, true
	case "outcome":
		return kOutcome, true
	case "duration_s":
		return kDurationS, true
	case "rss_bytes":
		return kRSSBytes, true
	case "rss_anon_bytes":
		return kRSSAnonBytes, true
	case "peak_rss_bytes":
		return kPeakRSSBytes, true
	case "open_objects":
		return kOpenObjects, true
	case "open_object_details":
		return kOpenObjectDetails, true
	case "open_datasets":
		return kOpenDatasets, true
	case "unclosed_datasets":
		return kUnclosedDatasets, true
	case "fixture":
		return kFixture, true
	case "scope":
		return kScope, true
	case "rss_before_bytes":
		return kRSSBeforeBytes, true
	case "rss_after_bytes":
		return kRSSAfterBytes, true
	case "rss_anon_before_bytes":
		return kRSSAnonBeforeBytes, true
	case "boot_time":
		return kBootTime, true
	case "monotonic":
		return kMonotonic, true
	case "schema":
		return kSchema, true
	case "peak_source":
		return kPeakSource, true
	case "traceback_kept":
		return kTracebackKept, true
	case "name":
		return kName, true
	case "test":
		return kTest, true
	case "peak_memory_mb":
		return kPeakMemoryMB, true
	case "peak_mb":
		return kPeakMB, true
	case "tests":
		return kTests, true
	}
	return diagUnknownKey, false
}

// recordField reports a field addRecord decodes; summaryField one of the
// aliases a summary's test entries use.
func (id diagKeyID) recordField() bool  { return id >= kEvent && id <= kTracebackKept }
func (id diagKeyID) summaryField() bool { return id >= kName && id <= kPeakMB }

// diagKey decodes an object key token: a known key is the one shared
// string, with its id; looking it up allocates nothing.
func diagKey(tok []byte) (string, diagKeyID) {
	inner := tok[1 : len(tok)-1]
	// A view of the bytes, not a copy (the copy was 3% of a batch job's
	// CPU): the switch only compares it, and keeps nothing. No known key
	// holds a backslash, so bytes that match one are that key unescaped;
	// looking first spares the known keys, most keys, a search for
	// escapes.
	if id, ok := diagKeyIndex(unsafe.String(unsafe.SliceData(inner), len(inner))); ok {
		return diagKnownKeys[id], id
	}
	if bytes.IndexByte(inner, '\\') < 0 {
		// Unescaped and unknown: decoding cannot make it a known key (an
		// invalid byte becomes U+FFFD, never ASCII).
		return diagJSONString(tok), diagUnknownKey
	}
	s := diagJSONString(tok)
	if id, ok := diagKeyIndex(s); ok {
		return diagKnownKeys[id], id
	}
	return s, diagUnknownKey
}

// addRecord decodes the fields of one record (or summary entry) and appends
// it. A known field of the wrong type or out of range skips the record with
// a warning naming the line and the field; fields are checked in a fixed
// order so the warning is the same on every run.
//
// A record is first decoded in the order of its fields (inOrder), which
// looks at each field once; a record that path declines (a bad field, a
// repeated key, a legacy alias, no event, a summary entry) is decoded again
// in the fixed order (inFixedOrder), whose first error is the warning. The
// fixed order asks for each of two dozen keys in turn: for the plugin's
// lines, which hold a handful of them, that was 12% of
// BenchmarkStreamGenerated.
func (p *diagParser) addRecord(fields diagMembers, line int, summary bool) {
	rec := &p.scratch
	*rec = Record{Line: line}
	d := diagFieldDecoder{p: p, line: line}
	if summary || !d.inOrder(rec, fields) {
		*rec = Record{Line: line}
		d = diagFieldDecoder{p: p, line: line}
		d.inFixedOrder(rec, fields, summary)
	}
	if d.err != nil {
		p.skipRecord(d.err, summary)
		return
	}
	p.emit(rec, d.schema, fields, line, summary)
}

// emit hands over (or keeps) the record decoded from fields, whose
// unknown ones go to its Extra, and records the schema it named.
func (p *diagParser) emit(rec *Record, schema string, fields diagMembers, line int, summary bool) {
	if schema != "" {
		p.schema(schema, line)
	}
	for _, m := range fields {
		if m.id.recordField() || summary && m.id.summaryField() {
			continue
		}
		if rec.Extra == nil {
			rec.Extra = map[string]json.RawMessage{}
		}
		rec.Extra[m.key] = bytes.Clone(m.val) // m.val points into the line buffer
	}
	if p.each != nil {
		// Through a field, so that no record is allocated per line.
		p.each(p.d.Format, rec)
		return
	}
	p.d.Records = append(p.d.Records, *rec)
}

// inOrder decodes a record's fields in the order they come, each known
// field once. It reports false, leaving rec and d to be reset, for what
// only inFixedOrder decides: a field that cannot be read (the fixed order
// picks which one the warning names), a key given twice (the last one
// counts), the legacy open_datasets and unclosed_datasets (open_objects
// wins over them), a record without an event.
func (d *diagFieldDecoder) inOrder(rec *Record, fields diagMembers) bool {
	var seen uint32 // bit k: known key k was met
	for i := range fields {
		m := &fields[i]
		if !m.id.recordField() {
			continue // Extra
		}
		bit := uint32(1) << m.id
		if seen&bit != 0 || m.id == kOpenDatasets || m.id == kUnclosedDatasets {
			return false
		}
		seen |= bit
		if diagIsNull(m.val) { // null reads as missing
			continue
		}
		d.set(rec, m.id, m.val)
		if d.err != nil {
			return false
		}
	}
	return rec.Event != ""
}

// inFixedOrder decodes a record's (or summary entry's) known fields in the
// fixed order that makes a bad record's warning the same on every run.
func (d *diagFieldDecoder) inFixedOrder(rec *Record, fields diagMembers, summary bool) {
	// at[k] is the member holding known key k: the last one when a key
	// repeats, as diagMembers.get (and encoding/json) take it.
	var at [diagNumKeys]int32
	for i := range at {
		at[i] = -1
	}
	for i := range fields {
		if id := fields[i].id; id != diagUnknownKey {
			at[id] = int32(i)
		}
	}
	get := func(k diagKeyID) (json.RawMessage, bool) {
		i := at[k]
		if i < 0 || diagIsNull(fields[i].val) { // null reads as missing
			return nil, false
		}
		return fields[i].val, true
	}
	if v, ok := get(kEvent); ok {
		d.set(rec, kEvent, v)
	} else if summary {
		rec.Event = EventTestEnd
	} else {
		d.fail("event", "missing: every record names its event")
	}
	for _, k := range []diagKeyID{kTime, kPID, kWorker} {
		if v, ok := get(k); ok {
			d.set(rec, k, v)
		}
	}
	for _, k := range []diagKeyID{kNodeID, kName, kTest} {
		if k != kNodeID && !summary {
			break
		}
		if v, ok := get(k); ok {
			rec.NodeID = d.nodeID(diagKnownKeys[k], v)
			break
		}
	}
	for _, k := range []diagKeyID{kOutcome, kDurationS, kRSSBytes, kRSSAnonBytes} {
		if v, ok := get(k); ok {
			d.set(rec, k, v)
		}
	}
	if v, ok := get(kPeakRSSBytes); ok {
		d.set(rec, kPeakRSSBytes, v)
	} else if summary {
		for _, k := range []diagKeyID{kPeakMemoryMB, kPeakMB} {
			if v, ok := get(k); ok {
				rec.PeakRSSBytes, rec.HasPeak = d.mib(diagKnownKeys[k], v), true
				break
			}
		}
	}
	if v, ok := get(kOpenObjects); ok {
		d.set(rec, kOpenObjects, v)
	} else {
		for _, k := range []diagKeyID{kOpenDatasets, kUnclosedDatasets} {
			if v, ok := get(k); ok {
				n := d.int(diagKnownKeys[k], v)
				if d.err == nil && n < 0 {
					d.fail(diagKnownKeys[k], "negative count %d", n)
				}
				rec.OpenObjects = map[string]int{diagXarrayDatasetType: n}
				break
			}
		}
	}
	for _, k := range []diagKeyID{kOpenObjectDetails, kFixture, kScope, kRSSBeforeBytes, kRSSAfterBytes,
		kRSSAnonBeforeBytes, kBootTime, kMonotonic, kPeakSource, kTracebackKept, kSchema} {
		if v, ok := get(k); ok {
			d.set(rec, k, v)
		}
	}
}

// set decodes the value v of the known record field k into rec (kSchema
// into d.schema). The legacy open_datasets and unclosed_datasets, and a
// summary's aliases, are inFixedOrder's.
func (d *diagFieldDecoder) set(rec *Record, k diagKeyID, v json.RawMessage) {
	name := diagKnownKeys[k]
	switch k {
	case kEvent:
		rec.Event = d.shared(name, v)
		if d.err == nil && rec.Event == "" {
			d.fail(name, "empty: every record names its event")
		}
	case kTime:
		rec.Time = d.float(name, v)
	case kPID:
		rec.PID = d.int(name, v)
	case kWorker:
		rec.Worker = d.shared(name, v)
	case kNodeID:
		rec.NodeID = d.nodeID(name, v)
	case kOutcome:
		rec.Outcome = d.shared(name, v)
	case kDurationS:
		rec.DurationS = d.float(name, v)
	case kRSSBytes:
		rec.RSSBytes, rec.HasRSS = d.bytes(name, v), true
	case kRSSAnonBytes:
		rec.RSSAnonBytes, rec.HasRSSAnon = d.bytes(name, v), true
	case kPeakRSSBytes:
		rec.PeakRSSBytes, rec.HasPeak = d.bytes(name, v), true
	case kOpenObjects:
		rec.OpenObjects = d.counts(name, v)
	case kOpenObjectDetails:
		rec.OpenObjectDetails = d.details(name, v)
	case kFixture:
		rec.Fixture = d.shared(name, v)
	case kScope:
		rec.Scope = d.shared(name, v)
	case kRSSBeforeBytes:
		rec.RSSBeforeBytes = d.bytes(name, v)
	case kRSSAfterBytes:
		rec.RSSAfterBytes = d.bytes(name, v)
	case kRSSAnonBeforeBytes:
		rec.RSSAnonBeforeBytes, rec.HasRSSAnonBefore = d.bytes(name, v), true
	case kBootTime:
		rec.BootTime, rec.HasBootTime = d.float(name, v), true
	case kMonotonic:
		rec.Monotonic, rec.HasMonotonic = d.float(name, v), true
	case kPeakSource:
		rec.PeakSource = d.shared(name, v)
	case kTracebackKept:
		rec.TracebackKept = d.bool(name, v)
	case kSchema:
		d.schema = d.str(name, v)
	}
}

// skipRecord turns a field that cannot be read (wrong type, out of range,
// missing event) into a warning on that record's line: the record is
// dropped, the records around it are kept. A figure read next to a wrong
// one on the same record is not trusted, so no field of it is kept.
func (p *diagParser) skipRecord(err error, summary bool) {
	what := "record"
	if summary {
		what = "test entry"
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		p.warn(pe.Line, "field %q: %s; this %s skipped, the others kept", pe.Field, pe.Msg, what)
		return
	}
	p.warn(0, "%s; this %s skipped", err, what)
}

// schema records the session's schema; a second, different one or an
// unknown one is a warning.
func (p *diagParser) schema(s string, line int) {
	if p.d.Schema != "" && p.d.Schema != s {
		p.warn(line, "schema %q differs from %q named earlier", s, p.d.Schema)
		return
	}
	if p.d.Schema == "" && s != SchemaV1 {
		p.warn(line, "unknown schema %q, read as %s", s, SchemaV1)
	}
	p.d.Schema = s
}

// diagIsNull reports a null value. It is small enough to be inlined (it
// runs on every field): a value is told from null by its first byte, and
// only one starting with 'n' or a byte TrimSpace could trim is looked at
// further.
func diagIsNull(v json.RawMessage) bool {
	if len(v) > 0 && diagNotNullStart[v[0]] {
		return false
	}
	return diagIsNullSpaced(v)
}

// diagNotNullStart is true for the first bytes of a value that is not
// null: ASCII, not a space TrimSpace would trim, not 'n'.
var diagNotNullStart = func() (t [256]bool) {
	for c := ' ' + 1; c < utf8.RuneSelf; c++ {
		t[c] = c != 'n'
	}
	return t
}()

//go:noinline
func diagIsNullSpaced(v json.RawMessage) bool {
	if len(v) > 0 && v[0] > ' ' && v[0] < utf8.RuneSelf && v[0] != 'n' {
		return false // TrimSpace keeps a first byte that is ASCII and not a space
	}
	return bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// diagFieldDecoder decodes typed fields, keeping the first error.
type diagFieldDecoder struct {
	p      *diagParser
	line   int
	err    error
	schema string // a record's "schema", set by set
}

func (d *diagFieldDecoder) fail(field, format string, args ...any) {
	if d.err == nil {
		d.err = d.p.errorf(d.line, field, format, args...)
	}
}

func diagDescribe(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	kind := "value"
	if len(v) > 0 {
		switch v[0] {
		case '"':
			kind = "string"
		case '{':
			kind = "object"
		case '[':
			kind = "array"
		case 't', 'f':
			kind = "boolean"
		default:
			kind = "number"
		}
	}
	if len(v) > 40 {
		return kind + " " + string(v[:40]) + "…"
	}
	return kind + " " + string(v)
}

func (d *diagFieldDecoder) str(field string, v json.RawMessage) string {
	if len(v) < 2 || v[0] != '"' {
		d.fail(field, "want a string, got %s", diagDescribe(v))
		return ""
	}
	return diagJSONString(v)
}

// shared reads a string field whose values repeat from record to record
// (events, outcomes, workers): equal values share one string.
func (d *diagFieldDecoder) shared(field string, v json.RawMessage) string {
	if len(v) < 2 || v[0] != '"' {
		d.fail(field, "want a string, got %s", diagDescribe(v))
		return ""
	}
	inner := v[1 : len(v)-1]
	if len(inner) > 64 || bytes.IndexByte(inner, '\\') >= 0 || !utf8.Valid(inner) {
		return diagJSONString(v) // never a common value, nor shared
	}
	return d.p.sharedString(inner)
}

// diagCommonValue returns the one string of a value most records carry
// (their events, pytest's outcomes, the peak sources): a switch on a view
// of the bytes, which keeps nothing, is cheaper than shared's map (its
// hashing was 5% of BenchmarkStreamFile).
func diagCommonValue(s string) (string, bool) {
	switch s {
	case EventTestStart:
		return EventTestStart, true
	case EventTestEnd:
		return EventTestEnd, true
	case EventSample:
		return EventSample, true
	case EventFixtureSetup:
		return EventFixtureSetup, true
	case EventFixtureTeardown:
		return EventFixtureTeardown, true
	case "passed":
		return "passed", true
	case "failed":
		return "failed", true
	case "skipped":
		return "skipped", true
	case "vmhwm":
		return "vmhwm", true
	case "sampled":
		return "sampled", true
	}
	return "", false
}

// nodeID reads a node id; one equal to the last record's shares its string.
func (d *diagFieldDecoder) nodeID(field string, v json.RawMessage) string {
	if len(v) >= 2 && v[0] == '"' && string(v[1:len(v)-1]) == d.p.lastNodeID && bytes.IndexByte(v, '\\') < 0 {
		return d.p.lastNodeID
	}
	var s string
	if inner := v[1:max(len(v)-1, 1)]; len(v) >= 2 && v[0] == '"' && bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		s = d.p.slab.string(inner) // what diagJSONString returns, without an allocation of its own
	} else {
		s = d.str(field, v)
	}
	if d.err == nil {
		d.p.lastNodeID, d.p.lastNodePlain = s, false
	}
	return s
}

// diagSlab copies strings that are read once and kept, each test's node
// id, into shared chunks: one allocation per chunk instead of one per test
// (500,000 on BenchmarkStreamFile's file), and none of them aliases the
// line buffer. A chunk's bytes are never written again once a string
// covers them. A caller keeping one of those strings keeps its chunk
// alive, at most diagSlabMaxChunk bytes; keeping them all, as correlate
// does, costs what separate strings would.
type diagSlab struct {
	chunk []byte // len: the bytes handed out; cap: the chunk
	// used counts the bytes handed out, and next is the size of the next
	// chunk when known (sizeSlab), 0 to double the last.
	used, next int
}

const (
	diagSlabMinChunk = 1 << 10  // a small file (a batch job's) wastes little
	diagSlabMaxChunk = 32 << 10 // the largest of Go's small size classes
	diagSlabMaxLen   = 1 << 10  // longer strings are allocated alone
)

func (sl *diagSlab) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > diagSlabMaxLen {
		return string(b)
	}
	if cap(sl.chunk)-len(sl.chunk) < len(b) {
		sl.chunk = make([]byte, 0, min(max(2*cap(sl.chunk), diagSlabMinChunk, sl.next), diagSlabMaxChunk))
		sl.next = 0
	}
	sl.used += len(b)
	start := len(sl.chunk)
	sl.chunk = append(sl.chunk, b...)
	return unsafe.String(&sl.chunk[start], len(b))
}

// diagJSONString decodes a JSON string token already checked to be valid. The
// common case, no escapes and valid UTF-8, is a plain copy.
func diagJSONString(v []byte) string {
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	json.Unmarshal(v, &s) // valid JSON: cannot fail; invalid UTF-8 becomes U+FFFD
	return s
}

func diagIsNumber(v json.RawMessage) bool {
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}

func (d *diagFieldDecoder) float(field string, v json.RawMessage) float64 {
	if !diagIsNumber(v) {
		d.fail(field, "want a number, got %s", diagDescribe(v))
		return 0
	}
	if f, ok := diagExactFloat(v); ok {
		return f
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.fail(field, "want a finite number, got %s", diagDescribe(v))
		return 0
	}
	return f
}

func (d *diagFieldDecoder) int(field string, v json.RawMessage) int {
	if !diagIsNumber(v) {
		d.fail(field, "want an integer, got %s", diagDescribe(v))
		return 0
	}
	n, ok := diagSmallInt(v)
	if !ok {
		n, ok = diagParseInt(v)
	}
	if !ok {
		f, ferr := strconv.ParseFloat(string(v), 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			d.fail(field, "want an integer, got %s", diagDescribe(v))
			return 0
		}
		n = int64(f)
	}
	if n > math.MaxInt32 || n < math.MinInt32 {
		d.fail(field, "integer %d out of range", n)
		return 0
	}
	return int(n)
}

// bytes reads a byte count: a non-negative number, rounded if fractional.
func (d *diagFieldDecoder) bytes(field string, v json.RawMessage) int64 {
	if !diagIsNumber(v) {
		d.fail(field, "want a byte count, got %s", diagDescribe(v))
		return 0
	}
	n, ok := diagSmallInt(v)
	if !ok {
		n, ok = diagParseInt(v)
	}
	if ok {
		if n < 0 {
			d.fail(field, "negative byte count %d", n)
			return 0
		}
		return n
	}
	f := d.float(field, v)
	if d.err != nil {
		return 0
	}
	return d.checkBytes(field, f)
}

func (d *diagFieldDecoder) checkBytes(field string, f float64) int64 {
	if f < 0 || f >= 1<<63 {
		d.fail(field, "byte count %g out of range", f)
		return 0
	}
	return int64(math.Round(f))
}

// mib reads a figure in MiB (1 MB = 1024×1024 bytes, as weathercop and
// tracemalloc users mean it) and returns bytes.
func (d *diagFieldDecoder) mib(field string, v json.RawMessage) int64 {
	f := d.float(field, v)
	if d.err != nil {
		return 0
	}
	return d.checkBytes(field, f*(1<<20))
}

func (d *diagFieldDecoder) counts(field string, v json.RawMessage) map[string]int {
	var m map[string]json.RawMessage
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &m) != nil {
		d.fail(field, "want an object of type → count, got %s", diagDescribe(v))
		return nil
	}
	out := make(map[string]int, len(m))
	for k, n := range m {
		c := d.int(field+"."+k, n)
		if d.err != nil {
			return nil
		}
		if c < 0 {
			d.fail(field+"."+k, "negative count %d", c)
			return nil
		}
		out[k] = c
	}
	return out
}

func (d *diagFieldDecoder) details(field string, v json.RawMessage) []OpenObject {
	var list []map[string]json.RawMessage
	if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &list) != nil {
		d.fail(field, "want an array of objects, got %s", diagDescribe(v))
		return nil
	}
	out := make([]OpenObject, 0, len(list))
	for i, m := range list {
		var o OpenObject
		for k, fv := range m {
			if diagIsNull(fv) {
				continue
			}
			name := fmt.Sprintf("%s[%d].%s", field, i, k)
			switch k {
			case "type":
				o.Type = d.str(name, fv)
			case "file_backed":
				o.FileBacked = d.bool(name, fv)
			case "closed":
				o.Closed = d.bool(name, fv)
			case "nbytes":
				o.NBytes = d.bytes(name, fv)
			case "description":
				o.Description = d.str(name, fv)
			}
		}
		if d.err != nil {
			return nil
		}
		out = append(out, o)
	}
	return out
}

func (d *diagFieldDecoder) bool(field string, v json.RawMessage) bool {
	switch string(bytes.TrimSpace(v)) {
	case "true":
		return true
	case "false":
		return false
	}
	d.fail(field, "want true or false, got %s", diagDescribe(v))
	return false
}

// diagParseInt is strconv.ParseInt(string(v), 10, 64) reporting only
// whether it succeeded.
func diagParseInt(v []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

// diagSmallInt reads -?[0-9]{1,18}, which cannot overflow an int64, as
// strconv.ParseInt does; ok is false for anything else, which is then left
// to strconv. Every record carries two or three byte counts and a pid:
// strconv's generality (bases, underscores, the string conversion) was 7%
// of BenchmarkStreamFile.
func diagSmallInt(v []byte) (n int64, ok bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// diagPow10 holds the powers of ten a float64 holds exactly.
var diagPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// diagExactFloat reads a decimal without exponent, -?[0-9]+(\.[0-9]+)?,
// whose digits make an integer m below 2^53: m and 10^k (k fraction
// digits, at most 22) are then exact float64s, so m / 10^k is the one
// correctly rounded division, the value strconv.ParseFloat returns (its own
// fast path, atof64exact, is this). ok is false for anything else, which
// is then left to strconv. Every record's time is such a number
// (1795687200.006000); strconv took 8% of BenchmarkStreamFile.
func diagExactFloat(v []byte) (f float64, ok bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 19 {
		return 0, false
	}
	var m uint64
	i := 0
	for ; i < len(v) && v[i]-'0' < 10; i++ {
		m = m*10 + uint64(v[i]-'0')
	}
	frac := 0
	if i < len(v) {
		if v[i] != '.' || i == 0 || i == len(v)-1 {
			return 0, false
		}
		j := i + 1
		for ; j < len(v) && v[j]-'0' < 10; j++ {
			m = m*10 + uint64(v[j]-'0')
		}
		if j < len(v) {
			return 0, false
		}
		frac = j - i - 1
	}
	if m >= 1<<53 || frac >= len(diagPow10) {
		return 0, false
	}
	f = float64(m)
	if frac > 0 {
		f /= diagPow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}
