package pytestlog

import (
	"math/bits"
	"strings"
)

// The plain verbose result line, "nodeid WORD   [ NN%]", is most of a -v
// log (a batch job's pytest log is ~400 of them). Through logical's general
// path it passes the end-marker search, the stack reader, the header, xdist,
// separator and standalone-word checks before verboseLine reads it; a few
// string checks show that none of them can take it (plainResult), so it is
// read at once. BenchmarkParseVerbose measures it; TestPlainResult and
// FuzzPlainResult hold it to the general path (plainFastPath off).

// plainFastPath turns plainResult on; the agreement tests turn it off to
// get the general path's answer.
var plainFastPath = true

// plainLine is a line of the plain shape: id (in file), a space, a result
// word, and a tail progressOf reads (spaces and a progress indicator, no
// reason); verboseResult takes any -v result in this form.
type plainLine struct {
	id, file, word   string
	pct, done, total string
}

// splitPlain reads line as "id WORD[ spaces][progress]" into pl, where id
// holds no space, holds "::" and starts with a byte no other reader of
// logical takes a line by (a lower-case letter, digit, '_', '.' or '/'),
// the line does not end in white space, and it holds no end-marker needle
// (plainNeedles.holds). memo, when not nil, is the id memo of the lines
// before (idMemo).
func splitPlain(line string, pl *plainLine, memo *idMemo) bool {
	sp := strings.IndexByte(line, ' ')
	if sp <= 0 || !isPlainIDStart(line[0]) || isSpaceRE(line[len(line)-1]) || line[len(line)-1] == '\v' {
		return false
	}
	pl.id = line[:sp]
	pl.word = wordAt(line[sp+1:])
	if pl.word == "" {
		return false
	}
	var ok bool
	if pl.pct, pl.done, pl.total, ok = progressOf(line[sp+1+len(pl.word):]); !ok {
		return false
	}
	colons, anchors := memo.read(pl.id)
	if colons < 0 || anchors && plainNeedles.inIDHolds(pl.id) || plainNeedles.crossHolds(pl.id, line[sp:]) {
		return false
	}
	pl.file = pl.id[:colons]
	return true
}

func isPlainIDStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/'
}

// needleSites sorts the end-marker needles by where they can sit in a
// plain line id+tail (id holds no space, tail is " WORD" then only white
// space, brackets, digits, '%' and '/'):
//   - inID: needles with no space, which can lie inside id (one holding
//     another of them is left out: the other finds it), and anchors, the
//     bytes they are searched by;
//   - straddle: needles whose text before their first space can end id and
//     whose rest, from that space, can start the tail (its byte after the
//     space starts a result word);
//   - inTail: needles made only of bytes a tail holds.
//
// A needle with a space cannot lie inside id, and can only cross into the
// tail at its first space (the text before it lies in id), so a plain line
// holds a needle only if holds finds one of these.
type needleSites struct {
	inID     []anchoredNeedle
	anchors  byteSet
	straddle [][2]string
	inTail   []string
	// straddleEnd holds the last bytes of straddle's first parts (every
	// byte when one is empty): an id that ends otherwise straddles none.
	straddleEnd [256]bool
}

// plainNeedles are the sites of markerRules' needles.
var plainNeedles = newNeedleSites(markerRules)

func newNeedleSites(rules []markerRule) needleSites {
	var n needleSites
	var noSpace []string
	for _, r := range rules {
		s := r.needle
		if onlyTailBytes(s) {
			n.inTail = append(n.inTail, s)
		}
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			noSpace = append(noSpace, s)
		} else if rest := s[sp:]; len(rest) == 1 || isWordStart(rest[1]) {
			n.straddle = append(n.straddle, [2]string{s[:sp], rest})
			for c := range n.straddleEnd {
				if sp == 0 || s[sp-1] == byte(c) {
					n.straddleEnd[c] = true
				}
			}
		}
	}
	for i, s := range noSpace {
		if !coveredBy(noSpace, i) {
			a := anchorOf(s)
			n.inID = append(n.inID, a)
			n.anchors = n.anchors.with(a.s[a.off])
		}
	}
	return n
}

