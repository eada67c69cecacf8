package correlate

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/oomlens/oomlens/cgroupfs"
)

// CgroupInput is one memory cgroup file (memory.events, memory.oom_control,
// memory.peak…). Files in one folder are one cgroup's.
type CgroupInput struct {
	Path string
	File *cgroupfs.File
}

// CollectInput is the collect.json of `oomlens collect`: the host's boot
// time puts the kernel log it gathered on the wall clock.
type CollectInput struct {
	Path     string
	BootTime time.Time // zero when unknown
}

// What settled a run's end (RunEnd.ConfirmedBy).
const (
	ByKernelRecord = "kernel-record"   // a kernel OOM record matched to the job
	ByCgroupOOM    = "cgroup-oom-kill" // the job's memory cgroup counted an OOM kill
	ByPodStatus    = "pod-status"      // Kubernetes: the container terminated OOMKilled
	ByPodEvent     = "pod-event"       // Kubernetes: an OOMKilling/OOMKilled/CgroupOOM event
	ByCIOOMKilled  = "ci-oomkilled"    // the CI runner relays Kubernetes' OOMKilled
	ByCIMessage    = "ci-message"      // the CI's or pytest-timeout's own words
	ByExitStatus   = "exit-status"     // an exit status or signal name
	ByPytest       = "pytest"          // pytest's final line or its own traceback
	ByRecord       = "record"          // `oomlens record` saw the command end
)

// Strengths (RunEnd.Strength).
const (
	StrengthStrong = "strong"
	StrengthMedium = "medium"
	StrengthWeak   = "weak"
)

// confirmInfo is what inputs other than kernel logs say about an OOM kill.
type confirmInfo struct {
	Cgroups []CgroupMemory
	// OOM is the evidence of an OOM kill, in input order.
	OOM []oomConfirm
	// LimitBytes and PeakBytes are the job's memory limit and peak usage
	// from the cgroup's files or the pod's spec (0 unknown), with where
	// they come from.
	LimitBytes, PeakBytes int64
	LimitFrom, PeakFrom   string
}

// oomConfirm is one piece of evidence of an OOM kill that is not a kernel
// record.
type oomConfirm struct {
	By     string // ByCgroupOOM, ByPodStatus, ByPodEvent, ByCIOOMKilled
	Source string // "file" or "file:line"
	Words  string // what it says, for the evidence and the verdict
	PID    int    // the victim's pid, when the source names it
	Comm   string
}

