package dmesg

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The fast paths of the look-back (see mayOpen, cutBracketClock) are
// held here to what they replace, on every line of every real sample:
// testdata/ (the shared corpus among it), every sample re-rendered in
// every prefix style, generated logs, and the logs of the batch benchmark
// when bench-out/ (generated, not in the repository) is there.

// benchJobsDir holds the batch benchmark's jobs (scripts/bench-batch.sh).
const benchJobsDir = "../bench-out/jobs-10000-unzipped"

// benchJobLogs returns the kernel.log and pytest.log of every 250th job
// of the batch benchmark, by path; none when it was not generated.
func benchJobLogs(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	jobs, _ := filepath.Glob(filepath.Join(benchJobsDir, "job-*"))
	slices.Sort(jobs)
	for i := 0; i < len(jobs); i += 250 {
		for _, name := range []string{"kernel.log", "pytest.log"} {
			if b, err := os.ReadFile(filepath.Join(jobs[i], name)); err == nil {
				out[filepath.Join(jobs[i], name)] = b
			}
		}
	}
	return out
}

// sampleLines returns every distinct line of the real samples, the bench
// jobs' logs, the corpus re-rendered in every prefix style and generated
// logs (made once: several tests read them).
func sampleLines(t testing.TB) []string {
	t.Helper()
	if sampleLinesMade == nil {
		sampleLinesMade = makeSampleLines(t)
	}
	return sampleLinesMade
}

var sampleLinesMade []string

func makeSampleLines(t testing.TB) []string {
	seen := map[string]bool{}
	add := func(data []byte) {
		for l := range strings.SplitSeq(string(data), "\n") {
			seen[strings.TrimSuffix(l, "\r")] = true
		}
	}
	for _, data := range realSamples(t) {
		add(data)
	}
	for _, data := range benchJobLogs(t) {
		add(data)
	}
	for _, data := range corpus(t) {
		for _, s := range styles {
			add(rerender(data, s))
		}
	}
	recs := recordLines(t)
	r := rand.New(rand.NewSource(1))
	for range 20 {
		add(generate(r, recs, 20000))
	}
	for _, n := range noise {
		seen[n] = true
	}
	lines := make([]string, 0, len(seen))
	for l := range seen {
		lines = append(lines, l)
	}
	slices.Sort(lines)
	return lines
}

// clocks are the ways Options make stamps read.
var clocks = []clock{
	clockOf(Options{}),
	clockOf(Options{Year: 2026, Location: time.UTC}),
	clockOf(Options{Year: 2019, Location: time.FixedZone("X", -5*3600)}),
}

// tails returns s and its first tails that start after a separator a
// prefix layer reads up to (a layer sees the rest the layers before it
// left).
func tails(s string) []string {
	out := []string{s}
	for i := 1; i < len(s) && len(out) < 6; i++ {
		switch s[i-1] {
		case ' ', ']', ':', ';', '>', '|':
			out = append(out, s[i:])
		}
	}
	return out
}

func sameCut(t *testing.T, c clock, s string) {
	t.Helper()
	got, want := c.cutPrefix(s), c.cutPrefixRef(s)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cutPrefix(%q):\n got  %+v\n want %+v", s, got, want)
	}
}

// TestCutPrefixAgrees holds cutPrefix to the reading before its fast
// paths (cutPrefixRef, prefix_ref_test.go) on every sample line with
// every clock, and on the line's tails (every tenth line with -short).
func TestCutPrefixAgrees(t *testing.T) {
	for i, l := range sampleLines(t) {
		if testing.Short() && i%10 != 0 {
			continue
		}
		for _, c := range clocks {
			sameCut(t, c, l)
		}
		for _, s := range tails(l)[1:] {
			sameCut(t, clocks[0], s)
		}
	}
}

// TestIsProgByte: isProgByte accepts exactly the bytes progTag accepts
// in a program name.
func TestIsProgByte(t *testing.T) {
	for c := range 256 {
		_, ok := progTag(string([]byte{'a', byte(c), 'b', '[', '1', ']'}), false)
		if got := isProgByte(byte(c)); got != ok {
			t.Errorf("isProgByte(%q) = %v, progTag says %v", byte(c), got, ok)
		}
	}
}

// FuzzCutPrefix: cutPrefix equals cutPrefixRef on any line.
func FuzzCutPrefix(f *testing.F) {
	lines := sampleLines(f)
	for i := 0; i < len(lines); i += max(1, len(lines)/500) {
		f.Add(lines[i])
	}
	for _, s := range styles {
		f.Add(s.render("Killed process 1 (x)", 12.5, 3))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range clocks {
			sameCut(t, c, s)
		}
	})
}

// feedTags are tags a message can come with (see feedMsg).
var feedTags = []string{"", "kernel", "systemd", "systemd-oomd", "earlyoom", "CRON"}

// feedStates makes parsers with no record open, in which feedMsg's cases
// have something to act on: a closed kill (a panic without invoker, for
// the banner after it), a memory.oom.group list, kills for reaper lines,
// a stamp, a host.
var feedStates = []func() *parser{
	func() *parser { return newParser(Options{}) },
	func() *parser {
		p := newParser(Options{Year: 2026})
		p.log.Events = []Event{{Kind: KindKernelOOMKill, Line: 8, FirstLine: 2, LastLine: 9, PID: 42, Outcome: OutcomePanic, KeyLines: []string{"Out of memory: Killed process 42 (x)"}}}
		p.kills = []int{0}
		p.group = 0
		p.prevLogical = 9
		p.alert = 1
		p.lastStamp = stamp{uptimeText: "12.5", hasUptime: true, basis: BasisUptime}
		p.host = "node1"
		return p
	},
}

