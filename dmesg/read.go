package dmesg

import (
	"bytes"
	"fmt"
	"io"
	"slices"
)

// Buffer sizes (see lineReader).
const (
	// blockBytes is how much one read asks for.
	blockBytes = 1 << 20
	// maxLineBytes: longer lines are truncated to this many bytes (with a
	// warning when the line matters). Kernel records are < 1 KiB; journal
	// JSON lines and rsyslog #012 joins can be longer.
	maxLineBytes = 1 << 20
	// sniffBytes: how much of the start is checked for binary data.
	sniffBytes = 64 << 10
	// searchBytes is the size of the pieces the scanner searches at a time.
	searchBytes = 64 << 10
	// startBytes is the reader's first buffer size (see fill).
	startBytes = 64 << 10
	// halvesBytes: the scanner searches ranges at least this long in two
	// halves at once (see scanner.scan).
	halvesBytes = 256 << 10
)

// limits are the buffer sizes; tests shrink them to exercise block and
// long-line boundaries and the scanner's halves (halvesBytes 0: none).
type limits struct {
	blockBytes, maxLineBytes, halvesBytes int
}

var defaultLimits = limits{blockBytes: blockBytes, maxLineBytes: maxLineBytes, halvesBytes: halvesBytes}

func (l limits) sniff() int { return min(sniffBytes, l.maxLineBytes) }

// Parse reads a kernel log (dmesg, kern.log, journalctl in any output
// format, /dev/kmsg) from r and returns its OOM events. A log with no OOM
// record is not an error: Events is empty. Binary input returns an error
// wrapping ErrBinary; a read error returns the events found so far and
// the error, both naming opts.Name and the line.
func Parse(r io.Reader, opts Options) (*Log, error) {
	return parse(r, opts, defaultLimits)
}

// parse is the line loop. Every line is offered to the record state
// machine (parser.push), except that while nothing is open the reader
// skips to the next line holding a needle (see needles and scanner):
// the lines skipped are exactly those push would drop. When a needle line
// arrives with nothing open, the look-back (the untaken lines just before
// it) is offered first; the end of the input does the same.
func parse(r io.Reader, opts Options, lim limits) (*Log, error) {
	p := newParser(opts)
	p.maxLine = lim.maxLineBytes
	rd := newLineReader(r, lim)
	defer rd.close()
	if err := sniff(opts.Name, rd.start(lim.sniff())); err != nil {
		return nil, err
	}
	sc := newScanner(rd.start(blockBytes), lim.halvesBytes)
	for {
		if p.firstContent != 0 && p.idle() {
			rd.skip(sc)
		}
		l, ok := rd.next()
		if !ok {
			break
		}
		p.noteFirst(l.n, l.b)
		if p.idle() && hasNeedle(l.b) {
			p.lookback(rd.lookback(rd.lineStart))
			rd.fed = rd.lineStart
		}
		if p.push(l.n, l.b, l.long, false) || l.long {
			rd.fed = rd.pos // a long line is not looked back to, nor anything before it
		}
	}
	if p.idle() {
		p.lookback(rd.lookback(rd.end))
	}
	lg := p.finish(rd.n)
	if rd.err != nil {
		return lg, fmt.Errorf("%s: line %d: %w", displayName(opts.Name), rd.n, rd.err)
	}
	return lg, nil
}

// lookback offers the look-back lines (see needles) to push.
func (p *parser) lookback(lines []line) {
	for _, l := range lines {
		p.push(l.n, l.b, false, true)
	}
}

// line is one physical line without its '\n': n is its 1-based number;
// long says it was cut at maxLineBytes.
type line struct {
	n    int
	b    []byte
	long bool
}

