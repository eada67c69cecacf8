package dmesg

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of the record state machine.
const (
	// maxRecordGapLines: a record still waiting for its Killed process line
	// is closed (Partial) when this many lines pass without one of its key
	// lines. A call trace plus register dump is well under 200 lines.
	maxRecordGapLines = 400
	// maxReapGapLines: an oom_reaper line attaches to an earlier kill of
	// the same pid at most this many lines back.
	maxReapGapLines = 20000
	// maxReapDelayS, maxReapThreadGapLines: a reaper line naming another
	// pid belongs to the kill just before it when it comes at most this
	// long after it (OOM_REAPER_DELAY is 2 s in the newest tree).
	maxReapDelayS         = 10
	maxReapThreadGapLines = 50
	// recentKills is how many closed kernel kills stay open to a reaper line.
	recentKills = 32
	// maxWarnings caps Log.Warnings; one more says how many were dropped.
	maxWarnings = 1000
)

// Sub-states inside an open kernel record.
const (
	subNone = iota
	subMemInfo
	subTable
	subStatsV2
)

// builder is a kernel record being assembled.
type builder struct {
	ev Event

	sub          int
	memInfoFirst bool // still in the first (pages) block of Mem-Info
	statsBlocks  int  // `Memory cgroup stats for` lines seen
	tableCols    []string

	anchorPrio int
	lastKey    int    // last line that was a key line of this record
	lastSt     stamp  // and its stamp
	killPrefix string // prefix of the `Kill process` line (≤5.0)

	hasSummary  bool
	summaryPID  int
	summaryComm string
	summaryUID  int
	hasSumUID   bool
	summaryLine int // logical line of the oom-kill: line (for the KERN_CONT split)
	hasTaskIn   bool
	tablePIDs   map[int]bool
}

// Anchor priorities: lower wins.
const (
	prioKilled = iota + 1
	prioKill
	prioSummary
	prioHeader
	prioTaskIn
	prioUsage
	prioReaper
	prioTable
)

func (b *builder) anchor(prio, line int, st stamp) {
	if b.anchorPrio != 0 && prio >= b.anchorPrio {
		return
	}
	b.anchorPrio = prio
	b.ev.Line = line
	setStamp(&b.ev, st)
}

func setStamp(ev *Event, st stamp) {
	ev.UptimeS, ev.HasUptime = st.uptime(), st.hasUptime
	ev.Time, ev.HasTime = st.t, st.hasTime
	ev.TimeBasis = st.basis
}

func (b *builder) key(line, last int, st stamp, text string) {
	if b.ev.FirstLine == 0 || line < b.ev.FirstLine {
		b.ev.FirstLine = line
	}
	if last > b.ev.LastLine {
		b.ev.LastLine = last
	}
	b.lastKey = last
	b.lastSt = st
	if text != "" {
		b.ev.KeyLines = append(b.ev.KeyLines, text)
	}
}

// touch marks a record line that is not a key line (tables, Mem-Info…).
func (b *builder) touch(line int, st stamp) {
	b.lastKey = line
	b.lastSt = st
	if line > b.ev.LastLine {
		b.ev.LastLine = line
	}
}

// feedMsg runs one message (prefix removed) through the state machine:
// it finds the line's shape and hands it to that shape's method. line is
// the logical line's first physical line, last its last.
func (p *parser) feedMsg(line, last int, msg string, st stamp, tag string) {
	for n := len(msg); n > 0 && (msg[n-1] == ' ' || msg[n-1] == '\r' || msg[n-1] == '\t'); n-- {
		msg = msg[:n-1] // strings.TrimRight(msg, " \r\t") without a byte set per line (see trimBlanks)
	}
	t := trimBlanks(msg)
	if p.cur != nil && line-p.cur.lastKey > maxRecordGapLines {
		p.closeCur("no Killed process line: the record ends without one (lost or filtered)")
	}
	switch {
	case t == "":
	case p.cur == nil && !p.full && !mayOpen(t):
		// The fast path of a line that cannot open a record or be an
		// event (most look-back lines): what the cases below do with it.
		if tag == "" || tag == "kernel" {
			p.kernelLine(line, t)
		}
	case isBootMarker(t, tag):
		p.bootMarker(line)
	case p.userspace(line, t, st, tag):
	case tag != "" && tag != "kernel":
		// another program's line
	case p.cur != nil && p.cur.sub != subNone && p.subLine(line, last, t, st):
	case p.splitSummary(line, last, t, st):
	default:
		p.kernelLine(line, t)
		p.keyLine(line, last, t, st)
	}
}

// kernelLine notes a kernel line that is not a boot marker nor part of a
// memory.stat block or task table: the split summary's rest must follow
// it, and it ends a memory.oom.group list unless it is a Killed line.
func (p *parser) kernelLine(line int, t string) {
	p.prevLogical = line
	if p.group >= 0 && !strings.Contains(t, "Killed process ") {
		p.group = -1
	}
}

// mayOpen reports whether a kernel or program message t (trimmed, not
// empty) can do anything while no record is open: be a boot marker
// (isBootMarker), a userspace kill (userspace), or do anything in keyLine
// with p.cur nil. Each of those needs t to start with one of the bytes
// of openFirst or to hold "ill":
//
//	"Linux version ", "-- Boot ", "-- Reboot --"                 L -
//	"sending SIG" (earlyoom)                                      s
//	"Kernel panic - not syncing: "                                K
//	"Task in ", "Tasks in "                                       T
//	"memory: ", "memory+swap: ", "swap: ", "kmem: " usage lines   m s k
//	"oom_reaper: ", "oom-kill:"                                   o
//	"[" (task table header)                                       [
//	"Memory cgroup stats for "                                    M
//	"CPU: ", "Pid: " (banners)                                    C P
//	" invoked oom-killer: ", "Killed process ", "[Kk]ill process ",
//	"Out of memory and no killable", systemd-oomd's "Killed ",
//	"systemd-oomd killed ", "killed by the OOM killer",
//	"Failed with result 'oom-kill'"                               "ill"
//
// On a batch job's logs nearly every look-back line fails both tests,
// and the dozen string tests of the full path were a quarter of Parse's
// instructions (BenchmarkParseBytesJob); TestMayOpen and the reference
// reading (parseReference, which sets parser.full) hold it.
func mayOpen(t string) bool {
	return openFirst[t[0]] || strings.Contains(t, "ill")
}

// openFirst: see mayOpen.
var openFirst = func() (set [256]bool) {
	for _, c := range "L-sKTmko[MCP" {
		set[c] = true
	}
	return set
}()

