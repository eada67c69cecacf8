package diagnostics

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// onePass decodes a JSON Lines record in one pass over its line: each
// value is checked and converted as it is met, into the record, where
// decodeObject's splitPlain checks and splits the line and addRecord's
// inOrder then reads every value again (a number twice over, a string for
// escapes and UTF-8). It takes the lines the plugin writes: a plain line
// (splitPlain's) whose known fields are of their type and in range, each
// once, without escapes in their strings, with an event. For any other it
// reports false having handed nothing over, and jsonLine takes the
// general path, whose verdict stands: the record of a line onePass takes
// is the one the general path gives (TestOnePassAgrees, FuzzOnePass).
// Splitting and decoding were nine tenths of BenchmarkStreamJob (a batch
// job's file); with onePass and its helpers below, its instructions went
// from 5.2M to 2.5M an op under cachegrind, BenchmarkStreamGenerated's
// from 223M to 100M, and their time halved.
func (p *diagParser) onePass(b []byte, line int) bool {
	if p.byTemplates(b, line) {
		return true
	}
	rec := &p.scratch
	*rec = Record{Line: line}
	p.members = p.members[:0] // the fields for Extra
	p.onePassSchema = ""
	i := diagSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = diagSkipWS(b, i+1)
	var seen uint32 // bit k: known key k was met
	shape := &p.shapes[0]
	k := uint(0) // unsigned: k%16 is a mask
	for ; ; k++ {
		// The key at this place in the shape, compared in place (the
		// pattern's words inlined: a call was a tenth of the
		// instructions). Past the shape's length the guess is a
		// shorter line's key, which the comparison settles all the same.
		var name string // an unknown key's
		id := shape[k%uint(len(shape))]
		if len(b)-i >= 24 && uint(id) < uint(diagNumKeys) && diagKeyPatterns[id].at(b[i:i+24:i+24]) {
			i += diagKeyPatterns[id].n
		} else if len(b)-i < 24 && id.atShort(b, i) {
			i += diagKeyPatterns[id].n
		} else {
			var ok bool
			if name, id, i, ok = onePassKey(b, i); !ok {
				return false
			}
		}
		p.keys[k%uint(len(p.keys))] = id // past its length a shape is but a guess
		i = diagSkipWS(b, i)
		if id.recordField() {
			bit := uint32(1) << id
			if (seen|diagLegacyCounts)&bit != 0 {
				return false // inFixedOrder's to decide
			}
			seen |= bit
		}
		end, ok := p.onePassValue(rec, id, name, b, i, line)
		if !ok {
			return false
		}
		if id == kEvent {
			shape = &p.shapes[diagShapeSlot(rec.Event)]
		}
		p.spans[k%uint(len(p.spans))] = diagSpan{start: i, end: end, name: name}
		i = diagSkipWS(b, end)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return false
		}
		i = diagSkipWS(b, i+1)
	}
	if diagSkipWS(b, i+1) != len(b) || rec.Event == "" {
		return false
	}
	slot := diagShapeSlot(rec.Event)
	p.shapes[slot] = p.keys
	p.buildTemplate(slot, b, int(k)+1)
	p.follows[p.lastSlot], p.lastSlot = slot, slot
	p.emit(rec, p.onePassSchema, p.members, line, false)
	return true
}

// onePassValue reads the value at b[i] of the field id (an unknown one's
// key is name): a record field by onePassQuick, or onePassField where
// that declines, any other kept for Extra. It is onePass's reading of a
// value, and byTemplate's.
func (p *diagParser) onePassValue(rec *Record, id diagKeyID, name string, b []byte, i, line int) (end int, ok bool) {
	if !id.recordField() {
		return p.onePassExtra(name, id, b, i)
	}
	if end, ok = p.onePassQuick(rec, id, b, i); ok {
		return end, true
	}
	return p.onePassField(rec, id, b, i, line)
}

