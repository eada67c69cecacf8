package dmesg

import (
	"bytes"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"sync"
)

const (
	// blockBytes is the read buffer of the fast path. Peak memory is about
	// this plus the events.
	blockBytes = 1 << 20
	// sampleBytes of the first block choose which byte of each needle to
	// search for (the rarest in this input).
	sampleBytes = 1 << 20
)

// Parse reads a kernel log (dmesg, kern.log, journalctl in any output
// format, /dev/kmsg) from r and returns its OOM events. A log with no OOM
// record is not an error: Events is empty. Binary input returns an error
// wrapping ErrBinary; a read error returns the events found so far and
// the error, both naming opts.Name and the line.
//
// Parse reads large blocks and searches them for the needles (see
// needles) with bytes.IndexByte on the rarest byte of each; only lines
// holding a needle, and every line while a record is open, go through
// the line parser. The result is exactly that of feeding every line
// (parseReference); tests check this on every sample and generated input.
func Parse(r io.Reader, opts Options) (*Log, error) {
	return parseFast(r, opts, defaultLimits)
}

// limits are the buffer sizes; tests shrink them to exercise block and
// long-line boundaries. blockBytes must be ≥ maxLineBytes.
type limits struct {
	blockBytes, maxLineBytes int
}

var defaultLimits = limits{blockBytes: blockBytes, maxLineBytes: maxLineBytes}

// blockPool recycles read buffers between Parse calls (a batch of small
// logs should not allocate 2 MiB each).
var blockPool = sync.Pool{New: func() any { b := make([]byte, blockBytes); return &b }}

func (l limits) sniff() int { return min(sniffBytes, l.maxLineBytes) }