// keyLine dispatches a kernel line by its shape.
func (p *parser) keyLine(line, last int, t string, st stamp) {
	switch {
	case containsGuarded(t, "killer: ", " invoked oom-killer: "):
		p.header(line, last, t, st)
	case isKilledLine(t):
		p.killed(line, last, t, st)
	case strings.HasPrefix(t, "Out of memory and no killable processes"):
		p.outcome(line, last, t, st, OutcomeNoKillable, "")
	case strings.HasPrefix(t, "Kernel panic - not syncing: ") && isOOMPanic(t):
		p.panicLine(line, last, t, st)
	case isKillLine(t):
		p.kill(line, last, t, st)
	case strings.HasPrefix(t, "oom-kill:"):
		p.summaryLine(line, last, t, st)
	case strings.HasPrefix(t, "Task in ") && strings.Contains(t, " killed as a result of limit of "):
		p.taskIn(line, last, t, st)
	case isUsageLine(t):
		p.usage(line, last, t, st)
	case strings.HasPrefix(t, "oom_reaper: "):
		p.reaper(line, last, t, st)
	case strings.HasPrefix(t, "Tasks in ") && strings.Contains(t, "memory.oom.group"):
		p.groupLine(last, t)
	case strings.HasPrefix(t, "[") && strings.Contains(t, "pid") && strings.Contains(t, "uid") && strings.Contains(t, " name"):
		p.tableHeader(line, last, t, st)
	case p.cur != nil:
		p.recordLine(line, last, t, st)
	case strings.HasPrefix(t, "Memory cgroup stats for "):
		// It opens a record only for the lines that follow it (a task
		// table cut from its header): alone, it is dropped (closeCur).
		p.cur = newBuilder()
		p.cur.lastSt = st
		p.statsHeader(line, last, t, st)
	case isBanner(t):
		p.panicBanner(last, t)
	}
}

// noteArch remembers a kernel release of an architecture whose page size
// is always 4 KiB (x86: `2.6.32-642.el6.x86_64`, `…-amd64`, `….i686`).
func (p *parser) noteArch(t string) {
	for _, a := range []string{"x86_64", "amd64", ".i686", ".i386", "-686"} {
		if strings.Contains(t, a) {
			p.pageFixed = true
		}
	}
}

// isBanner: the stack dump's banner, `CPU: 3 PID: 724 Comm: x Tainted: …`
// (lib/dump_stack.c, 3.x on) or `Pid: 4373, comm: x Not tainted …` (2.6.x).
func isBanner(t string) bool {
	return strings.HasPrefix(t, "CPU: ") && strings.Contains(t, " PID: ") || strings.HasPrefix(t, "Pid: ")
}

// bannerTask reads the pid and comm of a banner (see isBanner). The comm
// (at most 15 bytes, it may hold spaces) runs to ` Tainted:`, ` Not
// tainted` or the end of the line.
func bannerTask(t string) (int, string) {
	var r string
	if strings.HasPrefix(t, "Pid: ") {
		r = t[len("Pid: "):]
	} else {
		r = t[strings.Index(t, " PID: ")+len(" PID: "):]
	}
	pid := leadingInt(r)
	_, c, ok := strings.Cut(r, "omm: ")
	if !ok {
		return pid, ""
	}
	for _, end := range []string{" Tainted:", " Not tainted"} {
		if i := strings.Index(c, end); i >= 0 {
			c = c[:i]
		}
	}
	return pid, strings.TrimSpace(c)
}

// panicBanner reads the banner panic() prints right after `Kernel panic -
// not syncing: …` (or `Out of memory and no killable processes...`): the
// stack it dumps is the task that called the OOM killer, the record's
// invoker when the record did not show it.
func (p *parser) panicBanner(last int, t string) {
	n := len(p.log.Events) - 1
	if n < 0 {
		return
	}
	ev := &p.log.Events[n]
	if ev.Kind != KindKernelOOMKill || ev.Outcome != OutcomePanic && ev.Outcome != OutcomeNoKillable || ev.TriggerPID != 0 || last-ev.LastLine > 4 {
		return
	}
	pid, comm := bannerTask(t)
	ev.TriggerPID = pid
	if ev.TriggerComm == "" {
		ev.TriggerComm = comm
	}
	ev.LastLine = last
}

// isOOMPanic: a panic because of memory: panic_on_oom (`Out of memory:
// system-wide panic_on_oom is enabled`, `compulsory panic_on_oom`), or
// `System is deadlocked on memory`, or `Out of memory and no killable
// processes...` (mm/oom_kill.c).
func isOOMPanic(t string) bool {
	return strings.Contains(t, "Out of memory") || strings.Contains(t, "on memory") || strings.Contains(t, "panic_on_oom")
}

// outcome records how the open record (or a new one) ended and closes it.
func (p *parser) outcome(line, last int, t string, st stamp, outcome, panic string) {
	b := p.want(st, func(b *builder) bool { return b.ev.Outcome == "" })
	b.anchor(prioKill, line, st)
	b.key(line, last, st, t)
	b.ev.Outcome = outcome
	if panic != "" {
		b.ev.Panic = panic
	}
	p.closeCur("")
	p.alert = 2
}

// panicLine reads `Kernel panic - not syncing: …` when it is about memory:
// after `Out of memory and no killable processes...` it belongs to that
// record; else it is the outcome of the open record (panic_on_oom) or a
// record of its own.
func (p *parser) panicLine(line, last int, t string, st stamp) {
	msg := strings.TrimPrefix(t, "Kernel panic - not syncing: ")
	if p.cur == nil {
		if n := len(p.log.Events) - 1; n >= 0 {
			ev := &p.log.Events[n]
			if ev.Outcome == OutcomeNoKillable && ev.Panic == "" && line-ev.LastLine <= maxReapThreadGapLines {
				ev.Panic = msg
				ev.KeyLines = append(ev.KeyLines, t)
				ev.LastLine = max(ev.LastLine, last)
				return
			}
		}
	}
	outcome := OutcomePanic
	if strings.HasPrefix(msg, "Out of memory and no killable processes") {
		outcome = OutcomeNoKillable
	}
	p.outcome(line, last, t, st, outcome, msg)
}

// isBootMarker: `Linux version …` from the kernel, journalctl's `-- Boot
// …` and the old `-- Reboot --`.
func isBootMarker(t, tag string) bool {
	return (tag == "" || tag == "kernel") && strings.HasPrefix(t, "Linux version ") ||
		strings.HasPrefix(t, "-- Boot ") || strings.HasPrefix(t, "-- Reboot --")
}

func (p *parser) bootMarker(line int) {
	if p.cur != nil {
		p.closeCur("no Killed process line: the system rebooted")
	}
	p.group = -1
	p.markers = append(p.markers, bootMark{line, p.host})
}

// subLine reads a line of the open record's v2 memory.stat block or task
// table, which have no shape of their own; it reports false (and leaves
// the sub-state) when the line is not one.
func (p *parser) subLine(line, last int, t string, st stamp) bool {
	b := p.cur
	switch b.sub {
	case subStatsV2:
		if k, v, ok := statLine(t); ok {
			if b.statsBlocks == 1 {
				b.ev.MemcgStats[p.key(k)] = v
			}
			b.touch(last, st)
			return true
		}
	case subTable:
		// A row the syslog daemon mangled (lost messages glue two rows
		// together: `…  0     p-fpm`) is skipped; the table goes on.
		if strings.HasPrefix(t, "[") && (p.tableRow(line, t) || isRowShape(t)) {
			b.touch(last, st)
			return true
		}
	case subMemInfo:
		return false // Mem-Info lines are read by recordLine
	}
	b.sub = subNone
	return false
}

// isRowShape: `[ digits ]` then more text, the start of a dump_tasks row.
func isRowShape(t string) bool {
	end := strings.IndexByte(t, ']')
	return end > 1 && allDigits(strings.TrimSpace(t[1:end])) && strings.TrimSpace(t[1:end]) != ""
}