// onePassBuffered reads the whole lines in br's buffer that onePass
// takes, in place, as parseLines would through readLine and jsonLine (the
// same lines, line numbers, bytes read), and stops at the first it does
// not take, the first longer than maxLine, or one that does not end in
// the buffer, which parseLines then reads. readLine's and jsonLine's
// work around each line was a tenth of BenchmarkStreamJob's instructions.
// The lines are not kept: what a record keeps is copied out of them.
func (p *diagParser) onePassBuffered() {
	buf, _ := p.br.Peek(p.br.Buffered())
	used := 0
	for {
		j := bytes.IndexByte(buf[used:], '\n')
		if j < 0 || j > p.maxLine || !p.onePass(buf[used:used+j], p.line) {
			break
		}
		used += j + 1
		p.line++
		p.read += int64(j + 1)
		p.maybeReserve()
	}
	p.br.Discard(used)
}

// onePassKey reads the key at b[i] that is not the one the shape
// expected, and the colon after it: the key's name and id, and the index
// past the colon.
func onePassKey(b []byte, i int) (name string, id diagKeyID, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, 0, false
	}
	end, ok := diagPlainString(b, i)
	if !ok {
		return "", 0, 0, false
	}
	name, id = diagKey(b[i:end])
	i = diagSkipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		return "", 0, 0, false
	}
	return name, id, i + 1, true
}

// onePassExtra checks the value at b[i] of a field addRecord does not
// decode (name, unknown, when id is diagUnknownKey) and keeps it for
// Extra.
func (p *diagParser) onePassExtra(name string, id diagKeyID, b []byte, i int) (end int, ok bool) {
	if end, ok = diagPlainValue(b, i, 0); !ok {
		return 0, false
	}
	if id != diagUnknownKey {
		name = diagKnownKeys[id]
	}
	p.members = p.members.add(name, b[i:end], id)
	return end, true
}

// onePassField is diagFieldDecoder.onePassField for the record of line,
// reporting its error as ok false and keeping the schema it read.
func (p *diagParser) onePassField(rec *Record, id diagKeyID, b []byte, i, line int) (end int, ok bool) {
	d := diagFieldDecoder{p: p, line: line}
	end, ok = d.onePassField(rec, id, b, i)
	if d.schema != "" {
		p.onePassSchema = d.schema
	}
	return end, ok && d.err == nil
}

// diagLegacyCounts is the bits of open_datasets and unclosed_datasets,
// which only inFixedOrder reads (open_objects wins over them).
const diagLegacyCounts = 1<<kOpenDatasets | 1<<kUnclosedDatasets

// diagShape is the keys of a line in order, diagUnknownKey for an unknown
// one: onePass looks for the keys of the last line of the same event at
// their places in the next, by comparing bytes. The plugin writes the keys
// of an event in one order, so that a key is mostly found by one
// comparison rather than read byte by byte (diagPlainString) then looked up
// (diagKey), and a key not found so is read that way.
type diagShape [16]diagKeyID

// diagShapes is a shape for each of the events most lines carry, and one
// for the others.
type diagShapes [3]diagShape

// diagShapeSlot is the shape of an event's lines.
func diagShapeSlot(event string) int {
	switch event {
	case EventTestStart:
		return 1
	case EventTestEnd:
		return 2
	}
	return 0
}

// at reports whether w, 24 bytes of a line, starts with the pattern: the
// known key quoted and followed by a colon ("event":), as the plugin
// writes keys. Its three words compared under masks are a third of the
// instructions of memequal.
func (k *diagKeyPattern) at(w []byte) bool {
	return (binary.LittleEndian.Uint64(w)^k.w[0])&k.mask[0]|
		(binary.LittleEndian.Uint64(w[8:])^k.w[1])&k.mask[1]|
		(binary.LittleEndian.Uint64(w[16:])^k.w[2])&k.mask[2] == 0
}

// atShort reports whether b[i:] starts with the pattern of id, near the
// end of b where at cannot read three words.
func (id diagKeyID) atShort(b []byte, i int) bool {
	if uint(id) >= uint(diagNumKeys) {
		return false
	}
	k := &diagKeyPatterns[id]
	return len(b)-i >= k.n && string(b[i:i+k.n]) == k.s
}

// diagKeyPattern is a known key quoted and followed by a colon: the bytes,
// their count, and the same as three little-endian words with masks that
// keep only its bytes.
type diagKeyPattern struct {
	s       string
	n       int
	w, mask [3]uint64
}

