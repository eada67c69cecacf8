package dmesg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
)

// ErrBinary is returned (wrapped, with the file name and byte offset) when
// the input is not text: NUL bytes or control bytes at the start.
var ErrBinary = errors.New("binary data, not a text log")

// needles are the substrings whose presence lets a line start a record
// (or be an event) while no record is open. Lines without one are not
// read while no record is open, except as lookback: when a needle line
// arrives with no record open, the lines just before it that were not
// read (at most lookbackLines, lookbackBytes) are read first, so that a
// `Task in …` line, a task table, an old `kill process` line can still
// open the record that the needle line continues. The end of the input
// does the same. While nothing is open the reader skips straight to the
// next line holding one (see scanner).
//
// A needle is as long as the lines it is for allow: the longer, the more
// bytes the scanner can choose from. "Out of memory and no killable" was
// "no killable", whose rarest byte ('b', ~6,000 a MiB of the benchmark
// log) cost the scanner a third of its hits; its 'O' is the one "OOM
// killer" is searched by. keyLine reads no shorter form.
var needles = []string{
	"Kill",                          // Killed process / Kill process (all eras), systemd-oomd "Killed /cgroup"
	"oom-kill",                      // "invoked oom-killer:", "oom-kill:constraint=", systemd "'oom-kill'"
	"OOM killer",                    // systemd "A process of this unit has been killed by the OOM killer"
	"-oomd",                         // systemd-oomd's lines, systemd's "systemd-oomd killed N process(es)"
	"kB, limit ",                    // memory: / memory+swap: / swap: / kmem: usage lines
	"kB, file-rss:",                 // oom_reaper: reaped process … (and Killed lines)
	"sending SIG",                   // earlyoom "sending SIGTERM|SIGKILL to process …"
	"Linux version ",                // boot marker
	"-- Boot ",                      // journalctl boot separator
	"Kernel panic",                  // "Kernel panic - not syncing: Out of memory: … panic_on_oom …"
	"Out of memory and no killable", // mm/oom_kill.c "Out of memory and no killable processes..."
}

// Lookback limits (see needles).
const (
	lookbackLines = 64
	lookbackBytes = 16 << 10
)

var needleBytes = func() [][]byte {
	out := make([][]byte, len(needles))
	for i, n := range needles {
		out[i] = []byte(n)
	}
	return out
}()

func hasNeedle(b []byte) bool {
	for _, n := range needleBytes {
		if bytes.Contains(b, n) {
			return true
		}
	}
	return false
}

// parser holds the state of one Parse.
type parser struct {
	opts     Options
	clock    clock
	pageSize int64
	// pageAssumed: a page count was converted with the default page
	// size; pageFixed: the log shows an x86 kernel (see Log.PageSizeAssumed)
	pageAssumed, pageFixed bool
	log                    Log

	// hostState is the state of the host whose line is being read; the
	// other hosts' wait in hosts (see toHost).
	hostState
	host      string
	firstHost string
	lineHost  string // the host the line being fed names ("" for none)
	hosts     map[string]*hostState
	// busyOthers counts the waiting hosts that are not idle: while one
	// is, no line is skipped. At line expireAt the first of them may have
	// waited maxRecordGapLines (see expire).
	busyOthers int
	expireAt   int

	markers      []bootMark
	firstContent int
	warned       map[string]bool
	dropped      int
	maxLine      int
	// keys holds one copy of each Mem-Info / memory.stat key (see key).
	keys map[string]string
	// rowVals is tableRow's scratch: the columns of the row being read.
	rowVals []string
	// full turns the fast paths of the state machine off (see mayOpen):
	// the tests' reference reading (parseReference) sets it.
	full bool
}

// hostState is what the parser assembles of one host's lines: a syslog
// that several hosts write to interleaves their records line by line
// (rsyslog or journald forwarding, a central log server), and each host's
// record is assembled from its own lines only. A log without host names is
// one host.
type hostState struct {
	// logical-line assembler (hard wraps)
	pending     *logical // nil or &pendingBuf
	pendingBuf  logical
	prevLogical int

	cur   *builder
	kills []int // indexes of recent closed kernel kills (for reaper lines)
	group int   // event index taking memory.oom.group members, -1 if none

	lastStamp stamp
	// alert is the number of following physical lines read even without a
	// needle: set after a Killed process line, for the memory.oom.group
	// line that follows it.
	alert int
	// taskScratch collects the task table of the open record (see
	// tableRow, emit).
	taskScratch []Task
	// lastLine is the host's last line read.
	lastLine int
}

func (h *hostState) idle() bool { return h.cur == nil && h.pending == nil && h.alert == 0 }

