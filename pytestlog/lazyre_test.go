package pytestlog

import (
	"regexp"
	"testing"
)

// TestRegexpsCompile: every expression of the package compiles (they are
// compiled on first use, so a bad one would otherwise fail only on the
// log that reaches it), and as regexp.MustCompile would.
func TestRegexpsCompile(t *testing.T) {
	if len(allRegexps) < 50 {
		t.Fatalf("%d expressions registered", len(allRegexps))
	}
	for _, l := range allRegexps {
		want, err := regexp.Compile(l.src)
		if err != nil {
			t.Errorf("%q: %v", l.src, err)
			continue
		}
		if got := l.get(); got.String() != want.String() {
			t.Errorf("%q compiled as %q", l.src, got.String())
		}
	}
}
