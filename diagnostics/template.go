package diagnostics

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// A writer of JSON Lines writes every record of an event with the same
// keys in the same order, spaced the same way: the plugin's test_start
// and test_end lines differ only in their values. byTemplates reads such
// a line by the last line of the same event that onePass read (its
// template): the bytes between two values, a comma, a key, a colon and
// any spaces, are compared with the template's in a few words at once,
// and each value is read as onePass reads it (onePassValue). onePass
// found each key, then skipped white space, then checked for a comma or
// the closing brace, field after field (BenchmarkStreamJobInPlace, under
// cachegrind: 2.46M to 2.11M instructions an op). And many values repeat
// from line to line (the pid always, the RSS between tests mostly): a
// value of the same bytes as the last time, compared with the bytes after
// it in the same words, sets what reading it set then, where reading a
// figure took some 150 instructions (2.11M to 1.87M).
//
// The record is the one onePass gives: onePass's reading of the bytes
// between two values depends on those bytes alone (a value never starts
// with white space, which no value reader takes), both read each value
// with the same reader at the same place, and a reader's result depends
// on the value's bytes and the one after it alone. TestOnePassAgrees,
// TestTemplatesAgree and FuzzOnePass hold it to the general path.

// diagTemplateFields bounds the fields of a line a template is made of
// (diagShape's length).
const diagTemplateFields = 16

// diagTemplate is a line onePass read, but for its values: head, the
// bytes before the first value it reads (with the event's when the event
// comes first: the template of a test_end line starts
// `{"event":"test_end","time":`), then each field's key and the bytes
// from its value's end to the next value's start, or to the line's end.
type diagTemplate struct {
	head  diagLiteral         // 32 bytes at most
	event string              // the event head holds, "" when a field reads it
	field []diagTemplateField // the fields read after head
}

type diagTemplateField struct {
	after diagLiteral // up to the next value, or the line's end
	// whole is the value's bytes on a line the template read, then
	// after's, and val what reading them set, for a field whose reading
	// sets a figure or a string of the record and nothing else (keeps:
	// diagValue.kept); whole.n is 0 for none. missed counts the lines
	// since whole was last met: a value that changes on every line (a
	// time) is kept again only every eighth line, and not compared in
	// between.
	whole  diagLiteral
	val    diagValue
	name   string // an unknown key's (onePassExtra's)
	missed int32
	id     diagKeyID
	keeps  bool
}

// diagSpan is where a value of the line onePass read is, and its key's
// name when unknown: what buildTemplate makes a template of.
type diagSpan struct {
	start, end int
	name       string
}

// diagLiteral is up to 32 bytes of a line, as four little-endian words
// and masks that keep only its bytes (as diagKeyPattern).
type diagLiteral struct {
	w, mask [4]uint64
	n       int
}

// diagLiteralOf is the literal of b, at most 32 bytes.
func diagLiteralOf(b []byte) (l diagLiteral) {
	l.n = len(b)
	if len(b) < 8 {
		for j, c := range b {
			l.w[0] |= uint64(c) << (8 * j)
		}
		l.mask[0] = ^uint64(0) >> (64 - 8*uint(len(b)))
		return l
	}
	for k := range l.w {
		l.mask[k] = ^uint64(0) >> (64 - 8*uint(min(max(len(b)-8*k, 0), 8))) // none: a shift by 64
		l.w[k] = diagWord(b, 8*k) & l.mask[k]
	}
	return l
}

// at reports whether b[i:] starts with the literal: its words compared
// under masks, those past the line's end read as zeros (diagWord).
func (l *diagLiteral) at(b []byte, i int) bool {
	if len(b)-i >= 32 {
		return l.atWords(b[i : i+32 : i+32])
	}
	if len(b)-i < l.n || len(b) < 8 {
		return false
	}
	return (diagWord(b, i)^l.w[0])&l.mask[0]|
		(diagWord(b, i+8)^l.w[1])&l.mask[1]|
		(diagWord(b, i+16)^l.w[2])&l.mask[2]|
		(diagWord(b, i+24)^l.w[3])&l.mask[3] == 0
}

