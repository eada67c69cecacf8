package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestOutOfRangeFlagsAreUsageErrors: a value no real input can have is a
// usage error (exit 2) naming the flag, not dates in another century.
func TestOutOfRangeFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "--year", "99999", "-"},
		{"analyze", "--year", "-5", "-"},
		{"analyze", "--year", "1066", "-"},
	} {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader("[ 1.0] Out of memory: Killed process 1 (x)\n"), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "--year") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message naming --year", args, code, errb.String())
		}
	}
}