func parseFast(r io.Reader, opts Options, lim limits) (*Log, error) {
	p := newParser(opts)
	p.maxLine = lim.maxLineBytes
	maxLine := lim.maxLineBytes

	// Two buffers: a goroutine reads the next block while this one is
	// searched. They go back to the pool only once the reader is done.
	var bufs [2][]byte
	pooled := lim.blockBytes == blockBytes
	for i := range bufs {
		if pooled {
			bufs[i] = *blockPool.Get().(*[]byte)
		} else {
			bufs[i] = make([]byte, lim.blockBytes)
		}
	}
	type chunk struct {
		b   []byte
		eof bool
		err error
	}
	full := make(chan chunk, 1)
	free := make(chan []byte, 2)
	done := make(chan struct{})
	readerDone := false
	defer func() {
		close(done)
		if pooled && readerDone {
			for i := range bufs {
				blockPool.Put(&bufs[i])
			}
		}
	}()
	free <- bufs[0]
	free <- bufs[1]
	go func() {
		for {
			var b []byte
			select {
			case b = <-free:
			case <-done:
				return
			}
			n, stalls := 0, 0
			var err error
			for n < len(b) && err == nil {
				var m int
				m, err = r.Read(b[n:])
				n += m
				if m == 0 && err == nil {
					if stalls++; stalls > 100 {
						err = io.ErrNoProgress
					}
				}
			}
			c := chunk{b: b[:n]}
			if err != nil {
				c.eof = true
				if err != io.EOF {
					c.err = err
				}
			}
			select {
			case full <- c:
			case <-done:
				return
			}
			if c.eof {
				return
			}
		}
	}()

	lineNo := 0
	// Lookback bookkeeping (see needles): p.ring holds the lines not taken
	// before this block's data; within the block, the lines not taken are
	// those after fedEnd (or after dataStart when none was taken here).
	var data []byte
	dataStart, fedEnd := 0, -1
	var back []ringLine
	// lookback returns what see() would feed before the needle line at
	// data[ls:]: the untaken lines before it, newest lookbackLines, within
	// lookbackBytes.
	lookback := func(ls, n int) []ringLine {
		from := dataStart
		if fedEnd >= 0 {
			from = fedEnd
		}
		back = back[:0]
		i := ls
		for len(back) < lookbackLines && i > from {
			st := from + bytes.LastIndexByte(data[from:i-1], '\n') + 1
			b := data[st : i-1]
			long := len(b) >= maxLine
			if long {
				b = b[:maxLine]
			}
			back = append(back, ringLine{raw: b, long: long})
			i = st
		}
		slices.Reverse(back)
		for k := range back {
			back[k].n = n - len(back) + k
		}
		if fedEnd < 0 && len(back) < lookbackLines {
			back = append(append([]ringLine(nil), p.ring...), back...)
		}
		return trimRing(back)
	}
	// take hands the line data[ls:le] (or, with ls < 0, the line carried
	// over from the last block) to the parser like see() does.
	take := func(ls, le int, b []byte, long bool) {
		lineNo++
		p.noteFirst(lineNo, b)
		if p.idle() && hasNeedle(b) {
			var lb []ringLine
			if ls < 0 {
				lb = p.ring
			} else {
				lb = lookback(ls, lineNo)
			}
			for _, l := range lb {
				p.push(l.n, l.raw, l.long, true)
			}
			p.ring = p.ring[:0]
			if ls >= 0 {
				fedEnd = ls // the lines before are dealt with
			}
		}
		if p.push(lineNo, b, long, false) {
			p.ring = p.ring[:0]
			if ls >= 0 {
				fedEnd = le + 1
			} else {
				fedEnd = dataStart
			}
			return
		}
		if ls < 0 {
			p.ring = trimRing(append(p.ring, ringLine{n: lineNo, raw: append([]byte(nil), b...), long: long}))
		}
	}
	// keepRing saves the untaken lines at the end of a block's complete
	// lines data[:end] into p.ring before the block is reused.
	//
	// The lines are copied into one of two arenas, in turn: after a
	// keepRing, p.ring refers to its arena (and to lines that take
	// appended, each a copy of its own), never to the other one, which the
	// next keepRing overwrites. Copying line by line made ~8 MB of garbage
	// per GiB of log, and with it more collections.
	var ringLines [2][]ringLine
	var ringBytes [2][]byte
	turn := 0
	keepRing := func(end, endLine int) {
		if end <= dataStart && fedEnd < 0 {
			return
		}
		lb := lookback(end, endLine+1)
		turn ^= 1
		lines, arena := ringLines[turn][:0], ringBytes[turn][:0]
		for _, l := range lb {
			at := len(arena)
			arena = append(arena, l.raw...)
			l.raw = arena[at:len(arena):len(arena)]
			lines = append(lines, l)
		}
		ringLines[turn], ringBytes[turn] = lines, arena
		p.ring = lines
	}
	// carry holds a line cut by the end of a block (at most maxLine bytes
	// of it; carryLen is its full length).
	var carry []byte
	carryLen, haveCarry := 0, false
	addCarry := func(b []byte) {
		if room := maxLine - len(carry); room > 0 {
			carry = append(carry, b[:min(len(b), room)]...)
		}
		carryLen += len(b)
		haveCarry = true
	}
	emitCarry := func() {
		take(-1, -1, carry, carryLen >= maxLine)
		carry, carryLen, haveCarry = carry[:0], 0, false
	}

	var sc scanner
	first := true
	var rerr error
	for {
		c := <-full
		data = c.b
		if first {
			first = false
			if err := sniff(opts.Name, data[:min(len(data), lim.sniff())]); err != nil {
				return nil, err
			}
			sc.init(data[:min(len(data), sampleBytes)])
		}
		pos := 0
		dataStart, fedEnd = 0, -1
		if haveCarry {
			nl := bytes.IndexByte(data, '\n')
			if nl < 0 {
				nl = len(data)
			}
			addCarry(data[:nl])
			if nl < len(data) {
				dataStart = nl + 1
				emitCarry()
				pos = nl + 1
			} else {
				pos = len(data)
				dataStart = pos
			}
		}
		end := pos + bytes.LastIndexByte(data[pos:], '\n') + 1
		scanned := false
		for pos < end {
			if p.firstContent == 0 || !p.idle() {
				nl := pos + bytes.IndexByte(data[pos:end], '\n')
				b := data[pos:nl]
				long := len(b) >= maxLine
				if long {
					b = b[:maxLine]
				}
				take(pos, nl, b, long)
				pos = nl + 1
				continue
			}
			if !scanned {
				sc.scan(data, pos, end)
				scanned = true
			}
			h := sc.nextHit(pos)
			if h < 0 {
				lineNo += bytes.Count(data[pos:end], []byte{'\n'})
				pos = end
				break
			}
			ls := pos + bytes.LastIndexByte(data[pos:h], '\n') + 1
			lineNo += bytes.Count(data[pos:ls], []byte{'\n'})
			pos = ls
			nl := pos + bytes.IndexByte(data[pos:end], '\n')
			b := data[pos:nl]
			long := len(b) >= maxLine
			if long {
				b = b[:maxLine]
			}
			take(pos, nl, b, long)
			pos = nl + 1
		}
		keepRing(end, lineNo)
		if pos < len(data) {
			addCarry(data[pos:])
		}
		if c.eof {
			readerDone = true
			if haveCarry {
				emitCarry() // last line without a newline
			}
			rerr = c.err
			break
		}
		free <- c.b[:cap(c.b)]
	}
	lg := p.finish(lineNo)
	if rerr != nil {
		return lg, fmt.Errorf("%s: line %d: %w", displayName(opts.Name), lineNo, rerr)
	}
	return lg, nil
}