// splitSummary joins the rest of an oom-kill: summary that a missing
// KERN_CONT split onto its own line (4.19-rc).
func (p *parser) splitSummary(line, last int, t string, st stamp) bool {
	b := p.cur
	if !strings.HasPrefix(t, ",") || b == nil || !b.hasSummary || b.summaryLine != p.prevLogical || b.ev.HasKilledLine {
		return false
	}
	n := len(b.ev.KeyLines)
	if n == 0 || !strings.HasPrefix(b.ev.KeyLines[n-1], "oom-kill:") {
		return false
	}
	b.ev.KeyLines[n-1] += t
	p.summary(b, t[1:])
	b.summaryLine = line
	b.key(line, last, st, "")
	p.prevLogical = line
	return true
}

// summaryLine reads `oom-kill:constraint=…` (see summary).
func (p *parser) summaryLine(line, last int, t string, st stamp) {
	b := p.want(st, func(b *builder) bool { return !b.hasSummary })
	b.anchor(prioSummary, line, st)
	b.key(line, last, st, t)
	p.summary(b, t[len("oom-kill:"):])
	b.hasSummary = true
	b.summaryLine = line
	b.sub = subNone
}

// taskIn reads v1 `Task in A killed as a result of limit of B`
// (mm/memcontrol.c mem_cgroup_print_oom_context before 4.19/5.0).
func (p *parser) taskIn(line, last int, t string, st stamp) {
	if p.repeated(last, t, st) {
		return
	}
	b := p.want(st, func(b *builder) bool { return !b.hasTaskIn && !b.hasSummary })
	b.anchor(prioTaskIn, line, st)
	b.key(line, last, st, t)
	// From before the space after "in": a damaged line may name no task
	// memcg ("Task in killed as a result of limit of /a").
	r := t[len("Task in"):]
	i := strings.Index(r, " killed as a result of limit of ")
	b.ev.TaskMemcg = strings.TrimPrefix(r[:i], " ")
	b.ev.OOMMemcg = r[i+len(" killed as a result of limit of "):]
	b.ev.MemcgOOM = true
	b.hasTaskIn = true
}

// repeated reports a `Task in …` or usage line that repeats, word for
// word and at the same stamp, a key line of the open record or of the
// record just closed: a paste that shows the block twice (or a line
// printed twice by the paste), not a second OOM record. The kernel prints
// these lines once per record, and a new record's usage lines differ
// (failcnt grows). The repeat is folded into that record.
func (p *parser) repeated(last int, t string, st stamp) bool {
	if b := p.cur; b != nil {
		if sameStamp(b.lastSt, st) && hasKeyLine(b.ev.KeyLines, t) {
			b.touch(last, st)
			return true
		}
		return false
	}
	n := len(p.log.Events) - 1
	if n < 0 {
		return false
	}
	ev := &p.log.Events[n]
	if ev.Kind != KindKernelOOMKill || last-ev.LastLine > maxReapThreadGapLines || !hasKeyLine(ev.KeyLines, t) {
		return false
	}
	if !sameStamp(stamp{uptimeS: ev.UptimeS, hasUptime: ev.HasUptime, t: ev.Time, hasTime: ev.HasTime}, st) {
		return false
	}
	ev.LastLine = max(ev.LastLine, last)
	return true
}

// sameStamp: both stamps say the same (to 1 s: `dmesg -T` prints seconds,
// and a record's lines are printed within one), or neither has one.
func sameStamp(a, b stamp) bool {
	switch {
	case a.hasUptime && b.hasUptime:
		d := b.uptime() - a.uptime()
		return d >= -1 && d <= 1
	case a.hasTime && b.hasTime:
		d := b.t.Sub(a.t)
		return d >= -time.Second && d <= time.Second
	}
	return !a.hasUptime && !b.hasUptime && !a.hasTime && !b.hasTime
}

func hasKeyLine(lines []string, t string) bool {
	for _, l := range lines {
		if l == t {
			return true
		}
	}
	return false
}

// usage reads a `memory: usage …, limit …, failcnt …` line (see
// parseUsage).
func (p *parser) usage(line, last int, t string, st stamp) {
	name := t[:strings.IndexByte(t, ':')]
	if p.repeated(last, t, st) {
		return
	}
	b := p.want(st, func(b *builder) bool { _, dup := b.ev.Memcg[name]; return !dup })
	b.anchor(prioUsage, line, st)
	b.key(line, last, st, t)
	if c, ok := parseUsage(t[len(name)+1:]); ok {
		b.ev.Memcg[name] = c
	} else {
		p.warn(line, "memcg usage line not understood: "+clip(t))
	}
	b.ev.MemcgOOM = true
}

// groupLine reads `Tasks in /x are going to be killed due to
// memory.oom.group set` (mm/memcontrol.c mem_cgroup_print_oom_group):
// the Killed lines after it are members of the last kill's group.
func (p *parser) groupLine(last int, t string) {
	n := p.lastKill()
	if n < 0 {
		return
	}
	ev := &p.log.Events[n]
	ev.KeyLines = append(ev.KeyLines, t)
	if last > ev.LastLine {
		ev.LastLine = last
	}
	p.group = n
}

// tableHeader reads the dump_tasks header `[  pid  ]   uid  tgid total_vm
// rss … name`; it can open a record (grep-filtered logs).
func (p *parser) tableHeader(line, last int, t string, st stamp) {
	close := strings.IndexByte(t, ']')
	if close < 0 {
		return
	}
	b := p.want(st, func(b *builder) bool { return b.tableCols == nil })
	b.anchor(prioTable, line, st)
	if b.ev.FirstLine == 0 {
		b.ev.FirstLine = line
	}
	b.tableCols = append([]string{"pid"}, strings.Fields(t[close+1:])...)
	b.ev.TaskColumns = b.tableCols
	b.sub = subTable
	b.touch(last, st)
}

// recordLine reads the lines that only belong to an open record: memcg
// stats, `Tasks state`, Mem-Info, the `<comm> cpuset=` line, the stack
// dump's banner.
func (p *parser) recordLine(line, last int, t string, st stamp) {
	b := p.cur
	switch {
	case strings.HasPrefix(t, "Memory cgroup stats for "):
		p.statsHeader(line, last, t, st)
		return
	case t == "Mem-Info:":
		b.sub = subMemInfo
		b.memInfoFirst = true
	case strings.Contains(t, " cpuset=") && strings.Contains(t, " mems_allowed="):
		r := t[strings.Index(t, " cpuset=")+len(" cpuset="):]
		cs, ma, _ := strings.Cut(r, " mems_allowed=")
		if b.ev.Cpuset == "" {
			b.ev.Cpuset = cs
		}
		if b.ev.MemsAllowed == "" {
			b.ev.MemsAllowed = strings.TrimSpace(ma)
		}
	case isBanner(t):
		if b.ev.HasHeader && b.ev.TriggerPID == 0 {
			b.ev.TriggerPID, _ = bannerTask(t)
		}
		p.noteArch(t)
	case strings.HasPrefix(t, "RIP: ") || strings.HasPrefix(t, "EIP: "):
		p.pageFixed = true // x86 register dump
	case strings.HasPrefix(t, "Tasks state"):
	case isRowShape(t):
		// a task-table row after a line the syslog daemon mangled, or
		// after a lost table header: the table goes on
		if b.tableCols != nil && p.tableRow(line, t) {
			b.sub = subTable
		}
	case b.sub == subMemInfo && p.memInfo(b, t):
	default:
		return
	}
	b.touch(last, st)
}