// atWords is at of w, 32 bytes of a line. byTemplate calls it where it
// can, inlined.
func (l *diagLiteral) atWords(w []byte) bool {
	return (binary.LittleEndian.Uint64(w)^l.w[0])&l.mask[0]|
		(binary.LittleEndian.Uint64(w[8:])^l.w[1])&l.mask[1]|
		(binary.LittleEndian.Uint64(w[16:])^l.w[2])&l.mask[2]|
		(binary.LittleEndian.Uint64(w[24:])^l.w[3])&l.mask[3] == 0
}

// diagWord is the eight bytes of b from j as a little-endian word, zeros
// for those past its end (b holds eight bytes at least, j is not
// negative): where fewer are left, the last eight of b shifted down (by
// 64 bits or more, to zero, from past its end).
func diagWord(b []byte, j int) uint64 {
	if j <= len(b)-8 {
		return binary.LittleEndian.Uint64(b[j:])
	}
	return binary.LittleEndian.Uint64(b[len(b)-8:]) >> (8 * uint(j-(len(b)-8)))
}

// buildTemplate makes the template of the events of slot (diagShapeSlot)
// of b, the line onePass just read into p.scratch, whose n values p.spans
// holds: each line onePass reads is the template of the next of its
// event, unless a literal of it is longer than a diagLiteral.
func (p *diagParser) buildTemplate(slot int, b []byte, n int) {
	if n > diagTemplateFields {
		p.templates[slot] = nil
		return
	}
	first := 0
	if p.keys[0] == kEvent {
		first = 1 // the event is in the head
	}
	headN := len(b) // a line of its event alone is all head
	if first < n {
		headN = p.spans[first].start
	}
	ok := headN <= 32 && first < n
	for k := first; ok && k < n; k++ {
		next := len(b)
		if k+1 < n {
			next = p.spans[k+1].start
		}
		ok = next-p.spans[k].end <= 32
	}
	if !ok {
		p.templates[slot] = nil
		return
	}
	t := p.templates[slot]
	if t == nil {
		t = new(diagTemplate)
		p.templates[slot] = t
	}
	t.head = diagLiteralOf(b[:headN])
	t.event = ""
	if first == 1 {
		t.event = p.scratch.Event
	}
	if cap(t.field) < n-first {
		t.field = make([]diagTemplateField, n-first)
	}
	t.field = t.field[:n-first]
	for k := first; k < n; k++ {
		next := len(b)
		if k+1 < n {
			next = p.spans[k+1].start
		}
		f := &t.field[k-first]
		f.id, f.name = p.keys[k], p.spans[k].name
		f.after = diagLiteralOf(b[p.spans[k].end:next])
		f.missed, f.keeps = 0, f.val.kept(&p.scratch, f.id)
		f.keep(&p.scratch, b[p.spans[k].start:next])
	}
}

// byTemplates reads b as the template of the event expected next (the
// one that followed the last line's the last time), or else of another.
// It reports false having handed nothing over when none fits, and onePass
// reads the line.
func (p *diagParser) byTemplates(b []byte, line int) bool {
	last := p.lastSlot
	next := p.follows[last]
	if t := p.templates[next]; t != nil && p.byTemplate(t, b, line) {
		p.lastSlot = next
		return true
	}
	for slot, t := range p.templates {
		if slot != next && t != nil && p.byTemplate(t, b, line) {
			p.follows[last], p.lastSlot = slot, slot
			return true
		}
	}
	return false
}

