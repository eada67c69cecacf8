//go:build !linux

package hugeheap

import "unsafe"

// Reserve does nothing where transparent huge pages are not Linux's.
func Reserve(n int64) bool { return false }

// Advise does nothing where transparent huge pages are not Linux's.
func Advise(p unsafe.Pointer, n uintptr) bool { return false }
