package dmesg

import (
	"bytes"
	"errors"
	"fmt"
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
var needles = []string{
	"Kill",           // Killed process / Kill process (all eras), systemd-oomd "Killed /cgroup"
	"oom-kill",       // "invoked oom-killer:", "oom-kill:constraint=", systemd "'oom-kill'"
	"OOM killer",     // systemd "A process of this unit has been killed by the OOM killer"
	"-oomd",          // systemd-oomd's lines, systemd's "systemd-oomd killed N process(es)"
	"kB, limit ",     // memory: / memory+swap: / swap: / kmem: usage lines
	"kB, file-rss:",  // oom_reaper: reaped process … (and Killed lines)
	"sending SIG",    // earlyoom "sending SIGTERM|SIGKILL to process …"
	"Linux version ", // boot marker
	"-- Boot ",       // journalctl boot separator
	"Kernel panic",   // "Kernel panic - not syncing: Out of memory: … panic_on_oom …"
	"no killable",    // "Out of memory and no killable processes..."
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

	// logical-line assembler (hard wraps)
	pending     *logical // nil or &pendingBuf
	pendingBuf  logical
	prevLogical int

	cur   *builder
	kills []int // indexes of recent closed kernel kills (for reaper lines)
	group int   // event index taking memory.oom.group members, -1 if none

	lastStamp    stamp
	markers      []int
	firstContent int
	warned       map[string]bool
	dropped      int
	maxLine      int
	// alert is the number of following physical lines read even without a
	// needle: set after a Killed process line, for the memory.oom.group
	// line that follows it.
	alert int
	// keys holds one copy of each Mem-Info / memory.stat key (see key).
	keys map[string]string
	// taskScratch collects the task table of the open record (see
	// tableRow, emit).
	taskScratch []Task
	// rowVals is tableRow's scratch: the columns of the row being read.
	rowVals []string
}

type logical struct {
	line, last int
	pre        prefixed
}

func newParser(opts Options) *parser {
	p := &parser{opts: opts, clock: clockOf(opts), pageSize: opts.PageSizeBytes, group: -1, warned: map[string]bool{}}
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

// idle: no record open and no logical line pending. Lines without a needle
// are no-ops then.
func (p *parser) idle() bool { return p.cur == nil && p.pending == nil && p.alert == 0 }

// push takes one physical line (without '\n'). long says it was cut at
// maxLineBytes. Unless force is set, a line without a needle is dropped
// while nothing is open; push reports whether the line was taken.
func (p *parser) push(lineNo int, raw []byte, long, force bool) bool {
	raw = bytes.TrimSuffix(raw, []byte{'\r'})
	var pre prefixed
	stripped := false
	if p.pending != nil {
		pre, stripped = stripPrefix(string(raw), p.clock), true
		if p.pending.pre.stamped && !pre.stamped && pre.tag == "" && len(raw) > 0 && raw[0] != ' ' && raw[0] != '\t' && raw[0] != '[' && len(p.pending.pre.msgs) > 0 && !hasNeedle(raw) {
			// A hard wrap (copy/paste): the line continues the previous one.
			n := len(p.pending.pre.msgs) - 1
			p.pending.pre.msgs[n] += string(raw)
			p.pending.last = lineNo
			if long {
				p.warn(lineNo, "line longer than "+strconv.Itoa(p.maxLine)+" bytes: truncated")
			}
			return true
		}
		p.flush()
	}
	alert := p.alert > 0
	if alert {
		p.alert--
	}
	if !force && p.cur == nil && !alert && !hasNeedle(raw) {
		return false
	}
	if long {
		p.warn(lineNo, "line longer than "+strconv.Itoa(p.maxLine)+" bytes: truncated")
	}
	if !stripped {
		pre = stripPrefix(string(raw), p.clock)
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
		p.warned[l.pre.warn] = true
		p.warn(l.line, l.pre.warn)
	}
	for _, m := range l.pre.msgs {
		p.feedMsg(l.line, l.last, m, st, l.pre.tag)
	}
}

// finish closes what is open and orders the result.
func (p *parser) finish(lines int) *Log {
	p.flush()
	if p.cur != nil && p.cur.anchorPrio == 0 {
		p.cur = nil // see closeCur
	}
	if p.cur != nil {
		first := p.cur.ev.FirstLine
		p.closeCur("no Killed process line: the input ends inside the record (cut off)")
		p.warn(first, "OOM record cut off at end of input (no Killed process line)")
	}
	if p.dropped > 0 {
		p.log.Warnings = append(p.log.Warnings, Warning{Name: p.opts.Name, Message: strconv.Itoa(p.dropped) + " more warnings not shown"})
	}
	sort.SliceStable(p.log.Events, func(i, j int) bool { return p.log.Events[i].Line < p.log.Events[j].Line })
	// Boot segments: a boot marker after the first content line, or a
	// kernel stamp going backwards between consecutive events.
	boot, mi := 0, 0
	lastUp, haveUp := 0.0, false
	for i := range p.log.Events {
		ev := &p.log.Events[i]
		for mi < len(p.markers) && p.markers[mi] <= ev.Line {
			if p.firstContent != 0 && p.markers[mi] > p.firstContent {
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
		ev.Boot = boot
	}
	for ; mi < len(p.markers); mi++ {
		if p.firstContent != 0 && p.markers[mi] > p.firstContent {
			boot++
		}
	}
	p.log.PageSizeAssumed = p.pageAssumed && !p.pageFixed
	p.log.Lines = lines
	if lines > 0 {
		p.log.Boots = boot + 1
	}
	return &p.log
}

// sniff rejects binary input: NUL bytes, or mostly control bytes, in the
// first sniffBytes.
func sniff(name string, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	ctrl := 0
	for i, c := range b {
		if c == 0 {
			return fmt.Errorf("%s: byte offset %d: NUL byte: %w (a journal file? use journalctl -o json or -o short-precise)", displayName(name), i, ErrBinary)
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b {
			ctrl++
		}
	}
	if ctrl*10 > len(b) {
		return fmt.Errorf("%s: %d of the first %d bytes are control bytes: %w", displayName(name), ctrl, len(b), ErrBinary)
	}
	return nil
}

func displayName(n string) string {
	if n == "" {
		return "<input>"
	}
	return n
}
