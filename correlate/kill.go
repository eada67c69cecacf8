package correlate

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// placedKill is a kill with its wall-clock time, once the clocks are aligned.
type placedKill struct {
	kill
	Time         float64 // 0 when unknown
	Method       string
	UncertaintyS float64
	EndedRun     bool
	MatchedBy    string // "pid", "shell-pid", "time"
}

// jobSpan is what the job's own records say about when and as which pids
// the tests ran.
type jobSpan struct {
	PIDs      map[int]bool
	LastStart float64 // the last test start on record
	LastSeen  float64 // the last time any record was written
	EndBound  float64 // the stamp of the kill marker in the CI log, 0 unknown
}

func spanOf(j *job) jobSpan {
	s := jobSpan{PIDs: map[int]bool{}}
	see := func(t float64) {
		if t > s.LastSeen {
			s.LastSeen = t
		}
	}
	start := func(t float64) {
		if t > s.LastStart {
			s.LastStart = t
		}
		see(t)
	}
	for _, p := range j.Procs {
		if p.PID > 0 {
			s.PIDs[p.PID] = true
		}
		for _, st := range p.Steps {
			if st.Kind == stepStart {
				start(st.Time)
			} else {
				see(st.Time)
			}
		}
		for _, sm := range p.Samples {
			see(sm.Time)
		}
	}
	for _, t := range j.Tests {
		start(t.Start)
		see(t.End)
		if t.PID > 0 {
			s.PIDs[t.PID] = true
		}
	}
	for _, f := range j.InFlight {
		start(f.Start)
		if f.PID > 0 {
			s.PIDs[f.PID] = true
		}
	}
	if j.RunEnd.KilledPID > 0 {
		s.PIDs[j.RunEnd.KilledPID] = true
	}
	s.EndBound = j.RunEnd.Time
	return s
}

// maxKillDelayS bounds how long after the last record a kill may come and
// still be taken for the job's end when nothing else bounds it: one test
// that ran for hours without a record is possible, but then the match is a
// guess and says so.
const maxKillDelayS = 6 * 3600

// pickKills places every kill on the wall clock and finds the one that ended
// the run:
//
//  1. a kill of the pid the shell reported as Killed;
//  2. else a kill of a pid the job's records name (the pytest process or an
//     xdist worker); the latest of them when several;
//  3. else a kill that falls where the log stopped: after the last test
//     start on record (less the alignment uncertainty) and before the kill
//     marker's stamp in the CI log (or maxKillDelayS after the last record),
//     the earliest such, a Python process preferred.
//
// The result is in time order with the kill that ended the run moved first.
func pickKills(j *job, c clock) ([]*placedKill, *placedKill, []string) {
	var warns []string
	span := spanOf(j)
	var ks []*placedKill
	for _, k := range dedupKills(j.Kills) {
		pk := &placedKill{kill: k}
		if t, m, u, ok := c.killTime(&k); ok {
			pk.Time, pk.Method, pk.UncertaintyS = t, m, u
		}
		ks = append(ks, pk)
	}
	var ended *placedKill
	if j.RunEnd.KilledPID > 0 {
		for _, k := range ks {
			if k.kills(j.RunEnd.KilledPID) {
				ended = k
				ended.MatchedBy = "shell-pid"
			}
		}
	}
	if ended == nil {
		for _, k := range ks {
			if k.killsAny(span.PIDs) {
				if ended == nil || k.Time >= ended.Time {
					ended = k
				}
			}
		}
		if ended != nil {
			ended.MatchedBy = "pid"
		}
	}
	if ended == nil && span.LastSeen > 0 {
		lo := span.LastStart
		if lo == 0 {
			lo = span.LastSeen
		}
		var cands []*placedKill
		for _, k := range ks {
			if k.Time == 0 {
				continue
			}
			hi := span.LastSeen + maxKillDelayS
			if span.EndBound > 0 {
				hi = span.EndBound
			}
			if k.Time >= lo-k.UncertaintyS-1 && k.Time <= hi+k.UncertaintyS+1 {
				cands = append(cands, k)
			}
		}
		var py []*placedKill
		for _, k := range cands {
			if pythonComm(k.Comm) {
				py = append(py, k)
			}
		}
		if len(py) > 0 {
			cands = py
		}
		for _, k := range cands {
			if ended == nil || k.Time < ended.Time {
				ended = k
			}
		}
		if ended != nil {
			ended.MatchedBy = "time"
			if span.EndBound == 0 && ended.Time-span.LastSeen > 600 {
				warns = append(warns, fmt.Sprintf("the kill of pid %d came %.0f s after the job's last record; it is taken for the job's end by time alone",
					ended.PID, ended.Time-span.LastSeen))
			}
		}
	}
	if ended == nil && killedLooking(j) {
		// Neither a pid nor a time ties a kill to the job. When the times
		// cannot be compared at all, the only kill of a Python process in
		// the kernel log's last boot is taken, and said to be tied by its
		// name alone.
		var py []*placedKill
		comparable := false
		for _, k := range ks {
			if k.Time != 0 && span.LastSeen > 0 {
				comparable = true
			}
			if k.LastBoot && pythonComm(k.Comm) {
				py = append(py, k)
			}
		}
		if !comparable && len(py) == 1 {
			ended = py[0]
			ended.MatchedBy = "comm"
			warns = append(warns, fmt.Sprintf("the kill of pid %d (%s) is tied to the job by its process name alone: it is the only kill of a Python process in the kernel log, and neither a pid nor a time can tie it (the shell's Killed line with its pid, stamped logs, --boot-time or the diagnostics plugin would)",
				ended.PID, ended.Comm))
		}
	}
	if ended != nil {
		ended.EndedRun = true
	}
	sort.SliceStable(ks, func(a, b int) bool {
		if ks[a].EndedRun != ks[b].EndedRun {
			return ks[a].EndedRun
		}
		ta, tb := ks[a].Time, ks[b].Time
		if ta == 0 || tb == 0 {
			return false
		}
		return ta < tb
	})
	return ks, ended, warns
}

