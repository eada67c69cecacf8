package diagnostics

import "encoding/binary"

// A writer of JSON Lines writes every record of an event with the same
// keys in the same order, spaced the same way: the plugin's test_start
// and test_end lines differ only in their values. byTemplates reads such
// a line by the last line of the same event that onePass read (its
// template): the bytes between two values, a comma, a key, a colon and
// any spaces, are compared with the template's in a few words at once,
// and each value is read as onePass reads it (onePassValue). onePass
// found each key, then skipped white space, then checked for a comma or
// the closing brace, field after field: those steps were a third of
// BenchmarkStreamJobInPlace's instructions.
//
// The record is the one onePass gives: onePass's reading of the bytes
// between two values depends on those bytes alone (a value never starts
// with white space, which no value reader takes), and both read each
// value with the same reader at the same place. TestOnePassAgrees,
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
	head  [2]diagLiteral // 48 bytes at most
	headN int
	event string // the event head holds, "" when a field reads it
	n     int    // fields read after head
	field [diagTemplateFields]diagTemplateField
}

type diagTemplateField struct {
	id    diagKeyID
	name  string      // an unknown key's (onePassExtra's)
	after diagLiteral // up to the next value, or the line's end
}

// diagSpan is where a value of the line onePass read is, and its key's
// name when unknown: what buildTemplate makes a template of.
type diagSpan struct {
	start, end int
	name       string
}

// diagLiteral is up to 24 bytes of a line, as three little-endian words
// and masks that keep only its bytes (as diagKeyPattern).
type diagLiteral struct {
	w, mask [3]uint64
	n       int
}

// diagLiteralOf is the literal of b, at most 24 bytes.
func diagLiteralOf(b []byte) (l diagLiteral) {
	l.n = len(b)
	for j, c := range b {
		l.w[j/8] |= uint64(c) << (8 * (j % 8))
		l.mask[j/8] |= 0xFF << (8 * (j % 8))
	}
	return l
}

// at reports whether b[i:] starts with the literal: its words compared
// under masks where 24 bytes are left, byte by byte where fewer are (a
// line's last bytes).
func (l *diagLiteral) at(b []byte, i int) bool {
	if len(b)-i >= 24 {
		return l.atWords(b[i : i+24 : i+24])
	}
	if len(b)-i < l.n {
		return false
	}
	for j := range l.n {
		if b[i+j] != byte(l.w[j/8]>>(8*(j%8))) {
			return false
		}
	}
	return true
}

// atWords is at of w, 24 bytes of a line. byTemplate calls it where it
// can, inlined.
func (l *diagLiteral) atWords(w []byte) bool {
	return (binary.LittleEndian.Uint64(w)^l.w[0])&l.mask[0]|
		(binary.LittleEndian.Uint64(w[8:])^l.w[1])&l.mask[1]|
		(binary.LittleEndian.Uint64(w[16:])^l.w[2])&l.mask[2] == 0
}

// buildTemplate makes the template of the events of slot (diagShapeSlot)
// of b, the line onePass just read, whose n values p.spans holds: each
// line onePass reads is the template of the next of its event, unless a
// literal of it is longer than the template holds.
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
		headN = int(p.spans[first].start)
	}
	ok := headN <= 48 && first < n
	for k := first; ok && k < n; k++ {
		next := len(b)
		if k+1 < n {
			next = int(p.spans[k+1].start)
		}
		ok = next-int(p.spans[k].end) <= 24
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
	t.headN = headN
	t.head[0] = diagLiteralOf(b[:min(headN, 24)])
	t.head[1] = diagLiteralOf(b[min(headN, 24):headN])
	t.event = ""
	if first == 1 {
		t.event = p.scratch.Event
	}
	t.n = n - first
	for k := first; k < n; k++ {
		next := len(b)
		if k+1 < n {
			next = int(p.spans[k+1].start)
		}
		f := &t.field[k-first]
		f.id, f.name = p.keys[k], p.spans[k].name
		f.after = diagLiteralOf(b[p.spans[k].end:next])
	}
}

// byTemplates reads b as the template of the event expected next (the
// one that followed the last line's the last time), or else of another.
// It reports false having handed nothing over when none fits, and onePass
// reads the line.
func (p *diagParser) byTemplates(b []byte, line int) bool {
	first := p.follows[p.lastSlot]
	for k := range len(p.templates) {
		slot := (first + k) % len(p.templates)
		if t := p.templates[slot]; t != nil && p.byTemplate(t, b, line) {
			p.follows[p.lastSlot], p.lastSlot = slot, slot
			return true
		}
	}
	return false
}

// byTemplate reads b by the template t: its head, then each value and
// the bytes after it, to the line's end, as onePass reads them.
func (p *diagParser) byTemplate(t *diagTemplate, b []byte, line int) bool {
	if !t.head[0].at(b, 0) || t.headN > 24 && !t.head[1].at(b, 24) {
		return false
	}
	rec := &p.scratch
	*rec = Record{Line: line, Event: t.event}
	p.members = p.members[:0]
	p.onePassSchema = ""
	i := t.headN
	for k := range t.field[:t.n] {
		f := &t.field[k]
		end, ok := p.onePassQuick(rec, f.id, b, i) // false for any other field
		if !ok {
			end, ok = p.onePassValue(rec, f.id, f.name, b, i, line)
		}
		if !ok {
			return false
		}
		if len(b)-end >= 24 {
			ok = f.after.atWords(b[end : end+24 : end+24])
		} else {
			ok = f.after.at(b, end)
		}
		if !ok {
			return false
		}
		i = end + f.after.n
	}
	if i != len(b) || rec.Event == "" {
		return false
	}
	p.emit(rec, p.onePassSchema, p.members, line, false)
	return true
}