// statsHeader reads `Memory cgroup stats for /x:` (v2 and v1 since 5.3:
// one key per following line) or the v1 one-line `Memory cgroup stats
// for /x: cache:…KB rss:…KB …` (before 5.3). Only the first block, the
// OOM cgroup's own, is kept.
func (p *parser) statsHeader(line, last int, t string, st stamp) {
	b := p.cur
	b.statsBlocks++
	b.sub = subNone
	r := t[len("Memory cgroup stats for "):]
	i := strings.Index(r, ":")
	if i < 0 {
		b.touch(last, st)
		return
	}
	path, vals := r[:i], strings.TrimSpace(r[i+1:])
	if vals == "" {
		b.sub = subStatsV2
	}
	if b.statsBlocks != 1 {
		b.touch(last, st)
		return
	}
	b.ev.MemcgStatsPath = path
	b.ev.MemcgOOM = true
	b.key(line, last, st, "")
	for _, f := range strings.Fields(vals) {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		n, unit, ok := numUnit(v)
		switch {
		case !ok:
		case unit == "KB" || unit == "kB" || unit == "kb":
			b.ev.MemcgStats[p.key(k)] = n * 1024
		case unit == "":
			b.ev.MemcgStats[p.key(k)] = n
		}
	}
}

// want returns the open record if it can take one more line of a kind
// (ok says whether it still lacks that kind and has no Killed line yet),
// else closes it and opens a new one.
func (p *parser) want(st stamp, ok func(*builder) bool) *builder {
	if p.cur != nil && !p.cur.ev.HasKilledLine && ok(p.cur) && p.cur.near(st) {
		p.cur.sub = subNone
		return p.cur
	}
	if p.cur != nil {
		p.closeCur("no Killed process line: a new record began before it")
	}
	p.cur = newBuilder()
	return p.cur
}

// near reports whether a line stamped st can still belong to this record:
// within 10 s of kernel uptime, or 30 s of wall clock (syslog stamps are
// receive times and drift inside one record), of its last line.
func (b *builder) near(st stamp) bool {
	l := b.lastSt
	switch {
	case l.hasUptime && st.hasUptime:
		d := st.uptime() - l.uptime()
		return d >= -1 && d <= 10
	case l.hasTime && st.hasTime && l.basis == st.basis:
		d := st.t.Sub(l.t)
		return d >= -time.Second && d <= 30*time.Second
	}
	return true
}

func newBuilder() *builder {
	return &builder{ev: Event{
		Kind:       KindKernelOOMKill,
		Memcg:      map[string]MemcgCounter{},
		MemcgStats: map[string]int64{},
		MemInfo:    map[string]int64{},
		Extra:      map[string]string{},
	}}
}

// header reads `<comm> invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0`
// (mm/oom_kill.c dump_header; ≤2.6.2x `oomkilladj=`, 2.6.31–3.x `oom_adj=`,
// 4.8–4.19 `nodemask=…` between gfp_mask and order).
func (p *parser) header(line, last int, t string, st stamp) {
	if p.cur != nil {
		p.closeCur("no Killed process line: the next record began before it")
	}
	b := newBuilder()
	p.cur = b
	i := strings.Index(t, " invoked oom-killer: ")
	b.ev.TriggerComm = t[:i]
	b.ev.HasHeader = true
	b.anchor(prioHeader, line, st)
	b.key(line, last, st, t)
	hasScoreAdj := false
	oldAdj, hasOld := 0, false
	for k, v := range kvList(t[i+len(" invoked oom-killer: "):]) {
		switch k {
		case "gfp_mask":
			b.ev.GFPMask = v
		case "order":
			b.ev.Order, _ = strconv.Atoi(v)
		case "oom_score_adj":
			b.ev.TriggerOOMScoreAdj, _ = strconv.Atoi(v)
			hasScoreAdj = true
		case "oom_adj", "oomkilladj":
			oldAdj, _ = strconv.Atoi(v)
			hasOld = true
			b.ev.Extra["header."+k] = v
		case "nodemask":
			b.ev.Nodemask = v
		default:
			b.ev.Extra["header."+k] = v
		}
	}
	if !hasScoreAdj && hasOld {
		b.ev.TriggerOOMScoreAdj = oldAdj
	}
}

// kvList splits "a=1, b=2,  c=(null)" into pairs; a piece without '='
// belongs to the previous value (a nodemask such as "0,2").
func kvList(s string) func(func(string, string) bool) {
	return func(yield func(string, string) bool) {
		var k, v string
		have := false
		for _, piece := range strings.Split(s, ",") {
			piece = strings.TrimSpace(piece)
			if piece == "" {
				continue
			}
			if kk, vv, ok := strings.Cut(piece, "="); ok && isKey(kk) {
				if have && !yield(k, v) {
					return
				}
				k, v, have = kk, vv, true
				continue
			}
			if have {
				v += "," + piece
			} else {
				k, v, have = piece, "", true
			}
		}
		if have {
			yield(k, v)
		}
	}
}

func isKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// summary reads the fields of `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=x,mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,task=comm,pid=N,uid=N`
// (mm/oom_kill.c dump_oom_victim → mem_cgroup_print_oom_context, ≥4.19/5.0;
// `global_oom` replaces oom_memcg for a global OOM; cpuset/mems_allowed are
// absent without CONFIG_CPUSETS).
func (p *parser) summary(b *builder, s string) {
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			if f == "global_oom" {
				b.ev.GlobalOOM = true
			} else {
				b.ev.Extra["oom-kill."+f] = ""
			}
			continue
		}
		switch k {
		case "constraint":
			b.ev.Constraint = v
			if v == "CONSTRAINT_MEMCG" {
				b.ev.MemcgOOM = true
			}
		case "nodemask":
			b.ev.Nodemask = v
		case "cpuset":
			b.ev.Cpuset = v
		case "mems_allowed":
			b.ev.MemsAllowed = v
		case "oom_memcg":
			b.ev.OOMMemcg = v
			b.ev.MemcgOOM = true
		case "task_memcg":
			b.ev.TaskMemcg = v
		case "task":
			b.summaryComm = v
		case "pid":
			b.summaryPID, _ = strconv.Atoi(v)
		case "uid":
			b.summaryUID, _ = strconv.Atoi(v)
			b.hasSumUID = true
		default:
			b.ev.Extra["oom-kill."+k] = v
		}
	}
}

// isKilledLine: `Killed process N …` at the start or after a `…: ` prefix
// (not systemd-oomd's `Killed /cgroup`).
func isKilledLine(t string) bool {
	i := strings.Index(t, "Killed process ")
	if i < 0 {
		return false
	}
	if i != 0 && !(i >= 2 && t[i-2:i] == ": ") {
		return false
	}
	r := strings.TrimLeft(t[i+len("Killed process "):], " ") // padded: "Killed process  532"
	return len(r) > 0 && r[0] >= '0' && r[0] <= '9'
}

// isKillLine: `Kill process N (x) score S or sacrifice child` (2.6.36–5.0),
// `kill process N (x) score S or a child` (2.6.2x–2.6.35), `Kill process N
// (x) score S and children.` (older).
func isKillLine(t string) bool {
	i := strings.Index(t, "ill process ")
	if i < 1 || (t[i-1] != 'K' && t[i-1] != 'k') {
		return false
	}
	j := i - 1
	if j != 0 && !(j >= 2 && t[j-2:j] == ": ") {
		return false
	}
	r := strings.TrimLeft(t[i+len("ill process "):], " ")
	return len(r) > 0 && r[0] >= '0' && r[0] <= '9' && strings.Contains(r, " score ")
}

