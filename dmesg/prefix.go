package dmesg

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// clock is what stamps that carry no year or zone are read with
// (Options.Year, Options.Location).
type clock struct {
	loc       *time.Location // never nil: UTC when no zone was given
	zoneGiven bool
	year      int
}

func clockOf(o Options) clock {
	c := clock{loc: o.Location, zoneGiven: o.Location != nil, year: o.Year}
	if c.loc == nil {
		c.loc = time.UTC
	}
	return c
}

// stamp is what a line prefix says about when the line was printed.
type stamp struct {
	// uptimeS is the kernel stamp in seconds, or uptimeText the stamp
	// as printed (`[seconds]`, see uptime); hasUptime says there is one.
	uptimeS    float64
	uptimeText string
	hasUptime  bool
	t          time.Time
	hasTime    bool
	basis      string
}

// uptime is the kernel stamp in seconds. A printed `[seconds]` stamp is
// read only here, when a record needs it: most lines are dropped, and
// reading every line's stamp was 5% of Parse on a job's kernel log
// (BenchmarkParseJob).
func (st stamp) uptime() float64 {
	if st.uptimeText != "" {
		return parseUptime(st.uptimeText)
	}
	return st.uptimeS
}

// prefixed is one message with its prefix taken off.
type prefixed struct {
	// msg is the message; more are the messages after it when the line
	// carries several (journal JSON MESSAGE, rsyslog #012): one string,
	// not a list, in the usual case, which allocated a list per line.
	msg  string
	more []string
	st   stamp
	// stamped is true when the line carried any stamp (uptime, clock, kmsg
	// header): a following line without one may be a hard wrap of it.
	stamped bool
	// tag is the syslog/journal identifier ("kernel", "systemd-oomd",
	// "earlyoom", "systemd", "CRON"…), "" when the line carries none (raw
	// dmesg).
	tag string
	// host is the syslog host name before the tag ("HOST kernel: "), ""
	// when the line names none.
	host string
	// warn is set when a stamp was only partly readable (unknown month).
	warn string
}

// stripPrefix recognises every prefix style by its shape (KERNEL-OOM.md
// §6): journal JSON, /dev/kmsg records, `dmesg -x` facility/level columns,
// `<N>` priorities, ISO 8601 stamps (dmesg --time-format iso, rsyslog
// RFC 3339, journalctl short-iso[-precise]), syslog/journalctl short and
// short-precise (any locale's month), short-unix, short-monotonic, bare
// time of day, `dmesg -T` in any locale, and the kernel `[uptime]` stamp
// with an optional printk caller id. What is left is the message.
//
// It is a pure function of the line and c.
func stripPrefix(line string, c clock) prefixed {
	out := c.cutPrefix(line)
	// rsyslog escapes control characters: embedded newlines as #012 (a
	// Mem-Info block printed by one printk arrives as one line), tabs as
	// #011.
	if !strings.Contains(out.msg, "#01") && len(out.more) == 0 {
		return out
	}
	msgs := out.messages()
	for i, m := range msgs {
		if strings.Contains(m, "#011") {
			msgs[i] = strings.ReplaceAll(m, "#011", "\t")
		}
	}
	for _, m := range msgs {
		if strings.Contains(m, "#012") {
			var split []string
			for _, m := range msgs {
				split = append(split, strings.Split(m, "#012")...)
			}
			msgs = split
			break
		}
	}
	out.msg, out.more = msgs[0], msgs[1:]
	return out
}

// messages returns the line's messages in order (see msg).
func (p prefixed) messages() []string { return append([]string{p.msg}, p.more...) }

// appendToLast appends s to the last message (a hard wrap's rest).
func (p *prefixed) appendToLast(s string) {
	if n := len(p.more); n > 0 {
		p.more[n-1] += s
		return
	}
	p.msg += s
}

