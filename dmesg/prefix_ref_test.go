package dmesg

// The prefix reading as it was before cutPrefix tried only the stamps
// that can start a line (cutBracketClock), read a kernel stamp once, and
// searched for separators only where they may be: the reference that
// TestCutPrefixAgrees and FuzzCutPrefix hold cutPrefix to. The functions
// it calls that did not change are shared.

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

func (c clock) cutPrefixRef(line string) prefixed {
	var out prefixed
	line = unquote(line)
	if strings.HasPrefix(line, "{") {
		if c.stripJSONRef(line, &out) {
			return out
		}
	}
	if payload, ok := cutTextPayload(line); ok {
		// a pretty-printed Cloud Logging export: the entry's other fields
		// (its timestamp) are on other lines
		return c.cutPrefixRef(payload)
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
	if semi := strings.IndexByte(s[:min(len(s), 64)], ';'); semi > 0 && s[0] >= '0' && s[0] <= '9' {
		f := strings.Split(s[:semi], ",")
		if len(f) >= 4 && allDigits(f[0]) && allDigits(f[1]) && allDigits(f[2]) {
			us, err := strconv.ParseInt(f[2], 10, 64)
			if err == nil {
				out.st = stamp{uptimeS: float64(us) / 1e6, hasUptime: true, basis: BasisKmsgUptime}
				out.stamped = true
				out.msg = s[semi+1:]
				return out
			}
		}
	}
	// dmesg -x: "kern  :warn  : "
	if fac, rest, ok := cutDmesgXRef(s); ok {
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
	s = c.cutClockRef(s, &out)
	// Kernel stamp, possibly after a syslog "kernel:" tag.
	if num, rest, ok := cutUptime(s); ok {
		out.st.uptimeText, out.st.hasUptime = num, true
		if out.st.basis == BasisNone {
			out.st.basis = BasisUptime
		}
		out.stamped = true
		s = rest
	} else if rest, ok := cutRelative(s); ok {
		// dmesg -e / --reltime: the time since the line before, no uptime
		out.stamped = true
		s = rest
	}
	out.msg = s
	return out
}

// cutClockRef removes a wall-clock stamp (and what follows it up to the
// message: a syslog host and tag, GitLab's stream marker, vmware.log's
// columns) or, without one, a bare program tag.
func (c clock) cutClockRef(s string, out *prefixed) string {
	if t, basis, rest, ok := c.cutISO(s); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, basis
		out.stamped = true
		if msg, ok := cutVMwareLog(rest); ok {
			s = msg
		} else {
			s = cutSyslogHost(cutGitLabStream(rest), out)
		}
	} else if t, basis, rest, ok := c.cutBracketISO(s); ok {
		// Jenkins timestamper "[2024-01-02T13:33:50.123Z] ", Talos
		// "[2024-04-10T10:20:30.123456789Z]: "
		out.st.t, out.st.hasTime, out.st.basis = t, true, basis
		out.stamped = true
		s = rest
	} else if t, basis, rest, ok := c.cutSyslogDateRef(s, out); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, basis
		out.stamped = true
		s = cutSyslogHost(rest, out)
	} else if t, rest, ok := c.cutUnixRef(s); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, BasisUnix
		out.stamped = true
		s = cutSyslogHost(rest, out)
	} else if t, basis, rest, ok := c.cutDmesgT(s, out); ok {
		out.st.t, out.st.hasTime, out.st.basis = t, true, basis
		out.stamped = true
		s = rest
	} else if num, rest, ok := cutUptime(s); ok && startsSyslogHost(rest) {
		// journalctl -o short-monotonic: "[ 1234.567890] host kernel: "
		out.st.uptimeText, out.st.hasUptime, out.st.basis = num, true, BasisUptime
		out.stamped = true
		s = cutSyslogHost(rest, out)
	} else if rest, ok := cutTagRef(s, out); ok {
		// "earlyoom[454]: …" without any stamp
		s = rest
	}
	return s
}

// cutDmesgXRef removes `dmesg -x` columns "kern  :warn  : ".
func cutDmesgXRef(s string) (string, string, bool) {
	i := strings.IndexByte(s, ':')
	if i < 2 || i > 8 {
		return "", s, false
	}
	fac := strings.TrimSpace(s[:i])
	if !isLowerWord(fac) {
		return "", s, false
	}
	r := s[i+1:]
	j := strings.IndexByte(r, ':')
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

// cutSyslogDateRef reads "Jan  5 15:19:27 " (optionally ".050705"), with the
// month in any locale of the table, or a bare "19:46:58 " time of day.
func (c clock) cutSyslogDateRef(s string, out *prefixed) (time.Time, string, string, bool) {
	// bare time of day
	if len(s) >= 9 && isClock(s[:8]) && s[8] == ' ' {
		t := time.Date(0, 1, 1, atoi(s[0:2]), atoi(s[3:5]), atoi(s[6:8]), 0, c.loc)
		return t, BasisTimeOfDayOnly, strings.TrimLeft(s[9:], " "), true
	}
	sp := strings.IndexByte(s, ' ')
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

// cutUnixRef reads journalctl -o short-unix "1700991685.123456 ".
func (c clock) cutUnixRef(s string) (time.Time, string, bool) {
	sp := strings.IndexByte(s, ' ')
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

// cutTagRef removes a stamp-less "prog[pid]: " at the start of a line.
func cutTagRef(s string, out *prefixed) (string, bool) {
	sp := strings.Index(s, ": ")
	if sp <= 0 || sp > 128 || s[sp-1] != ']' {
		return s, false
	}
	if tag, ok := progTag(s[:sp], false); ok {
		out.tag = tag
		return s[sp+2:], true
	}
	return s, false
}

// stripJSONRef reads one `journalctl -o json` line: MESSAGE (a string, or
// an array of bytes when not UTF-8), __REALTIME_TIMESTAMP (µs since the
// epoch) and _SOURCE_MONOTONIC_TIMESTAMP (µs since boot, the kernel
// stamp for _TRANSPORT=kernel).
func (c clock) stripJSONRef(line string, out *prefixed) bool {
	var rec journalRecord
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		return false
	}
	if rec.TextPayload != nil {
		// a Cloud Logging entry: its text may carry a kernel stamp
		*out = c.cutPrefixRef(strings.TrimRight(*rec.TextPayload, "\r\n"))
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
