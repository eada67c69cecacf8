//go:build !linux

package hugeheap

// Reserve does nothing where transparent huge pages are not Linux's.
func Reserve(n int64) bool { return false }