// killed reads `Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1156kB oom_score_adj:0`
// and its ancestors (mm/oom_kill.c __oom_kill_process): bare `Killed
// process N (x) total-vm:…` (2.6.36–5.0), RHEL6 `Killed process N, UID N,
// (x) total-vm:…`, 2.6.2x `Killed process N (x)`.
func (p *parser) killed(line, last int, t string, st stamp) {
	i := strings.Index(t, "Killed process ")
	prefix := strings.TrimSuffix(t[:i], ": ")
	k := parseKilled(t[i+len("Killed process "):])
	pid := k.pid

	// memory.oom.group members follow the victim's Killed line.
	if p.group >= 0 {
		ev := &p.log.Events[p.group]
		if pid != ev.PID && (!st.hasUptime || !ev.HasUptime || st.uptime()-ev.UptimeS < 1.0) {
			ev.GroupKill = append(ev.GroupKill, pid)
			ev.KeyLines = append(ev.KeyLines, t)
			if last > ev.LastLine {
				ev.LastLine = last
			}
			return
		}
		p.group = -1
	}
	if p.cur != nil && !p.cur.ev.HasKilledLine && !p.cur.agrees(k) {
		p.closeCur("no Killed process line: the next Killed process line names another process (pid " + strconv.Itoa(pid) + ")")
	} else if p.cur != nil && !p.cur.near(st) {
		p.closeCur("no Killed process line: the next Killed process line is too far away in time")
	}
	if p.cur == nil {
		p.cur = newBuilder()
	}
	b := p.cur
	b.sub = subNone
	b.anchor(prioKilled, line, st)
	b.key(line, last, st, t)
	ev := &b.ev
	ev.HasKilledLine = true
	ev.Outcome = OutcomeKilled
	ev.KilledPrefix = prefix
	ev.PID, ev.Comm = k.pid, k.comm
	if k.hasUID {
		ev.UID, ev.HasUID = k.uid, true
	}
	if strings.HasPrefix(prefix, "Memory cgroup") {
		ev.MemcgOOM = true
	}
	ev.setKilledFields(k.fields)
	p.closeCur("")
	p.group = -1
	p.alert = 2
}

// parseKilled reads what follows "Killed process ": the pid, RHEL6's
// ", UID N,", the comm in parentheses (it may hold spaces and
// parentheses: it runs to ") total-vm:" or the last ')'), and the fields
// after it.
func parseKilled(r string) killedFields {
	var k killedFields
	r = strings.TrimLeft(r, " ") // a pid padded with spaces
	k.pid = leadingInt(r)
	r = r[len(strconv.Itoa(k.pid)):]
	if len(r) > 0 && !(r[0] == ' ' || r[0] == ',' || r[0] == '.') {
		// "Killed process 12x": not a pid after all
		k.pid = leadingInt(r)
	}
	if strings.HasPrefix(r, ", UID ") {
		r = r[len(", UID "):]
		k.uid, k.hasUID = leadingInt(r), true
		r = strings.TrimLeft(r[len(strconv.Itoa(k.uid)):], ", ")
	} else {
		r = strings.TrimLeft(r, " ")
	}
	if strings.HasPrefix(r, "(") {
		end := strings.Index(r, ") total-vm:")
		if end < 0 {
			end = strings.LastIndexByte(r, ')')
		}
		if end > 0 {
			k.comm = r[1:end]
			r = r[end+1:]
		} else {
			k.comm = r[1:]
			r = ""
		}
	}
	k.fields = r
	return k
}

// setKilledFields reads `total-vm:…kB, anon-rss:…kB, file-rss:…kB,
// shmem-rss:…kB, UID:N pgtables:…kB oom_score_adj:N`; fields it does not
// know go to Extra as "killed.<key>".
func (ev *Event) setKilledFields(fields string) {
	for _, f := range strings.FieldsFunc(fields, func(r rune) bool { return r == ' ' || r == ',' }) {
		key, val, ok := strings.Cut(f, ":")
		if !ok {
			if f != "." {
				ev.Extra["killed."+f] = ""
			}
			continue
		}
		val = strings.TrimSuffix(val, ".")
		switch key {
		case "total-vm", "anon-rss", "file-rss", "shmem-rss", "pgtables":
			n, unit, ok := numUnit(val)
			if !ok {
				ev.Extra["killed."+key] = val
				continue
			}
			n = scaleUnit(n, unit)
			switch key {
			case "total-vm":
				ev.TotalVMBytes = n
			case "anon-rss":
				ev.AnonRSSBytes = n
			case "file-rss":
				ev.FileRSSBytes = n
			case "shmem-rss":
				ev.ShmemRSSBytes = n
			case "pgtables":
				ev.PgtablesBytes = n
			}
		case "UID":
			ev.UID, _ = strconv.Atoi(val)
			ev.HasUID = true
		case "oom_score_adj":
			ev.KilledOOMScoreAdj, _ = strconv.Atoi(val)
		default:
			ev.Extra["killed."+key] = val
		}
	}
}

type killedFields struct {
	pid, uid int
	hasUID   bool
	comm     string
	fields   string
}

// agrees reports whether a Killed process line belongs to this record:
// the summary's pid must match; a `Kill process` line allows a sacrificed
// child (≤5.0); else the pid must be in the task table when there is one.
func (b *builder) agrees(k killedFields) bool {
	switch {
	case b.ev.SacrificedPID != 0:
		return true
	case b.hasSummary && b.summaryPID != 0:
		return b.summaryPID == k.pid
	case len(b.tablePIDs) > 0:
		return b.tablePIDs[k.pid]
	}
	return true
}

// kill reads the old `… Kill process N (x) score S or sacrifice child`.
func (p *parser) kill(line, last int, t string, st stamp) {
	b := p.want(st, func(b *builder) bool { return b.ev.SacrificedPID == 0 })
	b.anchor(prioKill, line, st)
	b.key(line, last, st, t)
	i := strings.Index(t, "ill process ")
	prefix := strings.TrimSuffix(t[:i-1], ": ")
	r := strings.TrimLeft(t[i+len("ill process "):], " ")
	b.ev.SacrificedPID = leadingInt(r)
	r = strings.TrimLeft(r[len(strconv.Itoa(b.ev.SacrificedPID)):], " ")
	if j := strings.LastIndex(r, ") score "); j > 0 && r[0] == '(' {
		b.ev.SacrificedComm = r[1:j]
		s := r[j+len(") score "):]
		n := 0
		for n < len(s) && (s[n] >= '0' && s[n] <= '9' || n == 0 && s[n] == '-') {
			n++
		}
		b.ev.Score, _ = strconv.ParseInt(s[:n], 10, 64)
	}
	b.killPrefix = prefix
}