func (c clock) cutPrefix(line string) prefixed {
	var out prefixed
	line = unquote(line)
	if strings.HasPrefix(line, "{") {
		if c.stripJSON(line, &out) {
			return out
		}
	}
	if payload, ok := cutTextPayload(line); ok {
		// a pretty-printed Cloud Logging export: the entry's other fields
		// (its timestamp) are on other lines
		return c.cutPrefix(payload)
	}
	s := line
	if t, rest, ok := cutBuildkite(s); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, BasisUnix
		out.stamped = true
		s = rest
	}
	s = cutTalosNode(s)
	if t, rest, ok := c.cutKibana(s); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, c.localBasis()
		out.stamped = true
		s = rest
	}
	// /dev/kmsg: prio,seq,usec,flags[,more];message
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		if out, ok := cutKmsg(s, out); ok {
			return out
		}
	}
	// dmesg -x: "kern  :warn  : "
	if fac, rest, ok := cutDmesgX(s); ok {
		_ = fac
		s = rest
		out.stamped = true
	}
	// dmesg -r: "<4>"
	if len(s) >= 3 && s[0] == '<' {
		if j := strings.IndexByte(s, '>'); j > 1 && j <= 4 && allDigits(s[1:j]) {
			s = s[j+1:]
			out.stamped = true
		}
	}
	s, kernel := c.cutClock(s, &out)
	// Kernel stamp, possibly after a syslog "kernel:" tag.
	if kernel {
		// cutClock read it
	} else if num, rest, ok := cutUptime(s); ok {
		out.setKernelStamp(num)
		s = rest
	} else if rest, ok := cutRelative(s); ok {
		// dmesg -e / --reltime: the time since the line before, no uptime
		out.stamped = true
		s = rest
	}
	out.msg = s
	return out
}

// setKernelStamp notes the kernel `[uptime]` stamp num (see cutUptime).
func (p *prefixed) setKernelStamp(num string) {
	p.st.uptimeText, p.st.hasUptime = num, true
	if p.st.basis == BasisNone {
		p.st.basis = BasisUptime
	}
	p.stamped = true
}

// cutKmsg reads a /dev/kmsg record, "prio,seq,usec,flags[,more];message"
// (s starts with a digit: the caller tests that before searching for the
// ';'), into out.
func cutKmsg(s string, out prefixed) (prefixed, bool) {
	semi := strings.IndexByte(s[:min(len(s), 64)], ';')
	if semi <= 0 {
		return out, false
	}
	f := strings.Split(s[:semi], ",")
	if len(f) >= 4 && allDigits(f[0]) && allDigits(f[1]) && allDigits(f[2]) {
		us, err := strconv.ParseInt(f[2], 10, 64)
		if err == nil {
			out.st = stamp{uptimeS: float64(us) / 1e6, hasUptime: true, basis: BasisKmsgUptime}
			out.stamped = true
			out.msg = s[semi+1:]
			return out, true
		}
	}
	return out, false
}

// localBasis is the basis of a stamp without a zone read with c.
func (c clock) localBasis() string {
	if c.zoneGiven {
		return BasisISO
	}
	return BasisISOAssumedUTC
}

// cutKibana removes the columns of a row copied from a Kibana table:
// "  | Jun 25, 2021 @ 12:42:12.104 | kernel | " (the row's leading "| " is
// optional). The time has no zone: it is read in c. The second column is
// the message's program ("kernel") or host; only "kernel" is kept as a tag.
func (c clock) cutKibana(s string) (time.Time, string, bool) {
	r := trimBlanks(strings.TrimPrefix(trimBlanks(s), "|"))
	if len(r) < 4 || r[3] != ' ' {
		// time.Parse reads "Jan" as a three-byte month name, then the
		// layout's space: any other line fails there (most lines, tested
		// before the search below)
		return time.Time{}, s, false
	}
	at := strings.Index(r[:min(len(r), 17)], " @ ") // only where it may be: not through every line
	if at < 10 || at > 14 || !strings.Contains(r[:at], ", ") {
		return time.Time{}, s, false
	}
	bar := strings.Index(r, " | ")
	if bar < at {
		return time.Time{}, s, false
	}
	t, err := time.ParseInLocation("Jan 2, 2006 @ 15:04:05.000", r[:bar], c.loc)
	if err != nil {
		if t, err = time.ParseInLocation("Jan 2, 2006 @ 15:04:05", r[:bar], c.loc); err != nil {
			return time.Time{}, s, false
		}
	}
	r = r[bar+3:]
	if col, rest, ok := strings.Cut(r, " | "); ok && !strings.Contains(col, " ") {
		r = rest
	}
	return t, r, true
}