// confirmations reads the cgroup files (one cgroup per folder) and the
// Kubernetes inputs.
func (n *normaliser) confirmations() {
	for _, in := range n.ev.Collected {
		if !in.BootTime.IsZero() {
			n.j.Clocks = append(n.j.Clocks, clockHint{Method: AlignCollectBootTime, BootUnix: unixSeconds(in.BootTime), UncertaintyS: 1, Source: in.Path})
		}
	}
	c := &n.j.Confirm
	byDir := map[string][]CgroupInput{}
	var dirs []string
	for _, in := range n.ev.Cgroups {
		if in.File == nil {
			continue
		}
		d := path.Dir(in.Path)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], in)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		var files []*cgroupfs.File
		for _, in := range byDir[d] {
			files = append(files, in.File)
		}
		m := cgroupfs.Summarize(files)
		cm := CgroupMemory{Dir: d, Version: m.Version, OOMKillsFrom: m.OOMKillsFrom, Files: m.Files}
		if m.HasOOMKills {
			v := m.OOMKills
			cm.OOMKills = &v
		}
		if m.HasLimit {
			v := m.LimitBytes
			cm.LimitBytes = &v
			if c.LimitBytes == 0 {
				c.LimitBytes, c.LimitFrom = v, path.Join(d, m.LimitFrom)
			}
		}
		if m.HasPeak {
			v := m.PeakBytes
			cm.PeakBytes = &v
			if c.PeakBytes == 0 {
				c.PeakBytes, c.PeakFrom = v, path.Join(d, m.PeakFrom)
			}
		}
		if m.HasCurrent {
			v := m.CurrentBytes
			cm.CurrentBytes = &v
		}
		if m.HasFailCount {
			v := m.FailCount
			cm.FailCount = &v
		}
		c.Cgroups = append(c.Cgroups, cm)
		if m.HasOOMKills && m.OOMKills > 0 {
			src := path.Join(d, strings.Fields(m.OOMKillsFrom)[0])
			c.OOM = append(c.OOM, oomConfirm{By: ByCgroupOOM, Source: src,
				Words: fmt.Sprintf("the job's memory cgroup counted %d OOM %s (%s %d)", m.OOMKills, plural(int(m.OOMKills), "kill", "kills"), m.OOMKillsFrom, m.OOMKills)})
		}
		if m.UnderOOM {
			n.warnf("%s: under_oom 1: the cgroup is stalled at its limit with the kernel's OOM kill disabled (oom_kill_disable): its processes wait for memory instead of being killed", path.Join(d, cgroupfs.OOMControl))
		}
	}
	// Kubernetes inputs may describe other pods than the job's: a pod
	// status confirms only when the inputs show one pod, and an event only
	// when it is about that pod, or a node, or the only pod events name.
	pods := map[string]bool{}
	for _, in := range n.ev.Kube {
		if in.Doc == nil {
			continue
		}
		for _, k := range in.Doc.Containers {
			pods[k.Namespace+"/"+k.Pod] = true
		}
	}
	eventPods := map[string]bool{}
	for _, in := range n.ev.Kube {
		if in.Doc == nil {
			continue
		}
		for _, e := range in.Doc.Events {
			if strings.HasPrefix(e.Object, "Pod/") {
				eventPods[strings.TrimPrefix(e.Object, "Pod/")] = true
			}
		}
	}
	if len(pods) > 1 {
		n.warnf("the Kubernetes inputs describe %d pods: which one ran the job is not known, so none of their states is taken as the job's (give only the job's pod)", len(pods))
	}
	for _, in := range n.ev.Kube {
		if in.Doc == nil {
			continue
		}
		for _, w := range in.Doc.Warnings {
			n.warnf("%s: %s", pos(in.Path, w.Line), w.Message)
		}
		for _, k := range in.Doc.Containers {
			if !k.OOMKilled() || len(pods) > 1 {
				continue
			}
			state := "state"
			if k.Last {
				state = "lastState"
			}
			words := fmt.Sprintf("Kubernetes reports container %s of pod %s terminated OOMKilled (%s", k.Name, k.Pod, state)
			if k.HasExitCode {
				words += fmt.Sprintf(", exit code %d", k.ExitCode)
			}
			if k.HasFinished {
				words += ", finished " + k.Finished.UTC().Format("2006-01-02T15:04:05Z")
			}
			words += ")"
			c.OOM = append(c.OOM, oomConfirm{By: ByPodStatus, Source: pos(in.Path, k.Line), Words: words})
			if k.HasLimit && c.LimitBytes == 0 {
				c.LimitBytes, c.LimitFrom = k.LimitBytes, fmt.Sprintf("%s (container %s resources.limits.memory)", in.Path, k.Name)
			}
		}
		for _, e := range in.Doc.Events {
			if obj := strings.TrimPrefix(e.Object, "Pod/"); obj != e.Object {
				if len(pods) == 1 && !pods[obj] || len(pods) == 0 && len(eventPods) > 1 || len(pods) > 1 {
					n.warnf("%s: %s event on %s, which is not known to be the job's pod: not taken as the job's", pos(in.Path, e.Line), e.Reason, e.Object)
					continue
				}
			}
			words := fmt.Sprintf("a Kubernetes %s event on %s: %q", e.Reason, e.Object, e.Message)
			c.OOM = append(c.OOM, oomConfirm{By: ByPodEvent, Source: pos(in.Path, e.Line), Words: words, PID: e.PID, Comm: e.Comm})
		}
	}
}