// reaper reads `oom_reaper: reaped process 517 (clamd), now anon-rss:0kB,
// file-rss:0kB, shmem-rss:0kB` and `oom_reaper: unable to reap pid:N (x)`
// (mm/oom_kill.c, ≥4.6) and attaches it to the kill of that pid.
func (p *parser) reaper(line, last int, t string, st stamp) {
	r := t[len("oom_reaper: "):]
	rp := &Reap{Line: line, UptimeS: st.uptime(), HasUptime: st.hasUptime}
	switch {
	case strings.HasPrefix(r, "reaped process "):
		r = r[len("reaped process "):]
	case strings.HasPrefix(r, "unable to reap pid:"):
		r = r[len("unable to reap pid:"):]
		rp.Unable = true
	default:
		return
	}
	r = strings.TrimLeft(r, " ")
	rp.PID = leadingInt(r)
	r = strings.TrimLeft(r[len(strconv.Itoa(rp.PID)):], " ")
	if strings.HasPrefix(r, "(") {
		end := strings.Index(r, "), now ")
		if end < 0 {
			end = strings.LastIndexByte(r, ')')
		}
		if end > 0 {
			rp.Comm = r[1:end]
			r = r[end+1:]
		}
	}
	for _, f := range strings.FieldsFunc(r, func(c rune) bool { return c == ' ' || c == ',' }) {
		key, val, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		n, unit, ok := numUnit(val)
		if !ok {
			continue
		}
		n = scaleUnit(n, unit)
		switch key {
		case "anon-rss":
			rp.AnonRSSBytes = n
		case "file-rss":
			rp.FileRSSBytes = n
		case "shmem-rss":
			rp.ShmemRSSBytes = n
		}
	}
	// The open record (e.g. its Killed line was lost) or an earlier kill.
	if b := p.cur; b != nil && b.ev.Reaped == nil && (b.ev.PID == rp.PID || b.summaryPID == rp.PID || b.tablePIDs[rp.PID] || b.ev.SacrificedPID == rp.PID) {
		b.ev.Reaped = rp
		b.anchor(prioReaper, line, st)
		b.key(line, last, st, t)
		return
	}
	if ev := p.reapTarget(rp, line); ev != nil {
		ev.Reaped = rp
		ev.KeyLines = append(ev.KeyLines, t)
		if last > ev.LastLine {
			ev.LastLine = last
		}
		return
	}
	// A reap without its kill: the kill itself is not in the input.
	b := newBuilder()
	b.ev.Reaped = rp
	b.ev.PID, b.ev.Comm = rp.PID, rp.Comm
	b.anchor(prioReaper, line, st)
	b.key(line, last, st, t)
	b.ev.Partial = true
	b.ev.PartialReason = "only the oom_reaper line: the kill itself is not in the input"
	p.emit(b)
}

// reapTarget is the kill a reaper line reports: the latest one of its
// pid, else the latest kill not yet reaped, if it came just before (the
// reaper names the task it reaped, which can be a thread of the victim
// with a pid of its own and another comm).
func (p *parser) reapTarget(rp *Reap, line int) *Event {
	for i := len(p.kills) - 1; i >= 0; i-- {
		ev := &p.log.Events[p.kills[i]]
		if ev.PID == rp.PID && ev.Reaped == nil && line-ev.Line <= maxReapGapLines {
			return ev
		}
	}
	n := p.lastKill()
	if n < 0 {
		return nil
	}
	ev := &p.log.Events[n]
	switch {
	case ev.Reaped != nil:
		return nil
	case ev.HasUptime && rp.HasUptime:
		if d := rp.UptimeS - ev.UptimeS; d < 0 || d > maxReapDelayS {
			return nil
		}
	case line-ev.LastLine > maxReapThreadGapLines:
		return nil
	}
	return ev
}

// lastKill is the index of the newest closed kernel kill, or -1.
func (p *parser) lastKill() int {
	if len(p.kills) == 0 {
		return -1
	}
	return p.kills[len(p.kills)-1]
}

// closeCur finishes the open record. reason is why it closes without a
// Killed process line (ignored when it has one).
func (p *parser) closeCur(reason string) {
	b := p.cur
	if b == nil {
		return
	}
	p.cur = nil
	if b.anchorPrio == 0 {
		// only lines that belong to a record (a `Memory cgroup stats
		// for` line left by a grep): not a record
		return
	}
	ev := &b.ev
	if ev.Outcome == OutcomePanic || ev.Outcome == OutcomeNoKillable {
		ev.Partial = !ev.HasHeader
		if ev.Partial {
			ev.PartialReason = "no invoked oom-killer header (cut or filtered)"
		}
	} else if !ev.HasKilledLine {
		ev.Partial = true
		ev.PartialReason = reason
		switch {
		case ev.PID != 0:
		case b.summaryPID != 0:
			ev.PID, ev.Comm = b.summaryPID, b.summaryComm
		case ev.Reaped != nil:
			ev.PID, ev.Comm = ev.Reaped.PID, ev.Reaped.Comm
		}
	} else if !ev.HasHeader {
		ev.Partial = true
		if !b.hasSummary && !b.hasTaskIn && len(ev.Memcg) == 0 && len(ev.Tasks) == 0 && ev.SacrificedPID == 0 {
			ev.PartialReason = "only the Killed process line: header, summary and task table missing (ratelimited or filtered)"
		} else {
			ev.PartialReason = "no invoked oom-killer header (ratelimited, cut or filtered)"
		}
	}
	if !ev.HasUID && b.hasSumUID && (!ev.HasKilledLine || b.summaryPID == ev.PID) {
		ev.UID, ev.HasUID = b.summaryUID, true
	}
	if ev.Constraint == "CONSTRAINT_NONE" {
		ev.GlobalOOM = true
	}
	if strings.HasPrefix(b.killPrefix, "Memory cgroup") {
		ev.MemcgOOM = true
	}
	if !ev.GlobalOOM && !ev.MemcgOOM && (strings.HasPrefix(ev.KilledPrefix, "Out of memory") || strings.HasPrefix(b.killPrefix, "Out of memory") || strings.HasPrefix(b.killPrefix, "Out of Memory")) {
		ev.GlobalOOM = true
	}
	p.emit(b)
}

func (p *parser) emit(b *builder) {
	ev := b.ev
	if len(ev.Memcg) == 0 {
		ev.Memcg = nil
	}
	if len(ev.MemcgStats) == 0 {
		ev.MemcgStats = nil
	}
	if len(ev.MemInfo) == 0 {
		ev.MemInfo = nil
	}
	if len(ev.Extra) == 0 {
		ev.Extra = nil
	}
	if len(ev.Tasks) > 0 {
		// The rows are in p.taskScratch (see tableRow): the event gets its
		// own table of the exact length, the scratch is cleared (it must
		// not keep the names alive) and kept for the next table.
		scratch := ev.Tasks
		ev.Tasks = append(make([]Task, 0, len(scratch)), scratch...)
		clear(scratch)
		p.taskScratch = scratch[:0]
	}
	if ev.FirstLine == 0 {
		ev.FirstLine = ev.Line
	}
	if ev.LastLine < ev.Line {
		ev.LastLine = ev.Line
	}
	ev.Host = p.host
	p.addEvent(&ev)
	if ev.Kind == KindKernelOOMKill && ev.HasKilledLine {
		p.kills = append(p.kills, len(p.log.Events)-1)
		if len(p.kills) > recentKills {
			p.kills = p.kills[1:]
		}
	}
}