// cutVMwareLog removes what a VMware vmware.log puts after its ISO stamp
// before a guest's kernel line: "In(05) vcpu-5 - Guest: <6>".
func cutVMwareLog(s string) (string, bool) {
	if len(s) < 8 || s[2] != '(' || s[5] != ')' || s[6] != ' ' || !allDigits(s[3:5]) {
		return "", false
	}
	_, msg, ok := strings.Cut(s[7:], " - ")
	if !ok {
		return "", false
	}
	msg = strings.TrimPrefix(msg, "Guest: ")
	if len(msg) >= 3 && msg[0] == '<' {
		if j := strings.IndexByte(msg, '>'); j > 1 && j <= 4 && allDigits(msg[1:j]) {
			msg = msg[j+1:]
		}
	}
	return msg, true
}

// cutRelative removes a `dmesg -e` relative stamp "[  +0.007186] " (the
// time since the line before; "[Dec 3 03:34]" lines carry no kernel text
// worth reading and are left alone).
func cutRelative(s string) (string, bool) {
	if len(s) < 5 || s[0] != '[' {
		return s, false
	}
	j := strings.IndexByte(s, ']')
	if j < 4 || j > 24 {
		return s, false
	}
	num := strings.TrimLeft(s[1:j], " ")
	if len(num) < 2 || (num[0] != '+' && num[0] != '-') {
		return s, false
	}
	whole, frac, ok := strings.Cut(num[1:], ".")
	if !ok || !allDigits(whole) || !allDigits(frac) || frac == "" {
		return s, false
	}
	return strings.TrimPrefix(s[j+1:], " "), true
}

// cutClock removes a wall-clock stamp (and what follows it up to the
// message: a syslog host and tag, GitLab's stream marker, vmware.log's
// columns) or, without one, a bare program tag, and returns the rest.
// The bool says it read the kernel stamp that cutPrefix reads after it as
// well (see cutBracketClock).
func (c clock) cutClock(s string, out *prefixed) (string, bool) {
	if s != "" && s[0] == '[' {
		return c.cutBracketClock(s, out)
	}
	if t, basis, rest, ok := c.cutISO(s); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, basis
		out.stamped = true
		if msg, ok := cutVMwareLog(rest); ok {
			s = msg
		} else {
			s = cutSyslogHost(cutGitLabStream(rest), out)
		}
	} else if t, basis, rest, ok := c.cutSyslogDate(s, out); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, basis
		out.stamped = true
		s = cutSyslogHost(rest, out)
	} else if t, rest, ok := c.cutUnix(s); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, BasisUnix
		out.stamped = true
		s = cutSyslogHost(rest, out)
	} else if rest, ok := cutTag(s, out); ok {
		// "earlyoom[454]: …" without any stamp
		s = rest
	}
	return s, false
}

// cutBracketClock is cutClock of a line that starts with '['. Only these
// stamps can: cutISO and cutUnix need a digit first, cutSyslogDate a digit
// or a month name (isWordish: no '['), cutTag a program name (progTag: no
// '['), so the rest are not tried (on a job's kernel log they were a
// tenth of Parse's instructions, BenchmarkParseBytesJob). The order is
// cutClock's before it was split; TestCutPrefixAgrees holds the two.
//
// A kernel stamp without a syslog host after it is what cutPrefix reads
// next, out of the same string: it is read here (the bool is true) rather
// than a second time there.
func (c clock) cutBracketClock(s string, out *prefixed) (string, bool) {
	if t, basis, rest, ok := c.cutBracketISO(s); ok {
		// Jenkins timestamper "[2024-01-02T13:33:50.123Z] ", Talos
		// "[2024-04-10T10:20:30.123456789Z]: "
		out.st.t, out.st.hasTime, out.st.basis = t, true, basis
		out.stamped = true
		s = rest
	} else if t, basis, rest, ok := c.cutDmesgT(s, out); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, basis
		out.stamped = true
		s = rest
	} else if num, rest, ok := cutUptime(s); ok && startsSyslogHost(rest) {
		// journalctl -o short-monotonic: "[ 1234.567890] host kernel: "
		out.st.uptimeText, out.st.hasUptime, out.st.basis = num, true, BasisUptime
		out.stamped = true
		s = cutSyslogHost(rest, out)
	} else if ok {
		// a kernel stamp (num, rest, ok are cutUptime's): see above
		out.setKernelStamp(num)
		return rest, true
	}
	return s, false
}