// expire closes what the waiting hosts have open once maxRecordGapLines
// lines passed without one of theirs (feedMsg's rule for one host: a host
// whose record was cut must not keep the others from skipping lines).
func (p *parser) expire(lineNo int) {
	if p.busyOthers == 0 || lineNo < p.expireAt {
		return
	}
	p.expireAt = 0
	cur := p.host
	for h, st := range p.hosts {
		if h == cur || st.idle() {
			continue
		}
		if lineNo-st.lastLine <= maxRecordGapLines {
			if p.expireAt == 0 || st.lastLine+maxRecordGapLines < p.expireAt {
				p.expireAt = st.lastLine + maxRecordGapLines
			}
			continue
		}
		p.toHost(h)
		p.flush()
		p.closeCur("no Killed process line: the record ends without one (lost or filtered)")
		p.alert = 0
		p.toHost(cur)
	}
}

// bootMark is a boot marker's line, and its host.
type bootMark struct {
	line int
	host string
}

type logical struct {
	line, last int
	pre        prefixed
}

func newParser(opts Options) *parser {
	p := &parser{opts: opts, clock: clockOf(opts), pageSize: opts.PageSizeBytes, hostState: hostState{group: -1}}
	if p.pageSize <= 0 {
		p.pageSize = 4096
	}
	return p
}

func (p *parser) warn(line int, msg string) {
	if len(p.log.Warnings) >= maxWarnings {
		p.dropped++
		return
	}
	p.log.Warnings = append(p.log.Warnings, Warning{Name: p.opts.Name, Line: line, Message: msg})
}

// noteFirst remembers the first line with content (not blank, not a
// journalctl "-- …" banner); a boot marker on it does not start a new boot.
func (p *parser) noteFirst(lineNo int, raw []byte) {
	if p.firstContent != 0 {
		return
	}
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.HasPrefix(t, []byte("-- ")) {
		return
	}
	p.firstContent = lineNo
}

// idle: no record open and no logical line pending, of any host. Lines
// without a needle are no-ops then.
func (p *parser) idle() bool { return p.hostState.idle() && p.busyOthers == 0 }

// toHost makes host's state the parser's, keeping the current host's for
// when its lines come again. A line without a host name (a hard wrap, raw
// dmesg) stays with the current host; the first host named takes what came
// before it.
func (p *parser) toHost(host string) {
	if host == "" || host == p.host {
		return
	}
	if p.host == "" && p.hosts == nil {
		p.host, p.firstHost = host, host
		return
	}
	if p.hosts == nil {
		p.hosts = map[string]*hostState{}
	}
	saved := p.hosts[p.host]
	if saved == nil {
		saved = new(hostState)
		p.hosts[p.host] = saved
	}
	*saved = p.hostState
	if saved.pending != nil {
		saved.pending = &saved.pendingBuf
	}
	if !saved.idle() {
		p.busyOthers++
		if p.expireAt == 0 || saved.lastLine+maxRecordGapLines < p.expireAt {
			p.expireAt = saved.lastLine + maxRecordGapLines
		}
	}
	p.host = host
	next := p.hosts[host]
	if next == nil {
		p.hostState = hostState{group: -1}
		return
	}
	p.hostState = *next
	if p.pending != nil {
		p.pending = &p.pendingBuf
	}
	if !next.idle() {
		p.busyOthers--
	}
}

// push takes one physical line (without '\n'). long says it was cut at
// maxLineBytes. Unless force is set, a line without a needle is dropped
// while nothing is open; push reports whether the line was taken.
func (p *parser) push(lineNo int, raw []byte, long, force bool) bool {
	raw = bytes.TrimSuffix(raw, []byte{'\r'})
	p.expire(lineNo)
	var pre prefixed
	stripped := false
	if p.pending != nil {
		pre, stripped = stripPrefix(string(raw), p.clock), true
		if p.pending.pre.stamped && !pre.stamped && pre.tag == "" && len(raw) > 0 && raw[0] != ' ' && raw[0] != '\t' && raw[0] != '[' && !hasNeedle(raw) {
			// A hard wrap (copy/paste): the line continues the previous one.
			p.pending.pre.appendToLast(string(raw))
			p.pending.last = lineNo
			if long {
				p.warn(lineNo, "line longer than "+strconv.Itoa(p.maxLine)+" bytes: truncated")
			}
			return true
		}
		p.flush()
	}
	// needled: raw was searched for a needle and holds one (searched at
	// most once per line).
	needled := false
	if !stripped {
		if !force && p.idle() {
			if !hasNeedle(raw) {
				return false
			}
			needled = true
		}
		pre = stripPrefix(string(raw), p.clock)
	}
	if pre.tag == "kernel" {
		// Only the kernel's lines make records, and only they switch
		// hosts: after an ISO stamp "Hardware name: QEMU" reads as host
		// "Hardware", tag "name".
		p.toHost(pre.host)
	}
	p.lastLine = lineNo
	alert := p.alert > 0
	if alert {
		p.alert--
	}
	if !force && p.cur == nil && !alert && !needled && !hasNeedle(raw) {
		return false
	}
	if long {
		p.warn(lineNo, "line longer than "+strconv.Itoa(p.maxLine)+" bytes: truncated")
	}
	// One logical line is pending at a time: its storage is reused (an
	// allocation per record line was a quarter of Parse's garbage).
	p.pendingBuf = logical{line: lineNo, last: lineNo, pre: pre}
	p.pending = &p.pendingBuf
	return true
}

