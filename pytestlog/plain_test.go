package pytestlog

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/internal/jobgen"
)

// parseBothWays parses data with and without plainResult and fails when the
// logs differ.
func parseBothWays(t *testing.T, name string, data []byte, opts Options) {
	t.Helper()
	defer func() { plainFastPath = true }()
	plainFastPath = false
	want, werr := Parse(bytes.NewReader(data), opts)
	plainFastPath = true
	got, gerr := Parse(bytes.NewReader(data), opts)
	if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: fast path gives\n%+v %v\ngeneral path\n%+v %v", name, got, gerr, want, werr)
	}
}

// checkPlain fails when splitPlain takes a line that the general path's
// readers before verboseLine could take, or reads it otherwise than
// splitVerbose.
func checkPlain(t *testing.T, line string) {
	t.Helper()
	checkPlainHelpers(t, line)
	var pl plainLine
	if !splitPlain(line, &pl, nil) {
		return
	}
	if m, found := findEndMarker(line); found {
		t.Fatalf("splitPlain takes %q, which holds the end marker %q", line, m.text)
	}
	if strings.TrimSpace(line) != line || strings.HasSuffix(line, " ") {
		t.Fatalf("splitPlain takes %q, which TrimSpace changes", line)
	}
	first, _, _ := strings.Cut(line, " ")
	if first != pl.id || mayStandaloneWord(line) || mayLiveLog(line) || maySeparator(line) || isSessionStarts(line) ||
		strings.HasPrefix(line, "##[") || strings.Contains(line, "] node down: ") || strings.HasSuffix(line, "[hook]") {
		t.Fatalf("splitPlain takes %q, which another reader may take", line)
	}
	best, word, m := lastWord(line)
	if pl.file != fileOf(pl.id) || best != len(pl.id) || word != pl.word || m[1] != "" || m[2] != pl.pct || m[3] != pl.done || m[4] != pl.total {
		t.Fatalf("splitPlain(%q) = %+v, lastWord %d %q %q", line, pl, best, word, m)
	}
}

// checkPlainHelpers holds splitPlain's helpers to the calls they stand in
// for.
func checkPlainHelpers(t *testing.T, line string) {
	t.Helper()
	if got, want := indexColons(line), strings.Index(line, "::"); got != want {
		t.Fatalf("indexColons(%q) = %d, want %d", line, got, want)
	}
	for _, set := range []byteSet{plainNeedles.anchors, byteSet{}.with(' '), byteSet{}.with(0).with(0xff).with('a').with('\x80'), byteSet{}.with('k').with('K'), {}} {
		want := false
		for k := 0; k < set.n; k++ {
			want = want || strings.IndexByte(line, set.bytes[k]) >= 0
		}
		if got := set.in(line); got != want {
			t.Fatalf("byteSet%q.in(%q) = %v, want %v", set.bytes[:set.n], line, got, want)
		}
	}
	if got, want := skipSpaceRE(line, 0), len(line)-len(strings.TrimLeft(line, " \t\n\f\r")); got != want {
		t.Fatalf("skipSpaceRE(%q, 0) = %d, want %d", line, got, want)
	}
	for i := 0; i < len(line) && i < 16; i++ {
		if got, want := wordAt(line[i:]), refWordAt(line[i:]); got != want {
			t.Fatalf("wordAt(%q) = %q, want %q", line[i:], got, want)
		}
	}
}

// refWordAt is wordAt as it was: the first word of verboseWordList that s
// starts with.
func refWordAt(s string) string {
	if len(s) < 5 || !isWordStart(s[0]) {
		return ""
	}
	for _, w := range verboseWordList {
		if strings.HasPrefix(s, w) {
			return w
		}
	}
	return ""
}

