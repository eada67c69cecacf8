package correlate

// This file is the classification stage: the ledger's tests sorted into
// leaks, unclosed objects and hogs, each with its evidence.

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// classify sorts the finished tests into leaks (most retained first),
// unclosed and hogs (highest peak first); see the package comment.
func classify(results []*procResult, ended *placedKill, killOf func(int) *placedKill, floor int64, rule *HogRule) (leaks []Leak, unclosed []Unclosed, hogs []Hog) {
	named := map[*testMem]bool{}
	for _, r := range results {
		for _, t := range r.Tests {
			if t.InFlight {
				continue
			}
			objBytes := int64(0)
			for _, d := range t.OpenDetails {
				objBytes += d.NBytes
			}
			if !gone(r.Proc, ended) && t.HasNet && (t.Retained >= floor || (t.Retained > 0 && len(t.Open) > 0 && objBytes >= floor)) {
				own := killOf(t.Proc.PID)
				l := Leak{
					Test:          t.Test,
					Worker:        t.Proc.Worker,
					PID:           t.Proc.PID,
					RetainedBytes: t.Retained,
					OpenObjects:   t.Open,
					ShareOfKill:   shareOf(t.Retained, t.Proc.PID, own, ended),
					Confidence:    confidenceOf(t, floor),
					Evidence:      leakEvidence(t, own != nil || ended != nil),
				}
				if l.OpenObjects == nil {
					l.OpenObjects = map[string]int{}
				}
				if w := sharedWords(t.Proc, ended); w != "" {
					l.Evidence = append(l.Evidence, w)
				}
				leaks = append(leaks, l)
				named[t] = true
				continue
			}
			if len(t.Open) > 0 {
				unclosed = append(unclosed, Unclosed{Test: t.Test, Worker: t.Proc.Worker, OpenObjects: t.Open, Evidence: unclosedEvidence(t, floor)})
			}
			// A hog at the threshold is one at the floor (the threshold is
			// never lower): most tests are neither, and are asked once.
			if _, ok := hogFiguresOf(t, floor, 0); !ok {
				continue
			}
			if h, ok := hogOf(t, floor, rule.ThresholdBytes); ok {
				hogs = append(hogs, h)
			} else {
				rule.TestsBelow++
			}
		}
	}
	for _, r := range results {
		if !gone(r.Proc, ended) {
			leaks = append(leaks, groupLeaks(r, named, killOf(r.Proc.PID), ended, floor)...)
		}
	}
	sort.SliceStable(leaks, func(a, b int) bool {
		if leaks[a].RetainedBytes != leaks[b].RetainedBytes {
			return leaks[a].RetainedBytes > leaks[b].RetainedBytes
		}
		return leaks[a].Test < leaks[b].Test
	})
	sort.SliceStable(hogs, func(a, b int) bool {
		if hogs[a].RiseBytes != hogs[b].RiseBytes {
			return hogs[a].RiseBytes > hogs[b].RiseBytes
		}
		return hogs[a].PeakBytes > hogs[b].PeakBytes
	})
	return leaks, unclosed, hogs
}

func confidenceOf(t *testMem, floor int64) string {
	switch {
	case t.Coarse || t.Proc.LowConfidence:
		return ConfidenceLow
	case t.Anon || len(t.Open) > 0:
		return ConfidenceHigh
	case t.Retained >= 2*floor:
		return ConfidenceMedium
	}
	return ConfidenceLow
}

// shareOf is the retained memory over the killed process's anon-rss (the
// leak is on the killed process) or over the memory cgroup's usage (it is on
// another process sharing the cgroup whose limit was hit).
func shareOf(retained int64, pid int, own, ended *placedKill) *float64 {
	var s float64
	switch {
	case own != nil && own.AnonRSSBytes > 0:
		s = float64(retained) / float64(own.AnonRSSBytes)
	case ended != nil && ended.PID != pid && ended.MemcgOOM && ended.HasMemcgUsage && ended.MemcgUsageBytes > 0:
		s = float64(retained) / float64(ended.MemcgUsageBytes)
	case ended != nil && ended.PID == pid && ended.AnonRSSBytes > 0:
		s = float64(retained) / float64(ended.AnonRSSBytes)
	default:
		return nil
	}
	s = math.Min(1, math.Max(0, s))
	s = math.Round(s*1000) / 1000
	return &s
}