// scanner finds the needles in a block. Every needle is searched for by
// one of its bytes with bytes.IndexByte; the bytes are chosen per input
// (from a sample of its first block) to need few passes with few false
// hits: a pass over a block costs about as much as sampleLen/passHits
// hits. Needles sharing a byte share the pass; a hit is first filtered by
// the byte next to it (a 256-entry table), then verified.
type scanner struct {
	groups []scanGroup
	hits   []int // verified needle starts in the current block, ascending
	next   int   // index into hits
	hits2  []int // second half's hits
}

type scanGroup struct {
	b       byte
	needles []scanNeedle
	// A hit passes the filter when the bytes around it could be those
	// around b in one of the needles (the union over needles; a needle
	// with b at its start or end allows any byte on that side).
	nextOK [256]bool
	prevOK [256]bool
	cost   int
}

type scanNeedle struct {
	s []byte
	k int // offset of b in s
}

// passHits: one IndexByte pass over a block costs about as much as one
// hit per this many bytes of the block. Calibrated on the 1 GiB benchmark
// of scripts/bench-kernel.sh: passes over cache-sized pieces are cheap
// (tens of GB/s), each hit costs an IndexByte call and a filter (~10 ns),
// so many passes over rare bytes beat one pass over a common one.
const passHits = 2000

// init chooses the search bytes: the set of bytes, one or more per
// needle, that covers every needle at the lowest cost (passes plus
// hits in the sample), by exhaustive search over small sets.
func (sc *scanner) init(sample []byte) {
	var freq [256]int
	for _, c := range sample {
		freq[c]++
	}
	passCost := len(sample)/passHits + 1
	// candidate bytes and the needles each covers
	var cands []byte
	var masks []uint32
	for c := 0; c < 256; c++ {
		var m uint32
		for i, nd := range needleBytes {
			if bytes.IndexByte(nd, byte(c)) >= 0 {
				m |= 1 << i
			}
		}
		if m != 0 {
			cands = append(cands, byte(c))
			masks = append(masks, m)
		}
	}
	full := uint32(1)<<len(needleBytes) - 1
	// Greedy set cover first: the answer for small inputs, and the bound
	// of the exhaustive search for large ones.
	bestCost := 0
	var best, cur []byte
	for mask := uint32(0); mask != full; {
		bi := -1
		for i := range cands {
			n := bits.OnesCount32(masks[i] &^ mask)
			if n == 0 {
				continue
			}
			if bi < 0 || (passCost+freq[cands[i]])*bits.OnesCount32(masks[bi]&^mask) < (passCost+freq[cands[bi]])*n {
				bi = i
			}
		}
		best = append(best, cands[bi])
		bestCost += passCost + freq[cands[bi]]
		mask |= masks[bi]
	}
	var search func(from int, mask uint32, cost int)
	search = func(from int, mask uint32, cost int) {
		if cost >= bestCost {
			return
		}
		if mask == full {
			bestCost = cost
			best = append(best[:0], cur...)
			return
		}
		if len(cur) >= 7 {
			return
		}
		for i := from; i < len(cands); i++ {
			if masks[i]&^mask == 0 {
				continue
			}
			cur = append(cur, cands[i])
			search(i+1, mask|masks[i], cost+passCost+freq[cands[i]])
			cur = cur[:len(cur)-1]
		}
	}
	if len(sample) >= 256<<10 {
		search(0, 0, 0)
	}
	chosen := best
	sc.groups = sc.groups[:0]
	idx := map[byte]int{}
	for _, nd := range needleBytes {
		// the rarest chosen byte of this needle
		k := -1
		for j, c := range nd {
			if bytes.IndexByte(chosen, c) >= 0 && (k < 0 || freq[c] < freq[nd[k]]) {
				k = j
			}
		}
		c := nd[k]
		g, ok := idx[c]
		if !ok {
			g = len(sc.groups)
			idx[c] = g
			sc.groups = append(sc.groups, scanGroup{b: c, cost: passCost + freq[c]})
		}
		grp := &sc.groups[g]
		grp.needles = append(grp.needles, scanNeedle{s: nd, k: k})
		if k+1 < len(nd) {
			grp.nextOK[nd[k+1]] = true
		} else {
			for c := range grp.nextOK {
				grp.nextOK[c] = true
			}
		}
		if k > 0 {
			grp.prevOK[nd[k-1]] = true
		} else {
			for c := range grp.prevOK {
				grp.prevOK[c] = true
			}
		}
	}

}