// coveredBy reports whether needles[i] holds another of needles (or equals
// one before it): a line holding it holds that one.
func coveredBy(needles []string, i int) bool {
	for j, o := range needles {
		if j != i && strings.Contains(needles[i], o) && (needles[i] != o || j < i) {
			return true
		}
	}
	return false
}

// holds reports whether the plain line id+tail holds an end-marker needle,
// in which case findEndMarker may find a marker in it.
func (n *needleSites) holds(id, tail string) bool {
	return n.anchors.in(id) && n.inIDHolds(id) || n.crossHolds(id, tail)
}

// inIDHolds reports whether id holds one of the needles of inID.
func (n *needleSites) inIDHolds(id string) bool {
	for _, a := range n.inID {
		if a.in(id) {
			return true
		}
	}
	return false
}

// crossHolds reports whether a needle of straddle or inTail lies in id+tail.
func (n *needleSites) crossHolds(id, tail string) bool {
	// id's last byte first: the calls that compare each part were a third
	// of holds's cost.
	if id == "" || n.straddleEnd[id[len(id)-1]] {
		for _, s := range n.straddle {
			if strings.HasPrefix(tail, s[1]) && strings.HasSuffix(id, s[0]) {
				return true
			}
		}
	}
	for _, s := range n.inTail {
		if strings.Contains(tail, s) {
			return true
		}
	}
	return false
}

// idMemo remembers the last plain node id whose bytes hold none of
// plainNeedles' anchors, and where its "::" is. Consecutive node ids share
// a long prefix (the file, the class, the test's name before its
// parameters: 34 of the 44 bytes of a batch job's ids), and the bytes of
// that prefix need no second look: finding the prefix reads eight bytes at a
// time, which costs less than the anchor search and indexColons it spares
// (half of splitPlain's cost in BenchmarkParseJob).
type idMemo struct {
	id     string
	colons int
}

// read returns indexColons(id) and plainNeedles.anchors.in(id); m may be
// nil. With c the length of the prefix id shares with m.id:
// plainNeedles.anchors.in(id[:c]) is false, as it was for m.id, so only
// id[c:] is searched; and a "::" that m.id has at m.colons, inside that
// prefix, is id's first as well (one before it would lie in the prefix,
// and so in m.id).
func (m *idMemo) read(id string) (colons int, anchors bool) {
	if m == nil {
		return indexColons(id), plainNeedles.anchors.in(id)
	}
	c := commonPrefix(m.id, id)
	if m.colons >= 0 && m.colons+2 <= c {
		colons = m.colons
	} else {
		colons = indexColons(id)
	}
	anchors = plainNeedles.anchors.in(id[c:])
	if !anchors && colons >= 0 {
		m.id, m.colons = id, colons
	}
	return colons, anchors
}