// kills reports whether the kill ended pid: its victim, or a member of its
// memory.oom.group.
func (k *placedKill) kills(pid int) bool {
	if pid <= 0 {
		return false
	}
	if k.PID == pid {
		return true
	}
	for _, g := range k.GroupPIDs {
		if g == pid {
			return true
		}
	}
	return false
}

func (k *placedKill) killsAny(pids map[int]bool) bool {
	if k.PID > 0 && pids[k.PID] {
		return true
	}
	for _, g := range k.GroupPIDs {
		if pids[g] {
			return true
		}
	}
	return false
}

// killedLooking reports a job whose log does not show it ending by
// itself: a SIGKILL, or a log that just stops.
func killedLooking(j *job) bool {
	if !j.HasRunEnd {
		return len(j.InFlight) > 0 || len(j.Procs) > 0
	}
	return j.RunEnd.Kind == "sigkill" || j.RunEnd.Kind == "unknown" || j.RunEnd.Kind == ""
}

// dedupKills drops a kill read twice (the same record in dmesg and in the
// journal): same kind and pid, within 2 s on the same clock.
func dedupKills(in []kill) []kill {
	var out []kill
next:
	for _, k := range in {
		for i, o := range out {
			if o.Kind != k.Kind || o.PID != k.PID || k.PID == 0 {
				continue
			}
			same := (o.HasUptime && k.HasUptime && math.Abs(o.UptimeS-k.UptimeS) < 2) ||
				(o.HasWall && k.HasWall && math.Abs(o.Wall-k.Wall) < 2)
			if same {
				// Keep the fuller record.
				if len(k.KeyLines) > len(o.KeyLines) || (o.Partial && !k.Partial) {
					if !k.HasWall && o.HasWall {
						k.Wall, k.HasWall, k.WallBasis = o.Wall, true, o.WallBasis
					}
					out[i] = k
				}
				continue next
			}
		}
		out = append(out, k)
	}
	return out
}

// pythonComm reports a comm that looks like the Python interpreter or
// pytest (comm is at most 15 bytes: "python3.11", "pytest", "py.test").
func pythonComm(c string) bool {
	c = strings.ToLower(c)
	return strings.HasPrefix(c, "python") || strings.HasPrefix(c, "pytest") || strings.HasPrefix(c, "py.test") || c == "pypy" || strings.HasPrefix(c, "pypy3")
}