// tableRow reads one dump_tasks() row (mm/oom_kill.c): `[  pid  ] uid tgid
// total_vm rss … oom_score_adj name`, header-driven; the name is the rest
// of the line (it may hold spaces and parentheses).
func (p *parser) tableRow(line int, t string) bool {
	b := p.cur
	close := strings.IndexByte(t, ']')
	if close < 2 {
		return false
	}
	pidStr := strings.TrimSpace(t[1:close])
	if !allDigits(pidStr) {
		return false
	}
	cols := b.tableCols
	r := t[close+1:]
	vals := p.rowVals[:0] // reused: one table row at a time
	defer func() { p.rowVals = vals[:0] }()
	vals = append(vals, pidStr)
	for len(vals) < len(cols)-1 {
		r = strings.TrimLeft(r, " ")
		sp := strings.IndexByte(r, ' ')
		if sp < 0 {
			return false
		}
		vals = append(vals, r[:sp])
		r = r[sp:]
	}
	// The row's fields are copied out of the line: a substring would keep
	// the whole line (and its prefix) alive for as long as the event, and
	// a 1 GiB log's task tables would then hold ~2 MB of dead line text.
	name := strings.Clone(strings.TrimLeft(r, " "))
	var tk Task
	tk.Name, tk.Line = name, line
	hasScoreAdj := false
	var oldAdj int
	hasOld := false
	for i, v := range vals {
		col := cols[i]
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		switch col {
		case "pid":
			tk.PID = int(n)
		case "uid":
			tk.UID = int(n)
		case "tgid":
			tk.TGID = int(n)
		case "total_vm":
			tk.TotalVMBytes = p.pages(n, line)
		case "rss":
			tk.RSSBytes = p.pages(n, line)
		case "rss_anon":
			tk.RSSAnonBytes = p.pages(n, line)
		case "rss_file":
			tk.RSSFileBytes = p.pages(n, line)
		case "rss_shmem":
			tk.RSSShmemBytes = p.pages(n, line)
		case "pgtables_bytes":
			tk.PgtablesBytes = n
		case "nr_ptes", "nr_pmds", "nr_puds":
			tk.PgtablesBytes += p.pages(n, line)
			setExtra(&tk.Extra, col, v)
		case "swapents":
			tk.SwapentsBytes = p.pages(n, line)
		case "oom_score_adj":
			tk.OOMScoreAdj = int(n)
			hasScoreAdj = true
		case "oom_adj", "oomkilladj":
			oldAdj, hasOld = int(n), true
			setExtra(&tk.Extra, col, v)
		default:
			setExtra(&tk.Extra, col, v)
		}
	}
	if !hasScoreAdj && hasOld {
		tk.OOMScoreAdj = oldAdj
	}
	if b.ev.Tasks == nil {
		// Rows go to the parser's scratch table; emit copies them out at
		// their exact length. Only p.cur takes rows, and it is emitted (or
		// dropped) before the next builder starts.
		b.ev.Tasks = p.taskScratch[:0]
	}
	b.ev.Tasks = append(b.ev.Tasks, tk)
	if b.tablePIDs == nil {
		b.tablePIDs = map[int]bool{}
	}
	b.tablePIDs[tk.PID] = true
	return true
}

// key returns k as a string of its own, shared by every event that has
// that key (Mem-Info and memory.stat keys repeat in every record). A
// substring of the line would keep the whole line alive as long as the
// event. Up to maxKeys distinct keys are shared; beyond, each is copied.
func (p *parser) key(k string) string {
	if s, ok := p.keys[k]; ok {
		return s
	}
	s := strings.Clone(k)
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	if len(p.keys) < maxKeys {
		p.keys[s] = s
	}
	return s
}

// maxKeys bounds parser.keys (a few hundred distinct keys in real logs).
const maxKeys = 4096

func setExtra(m *map[string]string, k, v string) {
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = strings.Clone(v) // not a substring pinning its whole line
}

// pages converts a page count to bytes and remembers when the default
// page size was used (Log.PageSizeAssumed).
func (p *parser) pages(n int64, line int) int64 {
	if p.opts.PageSizeBytes == 0 {
		p.pageAssumed = true
	}
	return n * p.pageSize
}

// pagesKey makes a MemInfo key of what follows "N pages " (one Replacer
// for all lines: building one per line was a tenth of memInfo).
var pagesKey = strings.NewReplacer(" ", "_", "/", "_", "-", "_")

// memInfo reads one line of the Mem-Info block (mm/show_mem.c
// __show_mem / show_free_areas): the first block in pages, node and zone
// lines in kB, the summary lines.
func (p *parser) memInfo(b *builder, t string) bool {
	switch {
	case strings.HasSuffix(t, "per-cpu:"), strings.HasPrefix(t, "CPU ") && strings.Contains(t, " hi:"),
		strings.HasPrefix(t, "lowmem_reserve[]:"), strings.HasPrefix(t, "Swap cache stats:"),
		strings.HasPrefix(t, "Unreclaimable slab info:"):
		return true
	case strings.HasPrefix(t, "Free swap"), strings.HasPrefix(t, "Total swap"):
		k := "free_swap"
		if t[0] == 'T' {
			k = "total_swap"
		}
		if _, v, ok := strings.Cut(t, "="); ok {
			if n, unit, ok := numUnit(strings.TrimSpace(v)); ok {
				b.ev.MemInfo[k] = scaleUnit(n, unit)
			}
		}
		b.memInfoFirst = false
		return true
	}
	// "N pages RAM", "N total pagecache pages", "N pages in swap cache"
	if sp := strings.IndexByte(t, ' '); sp > 0 && allDigits(t[:sp]) {
		n, _ := strconv.ParseInt(t[:sp], 10, 64)
		rest := t[sp+1:]
		var k string
		switch {
		case rest == "total pagecache pages":
			k = "total_pagecache"
		case rest == "pages in swap cache":
			k = "swap_cache"
		case strings.HasPrefix(rest, "pages "):
			k = pagesKey.Replace(strings.ToLower(rest[len("pages "):]))
		default:
			return false
		}
		b.ev.MemInfo[p.key(k)] = p.pages(n, b.lastKey)
		b.memInfoFirst = false
		return true
	}
	prefix := ""
	body := t
	if strings.HasPrefix(t, "Node ") {
		f := strings.SplitN(t, " ", 4)
		if len(f) < 3 || !allDigits(f[1]) {
			return false
		}
		prefix = "node" + f[1] + "_"
		body = t[len("Node "+f[1]+" "):]
		b.memInfoFirst = false
	}
	// zone line "DMA free:…kB" or buddy "DMA: 45*4kB …"; hugepages
	fs := strings.Fields(body)
	if len(fs) == 0 {
		return false
	}
	if strings.HasSuffix(fs[0], ":") || strings.Contains(body, "hugepages_total=") {
		b.memInfoFirst = false
		return true // buddy lists, hugepages
	}
	if !strings.Contains(fs[0], ":") {
		prefix += fs[0] + "_"
		fs = fs[1:]
		b.memInfoFirst = false
	}
	any := false
	for _, f := range fs {
		k, v, ok := strings.Cut(f, ":")
		if !ok || k == "" {
			continue
		}
		n, unit, ok := numUnit(v)
		if !ok {
			continue
		}
		any = true
		k = strings.ToLower(k)
		if prefix == "" && b.memInfoFirst && unit == "" {
			b.ev.MemInfo[p.key(k)] = p.pages(n, b.lastKey)
			continue
		}
		if unit == "" {
			if prefix == "" {
				continue
			}
			b.ev.MemInfo[p.key(prefix+k)] = n // page counts such as pages_scanned
			continue
		}
		b.ev.MemInfo[p.key(prefix+k)] = scaleUnit(n, unit)
	}
	return any
}

