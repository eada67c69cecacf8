package correlate

// This file is the in-flight stage: the tests running when the process died,
// and what the running one added before the kill.

import (
	"fmt"
	"sort"
	"strings"
)

// inFlightOf merges the tests the logs show running at the end: a test start
// with no end in a process's records, and the pytest log's dangling node id,
// progress position or xdist crash. The one on the killed pid comes first.
func inFlightOf(j *job, results []*procResult, ended *placedKill, killOf func(int) *placedKill) []InFlight {
	var out []InFlight
	index := map[string]int{}
	for _, r := range results {
		t := r.Active
		if t == nil {
			continue
		}
		basis := "diagnostics"
		if t.Coarse {
			basis = "record"
		} else if r.Proc.PID == 0 || strings.Contains(strings.Join(sourceStrings(t.sources()), " "), "weathercop") {
			basis = "diagnostics"
		}
		f := InFlight{Test: t.Test, Worker: r.Proc.Worker, PID: r.Proc.PID, Basis: basis}
		start := "no test end"
		first := ""
		if t.srcN > 0 {
			first = t.sources()[0].String()
		}
		if first != "" {
			start = fmt.Sprintf("%s: test start with no end", first)
		}
		if t.HasBefore {
			start += fmt.Sprintf(", RSS %s at its start", FormatBytes(t.before.RSSBytes))
			if t.beforeAnon {
				start += fmt.Sprintf(" (anonymous %s)", FormatBytes(t.before.AnonBytes))
			}
		}
		f.Evidence = append(f.Evidence, start)
		// What the running test added: the kernel's anon-rss at the kill
		// less its reading at the start (the last reading before it began).
		// A later reading (a sample, a fixture record) only tells how much
		// of that came after it.
		last, lastSource, hasLast := r.Last, r.LastSource.String(), r.HasLast
		if n := len(r.Proc.Samples); n > 0 && r.Proc.Samples[n-1].Time >= r.LastTime {
			s := r.Proc.Samples[n-1]
			last, lastSource, hasLast = s.Mem, "the last sample", true
			if src := pos(s.Source, s.SourceLine); src != "" {
				lastSource = src
			}
		}
		base, baseSource, hasBase := t.Before(), "its start", t.HasBefore
		if first != "" {
			baseSource = "its start, " + first
		}
		if !hasBase {
			base, baseSource, hasBase = last, lastSource, hasLast
		}
		if k := killOf(r.Proc.PID); k != nil && k.HasKilled() && hasBase {
			f.Evidence = append(f.Evidence, addedAtKill(&f, k, base, baseSource, last, lastSource, hasLast))
		}
		index[key(f.Test, f.Worker)] = len(out)
		out = append(out, f)
	}
	for _, fl := range j.InFlight {
		k := key(fl.Test, fl.Worker)
		i, ok := index[k]
		if !ok {
			// Same worker, or the only process: a log naming the same test
			// by another spelling (a position) is the same entry.
			for n, o := range out {
				if fl.Worker != "" && o.Worker == fl.Worker {
					i, ok = n, true
					break
				}
				if fl.Worker == "" && o.Worker == "" && len(out) == 1 && (fl.Test == "" || strings.HasPrefix(o.Test, nodeFile(fl.Test))) {
					i, ok = n, true
				}
			}
		}
		ev := fmt.Sprintf("%s: %s", fl.Source, basisWords(fl.Basis))
		if ok {
			dup := false
			for _, e := range out[i].Evidence {
				if fl.Source != "" && strings.HasPrefix(e, fl.Source+":") {
					dup = true
				}
			}
			if !dup {
				out[i].Evidence = append(out[i].Evidence, ev)
			}
			if out[i].Test == "" || strings.Contains(out[i].Test, "::#") {
				out[i].Test = fl.Test
			}
			continue
		}
		f := InFlight{Test: fl.Test, Worker: fl.Worker, PID: fl.PID, Basis: fl.Basis, Evidence: []string{ev}}
		if f.PID == 0 && ended != nil && len(j.InFlight) == 1 && len(results) == 0 {
			f.PID = ended.PID
		}
		index[k] = len(out)
		out = append(out, f)
	}
	if ended != nil {
		sort.SliceStable(out, func(a, b int) bool { return out[a].PID == ended.PID && out[b].PID != ended.PID })
	}
	return out
}