// commonPrefix is the length of the longest common prefix of a and b,
// compared eight bytes at a time.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := load64(a[i:i+8]) ^ load64(b[i:i+8]); x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// load64 is the first eight bytes of s (at least eight) as a little-endian
// word. s is cut to them first, so that one bounds check covers the eight
// reads and the compiler makes them one.
func load64(s string) uint64 {
	s = s[:8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// anchoredNeedle is a needle and the offset of its byte least likely in a
// node id, which is searched for first (strings.Index of a short needle in
// an id cost more than the rest of a plain line's reading).
type anchoredNeedle struct {
	s   string
	off int
}

// idByteRank orders bytes from the most to the least common in node ids;
// bytes it does not hold (capitals, '#') are the rarest.
const idByteRank = "etsa_o/.:-[]0123456789rinmpcdluhfgywbvkxjqz"

func anchorOf(s string) anchoredNeedle {
	best, bestRank := 0, -1
	for i := 0; i < len(s); i++ {
		r := strings.IndexByte(idByteRank, s[i])
		if r < 0 {
			r = len(idByteRank)
		}
		if r > bestRank {
			best, bestRank = i, r
		}
	}
	return anchoredNeedle{s: s, off: best}
}

// in reports whether s holds the needle.
func (a anchoredNeedle) in(s string) bool {
	c := a.s[a.off]
	for from := a.off; from < len(s); {
		j := strings.IndexByte(s[from:], c)
		if j < 0 {
			return false
		}
		j += from
		if strings.HasPrefix(s[j-a.off:], a.s) {
			return true
		}
		from = j + 1
	}
	return false
}

// byteSet is up to four bytes searched for together, eight bytes of a
// string at a time: an IndexByte call per anchor was half of splitPlain's
// time in BenchmarkParseVerbose, most of it call overhead on a short node id.
type byteSet struct {
	n     int
	bytes [4]byte
	// words holds each byte repeated in the eight bytes of a word; unused
	// ones repeat the first byte.
	words [4]uint64
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// with adds c; past four bytes, the set holds every byte (in is always
// true), which keeps it a necessary condition.
func (b byteSet) with(c byte) byteSet {
	for i := 0; i < b.n && i < len(b.bytes); i++ {
		if b.bytes[i] == c {
			return b
		}
	}
	if b.n < len(b.bytes) {
		b.bytes[b.n] = c
	}
	b.n++
	for i := range b.words {
		k := i
		if k >= b.n {
			k = 0
		}
		b.words[i] = lowBits * uint64(b.bytes[k])
	}
	return b
}

// in reports whether s holds a byte of b.
func (b *byteSet) in(s string) bool {
	if b.n == 0 {
		return false
	}
	if b.n > len(b.bytes) {
		return true
	}
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			for k := 0; k < b.n; k++ {
				if s[i] == b.bytes[k] {
					return true
				}
			}
		}
		return false
	}
	for i := 0; i < len(s); i += 8 {
		// the last word is the last eight bytes, overlapping the one before
		i = min(i, len(s)-8)
		if b.inWord(uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56) {
			return true
		}
	}
	return false
}

// inWord reports whether one of the eight bytes of w is in b: a zero byte
// of w^words[k] is a byte equal to bytes[k], and (x-lowBits)&^x&highBits is
// non-zero exactly when x has a zero byte.
func (b *byteSet) inWord(w uint64) bool {
	x0, x1, x2, x3 := w^b.words[0], w^b.words[1], w^b.words[2], w^b.words[3]
	return ((x0-lowBits)&^x0|(x1-lowBits)&^x1|(x2-lowBits)&^x2|(x3-lowBits)&^x3)&highBits != 0
}

// onlyTailBytes reports whether s is made only of bytes a plain line's tail
// can hold.
func onlyTailBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isSpaceRE(c) || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("[]%/", c) >= 0) {
			return false
		}
	}
	return true
}

// plainResult reads line when it is a plain verbose result line in a state
// where the general path would give it to verboseLine's result branch and
// nothing else: a -v session under way (not xdist, not in the terminal
// summary, not complete, no stack dump being read), no collection list.
// It reports whether it read the line. On such a line the general path's
// checks all fail: no hook trace ("[hook]" ending), no "##[" command, no
// end-marker needle, no session start, node-down, header, xdist or
// separator line (each needs a space, a '[', '=' or '#' where id has none),
// no standalone word or live-log line (the line starts with id), and
// lastWord finds the word after id (the tail holds no word start).
func (p *parser) plainResult(line string) bool {
	st := p.cur
	if !plainFastPath || st == nil || st.section != "" || st.s.Complete || st.stack.reading || st.xdist ||
		(st.s.Mode != ModeVerbose && st.s.Mode != "") || p.collect.n > 0 {
		return false
	}
	var pl plainLine
	if !splitPlain(line, &pl, &p.idMemo) {
		return false
	}
	p.lastText, p.lastTextLine, p.lastRecognised = line, p.lineNo, true
	p.verboseResult(st, &pl, "")
	return true
}
