package correlate

import (
	"fmt"
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
	// OmitTimeline leaves Report.Timeline and Report.Samples (every test's
	// span, the charts' readings) empty, for a caller that renders no
	// report of the job: batch's summary and Parquet files read neither,
	// and the timeline is the analysis' largest cost that grows with every
	// test rather than with the leaks. Nothing else in the report changes.
	OmitTimeline bool
	// TimelineTail, when above 0, keeps only the last TimelineTail tests of
	// Report.Timeline, and Report.TimelineTotal says how many the whole
	// timeline has: the text and Markdown reports show no more than the
	// last rows, and writing every test's span is, after the parse, the
	// largest cost that grows with every test (issue 18).
	TimelineTail int

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
	rep.Kills = make([]Kill, 0, len(kills))
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
	confirmedElsewhere := settleRunEnd(rep, j, ended, warn)
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
	} else if kernelRead && ended == nil && confirmedElsewhere {
		warn("the kernel log read holds no OOM record that matches the job, though %s says it was OOM-killed: the kernel log may be another host's (the node, not the container) or cover another time", sourceWords(rep.RunEnd.ConfirmedBy))
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
	rep.HogRule = hogRuleOf(results, ended, floor)
	rep.Leaks, rep.Unclosed, rep.Hogs = classify(results, ended, killOf, floor, &rep.HogRule)
	shareFromCgroup(rep, j, ended)
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

	rep.MemoryAtKill = accountOf(rep, results, ended, killOf)
	if j.dropSteps {
		// Nothing below reads them: a step per record is the largest thing
		// the job holds (issue 18).
		for _, p := range j.Procs {
			p.Steps = nil
		}
	}
	if !opts.OmitTimeline {
		rep.Timeline, rep.TimelineTotal = timelineOf(j, results, opts.TimelineTail)
		rep.Samples = samplesOf(j)
	}
	rep.Verdict = verdictOf(rep, j, ended, perTest, testEvidence, kernelRead, j.HasRunEnd, floor)
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
		Host:        k.Host,
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

// hasTestEvidence: the inputs hold a test run (a pytest log, per-test
// records, a run end), not only a kernel log.
func hasTestEvidence(j *job) bool {
	return len(j.Procs) > 0 || j.testCount() > 0 || len(j.InFlight) > 0 || len(j.Records) > 0 || j.HasRunEnd
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