// lineReader splits its input into lines. Its buffer holds, besides the
// data not read yet, the lines before the current one back to the last
// line that was taken (fed), at most lookbackBytes of them: the
// look-back. A line longer than maxLine is returned cut, and nothing
// before or in it is looked back to (at 1 MiB it exceeds the look-back's
// byte limit anyway).
type lineReader struct {
	r     io.Reader
	lim   limits
	buf   []byte
	owned bool // buf belongs to ahead
	ahead *readAhead
	// head is the room before each block read ahead: the look-back and an
	// unfinished line, at most lookbackBytes + maxLine.
	head    int
	maxLine int
	// buf[pos:end] is not read yet; buf[fed:lineStart] are the untaken
	// lines before the current line buf[lineStart:pos].
	pos, end, fed, lineStart int
	n                        int  // lines returned or skipped so far
	fills                    int  // fill calls: identifies the buffer's contents
	discard                  bool // the rest of a long line is being dropped
	eof                      bool
	err                      error // read error other than io.EOF
	back                     []line
}

func newLineReader(r io.Reader, lim limits) *lineReader {
	rd := &lineReader{r: r, lim: lim, maxLine: lim.maxLineBytes, head: lookbackBytes + lim.maxLineBytes}
	rd.fill()
	return rd
}

// start returns up to n bytes of the input's start (valid before any line
// is read).
func (rd *lineReader) start(n int) []byte { return rd.buf[:min(n, rd.end)] }

// fill moves the look-back and the unread data before the next block of
// input and reports whether that block holds anything. The first block is
// read here, into a buffer of at most startBytes (most inputs are small);
// the following ones come from a readAhead.
func (rd *lineReader) fill() bool {
	rd.fills++
	if rd.fills == 1 {
		rd.buf = make([]byte, min(rd.lim.blockBytes+rd.head, startBytes))
		n, err := readFull(rd.r, rd.buf)
		rd.end = n
		rd.setErr(err)
		return n > 0
	}
	keep := max(rd.fed, rd.pos-lookbackBytes)
	if keep > rd.fed {
		// start the kept look-back at a line start
		if i := bytes.IndexByte(rd.buf[keep-1:rd.pos], '\n'); i >= 0 {
			keep += i
		} else {
			keep = rd.pos
		}
	}
	if rd.ahead == nil {
		rd.ahead = startReadAhead(rd.r, rd.head, rd.lim.blockBytes)
	}
	blk := <-rd.ahead.full
	start := rd.head - (rd.end - keep)
	copy(blk.buf[start:rd.head], rd.buf[keep:rd.end])
	if rd.owned {
		rd.ahead.free <- rd.buf
	}
	rd.buf, rd.owned = blk.buf, true
	shift := start - keep
	rd.pos += shift
	rd.fed = max(rd.fed+shift, start)
	rd.lineStart = max(rd.lineStart+shift, start)
	rd.end = rd.head + blk.n
	rd.setErr(blk.err)
	return blk.n > 0
}

func (rd *lineReader) setErr(err error) {
	if err != nil {
		rd.eof = true
		if err != io.EOF {
			rd.err = err
		}
	}
}

// close stops the read-ahead.
func (rd *lineReader) close() {
	if rd.ahead != nil {
		close(rd.ahead.stop)
	}
}