// diagKeyPatterns is each known key's pattern. The longest,
// "rss_anon_before_bytes":, is 24 bytes.
var diagKeyPatterns = func() (ps [diagNumKeys]diagKeyPattern) {
	for id, key := range diagKnownKeys {
		p := &ps[id]
		p.s = `"` + key + `":`
		p.n = len(p.s)
		diagWordsOf(p.s, p.w[:], p.mask[:])
	}
	return ps
}()

// diagWordsOf writes s into w as little-endian words, eight bytes each,
// and sets mask to keep only its bytes: what diagKeyPattern.at and
// diagQuoted.at compare a line's words with.
func diagWordsOf(s string, w, mask []uint64) {
	for j := range len(s) {
		w[j/8] |= uint64(s[j]) << (8 * (j % 8))
		mask[j/8] |= 0xFF << (8 * (j % 8))
	}
}

// onePassQuick reads the value at b[i] of the record field id as most
// records write it: a number diagFastInt or diagFastFloat reads, a string
// without escapes. ok is false for any other value, which onePassField
// then reads; a field it sets, onePassField sets again. One call deep for
// the common cases, where onePassField's dispatch through
// onePassNumber or onePassString was three: the calls and the spilling of
// registers around them were a fifth of BenchmarkStreamJob's instructions.
func (p *diagParser) onePassQuick(rec *Record, id diagKeyID, b []byte, i int) (end int, ok bool) {
	switch id {
	case kTime:
		rec.Time, end, ok = diagFastFloat(b, i)
	case kDurationS:
		rec.DurationS, end, ok = diagFastFloat(b, i)
	case kPID:
		var n int64
		n, end, ok = diagFastInt(b, i)
		rec.PID = int(n)
		ok = ok && n >= -1<<31 && n < 1<<31
	case kRSSBytes:
		rec.RSSBytes, end, ok = diagFastInt(b, i)
		rec.HasRSS = ok && rec.RSSBytes >= 0
		return end, rec.HasRSS
	case kRSSAnonBytes:
		rec.RSSAnonBytes, end, ok = diagFastInt(b, i)
		rec.HasRSSAnon = ok && rec.RSSAnonBytes >= 0
		return end, rec.HasRSSAnon
	case kPeakRSSBytes:
		rec.PeakRSSBytes, end, ok = diagFastInt(b, i)
		rec.HasPeak = ok && rec.PeakRSSBytes >= 0
		return end, rec.HasPeak
	case kEvent:
		switch {
		case diagQuotedTestStart.at(b, i):
			rec.Event = EventTestStart
			return i + diagQuotedTestStart.n, true
		case diagQuotedTestEnd.at(b, i):
			rec.Event = EventTestEnd
			return i + diagQuotedTestEnd.n, true
		}
		if end, ok = diagRawString(b, i); ok && end > i+2 {
			rec.Event = p.sharedString(b[i+1 : end-1])
			return end, true
		}
		return 0, false
	case kOutcome:
		if diagQuotedPassed.at(b, i) {
			rec.Outcome = "passed"
			return i + diagQuotedPassed.n, true
		}
		if end, ok = diagRawString(b, i); ok {
			rec.Outcome = p.sharedString(b[i+1 : end-1])
		}
	case kNodeID:
		return p.onePassNodeID(rec, b, i)
	}
	return end, ok
}

// diagQuoted is a string value most records carry, quoted (at most 16
// bytes): its bytes, their count, and the same as two little-endian words
// with masks that keep only its bytes. Comparing them tells the value
// from a line in a few instructions, where reading it (diagRawString,
// then sharedString's switch) took some sixty.
type diagQuoted struct {
	s       string
	n       int
	w, mask [2]uint64
}

func diagQuote(s string) *diagQuoted {
	q := &diagQuoted{s: `"` + s + `"`}
	q.n = len(q.s)
	diagWordsOf(q.s, q.w[:], q.mask[:])
	return q
}

var (
	diagQuotedTestStart = diagQuote(EventTestStart)
	diagQuotedTestEnd   = diagQuote(EventTestEnd)
	diagQuotedPassed    = diagQuote("passed")
)

