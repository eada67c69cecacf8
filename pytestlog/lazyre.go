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
}

// allRegexps are the package's expressions, for TestRegexpsCompile.
var allRegexps []*lazyRegexp

// lazyRe is lazyRe(src), compiled on first use.
func lazyRe(src string) *lazyRegexp {
	l := &lazyRegexp{src: src}
	allRegexps = append(allRegexps, l)
	return l
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

func (l *lazyRegexp) MatchString(s string) bool { return l.get().MatchString(s) }
func (l *lazyRegexp) Match(b []byte) bool       { return l.get().Match(b) }
func (l *lazyRegexp) FindStringSubmatch(s string) []string {
	return l.get().FindStringSubmatch(s)
}
func (l *lazyRegexp) FindStringSubmatchIndex(s string) []int {
	return l.get().FindStringSubmatchIndex(s)
}
func (l *lazyRegexp) FindAllStringSubmatch(s string, n int) [][]string {
	return l.get().FindAllStringSubmatch(s, n)
}
func (l *lazyRegexp) FindStringIndex(s string) []int { return l.get().FindStringIndex(s) }
func (l *lazyRegexp) ReplaceAllString(src, repl string) string {
	return l.get().ReplaceAllString(src, repl)
}
func (l *lazyRegexp) FindString(s string) string { return l.get().FindString(s) }
