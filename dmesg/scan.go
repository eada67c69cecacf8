package dmesg

import "bytes"

// scanner finds the next needle (see needles) in the reader's buffer, so
// that the line loop can skip the lines no record needs. Each needle is
// searched for by its rarest byte in the input's first block, with
// bytes.IndexByte; needles whose rarest byte is the same share the
// search. This is the one fast path of the package: see the package
// comment (Speed) for the benchmark that needs it.
type scanner struct {
	groups []scanGroup
	fills  int // the reader's fill count the cached hits belong to
}

// scanGroup is the needles searched for by one byte.
type scanGroup struct {
	b       byte
	needles []scanNeedle
	// next is the first needle start at or after the last search's start,
	// or, when there is none before the search's end to, that end; -1 when
	// not known.
	next, to int
}

type scanNeedle struct {
	s []byte
	k int // offset of the group's byte in s
}

// newScanner chooses each needle's search byte from the byte counts of
// sample.
func newScanner(sample []byte) *scanner {
	var freq [256]int
	for _, c := range sample {
		freq[c]++
	}
	sc := &scanner{fills: -1}
	for _, nd := range needleBytes {
		k := 0
		for j, c := range nd {
			if freq[c] < freq[nd[k]] {
				k = j
			}
		}
		g := 0
		for g < len(sc.groups) && sc.groups[g].b != nd[k] {
			g++
		}
		if g == len(sc.groups) {
			sc.groups = append(sc.groups, scanGroup{b: nd[k], next: -1})
		}
		sc.groups[g].needles = append(sc.groups[g].needles, scanNeedle{s: nd, k: k})
	}
	return sc
}

// find returns the start of the first needle in buf[from:to], or -1.
// fills identifies the buffer's contents: hits found for other contents
// are forgotten.
func (sc *scanner) find(buf []byte, from, to, fills int) int {
	if fills != sc.fills {
		sc.fills = fills
		for g := range sc.groups {
			sc.groups[g].next = -1
		}
	}
	best := -1
	for gi := range sc.groups {
		g := &sc.groups[gi]
		if g.next < from || g.next == g.to && g.to < to {
			g.next, g.to = g.search(buf, from, to), to
		}
		if g.next < to && (best < 0 || g.next < best) {
			best = g.next
		}
	}
	return best
}

// search returns the first start of one of g's needles in buf[from:to],
// or to when there is none.
func (g *scanGroup) search(buf []byte, from, to int) int {
	at := from
	for {
		i := bytes.IndexByte(buf[at:to], g.b)
		if i < 0 {
			return to
		}
		at += i
		for _, nd := range g.needles {
			st := at - nd.k
			if st >= from && st+len(nd.s) <= to && bytes.Equal(buf[st:st+len(nd.s)], nd.s) {
				return st
			}
		}
		at++
	}
}
