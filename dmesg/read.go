package dmesg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"sync"
)

// Buffer sizes (see lineReader).
const (
	// blockBytes is how much one read asks for.
	blockBytes = 512 << 10
	// maxLineBytes: longer lines are truncated to this many bytes (with a
	// warning when the line matters). Kernel records are < 1 KiB; journal
	// JSON lines and rsyslog #012 joins can be longer.
	maxLineBytes = 1 << 20
	// sniffBytes: how much of the start is checked for binary data.
	sniffBytes = 64 << 10
	// searchBytes is the size of the pieces the scanner searches at a time.
	searchBytes = 64 << 10
	// startBytes is the reader's first buffer size (see newLineReader).
	startBytes = 64 << 10
	// blocksInFlight: the buffers of the blockReader (see there).
	blocksInFlight = 3
)

// limits are the buffer sizes; tests shrink them to exercise block and
// long-line boundaries.
type limits struct {
	blockBytes, maxLineBytes int
}

var defaultLimits = limits{blockBytes: blockBytes, maxLineBytes: maxLineBytes}

func (l limits) sniff() int { return min(sniffBytes, l.maxLineBytes) }

// Parse reads a kernel log (dmesg, kern.log, journalctl in any output
// format, /dev/kmsg) from r and returns its OOM events. A log with no OOM
// record is not an error: Events is empty. Binary input returns an error
// wrapping ErrBinary; a read error returns the events found so far and
// the error, both naming opts.Name and the line.
func Parse(r io.Reader, opts Options) (*Log, error) {
	return parse(r, opts, defaultLimits)
}

// ParseBytes is Parse of an input held in memory (a file read whole, an
// archive member), read in place when it fits in the reader's first
// block (startBytes: a CI job's kernel log, or the pytest log the kernel
// parser also reads): Parse would copy it into a buffer of its own first,
// 44 KB of allocation and copying for each batch job. A larger input is
// read through Parse. b is neither written nor kept: every string of the
// Log is a copy.
func ParseBytes(b []byte, opts Options) (*Log, error) {
	if len(b) >= startBytes {
		return Parse(bytes.NewReader(b), opts)
	}
	return parseLines(heldLineReader(b, defaultLimits), opts, defaultLimits)
}

// parse is the line loop. Every line is offered to the record state
// machine (parser.push), except that while nothing is open the reader
// skips to the next line holding a needle (see needles and scanner):
// the lines skipped are exactly those push would drop. When a needle line
// arrives with nothing open, the look-back (the untaken lines just before
// it) is offered first; the end of the input does the same.
func parse(r io.Reader, opts Options, lim limits) (*Log, error) {
	return parseLines(newLineReader(r, lim, opts.SizeHintBytes), opts, lim)
}