// sameFeed fails unless feedMsg leaves the same state with its fast path
// as without (parser.full), for message m with each tag, in each state.
func sameFeed(t *testing.T, m string) {
	t.Helper()
	for _, tag := range feedTags {
		for i, mk := range feedStates {
			fast, full := mk(), mk()
			feedBoth(fast, full, m, tag)
			if !reflect.DeepEqual(fast, full) {
				t.Fatalf("feedMsg(%q, tag %q), state %d: the fast path leaves\n %+v\nthe full path\n %+v", m, tag, i, fast, full)
			}
		}
	}
}

// feedBoth feeds m to fast and, without the fast paths, to full.
func feedBoth(fast, full *parser, m, tag string) {
	st := stamp{uptimeText: "13.0", hasUptime: true, basis: BasisUptime}
	full.full = true
	fast.feedMsg(10, 11, m, st, tag)
	full.feedMsg(10, 11, m, st, tag)
	full.full = false
}

// sameFeeds is sameFeed of every message of ms, cheaper: each tag's pair
// of parsers takes them all in turn (a state in which a record was opened
// or an event changed stays so, as no message that could close or undo
// it comes), compared in whole every 500 messages. A difference is then
// looked for message by message.
func sameFeeds(t *testing.T, ms []string) {
	t.Helper()
	for _, tag := range feedTags {
		for _, mk := range feedStates {
			fast, full := mk(), mk()
			from := 0
			for i, m := range ms {
				feedBoth(fast, full, m, tag)
				if i%500 != 499 && i != len(ms)-1 {
					continue
				}
				if !reflect.DeepEqual(fast, full) {
					for _, m := range ms[from : i+1] {
						sameFeed(t, m)
					}
					t.Fatalf("tag %q: the fast and full paths differ after messages %d-%d, each alike alone", tag, from, i)
				}
				from = i + 1
			}
		}
	}
}

// TestMayOpen holds feedMsg's fast path (mayOpen false) to its full path
// on the messages of every sample line and their tails, and on the raw
// lines (every tenth line with -short), and checks that the look-back's
// noise takes it.
func TestMayOpen(t *testing.T) {
	c := clockOf(Options{})
	seen := map[string]bool{}
	var quiet []string
	for i, l := range sampleLines(t) {
		if testing.Short() && i%10 != 0 {
			continue
		}
		for _, m := range append(stripPrefix(l, c).messages(), l) {
			for _, s := range tails(m) {
				if msg := trimBlanks(strings.TrimRight(s, " \r\t")); msg != "" && !mayOpen(msg) && !seen[s] {
					seen[s] = true
					quiet = append(quiet, s)
				}
			}
		}
	}
	sameFeeds(t, quiet)
	for _, m := range []string{"eth0: renamed from veth0d381a6; link becomes ready", "tests/test_mod09.py::test_case_0387[param-2] PASSED [ 77%]"} {
		if mayOpen(m) {
			t.Errorf("mayOpen(%q): the look-back's noise takes the full path", m)
		}
	}
	// the messages that do open or act, for the other side of the test
	for _, m := range []string{"python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0", "Killed process 5 (x)", "sending SIGKILL to process 5", "Linux version 6.1", "-- Boot 1 --", "Task in /a killed as a result of limit of /a", "CPU: 1 PID: 5 Comm: x", "Pid: 5, comm: x"} {
		if !mayOpen(m) {
			t.Errorf("mayOpen(%q) is false", m)
		}
		sameFeed(t, m)
	}
}

// FuzzMayOpen: feedMsg's fast path equals its full path on any message.
func FuzzMayOpen(f *testing.F) {
	lines := sampleLines(f)
	c := clockOf(Options{})
	for i := 0; i < len(lines); i += max(1, len(lines)/500) {
		f.Add(stripPrefix(lines[i], c).msg)
	}
	f.Fuzz(func(t *testing.T, m string) {
		sameFeed(t, m)
	})
}

// TestBenchJobsEqualReference holds Parse and ParseBytes to the reference
// reading (no fast path) on the batch benchmark's logs.
func TestBenchJobsEqualReference(t *testing.T) {
	logs := benchJobLogs(t)
	if len(logs) == 0 {
		t.Skip("no " + benchJobsDir + " (scripts/bench-batch.sh makes it)")
	}
	for name, data := range logs {
		sameLog(t, name, data, Options{Name: name}, defaultLimits)
		sameFromBytes(t, name, data)
		lg, err := ParseBytes(data, Options{Name: name})
		if err != nil || strings.HasSuffix(name, "kernel.log") && len(lg.Events) != 1 {
			t.Fatalf("%s: %v, %d events", name, err, len(lg.Events))
		}
	}
}

// TestLookbackSamples parses inputs made of a sample's lines before a
// needle line (the look-back's case): Parse equals the reference.
func TestLookbackSamples(t *testing.T) {
	for name, data := range corpus(t) {
		lines := bytes.Split(data, []byte("\n"))
		for i := 0; i < len(lines); i += 40 {
			in := bytes.Join(lines[i:min(len(lines), i+64)], []byte("\n"))
			in = append(in, "\nKilled\n"...)
			sameLog(t, fmt.Sprintf("%s lines %d+", name, i+1), in, Options{Name: name}, defaultLimits)
		}
	}
}
