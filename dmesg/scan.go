package dmesg

import (
	"bytes"
	"fmt"
	"io"
)

const (
	// blockBytes is the read buffer of the fast path. Peak memory is about
	// this plus the events.
	blockBytes = 4 << 20
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
	p := newParser(opts)
	buf := make([]byte, blockBytes)
	n, pos, lineNo := 0, 0, 0
	eof := false
	var rerr error
	var sc scanner

	fill := func() {
		if pos > 0 {
			copy(buf, buf[pos:n])
			n -= pos
			pos = 0
		}
		sc.invalidate()
		for n < len(buf) && !eof {
			m, err := r.Read(buf[n:])
			n += m
			if err == io.EOF {
				eof = true
			} else if err != nil {
				rerr, eof = err, true
			}
		}
	}
	fill()
	if err := sniff(opts.Name, buf[:min(n, sniffBytes)]); err != nil {
		return nil, err
	}
	sc.init(buf[:min(n, sampleBytes)])

	// line processes the one line starting at pos within [pos, end).
	line := func(end int) {
		le := end
		next := end
		if i := bytes.IndexByte(buf[pos:end], '\n'); i >= 0 {
			le, next = pos+i, pos+i+1
		}
		b := buf[pos:le]
		long := len(b) >= maxLineBytes
		if long {
			b = b[:maxLineBytes]
		}
		lineNo++
		p.noteFirst(lineNo, b)
		p.push(lineNo, b, long)
		pos = next
	}

	for {
		end := pos + bytes.LastIndexByte(buf[pos:n], '\n') + 1
		if eof {
			end = n
		}
		if end <= pos {
			if eof {
				break
			}
			if pos == 0 && n == len(buf) {
				// A line longer than the buffer: keep its first
				// maxLineBytes, skip the rest.
				lineNo++
				p.noteFirst(lineNo, buf[:maxLineBytes])
				p.push(lineNo, buf[:maxLineBytes], true)
				for {
					n, pos = 0, 0
					fill()
					if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
						pos = i + 1
						break
					}
					if eof {
						pos = n
						break
					}
				}
				continue
			}
			fill()
			continue
		}
		for pos < end {
			if p.firstContent == 0 || !p.idle() {
				line(end)
				continue
			}
			h := sc.next(buf, pos, end)
			if h < 0 {
				lineNo += bytes.Count(buf[pos:end], []byte{'\n'})
				if end == n && eof && buf[end-1] != '\n' {
					lineNo++ // last line without a newline
				}
				pos = end
				break
			}
			ls := pos + bytes.LastIndexByte(buf[pos:h], '\n') + 1
			lineNo += bytes.Count(buf[pos:ls], []byte{'\n'})
			pos = ls
			line(end)
		}
		if eof && pos >= n {
			break
		}
	}
	lg := p.finish(lineNo)
	if rerr != nil {
		return lg, fmt.Errorf("%s: line %d: %w", displayName(opts.Name), lineNo, rerr)
	}
	return lg, nil
}

// scanner finds the next needle in a block: for each needle it searches
// with bytes.IndexByte for the needle's rarest byte in this input (needles
// sharing that byte share one pass), then verifies the needle around it.
type scanner struct {
	groups []scanGroup
}

type scanGroup struct {
	b       byte
	needles []scanNeedle
	hit     int // absolute position of the next verified needle start; -1 none before end; -2 unknown
	from    int // hit was searched from here
}

type scanNeedle struct {
	s []byte
	k int // offset of b in s
}

// init picks, for every needle, the byte whose frequency in sample
// (plus a cost per extra pass) is lowest.
func (sc *scanner) init(sample []byte) {
	var freq [256]int
	for _, c := range sample {
		freq[c]++
	}
	passCost := len(sample)/600 + 1
	chosen := map[byte]bool{}
	pick := make([]int, len(needleBytes))
	for round := 0; round < 2; round++ {
		next := map[byte]bool{}
		for i, nd := range needleBytes {
			best, bestCost := 0, -1
			for k, c := range nd {
				cost := freq[c]
				if !chosen[c] {
					cost += passCost
				}
				if bestCost < 0 || cost < bestCost {
					best, bestCost = k, cost
				}
			}
			pick[i] = best
			next[nd[best]] = true
		}
		chosen = next
	}
	idx := map[byte]int{}
	sc.groups = nil
	for i, nd := range needleBytes {
		c := nd[pick[i]]
		g, ok := idx[c]
		if !ok {
			g = len(sc.groups)
			idx[c] = g
			sc.groups = append(sc.groups, scanGroup{b: c, hit: -2})
		}
		sc.groups[g].needles = append(sc.groups[g].needles, scanNeedle{s: nd, k: pick[i]})
	}
}

func (sc *scanner) invalidate() {
	for i := range sc.groups {
		sc.groups[i].hit = -2
	}
}

// next returns the start of the first needle at or after pos and before
// end, or -1. Results are cached per group until pos passes them or the
// buffer is refilled.
func (sc *scanner) next(buf []byte, pos, end int) int {
	best := -1
	for gi := range sc.groups {
		g := &sc.groups[gi]
		if g.hit == -2 || (g.hit >= 0 && g.hit < pos) || (g.hit == -1 && g.from > pos) {
			g.hit = g.find(buf, pos, end)
			g.from = pos
		}
		if g.hit >= 0 && (best < 0 || g.hit < best) {
			best = g.hit
		}
	}
	return best
}

func (g *scanGroup) find(buf []byte, pos, end int) int {
	from := pos
	for from < end {
		i := bytes.IndexByte(buf[from:end], g.b)
		if i < 0 {
			return -1
		}
		at := from + i
		first := -1
		for _, nd := range g.needles {
			s := at - nd.k
			if s >= pos && s+len(nd.s) <= end && bytes.Equal(buf[s:s+len(nd.s)], nd.s) {
				if first < 0 || s < first {
					first = s
				}
			}
		}
		if first >= 0 {
			return first
		}
		from = at + 1
	}
	return -1
}