// sharedWords says why a leak on a process other than the killed one counts:
// it shared the memory (cgroup) whose limit was hit.
func sharedWords(p *proc, ended *placedKill) string {
	if ended == nil || ended.PID == p.PID || p.PID == 0 {
		return ""
	}
	where := "the machine's memory"
	if ended.MemcgOOM && ended.OOMMemcg != "" {
		where = "memory cgroup " + ended.OOMMemcg
	} else if ended.MemcgOOM {
		where = "the memory cgroup"
	}
	s := fmt.Sprintf("on pid %d, not the killed pid %d: both drew on %s", p.PID, ended.PID, where)
	if _, ok := ended.TaskPIDs[p.PID]; ok {
		s += " (the kill's task table lists it)"
	}
	return s
}

// measure names the figure a test's change was measured in.
func measure(t *testMem) string {
	if t.Anon {
		return "anonymous RSS"
	}
	return "RSS"
}

func leakEvidence(t *testMem, killed bool) []string {
	var ev []string
	b, a := t.before.RSSBytes, t.after.RSSBytes
	if t.Anon {
		b, a = t.before.AnonBytes, t.after.AnonBytes
	}
	at := "at the end of the record"
	if killed {
		at = "at the kill"
	}
	later := ""
	if t.TestsLater > 0 {
		later = fmt.Sprintf(", %d %s later", t.TestsLater, plural(int(t.TestsLater), "test", "tests"))
	}
	s := fmt.Sprintf("%s %s over the test (%s → %s)", measure(t), signed(a-b), FormatBytes(b), FormatBytes(a))
	if t.Net != a-b {
		s += fmt.Sprintf(", %s of its own once fixture teardowns inside it are credited to their setters", signed(t.Net))
	}
	if t.Coarse {
		s += " (" + recordReadWords(t) + ")"
	}
	released := t.added() - t.Retained
	if released > 0 {
		s += fmt.Sprintf("; %s of it given back later (%s), %s still held %s%s", FormatBytes(released), releaseWords(t.Releases), FormatBytes(t.Retained), at, later)
	} else {
		s += fmt.Sprintf(", still held %s%s", at, later)
	}
	ev = append(ev, s)
	if t.SharedWith > 0 {
		ev = append(ev, fmt.Sprintf("the samples are %.0f ms apart, and %d other %s ran between the samples around its start or end: the change is shared among them by time, and may be theirs",
			t.SampleGapS*1000, t.SharedWith, plural(t.SharedWith, "test", "tests")))
	}
	if t.TracebackKept && t.outcomeText() != "passed" {
		ev = append(ev, "it failed, and its end reading was taken while the traceback held its frames: part of this may be their locals, which pytest frees at the next test's call")
	}
	if o := openWords(t); o != "" {
		ev = append(ev, o)
	}
	if t.srcN > 0 {
		ev = append(ev, "records: "+strings.Join(sourceStrings(t.sources()), ", "))
	}
	return ev
}

func releaseWords(rs []release) string {
	var parts []string
	for _, r := range rs {
		if r.Fixture == recordTeardownFixture {
			parts = append(parts, recordTeardownWords(r))
		} else if r.Fixture != "" {
			scope := ""
			if r.Scope != "" {
				scope = r.Scope + " "
			}
			parts = append(parts, fmt.Sprintf("%s at the teardown of %sfixture %s during %s", FormatBytes(r.Bytes), scope, r.Fixture, r.By))
		} else {
			parts = append(parts, fmt.Sprintf("%s during %s", FormatBytes(r.Bytes), r.By))
		}
		if len(parts) == 3 && len(rs) > 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(rs)-3))
			break
		}
	}
	return strings.Join(parts, "; ")
}