// byTemplate reads b by the template t: its head, then each value and
// the bytes after it, to the line's end, as onePass reads them; a value
// of the same bytes as on the line whole was kept from sets what it set
// then, without being read again.
func (p *diagParser) byTemplate(t *diagTemplate, b []byte, line int) bool {
	if len(b) >= 32 && !t.head.atWords(b[:32:32]) || len(b) < 32 && !t.head.at(b, 0) {
		return false
	}
	rec := &p.scratch
	*rec = Record{Line: line, Event: t.event}
	p.members = p.members[:0]
	p.onePassSchema = ""
	var keep uint32 // bit k: field k's value and after are to be kept
	i := t.head.n
	for k := range t.field {
		f := &t.field[k]
		if f.whole.n != 0 {
			if len(b)-i >= 32 && f.whole.atWords(b[i:i+32:i+32]) || len(b)-i < 32 && f.whole.at(b, i) {
				f.val.set(rec, f.id)
				f.missed = 0
				i += f.whole.n
				continue
			}
		}
		end, ok := p.onePassQuick(rec, f.id, b, i) // false for any other field
		if !ok {
			end, ok = p.onePassValue(rec, f.id, f.name, b, i, line)
		}
		if !ok {
			return false
		}
		if len(b)-end >= 32 {
			ok = f.after.atWords(b[end : end+32 : end+32])
		} else {
			ok = f.after.at(b, end)
		}
		if !ok {
			return false
		}
		if f.keeps {
			// Kept again when it was met the line before, and on every
			// eighth line; not compared in between.
			if f.missed++; f.missed == 1 || f.missed%8 == 0 {
				keep |= 1 << k
				p.spans[k].start, p.spans[k].end = i, end+f.after.n
			} else {
				f.whole.n = 0
			}
		}
		i = end + f.after.n
	}
	if i != len(b) || rec.Event == "" {
		return false
	}
	for ; keep != 0; keep &= keep - 1 {
		k := bits.TrailingZeros32(keep)
		t.field[k].keep(rec, b[p.spans[k].start:p.spans[k].end])
	}
	p.emit(rec, p.onePassSchema, p.members, line, false)
	return true
}

// keep makes v, the bytes of the field's value read into rec and of its
// after, whole, when they are at most 32 and the value is one kept.
func (f *diagTemplateField) keep(rec *Record, v []byte) {
	f.whole.n = 0
	if len(v) <= 32 && f.val.kept(rec, f.id) {
		f.whole = diagLiteralOf(v)
	}
}

// diagValue is what reading a value set in a record: a figure (its bits),
// a string, a flag.
type diagValue struct {
	u   uint64
	s   string
	has bool
}

// kept takes the value of the field id from rec and reports true when id
// is a field whose reading sets those of rec and nothing else: the
// figures of a plugin's lines and their short strings. Reading a node id
// also sets the parser's last one, the schema its schema, the open
// objects a map: those are read again each line.
func (v *diagValue) kept(rec *Record, id diagKeyID) bool {
	switch id {
	case kTime:
		v.u = math.Float64bits(rec.Time)
	case kDurationS:
		v.u = math.Float64bits(rec.DurationS)
	case kPID:
		v.u = uint64(rec.PID)
	case kRSSBytes:
		v.u, v.has = uint64(rec.RSSBytes), rec.HasRSS
	case kRSSAnonBytes:
		v.u, v.has = uint64(rec.RSSAnonBytes), rec.HasRSSAnon
	case kPeakRSSBytes:
		v.u, v.has = uint64(rec.PeakRSSBytes), rec.HasPeak
	case kWorker:
		v.s = rec.Worker
	case kOutcome:
		v.s = rec.Outcome
	case kPeakSource:
		v.s = rec.PeakSource
	default:
		return false
	}
	return true
}

// set sets the field id of rec to the value kept.
func (v *diagValue) set(rec *Record, id diagKeyID) {
	switch id {
	case kTime:
		rec.Time = math.Float64frombits(v.u)
	case kDurationS:
		rec.DurationS = math.Float64frombits(v.u)
	case kPID:
		rec.PID = int(v.u)
	case kRSSBytes:
		rec.RSSBytes, rec.HasRSS = int64(v.u), v.has
	case kRSSAnonBytes:
		rec.RSSAnonBytes, rec.HasRSSAnon = int64(v.u), v.has
	case kPeakRSSBytes:
		rec.PeakRSSBytes, rec.HasPeak = int64(v.u), v.has
	case kWorker:
		rec.Worker = v.s
	case kOutcome:
		rec.Outcome = v.s
	case kPeakSource:
		rec.PeakSource = v.s
	}
}
