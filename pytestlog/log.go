package pytestlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxLineBytes is the longest line kept whole; longer lines are truncated to
// this length and reported as a Warning.
const MaxLineBytes = 1 << 20

// ParseError is a read failure at a position in the input.
type ParseError struct {
	Name string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Line shapes of pytest's terminal reporter (src/_pytest/terminal.py) and
// pytest-xdist's dsession.py; see PYTEST-CI.md §1 for where each was seen.
var (
	// hookTraceRe is a PYTEST_DEBUG=1 trace of pluggy's hook calls
	// ("    pytest_runtest_setup [hook]", "  finish pytest_runtest_logstart
	// --> [] [hook]"), written to stderr and so glued onto pytest's
	// unfinished "nodeid " echo or "PASSED   [ 50%]" (xdist #1209's
	// advice for crashed workers).
	hookTraceRe     = lazyRe(`\s*(?:finish )?pytest_[a-z_]+(?: --> .*)? \[hook\]\s*$`)
	sessionStartsRe = lazyReFast(`^=+ test session starts =+\s*$`, readSessionStarts)
	platformRe      = lazyReFast(`^platform (\S+) -- Python (\S+?)(?:\[pypy-[^\]]+\])?, pytest-(\S+?), (?:py-(\S+?), )?pluggy-(\S+?)(?: -- (.+))?\s*$`, readPlatform)
	cachedirRe      = lazyReFast(`^cachedir: (.+?)\s*$`, readLabelled("cachedir: "))
	rootdirOldRe    = lazyReFast(`^rootdir: ([^,]+)(?:, (?:configfile|inifile): ([^,]*))?(?:, testpaths: (.+?))?\s*$`, readRootdir)
	headerKVRe      = lazyRe(`^(configfile|inifile|testpaths): (.+?)\s*$`)
	pluginsRe       = lazyReFast(`^plugins: (.+?)\s*$`, readLabelled("plugins: "))
	collectingRe    = lazyReFast(`^collecting (?:\.\.\. ?|\d+ items?(?: / \d+ errors?)?(?: / \d+ deselected)?(?: / \d+ skipped)?(?: / \d+ selected)? *)`, readCollecting)
	collectedRe     = lazyReFast(`^collected (\d+) items?(?: / (\d+) errors?)?(?: / (\d+) deselected)?(?: / (\d+) skipped)?(?: / (\d+) selected)?\s*$`, readCollected)
	// xdist >= 2.? status lines (dsession.py get_workers_status_line).
	xdistStatusRe = lazyRe(`^(created|initialized|ready|collecting): (\d+)/(\d+) workers?\s*$`)
	xdistItemsRe  = lazyRe(`^(\d+) workers? \[(\d+) items?\]\s*$`)
	// xdist <= 2.5: "gw0 [318] / gw1 [318] / gw6 C"
	xdistOldStatusRe  = lazyRe(`^(gw\d+ (?:\[\d+\]|C|I|ok)(?: / gw\d+ (?:\[\d+\]|C|I|ok))*)\s*$`)
	xdistOldEntryRe   = lazyRe(`(gw\d+) (?:\[(\d+)\]|C|I|ok)`)
	bringingUpRe      = lazyRe(`^bringing up nodes\.\.\.\s*$`)
	schedulingRe      = lazyRe(`^scheduling tests via (\w+)\s*$`)
	workerInfoRe      = lazyRe(`^\[(gw\d+)\] (?:\S+ Python \S+ cwd: |Python |\S+ -- Python )`)
	nodeDownRe        = lazyRe(`\[?(gw\d+)\] node down: (.*?)\s*$`)
	replacingRe       = lazyRe(`^replacing crashed worker (gw\d+)\s*$`)
	crashedWhileRe    = lazyRe(`worker '(gw\d+)' crashed while running (?:'(.*)'|"(.*)")\s*$`)
	restartDisabledRe = lazyRe(`^worker (gw\d+) crashed and worker restarting disabled\s*$`)
	xdistResultRe     = lazyRe(`^\[(gw\d+)\]\s*(?:\[\s*(\d+)%\]\s*|\[\s*(\d+)/(\d+)\]\s*)?([A-Z][A-Z_]*) (.+?)\s*$`)
	separatorRe       = lazyRe(`^(=+) (.*?) (=+)\s*$`)
	liveLogRe         = lazyRe(`^-+ live log \w+ -+\s*$`)
	finalPartRe       = lazyRe(`^(\d+) (\w+)$`)
	finalQuietRe      = lazyRe(`^((?:\d+ \w+)(?:, \d+ \w+)*|no tests ran) in (\d+(?:\.\d+)?)s(?: \(\d+:\d\d:\d\d\))?\s*$`)
	finalInRe         = lazyRe(`^(.+) in (\d+(?:\.\d+)?)s(?: \(\d+:\d\d:\d\d\))?$`)
	skippedSummaryRe  = lazyRe(`^\[(\d+)\] (.+?):\d+: (.*)$`)
	summaryLineRe     = lazyRe(`^(PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED|RERUN|LEAKED) (.+?)\s*$`)
	progressTailRe    = lazyRe(`^\s*(?:\[\s*(\d+)%\]|\[\s*(\d+)/(\d+)\])?\s*$`)
	verboseTailRe     = lazyRe(`^((?: \(.*\))?)\s*(?:\[\s*(\d+)%\]|\[\s*(\d+)/(\d+)\])?\s*$`)
	standaloneWordRe  = lazyRe(`^\s*(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS|RERUN|LEAKED)((?: \(.*\))?)\s*(?:\[\s*(\d+)%\]|\[\s*(\d+)/(\d+)\])?\s*$`)
	progressFileRe    = lazyRe(`^([^\s:\[=<>(][^\s]*\.[A-Za-z0-9]+)(?: (.*))?$`)
	locationSuffixRe  = lazyRe(` <- \S+$`)
)

// readerPool recycles Parse's 64 KiB read buffers: a batch parses thousands
// of logs, most far smaller than the buffer. Lines are copied out of it
// (string(chunk)) before the next read, so nothing keeps it.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// verboseOutcome maps pytest's verbose result words to outcomes
// (terminal.py pytest_report_teststatus, skipping.py, rerunfailures,
// leaks), "" for any other word: a switch, not a map, as it reads the
// result of every -v line.
func verboseOutcome(word string) string {
	switch word {
	case "PASSED":
		return OutcomePassed
	case "FAILED":
		return OutcomeFailed
	case "ERROR":
		return OutcomeError
	case "SKIPPED":
		return OutcomeSkipped
	case "XFAIL":
		return OutcomeXfailed
	case "XPASS":
		return OutcomeXpassed
	case "RERUN":
		return OutcomeRerun
	case "LEAKED":
		return OutcomeLeaked
	}
	return ""
}

var verboseWordList = []string{"PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS", "RERUN", "LEAKED"}

// letterOutcome maps default-mode progress letters to outcomes.
func letterOutcome(c byte) string {
	switch c {
	case '.':
		return OutcomePassed
	case 'F':
		return OutcomeFailed
	case 'E':
		return OutcomeError
	case 's':
		return OutcomeSkipped
	case 'x':
		return OutcomeXfailed
	case 'X':
		return OutcomeXpassed
	case 'R':
		return OutcomeRerun
	}
	return string(c)
}

func isLetter(c byte) bool {
	return c == '.' || c == 's' || c == 'x' || (c >= 'A' && c <= 'Z')
}

// Parse reads a pytest log, possibly wrapped in CI prefixes and cut short by
// a kill, and returns what it shows. It streams: memory is bounded by the
// number of tests, not by the input size. Parse returns an error only when
// reading fails; everything it cannot make sense of becomes a Warning.
func Parse(r io.Reader, opts Options) (*Log, error) {
	p := newParser(opts)
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readerPool.Put(br)
	}()
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		truncated := false
		if err != nil && errors.Is(err, bufio.ErrBufferFull) {
			buf = append(buf[:0], chunk...)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				if len(buf) < MaxLineBytes {
					buf = append(buf, chunk...)
				} else if len(chunk) > 0 && !(len(chunk) == 1 && chunk[0] == '\n') {
					truncated = true
				}
			}
			if len(buf) > MaxLineBytes {
				if buf[len(buf)-1] != '\n' || len(buf) > MaxLineBytes+1 {
					truncated = true
				}
				buf = buf[:MaxLineBytes]
			}
			chunk = buf
		}
		if len(chunk) > 0 {
			// chunk ends at its first '\n', if it has one: it is not copied.
			if chunk[len(chunk)-1] == '\n' {
				chunk = chunk[:len(chunk)-1]
			}
			p.readLine(chunk, truncated)
		}
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			p.finish()
			return p.log, &ParseError{Name: p.name, Line: p.lineNo + 1, Err: err}
		}
	}
	p.finish()
	return p.log, nil
}