// readFull reads until b is full or the input ends (io.EOF) or fails; a
// reader that keeps returning nothing fails with io.ErrNoProgress.
func readFull(r io.Reader, b []byte) (int, error) {
	n, stalls := 0, 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			if stalls++; stalls > 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// readAhead reads the next block of input in a goroutine while the line
// loop searches the current one: the read (a copy out of the page cache)
// then costs no time of the loop's. The package comment (Speed) gives the
// benchmark that needs it. Each of its two buffers holds head bytes of
// room for the look-back and the unfinished line carried over, then one
// block.
type readAhead struct {
	full chan aheadBlock
	free chan []byte
	stop chan struct{}
}

// aheadBlock is n bytes read into buf[head:]; err is the read's error
// (io.EOF at the end).
type aheadBlock struct {
	buf []byte
	n   int
	err error
}

func startReadAhead(r io.Reader, head, block int) *readAhead {
	ra := &readAhead{full: make(chan aheadBlock, 1), free: make(chan []byte, 2), stop: make(chan struct{})}
	ra.free <- make([]byte, head+block)
	ra.free <- make([]byte, head+block)
	go func() {
		for {
			var buf []byte
			select {
			case buf = <-ra.free:
			case <-ra.stop:
				return
			}
			n, err := readFull(r, buf[head:])
			select {
			case ra.full <- aheadBlock{buf: buf, n: n, err: err}:
			case <-ra.stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ra
}

// next returns the next line, or false at the end of the input.
func (rd *lineReader) next() (line, bool) {
	for {
		if rd.discard {
			i := bytes.IndexByte(rd.buf[rd.pos:rd.end], '\n')
			if i < 0 {
				rd.pos, rd.fed = rd.end, rd.end
				if rd.eof || !rd.fill() {
					return line{}, false
				}
				continue
			}
			rd.pos += i + 1
			rd.fed, rd.discard = rd.pos, false
		}
		data := rd.buf[rd.pos:rd.end]
		i := bytes.IndexByte(data, '\n')
		switch {
		case i >= 0:
			return rd.take(data[:i], i+1), true
		case len(data) >= rd.maxLine:
			l := rd.take(data, len(data))
			rd.discard = true
			return l, true
		case rd.eof && len(data) > 0:
			return rd.take(data, len(data)), true
		case rd.eof:
			return line{}, false
		default:
			rd.fill() // reads more, or sets eof
		}
	}
}

// take makes b, which starts at pos and occupies size bytes of the
// buffer, the current line.
func (rd *lineReader) take(b []byte, size int) line {
	rd.n++
	rd.lineStart = rd.pos
	rd.pos += size
	long := len(b) >= rd.maxLine
	if long {
		b = b[:rd.maxLine]
	}
	return line{n: rd.n, b: b, long: long}
}

// skip moves pos to the start of the next line holding a needle (or to
// the end of the input), counting the lines it passes.
func (rd *lineReader) skip(sc *scanner) {
	for !rd.discard {
		to := rd.pos + bytes.LastIndexByte(rd.buf[rd.pos:rd.end], '\n') + 1
		if rd.eof {
			to = rd.end
		}
		if h := sc.find(rd.buf, rd.pos, to, rd.fills); h >= 0 {
			ls := rd.pos + bytes.LastIndexByte(rd.buf[rd.pos:h], '\n') + 1
			rd.n += bytes.Count(rd.buf[rd.pos:ls], []byte{'\n'})
			rd.pos = ls
			return
		}
		rd.n += bytes.Count(rd.buf[rd.pos:to], []byte{'\n'})
		if rd.eof && to > rd.pos && rd.buf[to-1] != '\n' {
			rd.n++ // the last line, without a newline
		}
		rd.pos = to
		if rd.end-rd.pos >= rd.maxLine || rd.eof || !rd.fill() {
			return // a long line (next cuts it) or the end
		}
	}
}

// lookback returns the untaken lines before buf[at:] (at is a line start
// or the end of the data): the newest lookbackLines of them that together
// hold at most lookbackBytes (each counting its '\n'), oldest first.
func (rd *lineReader) lookback(at int) []line {
	rd.back = rd.back[:0]
	n := rd.n // number of the line starting at at, minus one
	if at == rd.end && at > rd.fed && rd.buf[at-1] != '\n' {
		at++ // the last line has no '\n': pretend it has
	} else if at == rd.lineStart && at != rd.end {
		n-- // at is the current line
	}
	total := 0
	for len(rd.back) < lookbackLines && at > rd.fed {
		st := rd.fed + bytes.LastIndexByte(rd.buf[rd.fed:at-1], '\n') + 1
		b := rd.buf[st : at-1]
		if total += len(b) + 1; total > lookbackBytes || len(b) >= rd.maxLine {
			break
		}
		rd.back = append(rd.back, line{n: n, b: b})
		n--
		at = st
	}
	slices.Reverse(rd.back)
	return rd.back
}
