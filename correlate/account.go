package correlate

// This file is the account stage: the memory of the killed process at the
// kill, split into what the analysis can explain (the process at its
// session start, the leaks, the groups, live fixtures, the test in flight)
// and what it cannot.

import (
	"fmt"
	"math"
	"strings"
)

// accountOf builds Report.MemoryAtKill for the killed process (else, with
// no kill, the process of the test in flight, else the only one): nil when
// no process has a reading, or the run completed with no kill.
func accountOf(rep *Report, results []*procResult, ended *placedKill, killOf func(int) *placedKill) *MemoryAccount {
	r := accountProc(results, ended)
	if r == nil && ended != nil && ended.HasKilled() {
		return killOnlyAccount(ended)
	}
	if r == nil || (ended == nil && rep.RunEnd.Kind == "complete") {
		return nil
	}
	p := r.Proc
	base, baseWhere, ok := baselineOf(p)
	if !ok {
		return nil
	}
	a := &MemoryAccount{PID: p.PID, Worker: p.Worker}
	k := killOf(p.PID)
	if k == nil && ended != nil && ended.kills(p.PID) {
		k = ended
	}
	var totalWords string
	if at, words, ok := killFigureOf(k, base); ok {
		a.TotalBytes = at
		totalWords = fmt.Sprintf("%s of pid %d at the kill (%s)", words, k.PID, k.Source)
		if strings.Contains(words, "anon-rss") {
			a.Measure = "anonymous RSS"
		} else {
			a.Measure = "RSS"
		}
	} else {
		if !r.HasLast {
			return nil
		}
		a.Measure = measureOf(r.Last)
		a.TotalBytes = figure(r.Last)
		totalWords = fmt.Sprintf("the last reading on record, %s (no kill record gives the process's memory)", r.LastSource)
	}
	anon := a.Measure == "anonymous RSS"
	baseline := base.RSSBytes
	if anon {
		baseline = base.AnonBytes
	}

	var leaks, groups int64
	nLeaks, nGroups := 0, 0
	for _, l := range rep.Leaks {
		if l.PID != p.PID || l.Worker != p.Worker {
			continue
		}
		if l.Group != nil {
			groups += l.RetainedBytes
			nGroups++
		} else {
			leaks += l.RetainedBytes
			nLeaks++
		}
	}
	var fixtures int64
	nFixtures := 0
	for _, f := range r.Fixtures {
		fixtures += f.HeldBytes
		nFixtures++
	}
	var inFlight int64
	inFlightWords := "no test was running"
	for _, f := range rep.InFlight {
		if f.PID != p.PID || f.Worker != p.Worker {
			continue
		}
		if f.AddedBytesEstimate != nil {
			inFlight = *f.AddedBytesEstimate
			inFlightWords = fmt.Sprintf("what %s added before the kill (its added_bytes_estimate)", f.Test)
		} else {
			inFlightWords = fmt.Sprintf("unknown: what %s added cannot be told from the evidence, so it is part of the unexplained", f.Test)
		}
		break
	}

	// Each part is taken in turn up to what is left of the total, so the
	// parts add up to it exactly and none is negative; a part cut short
	// says so.
	left := a.TotalBytes
	take := func(want int64, words string) (int64, string) {
		want = max(want, 0)
		got := min(want, left)
		left -= got
		if got < want {
			words += fmt.Sprintf("; %s of its %s fits under the total (the rest was given back before the kill, or the readings count differently)", FormatBytes(got), FormatBytes(want))
		}
		return got, words
	}
	a.BaselineBytes, a.Basis.Baseline = take(baseline, fmt.Sprintf("%s at %s", a.Measure, baseWhere))
	a.LeaksBytes, a.Basis.Leaks = take(leaks, fmt.Sprintf("retained by the %d %s named on their own", nLeaks, plural(nLeaks, "test", "tests")))
	a.GroupsBytes, a.Basis.Groups = take(groups, fmt.Sprintf("retained by the members of %d %s", nGroups, plural(nGroups, "group", "groups")))
	a.FixturesBytes, a.Basis.Fixtures = take(fixtures, fmt.Sprintf("held by %d live %s (their setup's growth)", nFixtures, plural(nFixtures, "fixture", "fixtures")))
	a.InFlightBytes, a.Basis.InFlight = take(inFlight, inFlightWords)
	a.UnexplainedBytes = left
	a.Basis.Total = totalWords
	a.Basis.Unexplained = unexplainedWords(r, rep, left, inFlight == 0 && inFlightWords != "no test was running")
	if a.TotalBytes > 0 {
		s := float64(a.TotalBytes-a.UnexplainedBytes) / float64(a.TotalBytes)
		a.ExplainedShare = math.Round(s*1000) / 1000
	}
	return a
}

