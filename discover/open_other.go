//go:build !unix

package discover

import "os"

// openRegular opens a regular file for reading (see open_unix.go).
func openRegular(name string) (*os.File, error) { return os.Open(name) }

// regularFile is a regular file opened for reading (see open_unix.go):
// here an *os.File.
type regularFile struct{ f *os.File }

func openRegularFile(name string) (*regularFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return &regularFile{f: f}, nil
}

func (r *regularFile) stat() (fileStat, error)                 { return statOfFile(r.f) }
func (r *regularFile) Read(p []byte) (int, error)              { return r.f.Read(p) }
func (r *regularFile) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (r *regularFile) osFile() *os.File                        { return r.f }
func (r *regularFile) Close() error                            { return r.f.Close() }
