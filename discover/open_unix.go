//go:build unix

package discover

import (
	"os"
	"syscall"
)

// openRegular opens a regular file for reading in one system call.
// os.Open (Go 1.26, Linux) also tries to make every file it opens pollable:
// two fcntl calls, an epoll_ctl and two more fcntl calls, of no use for a
// file on disk, and five of the ~20 system calls of reading a job's file
// (strace of oomlens batch). A FIFO is never opened here (Walk reads one
// named on its own as a stream, with os.Open).
func openRegular(name string) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