// cutDmesgX removes `dmesg -x` columns "kern  :warn  : ". Each ':' is
// searched for only where it may be (at most 8 bytes in), not through the
// line: a ':' further in fails the test as not finding one does.
func cutDmesgX(s string) (string, string, bool) {
	i := strings.IndexByte(s[:min(len(s), 9)], ':')
	if i < 2 || i > 8 {
		return "", s, false
	}
	fac := strings.TrimSpace(s[:i])
	if !isLowerWord(fac) {
		return "", s, false
	}
	r := s[i+1:]
	j := strings.IndexByte(r[:min(len(r), 9)], ':')
	if j < 2 || j > 8 {
		return "", s, false
	}
	lvl := strings.TrimSpace(r[:j])
	switch lvl {
	case "emerg", "alert", "crit", "err", "warn", "warning", "notice", "info", "debug":
	default:
		return "", s, false
	}
	switch fac {
	case "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7":
	default:
		return "", s, false
	}
	return fac, strings.TrimLeft(r[j+1:], " "), true
}

// trimBlanks is strings.TrimLeft(s, " \t"), which makes its set of bytes
// on every call: the lines of a job's kernel log (BenchmarkParseJob) made
// it 4% of Parse.
func trimBlanks(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// unquote removes e-mail quote markers: "> ", ">> ", and ">" followed by
// indentation.
func unquote(s string) string {
	if s == "" || s[0] != '>' {
		return s
	}
	return strings.TrimLeft(s, "> \t")
}

// cutBuildkite removes Buildkite's timestamp escape "\x1b_bk;t=<ms>\x07".
func cutBuildkite(s string) (time.Time, string, bool) {
	const p = "\x1b_bk;t="
	if !strings.HasPrefix(s, p) {
		return time.Time{}, s, false
	}
	end := strings.IndexByte(s, '\a')
	if end < 0 || !allDigits(s[len(p):end]) {
		return time.Time{}, s, false
	}
	ms, err := strconv.ParseInt(s[len(p):end], 10, 64)
	if err != nil {
		return time.Time{}, s, false
	}
	return time.UnixMilli(ms).UTC(), s[end+1:], true
}

// cutGitLabStream removes the stream marker GitLab's job log puts after its
// timestamp: "00O ", "01E ", "00O+ " (a continued line).
func cutGitLabStream(s string) string {
	if len(s) >= 4 && allDigits(s[:2]) && (s[2] == 'O' || s[2] == 'E') {
		r := strings.TrimPrefix(s[3:], "+")
		if r == "" || r[0] == ' ' {
			return strings.TrimPrefix(r, " ")
		}
	}
	return s
}

// cutTalosNode removes the node name talosctl puts before "kern:" when it
// reads several nodes: "10.1.1.2: kern: warning: …".
func cutTalosNode(s string) string {
	w := s[:min(len(s), 64+len(": kern:"))] // only where it may be
	if !strings.Contains(w, "kern:") {
		return s // (cheap: a search by 'k'; a necessary condition of the next)
	}
	i := strings.Index(w, ": kern:")
	if i <= 0 || i > 64 || strings.ContainsAny(strings.TrimSpace(s[:i]), " \t") {
		return s
	}
	return s[i+2:]
}

// cutBracketISO reads an ISO 8601 stamp in brackets, then an optional
// colon: "[2024-04-10T10:20:30.123456789Z]: " (talosctl dmesg), "[2024-01-02T13:33:50.123Z] "
// (Jenkins timestamper).
func (c clock) cutBracketISO(s string) (time.Time, string, string, bool) {
	if len(s) < 21 || s[0] != '[' {
		return time.Time{}, "", s, false
	}
	j := strings.IndexByte(s, ']')
	if j < 20 || j > 40 {
		return time.Time{}, "", s, false
	}
	t, basis, rest, ok := c.cutISO(s[1:j])
	if !ok || rest != "" {
		return time.Time{}, "", s, false
	}
	r := strings.TrimPrefix(s[j+1:], ":")
	return t, basis, strings.TrimLeft(r, " "), true
}

// cutTextPayload reads the line `"textPayload": "…",` of a pretty-printed
// Cloud Logging (GKE) export and returns the entry's text.
func cutTextPayload(s string) (string, bool) {
	t := trimBlanks(s)
	if !strings.HasPrefix(t, `"textPayload":`) {
		return "", false
	}
	v := strings.TrimSuffix(strings.TrimSpace(t[len(`"textPayload":`):]), ",")
	var text string
	if json.Unmarshal([]byte(v), &text) != nil {
		return "", false
	}
	return strings.TrimRight(text, "\r\n"), true
}

// cutUptime removes "[  5864.708440] " and an optional caller id
// "[ T1234] " / "[C3] " (CONFIG_PRINTK_CALLER). The stamp must hold a
// decimal point so that a raw task-table row "[  273]" is not taken for one.
//
// It returns the stamp's number unparsed: stamp.uptime reads it, when a
// record needs it.
func cutUptime(s string) (string, string, bool) {
	if len(s) < 4 || s[0] != '[' {
		return "", s, false
	}
	j := strings.IndexByte(s, ']')
	if j < 3 || j > 24 {
		return "", s, false
	}
	num := strings.TrimSpace(s[1:j])
	dot := strings.IndexByte(num, '.')
	if dot <= 0 || !allDigits(num[:dot]) || !allDigits(num[dot+1:]) || dot == len(num)-1 {
		return "", s, false
	}
	rest := s[j+1:]
	// caller id
	if len(rest) >= 3 && rest[0] == '[' {
		if k := strings.IndexByte(rest, ']'); k > 1 && k < 12 {
			id := strings.TrimSpace(rest[1:k])
			if len(id) >= 2 && (id[0] == 'T' || id[0] == 'C') && allDigits(id[1:]) {
				rest = rest[k+1:]
			}
		}
	}
	return num, strings.TrimPrefix(rest, " "), true
}

// parseUptime reads the number cutUptime found: digits, '.', digits, at
// most 23 bytes, which strconv.ParseFloat always reads.
func parseUptime(num string) float64 {
	v, _ := strconv.ParseFloat(num, 64)
	return v
}

// cutISO reads "2025-01-21T08:41:30,287197+00:00 ", with '.' or ','
// before the fraction, offset "Z", "+hh:mm" or "+hhmm", or none.
func (c clock) cutISO(s string) (time.Time, string, string, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, "", s, false
	}
	if !allDigits(s[0:4]) || !allDigits(s[5:7]) || !allDigits(s[8:10]) || !allDigits(s[11:13]) || !allDigits(s[14:16]) || !allDigits(s[17:19]) {
		return time.Time{}, "", s, false
	}
	nsec, r := fraction(s[19:], ".,")
	loc, basis, r, ok := c.zone(r)
	if !ok || r != "" && r[0] != ' ' {
		return time.Time{}, "", s, false
	}
	t := time.Date(atoi(s[0:4]), time.Month(atoi(s[5:7])), atoi(s[8:10]), atoi(s[11:13]), atoi(s[14:16]), atoi(s[17:19]), nsec, loc)
	return t, basis, strings.TrimPrefix(r, " "), true
}

