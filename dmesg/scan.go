package dmesg

import (
	"bytes"
	"math/bits"
	"slices"
	"sync"
)

// scanner finds the needles (see needles) in the reader's buffer, so that
// the line loop can skip the lines no record needs. It searches the whole
// lines of a block once, with bytes.IndexByte for each of a few search
// bytes, and keeps the needle starts it found (hits) until the buffer
// holds other data. This is the one fast path of the package: see
// the package comment (Speed) for the benchmark that needs it.
type scanner struct {
	groups []scanGroup
	// hits are the needle starts in buf[from:to], ascending, of the
	// buffer contents numbered fills; hits[next:] are those not passed.
	hits            []int
	next            int
	from, to, fills int
	// halvesBytes: ranges at least this long are searched in two halves
	// at once (see scan); 0: none.
	halvesBytes int
	hits2       []int // the second half's
}

// scanGroup is the needles searched for by one byte.
type scanGroup struct {
	b       byte
	needles []scanNeedle
}

type scanNeedle struct {
	s []byte
	k int // offset of the group's byte in s (its first)
	// c is the offset of the byte next to it, checked before the whole
	// needle (most hits fail there).
	c int
}

// passBytes: a pass of bytes.IndexByte over a block costs about as much
// as one hit (a call returning, a check of the needles around it) per
// passBytes of the block. Measured on 256 MiB of the log of
// scripts/bench-kernel.sh: searching 2 bytes with 19,500 hits per MiB
// cost the same CPU time as 7 bytes with 15,800 hits per MiB (a pass over
// a cache-sized piece runs at tens of GB/s, a hit costs 10–20 ns).
const passBytes = 1500

// newScanner chooses the search bytes from the byte counts of sample (the
// input's first block): a greedy set cover of the needles, each byte
// costing its count plus a pass, so that a few rare bytes share the
// needles (on the benchmark log: 6 bytes, ~10,000 hits per MiB).
func newScanner(sample []byte, halvesBytes int) *scanner {
	var freq [256]int
	for _, c := range sample {
		freq[c]++
	}
	pass := len(sample)/passBytes + 1
	var covered uint32 // bit i: needleBytes[i] has a search byte
	sc := &scanner{fills: -1, halvesBytes: halvesBytes}
	for covered != 1<<len(needleBytes)-1 {
		best, bestN := 0, 0
		for c := range 256 {
			n := bits.OnesCount32(needlesHolding[c] &^ covered)
			if n > 0 && (bestN == 0 || (pass+freq[c])*bestN < (pass+freq[best])*n) {
				best, bestN = c, n
			}
		}
		g := scanGroup{b: byte(best)}
		for i, nd := range needleBytes {
			if needlesHolding[best]&^covered&(1<<i) != 0 {
				k := bytes.IndexByte(nd, g.b)
				c := k + 1
				if c == len(nd) {
					c = k - 1
				}
				g.needles = append(g.needles, scanNeedle{s: nd, k: k, c: c})
			}
		}
		covered |= needlesHolding[best]
		sc.groups = append(sc.groups, g)
	}
	return sc
}

// needlesHolding[c] has bit i set when needleBytes[i] holds byte c.
var needlesHolding = func() (m [256]uint32) {
	for i, nd := range needleBytes {
		for _, c := range nd {
			m[c] |= 1 << i
		}
	}
	return m
}()

// find returns the first needle start in buf[from:to], or -1. from is a
// line start, to the end of the buffer's whole lines; fills identifies
// the buffer's contents (see lineReader.fills): the hits of other
// contents are forgotten.
func (sc *scanner) find(buf []byte, from, to, fills int) int {
	if fills != sc.fills || from < sc.from || to != sc.to {
		sc.scan(buf, from, to)
		sc.fills = fills
	}
	for sc.next < len(sc.hits) && sc.hits[sc.next] < from {
		sc.next++
	}
	if sc.next < len(sc.hits) {
		return sc.hits[sc.next]
	}
	return -1
}

// scan finds every needle start in buf[from:to]. A large range is
// searched in two halves at once, the second on a goroutine of its own:
// each needle is found from its first search byte, which lies in one half
// only, and is checked against the whole range. The package comment
// (Speed) gives the benchmark that needs it.
func (sc *scanner) scan(buf []byte, from, to int) {
	sc.from, sc.to, sc.next = from, to, 0
	s := buf[from:to]
	mid := len(s)
	if sc.halvesBytes > 0 && len(s) >= sc.halvesBytes {
		mid = len(s) / 2
	}
	var wg sync.WaitGroup
	sc.hits2 = sc.hits2[:0]
	if mid < len(s) {
		wg.Add(1)
		go func() {
			sc.hits2 = sc.search(s, mid, len(s), from, sc.hits2)
			wg.Done()
		}()
	}
	sc.hits = sc.search(s, 0, mid, from, sc.hits[:0])
	wg.Wait()
	sc.hits = append(sc.hits, sc.hits2...)
	slices.Sort(sc.hits)
}

// search appends to hits base plus the start of each needle in s whose
// search byte is in s[at:end]. Every group searches a cache-sized piece
// before the next piece is read, so that the groups after the first read
// it from cache.
func (sc *scanner) search(s []byte, at, end, base int, hits []int) []int {
	for ; at < end; at += searchBytes {
		to := min(end, at+searchBytes)
		for gi := range sc.groups {
			hits = sc.groups[gi].findAll(s, at, to, base, hits)
		}
	}
	return hits
}

// findAll appends to hits base plus the start of each needle of g in s
// whose search byte is in s[at:end].
func (g *scanGroup) findAll(s []byte, at, end, base int, hits []int) []int {
	for {
		i := bytes.IndexByte(s[at:end], g.b)
		if i < 0 {
			return hits
		}
		at += i
		for _, nd := range g.needles {
			st := at - nd.k
			if st >= 0 && st+len(nd.s) <= len(s) && s[st+nd.c] == nd.s[nd.c] && bytes.Equal(s[st:st+len(nd.s)], nd.s) {
				hits = append(hits, base+st)
				break
			}
		}
		at++
	}
}