// flush feeds the pending logical line to the record state machine.
func (p *parser) flush() {
	if p.pending == nil {
		return
	}
	l := *p.pending // a copy: pendingBuf is reused by the next push
	p.pending = nil
	st := l.pre.st
	if l.pre.stamped {
		p.lastStamp = st
	} else {
		st = p.lastStamp
	}
	if l.pre.warn != "" && !p.warned[l.pre.warn] {
		if p.warned == nil {
			p.warned = map[string]bool{} // made when needed: most logs have no such warning
		}
		p.warned[l.pre.warn] = true
		p.warn(l.line, l.pre.warn)
	}
	p.lineHost = l.pre.host
	p.feedMsg(l.line, l.last, l.pre.msg, st, l.pre.tag)
	for _, m := range l.pre.more {
		p.feedMsg(l.line, l.last, m, st, l.pre.tag)
	}
}

// finish closes what is open and orders the result.
func (p *parser) finish(lines int) *Log {
	p.closeHost()
	hosts := make([]string, 0, len(p.hosts))
	for h := range p.hosts {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		p.toHost(h)
		p.closeHost()
	}
	if p.dropped > 0 {
		p.log.Warnings = append(p.log.Warnings, Warning{Name: p.opts.Name, Message: strconv.Itoa(p.dropped) + " more warnings not shown"})
	}
	sort.SliceStable(p.log.Events, func(i, j int) bool { return p.log.Events[i].Line < p.log.Events[j].Line })
	boots := p.boots()
	p.log.PageSizeAssumed = p.pageAssumed && !p.pageFixed
	p.log.Lines = lines
	if lines > 0 {
		p.log.Boots = boots
	}
	return &p.log
}

// closeHost closes what the current host has open at the end of the input.
func (p *parser) closeHost() {
	p.flush()
	if p.cur != nil && p.cur.anchorPrio == 0 {
		p.cur = nil // see closeCur
	}
	if p.cur != nil {
		first := p.cur.ev.FirstLine
		p.closeCur("no Killed process line: the input ends inside the record (cut off)")
		p.warn(first, "OOM record cut off at end of input (no Killed process line)")
	}
}

// boots numbers the boot segments (Event.Boot) and returns how many there
// are: a boot marker after the first content line, or a kernel stamp going
// backwards between consecutive events, of one host. The hosts of a shared
// syslog boot apart: their segments are numbered host after host, in the
// order the hosts first appear; what came before the first host named is
// that host's.
func (p *parser) boots() int {
	if p.hosts == nil {
		idx := make([]int, len(p.log.Events))
		for i := range idx {
			idx[i] = i
		}
		return p.hostBoots(idx, p.markers, 0)
	}
	events, marks := map[string][]int{}, map[string][]bootMark{}
	first := map[string]int{}
	seen := func(h string, line int) string {
		if h == "" {
			h = p.firstHost
		}
		if at, ok := first[h]; !ok || line < at {
			first[h] = line
		}
		return h
	}
	for i, ev := range p.log.Events {
		h := seen(ev.Host, ev.Line)
		events[h] = append(events[h], i)
	}
	for _, m := range p.markers {
		h := seen(m.host, m.line)
		marks[h] = append(marks[h], m)
	}
	order := make([]string, 0, len(first))
	for h := range first {
		order = append(order, h)
	}
	sort.Slice(order, func(i, j int) bool { return first[order[i]] < first[order[j]] })
	total := 0
	for _, h := range order {
		total += p.hostBoots(events[h], marks[h], total)
	}
	return total
}

// hostBoots numbers the boot segments of one host's events (indexes into
// Log.Events, in line order) and boot markers from base, and returns how
// many it has.
func (p *parser) hostBoots(events []int, markers []bootMark, base int) int {
	boot, mi := 0, 0
	lastUp, haveUp := 0.0, false
	for _, i := range events {
		ev := &p.log.Events[i]
		for mi < len(markers) && markers[mi].line <= ev.Line {
			if p.firstContent != 0 && markers[mi].line > p.firstContent {
				boot++
				haveUp = false
			}
			mi++
		}
		if ev.HasUptime {
			if haveUp && ev.UptimeS < lastUp {
				boot++
			}
			lastUp, haveUp = ev.UptimeS, true
		}
		ev.Boot = base + boot
	}
	for ; mi < len(markers); mi++ {
		if p.firstContent != 0 && markers[mi].line > p.firstContent {
			boot++
		}
	}
	return boot + 1
}