// fraction reads the fraction of a second at the start of s (a separator
// of seps, then digits) as nanoseconds, and returns the rest.
func fraction(s, seps string) (int, string) {
	if s == "" || strings.IndexByte(seps, s[0]) < 0 {
		return 0, s
	}
	j := 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	frac := s[1:j]
	if len(frac) > 9 {
		frac = frac[:9]
	}
	n, _ := strconv.Atoi(frac)
	for k := len(frac); k < 9; k++ {
		n *= 10
	}
	return n, s[j:]
}

// zone reads an ISO 8601 offset ("Z", "+hh:mm", "+hhmm") at the start of
// s, or none (then the stamp is read in c's zone).
func (c clock) zone(s string) (*time.Location, string, string, bool) {
	switch {
	case s != "" && s[0] == 'Z':
		return time.UTC, BasisISOWithZone, s[1:], true
	case s == "" || s[0] != '+' && s[0] != '-':
		if c.zoneGiven {
			return c.loc, BasisISO, s, true
		}
		return c.loc, BasisISOAssumedUTC, s, true
	}
	sign, off := 1, s[1:]
	if s[0] == '-' {
		sign = -1
	}
	var hh, mm string
	switch {
	case len(off) >= 5 && off[2] == ':' && allDigits(off[:2]) && allDigits(off[3:5]):
		hh, mm, off = off[:2], off[3:5], off[5:]
	case len(off) >= 4 && allDigits(off[:4]):
		hh, mm, off = off[:2], off[2:4], off[4:]
	default:
		return nil, "", s, false
	}
	return fixedZone(sign * (atoi(hh)*3600 + atoi(mm)*60)), BasisISOWithZone, off, true
}

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	sign := "+"
	a := off
	if a < 0 {
		sign, a = "-", -a
	}
	return time.FixedZone(sign+pad2(a/3600)+":"+pad2(a%3600/60), off)
}