// killFigureOf is killFigure for a kill that may be nil.
func killFigureOf(k *placedKill, like mem) (int64, string, bool) {
	if k == nil || !k.HasKilled() {
		return 0, "", false
	}
	return killFigure(k, like)
}

// accountProc is the process the account is of.
func accountProc(results []*procResult, ended *placedKill) *procResult {
	if ended != nil {
		for _, r := range results {
			if r.Proc.PID > 0 && ended.kills(r.Proc.PID) {
				return r
			}
		}
		return nil
	}
	var withActive []*procResult
	for _, r := range results {
		if r.Active != nil {
			withActive = append(withActive, r)
		}
	}
	switch {
	case len(withActive) == 1:
		return withActive[0]
	case len(results) == 1:
		return results[0]
	}
	return nil
}

// baselineOf is the process at its session start: its first reading, a
// session_start sample or the first test's start.
func baselineOf(p *proc) (mem, string, bool) {
	first := -1
	for i := range p.Steps {
		if p.Steps[i].HasMem() {
			first = i
			break
		}
	}
	if len(p.Samples) > 0 && (first < 0 || p.Samples[0].Time <= p.Steps[first].Time || p.Steps[first].Time == 0) {
		s := p.Samples[0]
		return s.Mem, "its first reading, " + pos(s.Source, s.SourceLine), true
	}
	if first >= 0 {
		s := &p.Steps[first]
		return s.Mem(), "its first test's start, " + s.at(p).String(), true
	}
	return mem{}, "", false
}

// unexplainedWords says what the unexplained part is made of, as far as the
// ledger knows: what tests kept under the floor and outside any group, and
// growth between tests that no test owns.
func unexplainedWords(r *procResult, rep *Report, left int64, inFlightUnknown bool) string {
	if left == 0 {
		return "nothing: the parts add up to the total"
	}
	named := map[string]bool{}
	for _, l := range rep.Leaks {
		if l.Group == nil {
			named[l.Test] = true
		}
	}
	var small int64
	nSmall := 0
	for _, t := range r.Tests {
		if !t.InFlight && t.Retained > 0 && !named[t.Test] && !t.Grouped {
			small += t.Retained
			nSmall++
		}
	}
	var parts []string
	if inFlightUnknown {
		parts = append(parts, "what the test in flight added")
	}
	if nSmall > 0 {
		parts = append(parts, fmt.Sprintf("%s kept by %d %s under the noise floor and in no group", FormatBytes(small), nSmall, plural(nSmall, "test", "tests")))
	}
	if r.Unowned > 0 {
		parts = append(parts, fmt.Sprintf("%s that grew between tests and no test owns", FormatBytes(r.Unowned)))
	}
	parts = append(parts, "and what changed outside the test records (imports and collection before the first test, the interpreter's own arenas, memory given back and taken again)")
	return fmt.Sprintf("%s not accounted for: %s", FormatBytes(left), strings.Join(parts, "; "))
}

// killOnlyAccount is the account of a kill whose process left no readings:
// the kernel's figure, all of it unexplained.
func killOnlyAccount(k *placedKill) *MemoryAccount {
	total, words, _ := killFigure(k, mem{})
	none := noReadings
	return &MemoryAccount{
		PID: k.PID, Measure: "RSS", TotalBytes: total, UnexplainedBytes: total,
		Basis: AccountBasis{
			Total:       fmt.Sprintf("%s of pid %d at the kill (%s)", words, k.PID, k.Source),
			Baseline:    none,
			Leaks:       none,
			Groups:      none,
			Fixtures:    none,
			InFlight:    none,
			Unexplained: "all of it: per-test memory evidence (the oomlens diagnostics plugin, `oomlens record`) would account for it",
		},
	}
}

// noReadings is the basis of every part of an account with no readings.
const noReadings = "no memory readings of the process (no diagnostics or record samples)"
