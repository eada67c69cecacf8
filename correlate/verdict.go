package correlate

import (
	"fmt"
	"strings"
	"time"

	sysinfo "github.com/elastic/go-sysinfo"
)

// sysinfoBootTime is the boot time of the host oomlens runs on.
func sysinfoBootTime() (time.Time, error) {
	h, err := sysinfo.Host()
	if err != nil {
		return time.Time{}, err
	}
	bt := h.Info().BootTime
	if bt.IsZero() {
		return time.Time{}, fmt.Errorf("go-sysinfo reports no boot time")
	}
	return bt, nil
}

// verdictOf writes the one-sentence verdict: how the run ended, who
// retained the memory, and what was only running.
func verdictOf(rep *Report, j *job, ended *placedKill, perTest, testEvidence, kernelRead, pytestRead bool, floor int64) string {
	if !testEvidence {
		if ended == nil && rep.RunEnd.Kind == "oom-kill" && len(j.Confirm.OOM) > 0 {
			return confirmedHead(rep, j) + "; no test log or per-test memory evidence was given, so no test can be named."
		}
		return kernelOnlyVerdict(rep, kernelRead)
	}
	var head string
	switch {
	case ended != nil:
		head = killWords(ended)
		if ended.MatchedBy == "comm" {
			head += ", tied to the job by its process name only"
		}
		if rep.RunEnd.Kind == "complete" {
			lost := "a test process"
			for _, f := range rep.InFlight {
				if f.PID == ended.PID && f.Worker != "" {
					lost = "its xdist worker " + f.Worker
				}
			}
			article := "a "
			if strings.HasPrefix(head, "OOM") || strings.HasPrefix(head, "earlyoom") {
				article = "an "
			}
			head = "The run completed, but " + lost + " was lost to " + article + head
		}
	default:
		switch rep.RunEnd.Kind {
		case "sigkill":
			head = "Killed (SIGKILL), cause unconfirmed (no kernel OOM record matches the job)"
			if !kernelRead {
				head = "Killed (SIGKILL), cause unconfirmed (no kernel log was read)"
			}
		case "oom-kill":
			head = confirmedHead(rep, j)
		case "memoryerror":
			head = "MemoryError inside Python (an allocation failed; no kill)"
		case "timeout", "cancelled", "crash":
			head = plainHead(rep, j)
		case "complete":
			head = "The run completed with no kill"
			if len(rep.InFlight) > 0 && len(j.Confirm.OOM) > 0 {
				head = "The run completed, but a worker died, and " + j.Confirm.OOM[0].Words + " (no kernel record names the victim)"
			} else if len(rep.InFlight) > 0 {
				head = "The run completed, but a worker died, cause unconfirmed (no kernel OOM record matches it)"
				if !kernelRead {
					head = "The run completed, but a worker died, cause unconfirmed (no kernel log was read)"
				}
			}
		default:
			head = "The run stopped without pytest's final line, cause unknown"
			if !pytestRead {
				head = "The records stop without a session end, cause unknown"
			}
		}
	}

	var mid string
	switch {
	case len(rep.Leaks) > 0:
		var total int64
		var names []string
		tests, groups := 0, 0
		for i, l := range rep.Leaks {
			total += l.RetainedBytes
			if l.Group != nil {
				groups++
			} else {
				tests++
			}
			if i < 3 {
				name := fmt.Sprintf("%s %s", l.Test, FormatBytes(l.RetainedBytes))
				if g := l.Group; g != nil {
					name += fmt.Sprintf(" over %d %s", g.RetainingMembers, plural(g.RetainingMembers, "test", "tests"))
				}
				names = append(names, name)
			}
		}
		if len(rep.Leaks) > 3 {
			names = append(names, fmt.Sprintf("and %d more", len(rep.Leaks)-3))
		}
		var who []string
		if tests > 0 {
			who = append(who, fmt.Sprintf("%d %s", tests, plural(tests, "test", "tests")))
		}
		if groups > 0 {
			who = append(who, fmt.Sprintf("%d %s of small leaks", groups, plural(groups, "group", "groups")))
		}
		mid = fmt.Sprintf("%s retained %s that was never released (%s)", strings.Join(who, " and "),
			FormatBytes(total), strings.Join(names, ", "))
	case perTest:
		mid = fmt.Sprintf("no test retained %s or more", FormatBytes(floor))
		if len(rep.Hogs) > 0 {
			mid += fmt.Sprintf(" (%d %s peaked high and gave the memory back)", len(rep.Hogs), plural(len(rep.Hogs), "test", "tests"))
		}
	default:
		mid = "no per-test memory evidence, so no leaking test can be named"
	}

	var tail string
	limitHit := ended != nil || rep.RunEnd.Kind == "oom-kill"
	if len(rep.InFlight) > 0 {
		v := rep.InFlight[0]
		name := v.Test
		if v.Worker != "" && name != "" {
			name += " (" + v.Worker + ")"
		}
		switch {
		case name == "" || v.Basis == "collection":
			tail = "it died during collection, before any test ran"
		case limitHit && len(rep.Leaks) > 0:
			tail = name + " was only running when the limit was hit"
		case ended != nil && v.AddedBytesEstimate != nil && *v.AddedBytesEstimate >= floor:
			tail = fmt.Sprintf("%s was running when the limit was hit and had added about %s itself", name, FormatBytes(*v.AddedBytesEstimate))
		case limitHit:
			tail = name + " was running when the limit was hit"
		case rep.RunEnd.Kind == "complete":
			tail = name + " was running when its worker died"
		default:
			tail = name + " was running when the process died"
		}
		if n := len(rep.InFlight) - 1; n > 0 {
			tail += fmt.Sprintf(", and %d more %s running on other workers", n, plural(n, "test was", "tests were"))
		}
	} else if rep.RunEnd.Kind != "complete" {
		tail = "the test running at the end is not known"
	}
	s := head + ": " + mid
	if tail != "" {
		s += "; " + tail
	}
	if a := rep.MemoryAtKill; a != nil && a.TotalBytes > 0 && a.Basis.Baseline != noReadings && (len(rep.Leaks) > 0 || len(rep.InFlight) > 0) {
		at := "at the kill"
		if ended == nil {
			at = "at the last reading"
		}
		s += fmt.Sprintf("; this explains %.0f%% of the %s %s", a.ExplainedShare*100, FormatBytes(a.TotalBytes), at)
	}
	return s + "."
}