// ParseBytes is Parse of an input held in memory (a file read whole, an
// archive member), read in place: Parse copies it through a buffer line by
// line first (bufio's ReadSlice), ~140 instructions a line of a batch
// job's log. A line longer than MaxLineBytes is cut there with the warning
// Parse gives. b is neither written nor kept: its lines are copied before
// they are read, a block of them at a time (copyBlockBytes).
func ParseBytes(b []byte, opts Options) *Log {
	p := newParser(opts)
	p.held = &heldLines{b: b}
	blocks := len(b) <= blockInputBytes
	for len(b) > 0 {
		if n := blockLen(b); blocks && n > 0 {
			p.readBlock(string(b[:n]))
			b = b[n:]
			continue
		}
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		truncated := len(line) > MaxLineBytes
		p.readLine(line[:min(len(line), MaxLineBytes)], truncated)
	}
	p.finish()
	p.held.b = nil // the parser's sessions are done with it
	return p.log
}

// ParseBytes copies the lines of an input of up to blockInputBytes in
// blocks of up to copyBlockBytes, each in one allocation: a copy of each
// line was 401 of the 489 allocations of BenchmarkParseBytesJob. A string
// the Log keeps (a node id) keeps its block: at most copyBlockBytes each,
// and no more than the input's size, within blockInputBytes (what discover
// holds of a file read whole). A larger input is copied line by line, so
// that what its Log keeps stays bounded by its tests, as in Parse.
const (
	copyBlockBytes  = 32 << 10 // the largest small object (runtime/sizeclasses.go)
	blockInputBytes = 1 << 20
)

// blockLen is the length of the block at b's start: all of b when it is no
// longer than copyBlockBytes, else the whole lines that fit in it, 0 when
// the first line does not.
func blockLen(b []byte) int {
	if len(b) <= copyBlockBytes {
		return len(b)
	}
	return bytes.LastIndexByte(b[:copyBlockBytes], '\n') + 1
}