// openWords describes the objects a test left open: "3 xarray.Dataset left
// open (file-backed, not closed)".
func openWords(t *testMem) string {
	if len(t.Open) == 0 {
		return ""
	}
	var types []string
	for k := range t.Open {
		types = append(types, k)
	}
	sort.Strings(types)
	var parts []string
	for _, k := range types {
		n := t.Open[k]
		s := fmt.Sprintf("%d %s left open", n, k)
		var notes []string
		fileBacked, notClosed, closed := 0, 0, 0
		var nbytes int64
		for _, d := range t.OpenDetails {
			if d.Type != k {
				continue
			}
			if d.FileBacked {
				fileBacked++
			}
			if d.Closed {
				closed++
			} else {
				notClosed++
			}
			nbytes += d.NBytes
		}
		if fileBacked > 0 {
			notes = append(notes, "file-backed")
		}
		if notClosed > 0 && closed == 0 {
			notes = append(notes, "not closed")
		} else if closed > 0 {
			notes = append(notes, fmt.Sprintf("%d closed but still referenced", closed))
		}
		if nbytes > 0 {
			notes = append(notes, FormatBytes(nbytes)+" of data")
		}
		if r, ok := t.CounterRise[k]; ok {
			notes = append(notes, "the process-wide count rose "+r+" during this test and never came back down")
		}
		if len(notes) > 0 {
			s += " (" + strings.Join(notes, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func unclosedEvidence(t *testMem, floor int64) []string {
	ev := []string{openWords(t)}
	if t.HasNet {
		ev = append(ev, fmt.Sprintf("%s still held at the end, under the %s noise floor", FormatBytes(t.Retained), FormatBytes(floor)))
	}
	return ev
}

// hogOf names a test with a high peak (peak − RSS before, less what its
// fixtures took, ≥ the floor and the hog threshold, or a tracemalloc peak
// ≥ both) that kept less than the floor.
func hogOf(t *testMem, floor, threshold int64) (Hog, bool) {
	f, ok := hogFiguresOf(t, floor, threshold)
	if !ok {
		return Hog{}, false
	}
	var ev []string
	if f.byPeak {
		peak := t.PeakRSSBytes
		how := t.PeakBasis.words()
		s := fmt.Sprintf("RSS peaked at %s, %s over its start (%s), by %s", FormatBytes(peak), signed(peak-t.before.RSSBytes), FormatBytes(t.before.RSSBytes), how)
		if t.FixtureSetupBytes > 0 {
			s += fmt.Sprintf("; %s of it made by fixtures set up for it", FormatBytes(t.FixtureSetupBytes))
		}
		if f.held > 0 {
			s += fmt.Sprintf("; %s of it held until the teardown of its scope's fixtures", FormatBytes(f.held))
		}
		ev = append(ev, s)
	}
	if f.byTracemalloc {
		ev = append(ev, fmt.Sprintf("Python allocations (tracemalloc) peaked at %s during it", FormatBytes(t.TracemallocPeakBytes)))
	}
	peak, rise := f.peak, f.rise
	if t.TracebackKept && t.outcomeText() != "passed" {
		ev = append(ev, "it failed: its traceback held its frames' locals until the next test's call")
	}
	if t.HasNet {
		if t.added()-t.Retained > 0 && len(t.Releases) > 0 {
			ev = append(ev, fmt.Sprintf("kept %s after it, given back later (%s); %s still held at the end", FormatBytes(t.added()), releaseWords(t.Releases), FormatBytes(t.Retained)))
		} else {
			ev = append(ev, fmt.Sprintf("%s over the test, %s still held at the end", signed(t.Net), FormatBytes(max(t.Retained, 0))))
		}
	}
	return Hog{Test: t.Test, Worker: t.Proc.Worker, PeakBytes: peak, RiseBytes: rise, RetainedBytes: t.Retained, Evidence: ev}, true
}

// hogFigures is what makes a test a hog, before any words.
type hogFigures struct {
	peak, rise int64
	// held is what the test kept until its scope's teardown in record
	// mode.
	held                  int64
	byPeak, byTracemalloc bool
}

// hogFiguresOf says whether t is a hog at threshold (see hogOf), and its
// peak and rise. It formats nothing: most tests are asked and are none.
func hogFiguresOf(t *testMem, floor, threshold int64) (hogFigures, bool) {
	var f hogFigures
	if t.HasNet && t.Retained >= floor {
		return f, false
	}
	floor = max(floor, threshold)
	// What fixtures made during the test took is theirs, not the test's
	// peak.
	// In record mode, what it kept until its file's or class's end, where
	// a drop was read as the teardown of the scope's fixtures, was theirs
	// too.
	f.held = recordFixtureBytes(t)
	if t.HasPeak && t.HasBefore && t.PeakRSSBytes-t.before.RSSBytes-t.FixtureSetupBytes-f.held >= floor {
		f.byPeak = true
		f.peak = t.PeakRSSBytes
		f.rise = t.PeakRSSBytes - t.before.RSSBytes - t.FixtureSetupBytes - f.held
	}
	if t.HasTracemalloc && t.TracemallocPeakBytes >= floor {
		f.byTracemalloc = true
		f.rise = max(f.rise, t.TracemallocPeakBytes)
		if f.peak == 0 {
			f.peak = t.TracemallocPeakBytes
			if t.HasBefore {
				f.peak += t.before.RSSBytes
			}
		}
	}
	return f, f.byPeak || f.byTracemalloc
}

// hogShare is the part of the memory that ran out a test's own rise must
// reach to be a hog: a peak of a tenth of the limit is one the run felt.
const hogShare = 10

// hogRuleOf is the hog threshold: a tenth of the memory cgroup's limit when
// a memcg OOM with a limit ended the run, else of the killed process's RSS
// at the kill (anon-rss + file-rss + shmem-rss), else of the highest RSS on
// record; never below the noise floor.
func hogRuleOf(results []*procResult, ended *placedKill, floor int64) HogRule {
	var ref int64
	var what string
	switch {
	case ended != nil && ended.MemcgOOM && ended.HasMemcgUsage && ended.MemcgLimitBytes > 0:
		ref, what = ended.MemcgLimitBytes, "the memory cgroup's limit"
	case ended != nil && ended.AnonRSSBytes+ended.FileRSSBytes+ended.ShmemRSSBytes > 0:
		ref, what = ended.AnonRSSBytes+ended.FileRSSBytes+ended.ShmemRSSBytes, "the killed process's RSS at the kill"
	default:
		for _, r := range results {
			for _, t := range r.Tests {
				if t.HasPeak && t.PeakRSSBytes > ref {
					ref = t.PeakRSSBytes
				}
			}
			for _, s := range r.Proc.Samples {
				ref = max(ref, s.Mem.RSSBytes)
			}
		}
		what = "the highest RSS on record"
	}
	rule := HogRule{ThresholdBytes: floor, Basis: fmt.Sprintf("the %s noise floor", FormatBytes(floor))}
	if ref/hogShare > floor {
		rule.ThresholdBytes = ref / hogShare
		rule.Basis = fmt.Sprintf("a tenth of %s (%s)", what, FormatBytes(ref))
	}
	return rule
}

// gone says a process finished its session before the kill: it freed what
// it kept when it exited, and held nothing then.
func gone(p *proc, ended *placedKill) bool {
	return ended != nil && ended.Time > 0 && p.EndedTime > 0 && p.EndedTime < ended.Time && !ended.kills(p.PID)
}
