package pytestlog

import (
	"regexp"
	"sync"
)

// lazyRegexp is a regular expression compiled on its first use. oomlens
// starts anew for every command, and most runs read no pytest log: the
// eighty-odd expressions of this package, compiled at start-up, took 11 ms
// and 850 KB of every run (GODEBUG=inittrace=1; a third of `oomlens
// analyze` on a small file, issue 18). It has the methods of
// *regexp.Regexp the package uses.
type lazyRegexp struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
	// fast, when set, reads by hand the shapes of s it knows: it returns
	// what FindStringSubmatchIndex would (nil for no match) and true, or
	// false to leave s to the expression (fast.go).
	fast func(s string) ([]int, bool)
}

// allRegexps are the package's expressions, for TestRegexpsCompile.
var allRegexps []*lazyRegexp

// lazyRe is lazyRe(src), compiled on first use.
func lazyRe(src string) *lazyRegexp {
	l := &lazyRegexp{src: src}
	allRegexps = append(allRegexps, l)
	return l
}

// lazyReFast is lazyRe(src) with a hand-written reader of its common shapes.
func lazyReFast(src string, fast func(s string) ([]int, bool)) *lazyRegexp {
	l := lazyRe(src)
	l.fast = fast
	return l
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

func (l *lazyRegexp) MatchString(s string) bool {
	if l.fast != nil {
		if loc, ok := l.fast(s); ok {
			return loc != nil
		}
	}
	return l.get().MatchString(s)
}
func (l *lazyRegexp) Match(b []byte) bool { return l.get().Match(b) }
func (l *lazyRegexp) FindStringSubmatch(s string) []string {
	if l.fast != nil {
		if loc, ok := l.fast(s); ok {
			return submatches(s, loc)
		}
	}
	return l.get().FindStringSubmatch(s)
}
func (l *lazyRegexp) FindStringSubmatchIndex(s string) []int {
	if l.fast != nil {
		if loc, ok := l.fast(s); ok {
			return loc
		}
	}
	return l.get().FindStringSubmatchIndex(s)
}
func (l *lazyRegexp) FindAllStringSubmatch(s string, n int) [][]string {
	return l.get().FindAllStringSubmatch(s, n)
}
func (l *lazyRegexp) FindStringIndex(s string) []int {
	if l.fast != nil {
		if loc, ok := l.fast(s); ok {
			if loc == nil {
				return nil
			}
			return loc[:2]
		}
	}
	return l.get().FindStringIndex(s)
}

// submatches is FindStringSubmatch's result for the indexes loc.
func submatches(s string, loc []int) []string {
	if loc == nil {
		return nil
	}
	m := make([]string, len(loc)/2)
	for i := range m {
		if loc[2*i] >= 0 {
			m[i] = s[loc[2*i]:loc[2*i+1]]
		}
	}
	return m
}
func (l *lazyRegexp) ReplaceAllString(src, repl string) string {
	return l.get().ReplaceAllString(src, repl)
}
func (l *lazyRegexp) FindString(s string) string { return l.get().FindString(s) }
