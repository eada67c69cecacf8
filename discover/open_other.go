//go:build !unix

package discover

import "os"

// openRegular opens a regular file for reading (see open_unix.go).
func openRegular(name string) (*os.File, error) { return os.Open(name) }
