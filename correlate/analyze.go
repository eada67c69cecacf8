package correlate

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/oomlens/oomlens/dmesg"
)

// DefaultNoiseFloorBytes is the retention below which a test is not named:
// the first import of a big library keeps tens of MiB for good.
const DefaultNoiseFloorBytes = 32 << 20

// Options tunes Analyze.
type Options struct {
	// NoiseFloorBytes is the smallest retention named as a leak, and the
	// smallest peak over a test's start named as a hog; 0 means
	// DefaultNoiseFloorBytes, a negative value no floor at all (any
	// retention is named; pass -1 for a user's "0").
	NoiseFloorBytes int64
	// BootTime is the kernel's boot time (--boot-time): kernel uptime stamps
	// are put on the wall clock with it, ahead of every other hint.
	BootTime *time.Time
	// ThisHost takes the boot time of the host oomlens runs on (go-sysinfo)
	// when the inputs give none: right only for a job that ran here, since
	// the last boot (--this-host).
	ThisHost bool
	// Location is the zone of stamps that carry none (weathercop's naive
	// local time, syslog, dmesg -T); nil means UTC (--tz).
	Location *time.Location
	// Year is the year of syslog stamps, which carry none; 0 takes it from
	// the other inputs.
	Year int

	// hostBoot replaces go-sysinfo in tests.
	hostBoot func() (time.Time, error)
}

// Confidence levels of a Leak.
const (
	ConfidenceHigh   = "high"   // RSS readings per test, and anonymous RSS or open objects
	ConfidenceMedium = "medium" // RSS readings alone, at least twice the noise floor
	ConfidenceLow    = "low"    // sampled (record mode) or barely above the floor
)

