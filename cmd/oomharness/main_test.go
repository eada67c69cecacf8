package main

import (
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"448M": 448 << 20, "1G": 1 << 30, "64k": 64 << 10, "4096": 4096} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "M", "-1", "1.5G", "x"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q): want an error", bad)
		}
	}
}