// readBlock reads the lines of s, a block that ends at the end of a line or
// of the input. Its lines are no longer than the block, so none is cut.
// Whether any holds a '\r' or an escape is asked of the block once, not of
// each line (physicalLine; the two searches were 7% of
// BenchmarkParseBytesJob's instructions).
func (p *parser) readBlock(s string) {
	p.noCR, p.noESC = strings.IndexByte(s, '\r') < 0, strings.IndexByte(s, '\x1b') < 0
	for s != "" {
		line, rest, _ := strings.Cut(s, "\n")
		p.lineNo++
		p.physicalLine(line) // readLine of a line already copied
		s = rest
	}
	p.noCR, p.noESC = false, false
}

// heldLines counts the lines of a held input, once, when first asked.
type heldLines struct {
	b []byte
	n int
}

// count is the number of lines of the input (one more when it ends with a
// newline), 0 for a stream (h nil).
func (h *heldLines) count() int {
	if h == nil {
		return 0
	}
	if h.n == 0 {
		h.n = bytes.Count(h.b, []byte{'\n'}) + 1
	}
	return h.n
}

// newParser is the parser of one input.
func newParser(opts Options) *parser {
	name := opts.Name
	if name == "" {
		name = "<input>"
	}
	return &parser{name: name, log: &Log{}, collect: newCollectIndex(opts.Collect)}
}

// readLine reads the next physical line, without its '\n', cut at
// MaxLineBytes when truncated.
func (p *parser) readLine(b []byte, truncated bool) {
	p.lineNo++
	line := string(b)
	if truncated {
		p.warn(p.lineNo, fmt.Sprintf("line longer than %d bytes, truncated", MaxLineBytes))
	}
	p.physicalLine(line)
}

type pendingEcho struct {
	nodeID   string
	line     int
	start    time.Time
	hasStart bool
}

type parser struct {
	name    string
	log     *Log
	collect *collectIndex
	lineNo  int
	// held counts the lines of ParseBytes's input, nil for Parse's stream.
	held *heldLines
	// noCR and noESC are set while the lines of a block that holds no
	// '\r', or no escape, are read: none of its lines does (readBlock).
	noCR, noESC bool

	// stamp of the current physical line.
	stamp    time.Time
	hasStamp bool

	// pyStamp is the stamp of the last physical line that was not only an
	// end marker: the shell's "Killed" line can arrive before pytest's
	// unfinished echo line (sample 01), and must not be taken for its start.
	pyStamp    time.Time
	pyHasStamp bool

	cur *state
	// lastText is the last non-blank logical line, for the cut-log warning.
	lastText        string
	lastTextLine    int
	lastRecognised  bool
	markerOnly      bool
	droppedWarnings int
	// gluedToMarker is set while reading the text in front of an end marker.
	gluedToMarker bool
	// idMemo is plainResult's memo of the node ids before.
	idMemo idMemo
}

type state struct {
	s          Session
	width      int
	headerDone bool
	// section is "" during the run, or the terminal-summary section:
	// "failures", "errors", "passes", "summary", "warnings", "other".
	section    string
	collecting bool
	collectAt  int
	xdist      bool

	// verbose mode: the node id written by pytest_runtest_logstart.
	pending  *pendingEcho
	xpending []pendingEcho

	// progress mode.
	file        string
	fileCount   map[string]int
	lineOpen    bool // the last progress line had no [ NN%] yet
	lineWrapped bool // the last progress line was closed by wrapping
	// lastProgressLine is the line of the last progress letters.
	lastProgressLine int

	workerIdx   map[string]int
	maxWorker   int
	replacing   []int // indexes of workers awaiting a replacement id
	downPending map[string]bool
	lastXResult int // index in Tests of the last [gwN] result, -1 if none since

	// testsHint is the number of tests the header announced ("collected
	// N items", xdist's "N workers [M items]"): the room Tests is given.
	testsHint int
	// held is the parser's: the lines left after s.LastLine bound the
	// room for -v results, one a line (see fitHint).
	held *heldLines

	kinds map[string]bool
	// certain are the kinds some certain marker showed, with its text.
	certain map[string]string
	// stack is the running thread's stack of a faulthandler or
	// pytest-timeout dump (stack.go).
	stack       stackCapture
	hadEvidence bool
}

// maxTestsHint bounds the room a header's count of tests reserves (about
// 200 bytes a test): a header that claims a million tests costs no more
// than this before the results bear it out.
const maxTestsHint = 4096

// addTest appends a result to the session. The first is given room for the
// tests the header announced: Tests grown by doubling from one was a third
// of the parse of a batch job's 500-test log (go test ./batch -bench Run).
func (st *state) addTest(t Test) {
	*st.nextTest() = t
}

// nextTest appends a zero Test for the caller to fill in place. Building a
// Test and copying it in, or appending a zero one, was a sixth of
// BenchmarkParseVerbose's profile: while the collector runs, each pointer
// written into the heap goes through its write barrier. Room past len(Tests)
// is zero: make's array holds zero values, append's growth clears what it
// does not copy (runtime/slice.go growslice), nextTest is the only code
// that lengthens Tests, and nothing writes past its length. So the new Test is neither cleared
// nor compared with a zero Test (the comparison, type:.eq.Test, was 2.5% of
// BenchmarkParseJob's instructions).
func (st *state) nextTest() *Test {
	if st.s.Tests == nil && st.testsHint > 0 {
		st.s.Tests = make([]Test, 0, min(st.testsHint, maxTestsHint))
	}
	n := len(st.s.Tests)
	if n == cap(st.s.Tests) {
		st.s.Tests = append(st.s.Tests, Test{})
	} else {
		st.s.Tests = st.s.Tests[:n+1]
	}
	return &st.s.Tests[n]
}