// analyze runs the rules over a normalised job.
func analyze(j *job, opts Options) *Report {
	floor := opts.NoiseFloorBytes
	switch {
	case floor == 0:
		floor = DefaultNoiseFloorBytes
	case floor < 0:
		floor = 1 // no floor: any retention is named
	}
	rep := &Report{Schema: SchemaV1, Inputs: j.Inputs, Cores: j.Cores} // nonNil fills the empty lists
	var warns []string
	warn := func(format string, args ...any) { warns = append(warns, fmt.Sprintf(format, args...)) }

	recordMode, w := recordSteps(j)
	warns = append(warns, w...)

	// Clocks and kills.
	hostBoot := opts.hostBoot
	if hostBoot == nil {
		hostBoot = sysinfoBootTime
	}
	clk := alignClocks(j.Clocks, opts, hostBoot)
	warns = append(warns, clk.Warnings...)
	kills, ended, w := pickKills(j, clk)
	warns = append(warns, w...)

	// A process the inputs give no pid (weathercop) is the killed one when
	// it is the only such process and the kill was matched to the job.
	if ended != nil && ended.PID > 0 {
		var nopid []*proc
		taken := false
		for _, p := range j.Procs {
			if p.PID == 0 {
				nopid = append(nopid, p)
			} else if p.PID == ended.PID {
				taken = true
			}
		}
		if len(nopid) == 1 && !taken {
			nopid[0].PID = ended.PID
		}
	}

	// The ledger, per process.
	var results []*procResult
	perTest := false
	for _, p := range j.Procs {
		r := runLedger(p)
		results = append(results, r)
		for _, t := range r.Tests {
			if t.HasNet {
				perTest = true
			}
		}
	}
	killOf := func(pid int) *placedKill {
		if pid <= 0 {
			return nil
		}
		if ended != nil && ended.kills(pid) {
			return ended
		}
		for _, k := range kills {
			if k.kills(pid) {
				return k
			}
		}
		return nil
	}

	// Kills.
	for _, k := range kills {
		rep.Kills = append(rep.Kills, k.report())
		if k.Partial {
			reason := k.Reason
			if reason == "" {
				reason = "part of the record is missing"
			}
			if k.PID != 0 {
				warn("%s: the kill record of %s is partial: %s", k.Source, whoOf(k.PID, k.Comm), reason)
			} else {
				warn("%s: the OOM record is partial: %s", k.Source, reason)
			}
		}
	}
	rep.Alignment = alignmentOf(kills, ended, clk)
	warns = append(warns, unplacedWarnings(kills)...)
	if len(j.NaiveTimes) > 0 {
		zone := "UTC"
		if opts.Location != nil {
			zone = opts.Location.String()
		}
		warn("stamps without a zone were read as %s: %s (pass --tz if the job ran in another zone)", zone, strings.Join(j.NaiveTimes, ", "))
	}

	// The run end.
	rep.RunEnd = runEndOf(j, ended)
	rk := recordKernelOf(j)
	kernelRead := hasKernelInput(j) || rk.state == recordKernelRead
	if rk.state == recordKernelMissing {
		warn("%s: the kernel log was read during the run into %s, which is not among the inputs: add it, or analyse the whole folder", rk.source, rk.file)
	}
	if !kernelRead && (rep.RunEnd.Kind == "sigkill" || rep.RunEnd.Kind == "unknown") {
		if rk.state == recordKernelUnavailable {
			warn("%s: the kernel log could not be read during the run (%s), so an OOM kill cannot be confirmed: add the host's `dmesg`, `journalctl -k` or kern.log", rk.source, rk.why)
		} else {
			warn("no kernel log was read, so an OOM kill cannot be confirmed: add the job's `dmesg`, `journalctl -k` or kern.log, or run it under `oomlens record`")
		}
	} else if kernelRead && ended == nil && rep.RunEnd.Kind != "complete" && hasTestEvidence(j) {
		// (a kernel log alone has no job to match: nothing to warn about)
		pids := sortedPIDs(spanOf(j).PIDs)
		var ks []string
		for _, k := range kills {
			if len(ks) == 3 {
				ks = append(ks, "…")
				break
			}
			ks = append(ks, whoOf(k.PID, k.Comm))
		}
		switch {
		case len(ks) == 0 && rk.state == recordKernelRead:
			warn("%s: the kernel log was read during the run (%s) and holds no OOM record: a SIGKILL without one was sent by something else (a CI timeout, a watchdog, a cgroup with the kernel's kill disabled)", rk.source, rk.file)
		case len(ks) == 0:
			warn("the kernel log holds no OOM kill: a SIGKILL without one was sent by something else (a CI timeout, a watchdog, a cgroup with the kernel's kill disabled)")
		default:
			warn("no kill in the kernel log matches the job: it has %s, the job's pids are %s, and no kill falls where its records stopped (pids differ inside containers; stamped logs, --boot-time or the diagnostics plugin would place them in time)",
				strings.Join(ks, ", "), pids)
		}
	}
	if ended != nil && (j.RunEnd.Kind == "timeout" || j.RunEnd.Kind == "cancelled" || j.RunEnd.Kind == "crash") {
		warn("the pytest log says the run ended by %s, yet a kill of pid %d matches the job; the kernel record is taken", j.RunEnd.Kind, ended.PID)
	} else if re, ok := recordRunEnd(j); ok && ended != nil && !j.HasRunEnd && (re.Kind == "cancelled" || re.Kind == "crash") {
		warn("%s says the command ended by %s, yet a kill of pid %d matches the job; the kernel record is taken", re.Evidence[0], re.Kind, ended.PID)
	}

	// In flight.
	rep.InFlight = inFlightOf(j, results, ended, killOf)

	// Leaks, hogs, unclosed.
	rep.Leaks, rep.Unclosed, rep.Hogs = classify(results, ended, killOf, floor)
	for _, r := range results {
		for _, f := range r.Fixtures {
			fh := FixtureHeld{Fixture: f.Fixture, Scope: f.Scope, Worker: r.Proc.Worker, PID: r.Proc.PID, HeldBytes: f.HeldBytes}
			if f.Setter != nil {
				fh.SetUpBy = f.Setter.Test
			}
			rep.FixturesHeld = append(rep.FixturesHeld, fh)
			if f.HeldBytes >= floor {
				warn("%s fixture %s (set up during %s) still holds %s at the end of the record: not a leak, it is released when its scope ends",
					f.Scope, f.Fixture, fh.SetUpBy, FormatBytes(f.HeldBytes))
			}
		}
		if p := r.Proc; ended != nil && ended.Time > 0 && p.EndedTime > 0 && p.EndedTime < ended.Time && !ended.kills(p.PID) {
			var kept int64
			for _, t := range r.Tests {
				kept += t.Retained
			}
			if kept >= floor {
				warn("%s ended its session (%s) before the kill: the %s its tests kept was freed when it exited, so none of it is named",
					procName(p), p.Ended, FormatBytes(kept))
			}
		}
		if r.Unowned >= floor {
			warn("%s: %s grew between tests and was never released; no test owns it (a fixture made between test records, or a background thread?)",
				procName(r.Proc), FormatBytes(r.Unowned))
		}
	}
	if recordMode {
		short := 0
		for _, r := range results {
			for _, t := range r.Tests {
				if t.SharedWith > 0 {
					short++
				}
			}
		}
		if short > 0 {
			warn("record mode: %d tests started or ended between the same two samples as another test; their figures are shared by time and cannot be told apart (record with a shorter --interval, or use the diagnostics plugin)", short)
		}
	}
	testEvidence := hasTestEvidence(j)
	switch {
	case !testEvidence:
		warn("no test log and no per-test memory evidence among the inputs, so no test can be named: add the job's pytest or CI log, and the oomlens diagnostics file (contrib/pytest/oomlens_diagnostics.py) or an `oomlens record` folder")
	case !perTest:
		warn("no per-test memory evidence, so no leaking test can be named: run the tests with the oomlens diagnostics plugin (contrib/pytest/oomlens_diagnostics.py) or under `oomlens record` with pytest -v")
	}
	if testEvidence && len(rep.InFlight) == 0 && rep.RunEnd.Kind != "complete" {
		warn("the test running when the process died is not known: a pytest log with -v (or the diagnostics plugin) names it")
	}

	rep.Timeline = timelineOf(j, results)
	rep.Samples = samplesOf(j)
	rep.Verdict = verdictOf(rep, ended, perTest, testEvidence, kernelRead, j.HasRunEnd, floor)
	rep.Warnings = append(append(rep.Warnings, warns...), j.Warnings...)
	nonNil(rep)
	return rep
}

