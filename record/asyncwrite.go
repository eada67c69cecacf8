package record

import (
	"io"
	"sync"
)

// asyncWriter hands what is written to it to a goroutine that writes it on to
// w, so that the caller never waits for w. The sampler's ticks and the output
// pumps write through one: the recorder usually runs in the memory cgroup of
// the command it records, and once that cgroup is at its limit a write(2)
// that adds page cache (a file) or pipe buffers (a terminal) enters reclaim
// and can stall for seconds; a reading or a stamp taken after such a write
// would be late by as much. Writes are kept in order. When more than max
// bytes wait, Write blocks until the goroutine has taken them, so memory stays
// bounded when w is slower than the writes for long.
type asyncWriter struct {
	mu     sync.Mutex
	cond   *sync.Cond // a change of buf, err or closed
	buf    []byte     // waiting to be written
	spare  []byte     // being written by the goroutine
	w      io.Writer
	max    int
	err    error // the first error of w; later writes are dropped
	closed bool
	done   chan struct{}
}

func newAsyncWriter(w io.Writer, max int) *asyncWriter {
	a := &asyncWriter{w: w, max: max, done: make(chan struct{})}
	a.cond = sync.NewCond(&a.mu)
	go a.loop()
	return a
}

// Write queues a copy of p. It returns the error of an earlier write to w, if
// any, and then queues nothing.
func (a *asyncWriter) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.buf) >= a.max && a.err == nil && !a.closed {
		a.cond.Wait()
	}
	if a.err != nil {
		return 0, a.err
	}
	if a.closed {
		return 0, io.ErrClosedPipe
	}
	a.buf = append(a.buf, p...)
	a.cond.Broadcast()
	return len(p), nil
}

func (a *asyncWriter) loop() {
	defer close(a.done)
	for {
		a.mu.Lock()
		for len(a.buf) == 0 && !a.closed {
			a.cond.Wait()
		}
		if len(a.buf) == 0 {
			a.mu.Unlock()
			return
		}
		a.buf, a.spare = a.spare[:0], a.buf
		failed := a.err != nil
		a.cond.Broadcast() // room for Write again
		a.mu.Unlock()
		if failed {
			continue // drop: the caller has been told
		}
		if _, err := a.w.Write(a.spare); err != nil {
			a.mu.Lock()
			a.err = err
			a.cond.Broadcast()
			a.mu.Unlock()
		}
	}
}

// Close waits until everything queued was written and returns the first
// error of w. It does not close w.
func (a *asyncWriter) Close() error {
	a.mu.Lock()
	a.closed = true
	a.cond.Broadcast()
	a.mu.Unlock()
	<-a.done
	return a.err
}