// statLine reads a v2 memory.stat line "anon 31154200576".
func statLine(t string) (string, int64, bool) {
	k, v, ok := strings.Cut(t, " ")
	if !ok || !isKey(k) {
		return "", 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return "", 0, false
	}
	return k, n, true
}

func isUsageLine(t string) bool {
	for _, k := range [...]string{"memory: usage ", "memory+swap: usage ", "swap: usage ", "kmem: usage "} {
		if strings.HasPrefix(t, k) {
			return true
		}
	}
	return false
}

// parseUsage reads " usage 980kB, limit 18014398509481983kB, failcnt 0"
// (mm/memcontrol.c mem_cgroup_print_oom_meminfo, K(page_counter_read) kB).
func parseUsage(s string) (MemcgCounter, bool) {
	var c MemcgCounter
	seen := 0
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), " ")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "usage", "limit":
			var n int64
			if v == "max" {
				n = -1
			} else {
				kb, unit, ok := numUnit(v)
				if !ok {
					return c, false
				}
				if k == "limit" && unit == "kB" && kb >= unlimitedKB {
					n = -1
				} else {
					n = scaleUnit(kb, unit)
				}
			}
			if k == "usage" {
				c.UsageBytes = n
			} else {
				c.LimitBytes = n
			}
			seen++
		case "failcnt":
			c.Failcnt, _ = strconv.ParseInt(v, 10, 64)
			seen++
		}
	}
	return c, seen >= 2
}

// unlimitedKB: PAGE_COUNTER_MAX in kB on 64-bit with 4 KiB pages
// (9007199254740988kB); RES_COUNTER_MAX on ≤3.x prints 18014398509481983kB.
const unlimitedKB = 9007199254740988

// numUnit splits "1156kB" into 1156, "kB".
func numUnit(s string) (int64, string, bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || (i == 1 && s[0] == '-') {
		return 0, "", false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, "", false
	}
	return n, s[i:], true
}

func scaleUnit(n int64, unit string) int64 {
	switch unit {
	case "kB", "KB", "kb", "K", "k":
		return n * 1024
	case "MB", "M", "MiB":
		return n << 20
	case "GB", "G", "GiB":
		return n << 30
	}
	return n
}

func leadingInt(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 10 && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// userspace recognises the killers that act before the kernel
// (systemd-oomd, earlyoom) and systemd's unit results.
func (p *parser) userspace(line int, t string, st stamp, tag string) bool {
	mk := func(kind string) *Event {
		ev := Event{Kind: kind, Line: line, FirstLine: line, LastLine: line, Reason: t, KeyLines: []string{t}}
		setStamp(&ev, st)
		return &ev
	}
	switch {
	case tag == "systemd-oomd" && strings.HasPrefix(t, "Killed "):
		// systemd-oomd: "Killed /user.slice/… due to memory pressure for … being 51.23% > 50.00% for > 20s with reclaim activity"
		ev := mk(KindSystemdOOMDKill)
		r := t[len("Killed "):]
		cg, _, _ := strings.Cut(r, " ")
		ev.Cgroup = cg
		p.emitUser(ev)
		return true
	case (tag == "" || tag == "systemd") && containsGuarded(t, "killed ", ": systemd-oomd killed "):
		// systemd (src/core/unit.c): "<unit>: systemd-oomd killed N process(es) in this unit."
		ev := mk(KindSystemdOOMDKill)
		i := strings.Index(t, ": systemd-oomd killed ")
		ev.Unit = t[:i]
		n := leadingInt(t[i+len(": systemd-oomd killed "):])
		ev.Extra = map[string]string{"processes": strconv.Itoa(n)}
		p.emitUser(ev)
		return true
	case (tag == "" || tag == "systemd") && (strings.HasSuffix(strings.TrimSuffix(t, "."), ": A process of this unit has been killed by the OOM killer") ||
		strings.HasSuffix(strings.TrimSuffix(t, "."), ": Failed with result 'oom-kill'")):
		ev := mk(KindSystemdUnitOOM)
		ev.Unit = t[:strings.Index(t, ": ")]
		p.emitUser(ev)
		return true
	case (tag == "" || tag == "earlyoom") && strings.HasPrefix(t, "sending SIG") && strings.Contains(t, " to process "):
		// earlyoom kill.c: `sending SIGTERM to process 2614312 uid 1000 "simple": badness 966, VmRSS 61 MiB`
		ev := mk(KindEarlyOOMKill)
		sig, _, _ := strings.Cut(t[len("sending "):], " ")
		ev.Extra = map[string]string{"signal": sig}
		r := t[strings.Index(t, " to process ")+len(" to process "):]
		ev.PID = leadingInt(r)
		if i := strings.Index(r, " uid "); i >= 0 {
			ev.UID, ev.HasUID = leadingInt(r[i+len(" uid "):]), true
		}
		if i := strings.IndexByte(r, '"'); i >= 0 {
			if j := strings.Index(r[i+1:], "\": "); j >= 0 {
				ev.Comm = r[i+1 : i+1+j]
				r = r[i+1+j+3:]
			} else if j := strings.LastIndexByte(r, '"'); j > i {
				ev.Comm = r[i+1 : j]
				r = r[j+1:]
			}
		}
		if c, _, ok := strings.Cut(r, ", cmdline "); ok {
			ev.Extra["cmdline"] = strings.TrimSpace(r[len(c)+len(", cmdline "):])
			r = c
		}
		for _, part := range strings.Split(r, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), " ")
			if !ok {
				continue
			}
			switch k {
			case "VmRSS":
				n, _, _ := strings.Cut(v, " ")
				if x, err := strconv.ParseInt(n, 10, 64); err == nil {
					ev.VmRSSBytes = x << 20
				}
			case "oom_score_adj":
				ev.KilledOOMScoreAdj, _ = strconv.Atoi(v)
				ev.Extra[k] = v
			default:
				ev.Extra[k] = v
			}
		}
		p.emitUser(ev)
		return true
	}
	return false
}

func (p *parser) emitUser(ev *Event) {
	if ev.Extra != nil && len(ev.Extra) == 0 {
		ev.Extra = nil
	}
	ev.Host = p.lineHost // a program's line, of its own host
	if ev.Host == "" {
		ev.Host = p.host
	}
	p.addEvent(ev)
}

// addEvent appends ev to the log's events, doubling the list when it is
// full: append grows a list this large by 1.25x, which allocated five
// times its size (a kernel log of 100,000 OOM records: 375 MB for 75 MB,
// scripts/bench-analyze.sh, issue 18). The first list holds one event:
// most logs have one (a CI job's), and room for eight was a sixth of
// BenchmarkParseJob's allocated bytes.
func (p *parser) addEvent(ev *Event) {
	if n := len(p.log.Events); n == cap(p.log.Events) {
		p.log.Events = slices.Grow(p.log.Events, max(n, 1))
	}
	p.log.Events = append(p.log.Events, *ev)
}

// containsGuarded is strings.Contains(s, sub) where guard is a part of sub
// that starts with a byte rarer in logs than sub's first: strings.Contains
// calls IndexByte for that first byte, and a space or ':' is found many
// times in every line. Searching guard first lets most lines fail cheaply
// (the look-back reads 64 lines per record, most of them noise).
func containsGuarded(s, guard, sub string) bool {
	return strings.Contains(s, guard) && strings.Contains(s, sub)
}
