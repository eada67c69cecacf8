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
		for i := range p.Steps { // by index: a step is 104 bytes
			if st := &p.Steps[i]; st.Kind == stepStart {
				start(st.Time)
			} else {
				see(st.Time)
			}
		}
		for _, sm := range p.Samples {
			see(sm.Time)
		}
	}
	for i := range j.Tests {
		t := &j.Tests[i] // by index: a testInfo is 96 bytes
		start(t.Start)
		see(t.End)
		if t.PID > 0 {
			s.PIDs[t.PID] = true
		}
	}
	if l := j.logTests; l != nil {
		// The same maxima and pids, of the tests left out.
		start(l.lastStart)
		see(l.lastSeen)
		for pid := range l.pids {
			s.PIDs[pid] = true
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
	sortKills(ks)
	return ks, ended, warns
}

// sortKills orders kills for the report: the one that ended the run
// first, then those placed on the wall clock in time order, then those
// that could not be placed, in input order (the kernel log's own order).
// It is a strict weak order, so the result does not depend on the sort's
// algorithm (an unknown time compared as "equal to everything" is not).
func sortKills(ks []*placedKill) {
	sort.SliceStable(ks, func(a, b int) bool {
		ka, kb := ks[a], ks[b]
		if ka.EndedRun != kb.EndedRun {
			return ka.EndedRun
		}
		if (ka.Time == 0) != (kb.Time == 0) {
			return ka.Time != 0
		}
		return ka.Time < kb.Time
	})
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

// dedupKills drops a kill read twice, keeping the fuller record: the same
// record in dmesg and in the journal (same kind and pid within 2 s on the
// same clock), and the same log in two renderings, such as dmesg and
// dmesg -T in one job folder, whose clocks cannot be compared (same kind,
// pid, comm and Killed-line sizes, from different files).
//
// It is linear: kills are found by key in maps, and a kill is compared
// only with the kept kills of its own pid and 2-s time slot (or the
// slots either side). 12.5k to 100k records took 1.7 s to 54 s when
// every kill was compared with every kept one (issue 18).
func dedupKills(in []kill) []kill {
	// Room for every kill (most logs repeat none): grown, a list of
	// 100,000 kills allocated five times its 40 MB (issue 18).
	out := make([]kill, 0, len(in))
	type slot struct {
		kind  string
		pid   int
		wall  bool
		index int64
	}
	type ident struct {
		kind, comm   string
		pid          int
		vm, anon, fl int64
	}
	bySlot := map[slot][]int{}
	byIdent := map[ident]int{}
	slotOf := func(k *kill, wall bool) (slot, bool) {
		switch {
		case wall && k.HasWall:
			return slot{k.Kind, k.PID, true, int64(math.Floor(k.Wall / 2))}, true
		case !wall && k.HasUptime:
			return slot{k.Kind, k.PID, false, int64(math.Floor(k.UptimeS / 2))}, true
		}
		return slot{}, false
	}
	find := func(k *kill) int {
		for _, wall := range []bool{false, true} {
			s, ok := slotOf(k, wall)
			if !ok {
				continue
			}
			for d := int64(-1); d <= 1; d++ {
				s2 := s
				s2.index += d
				for _, i := range bySlot[s2] {
					if sameKill(&out[i], k) {
						return i
					}
				}
			}
		}
		if k.TotalVMBytes > 0 || k.AnonRSSBytes > 0 {
			if i, ok := byIdent[ident{k.Kind, k.Comm, k.PID, k.TotalVMBytes, k.AnonRSSBytes, k.FileRSSBytes}]; ok && sourceFile(out[i].Source) != sourceFile(k.Source) {
				return i
			}
		}
		return -1
	}
	index := func(i int) {
		k := &out[i]
		for _, wall := range []bool{false, true} {
			if s, ok := slotOf(k, wall); ok {
				bySlot[s] = append(bySlot[s], i)
			}
		}
		if k.TotalVMBytes > 0 || k.AnonRSSBytes > 0 {
			id := ident{k.Kind, k.Comm, k.PID, k.TotalVMBytes, k.AnonRSSBytes, k.FileRSSBytes}
			if _, ok := byIdent[id]; !ok {
				byIdent[id] = i
			}
		}
	}
	for _, k := range in {
		i := -1
		if k.PID != 0 {
			i = find(&k)
		}
		if i < 0 {
			out = append(out, k)
			index(len(out) - 1)
			continue
		}
		o := out[i]
		if len(k.KeyLines) > len(o.KeyLines) || (o.Partial && !k.Partial) {
			// Keep the fuller record, with the clocks of both.
			if !k.HasWall && o.HasWall {
				k.Wall, k.HasWall, k.WallBasis = o.Wall, true, o.WallBasis
			}
			if !k.HasUptime && o.HasUptime {
				k.UptimeS, k.HasUptime = o.UptimeS, true
			}
			out[i] = k
			index(i)
		} else if !o.HasUptime && k.HasUptime {
			out[i].UptimeS, out[i].HasUptime = k.UptimeS, true
			index(i)
		} else if !o.HasWall && k.HasWall {
			out[i].Wall, out[i].HasWall, out[i].WallBasis = k.Wall, true, k.WallBasis
			index(i)
		}
	}
	return out
}

// sameKill: the same kind and pid within 2 s on one clock.
func sameKill(o, k *kill) bool {
	return o.Kind == k.Kind && o.PID == k.PID &&
		((o.HasUptime && k.HasUptime && math.Abs(o.UptimeS-k.UptimeS) < 2) ||
			(o.HasWall && k.HasWall && math.Abs(o.Wall-k.Wall) < 2))
}

// sourceFile is the file of a "file:line" position.
func sourceFile(pos string) string {
	if i := strings.LastIndexByte(pos, ':'); i > 0 {
		return pos[:i]
	}
	return pos
}

// pythonComm reports a comm that looks like the Python interpreter or
// pytest (comm is at most 15 bytes: "python3.11", "pytest", "py.test").
func pythonComm(c string) bool {
	c = strings.ToLower(c)
	return strings.HasPrefix(c, "python") || strings.HasPrefix(c, "pytest") || strings.HasPrefix(c, "py.test") || c == "pypy" || strings.HasPrefix(c, "pypy3")
}