// scan finds every needle start in buf[from:end] (whole lines). Large
// blocks are split at a newline into two halves searched in parallel.
func (sc *scanner) scan(buf []byte, from, end int) {
	sc.hits = sc.hits[:0]
	sc.next = 0
	mid := -1
	if end-from >= 1<<20 {
		mid = from + (end-from)/2
		if i := bytes.IndexByte(buf[mid:end], '\n'); i >= 0 {
			mid += i + 1
		} else {
			mid = -1
		}
	}
	if mid < 0 {
		sc.hits = sc.findAll(buf, from, end, sc.hits)
		slices.Sort(sc.hits)
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc.hits2 = sc.findAll(buf, mid, end, sc.hits2[:0])
		slices.Sort(sc.hits2)
	}()
	sc.hits = sc.findAll(buf, from, mid, sc.hits)
	slices.Sort(sc.hits)
	wg.Wait()
	sc.hits = append(sc.hits, sc.hits2...)
}

func (sc *scanner) findAll(buf []byte, from, end int, out []int) []int {
	// Run every group's pass over one cache-sized piece (cut at a newline)
	// before moving on, so that later passes read from L2.
	const piece = 128 << 10
	for from < end {
		to := end
		if end-from > piece {
			to = from + piece
			if i := bytes.IndexByte(buf[to:end], '\n'); i >= 0 {
				to += i + 1
			} else {
				to = end
			}
		}
		for gi := range sc.groups {
			out = sc.groups[gi].findAll(buf, from, to, out)
		}
		from = to
	}
	return out
}

// nextHit returns the first needle start at or after pos, or -1.
func (sc *scanner) nextHit(pos int) int {
	for sc.next < len(sc.hits) && sc.hits[sc.next] < pos {
		sc.next++
	}
	if sc.next < len(sc.hits) {
		return sc.hits[sc.next]
	}
	return -1
}

func (g *scanGroup) findAll(buf []byte, from, end int, out []int) []int {
	s := buf[from:end]
	b := g.b
	next, prev := &g.nextOK, &g.prevOK
	at := 0
	for {
		i := bytes.IndexByte(s[at:], b)
		if i < 0 {
			return out
		}
		at += i
		if at == 0 || at+1 >= len(s) || next[s[at+1]] && prev[s[at-1]] {
			for _, nd := range g.needles {
				st := at - nd.k
				if st >= 0 && st+len(nd.s) <= len(s) && string(s[st:st+len(nd.s)]) == string(nd.s) {
					out = append(out, from+st)
					break
				}
			}
		}
		at++
	}
}