// fitHint bounds testsHint, before the first -v result of a held input
// takes its room, by the lines left (this one and those after
// s.LastLine): a -v result takes a line. A run killed before its end
// reports fewer tests than it collected (a batch job's log ~440 of 500),
// and Tests is most of what a parse allocates, cleared by the runtime as a
// large object: room for 500 was 96 KiB of BenchmarkParseBytesJob's
// 141 KiB an op. Progress letters are many to a line, and are not bounded
// so.
func (st *state) fitHint() {
	if lines := st.held.count(); lines > 0 && st.testsHint > 0 {
		st.testsHint = min(st.testsHint, max(1, lines-st.s.LastLine+1))
	}
}

// MaxWarnings bounds Log.Warnings; the rest are counted in a last warning.
const MaxWarnings = 1000

func (p *parser) warn(line int, msg string) {
	if len(p.log.Warnings) >= MaxWarnings {
		p.droppedWarnings++
		return
	}
	p.log.Warnings = append(p.log.Warnings, Warning{Line: line, Message: msg})
}

func (p *parser) physicalLine(raw string) {
	if p.lineNo == 1 {
		raw = strings.TrimPrefix(raw, "\ufeff")
	}
	raw = strings.TrimSuffix(raw, "\r")
	text := raw
	p.hasStamp = false // a line with no stamp inherits none
	if mayCIPrefix(raw) {
		var ts time.Time
		var has bool
		if text, ts, has = stripCI(raw); has {
			p.stamp, p.hasStamp = ts, true
		}
	}
	text = strings.TrimPrefix(text, "\ufeff")
	for {
		seg, more := text, false
		if p.noCR {
			// no '\r' to look for
		} else if i := strings.IndexByte(text, '\r'); i >= 0 {
			seg, text, more = text[:i], text[i+1:], true
		}
		if !p.noESC {
			seg = stripANSI(seg)
		}
		if !(mayGitlabSection(seg) && gitlabSectionRe.MatchString(seg)) && !(mayUIAnchor(seg) && uiAnchorRe.MatchString(seg)) {
			p.logical(seg)
		}
		if !more {
			break
		}
	}
	if p.cur != nil {
		p.cur.s.LastLine = p.lineNo
	}
	if !p.markerOnly {
		p.pyStamp, p.pyHasStamp = p.stamp, p.hasStamp
	}
	p.markerOnly = false
}

// logical handles one line of pytest or CI text, prefixes removed.
func (p *parser) logical(line string) {
	if p.plainResult(line) {
		return
	}
	if strings.HasSuffix(strings.TrimRight(line, " \t"), "[hook]") {
		if loc := hookTraceRe.FindStringIndex(line); loc != nil {
			line = line[:loc[0]]
			if strings.TrimSpace(line) != "" {
				line += " " // an echo's trailing space, as pytest wrote it
			}
		}
	}
	trimmed := strings.TrimSpace(line)
	if trimmed == "" {
		return
	}
	p.lastText, p.lastTextLine, p.lastRecognised = trimmed, p.lineNo, false
	if p.readStack(line, trimmed) {
		p.lastRecognised = true
		return
	}
	if strings.HasPrefix(trimmed, "##[") && !strings.HasPrefix(trimmed, "##[error]") {
		p.lastRecognised = true // GitHub/Azure commands: ##[group], ##[endgroup], ##[section]
		return
	}
	// End markers may be glued to pytest's unfinished line: parse what comes
	// before the marker as pytest text, then record the marker.
	var mk endMarker
	hasMarker := false
	if m, ok := findEndMarker(line); ok {
		if !(m.weak && p.cur != nil && isOutputSection(p.cur.section)) {
			if lp := m.lettersPrefix; lp > 0 {
				// "./run.sh" alone is a relative script path; after a
				// progress file, in progress mode or as a longer run of
				// letters, the letters are pytest's.
				pre := line[m.start : m.start+lp]
				if strings.TrimSpace(line[:m.start]) != "" || (pre != "." && pre != "..") ||
					(p.cur != nil && (p.cur.s.Mode == ModeProgress || p.cur.s.Mode == ModeXdistProgress)) {
					m.start += lp
					m.text = strings.TrimSpace(line[m.start:])
				}
			}
			mk, hasMarker = m, true
			line = line[:m.start]
		}
	}
	if strings.TrimSpace(line) != "" {
		p.gluedToMarker = hasMarker
		p.pytestLine(line)
		p.gluedToMarker = false
	} else if hasMarker {
		p.markerOnly = true
	}
	if !hasMarker && strings.HasPrefix(trimmed, "##[error]") {
		// a runner error this parser has no rule for: keep it as evidence.
		p.lastRecognised = true
		p.endEvidence(endMarker{text: trimmed})
		p.markerOnly = true
		return
	}
	if hasMarker {
		p.lastRecognised = true
		p.endEvidence(mk)
	}
}

func isOutputSection(s string) bool {
	return s == "failures" || s == "errors" || s == "passes" || s == "warnings"
}

func (p *parser) session() *state {
	if p.cur == nil {
		p.startSession(false)
	}
	return p.cur
}