// parseLines is parse of the lines rd reads.
func parseLines(rd *lineReader, opts Options, lim limits) (*Log, error) {
	p := newParser(opts)
	p.maxLine = lim.maxLineBytes
	defer rd.close()
	if err := sniff(opts.Name, rd.start(lim.sniff())); err != nil {
		return nil, err
	}
	var back [lookbackLines]line // the look-back's lines (see lineReader.lookback)
	for {
		if p.firstContent != 0 && p.idle() {
			rd.skip()
		}
		l, ok := rd.next()
		if !ok {
			break
		}
		p.noteFirst(l.n, l.b)
		if p.idle() && hasNeedle(l.b) {
			p.lookback(rd.lookback(rd.lineStart, back[:0]))
			rd.fed = rd.lineStart
		}
		if p.push(l.n, l.b, l.long, false) || l.long {
			rd.fed = rd.pos // a long line is not looked back to, nor anything before it
		}
	}
	if p.idle() {
		p.lookback(rd.lookback(rd.end, back[:0]))
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
//
// The buffer's last block of input, buf[blockStart:end], comes with its
// index (blockIndex: its needle lines and newlines), which skip follows.
type lineReader struct {
	r   io.Reader
	lim limits
	sc  *scanner
	// cur is the block in buf (nil for the first, which is not the
	// blockReader's); blocks reads the following ones.
	buf    []byte
	cur    *block
	blocks *blockReader
	// head is the room before each block a blockReader reads: the
	// look-back and an unfinished line, at most lookbackBytes + maxLine.
	head    int
	maxLine int
	// buf[pos:end] is not read yet; buf[fed:lineStart] are the untaken
	// lines before the current line buf[lineStart:pos].
	pos, end, fed, lineStart int
	// buf[blockStart:end] is the last block read, idx its index,
	// idx.hits[nextHit:] its needle lines not passed yet; the input
	// before it holds linesBefore newlines.
	blockStart, nextHit, linesBefore int
	idx                              blockIndex
	n                                int  // lines returned or skipped so far
	discard                          bool // the rest of a long line is being dropped
	eof                              bool
	err                              error // read error other than io.EOF
}

// newLineReader reads the first block of r, into a buffer of at most
// startBytes (most inputs are small) and at most one byte more than
// sizeHintBytes when that is known, chooses the scanner's search bytes
// from it and indexes it.
func newLineReader(r io.Reader, lim limits, sizeHintBytes int64) *lineReader {
	rd := &lineReader{r: r, lim: lim, maxLine: lim.maxLineBytes, head: lookbackBytes + lim.maxLineBytes}
	full := min(lim.blockBytes+rd.head, startBytes)
	first := full
	if sizeHintBytes > 0 {
		// One byte more than the hint: a read that fills it shows the
		// input is longer than its size said.
		first = int(min(int64(full), sizeHintBytes+1))
	}
	rd.buf = make([]byte, first)
	n, err := readFull(r, rd.buf)
	if err == nil && n == first && first < full {
		// The input grew after its size was taken: its first block is
		// read whole, as without a hint (the sniff sees all it would).
		buf := make([]byte, full)
		copy(buf, rd.buf[:n])
		var m int
		m, err = readFull(r, buf[n:])
		rd.buf, n = buf, n+m
	}
	rd.end = n
	rd.setErr(err)
	rd.indexFirst()
	return rd
}

// heldLineReader reads b, the whole input, in place: its one block, read
// to the end already. b must be shorter than the first block a
// newLineReader reads, so that both read the same lines out of the same
// block.
func heldLineReader(b []byte, lim limits) *lineReader {
	rd := &lineReader{lim: lim, maxLine: lim.maxLineBytes, head: lookbackBytes + lim.maxLineBytes}
	rd.buf, rd.end, rd.eof = b[:len(b):len(b)], len(b), true
	rd.indexFirst()
	return rd
}

// indexFirst chooses the scanner's search bytes from the first block and
// indexes it.
func (rd *lineReader) indexFirst() {
	rd.sc = newScanner(scanSample(rd.buf[:rd.end], rd.eof))
	rd.sc.index(rd.buf[:rd.end], &rd.idx)
}

// start returns up to n bytes of the input's start (valid before any line
// is read).
func (rd *lineReader) start(n int) []byte { return rd.buf[:min(n, rd.end)] }

// fill moves the look-back and the unread data before the next block of
// input and reports whether that block holds anything.
func (rd *lineReader) fill() bool {
	keep := max(rd.fed, rd.pos-lookbackBytes)
	if keep > rd.fed {
		// start the kept look-back at a line start
		if i := bytes.IndexByte(rd.buf[keep-1:rd.pos], '\n'); i >= 0 {
			keep += i
		} else {
			keep = rd.pos
		}
	}
	if rd.blocks == nil {
		rd.blocks = startBlockReader(rd.r, rd.sc, rd.head, rd.lim.blockBytes)
	}
	blk := rd.blocks.nextBlock()
	start := rd.head - (rd.end - keep)
	copy(blk.buf[start:rd.head], rd.buf[keep:rd.end])
	shift := start - keep
	rd.pos += shift
	rd.fed = max(rd.fed+shift, start)
	rd.lineStart = max(rd.lineStart+shift, start)
	rd.linesBefore += rd.idx.newlines
	rd.idx, rd.nextHit, rd.blockStart = blk.idx, 0, rd.head
	rd.end = rd.head + blk.n
	if rd.cur != nil {
		rd.blocks.free <- rd.cur // nothing refers to it any more
	}
	rd.buf, rd.cur = blk.buf, blk
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

// close stops the blockReader and waits for its goroutines to end: Parse
// leaves nothing behind. None is reading then (the line loop has had the
// block that ended the input).
func (rd *lineReader) close() {
	if rd.blocks != nil {
		close(rd.blocks.stop)
		rd.blocks.done.Wait()
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

// blockReader reads the blocks of input after the first, and indexes
// them (scanner.index), on two goroutines that take turns: one reads a
// block (a copy out of the page cache, for a file) only after the other
// has read the block before it, then indexes it while the other reads
// and indexes the next, and the line loop consumes the one before. The
// reads stay in input order; everything but the line loop's own work
// runs on both cores. The package comment (Speed) gives the benchmark
// that needs it. Its blocksInFlight buffers (one with the line loop, one
// with each goroutine: fewer could leave the goroutine whose turn it is
// without one) each hold head bytes of room for the look-back and the
// unfinished line carried over, then one block.
type blockReader struct {
	out  [2]chan *block // each goroutine's blocks, taken in turn
	next int            // the goroutine whose block comes next
	free chan *block
	stop chan struct{}
	done sync.WaitGroup
}

// block is n bytes of input read into buf[head:] and their index; err is
// the read's error (io.EOF at the end).
type block struct {
	buf []byte
	n   int
	err error
	idx blockIndex
}

func startBlockReader(r io.Reader, sc *scanner, head, size int) *blockReader {
	br := &blockReader{free: make(chan *block, blocksInFlight), stop: make(chan struct{})}
	for range blocksInFlight {
		br.free <- &block{buf: make([]byte, head+size)}
	}
	// turn[i] is given to goroutine i when it may read (only one holds
	// the turn at a time); true: the input ended, nothing more is read.
	var turn [2]chan bool
	for i := range turn {
		turn[i] = make(chan bool, 1)
		br.out[i] = make(chan *block)
	}
	turn[0] <- false
	for i := range turn {
		br.done.Go(func() { br.work(r, sc, head, turn[i], turn[1-i], br.out[i]) })
	}
	return br
}

// work reads a block when given the turn, passes the turn on, indexes
// the block and hands it to the line loop, until the input ends: the
// reader is not read after it returned an error (a terminal would wait
// for more).
func (br *blockReader) work(r io.Reader, sc *scanner, head int, turn, pass chan bool, out chan *block) {
	for {
		var b *block
		select {
		case b = <-br.free:
		case <-br.stop:
			return
		}
		select {
		case ended := <-turn:
			if ended {
				pass <- true
				return
			}
		case <-br.stop:
			return
		}
		b.n, b.err = readFull(r, b.buf[head:])
		pass <- b.err != nil
		sc.index(b.buf[head:head+b.n], &b.idx)
		select {
		case out <- b:
		case <-br.stop:
			return
		}
		if b.err != nil {
			return // the line loop asks for no block after this one
		}
	}
}

// nextBlock returns the next block of input.
func (br *blockReader) nextBlock() *block {
	b := <-br.out[br.next]
	br.next = 1 - br.next
	return b
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
// the end of the input), counting the lines it passes: the blocks'
// indexes give both. A line begun before the block in the buffer is
// left to next (its needle may straddle the blocks' seam).
func (rd *lineReader) skip() {
	for !rd.discard && rd.pos >= rd.blockStart {
		for ; rd.nextHit < len(rd.idx.hits); rd.nextHit++ {
			if h := rd.idx.hits[rd.nextHit]; rd.blockStart+h.start >= rd.pos {
				rd.pos, rd.n = rd.blockStart+h.start, rd.linesBefore+h.lines
				return
			}
		}
		if whole := rd.blockStart + rd.idx.wholeEnd; whole > rd.pos {
			rd.pos, rd.n = whole, rd.linesBefore+rd.idx.newlines
		}
		if rd.eof {
			if rd.pos < rd.end {
				rd.pos = rd.end
				rd.n++ // the last line, without a newline
			}
			return
		}
		if rd.end-rd.pos >= rd.maxLine || !rd.fill() {
			return // a long line (next cuts it) or the end
		}
	}
}

// lookback returns the untaken lines before buf[at:] (at is a line start
// or the end of the data): the newest lookbackLines of them that together
// hold at most lookbackBytes (each counting its '\n'), oldest first.
//
// They are appended to back, which has room for lookbackLines: the line
// loop's, not an allocation (with pointers, zeroed) per record.
func (rd *lineReader) lookback(at int, back []line) []line {
	n := rd.n // number of the line starting at at, minus one
	if at == rd.end && at > rd.fed && rd.buf[at-1] != '\n' {
		at++ // the last line has no '\n': pretend it has
	} else if at == rd.lineStart && at != rd.end {
		n-- // at is the current line
	}
	total := 0
	for len(back) < lookbackLines && at > rd.fed {
		st := rd.fed + lastNewline(rd.buf[rd.fed:at-1]) + 1
		b := rd.buf[st : at-1]
		if total += len(b) + 1; total > lookbackBytes || len(b) >= rd.maxLine {
			break
		}
		back = append(back, line{n: n, b: b})
		n--
		at = st
	}
	slices.Reverse(back)
	return back
}

// lastNewline is bytes.LastIndexByte(b, '\n') reading 8 bytes at a time:
// bytes.LastIndexByte reads one at a time (it is not vectorised), and the
// look-back was 4% of the instructions of Parse on a batch job's logs
// (BenchmarkParseJob, BenchmarkParseJobPytest). In w ^ '\n'…, a newline is
// a zero byte; for a byte x, (x & 0x7f) + 0x7f has its high bit set
// exactly when x & 0x7f != 0 and carries into no other byte, so
// ^(…) & ^x & 0x80… marks exactly the zero bytes, and the highest mark
// is the last newline of the word.
func lastNewline(b []byte) int {
	i := len(b)
	for ; i >= 8; i -= 8 {
		x := binary.LittleEndian.Uint64(b[i-8:]) ^ eachNewline
		if zero := ^((x & eachLow7) + eachLow7) & ^x & eachHigh; zero != 0 {
			return i - 8 + (63-bits.LeadingZeros64(zero))/8
		}
	}
	for i--; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}
