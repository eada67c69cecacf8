package correlate

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Alignment methods, most trusted first. A kernel stamp is seconds since
// boot (printk's local_clock); it reaches the job's wall clock through the
// boot time.
const (
	// AlignBootTimeOption: the user gave --boot-time.
	AlignBootTimeOption = "--boot-time"
	// AlignDiagnosticsMonotonic: time − monotonic of a diagnostics
	// session_start (CLOCK_MONOTONIC, like printk stamps, stops in suspend).
	AlignDiagnosticsMonotonic = "diagnostics-monotonic"
	// AlignDiagnosticsBootTime: boot_time (btime of /proc/stat, whole
	// seconds) of a diagnostics session_start.
	AlignDiagnosticsBootTime = "diagnostics-boot-time"
	// AlignRecordBootTime: boot_time (btime of /proc/stat, whole seconds) of
	// the record.json that `oomlens record` wrote on the host it ran on.
	AlignRecordBootTime = "record-boot-time"
	// AlignCollectBootTime: the host's boot time (go-sysinfo) that
	// `oomlens collect` wrote into collect.json on the job's machine.
	AlignCollectBootTime = "collect-boot-time"
	// AlignKernelWallClock: the kernel log's own wall-clock stamps (syslog,
	// dmesg -T, journal).
	AlignKernelWallClock = "kernel-wall-clock"
	// AlignThisHost: the boot time of the host oomlens runs on (go-sysinfo),
	// right only when the job ran on this host since its last boot.
	AlignThisHost = "this-host"
	// AlignNone: no way to put kernel stamps on the wall clock.
	AlignNone = "none"
)

var alignRank = map[string]int{
	AlignBootTimeOption:       0,
	AlignDiagnosticsMonotonic: 1,
	AlignDiagnosticsBootTime:  2,
	AlignRecordBootTime:       3,
	AlignCollectBootTime:      3,
	AlignKernelWallClock:      4,
	AlignThisHost:             5,
}

// baseUncertaintyS is each method's own resolution.
var baseUncertaintyS = map[string]float64{
	AlignBootTimeOption:       1,
	AlignDiagnosticsMonotonic: 0.05,
	AlignDiagnosticsBootTime:  1,
	AlignRecordBootTime:       1,
	AlignCollectBootTime:      1,
	AlignKernelWallClock:      1,
	AlignThisHost:             1,
}

// clock is the chosen boot time.
type clock struct {
	Method       string
	Boot         float64 // Unix seconds
	HasBoot      bool
	UncertaintyS float64
	Warnings     []string
}

// alignClocks picks the most trusted boot-time hint. Hints of the same
// method that disagree widen the uncertainty to their spread; hints of other
// methods that disagree beyond both uncertainties are a warning.
func alignClocks(hints []clockHint, opts Options, thisHostBoot func() (time.Time, error)) clock {
	var all []clockHint
	for _, h := range hints {
		// A boot before 1990 or after 2200 is a broken record, not a clock.
		if h.BootUnix > 631152000 && h.BootUnix < 7258118400 {
			all = append(all, h)
		}
	}
	if opts.BootTime != nil {
		all = append(all, clockHint{Method: AlignBootTimeOption, BootUnix: unixSeconds(*opts.BootTime), UncertaintyS: 1, Source: "--boot-time"})
	}
	var c clock
	if opts.ThisHost && thisHostBoot != nil {
		if bt, err := thisHostBoot(); err == nil {
			all = append(all, clockHint{Method: AlignThisHost, BootUnix: unixSeconds(bt), UncertaintyS: 1, Source: "this host"})
		} else {
			c.Warnings = append(c.Warnings, fmt.Sprintf("--this-host: the boot time of this host could not be read: %v", err))
		}
	}
	if len(all) == 0 {
		c.Method = AlignNone
		return c
	}
	sort.SliceStable(all, func(i, j int) bool { return alignRank[all[i].Method] < alignRank[all[j].Method] })
	best := all[0].Method
	lo, hi := math.Inf(1), math.Inf(-1)
	unc := 0.0
	for _, h := range all {
		if h.Method != best {
			continue
		}
		lo, hi = min(lo, h.BootUnix), max(hi, h.BootUnix)
		unc = max(unc, h.UncertaintyS)
	}
	if unc == 0 {
		unc = baseUncertaintyS[best]
	}
	c.Method, c.Boot, c.HasBoot = best, (lo+hi)/2, true
	c.UncertaintyS = math.Round((unc+(hi-lo)/2)*1000) / 1000
	if hi-lo > 2 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the %s hints disagree by %.1f s (a reboot between inputs?); their middle is used", best, hi-lo))
	}
	for _, h := range all {
		if h.Method == best {
			continue
		}
		if d := math.Abs(h.BootUnix - c.Boot); d > c.UncertaintyS+h.UncertaintyS+2 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("clocks disagree: boot time from %s (%s) is %.1f s from the one used (%s, %s)",
				h.Method, h.Source, d, best, unixTime(c.Boot).Format(time.RFC3339Nano)))
		}
	}
	return c
}

// killTime puts one kill on the wall clock: uptime + boot time when a boot
// time better than the kernel's own stamps is known, else the kernel's own
// wall-clock stamp, else uptime + any boot time. ok is false when the kill
// cannot be placed. Uptime is only used for the last boot segment of its
// log: an earlier boot's uptime counts from another boot.
func (c clock) killTime(k *kill) (t float64, method string, uncertaintyS float64, ok bool) {
	viaBoot := k.HasUptime && c.HasBoot && k.LastBoot
	if viaBoot && c.Method != AlignKernelWallClock && c.Method != AlignThisHost {
		return c.Boot + k.UptimeS, c.Method, c.UncertaintyS, true
	}
	if k.HasWall {
		u := 1.0
		if _, frac := math.Modf(k.Wall); frac != 0 {
			u = 0.01 // a stamp with a fraction of a second
		}
		return k.Wall, AlignKernelWallClock, u, true
	}
	if viaBoot {
		return c.Boot + k.UptimeS, c.Method, c.UncertaintyS, true
	}
	return 0, AlignNone, 0, false
}