func key(test, worker string) string { return worker + "\x00" + test }

// HasKilled reports whether the kill has the Killed-process figures.
func (k *placedKill) HasKilled() bool { return k.AnonRSSBytes > 0 || k.TotalVMBytes > 0 }

func basisWords(b string) string {
	switch b {
	case "verbose-log":
		return "pytest -v printed its node id and no outcome"
	case "dots-position":
		return "progress letters stop here in its file"
	case "xdist-crash":
		return "xdist reports its worker crashed while running it"
	case "collection":
		return "killed during collection"
	case "diagnostics":
		return "a test start with no end"
	case "stack":
		return "faulthandler's or pytest-timeout's stack of the running thread names it"
	}
	return b
}

// killFigure is the kernel's figure for the killed process in the measure
// of a reading: its anon-rss against an anonymous RSS, its whole RSS
// (anon-rss + file-rss + shmem-rss, mm/oom_kill.c's __oom_kill_process
// line) against a VmRSS. ok is false when the record lacks it. earlyoom
// reports VmRSS alone, kept as AnonRSSBytes: an RSS.
func killFigure(k *placedKill, like mem) (bytes int64, words string, ok bool) {
	rssOnly := k.Kind == "earlyoom-kill" && k.FileRSSBytes == 0 && k.ShmemRSSBytes == 0
	switch {
	case like.HasAnon && k.AnonRSSBytes > 0 && !rssOnly:
		return k.AnonRSSBytes, "the kernel's anon-rss", true
	case rssOnly && k.AnonRSSBytes > 0:
		return k.AnonRSSBytes, "the killer's VmRSS", true
	case k.AnonRSSBytes+k.FileRSSBytes+k.ShmemRSSBytes > 0:
		return k.AnonRSSBytes + k.FileRSSBytes + k.ShmemRSSBytes, "the kernel's RSS (anon-rss + file-rss + shmem-rss)", true
	}
	return 0, "", false
}

// measureOf names what a reading's figure is.
func measureOf(m mem) string {
	if m.HasAnon {
		return "anonymous RSS"
	}
	return "RSS"
}

// figure is a reading in the measure the kill is compared with.
func figure(m mem) int64 { return m.anonOrRSS() }

// addedAtKill sets what the running test added before the kill: the
// kernel's figure at the kill less the reading at its start, like with like
// (anonymous with anonymous, RSS with RSS). A negative difference is no
// growth of the test's that can be told: the estimate stays unknown.
func addedAtKill(f *InFlight, k *placedKill, base mem, baseSource string, last mem, lastSource string, hasLast bool) string {
	at, words, ok := killFigure(k, base)
	if !ok {
		return "the kill record gives no RSS figure: what the running test added is unknown"
	}
	what := measureOf(base)
	est := at - figure(base)
	if est < 0 {
		return fmt.Sprintf("what it added is unknown: %s at the kill (%s) is below the %s at %s (%s), so memory was given back during it or the figures count differently",
			words, FormatBytes(at), what, baseSource, FormatBytes(figure(base)))
	}
	f.AddedBytesEstimate = &est
	ev := fmt.Sprintf("%s at the kill is %s, %s over the %s at %s (%s)",
		words, FormatBytes(at), signed(est), what, baseSource, FormatBytes(figure(base)))
	if hasLast && lastSource != baseSource && figure(last) != figure(base) && last.HasAnon == base.HasAnon {
		if below := at - figure(last); below >= 0 {
			ev += fmt.Sprintf("; the last reading on record (%s, %s) is %s below the kill", FormatBytes(figure(last)), lastSource, FormatBytes(below))
		}
	}
	return ev
}