func (p *parser) startSession(explicit bool) {
	p.finishSession()
	st := &state{
		fileCount:   map[string]int{},
		workerIdx:   map[string]int{},
		downPending: map[string]bool{},
		kinds:       map[string]bool{},
		lastXResult: -1,
		maxWorker:   -1,
		held:        p.held,
	}
	st.s.FirstLine = p.lineNo
	st.s.LastLine = p.lineNo
	p.cur = st
}

// sessionEmpty reports whether the current session holds nothing yet (so a
// "test session starts" line can take it over instead of opening another).
func (st *state) empty() bool {
	return st.s.Header.Line == 0 && !st.s.Header.HasCollected && st.s.Header.Workers == 0 &&
		len(st.s.Tests) == 0 && !st.hadEvidence && len(st.s.Workers) == 0 && st.pending == nil &&
		len(st.xpending) == 0 && st.s.Header.PytestVersion == "" && st.s.Header.Rootdir == "" &&
		!st.collecting && st.s.Mode == ""
}

func (p *parser) pytestLine(line string) {
	// After pytest's final line, only a new run's output opens a session
	// (tox envs, reruns); anything else stays with the finished one.
	if st := p.cur; st != nil && st.s.Complete && !isSessionStarts(strings.TrimSpace(line)) {
		p.cur = nil
		p.runLine(line)
		if p.cur == nil {
			p.cur = st
			return
		}
		next := p.cur
		p.cur = st
		p.finishSession()
		p.cur = next
		return
	}
	p.runLine(line)
}

func (p *parser) runLine(line string) {
	trimmed := strings.TrimSpace(line)
	// glued status lines and node-down messages (sample 12): split first.
	if !strings.Contains(line, "] node down: ") {
		// the common case: skip the unanchored search
	} else if loc := nodeDownRe.FindStringSubmatchIndex(line); loc != nil {
		before := line[:loc[0]]
		if strings.TrimSpace(before) != "" {
			p.runLine(before)
		}
		p.lastRecognised = true
		st := p.session()
		st.xdist = true
		id := line[loc[2]:loc[3]]
		w := p.worker(id)
		w.Crashed = true
		w.NodeDown = line[loc[4]:loc[5]]
		if w.CrashLine == 0 {
			w.CrashLine = p.lineNo
		}
		st.downPending[id] = true
		return
	}

	if isSessionStarts(trimmed) {
		if p.cur != nil && !p.cur.empty() {
			p.startSession(true)
		}
		st := p.session()
		st.s.Header.Line = p.lineNo
		st.width = len([]rune(strings.TrimRight(line, " ")))
		p.lastRecognised = true
		return
	}

	st := p.cur
	if st != nil && st.section != "" {
		if p.summaryLine(line) {
			p.lastRecognised = true
		}
		return
	}
	if p.headerLine(line) {
		p.lastRecognised = true
		return
	}
	if p.xdistLine(line) {
		p.lastRecognised = true
		return
	}
	if p.separator(line) {
		p.lastRecognised = true
		return
	}
	if p.resultLine(line) {
		p.lastRecognised = true
		return
	}
}

func (p *parser) worker(id string) *Worker {
	st := p.session()
	if i, ok := st.workerIdx[id]; ok {
		return &st.s.Workers[i]
	}
	st.workerIdx[id] = len(st.s.Workers)
	st.s.Workers = append(st.s.Workers, Worker{ID: id})
	// a new id after "replacing crashed worker gwN" is its replacement; xdist
	// numbers replacements above every id so far (a log that starts mid-run
	// can show an old worker for the first time).
	num := workerNum(id)
	if len(st.replacing) > 0 && num > st.maxWorker {
		old := st.replacing[0]
		st.replacing = st.replacing[1:]
		st.s.Workers[old].ReplacedBy = id
	}
	if num > st.maxWorker {
		st.maxWorker = num
	}
	return &st.s.Workers[len(st.s.Workers)-1]
}

