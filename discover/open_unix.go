//go:build unix

package discover

import (
	"errors"
	"io"
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
	f, err := openRegularFile(name)
	if err != nil {
		return nil, err
	}
	return f.osFile(), nil
}

// regularFile is a regular file opened for reading by openRegularFile: a
// bare descriptor, stat'ed and read by system calls of its own, and made an
// *os.File (osFile) only for a reader that needs one. os.NewFile asks for
// the descriptor's flags (a fcntl call, to tell a non-blocking one): one of
// the six system calls of reading a small file whole (open, fcntl, fstat,
// read, read, close; strace of oomlens batch), each ~1.5-2 µs of CPU on
// the virtual machine of scripts/bench-batch.sh (getrusage around a loop
// of fcntl F_GETFL, fstat and a pread at the end).
type regularFile struct {
	fd   int
	name string
	f    *os.File // made by osFile, which then owns fd
}

// openRegularFile opens the file at name for reading (see openRegular).
func openRegularFile(name string) (*regularFile, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return &regularFile{fd: fd, name: name}, nil
	}
}

// stat is the file's fstat.
func (r *regularFile) stat() (fileStat, error) {
	if r.f != nil {
		return statOfFile(r.f)
	}
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(r.fd, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fileStat{}, &os.PathError{Op: "stat", Path: r.name, Err: err}
		}
		return fileStat{
			size:    st.Size,
			id:      fileID{uint64(st.Dev), uint64(st.Ino)},
			hasID:   true,
			regular: st.Mode&syscall.S_IFMT == syscall.S_IFREG,
		}, nil
	}
}

// Read is one read(2), as os.File's Read makes it: EINTR retried, io.EOF
// at the end, an error naming the file.
func (r *regularFile) Read(p []byte) (int, error) {
	if r.f != nil {
		return r.f.Read(p)
	}
	for {
		n, err := syscall.Read(r.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &os.PathError{Op: "read", Path: r.name, Err: err}
		}
		if n == 0 && len(p) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

// ReadAt is os.File's ReadAt, by pread(2): p filled, or an error (io.EOF
// at the end).
func (r *regularFile) ReadAt(p []byte, off int64) (n int, err error) {
	if r.f != nil {
		return r.f.ReadAt(p, off)
	}
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: r.name, Err: errors.New("negative offset")}
	}
	for len(p) > 0 {
		m, err := syscall.Pread(r.fd, p, off)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, &os.PathError{Op: "read", Path: r.name, Err: err}
		}
		if m == 0 {
			return n, io.EOF
		}
		n, p, off = n+m, p[m:], off+int64(m)
	}
	return n, nil
}

// osFile is the file as an *os.File, which owns the descriptor from then
// on (Close closes it).
func (r *regularFile) osFile() *os.File {
	if r.f == nil {
		r.f = os.NewFile(uintptr(r.fd), r.name)
	}
	return r.f
}

// Close closes the file.
func (r *regularFile) Close() error {
	if r.f != nil {
		return r.f.Close()
	}
	fd := r.fd
	r.fd = -1
	if fd < 0 {
		return os.ErrClosed
	}
	return syscall.Close(fd)
}