// at reports whether b[i:] starts with the quoted value.
func (q *diagQuoted) at(b []byte, i int) bool {
	if len(b)-i < 16 {
		return len(b)-i >= q.n && string(b[i:i+q.n]) == q.s
	}
	w := b[i : i+16 : i+16]
	return (binary.LittleEndian.Uint64(w)^q.w[0])&q.mask[0]|(binary.LittleEndian.Uint64(w[8:])^q.w[1])&q.mask[1] == 0
}

// onePassNodeID reads a node id. One that is the last record's, as a
// test_end's is its test_start's, is told by comparing its bytes with it
// when that was read here too (so its bytes need no escape): no scan.
func (p *diagParser) onePassNodeID(rec *Record, b []byte, i int) (end int, ok bool) {
	last := p.lastNodeID
	if n := len(last); p.lastNodePlain && len(b)-i >= n+2 && b[i] == '"' && b[i+1+n] == '"' && string(b[i+1:i+1+n]) == last {
		rec.NodeID = last
		return i + n + 2, true
	}
	if end, ok = diagRawString(b, i); ok {
		rec.NodeID = p.nodeIDString(b[i+1 : end-1])
	}
	return end, ok
}

// onePassField checks and decodes the value at b[i] of the record field
// id and returns its end. ok is false when the value is not plain JSON,
// or not one this path reads (a string with escapes, a value of another
// type, a figure out of range): the general path then reads the line.
func (d *diagFieldDecoder) onePassField(rec *Record, id diagKeyID, b []byte, i int) (end int, ok bool) {
	if i >= len(b) {
		return 0, false
	}
	if b[i] == 'n' {
		return diagPlainLiteral(b, i, "null") // null reads as missing
	}
	switch id {
	case kTime, kDurationS, kBootTime, kMonotonic, kPID, kRSSBytes, kRSSAnonBytes, kPeakRSSBytes,
		kRSSBeforeBytes, kRSSAfterBytes, kRSSAnonBeforeBytes:
		return d.onePassNumber(rec, id, b, i)
	case kEvent, kWorker, kNodeID, kOutcome, kFixture, kScope, kPeakSource, kSchema:
		return d.onePassString(rec, id, b, i)
	}
	if end, ok = diagPlainValue(b, i, 0); ok {
		d.set(rec, id, b[i:end])
	}
	return end, ok
}

// onePassString reads a string field without escapes: its bytes, printable
// ASCII, are what diagJSONString would return.
func (d *diagFieldDecoder) onePassString(rec *Record, id diagKeyID, b []byte, i int) (end int, ok bool) {
	if b[i] != '"' {
		return 0, false
	}
	end, ok = diagRawString(b, i)
	if !ok {
		return 0, false
	}
	inner := b[i+1 : end-1]
	p := d.p
	switch id {
	case kEvent:
		if len(inner) == 0 {
			return 0, false
		}
		rec.Event = p.sharedString(inner)
	case kWorker:
		rec.Worker = p.sharedString(inner)
	case kNodeID:
		rec.NodeID = p.nodeIDString(inner)
	case kOutcome:
		rec.Outcome = p.sharedString(inner)
	case kFixture:
		rec.Fixture = p.sharedString(inner)
	case kScope:
		rec.Scope = p.sharedString(inner)
	case kPeakSource:
		rec.PeakSource = p.sharedString(inner)
	case kSchema:
		d.schema = string(inner)
	}
	return end, true
}

// diagRawString returns the end of the string at b[i] when it holds
// only printable ASCII and no escape: diagPlainString without escapes.
func diagRawString(b []byte, i int) (end int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	j := diagPlainRun(b, i+1)
	if j < len(b) && b[j] == '"' {
		return j + 1, true
	}
	return 0, false
}

