package pytestlog

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// prefilters pairs every expression with the literal check that guards it.
var prefilters = []struct {
	name string
	re   *lazyRegexp
	may  func(string) bool
}{
	{"gitlabSection", gitlabSectionRe, mayGitlabSection},
	{"uiAnchor", uiAnchorRe, mayUIAnchor},
	{"sessionStarts", sessionStartsRe, maySessionStarts},
	{"separator", separatorRe, maySeparator},
	{"finalQuiet", finalQuietRe, mayFinalQuiet},
	{"liveLog", liveLogRe, mayLiveLog},
	{"headerKV", headerKVRe, mayHeaderKV},
	{"cachedir", cachedirRe, func(s string) bool { return strings.HasPrefix(s, "cachedir: ") }},
	{"rootdirOld", rootdirOldRe, func(s string) bool { return strings.HasPrefix(s, "rootdir: ") }},
	{"plugins", pluginsRe, func(s string) bool { return strings.HasPrefix(s, "plugins: ") }},
	{"collecting", collectingRe, func(s string) bool { return strings.HasPrefix(s, "collecting ") }},
	{"collected", collectedRe, func(s string) bool { return strings.HasPrefix(s, "collected ") }},
	{"locationSuffix", locationSuffixRe, mayLocationSuffix},
	{"buildkite", buildkiteRe, mayBuildkite},
	{"jenkinsPrefix", jenkinsPrefixRe, mayJenkinsPrefix},
	{"containerTab", containerTabRe, mayContainerTab},
	{"gitlabStream", gitlabStreamRe, mayGitlabStream},
	{"standaloneWord", standaloneWordRe, mayStandaloneWord},
	{"progressFile", progressFileRe, mayProgressFile},
}

// refLastWord is splitVerbose's first search as it was written before the
// space scan: for every word, its last occurrence whose tail matches
// verboseTailRe; the latest of those wins.
func refLastWord(body string) (best int, word string, m []string) {
	best = -1
	for _, w := range verboseWordList {
		from := len(body)
		for {
			i := strings.LastIndex(body[:from], " "+w)
			if i < 0 {
				break
			}
			if i > best {
				if sm := verboseTailRe.FindStringSubmatch(body[i+1+len(w):]); sm != nil {
					best, word, m = i, w, sm
					break
				}
			}
			from = i
		}
	}
	return best, word, m
}

// checkPrefilters fails when a prefilter rejects a line its expression
// matches, when the hand-read progress tail differs from verboseTailRe, when
// the byte mask rejects a line holding a marker needle, or when the space
// scan of a verbose line finds another word than the word-by-word search.
func checkPrefilters(t *testing.T, s string) {
	t.Helper()
	variants := []string{s, strings.TrimSpace(s), strings.TrimRight(s, " \t")}
	for _, v := range variants {
		for _, p := range prefilters {
			if p.re.MatchString(v) && !p.may(v) {
				t.Fatalf("%s: prefilter rejects %q, which the expression matches", p.name, v)
			}
		}
		if got, want := trimLocation(v), locationSuffixRe.ReplaceAllString(v, ""); got != want {
			t.Fatalf("trimLocation(%q) = %q, want %q", v, got, want)
		}
		for i := 0; i <= len(v); i++ {
			tail := v[i:]
			want := verboseTailRe.FindStringSubmatch(tail)
			got, ok := verboseTail(tail)
			if ok != (want != nil) || ok && !slices.Equal(got[:], want) {
				t.Fatalf("verboseTail(%q) = %q %v, want %q", tail, got, ok, want)
			}
			if i > 8 && len(v)-i > 64 {
				i = len(v) - 64 // the head was checked; the tails that matter end the line
			}
		}
		have := maskOf(v)
		for j, r := range markerRules {
			if strings.Contains(v, r.needle) && !have.holds(markerMasks[j]) {
				t.Fatalf("mask rejects %q holding %q", v, r.needle)
			}
			if r.re.MatchString(v) && !holdsNeedleOf(v, r.re) {
				t.Fatalf("%q matches the end marker expression of %q but holds none of its needles", v, r.needle)
			}
		}
		b1, w1, m1 := refLastWord(v)
		b2, w2, m2 := lastWord(v)
		if b1 != b2 || w1 != w2 || b2 >= 0 && !slices.Equal(m1, m2[:]) {
			t.Fatalf("last word of %q: %d %q %q, want %d %q %q", v, b2, w2, m2, b1, w1, m1)
		}
	}
}

// holdsNeedleOf reports whether s holds the needle of a marker rule with
// the expression re (one expression can have several rules, one a needle).
func holdsNeedleOf(s string, re *lazyRegexp) bool {
	for _, r := range markerRules {
		if r.re == re && strings.Contains(s, r.needle) {
			return true
		}
	}
	return false
}

// sampleLines are the lines (and \r-separated segments) of every sample.
func sampleLines(t testing.TB) []string {
	var lines []string
	for _, f := range sampleFiles(t) {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l := sc.Text()
			lines = append(lines, l)
			if strings.Contains(l, "\r") {
				lines = append(lines, strings.Split(l, "\r")...)
			}
			if text, _, has := stripCI(l); has {
				lines = append(lines, text)
			}
		}
		fh.Close()
	}
	return lines
}

func TestPrefiltersOnSamples(t *testing.T) {
	lines := sampleLines(t)
	lines = append(lines, prefilterEdgeCases...)
	for _, l := range lines {
		checkPrefilters(t, l)
	}
}

var prefilterEdgeCases = []string{
	"", " ", "[", "[5%)", "[5%", "[5/7)", " [ 5%x ", "[ 5%]", " [ 5%] ", "\t[\t12%]\t", " [3/10]", "[3/]", "[/3]", "[ 5%", "[5%]x", " (reason) [ 5%]",
	"t.py::a PASSED", "t.py::a PASSED [ 5%] PASSED [ 6%]", "t.py::a[x PASSED] FAILED (boom) [100%]", "t.py::a PASSEDX [1%]",
	"t.py::a XFAIL (reason (nested)) [ 5%]", "t.py::a PASSED\f[ 5%]\r", "a.py::t <- b.py PASSED [ 1%]", "x <- y", " <- ",
	"section_start:1234:name", "[1131](https://github.com/o/r/actions/runs/1#step:13:1132)", "=== 1 passed in 0.01s ===",
	"1 passed in 0.01s", "no tests ran in 0.01s", "12 failed, 3 passed, 1 warning in 61.20s (0:01:01)", "---- live log call ----", "00O line", "01E+ line", "\x1b_bk;t=1700000000000\x07x",
	"[2024-01-05T10:11:12.123Z] x", "[0999-01-05T10:11:12Z]", "cachedir: .pytest_cache", "rootdir: /x, configfile: setup.cfg",
	"plugins: xdist-3.1.0", "collecting ... collected 3 items", "collected 3 items / 1 error", "inifile: tox.ini", "testpaths: tests",
	"configfile: pyproject.toml", "py311: (exited with code -9)", "nox > Session failed with exit code -9.", "Process completed with exit code 137.", "============================= test session starts ==============================", "svc\tline", "PASSED [ 50%]", "  FAILED", "tests/a.py ..F [ 50%]", ".a.py", "(a.py",
}

// FuzzPrefilters checks the literal prefilters, the hand-read progress tail
// and the verbose-word scan against the expressions they stand in for.
func FuzzPrefilters(f *testing.F) {
	for _, l := range sampleLines(f) {
		f.Add(l)
	}
	for _, l := range prefilterEdgeCases {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkPrefilters(t, s)
	})
}