func pad2(i int) string {
	if i < 10 {
		return "0" + strconv.Itoa(i)
	}
	return strconv.Itoa(i)
}

// cutSyslogDate reads "Jan  5 15:19:27 " (optionally ".050705"), with the
// month in any locale of the table, or a bare "19:46:58 " time of day.
func (c clock) cutSyslogDate(s string, out *prefixed) (time.Time, string, string, bool) {
	// bare time of day
	if len(s) >= 9 && isClock(s[:8]) && s[8] == ' ' {
		t := time.Date(0, 1, 1, atoi(s[0:2]), atoi(s[3:5]), atoi(s[6:8]), 0, c.loc)
		return t, BasisTimeOfDayOnly, strings.TrimLeft(s[9:], " "), true
	}
	sp := strings.IndexByte(s[:min(len(s), 13)], ' ') // (see cutDmesgX)
	if sp < 2 || sp > 12 {
		return time.Time{}, "", s, false
	}
	mon := s[:sp]
	r := strings.TrimLeft(s[sp:], " ")
	// day
	d := 0
	for d < len(r) && d < 2 && r[d] >= '0' && r[d] <= '9' {
		d++
	}
	if d == 0 || d >= len(r) || r[d] != ' ' {
		return time.Time{}, "", s, false
	}
	day := atoi(r[:d])
	r = r[d+1:]
	if len(r) < 9 || !isClock(r[:8]) {
		return time.Time{}, "", s, false
	}
	clock := r[:8]
	r = r[8:]
	nsec := 0
	if len(r) > 1 {
		nsec, r = fraction(r, ".")
	}
	if len(r) == 0 || r[0] != ' ' {
		return time.Time{}, "", s, false
	}
	r = r[1:]
	if day < 1 || day > 31 {
		return time.Time{}, "", s, false
	}
	m, ok := lookupMonth(mon)
	if !ok {
		if !isWordish(mon) {
			return time.Time{}, "", s, false
		}
		out.warn = "month " + strconv.Quote(mon) + " not recognised; only the time of day is kept"
		t := time.Date(0, 1, 1, atoi(clock[0:2]), atoi(clock[3:5]), atoi(clock[6:8]), nsec, c.loc)
		return t, BasisTimeOfDayOnly, r, true
	}
	year := c.year
	basis := BasisSyslog
	switch {
	case year == 0:
		basis = BasisSyslogNoYear
	case !c.zoneGiven:
		basis = BasisSyslogAssumedUTC
	}
	t := time.Date(year, m, day, atoi(clock[0:2]), atoi(clock[3:5]), atoi(clock[6:8]), nsec, c.loc)
	return t, basis, r, true
}

// cutUnix reads journalctl -o short-unix "1700991685.123456 ".
func (c clock) cutUnix(s string) (time.Time, string, bool) {
	sp := strings.IndexByte(s[:min(len(s), 22)], ' ') // (see cutDmesgX)
	if sp < 12 || sp > 21 {
		return time.Time{}, s, false
	}
	num := s[:sp]
	dot := strings.IndexByte(num, '.')
	if dot < 9 || dot > 11 || !allDigits(num[:dot]) || !allDigits(num[dot+1:]) {
		return time.Time{}, s, false
	}
	if !startsSyslogHost(s[sp+1:]) {
		return time.Time{}, s, false
	}
	sec, _ := strconv.ParseInt(num[:dot], 10, 64)
	frac := num[dot+1:]
	if len(frac) > 9 {
		frac = frac[:9]
	}
	n, _ := strconv.Atoi(frac)
	for k := len(frac); k < 9; k++ {
		n *= 10
	}
	return time.Unix(sec, int64(n)).UTC(), s[sp+1:], true
}