// onePassNumber reads a number field. A number diagSmallInt or
// diagExactFloat reads, as most are, is converted from the digits met
// while checking it (diagFastInt, diagFastFloat); any other is checked by
// diagPlainNumber and left to the field's general decoder.
func (d *diagFieldDecoder) onePassNumber(rec *Record, id diagKeyID, b []byte, i int) (end int, ok bool) {
	switch id {
	case kTime, kDurationS, kBootTime, kMonotonic:
		f, end, ok := diagFastFloat(b, i)
		if !ok {
			if end, ok = diagPlainNumber(b, i); !ok {
				return 0, false
			}
			f = d.float(diagKnownKeys[id], b[i:end])
		}
		switch id {
		case kTime:
			rec.Time = f
		case kDurationS:
			rec.DurationS = f
		case kBootTime:
			rec.BootTime, rec.HasBootTime = f, true
		case kMonotonic:
			rec.Monotonic, rec.HasMonotonic = f, true
		}
		return end, true
	}
	n, end, ok := diagFastInt(b, i)
	if !ok || n < 0 || id == kPID && n >= 1<<31 {
		if end, ok = diagPlainNumber(b, i); !ok {
			return 0, false
		}
		if id == kPID {
			n = int64(d.int(diagKnownKeys[id], b[i:end]))
		} else {
			n = d.bytes(diagKnownKeys[id], b[i:end])
		}
	}
	switch id {
	case kPID:
		rec.PID = int(n)
	case kRSSBytes:
		rec.RSSBytes, rec.HasRSS = n, true
	case kRSSAnonBytes:
		rec.RSSAnonBytes, rec.HasRSSAnon = n, true
	case kPeakRSSBytes:
		rec.PeakRSSBytes, rec.HasPeak = n, true
	case kRSSBeforeBytes:
		rec.RSSBeforeBytes = n
	case kRSSAfterBytes:
		rec.RSSAfterBytes = n
	case kRSSAnonBeforeBytes:
		rec.RSSAnonBeforeBytes, rec.HasRSSAnonBefore = n, true
	}
	return end, true
}

// diagFastInt reads the JSON number at b[i] when it is -?[0-9]{1,18}
// without a leading zero: diagPlainNumber's end, diagSmallInt's value. ok
// is false for any other bytes, valid or not.
func diagFastInt(b []byte, i int) (n int64, end int, ok bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	end, m := diagDigits(b, i, 0)
	if digits := end - i; digits == 0 || digits > 18 || digits > 1 && b[i] == '0' {
		return 0, 0, false
	}
	if end < len(b) && (b[end] == '.' || b[end]|0x20 == 'e') {
		return 0, 0, false
	}
	n = int64(m)
	if neg {
		n = -n
	}
	return n, end, true
}

// diagFastFloat reads the JSON number at b[i] when it is
// -?(0|[1-9][0-9]*)(\.[0-9]+)? of at most 19 digits and point, its digits
// an integer below 2^53: diagPlainNumber's end, diagExactFloat's value. ok
// is false for any other bytes, valid or not.
func diagFastFloat(b []byte, i int) (f float64, end int, ok bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	point, end, m := diagFloatDigits(b, i)
	width := point - i
	if width == 0 || width > 1 && b[i] == '0' {
		return 0, 0, false
	}
	frac := 0
	if end > point {
		frac = end - point - 1
		if frac == 0 {
			return 0, 0, false
		}
		width += 1 + frac
	}
	if width > 19 || m >= 1<<53 || end < len(b) && b[end]|0x20 == 'e' {
		return 0, 0, false
	}
	f = float64(m)
	if frac > 0 {
		f /= diagPow10[frac]
	}
	if neg {
		f = -f
	}
	return f, end, true
}

// diagFloatDigits reads the digits at b[i:], and when a point follows
// them the digits after it, onto one integer m: point is the end of the
// first, end of the second (past the point), or point when no point
// follows. diagDigits' reading, without its loop and calls where the
// integer part is below 16 digits and the fraction below 8, as a record's
// times and durations are: there, reading a time took two calls of
// diagDigits, their loops, and as many instructions again as the digits'
// arithmetic. The words past the line's end read as zeros (diagWord),
// which end a run of digits there as diagDigits ends it.
func diagFloatDigits(b []byte, i int) (point, end int, m uint64) {
	if len(b) < 8 {
		return diagFloatDigitsLoop(b, i)
	}
	x := diagWord(b, i)
	n := diagDigitCount(x)
	if n < 8 {
		m = diagEightDigits(x << (64 - 8*uint(n))) // none: a shift by 64, 0
	} else {
		y := diagWord(b, i+8)
		k := diagDigitCount(y)
		if k == 8 {
			return diagFloatDigitsLoop(b, i)
		}
		n += k
		m = diagEightDigits(x)*diagPow10Int[k] + diagEightDigits(y<<(64-8*uint(k)))
	}
	point = i + n
	if point >= len(b) || b[point] != '.' {
		return point, point, m
	}
	y := diagWord(b, point+1)
	k := diagDigitCount(y)
	if k == 8 {
		end, m = diagDigits(b, point+1, m)
		return point, end, m
	}
	return point, point + 1 + k, m*diagPow10Int[k] + diagEightDigits(y<<(64-8*uint(k)))
}