// sniff rejects binary input: NUL bytes, or mostly control bytes, in the
// first sniffBytes. It reads 8 bytes at a time (controlBytes) and looks
// only at the bytes below 0x20, skipping the 32-byte pieces that hold
// none but newlines (textRun): byte by byte it was 15% of Parse on a
// batch job's pytest.log (BenchmarkParseJobPytest), and skipping only the
// pieces without any control byte left every third piece of a log, the
// ones holding a line's end, to the loop below: a fifth of ParseBytes'
// instructions on that log (BenchmarkParseBytesJob).
func sniff(name string, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	ctrl := 0
	for i := 0; i < len(b); i += 32 {
		if i = textRun(b, i); i >= len(b) {
			break
		}
		for j := i; j < i+32 && j < len(b); j += 8 {
			for low := controlBytes(word(b, j)); low != 0; low &= low - 1 {
				at := j + bits.TrailingZeros64(low)/8
				switch c := b[at]; {
				case c == 0:
					return fmt.Errorf("%s: byte offset %d: NUL byte: %w (a journal file? use journalctl -o json or -o short-precise)", displayName(name), at, ErrBinary)
				case c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b:
					ctrl++
				}
			}
		}
	}
	if ctrl*10 > len(b) {
		return fmt.Errorf("%s: %d of the first %d bytes are control bytes: %w", displayName(name), ctrl, len(b), ErrBinary)
	}
	return nil
}

// Per-byte constants of the 8-byte tests.
const (
	eachLow7 = 0x7f7f7f7f7f7f7f7f
	eachHigh = 0x8080808080808080
	each60   = 0x6060606060606060
	each9f   = 0x9f9f9f9f9f9f9f9f
	// eachNewline: see lastNewline.
	eachNewline = 0x0a0a0a0a0a0a0a0a
)

// word returns the 8 bytes of b at i, little-endian; past the end of b
// it reads spaces (no control byte).
func word(b []byte, i int) uint64 {
	if i+8 <= len(b) {
		return binary.LittleEndian.Uint64(b[i:])
	}
	tail := [8]byte{' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}
	copy(tail[:], b[i:])
	return binary.LittleEndian.Uint64(tail[:])
}

// controlBytes returns w (8 bytes) with the high bit of each byte below
// 0x20 set and every other bit clear. For a byte x < 0x80, x + 0x60 has
// its high bit set exactly when x >= 0x20, and no byte's sum carries into
// the next (at most 0x7f + 0x60 = 0xdf); ^w clears the bytes >= 0x80.
func controlBytes(w uint64) uint64 {
	return ^((w & eachLow7) + each60) & ^w & eachHigh
}

// textRun returns the offset of the first 32-byte piece of b from i on
// (i, i+32, …) that holds a byte below 0x20 other than '\n' (sniff counts
// '\n' as text), or of the first one that b cuts short. In x = w ^
// '\n'…, a newline is 0 and every other byte below 0x20 is still below
// 0x20 and not 0 (the xor changes only bits 1 and 3), every byte from
// 0x20 still at least 0x20; inControlRange marks the bytes of x in
// 1..0x1f. One loop, without a call per piece: the test is 8 operations
// a word.
func textRun(b []byte, i int) int {
	for ; i+32 <= len(b); i += 32 {
		p := b[i : i+32]
		w0 := binary.LittleEndian.Uint64(p) ^ eachNewline
		w1 := binary.LittleEndian.Uint64(p[8:]) ^ eachNewline
		w2 := binary.LittleEndian.Uint64(p[16:]) ^ eachNewline
		w3 := binary.LittleEndian.Uint64(p[24:]) ^ eachNewline
		if (inControlRange(w0)|inControlRange(w1)|inControlRange(w2)|inControlRange(w3))&eachHigh != 0 {
			return i
		}
	}
	return i
}

// inControlRange marks the bytes of x in 1..0x1f in their high bits
// (other bits are noise). For a = x & 0x7f…, 0x9f - a has its high bit
// set exactly when a < 0x20, a + 0x7f exactly when a != 0, neither
// carrying into the next byte, and ^x clears the bytes >= 0x80 (Hacker's
// Delight 6-1, "hasbetween", the exact form).
func inControlRange(x uint64) uint64 {
	a := x & eachLow7
	return (each9f - a) & ^x & (a + eachLow7)
}

func displayName(n string) string {
	if n == "" {
		return "<input>"
	}
	return n
}