// settleRunEnd confirms an OOM kill that no kernel record ties to the job
// from the other evidence of one (the job's memory cgroup, Kubernetes),
// says what settled the run's end and how sure it is, and notes the
// cgroup's limit and peak where the kernel record has none. It returns
// whether such evidence confirmed the kill.
func settleRunEnd(rep *Report, j *job, ended *placedKill, warn func(string, ...any)) bool {
	c := &j.Confirm
	rep.Cgroups = c.Cgroups
	re := &rep.RunEnd
	confirmed := false
	switch {
	case ended != nil && re.Kind == "oom-kill":
		re.ConfirmedBy = ByKernelRecord
		switch ended.MatchedBy {
		case "shell-pid", "pid":
			re.Strength = StrengthStrong
		case "time":
			re.Strength = StrengthMedium
		default:
			re.Strength = StrengthWeak
		}
		for _, o := range c.OOM {
			re.Evidence = append(re.Evidence, fmt.Sprintf("%s: %s", o.Source, o.Words))
		}
		if !ended.HasMemcgUsage && (c.LimitBytes > 0 || c.PeakBytes > 0) {
			re.Evidence = append(re.Evidence, "the kernel record gives no memory cgroup figures: "+limitPeakWords(c))
		}
	case len(c.OOM) > 0 && (re.Kind == "sigkill" || re.Kind == "unknown"):
		first := c.OOM[0]
		re.Kind = "oom-kill"
		re.ConfirmedBy = first.By
		re.Strength = StrengthMedium
		if re.ExitCode == nil {
			c137 := 137
			if first.By == ByPodStatus || first.By == ByCIOOMKilled {
				re.ExitCode = &c137
			}
		}
		for _, o := range c.OOM {
			re.Evidence = append(re.Evidence, fmt.Sprintf("%s: %s", o.Source, o.Words))
		}
		if c.LimitBytes > 0 || c.PeakBytes > 0 {
			re.Evidence = append(re.Evidence, limitPeakWords(c))
		}
		confirmed = true
		warn("the OOM kill is confirmed by %s, not by a kernel record: the victim's pid and its memory figures are not known; add the host's `dmesg`, `journalctl -k` or kern.log (or run `oomlens collect` on it) for them", sourceWords(first.By))
	case len(c.OOM) > 0 && (re.Kind == "timeout" || re.Kind == "cancelled" || re.Kind == "crash" || re.Kind == "memoryerror"):
		warn("%s: %s, yet the run ended by %s: a process of the job was OOM-killed before or while it ended (a subprocess, a worker), but not as what ended it", c.OOM[0].Source, c.OOM[0].Words, re.Kind)
	case len(c.OOM) > 0 && re.Kind == "complete":
		warn("%s: %s, though the run completed: a worker or subprocess of the job was killed", c.OOM[0].Source, c.OOM[0].Words)
	}
	if re.ConfirmedBy == "" {
		re.ConfirmedBy, re.Strength = plainEnd(j, re)
	}
	return confirmed
}

// plainEnd says what settled an end no kill record confirmed.
func plainEnd(j *job, re *RunEnd) (by, strength string) {
	fromLog := j.HasRunEnd && j.RunEnd.Kind == re.Kind
	switch re.Kind {
	case "complete", "memoryerror":
		if !fromLog && len(j.Records) > 0 {
			return ByRecord, StrengthStrong
		}
		return ByPytest, StrengthStrong
	case "unknown", "":
		return "", ""
	case "sigkill":
		if !fromLog && len(j.Records) > 0 {
			return ByRecord, StrengthWeak
		}
		return ByExitStatus, StrengthWeak
	}
	switch {
	case fromLog && j.RunEnd.Certain:
		return ByCIMessage, StrengthStrong
	case !fromLog && len(j.Records) > 0:
		return ByRecord, StrengthMedium
	}
	return ByExitStatus, StrengthMedium
}

func limitPeakWords(c *confirmInfo) string {
	var parts []string
	if c.LimitBytes > 0 {
		parts = append(parts, fmt.Sprintf("memory limit %s (%s)", FormatBytes(c.LimitBytes), c.LimitFrom))
	}
	if c.PeakBytes > 0 {
		parts = append(parts, fmt.Sprintf("peak usage %s (%s)", FormatBytes(c.PeakBytes), c.PeakFrom))
	}
	return "the job's " + strings.Join(parts, ", ")
}

func sourceWords(by string) string {
	switch by {
	case ByCgroupOOM:
		return "the job's memory cgroup's oom_kill count"
	case ByPodStatus:
		return "Kubernetes' pod status (OOMKilled)"
	case ByPodEvent:
		return "a Kubernetes OOM event"
	case ByCIOOMKilled:
		return "the CI runner's report of Kubernetes' OOMKilled"
	}
	return by
}

