package record

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"
)

// gateWriter blocks every write until open is closed, and records them.
type gateWriter struct {
	open chan struct{}
	mu   sync.Mutex
	got  bytes.Buffer
	err  error
}

func (g *gateWriter) Write(p []byte) (int, error) {
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return 0, g.err
	}
	return g.got.Write(p)
}

// TestAsyncWriterDoesNotWait checks that writes return while the writer
// underneath is blocked, are written in order once it moves, and that Write
// blocks only past the bound.
func TestAsyncWriterDoesNotWait(t *testing.T) {
	g := &gateWriter{open: make(chan struct{})}
	a := newAsyncWriter(g, 10)
	done := make(chan struct{})
	go func() {
		// The goroutine may take "0123" and block in g.Write with it;
		// then "456789" fits under the bound, and the next write waits.
		a.Write([]byte("0123"))
		a.Write([]byte("456789"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Write waited for a blocked writer under the bound")
	}
	blocked := make(chan struct{})
	go func() {
		a.Write([]byte("abcdefghijk")) // over the bound with what waits
		a.Write([]byte("!"))
		close(blocked)
	}()
	time.Sleep(50 * time.Millisecond)
	close(g.open)
	<-blocked
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := g.got.String(); got != "0123456789abcdefghijk!" {
		t.Errorf("written %q", got)
	}
}

// TestAsyncWriterError checks that an error of the writer underneath is
// returned by a later Write and by Close.
func TestAsyncWriterError(t *testing.T) {
	boom := errors.New("disk full")
	g := &gateWriter{open: make(chan struct{}), err: boom}
	close(g.open)
	a := newAsyncWriter(g, 1<<20)
	a.Write([]byte("x"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := a.Write([]byte("y")); errors.Is(err, boom) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer's error never reached Write")
		}
		time.Sleep(time.Millisecond)
	}
	if err := a.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v", err)
	}
}
