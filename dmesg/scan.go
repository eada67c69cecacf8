package dmesg

import (
	"bytes"
	"math/bits"
	"slices"
)

// scanner finds the needles (see needles) in a block of input, so that
// the line loop can skip the lines no record needs. It searches the
// block once, with bytes.IndexByte for each of a few search bytes, and
// returns the lines holding a needle with their line numbers in the
// block (blockIndex). This is the package's fast path: see the package
// comment (Speed) for the benchmark that needs it. A scanner is not
// changed once made: the blockReader's goroutines share it.
type scanner struct {
	groups []scanGroup
}

// blockIndex is what the scanner found in a block of input.
type blockIndex struct {
	// hits are the lines holding a needle, ascending; a needle that
	// straddles the block's start or end is not found.
	hits []blockHit
	// newlines is the number of '\n' in the block; wholeEnd is the
	// offset just after the last one (0: none).
	newlines, wholeEnd int
	starts             []int // index's scratch: the needle starts
}

// blockHit is a line holding a needle: start is its offset in the block
// (0 also for a line begun before the block), lines the number of '\n'
// in the block before it.
type blockHit struct {
	start, lines int
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

// sampleBytes is how much of the first block newScanner counts when the
// block does not hold the whole input (see scanSample): the whole 64 KiB
// cost 30-40 µs, and the first 16 KiB choose the same bytes on the logs of
// scripts/bench-kernel.sh and bench-analyze.sh.
const sampleBytes = 16 << 10

// scanSample returns the part of the input's first block (first, which
// holds the whole input when whole is set) whose byte counts choose the
// scanner's search bytes: sampleBytes of it, or a sixteenth of a whole
// input. Counting costs more per byte than searching (~4.6 against ~1
// instruction per byte and search byte): on a batch job's pytest.log
// (38 KB, BenchmarkParseJobPytest) counting 16 KiB cost more than the
// search it tuned. The choice cannot change what Parse finds, only how
// fast: every needle is searched by one of the bytes, and the scanner
// finds the same lines whichever they are (TestScanChoiceFindsSameLines).
func scanSample(first []byte, whole bool) []byte {
	if whole {
		return first[:len(first)/smallSampleDiv]
	}
	return first[:min(len(first), sampleBytes)]
}

// smallSampleDiv: see scanSample.
const smallSampleDiv = 16

// newScanner chooses the search bytes from the byte counts of sample (see
// scanSample): a greedy set
// cover of the needles, each byte costing its count plus a pass, so that a
// few rare bytes share the needles (on the benchmark log: 6 bytes, ~10,000
// hits per MiB). Only the bytes of the needles are candidates (a greedy
// step over all 256 was a quarter of newScanner on a job's kernel log,
// BenchmarkParseJob).
func newScanner(sample []byte) *scanner {
	var freq [256]int
	for _, c := range sample {
		freq[c]++
	}
	pass := len(sample)/passBytes + 1
	var covered uint32 // bit i: needleBytes[i] has a search byte
	sc := &scanner{groups: make([]scanGroup, 0, len(needleBytes))}
	// every needle is in one group: the groups share one list
	all := make([]scanNeedle, 0, len(needleBytes))
	for covered != 1<<len(needleBytes)-1 {
		best, bestN := byte(0), 0
		for _, c := range needleByteSet {
			n := bits.OnesCount32(needlesHolding[c] &^ covered)
			if n > 0 && (bestN == 0 || (pass+freq[c])*bestN < (pass+freq[best])*n) {
				best, bestN = c, n
			}
		}
		g := scanGroup{b: best}
		first := len(all)
		for i, nd := range needleBytes {
			if needlesHolding[best]&^covered&(1<<i) != 0 {
				k := bytes.IndexByte(nd, g.b)
				c := k + 1
				if c == len(nd) {
					c = k - 1
				}
				all = append(all, scanNeedle{s: nd, k: k, c: c})
			}
		}
		g.needles = all[first:]
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

// needleByteSet holds each byte of the needles once.
var needleByteSet = func() (set []byte) {
	for c := range 256 {
		if needlesHolding[c] != 0 {
			set = append(set, byte(c))
		}
	}
	return set
}()

// index finds the lines of block that hold a needle, and counts its
// newlines, into idx. The search bytes are searched for in cache-sized
// pieces, every group over a piece before the next piece is read, so
// that the groups after the first read it from cache.
func (sc *scanner) index(block []byte, idx *blockIndex) {
	starts := idx.starts[:0]
	for at := 0; at < len(block); at += searchBytes {
		to := min(len(block), at+searchBytes)
		for gi := range sc.groups {
			starts = sc.groups[gi].findAll(block, at, to, starts)
		}
	}
	slices.Sort(starts)
	idx.starts = starts
	idx.hits = idx.hits[:0]
	prev, lines, lineStart := 0, 0, 0
	for _, st := range starts {
		seg := block[prev:st]
		if n := bytes.Count(seg, newline); n > 0 {
			lines += n
			lineStart = prev + bytes.LastIndexByte(seg, '\n') + 1
		}
		prev = st
		if len(idx.hits) == 0 || idx.hits[len(idx.hits)-1].start != lineStart {
			idx.hits = append(idx.hits, blockHit{start: lineStart, lines: lines})
		}
	}
	idx.newlines = lines + bytes.Count(block[prev:], newline)
	idx.wholeEnd = bytes.LastIndexByte(block, '\n') + 1
}

var newline = []byte{'\n'}

// findAll appends to hits the start of each needle of g in s whose
// search byte is in s[at:end].
func (g *scanGroup) findAll(s []byte, at, end int, hits []int) []int {
	for {
		i := bytes.IndexByte(s[at:end], g.b)
		if i < 0 {
			return hits
		}
		at += i
		for _, nd := range g.needles {
			st := at - nd.k
			if st >= 0 && st+len(nd.s) <= len(s) && s[st+nd.c] == nd.s[nd.c] && bytes.Equal(s[st:st+len(nd.s)], nd.s) {
				hits = append(hits, st)
				break
			}
		}
		at++
	}
}