var plainEdgeCases = []string{
	"tests/a.py::t PASSED [ 50%]", "tests/a.py::t PASSED", "tests/a.py::t PASSED ", "tests/a.py::t PASSED\t[ 5%]", "tests/a.py::t PASSED [ 5%]\f",
	"tests/a.py::t FAILED [3/10]", "tests/a.py::t PASSED [ 5%]Killed", "tests/make.py::t PASSED [ 1%]", "tests/OOMKilled.py::t PASSED [ 1%]",
	"x.MemoryError.py::t PASSED [ 1%]", "t.py::zsh: PASSED [ 1%]", "t.py::Fatal Python error: x", "t.py::a PASSEDX [1%]", "t.py::a[x] SKIPPED (why) [ 5%]",
	"a.py::x <- b.py PASSED [ 1%]", "t.py::##[error] PASSED [ 2%]", "T.py::a PASSED [ 2%]", "#t.py::a PASSED [ 2%]", "[gw0]::a PASSED [ 2%]",
	"t.py::a PASSED [ 2%]\v", "t.py::a XFAI [1%]", "t.py::a XPAS", "t.py::a XPASS", "t.py::a SKIPPE [1%]", "t.py::a LEAKED [1%]", "t.py::a RERUN", "t.py::a\tb PASSED [ 2%]", "t.py::a PASSED\u00a0", "t.py::a\u00a0 PASSED [ 2%]", "a.py PASSED [ 2%]",
}

// plainLogs are whole logs around plainEdgeCases: each line after a -v
// header and a result, before an echo and a kill.
func plainLogs() []string {
	head := "============================= test session starts ==============================\n" +
		"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0\ncollecting ... collected 3 items\n\n"
	var logs []string
	for _, c := range plainEdgeCases {
		logs = append(logs, c+"\n", head+c+"\n", head+"t.py::a PASSED [ 1%]\n"+c+"\nt.py::b \nKilled\n",
			head+"t.py::a \n"+c+"\n=== 1 passed in 0.1s ===\n"+c+"\n", head+"2026-01-05T10:11:12.1234567Z "+c+"\n")
	}
	return logs
}

// TestPlainResult holds plainResult to the general path on the samples,
// the benchmarks' logs, a batch job's log and the edge cases.
func TestPlainResult(t *testing.T) {
	for _, f := range sampleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parseBothWays(t, f, data, Options{Name: f})
		parseBothWays(t, f, data, Options{Name: f, Collect: suiteCollect(t)})
	}
	stacks, _ := filepath.Glob(filepath.Join(stacksDir, "*.log"))
	for _, f := range stacks {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parseBothWays(t, f, data, Options{Name: f})
	}
	parseBothWays(t, "verboseRun", verboseRun(500), Options{})
	for _, id := range []string{"", "m", "mak", "make", "amake", "mamake", "makemake", "xmakx", "Killed", "OOMKille", "OOMKilled", "##[erro]", "x##[error]"} {
		want := false
		for _, r := range markerRules {
			want = want || strings.Contains(id, r.needle)
		}
		if got := plainNeedles.holds(id, " PASSED"); got != want {
			t.Errorf("plainNeedles.holds(%q) = %v, want %v", id, got, want)
		}
	}
	parseBothWays(t, "benchLog", benchLog(200), Options{})
	for _, f := range jobgen.Job(rand.New(rand.NewSource(1)), 500) {
		parseBothWays(t, f.Name, f.Data, Options{})
	}
	for _, l := range plainLogs() {
		parseBothWays(t, l, []byte(l), Options{})
	}
	lines := append(sampleLines(t), plainEdgeCases...)
	lines = append(lines, prefilterEdgeCases...)
	taken := 0
	for _, l := range lines {
		checkPlain(t, l)
		if splitPlain(l, &plainLine{}, nil) {
			taken++
		}
	}
	if taken == 0 {
		t.Fatal("splitPlain takes no line")
	}
	checkIDMemo(t, lines)
	checkIDMemo(t, []string{"t.py::a", "t.py::ak", "t.py::a", "t.py:", "t.py::b", "t.py", "t.py::c", "u.py::c::d", "u.py::", "u.py::e", "", "::", "::make"})
}