// headerLine reads the session header (terminal.py pytest_sessionstart,
// pytest_report_header, report_collect).
func (p *parser) headerLine(line string) bool {
	t := strings.TrimRight(line, " \t")
	if !strings.HasPrefix(t, "platform ") {
		// not the platform line
	} else if m := platformRe.FindStringSubmatch(t); m != nil {
		h := &p.session().s.Header
		h.Platform, h.PythonVersion, h.PytestVersion, h.PyVersion, h.PluggyVersion, h.Executable = m[1], m[2], m[3], m[4], m[5], m[6]
		return true
	}
	st := p.cur
	inHeader := st != nil && !st.headerDone && len(st.s.Tests) == 0
	if t == "" || !inHeader && !strings.ContainsRune("pcrit", rune(t[0])) {
		return false // header lines start with platform, cachedir, rootdir, inifile, testpaths ...
	}
	if m := matchIf(strings.HasPrefix(t, "cachedir: "), cachedirRe, t); m != nil && (inHeader || st == nil) {
		p.session().s.Header.Cachedir = m[1]
		return true
	}
	if m := matchIf(strings.HasPrefix(t, "rootdir: "), rootdirOldRe, t); m != nil && (inHeader || st == nil) {
		h := &p.session().s.Header
		h.Rootdir = m[1]
		if m[2] != "" {
			h.Configfile = m[2]
		}
		if m[3] != "" {
			h.Testpaths = m[3]
		}
		return true
	}
	if m := matchIf(mayHeaderKV(t), headerKVRe, t); m != nil && inHeader {
		h := &st.s.Header
		if m[1] == "testpaths" {
			h.Testpaths = m[2]
		} else {
			h.Configfile = m[2]
		}
		return true
	}
	if m := matchIf(strings.HasPrefix(t, "plugins: "), pluginsRe, t); m != nil && (inHeader || st == nil) {
		p.session().s.Header.Plugins = strings.Split(m[1], ", ")
		return true
	}
	// "collecting ... collected 2 items", "collecting 0 items   <killed>".
	if !strings.HasPrefix(t, "collecting ") {
		// not a collecting line
	} else if loc := collectingRe.FindStringIndex(t); loc != nil && (st == nil || !st.headerDone) {
		st = p.session()
		if !st.collecting {
			st.collecting, st.collectAt = true, p.lineNo
		}
		if rest := t[loc[1]:]; strings.TrimSpace(rest) != "" {
			p.runLine(rest)
		}
		return true
	}
	if m := matchIf(strings.HasPrefix(t, "collected "), collectedRe, t); m != nil {
		st = p.session()
		h := &st.s.Header
		h.HasCollected = true
		h.Collected = atoi(m[1])
		st.testsHint = h.Collected
		h.Errors, h.Deselected, h.Skipped, h.Selected = atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5])
		st.headerDone = true
		return true
	}
	if inHeader && st.s.Header.Line > 0 && !st.headerDone && st.s.Header.PytestVersion != "" {
		// third-party header lines (benchmark:, asyncio:, metadata: ...)
		if !strings.Contains(t, "::") && !progressFileRe.MatchString(strings.TrimSpace(t)) &&
			!strings.HasPrefix(t, "[gw") && !xdistOldStatusRe.MatchString(t) && !xdistStatusRe.MatchString(t) &&
			!xdistItemsRe.MatchString(t) && !bringingUpRe.MatchString(t) && !separatorRe.MatchString(t) {
			st.s.Header.Extra = append(st.s.Header.Extra, t)
			return true
		}
	}
	return false
}

// isSessionStarts reports pytest's "=== test session starts ===" line.
func isSessionStarts(t string) bool {
	return maySessionStarts(t) && sessionStartsRe.MatchString(t)
}

func workerNum(id string) int {
	return atoi(strings.TrimPrefix(id, "gw"))
}

// atoi is strconv.Atoi's value, 0 on error (the value Atoi gives with
// ErrSyntax; with ErrRange it gives the bound, as here). A run of up to 18
// digits, what the expressions' \d+ and a progress indicator hold, is read
// here: it cannot overflow, and the call to Atoi was most of setProgress's
// cost on every -v result.
func atoi(s string) int {
	if n, ok := digitsValue(s); ok {
		return n
	}
	n, _ := strconv.Atoi(s)
	return n
}