// alignmentOf reports the clock used for the kill that ended the run (or
// the first kill placed on the wall clock), else the boot time known.
func alignmentOf(kills []*placedKill, ended *placedKill, clk clock) Alignment {
	placed := ended
	if placed == nil || placed.Time == 0 {
		placed = nil
		for _, k := range kills {
			if k.Time != 0 {
				placed = k
				break
			}
		}
	}
	var a Alignment
	switch {
	case placed != nil:
		u := placed.UncertaintyS
		a = Alignment{Method: placed.Method, UncertaintyS: &u}
	case len(kills) > 0:
		a = Alignment{Method: AlignNone}
	default:
		a = Alignment{Method: clk.Method}
		if clk.HasBoot {
			u := clk.UncertaintyS
			a.UncertaintyS = &u
		}
	}
	if clk.HasBoot && a.Method != AlignKernelWallClock && a.Method != AlignNone {
		a.BootTime = rfc3339(clk.Boot)
	}
	return a
}

// classify sorts the finished tests into leaks (most retained first),
// unclosed and hogs (highest peak first); see the package comment.
func classify(results []*procResult, ended *placedKill, killOf func(int) *placedKill, floor int64) (leaks []Leak, unclosed []Unclosed, hogs []Hog) {
	for _, r := range results {
		for _, t := range r.Tests {
			if t.InFlight {
				continue
			}
			objBytes := int64(0)
			for _, d := range t.OpenDetails {
				objBytes += d.NBytes
			}
			gone := ended != nil && ended.Time > 0 && r.Proc.EndedTime > 0 && r.Proc.EndedTime < ended.Time && !ended.kills(r.Proc.PID)
			// A process that finished its session before the kill freed what
			// it kept when it exited: it held nothing then.
			if !gone && t.HasNet && (t.Retained >= floor || (t.Retained > 0 && len(t.Open) > 0 && objBytes >= floor)) {
				own := killOf(t.Proc.PID)
				l := Leak{
					Test:          t.Test,
					Worker:        t.Proc.Worker,
					PID:           t.Proc.PID,
					RetainedBytes: t.Retained,
					OpenObjects:   t.Open,
					ShareOfKill:   shareOf(t, own, ended),
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
				continue
			}
			if len(t.Open) > 0 {
				unclosed = append(unclosed, Unclosed{Test: t.Test, Worker: t.Proc.Worker, OpenObjects: t.Open, Evidence: unclosedEvidence(t, floor)})
			}
			if h, ok := hogOf(t, floor); ok {
				hogs = append(hogs, h)
			}
		}
	}
	sort.SliceStable(leaks, func(a, b int) bool {
		if leaks[a].RetainedBytes != leaks[b].RetainedBytes {
			return leaks[a].RetainedBytes > leaks[b].RetainedBytes
		}
		return leaks[a].Test < leaks[b].Test
	})
	sort.SliceStable(hogs, func(a, b int) bool { return hogs[a].PeakBytes > hogs[b].PeakBytes })
	return leaks, unclosed, hogs
}

// nonNil makes every list of the report an empty list rather than null:
// the JSON contract has arrays there.
func nonNil(rep *Report) {
	if rep.InFlight == nil {
		rep.InFlight = []InFlight{}
	}
	for i := range rep.InFlight {
		if rep.InFlight[i].Evidence == nil {
			rep.InFlight[i].Evidence = []string{}
		}
	}
	if rep.Kills == nil {
		rep.Kills = []Kill{}
	}
	if rep.Leaks == nil {
		rep.Leaks = []Leak{}
	}
	if rep.Unclosed == nil {
		rep.Unclosed = []Unclosed{}
	}
	if rep.Hogs == nil {
		rep.Hogs = []Hog{}
	}
	if rep.Timeline == nil {
		rep.Timeline = []TestSpan{}
	}
	if rep.Cores == nil {
		rep.Cores = []CoreDump{}
	}
	if rep.Inputs == nil {
		rep.Inputs = []Input{}
	}
	for i := range rep.Inputs {
		if rep.Inputs[i].Kinds == nil {
			rep.Inputs[i].Kinds = []string{}
		}
		if rep.Inputs[i].Warnings == nil {
			rep.Inputs[i].Warnings = []string{}
		}
	}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	if rep.RunEnd.Evidence == nil {
		rep.RunEnd.Evidence = []string{}
	}
}

// procName names a process in warnings: "pid 4242 (gw0)", or its input.
func procName(p *proc) string {
	switch {
	case p.PID > 0 && p.Worker != "":
		return fmt.Sprintf("pid %d (%s)", p.PID, p.Worker)
	case p.PID > 0:
		return fmt.Sprintf("pid %d", p.PID)
	case p.Worker != "":
		return p.Worker
	}
	return p.Source
}

func hasKernelInput(j *job) bool {
	for _, in := range j.Inputs {
		for _, k := range in.Kinds {
			if k == "kernel-log" {
				return true
			}
		}
	}
	return len(j.Kills) > 0
}

func sortedPIDs(m map[int]bool) string {
	var ps []int
	for p := range m {
		ps = append(ps, p)
	}
	sort.Ints(ps)
	if len(ps) == 0 {
		return "unknown"
	}
	var s []string
	for _, p := range ps {
		s = append(s, itoa(p))
	}
	return strings.Join(s, ", ")
}

func (k *placedKill) report() Kill {
	out := Kill{
		Kind:        k.Kind,
		PID:         k.PID,
		Comm:        k.Comm,
		Time:        rfc3339(k.Time),
		TimeBasis:   k.Method,
		Constraint:  k.Constraint,
		OOMMemcg:    k.OOMMemcg,
		TaskMemcg:   k.TaskMemcg,
		Outcome:     k.Outcome,
		InvokerComm: k.InvokerComm,
		EndedRun:    k.EndedRun,
		Source:      k.Source,
		Partial:     k.Partial,
		KeyLines:    k.KeyLines,
	}
	if k.HasSizes {
		out.TotalVMBytes, out.AnonRSSBytes = ptr(k.TotalVMBytes), ptr(k.AnonRSSBytes)
		out.FileRSSBytes, out.ShmemRSSBytes = ptr(k.FileRSSBytes), ptr(k.ShmemRSSBytes)
	}
	if k.InvokerPID > 0 {
		out.InvokerPID = ptr(k.InvokerPID)
	}
	switch {
	case k.Time == 0:
		out.TimeBasis = AlignNone
	case k.Method == AlignKernelWallClock && k.HasWall && k.WallBasis != "":
		out.TimeBasis = k.WallBasis // the kernel log's own stamp
	default:
		out.TimeBasis = "uptime + " + k.Method
	}
	if k.HasUptime {
		u := k.UptimeS
		out.UptimeS = &u
	}
	if k.HasMemcgUsage {
		u := k.MemcgUsageBytes
		out.MemcgUsageBytes = &u
		if k.MemcgLimitBytes >= 0 {
			l := k.MemcgLimitBytes
			out.MemcgLimitBytes = &l
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func runEndOf(j *job, ended *placedKill) RunEnd {
	re := RunEnd{Kind: "unknown", Evidence: []string{}}
	if j.HasRunEnd {
		re.Kind = j.RunEnd.Kind
		if j.RunEnd.HasExitCode {
			c := j.RunEnd.ExitCode
			re.ExitCode = &c
		}
		re.Evidence = append(re.Evidence, j.RunEnd.Evidence...)
	}
	if re.Kind == "" {
		re.Kind = "unknown"
	}
	if rr, ok := recordRunEnd(j); ok {
		switch {
		case re.Kind == "unknown" && rr.Kind != "unknown":
			// The pytest log stops without saying how (a recorded
			// command prints no shell line): record.json knows how the
			// command ended.
			re.Kind, re.ExitCode = rr.Kind, rr.ExitCode
			re.Evidence = append(re.Evidence, rr.Evidence...)
		case rr.Kind == re.Kind:
			// It says the same: one more piece of evidence.
			re.Evidence = append(re.Evidence, rr.Evidence...)
			if re.ExitCode == nil {
				re.ExitCode = rr.ExitCode
			}
		}
	}
	if !j.HasRunEnd && re.Kind == "unknown" {
		// No pytest log: the processes' own records say whether their
		// sessions finished.
		var ends []string
		all := false
		for _, p := range j.Procs {
			if len(p.Steps) == 0 {
				continue
			}
			if p.Ended == "" {
				all = false
				break
			}
			all = true
			ends = append(ends, p.Ended+": session end")
		}
		if all {
			re.Kind = "complete"
			re.Evidence = append(re.Evidence, ends...)
		}
	}
	if ended != nil && re.Kind != "complete" {
		re.Kind = "oom-kill"
		re.Evidence = append(re.Evidence, fmt.Sprintf("%s: %s of pid %d (%s), matched by %s", ended.Source, ended.Kind, ended.PID, ended.Comm, matchWords(ended.MatchedBy)))
	}
	return re
}

func matchWords(by string) string {
	switch by {
	case "shell-pid":
		return "the pid the shell reported Killed"
	case "pid":
		return "a pid of the test processes"
	case "time":
		return "time (the log stopped then)"
	case "comm":
		return "process name only (the only Python kill in the kernel log; no pid or time to compare)"
	}
	return by
}

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
		} else if r.Proc.PID == 0 || strings.Contains(strings.Join(sourceStrings(t.Sources), " "), "weathercop") {
			basis = "diagnostics"
		}
		f := InFlight{Test: t.Test, Worker: r.Proc.Worker, PID: r.Proc.PID, Basis: basis}
		start := "no test end"
		first := ""
		if len(t.Sources) > 0 {
			first = t.Sources[0].String()
		}
		if first != "" {
			start = fmt.Sprintf("%s: test start with no end", first)
		}
		if t.HasBefore {
			start += fmt.Sprintf(", RSS %s at its start", FormatBytes(t.Before.RSSBytes))
			if t.Before.HasAnon {
				start += fmt.Sprintf(" (anonymous %s)", FormatBytes(t.Before.AnonBytes))
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
		base, baseSource, hasBase := t.Before, "its start", t.HasBefore
		if first != "" {
			baseSource = "its start, " + first
		}
		if !hasBase {
			base, baseSource, hasBase = last, lastSource, hasLast
		}
		if k := killOf(r.Proc.PID); k != nil && k.HasKilled() && hasBase {
			est := k.AnonRSSBytes - base.anonOrRSS()
			f.AddedBytesEstimate = &est
			what := "anonymous RSS"
			if !base.HasAnon {
				what = "RSS (file-backed pages included: the estimate is low)"
			}
			ev := fmt.Sprintf("the kernel's anon-rss at the kill is %s, %s over the %s at %s (%s)",
				FormatBytes(k.AnonRSSBytes), signed(est), what, baseSource, FormatBytes(base.anonOrRSS()))
			if hasLast && lastSource != baseSource && last.anonOrRSS() != base.anonOrRSS() {
				ev += fmt.Sprintf("; the last reading on record (%s, %s) is %s below the kill", FormatBytes(last.anonOrRSS()), lastSource, FormatBytes(k.AnonRSSBytes-last.anonOrRSS()))
			}
			f.Evidence = append(f.Evidence, ev)
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
	}
	return b
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
func shareOf(t *testMem, own, ended *placedKill) *float64 {
	var s float64
	switch {
	case own != nil && own.AnonRSSBytes > 0:
		s = float64(t.Retained) / float64(own.AnonRSSBytes)
	case ended != nil && ended.PID != t.Proc.PID && ended.MemcgOOM && ended.HasMemcgUsage && ended.MemcgUsageBytes > 0:
		s = float64(t.Retained) / float64(ended.MemcgUsageBytes)
	case ended != nil && ended.PID == t.Proc.PID && ended.AnonRSSBytes > 0:
		s = float64(t.Retained) / float64(ended.AnonRSSBytes)
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
	b, a := t.Before.RSSBytes, t.After.RSSBytes
	if t.Anon {
		b, a = t.Before.AnonBytes, t.After.AnonBytes
	}
	at := "at the end of the record"
	if killed {
		at = "at the kill"
	}
	later := ""
	if t.TestsLater > 0 {
		later = fmt.Sprintf(", %d %s later", t.TestsLater, plural(t.TestsLater, "test", "tests"))
	}
	s := fmt.Sprintf("%s %s over the test (%s → %s)", measure(t), signed(a-b), FormatBytes(b), FormatBytes(a))
	if t.Net != a-b {
		s += fmt.Sprintf(", %s of its own once fixture teardowns inside it are credited to their setters", signed(t.Net))
	}
	if t.Coarse {
		s += " (" + recordReadWords(t) + ")"
	}
	released := t.Added - t.Retained
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
	if t.TracebackKept && t.Outcome != "passed" {
		ev = append(ev, "it failed, and its end reading was taken while the traceback held its frames: part of this may be their locals, which pytest frees at the next test's call")
	}
	if o := openWords(t); o != "" {
		ev = append(ev, o)
	}
	if len(t.Sources) > 0 {
		ev = append(ev, "records: "+strings.Join(sourceStrings(t.Sources), ", "))
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

// hogOf names a test with a high peak (peak − RSS before ≥ floor, or a
// tracemalloc peak ≥ floor) that kept less than the floor.
func hogOf(t *testMem, floor int64) (Hog, bool) {
	if t.HasNet && t.Retained >= floor {
		return Hog{}, false
	}
	var ev []string
	peak := int64(0)
	// What fixtures made during the test took is theirs, not the test's
	// peak.
	// In record mode, what it kept until its file's or class's end, where
	// a drop was read as the teardown of the scope's fixtures, was theirs
	// too.
	held := recordFixtureBytes(t)
	if t.HasPeak && t.HasBefore && t.PeakRSSBytes-t.Before.RSSBytes-t.FixtureSetupBytes-held >= floor {
		peak = t.PeakRSSBytes
		how := map[string]string{"rss-peak": "its peak RSS", "samples": "the highest sample during it", "vmhwm": "VmHWM, which rose during it", "readings": "its end reading"}[t.PeakBasis]
		s := fmt.Sprintf("RSS peaked at %s, %s over its start (%s), by %s", FormatBytes(peak), signed(peak-t.Before.RSSBytes), FormatBytes(t.Before.RSSBytes), how)
		if t.FixtureSetupBytes > 0 {
			s += fmt.Sprintf("; %s of it made by fixtures set up for it", FormatBytes(t.FixtureSetupBytes))
		}
		if held > 0 {
			s += fmt.Sprintf("; %s of it held until the teardown of its scope's fixtures", FormatBytes(held))
		}
		ev = append(ev, s)
	}
	if t.HasTracemalloc && t.TracemallocPeakBytes >= floor {
		if peak == 0 {
			peak = t.TracemallocPeakBytes
			if t.HasBefore {
				peak += t.Before.RSSBytes
			}
		}
		ev = append(ev, fmt.Sprintf("Python allocations (tracemalloc) peaked at %s during it", FormatBytes(t.TracemallocPeakBytes)))
	}
	if len(ev) == 0 {
		return Hog{}, false
	}
	if t.TracebackKept && t.Outcome != "passed" {
		ev = append(ev, "it failed: its traceback held its frames' locals until the next test's call")
	}
	if t.HasNet {
		if t.Added-t.Retained > 0 && len(t.Releases) > 0 {
			ev = append(ev, fmt.Sprintf("kept %s after it, given back later (%s); %s still held at the end", FormatBytes(t.Added), releaseWords(t.Releases), FormatBytes(t.Retained)))
		} else {
			ev = append(ev, fmt.Sprintf("%s over the test, %s still held at the end", signed(t.Net), FormatBytes(max(t.Retained, 0))))
		}
	}
	return Hog{Test: t.Test, Worker: t.Proc.Worker, PeakBytes: peak, RetainedBytes: t.Retained, Evidence: ev}, true
}

// timelineOf lists every test: the log's order first, each merged with its
// memory readings, then tests only the memory records name; by start time
// when every test has one.
func timelineOf(j *job, results []*procResult) []TestSpan {
	nMem := 0
	for _, r := range results {
		nMem += len(r.Tests)
	}
	// Every span comes from a log's test, a test on a ledger or an in-flight
	// record: size the slices once, and take the spans' *int64 and *string
	// fields from backing slices that never grow past their capacity (so the
	// pointers stay into one array), rather than one allocation each.
	n := len(j.Tests) + nMem + len(j.InFlight)
	spans := make([]TestSpan, 0, n)
	starts := make([]float64, 0, n)
	ints := make([]int64, 0, 3*nMem)
	// The stamps are written into one buffer (a test's start is often the
	// previous one's end: written once) and made strings at the end, with
	// one allocation; the *string fields point into strs meanwhile.
	strs := make([]string, 0, 2*n)
	type extent struct{ from, to int }
	where := make([]extent, 0, 2*n)
	// Room for one stamp a span; it grows when ends are not the next starts.
	buf := make([]byte, 0, n*len("2006-01-02T15:04:05.999999Z"))
	last, lastAt := 0.0, extent{} // 0 is never stamped
	stamp := func(s float64) *string {
		if s == 0 {
			return nil
		}
		if s != last {
			from := len(buf)
			buf = unixTime(s).AppendFormat(buf, time.RFC3339Nano)
			last, lastAt = s, extent{from, len(buf)}
		}
		where = append(where, lastAt)
		strs = append(strs, "")
		return &strs[len(strs)-1]
	}
	num := func(v int64) *int64 {
		ints = append(ints, v)
		return &ints[len(ints)-1]
	}
	byName := make(map[string][]*testMem, nMem)
	for _, r := range results {
		for _, t := range r.Tests {
			t.timelined = false
			byName[t.Test] = append(byName[t.Test], t)
		}
	}
	take := func(id, worker string) *testMem {
		for _, t := range byName[id] {
			if t.timelined || (worker != "" && t.Proc.Worker != "" && t.Proc.Worker != worker) {
				continue
			}
			t.timelined = true
			return t
		}
		return nil
	}
	span := func(t *testMem) TestSpan {
		s := TestSpan{Test: t.Test, Worker: t.Proc.Worker, PID: t.Proc.PID, Start: stamp(t.Start), End: stamp(t.End), Outcome: t.Outcome}
		if t.InFlight {
			s.Outcome = "in-flight"
		}
		if t.HasBefore {
			s.RSSBeforeBytes = num(t.Before.RSSBytes)
		}
		if t.HasAfter {
			s.RSSAfterBytes = num(t.After.RSSBytes)
		}
		if t.HasPeak {
			s.PeakBytes = num(t.PeakRSSBytes)
		}
		return s
	}
	for _, ti := range j.Tests {
		var s TestSpan
		st := ti.Start
		if t := take(ti.ID, ti.Worker); t != nil {
			s = span(t)
			if s.Outcome == "" {
				s.Outcome = ti.Outcome
			}
			if s.Start == nil {
				s.Start = stamp(ti.Start)
			} else {
				st = t.Start
			}
			if s.End == nil {
				s.End = stamp(ti.End)
			}
		} else {
			s = TestSpan{Test: ti.ID, Worker: ti.Worker, PID: ti.PID, Start: stamp(ti.Start), End: stamp(ti.End), Outcome: ti.Outcome}
		}
		spans = append(spans, s)
		starts = append(starts, st)
	}
	for _, r := range results {
		for _, t := range r.Tests {
			if t.timelined {
				continue
			}
			t.timelined = true
			spans = append(spans, span(t))
			starts = append(starts, t.Start)
		}
	}
	for _, f := range j.InFlight {
		found := false
		for i := range spans {
			if s := &spans[i]; s.Outcome == "in-flight" && (s.Test == f.Test || (f.Worker != "" && s.Worker == f.Worker)) {
				found = true
			}
		}
		if !found && f.Test != "" {
			spans = append(spans, TestSpan{Test: f.Test, Worker: f.Worker, PID: f.PID, Start: stamp(f.Start), Outcome: "in-flight"})
			starts = append(starts, f.Start)
		}
	}
	text := string(buf)
	for i, w := range where {
		strs[i] = text[w.from:w.to]
	}
	all := true
	for _, s := range starts {
		if s == 0 {
			all = false
		}
	}
	if all {
		idx := make([]int, len(spans))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return starts[idx[a]] < starts[idx[b]] })
		out := make([]TestSpan, len(spans))
		for i, k := range idx {
			out[i] = spans[k]
		}
		spans = out
	}
	if spans == nil {
		spans = []TestSpan{}
	}
	return spans
}

// maxSamplesPerProc bounds the samples per process handed to the charts.
const maxSamplesPerProc = 2000

// samplesOf thins each process's samples to at most maxSamplesPerProc,
// keeping the highest reading of each bucket so no peak is lost.
func samplesOf(j *job) []RSSSample {
	var out []RSSSample
	for _, p := range j.Procs {
		n := len(p.Samples)
		if n == 0 {
			continue
		}
		bucket := (n + maxSamplesPerProc - 1) / maxSamplesPerProc
		for i := 0; i < n; i += bucket {
			best := i
			for k := i; k < min(n, i+bucket); k++ {
				if p.Samples[k].Mem.RSSBytes > p.Samples[best].Mem.RSSBytes {
					best = k
				}
			}
			s := p.Samples[best]
			if s.Time == 0 {
				continue
			}
			out = append(out, RSSSample{Time: *rfc3339(s.Time), PID: p.PID, Worker: p.Worker, RSSBytes: s.Mem.RSSBytes})
		}
	}
	return out
}

// hasTestEvidence: the inputs hold a test run (a pytest log, per-test
// records, a run end), not only a kernel log.
func hasTestEvidence(j *job) bool {
	return len(j.Procs) > 0 || len(j.Tests) > 0 || len(j.InFlight) > 0 || len(j.Records) > 0 || j.HasRunEnd
}

// whoOf names a kill's process: "pid 4242 (python)", or what is known of
// it when a partial record lost its Killed process line.
func whoOf(pid int, comm string) string {
	switch {
	case pid == 0 && comm == "":
		return "a record without its Killed process line"
	case pid == 0:
		return comm
	case comm == "":
		return fmt.Sprintf("pid %d", pid)
	}
	return fmt.Sprintf("pid %d (%s)", pid, comm)
}

// unplacedWarnings says why kills could not be put on the wall clock, by
// cause, each with what would fix it: syslog or journal stamps without a
// year (--year), a time of day without a date, seconds since boot without
// a boot time (--boot-time), or no stamp at all.
func unplacedWarnings(kills []*placedKill) []string {
	var noYear, noDate, uptime, none int
	bootHint := ""
	for _, k := range kills {
		if k.Time == 0 && k.StampBasis != "" && k.HasUptime {
			bootHint = ", or --boot-time: the lines carry seconds since boot"
		}
		switch {
		case k.Time != 0:
		case k.StampBasis == dmesg.BasisSyslogNoYear:
			noYear++
		case k.StampBasis != "":
			noDate++
		case k.HasUptime:
			uptime++
		default:
			none++
		}
	}
	var out []string
	n := len(kills)
	if noYear > 0 {
		out = append(out, fmt.Sprintf("clocks not aligned: %d of %d kills are stamped without a year (syslog or journal short format) and no other input gives one (pass --year%s)", noYear, n, bootHint))
	}
	if noDate > 0 {
		out = append(out, fmt.Sprintf("clocks not aligned: %d of %d kills are stamped with a time of day only and no other input gives the date (add an input with dates from the same run%s)", noDate, n, bootHint))
	}
	if uptime > 0 {
		out = append(out, fmt.Sprintf("clocks not aligned: %d of %d kills carry only seconds since boot and no boot time is known (pass --boot-time, or record with the diagnostics plugin whose session_start has boot_time)", uptime, n))
	}
	if none > 0 {
		out = append(out, fmt.Sprintf("%d of %d kills carry no time stamp at all, so they cannot be placed in time (a stamped log would: dmesg, journalctl -k -o short-iso, kern.log)", none, n))
	}
	return out
}