// diagFloatDigitsLoop is diagFloatDigits by diagDigits.
func diagFloatDigitsLoop(b []byte, i int) (point, end int, m uint64) {
	point, m = diagDigits(b, i, 0)
	if point >= len(b) || b[point] != '.' {
		return point, point, m
	}
	end, m = diagDigits(b, point+1, m)
	return point, end, m
}

// diagDigitCount is the number of digits x starts with, its first byte
// the lowest (diagDigits' test).
func diagDigitCount(x uint64) int {
	t := ((x + 0x4646464646464646) | (x - 0x3030303030303030)) & 0x8080808080808080
	return bits.TrailingZeros64(t) / 8
}

// diagDigits reads the digits at b[i:] onto m (m*10 + digit each, wrapping
// past 19 digits) and returns their end. It reads eight bytes at a time:
// each record's figures are long runs of digits, and a byte loop was a
// tenth of BenchmarkStreamJob's instructions.
func diagDigits(b []byte, i int, m uint64) (end int, _ uint64) {
	for len(b)-i >= 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// The top bit of a byte of t is clear where x's is a digit (not
		// below '0', not past '9'), up to the first that is not: a carry
		// or a borrow goes up, from a byte that is not a digit.
		t := ((x + 0x4646464646464646) | (x - 0x3030303030303030)) & 0x8080808080808080
		n := bits.TrailingZeros64(t) / 8 // the digits, first the lowest byte
		if n == 0 {
			return i, m
		}
		if n < 8 {
			// The n digits to the top, zeros below them (as leading '0's:
			// diagEightDigits reads the low half of each byte).
			x <<= 64 - 8*n
		}
		m = m*diagPow10Int[n] + diagEightDigits(x)
		i += n
		if n < 8 {
			return i, m
		}
	}
	for i < len(b) && b[i]-'0' < 10 {
		m = m*10 + uint64(b[i]-'0')
		i++
	}
	return i, m
}

// diagEightDigits is the number eight ASCII digits write, the first in the
// lowest byte of x: pairs, fours, then all eight, by multiplying
// (simdjson's parse_eight_digits_unrolled).
func diagEightDigits(x uint64) uint64 {
	x = (x & 0x0F0F0F0F0F0F0F0F) * (10<<8 + 1) >> 8
	x = (x & 0x00FF00FF00FF00FF) * (100<<16 + 1) >> 16
	return (x & 0x0000FFFF0000FFFF) * (10000<<32 + 1) >> 32
}

// diagPow10Int is 10^n for n digits read at once.
var diagPow10Int = [9]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// sharedString is shared's reading of the bytes of a string without
// escapes, valid UTF-8: equal values share one string.
func (p *diagParser) sharedString(inner []byte) string {
	if s, ok := diagCommonValue(unsafe.String(unsafe.SliceData(inner), len(inner))); ok {
		return s
	}
	if len(inner) > 64 {
		return string(inner)
	}
	if s, ok := p.strs[string(inner)]; ok {
		return s
	}
	s := string(inner)
	if len(p.strs) < 256 {
		if p.strs == nil {
			p.strs = make(map[string]string)
		}
		p.strs[s] = s
	}
	return s
}

// nodeIDString is nodeID's reading of the bytes of a node id without
// escapes, valid UTF-8: one equal to the last record's shares its string.
func (p *diagParser) nodeIDString(inner []byte) string {
	if string(inner) == p.lastNodeID {
		return p.lastNodeID
	}
	s := p.slab.string(inner)
	p.lastNodeID, p.lastNodePlain = s, true
	return s
}