// confirmedHead is the verdict's head for an OOM kill confirmed without a
// kernel record: the source, the figures it has, and what it lacks.
func confirmedHead(rep *Report, j *job) string {
	c := &j.Confirm
	first := c.OOM[0]
	s := "OOM kill"
	switch first.By {
	case ByCgroupOOM:
		s += " in the job's memory cgroup"
	case ByPodStatus, ByCIOOMKilled:
		s += " of the job's container"
	}
	if first.PID > 0 {
		s += fmt.Sprintf(" (pid %d, %s)", first.PID, first.Comm)
	}
	var figs []string
	if c.LimitBytes > 0 {
		figs = append(figs, "limit "+FormatBytes(c.LimitBytes))
	}
	if c.PeakBytes > 0 {
		figs = append(figs, "peak "+FormatBytes(c.PeakBytes))
	}
	if len(figs) > 0 {
		s += " at " + strings.Join(figs, ", ")
	}
	s += ", confirmed by " + sourceWords(first.By)
	if first.PID > 0 {
		s += " (weaker than a kernel record here: no per-process figures)"
	} else {
		s += " (weaker than a kernel record: no victim pid, no per-process figures)"
	}
	return s
}

// plainHead is the verdict's head for a run that a cancel, a timeout or a
// crash ended: what ended it and how sure that is, in plain words.
func plainHead(rep *Report, j *job) string {
	re := rep.RunEnd
	what := ""
	if re.ExitCode != nil {
		what = fmt.Sprintf("exit status %d", *re.ExitCode)
	}
	decisive := firstSentence(j.RunEnd.Decisive)
	switch re.Kind {
	case "cancelled":
		if re.ConfirmedBy == ByCIMessage {
			return fmt.Sprintf("Cancelled: the CI stopped the job (%q, its own words, so this is sure; not an OOM kill)", decisive)
		}
		if what == "" {
			what = "a SIGTERM"
		}
		return fmt.Sprintf("Ended by SIGTERM (%s): most likely a CI cancel or time limit, not an OOM kill, though other senders of SIGTERM are possible", what)
	case "timeout":
		if re.ConfirmedBy == ByCIMessage {
			if strings.Contains(decisive, "Timeout") && strings.Contains(decisive, "++") {
				return "Timed out: pytest-timeout stopped the run (its banner is in the log, so this is sure; not an OOM kill)"
			}
			return fmt.Sprintf("Timed out: the CI's time limit ended the job (%q, its own words, so this is sure; not an OOM kill)", decisive)
		}
		if what == "" {
			what = "a time limit"
		}
		return fmt.Sprintf("Timed out (%s, as timeout(1) reports it; fairly sure, not an OOM kill)", what)
	case "crash":
		if re.ConfirmedBy == ByCIMessage {
			return fmt.Sprintf("Crashed (%q, so this is sure; not an OOM kill)", decisive)
		}
		if what != "" {
			return fmt.Sprintf("Crashed (%s; not an OOM kill)", what)
		}
		return "Crashed (not an OOM kill)"
	}
	return ""
}

// firstSentence is s up to its first ". " (a runner's message goes on to
// explain itself).
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

// shareFromCgroup gives the leaks of a job whose OOM kill no kernel record
// measured their share of the job's memory cgroup's (or pod's) peak usage,
// else of its limit: the usage at the kill is the peak when the limit was
// hit.
func shareFromCgroup(rep *Report, j *job, ended *placedKill) {
	c := &j.Confirm
	if ended != nil || rep.RunEnd.Kind != "oom-kill" {
		return
	}
	denom, what := c.PeakBytes, "peak usage ("+c.PeakFrom+")"
	if denom <= 0 {
		denom, what = c.LimitBytes, "limit ("+c.LimitFrom+")"
	}
	if denom <= 0 {
		return
	}
	for i := range rep.Leaks {
		l := &rep.Leaks[i]
		if l.ShareOfKill != nil {
			continue
		}
		s := math.Round(math.Min(1, math.Max(0, float64(l.RetainedBytes)/float64(denom)))*1000) / 1000
		l.ShareOfKill = &s
		l.Evidence = append(l.Evidence, fmt.Sprintf("share of the kill taken against the job's memory %s, %s: no kernel record gives the usage at the kill", what, FormatBytes(denom)))
	}
}