// digitsValue is the value of s when it is 1 to 18 ASCII digits.
func digitsValue(s string) (int, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// xdistLine reads pytest-xdist's own lines (dsession.py, workermanage.py).
func (p *parser) xdistLine(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" {
		return false
	}
	if c := t[0]; c != '[' && c != 'g' && c != 'c' && c != 'i' && c != 'r' && c != 'b' && c != 's' && c != 'w' && (c < '0' || c > '9') {
		return false // no xdist line starts otherwise
	}
	if m := xdistStatusRe.FindStringSubmatch(t); m != nil {
		st := p.session()
		st.xdist = true
		st.s.Header.Workers = atoi(m[3])
		return true
	}
	if m := xdistItemsRe.FindStringSubmatch(t); m != nil {
		st := p.session()
		st.xdist = true
		st.s.Header.Workers, st.s.Header.Items = atoi(m[1]), atoi(m[2])
		st.testsHint = st.s.Header.Items
		st.headerDone = true
		return true
	}
	if m := xdistOldStatusRe.FindStringSubmatch(t); m != nil {
		st := p.session()
		st.xdist = true
		entries := xdistOldEntryRe.FindAllStringSubmatch(m[1], -1)
		if st.s.Header.Workers == 0 {
			st.s.Header.Workers = len(entries)
		}
		for _, e := range entries {
			p.worker(e[1])
			if e[2] != "" && st.s.Header.Items == 0 {
				st.s.Header.Items = atoi(e[2])
			}
		}
		st.headerDone = true
		return true
	}
	if bringingUpRe.MatchString(t) {
		st := p.session()
		st.xdist = true
		return true
	}
	if m := schedulingRe.FindStringSubmatch(t); m != nil {
		st := p.session()
		st.xdist = true
		st.s.Header.Scheduling = m[1]
		return true
	}
	if m := workerInfoRe.FindStringSubmatch(t); m != nil {
		p.session().xdist = true
		p.worker(m[1])
		return true
	}
	if m := replacingRe.FindStringSubmatch(t); m != nil {
		st := p.session()
		st.xdist = true
		w := p.worker(m[1])
		w.Crashed = true
		if w.CrashLine == 0 {
			w.CrashLine = p.lineNo
		}
		// the synthetic crash report is the last [gwN] FAILED line before
		// "replacing crashed worker gwN" (dsession.py worker_errordown ->
		// handle_crashitem, then _clone_node).
		if w.CrashedWhile == "" && st.lastXResult >= 0 {
			tr := st.s.Tests[st.lastXResult]
			if tr.Worker == m[1] && tr.Outcome == OutcomeFailed {
				w.CrashedWhile = tr.NodeID
			}
		}
		st.replacing = append(st.replacing, st.workerIdx[m[1]])
		delete(st.downPending, m[1])
		return true
	}
	if m := restartDisabledRe.FindStringSubmatch(t); m != nil {
		w := p.worker(m[1])
		w.Crashed = true
		if w.CrashLine == 0 {
			w.CrashLine = p.lineNo
		}
		return true
	}
	if !strings.Contains(t, "crashed while running") {
		// skip the unanchored search
	} else if m := crashedWhileRe.FindStringSubmatch(t); m != nil {
		st := p.session()
		st.xdist = true
		id := m[2]
		if m[3] != "" || id == "" {
			id = m[3]
		}
		id = unrepr(id)
		w := p.worker(m[1])
		w.Crashed = true
		if w.CrashLine == 0 {
			w.CrashLine = p.lineNo
		}
		if w.CrashedWhile == "" {
			w.CrashedWhile = id
		}
		// in progress modes the crash report is one of the letters; the
		// short summary names it.
		if !st.hasTest(id) && st.s.Mode != ModeProgress && st.s.Mode != ModeXdistProgress {
			st.addTest(Test{NodeID: id, File: fileOf(id), Outcome: OutcomeFailed, Worker: m[1], Percent: -1, Line: p.lineNo})
		}
		return true
	}
	if m := xdistResultRe.FindStringSubmatch(t); m != nil {
		word := m[5]
		outcome := verboseOutcome(word)
		if outcome == "" {
			outcome = word
		}
		st := p.session()
		st.xdist = true
		if st.s.Mode == "" {
			st.s.Mode = ModeXdistVerbose
		}
		st.headerDone = true
		nodeID, reason := splitReason(m[6])
		nodeID = trimLocation(nodeID)
		test := Test{NodeID: nodeID, File: fileOf(nodeID), Outcome: outcome, Reason: reason, Worker: m[1], Percent: -1, Line: p.lineNo}
		setProgress(&test, m[2], m[3], m[4])
		// its echo line started it.
		for i, e := range st.xpending {
			if e.nodeID == nodeID {
				test.Start, test.HasStart = e.start, e.hasStart
				st.xpending = append(st.xpending[:i], st.xpending[i+1:]...)
				break
			}
		}
		if p.hasStamp {
			test.End, test.HasEnd = p.stamp, true
		}
		w := p.worker(m[1])
		w.Tests = append(w.Tests, nodeID)
		if st.downPending[m[1]] && outcome == OutcomeFailed && w.CrashedWhile == "" {
			w.CrashedWhile = nodeID
			delete(st.downPending, m[1])
		}
		st.addTest(test)
		st.lastXResult = len(st.s.Tests) - 1
		return true
	}
	return false
}

func (st *state) hasTest(id string) bool {
	for i := range st.s.Tests {
		if st.s.Tests[i].NodeID == id {
			return true
		}
	}
	return false
}