// checkIDMemo holds idMemo.read, over lines and their first fields read in
// turn, to indexColons and plainNeedles.anchors.in, and commonPrefix to a
// comparison byte by byte.
func checkIDMemo(t *testing.T, lines []string) {
	t.Helper()
	var m idMemo
	prev := ""
	for _, l := range lines {
		first, _, _ := strings.Cut(l, " ")
		for _, id := range []string{first, l} {
			want := 0
			for want < len(prev) && want < len(id) && prev[want] == id[want] {
				want++
			}
			if got := commonPrefix(prev, id); got != want {
				t.Fatalf("commonPrefix(%q, %q) = %d, want %d", prev, id, got, want)
			}
			colons, anchors := m.read(id)
			if colons != indexColons(id) || anchors != plainNeedles.anchors.in(id) {
				t.Fatalf("idMemo%+v.read(%q) = %d, %v; want %d, %v", m, id, colons, anchors, indexColons(id), plainNeedles.anchors.in(id))
			}
			prev = id
		}
	}
}

// TestPlainNeedles checks plainNeedles.holds against every needle: one
// without a space is found in an id, one with a space across the id's end.
func TestPlainNeedles(t *testing.T) {
	for _, r := range markerRules {
		n := r.needle
		sp := strings.IndexByte(n, ' ')
		if sp < 0 {
			for _, id := range []string{n, "t.py::x" + n, "t.py::" + n + n[:1] + "y", n[:len(n)-1] + n} {
				if !plainNeedles.holds(id, " PASSED") {
					t.Errorf("plainNeedles.holds misses %q in %q", n, id)
				}
			}
			continue
		}
		for _, w := range verboseWordList {
			tail := " " + w + " [ 5%]"
			line := "t.py::" + n[:sp] + tail
			if strings.Contains(line, n) && !plainNeedles.holds(line[:len(line)-len(tail)], tail) {
				t.Errorf("plainNeedles.holds misses %q in %q", n, line)
			}
		}
	}
}

// FuzzPlainResult holds plainResult to the general path on any input, and
// splitPlain to the readers it stands in for on each line.
func FuzzPlainResult(f *testing.F) {
	for _, l := range plainLogs() {
		f.Add([]byte(l))
	}
	f.Add(verboseRun(20))
	for _, j := range jobgen.Job(rand.New(rand.NewSource(1)), 40) {
		if j.Name == "pytest.log" {
			f.Add(j.Data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parseBothWays(t, "fuzz", data, Options{Name: "fuzz"})
		lines := strings.Split(string(data), "\n")
		for _, l := range lines {
			checkPlain(t, l)
		}
		checkIDMemo(t, lines)
	})
}

// verboseWords is pytest's verbose result words and their outcomes, as
// verboseOutcome must give them.
var verboseWords = map[string]string{
	"PASSED":  OutcomePassed,
	"FAILED":  OutcomeFailed,
	"ERROR":   OutcomeError,
	"SKIPPED": OutcomeSkipped,
	"XFAIL":   OutcomeXfailed,
	"XPASS":   OutcomeXpassed,
	"RERUN":   OutcomeRerun,
	"LEAKED":  OutcomeLeaked,
}

func TestVerboseOutcome(t *testing.T) {
	for _, w := range append(verboseWordList, "", "PASS", "PASSEDX", "passed", "Killed") {
		if got, want := verboseOutcome(w), verboseWords[w]; got != want {
			t.Errorf("verboseOutcome(%q) = %q, want %q", w, got, want)
		}
	}
	if len(verboseWords) != len(verboseWordList) {
		t.Errorf("verboseWords has %d words, verboseWordList %d", len(verboseWords), len(verboseWordList))
	}
	for w := range verboseWords {
		if verboseOutcome(w) != verboseWords[w] {
			t.Errorf("verboseOutcome(%q) = %q, want %q", w, verboseOutcome(w), verboseWords[w])
		}
	}
}
