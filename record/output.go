package record

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
)

// StampLayout is the GitHub Actions raw-log line prefix (seven fractional
// digits, UTC), the shape pytestlog already strips and keeps as a time source
// (PYTEST-CI.md §1.9). Every line of output.log starts with it and a space.
const StampLayout = "2006-01-02T15:04:05.0000000Z"

// maxPendingBytes bounds the bytes of one unfinished line held back while its
// newline has not arrived. A longer line is stamped when it passes the bound
// and written on as it comes, so memory stays constant and the line still
// carries exactly one stamp.
const maxPendingBytes = 1 << 20

// stampedLog writes the lines of several streams into one file, each line
// prefixed with the wall-clock time its newline arrived, in the order the
// newlines arrived. It is safe for concurrent use by the streams.
type stampedLog struct {
	mu  sync.Mutex
	w   *bufio.Writer // over aw: a flush hands the bytes over, it does not wait for the disk
	aw  *asyncWriter
	f   *os.File
	now func() time.Time
	err error // first write error; later writes are dropped
	buf []byte
	// maxPending is maxPendingBytes, smaller in tests.
	maxPending int
	// last is the latest stamp written: a chunk read a moment before
	// another stream's but written after it takes that stamp, so stamps
	// never go back in the file.
	last time.Time
	// kick, when set, is signalled (without blocking) each time a line
	// that names a pytest node id ends: see nodeLine.
	kick chan<- struct{}
}

// maxQueuedBytes bounds what waits in memory for a file or terminal write
// (asyncWriter).
const maxQueuedBytes = 8 << 20

func newStampedLog(f *os.File) *stampedLog {
	aw := newAsyncWriter(f, maxQueuedBytes)
	return &stampedLog{f: f, aw: aw, w: bufio.NewWriterSize(aw, 64<<10), now: time.Now, maxPending: maxPendingBytes}
}

// lineStream is one stream's view of the stamped log: it holds the stream's
// unfinished line.
type lineStream struct {
	log     *stampedLog
	pending []byte
	// stamped is set when the unfinished line was already written with its
	// stamp because it outgrew maxPendingBytes.
	stamped bool
}

func (l *stampedLog) stream() *lineStream { return &lineStream{log: l} }

// write is writeAt with the time now.
func (s *lineStream) write(p []byte) { s.writeAt(p, s.log.now()) }

// writeAt takes one chunk as read from the stream at time at, writes its
// complete lines stamped at and keeps the unfinished tail. The file is
// flushed before it returns, so output.log is current while the command
// runs.
func (s *lineStream) writeAt(p []byte, at time.Time) {
	l := s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	var stamp []byte
	kick := false
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			if s.stamped {
				l.put(p)
			} else {
				s.pending = append(s.pending, p...)
				if len(s.pending) > l.maxPending {
					stamp = l.stamp(stamp, at)
					l.put(stamp)
					l.put(s.pending)
					s.pending = s.pending[:0]
					s.stamped = true
				}
			}
			break
		}
		if !s.stamped {
			kick = kick || nodeLine(s.pending, p[:nl])
			stamp = l.stamp(stamp, at)
			l.put(stamp)
			l.put(s.pending)
			s.pending = s.pending[:0]
		}
		l.put(p[:nl+1])
		s.stamped = false
		p = p[nl+1:]
	}
	if kick && l.kick != nil {
		// Before the flush: the reading should be as close to the line as
		// can be.
		select {
		case l.kick <- struct{}{}:
		default: // a reading is already asked for
		}
	}
	l.flush()
}

// nodeLine reports whether the line head+tail names a pytest node id (holds
// "::"): under `pytest -v` the line of a test's outcome, whose newline pytest
// writes as the next test starts (terminal.py write_ensure_prefix, called
// from pytest_runtest_logstart), so its end is the boundary between two
// tests; with pytest-xdist, a `[gwN] PASSED path::test` line.
func nodeLine(head, tail []byte) bool {
	return bytes.Contains(head, []byte("::")) || bytes.Contains(tail, []byte("::")) ||
		(len(head) > 0 && len(tail) > 0 && head[len(head)-1] == ':' && tail[0] == ':')
}

// close writes the stream's unfinished last line, stamped now and ended with a
// newline, as a runner does when the step ends.
func (s *lineStream) close() {
	l := s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(s.pending) == 0 && !s.stamped {
		return
	}
	if !s.stamped {
		l.put(l.stamp(nil, l.now()))
	}
	l.put(s.pending)
	l.put([]byte{'\n'})
	s.pending, s.stamped = nil, false
	l.flush()
}

// stamp returns the prefix for a line whose newline arrived at at. Lines
// finished by one chunk share a stamp.
func (l *stampedLog) stamp(prev []byte, at time.Time) []byte {
	if prev != nil {
		return prev
	}
	if at.Before(l.last) {
		at = l.last
	}
	l.last = at
	l.buf = at.UTC().AppendFormat(l.buf[:0], StampLayout)
	l.buf = append(l.buf, ' ')
	return l.buf
}

func (l *stampedLog) put(p []byte) {
	if l.err != nil {
		return
	}
	_, l.err = l.w.Write(p)
}

func (l *stampedLog) flush() {
	if l.err == nil {
		l.err = l.w.Flush()
	}
}

// Close flushes and closes the file and returns the first error met.
func (l *stampedLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flush()
	if err := l.aw.Close(); l.err == nil {
		l.err = err
	}
	if err := l.f.Close(); l.err == nil {
		l.err = err
	}
	return l.err
}

// pump copies r to the terminal as it comes and into the stamped log line by
// line, until r ends, and returns once both have everything. A chunk's lines
// are stamped with the time the read returned; the terminal and the file are
// written by goroutines of their own (asyncWriter), so that neither a slow
// terminal nor a stalled disk delays the next read and its stamp. Terminal
// write errors (a closed pager) stop the passthrough only; the log carries
// on.
func pump(r io.Reader, term io.Writer, s *lineStream) {
	// The thread that reads is the one the kernel wakes (see rawPipe).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]byte, 64<<10)
	var aterm *asyncWriter
	if term != nil {
		aterm = newAsyncWriter(term, maxQueuedBytes)
		defer aterm.Close()
	}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			at := s.log.now()
			if aterm != nil {
				if _, werr := aterm.Write(buf[:n]); werr != nil {
					aterm = nil // the deferred Close still waits for it
				}
			}
			s.writeAt(buf[:n], at)
		}
		if err != nil {
			s.close()
			return
		}
	}
}
