package cgroupfs

// Memory is what the memory-controller files of one cgroup say together.
type Memory struct {
	// Version is 1 or 2.
	Version int
	// OOMKills is the number of processes the kernel's OOM killer killed:
	// on v2 in the cgroup and its descendants (memory.events oom_kill,
	// else memory.events.local for the cgroup alone); on v1 in the cgroup
	// alone (memory.oom_control oom_kill, 4.13+: mm/memcontrol.c
	// memcg_memory_event counts up the hierarchy only on v2). From names
	// the file and key.
	OOMKills     int64
	HasOOMKills  bool
	OOMKillsFrom string
	// OOMs is v2's "oom": how often the limit was hit and the OOM killer
	// invoked (it may have found nothing to kill).
	OOMs    int64
	HasOOMs bool
	// UnderOOM is v1's under_oom: the cgroup is stalled at its limit now
	// (the kernel's kill disabled).
	UnderOOM bool
	// LimitBytes is the limit (v2 memory.max, v1 memory.limit_in_bytes,
	// else memory.stat hierarchical_memory_limit); Unlimited when none.
	LimitBytes int64
	HasLimit   bool
	Unlimited  bool
	LimitFrom  string
	// PeakBytes is the highest usage (v2 memory.peak, 5.19+; v1
	// memory.max_usage_in_bytes).
	PeakBytes int64
	HasPeak   bool
	PeakFrom  string
	// CurrentBytes is the usage when the files were read.
	CurrentBytes int64
	HasCurrent   bool
	// FailCount is v1 memory.failcnt: how often usage hit the limit.
	FailCount    int64
	HasFailCount bool
	// Files are the names of the files read, in the order given.
	Files []string
}

// Summarize puts the files of one cgroup together.
func Summarize(files []*File) Memory {
	var m Memory
	var local *File
	var statLimit *File
	for _, f := range files {
		if f == nil {
			continue
		}
		m.Files = append(m.Files, f.Name)
		if m.Version == 0 {
			m.Version = f.Version
		}
		switch f.Name {
		case Events:
			if v, ok := f.Get("oom_kill"); ok {
				m.OOMKills, m.HasOOMKills, m.OOMKillsFrom = v, true, Events+" oom_kill"
			}
			if v, ok := f.Get("oom"); ok {
				m.OOMs, m.HasOOMs = v, true
			}
		case EventsLocal:
			local = f
		case OOMControl:
			if v, ok := f.Get("oom_kill"); ok {
				m.OOMKills, m.HasOOMKills, m.OOMKillsFrom = v, true, OOMControl+" oom_kill"
			}
			if v, ok := f.Get("under_oom"); ok && v != 0 {
				m.UnderOOM = true
			}
		case Max, Limit:
			if f.HasValue {
				m.LimitBytes, m.HasLimit, m.Unlimited, m.LimitFrom = f.Value, !f.Unlimited, f.Unlimited, f.Name
			}
		case Peak, MaxUsage:
			if f.HasValue {
				m.PeakBytes, m.HasPeak, m.PeakFrom = f.Value, true, f.Name
			}
		case Current, Usage:
			if f.HasValue {
				m.CurrentBytes, m.HasCurrent = f.Value, true
			}
		case FailCount:
			if f.HasValue {
				m.FailCount, m.HasFailCount = f.Value, true
			}
		case Stat:
			statLimit = f
		}
	}
	if !m.HasOOMKills && local != nil {
		if v, ok := local.Get("oom_kill"); ok {
			m.OOMKills, m.HasOOMKills, m.OOMKillsFrom = v, true, EventsLocal+" oom_kill"
		}
		if v, ok := local.Get("oom"); ok && !m.HasOOMs {
			m.OOMs, m.HasOOMs = v, true
		}
	}
	if !m.HasLimit && !m.Unlimited && statLimit != nil {
		if v, ok := statLimit.Get(statV1Marker); ok {
			if v >= unlimitedBytes {
				m.Unlimited = true
			} else {
				m.LimitBytes, m.HasLimit, m.LimitFrom = v, true, Stat+" "+statV1Marker
			}
		}
	}
	return m
}