// unrepr undoes Python's repr() of a str for the common escapes.
func unrepr(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '\'' || s[i+1] == '"') {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func fileOf(nodeID string) string {
	if i := indexColons(nodeID); i >= 0 {
		return nodeID[:i]
	}
	return nodeID
}

// indexColons is strings.Index(s, "::"), searching for the byte: in a node
// id the first ':' is nearly always the "::" (strings.Index of a two-byte
// needle was a tenth of BenchmarkParseVerbose's profile with splitPlain's).
func indexColons(s string) int {
	for from := 0; ; {
		i := strings.IndexByte(s[from:], ':')
		if i < 0 {
			return -1
		}
		i += from
		if i+1 < len(s) && s[i+1] == ':' {
			return i
		}
		from = i + 1
	}
}

func setProgress(t *Test, pct, done, total string) {
	if pct != "" {
		t.Percent = atoi(pct)
	}
	if done != "" {
		t.Done, t.Total = atoi(done), atoi(total)
		if t.Total > 0 {
			t.Percent = t.Done * 100 / t.Total
		}
	}
}

// splitReason splits "nodeid (reason)" after the node id's last bracket.
func splitReason(s string) (string, string) {
	if !strings.HasSuffix(s, ")") {
		return s, ""
	}
	from := strings.LastIndex(s, "]")
	if from < 0 {
		from = strings.LastIndex(s, "::")
	}
	if from < 0 {
		from = 0
	}
	i := strings.Index(s[from:], " (")
	if i < 0 {
		return s, ""
	}
	i += from
	return s[:i], s[i+2 : len(s)-1]
}

// separator handles "=== title ===" lines during the run: the start of the
// terminal summary, or the final line.
func (p *parser) separator(line string) bool {
	t := strings.TrimSpace(line)
	if p.finalLine(t) {
		return true
	}
	m := matchIf(maySeparator(t), separatorRe, t)
	if m == nil {
		return false
	}
	title := m[2]
	st := p.cur
	// Test output can print "=== x ===" too; pytest's own separators have a
	// known title or span the terminal width (TerminalWriter.sep).
	known := knownSection(title)
	if st == nil {
		if !known {
			return false
		}
		st = p.session()
	} else if !known && (st.width == 0 || len([]rune(t)) != st.width) {
		return false
	}
	st.section = sectionOf(title)
	st.headerDone = true
	return true
}

func knownSection(title string) bool {
	switch {
	case title == "FAILURES", title == "ERRORS", title == "PASSES", title == "short test summary info",
		strings.HasPrefix(title, "warnings summary"), strings.HasPrefix(title, "slowest "),
		strings.HasPrefix(title, "xdist: "), title == "MEMRAY REPORT", title == "leaks summary", title == "RESOURCE LEAKS":
		return true
	}
	return false
}

func sectionOf(title string) string {
	switch {
	case title == "FAILURES":
		return "failures"
	case title == "ERRORS":
		return "errors"
	case title == "PASSES":
		return "passes"
	case title == "short test summary info":
		return "summary"
	case strings.HasPrefix(title, "warnings summary"):
		return "warnings"
	}
	return "other"
}

// finalLine reads "==== 1 failed, 2 passed in 3.21s (0:00:03) ====" and the
// -q form without separators (terminal.py summary_stats).
func (p *parser) finalLine(t string) bool {
	var body string
	if m := matchIf(maySeparator(t), separatorRe, t); m != nil {
		body = m[2]
	} else if mayFinalQuiet(t) && finalQuietRe.MatchString(t) {
		body = t
	} else {
		return false
	}
	m := finalInRe.FindStringSubmatch(body)
	if m == nil {
		return false
	}
	counts := map[string]int{}
	if m[1] != "no tests ran" {
		for _, part := range strings.Split(m[1], ", ") {
			pm := finalPartRe.FindStringSubmatch(part)
			if pm == nil {
				return false
			}
			word := pm[2]
			switch word {
			case "error":
				word = "errors"
			case "warning":
				word = "warnings"
			}
			counts[word] += atoi(pm[1])
		}
	}
	st := p.session()
	st.s.Summary = counts
	st.s.DurationS, _ = strconv.ParseFloat(m[2], 64)
	st.s.Complete = true
	st.section = "done"
	if p.hasStamp {
		st.s.End.Time, st.s.End.HasTime = p.stamp, true
	}
	return true
}

// summaryLine handles lines of the terminal summary (after the run).
func (p *parser) summaryLine(line string) bool {
	st := p.cur
	t := strings.TrimSpace(line)
	if p.finalLine(t) {
		return true
	}
	if m := matchIf(maySeparator(t), separatorRe, t); m != nil && len(m[1]) >= 3 && len(m[3]) >= 3 {
		st.section = sectionOf(m[2])
		return true
	}
	if p.xdistCrashOnly(t) {
		return true
	}
	if st.section != "summary" {
		return false
	}
	m := summaryLineRe.FindStringSubmatch(t)
	if m == nil {
		return false
	}
	outcome := verboseOutcome(m[1])
	rest := m[2]
	if outcome == OutcomeSkipped {
		// "SKIPPED [2] tests/x.py:12: reason" folds skips by location: no
		// node id, but the file and reason of that many unnamed skips.
		if m := skippedSummaryRe.FindStringSubmatch(rest); m != nil {
			n := atoi(m[1])
			for i := range st.s.Tests {
				tr := &st.s.Tests[i]
				if n > 0 && tr.NodeID == "" && tr.Outcome == OutcomeSkipped && tr.Reason == "" && (tr.File == "" || tr.File == m[2]) {
					tr.File, tr.Reason = m[2], m[3]
					n--
				}
			}
		}
		return true
	}
	if outcome == OutcomeError {
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "at setup of "), "at teardown of ")
	}
	nodeID, reason := rest, ""
	// " - message": prefer a split that names a known test.
	if strings.Contains(rest, " - ") {
		nodeID, reason = p.splitSummary(rest)
	}
	for i := len(st.s.Tests) - 1; i >= 0; i-- {
		tr := &st.s.Tests[i]
		if tr.NodeID == nodeID {
			if tr.Reason == "" {
				tr.Reason = reason
			}
			return true
		}
	}
	// Progress letters carry no node id; the summary lists tests in the
	// order they were reported (terminal.py stats), so the first unnamed
	// letter of the same outcome (in the same file, when files are known)
	// is this test.
	for i := range st.s.Tests {
		tr := &st.s.Tests[i]
		if tr.NodeID == "" && tr.Outcome == outcome && (tr.File == "" || tr.File == fileOf(nodeID)) {
			tr.NodeID, tr.File = nodeID, fileOf(nodeID)
			if tr.Reason == "" {
				tr.Reason = reason
			}
			return true
		}
	}
	st.addTest(Test{NodeID: nodeID, File: fileOf(nodeID), Outcome: outcome, Reason: reason, Percent: -1, Line: p.lineNo})
	return true
}

func (p *parser) splitSummary(rest string) (string, string) {
	st := p.cur
	idx := 0
	for {
		i := strings.Index(rest[idx:], " - ")
		if i < 0 {
			break
		}
		cand := rest[:idx+i]
		if st.hasTest(cand) || p.collect.has(cand) {
			return cand, rest[idx+i+3:]
		}
		idx += i + 3
	}
	i := strings.Index(rest, " - ")
	if b := strings.LastIndex(rest, "]"); b >= 0 {
		if j := strings.Index(rest[b:], " - "); j >= 0 {
			i = b + j
		}
	}
	return rest[:i], rest[i+3:]
}

// xdistCrashOnly handles the xdist lines that can appear in the summary
// (the crash report is printed in FAILURES, sample 14).
func (p *parser) xdistCrashOnly(t string) bool {
	if crashedWhileRe.MatchString(t) || workerInfoRe.MatchString(t) || replacingRe.MatchString(t) || restartDisabledRe.MatchString(t) {
		return p.xdistLine(t)
	}
	return false
}