// cutDmesgT reads `dmesg -T` stamps in any locale: "[Wed Dec  6 23:54:11
// 2017] ", "[Di Aug 12 03:54:03 2025] ", "[dim. 19 avril 18:03:30 2026] ",
// "[四 3月 18 18:47:12 2021] ".
func (c clock) cutDmesgT(s string, out *prefixed) (time.Time, string, string, bool) {
	if len(s) < 20 || s[0] != '[' {
		return time.Time{}, "", s, false
	}
	j := strings.IndexByte(s, ']')
	if j < 18 || j > 64 {
		return time.Time{}, "", s, false
	}
	f := strings.Fields(s[1:j])
	if len(f) != 5 {
		return time.Time{}, "", s, false
	}
	year, clock := f[4], f[3]
	if len(year) != 4 || !allDigits(year) || !isClock(clock) {
		return time.Time{}, "", s, false
	}
	var monTok, dayTok string
	switch {
	case allDigits(f[2]) && !allDigits(f[1]):
		monTok, dayTok = f[1], f[2]
	case allDigits(f[1]) && !allDigits(f[2]):
		monTok, dayTok = f[2], f[1]
	default:
		return time.Time{}, "", s, false
	}
	day := atoi(dayTok)
	if day < 1 || day > 31 {
		return time.Time{}, "", s, false
	}
	rest := strings.TrimPrefix(s[j+1:], " ")
	m, ok := lookupMonth(monTok)
	if !ok {
		out.warn = "dmesg -T month " + strconv.Quote(monTok) + " not recognised; only the time of day is kept"
		t := time.Date(0, 1, 1, atoi(clock[0:2]), atoi(clock[3:5]), atoi(clock[6:8]), 0, c.loc)
		return t, BasisTimeOfDayOnly, rest, true
	}
	basis := BasisDmesgT
	if !c.zoneGiven {
		basis = BasisDmesgTAssumedUTC
	}
	t := time.Date(atoi(year), m, day, atoi(clock[0:2]), atoi(clock[3:5]), atoi(clock[6:8]), 0, c.loc)
	return t, basis, rest, true
}

// startsSyslogHost reports whether s begins "host tag: " or "tag[pid]: "
// or "kernel: ".
func startsSyslogHost(s string) bool {
	var tmp prefixed
	_, ok := splitHostTag(s, &tmp)
	return ok
}

// cutSyslogHost removes "host tag[pid]: " / "tag[pid]: " / "host kernel: "
// after a clock stamp, and records the tag.
func cutSyslogHost(s string, out *prefixed) string {
	if rest, ok := splitHostTag(s, out); ok {
		return rest
	}
	return s
}

// splitHostTag matches "HOST TAG: " or "TAG: " where TAG is a program name
// with an optional "[pid]"; without a host the tag must carry a pid or be
// "kernel" (so that kernel messages such as "oom_reaper: reaped" after a
// `dmesg --time-format iso` stamp stay whole).
func splitHostTag(s string, out *prefixed) (string, bool) {
	sp := strings.IndexByte(s, ' ')
	if sp > 0 && sp < 256 && s[sp-1] == ':' {
		if tag, ok := progTag(s[:sp-1], false); ok {
			out.tag = tag
			return s[sp+1:], true
		}
		return s, false
	}
	if sp <= 0 || sp >= 256 {
		return s, false
	}
	r := s[sp+1:]
	sp2 := strings.IndexByte(r, ' ')
	var tagTok, rest string
	switch {
	case sp2 > 0 && r[sp2-1] == ':':
		tagTok, rest = r[:sp2-1], r[sp2+1:]
	case sp2 < 0 && strings.HasSuffix(r, ":"):
		tagTok, rest = r[:len(r)-1], ""
	default:
		return s, false
	}
	if tag, ok := progTag(tagTok, true); ok && isHostname(s[:sp]) {
		out.tag, out.host = tag, s[:sp]
		return rest, true
	}
	return s, false
}

// progTag validates "prog[123]" / "prog"; returns prog.
func progTag(t string, hostSeen bool) (string, bool) {
	if t == "" || len(t) > 128 {
		return "", false
	}
	name := t
	pid := false
	if strings.HasSuffix(t, "]") {
		k := strings.LastIndexByte(t, '[')
		if k <= 0 || !allDigits(t[k+1:len(t)-1]) {
			return "", false
		}
		name, pid = t[:k], true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/' || c == '@') {
			return "", false
		}
	}
	if !hostSeen && !pid && name != "kernel" && !strings.HasPrefix(name, "/") {
		return "", false
	}
	return name, true
}

// isHostname accepts any token: host names, addresses, and what people
// put in their place when they paste a log ("**", "<host>", "[redacted]").
func isHostname(h string) bool {
	return h != "" && len(h) <= 255 && !strings.ContainsAny(h, " \t")
}

