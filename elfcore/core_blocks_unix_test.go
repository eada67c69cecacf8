//go:build unix

package elfcore

import (
	"os"
	"syscall"
	"testing"
)

// coreDiskBlocks returns the 512-byte blocks a file takes on disk.
func coreDiskBlocks(t *testing.T, path string) (int64, bool) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int64(sys.Blocks), true
}