// kernelOnlyVerdict is the verdict of inputs that hold no test run at all
// (a kernel log alone): it says what the kernel log shows and that no test
// can be named from it.
func kernelOnlyVerdict(rep *Report, kernelRead bool) string {
	const none = "no test log or per-test memory evidence was given, so no test can be named"
	switch {
	case len(rep.Kills) == 1:
		return "The kernel log holds one " + killSummary(rep.Kills[0]) + "; " + none + "."
	case len(rep.Kills) > 1:
		return fmt.Sprintf("The kernel log holds %d OOM records, the last: %s; %s.", len(rep.Kills), killSummary(rep.Kills[len(rep.Kills)-1]), none)
	case kernelRead:
		return "The kernel log holds no OOM kill, and " + none + "."
	}
	return "No kernel OOM record, test log or per-test memory evidence was found among the inputs."
}

// killSummary names a kill of the report: "OOM kill of pid 4242 (python) in
// memcg /ci/job at 2026-11-26T10:00:00Z".
func killSummary(k Kill) string {
	who := fmt.Sprintf("pid %d (%s)", k.PID, k.Comm)
	if k.PID == 0 && k.Comm != "" {
		who = k.Comm
	}
	var s string
	switch {
	case k.Kind == "systemd-oomd-kill":
		s = "systemd-oomd kill of " + who
	case k.Kind == "earlyoom-kill":
		s = "earlyoom kill of " + who
	case k.Kind == "systemd-unit-oom":
		s = "OOM kill reported by systemd for " + who
	case k.PID == 0 && k.Comm == "":
		s = "partial OOM-killer record (its Killed process line is not in the log)"
	default:
		s = "OOM kill of " + who
	}
	if k.Kind == "kernel-oom-kill" || k.Kind == "" {
		switch {
		case k.Constraint == "CONSTRAINT_NONE":
			s += " (system-wide out of memory)"
		case k.OOMMemcg != "":
			s += " in memcg " + k.OOMMemcg
		}
	}
	if k.Time != nil {
		s += " at " + *k.Time
	} else if k.UptimeS != nil {
		s += fmt.Sprintf(" at %.3f s after boot", *k.UptimeS)
	}
	return s
}

// killWords names a kill: "OOM kill of pid 4242 (python) in memcg /ci/job".
func killWords(k *placedKill) string {
	who := fmt.Sprintf("pid %d (%s)", k.PID, k.Comm)
	if k.PID == 0 {
		who = k.Comm
		if who == "" {
			who = "a process"
		}
	}
	switch k.Kind {
	case "systemd-oomd-kill":
		return "systemd-oomd kill of " + who
	case "earlyoom-kill":
		return "earlyoom kill of " + who
	case "systemd-unit-oom":
		return "OOM kill reported by systemd for " + who
	}
	s := "OOM kill of " + who
	switch {
	case k.MemcgOOM && k.OOMMemcg != "":
		s += " in memcg " + k.OOMMemcg
	case k.MemcgOOM && k.TaskMemcg != "":
		s += " in memcg " + k.TaskMemcg
	case k.MemcgOOM:
		s += " at a memory cgroup limit"
	case k.Global:
		s += " (system-wide out of memory)"
	}
	return s
}