// cutTag removes a stamp-less "prog[pid]: " at the start of a line: what
// progTag accepts without a host, a program name (isProgByte: no '[',
// ':' or blank) and a pid, then ": ", at most 128 bytes before it. It is
// read a byte at a time from the start: a search for the first ": "
// went through every line that has none (most, on a job's pytest.log:
// BenchmarkParseBytesJob).
func cutTag(s string, out *prefixed) (string, bool) {
	n := 0
	for n < len(s) && isProgByte(s[n]) {
		n++
	}
	if n == 0 || n == len(s) || s[n] != '[' {
		return s, false
	}
	d := n + 1
	for d < len(s) && s[d] >= '0' && s[d] <= '9' {
		d++
	}
	if d == n+1 || d+1 > 128 || !strings.HasPrefix(s[d:], "]: ") {
		return s, false
	}
	out.tag = s[:n]
	return s[d+3:], true
}

// isProgByte: a byte of a program name (see progTag).
func isProgByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/' || c == '@'
}

// journalRecord is the part of a `journalctl -o json` object we use.
type journalRecord struct {
	Message    json.RawMessage `json:"MESSAGE"`
	Realtime   string          `json:"__REALTIME_TIMESTAMP"`
	SourceMono string          `json:"_SOURCE_MONOTONIC_TIMESTAMP"`
	Transport  string          `json:"_TRANSPORT"`
	Identifier string          `json:"SYSLOG_IDENTIFIER"`
	Comm       string          `json:"_COMM"`
	// Cloud Logging (GKE) export entries
	TextPayload *string `json:"textPayload"`
	Timestamp   string  `json:"timestamp"`
}

// stripJSON reads one `journalctl -o json` line: MESSAGE (a string, or
// an array of bytes when not UTF-8), __REALTIME_TIMESTAMP (µs since the
// epoch) and _SOURCE_MONOTONIC_TIMESTAMP (µs since boot, the kernel
// stamp for _TRANSPORT=kernel).
func (c clock) stripJSON(line string, out *prefixed) bool {
	var rec journalRecord
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		return false
	}
	if rec.TextPayload != nil {
		// a Cloud Logging entry: its text may carry a kernel stamp
		*out = c.cutPrefix(strings.TrimRight(*rec.TextPayload, "\r\n"))
		if t, err := time.Parse(time.RFC3339Nano, rec.Timestamp); err == nil {
			out.st.t, out.st.hasTime, out.st.basis = t, true, BasisISOWithZone
		}
		out.stamped = true
		return true
	}
	var msg string
	if len(rec.Message) > 0 {
		if rec.Message[0] == '"' {
			if err := json.Unmarshal(rec.Message, &msg); err != nil {
				return false
			}
		} else if rec.Message[0] == '[' {
			var b []byte
			var ints []int
			if err := json.Unmarshal(rec.Message, &ints); err != nil {
				return false
			}
			for _, v := range ints {
				b = append(b, byte(v))
			}
			msg = string(b)
		}
	}
	out.stamped = true
	if us, err := strconv.ParseInt(rec.Realtime, 10, 64); err == nil {
		out.st.t = time.UnixMicro(us).UTC()
		out.st.hasTime = true
		out.st.basis = BasisJournalJSON
	}
	if us, err := strconv.ParseInt(rec.SourceMono, 10, 64); err == nil {
		out.st.uptimeS = float64(us) / 1e6
		out.st.hasUptime = true
		if out.st.basis == BasisNone {
			out.st.basis = BasisUptime
		}
	}
	switch {
	case rec.Transport == "kernel":
		out.tag = "kernel"
	case rec.Identifier != "":
		out.tag = rec.Identifier
	default:
		out.tag = rec.Comm
	}
	msg = strings.TrimRight(msg, "\n")
	msgs := strings.Split(msg, "\n")
	out.msg, out.more = msgs[0], msgs[1:]
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLowerWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isWordish: a token that could be a month name in some locale (letters,
// non-ASCII, a trailing dot), not digits or punctuation.
func isWordish(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r >= '0' && r <= '9' || r == '[' || r == ']' || r == ':' || r == '/' || r == '=' || r == '(' || r == ')' || r == ',' {
			return false
		}
	}
	return true
}

func isClock(s string) bool {
	return len(s) == 8 && s[2] == ':' && s[5] == ':' && allDigits(s[0:2]) && allDigits(s[3:5]) && allDigits(s[6:8])
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
