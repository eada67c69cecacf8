package record

import (
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// rawPipe is the read end of an output pipe, read with poll(2) and read(2)
// by the thread that calls Read, outside Go's network poller. A pipe read
// through the poller is woken by whichever thread of the runtime next polls
// (an idle one at once, but a busy runtime only at its next scheduling
// point or sysmon's next look, up to milliseconds later); a thread blocked
// in poll(2) on the pipe itself is woken by the kernel as the child writes.
// Output lines are stamped when they are read, so this wakeup is how late
// a stamp can be.
type rawPipe struct {
	fd       int
	cancel   [2]int // the wake pipe of Stop: its read end is polled with fd
	stopOnce sync.Once
}

// newRawPipe returns the read end and the write end (for the command) of a
// new pipe.
func newRawPipe() (*rawPipe, *os.File, error) {
	var p, c [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	if err := unix.Pipe2(c[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, nil, err
	}
	// The read end does not block: a read(2) after poll(2) said it was
	// readable returns at once, even if another reader took the data.
	if err := unix.SetNonblock(p[0], true); err != nil {
		for _, fd := range []int{p[0], p[1], c[0], c[1]} {
			unix.Close(fd)
		}
		return nil, nil, err
	}
	return &rawPipe{fd: p[0], cancel: c}, os.NewFile(uintptr(p[1]), "|output"), nil
}

// Read waits for data, end of file (every write end closed) or Stop.
func (p *rawPipe) Read(b []byte) (int, error) {
	fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}, {Fd: int32(p.cancel[0]), Events: unix.POLLIN}}
	for {
		n, err := unix.Read(p.fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			fds[0].Revents, fds[1].Revents = 0, 0
			if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
				return 0, err
			}
			if fds[1].Revents != 0 {
				return 0, os.ErrClosed
			}
			continue
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Stop makes a Read that waits, and every later one, return os.ErrClosed.
func (p *rawPipe) Stop() {
	p.stopOnce.Do(func() { unix.Close(p.cancel[1]) })
}

// Close releases the descriptors; no Read may be in progress.
func (p *rawPipe) Close() error {
	p.Stop()
	unix.Close(p.cancel[0])
	return unix.Close(p.fd)
}
