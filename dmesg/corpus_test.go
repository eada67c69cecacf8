package dmesg

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

const kB = 1024

// want is one expected event: ev is compared field by field after the
// bulky parts (tasks, key lines, Mem-Info, memcg stats, extra fields,
// times) are cleared; those are counted here and checked by value in
// TestCorpusDetails. Every value was checked by hand against the sample.
type want struct {
	ev                              Event
	tasks, keyLines, memInfo, stats int
	reapLine                        int
}

type sampleWant struct {
	name         string
	lines, boots int
	events       []want
}

func project(ev Event) Event {
	ev.Tasks, ev.KeyLines, ev.MemInfo, ev.MemcgStats, ev.Extra, ev.TaskColumns = nil, nil, nil, nil, nil, nil
	ev.Reaped, ev.GroupKill, ev.Time, ev.Reason = nil, nil, time.Time{}, ""
	ev.Host = "" // TestInterleavedHosts and TestHostNamed check it
	return ev
}

var corpusWant = []sampleWant{
	{"01-cadvisor-memcg-v1-3.13-syslog-nohost.log", 44, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 35, FirstLine: 5, LastLine: 35, Boot: 0, UptimeS: 5864.708608, HasUptime: true, HasTime: true, TimeBasis: "syslog-no-year",
			HasHeader: true, TriggerComm: "memorymonster", TriggerPID: 13536, GFPMask: "0xd0", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "", Nodemask: "", Cpuset: "/", MemsAllowed: "0", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/mem2",
			TaskMemcg: "/mem2",
			PID:       13536, Comm: "memorymonster", UID: 0, HasUID: false, HasKilledLine: true, KilledPrefix: "",
			TotalVMBytes: 33558652 * kB, AnonRSSBytes: 920 * kB, FileRSSBytes: 452 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 0,
			SacrificedPID: 13536, SacrificedComm: "memorymonster", Score: 996,
			Memcg:          map[string]MemcgCounter{"kmem": {0 * kB, -1, 0}, "memory": {980 * kB, 980 * kB, 4152239}, "memory+swap": {0 * kB, -1, 0}},
			MemcgStatsPath: "/mem2"},
			tasks: 1, keyLines: 7, memInfo: 0, stats: 10},
	}},
	{"02-cadvisor-global-3.13-syslog.log", 81, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 81, FirstLine: 1, LastLine: 81, Boot: 0, UptimeS: 455.670291, HasUptime: true, HasTime: true, TimeBasis: "syslog-no-year",
			HasHeader: true, TriggerComm: "badsysprogram", TriggerPID: 1532, GFPMask: "0x280da", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "", Nodemask: "", Cpuset: "/", MemsAllowed: "0", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       1532, Comm: "badsysprogram", UID: 0, HasUID: false, HasKilledLine: true, KilledPrefix: "",
			TotalVMBytes: 1641388 * kB, AnonRSSBytes: 1595164 * kB, FileRSSBytes: 76 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 0,
			SacrificedPID: 1532, SacrificedComm: "badsysprogram", Score: 919},
			tasks: 28, keyLines: 3, memInfo: 79, stats: 0},
	}},
	{"03-oomanalyser-archlinux-6.1.1-global.log", 175, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 173, FirstLine: 1, LastLine: 174, Boot: 0,
			HasHeader: true, TriggerComm: "doxygen", TriggerPID: 473206, GFPMask: "0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO)", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "CONSTRAINT_NONE", Nodemask: "(null)", Cpuset: "/", MemsAllowed: "0", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "/user.slice/user-504.slice/session-2.scope",
			PID:       473206, Comm: "doxygen", UID: 504, HasUID: true, HasKilledLine: true, KilledPrefix: "Out of memory",
			TotalVMBytes: 30290680 * kB, AnonRSSBytes: 9234320 * kB, FileRSSBytes: 4 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 59264 * kB, KilledOOMScoreAdj: 0},
			tasks: 112, keyLines: 4, memInfo: 101, stats: 0, reapLine: 174},
	}},
	{"04-oomanalyser-proxmox-memcg-v2.log", 160, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 159, FirstLine: 1, LastLine: 159, Boot: 0, HasTime: true, TimeBasis: "dmesg-T-assumed-UTC",
			HasHeader: true, TriggerComm: "php-fpm", TriggerPID: 3923954, GFPMask: "0x1100cca(GFP_HIGHUSER_MOVABLE)", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "CONSTRAINT_MEMCG", Nodemask: "(null)", Cpuset: "docker-a59e4e7d3090c04c6ce5a4b7a8bc85228eb9b96ac00b1284643a8c7c11dda661.scope", MemsAllowed: "0", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/lxc/39004",
			TaskMemcg: "/lxc/39004/ns/system.slice/docker-a59e4e7d3090c04c6ce5a4b7a8bc85228eb9b96ac00b1284643a8c7c11dda661.scope",
			PID:       3902942, Comm: "php-fpm", UID: 1000, HasUID: true, HasKilledLine: true, KilledPrefix: "Memory cgroup out of memory",
			TotalVMBytes: 14740176 * kB, AnonRSSBytes: 12625252 * kB, FileRSSBytes: 0 * kB, ShmemRSSBytes: 156088 * kB, PgtablesBytes: 26388 * kB, KilledOOMScoreAdj: 0,
			Memcg:          map[string]MemcgCounter{"memory": {31211520 * kB, 31211520 * kB, 83420}, "swap": {0 * kB, 0 * kB, 0}},
			MemcgStatsPath: "/lxc/39004"},
			tasks: 73, keyLines: 5, memInfo: 0, stats: 40},
	}},
	{"05-oomanalyser-rhel7-3.10-global.log", 144, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 144, FirstLine: 1, LastLine: 144, Boot: 0,
			HasHeader: true, TriggerComm: "sed", TriggerPID: 29481, GFPMask: "0x201da", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "", Nodemask: "", Cpuset: "/", MemsAllowed: "0-1", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       6576, Comm: "mysqld", UID: 0, HasUID: false, HasKilledLine: true, KilledPrefix: "",
			TotalVMBytes: 33914892 * kB, AnonRSSBytes: 20629004 * kB, FileRSSBytes: 0 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 0,
			SacrificedPID: 6576, SacrificedComm: "mysqld", Score: 651},
			tasks: 85, keyLines: 3, memInfo: 142, stats: 0},
	}},
	{"06-oomanalyser-ubuntu2110-5.13-global.log", 69, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 69, FirstLine: 1, LastLine: 69, Boot: 0,
			HasHeader: true, TriggerComm: "kworker/0:2", TriggerPID: 735, GFPMask: "0xcc0(GFP_KERNEL)", Order: -1, TriggerOOMScoreAdj: 0,
			Constraint: "CONSTRAINT_NONE", Nodemask: "(null)", Cpuset: "/", MemsAllowed: "0", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "/system.slice/unattended-upgrades.service",
			PID:       651, Comm: "unattended-upgr", UID: 0, HasUID: true, HasKilledLine: true, KilledPrefix: "Out of memory",
			TotalVMBytes: 108020 * kB, AnonRSSBytes: 8380 * kB, FileRSSBytes: 12548 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 104 * kB, KilledOOMScoreAdj: 0},
			tasks: 23, keyLines: 3, memInfo: 76, stats: 0},
	}},
	{"07-parseoom-debian11-5.10-syslog-interleaved.log", 98, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 95, FirstLine: 2, LastLine: 96, Boot: 0, UptimeS: 75669.703275, HasUptime: true, HasTime: true, TimeBasis: "syslog-no-year",
			HasHeader: true, TriggerComm: "f2b/f.postfix", TriggerPID: 754, GFPMask: "0x100cca(GFP_HIGHUSER_MOVABLE)", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "CONSTRAINT_NONE", Nodemask: "(null)", Cpuset: "/", MemsAllowed: "0", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "/system.slice/clamav-daemon.service",
			PID:       517, Comm: "clamd", UID: 111, HasUID: true, HasKilledLine: true, KilledPrefix: "Out of memory",
			TotalVMBytes: 2361456 * kB, AnonRSSBytes: 1689296 * kB, FileRSSBytes: 0 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 4292 * kB, KilledOOMScoreAdj: 0},
			tasks: 35, keyLines: 4, memInfo: 77, stats: 0, reapLine: 96},
	}},
	{"08-gpud-dmesg-decode-iso-fragments.log", 9, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 3, FirstLine: 3, LastLine: 3, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			Partial: true, PartialReason: "only the oom_reaper line: the kill itself is not in the input",
			PID: 345646, Comm: "vector", UID: 0, HasUID: false, HasKilledLine: false, KilledPrefix: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0, reapLine: 3},
		{ev: Event{Kind: "kernel-oom-kill", Line: 4, FirstLine: 4, LastLine: 4, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			Partial: true, PartialReason: "no Killed process line: the next Killed process line is too far away in time",
			Constraint: "CONSTRAINT_MEMCG", Nodemask: "(null)", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "",
			TaskMemcg: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 5, FirstLine: 5, LastLine: 5, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			Partial: true, PartialReason: "only the Killed process line: header, summary and task table missing (ratelimited or filtered)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       123, Comm: "httpd", UID: 48, HasUID: true, HasKilledLine: true, KilledPrefix: "Out of memory"},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 6, FirstLine: 6, LastLine: 6, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			Partial: true, PartialReason: "no Killed process line: the next Killed process line is too far away in time",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:      "",
			TaskMemcg:     "",
			SacrificedPID: 456, SacrificedComm: "python", Score: 50},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 7, FirstLine: 7, LastLine: 7, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			Partial: true, PartialReason: "only the Killed process line: header, summary and task table missing (ratelimited or filtered)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       123, Comm: "httpd", UID: 48, HasUID: true, HasKilledLine: true, KilledPrefix: "Out of memory"},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 8, FirstLine: 8, LastLine: 8, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			Partial: true, PartialReason: "no Killed process line: a new record began before it",
			Constraint: "CONSTRAINT_MEMCG", Nodemask: "(null)", Cpuset: "cri-containerd-3fc28fa1c647ceede9f6b340d0b16c9f1f663698972d22a52e296f291638e014.scope", MemsAllowed: "0-1", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/lxc.payload.ny2g2r5hh3-lxc/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda8697f49_441d_4d4f_90d2_6d8e1fa3bbe7.slice",
			TaskMemcg: "/lxc.payload.ny2g2r5hh3-lxc/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda8697f49_441d_4d4f_90d2_6d8e1fa3bbe7.slice/cri-containerd-3fc28fa1c647ceede9f6b340d0b16c9f1f663698972d22a52e296f291638e014.scope",
			PID:       863987, Comm: "node", UID: 0, HasUID: true, HasKilledLine: false, KilledPrefix: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 9, FirstLine: 9, LastLine: 9, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			Constraint: "OTHER_CONSTRAINT", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"09-raw-console-6.12-arm64-rss_anon-global.log", 80, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 80, FirstLine: 1, LastLine: 80, Boot: 0,
			HasHeader: true, TriggerComm: "cron", TriggerPID: 550, GFPMask: "0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "CONSTRAINT_NONE", Nodemask: "(null)", Cpuset: "/", MemsAllowed: "0", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "/",
			PID:       996, Comm: "python", UID: 1000, HasUID: true, HasKilledLine: true, KilledPrefix: "Out of memory",
			TotalVMBytes: 2991716 * kB, AnonRSSBytes: 122228 * kB, FileRSSBytes: 0 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 1156 * kB, KilledOOMScoreAdj: 0},
			tasks: 31, keyLines: 3, memInfo: 57, stats: 0},
	}},
	{"10-dmesg-T-french-locale-6.17-rss_anon-grep-filtered.log", 6, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 5, FirstLine: 1, LastLine: 6, Boot: 0, HasTime: true, TimeBasis: "dmesg-T-assumed-UTC",
			Partial: true, PartialReason: "no invoked oom-killer header (ratelimited, cut or filtered)",
			Constraint: "CONSTRAINT_NONE", Nodemask: "(null)", Cpuset: "/", MemsAllowed: "0", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-da5a3d92-b9fc-46a6-8658-708c1e2a92c2.scope",
			PID:       43056, Comm: "colmap", UID: 1000, HasUID: true, HasKilledLine: true, KilledPrefix: "Out of memory",
			TotalVMBytes: 30044644 * kB, AnonRSSBytes: 13553456 * kB, FileRSSBytes: 57484 * kB, ShmemRSSBytes: 2432 * kB, PgtablesBytes: 31820 * kB, KilledOOMScoreAdj: 200},
			tasks: 2, keyLines: 3, memInfo: 0, stats: 0, reapLine: 6},
	}},
	{"11-journalctl-memcg-v2-6.x-rss_anon-custom-cgroup.log", 8, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 7, FirstLine: 3, LastLine: 7, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			Partial: true, PartialReason: "no invoked oom-killer header (ratelimited, cut or filtered)",
			Constraint: "CONSTRAINT_MEMCG", Nodemask: "(null)", Cpuset: "liz", MemsAllowed: "0", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/liz",
			TaskMemcg: "/liz",
			PID:       10233, Comm: "mem_stress", UID: 0, HasUID: true, HasKilledLine: true, KilledPrefix: "Memory cgroup out of memory",
			TotalVMBytes: 1225792 * kB, AnonRSSBytes: 50432 * kB, FileRSSBytes: 0 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 180 * kB, KilledOOMScoreAdj: 0},
			tasks: 2, keyLines: 2, memInfo: 0, stats: 0},
	}},
	{"12-kmsg-raw-memcg-v1-k8s-systemd-driver-hierarchical-stats.log", 12, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 1, FirstLine: 1, LastLine: 12, Boot: 0, UptimeS: 3.816544225424e+06, HasUptime: true, TimeBasis: "kmsg-uptime",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/kubepods.slice/kubepods-pod9eb0e64e_6e1a_43e4_b372_2603a3cc2941.slice",
			TaskMemcg: "/kubepods.slice/kubepods-pod9eb0e64e_6e1a_43e4_b372_2603a3cc2941.slice/docker-663f6287c450aea2f849b82a30d1409059497b5de62846a286e55971d61e2650.scope",
			PID:       2292670, Comm: "main", UID: 0, HasUID: false, HasKilledLine: false, KilledPrefix: "",
			Memcg:          map[string]MemcgCounter{"kmem": {0 * kB, -1, 0}, "memory": {20480 * kB, 20480 * kB, 136}, "memory+swap": {20480 * kB, -1, 0}},
			MemcgStatsPath: "/kubepods.slice/kubepods-pod9eb0e64e_6e1a_43e4_b372_2603a3cc2941.slice"},
			tasks: 2, keyLines: 5, memInfo: 0, stats: 20, reapLine: 12},
	}},
	// The same `Task in` line three times at one stamp: a repeat of the
	// paste, one record (issue 12).
	{"13-dmesg-T-chinese-locale-memcg-v1-k8s-repeated.log", 3, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 1, FirstLine: 1, LastLine: 3, Boot: 0, HasTime: true, TimeBasis: "dmesg-T-assumed-UTC",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/kubepods/pod3759885e-2d2e-45f6-a100-a1230831cbac",
			TaskMemcg: "/kubepods/pod3759885e-2d2e-45f6-a100-a1230831cbac/f0c2b1129c1c7ce74e8eff9633b31cc4d564a18b6fc5a1416a305df811420242"},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"14-rhel8-4.18-memcg-v1-k8s-no-tasklist-two-events.log", 79, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 38, FirstLine: 1, LastLine: 38, Boot: 0, UptimeS: 2.0148402325486e+07, HasUptime: true, TimeBasis: "uptime",
			HasHeader: true, TriggerComm: "java", TriggerPID: 48975, GFPMask: "0x6200ca(GFP_HIGHUSER_MOVABLE)", Order: 0, TriggerOOMScoreAdj: 916,
			Constraint: "", Nodemask: "(null)", Cpuset: "docker-083afd1a06b8b612ab5d974e12200d7fd1d35be6a44f0e368179399ef6c6e84d.scope", MemsAllowed: "0-3", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podd63c4bbe_5f18_11ec_bdcd_d094668d7dd6.slice/docker-083afd1a06b8b612ab5d974e12200d7fd1d35be6a44f0e368179399ef6c6e84d.scope",
			TaskMemcg: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podd63c4bbe_5f18_11ec_bdcd_d094668d7dd6.slice/docker-083afd1a06b8b612ab5d974e12200d7fd1d35be6a44f0e368179399ef6c6e84d.scope",
			PID:       321688, Comm: "java", UID: 0, HasUID: false, HasKilledLine: true, KilledPrefix: "Memory cgroup out of memory",
			TotalVMBytes: 10247356 * kB, AnonRSSBytes: 2740520 * kB, FileRSSBytes: 0 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 0,
			Memcg:          map[string]MemcgCounter{"kmem": {478036 * kB, -1, 0}, "memory": {32461112 * kB, 33554432 * kB, 0}, "memory+swap": {35651584 * kB, 35651584 * kB, 24208655}},
			MemcgStatsPath: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podd63c4bbe_5f18_11ec_bdcd_d094668d7dd6.slice/docker-083afd1a06b8b612ab5d974e12200d7fd1d35be6a44f0e368179399ef6c6e84d.scope"},
			tasks: 0, keyLines: 6, memInfo: 0, stats: 13},
		{ev: Event{Kind: "kernel-oom-kill", Line: 78, FirstLine: 39, LastLine: 79, Boot: 0, UptimeS: 2.0148497800391e+07, HasUptime: true, TimeBasis: "uptime",
			HasHeader: true, TriggerComm: "java", TriggerPID: 7127, GFPMask: "0x6200ca(GFP_HIGHUSER_MOVABLE)", Order: 0, TriggerOOMScoreAdj: 916,
			Constraint: "", Nodemask: "(null)", Cpuset: "docker-083afd1a06b8b612ab5d974e12200d7fd1d35be6a44f0e368179399ef6c6e84d.scope", MemsAllowed: "0-3", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podd63c4bbe_5f18_11ec_bdcd_d094668d7dd6.slice/docker-083afd1a06b8b612ab5d974e12200d7fd1d35be6a44f0e368179399ef6c6e84d.scope",
			TaskMemcg: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podd63c4bbe_5f18_11ec_bdcd_d094668d7dd6.slice/docker-083afd1a06b8b612ab5d974e12200d7fd1d35be6a44f0e368179399ef6c6e84d.scope",
			PID:       7093, Comm: "java", UID: 0, HasUID: false, HasKilledLine: true, KilledPrefix: "Memory cgroup out of memory",
			TotalVMBytes: 11451920 * kB, AnonRSSBytes: 1968776 * kB, FileRSSBytes: 0 * kB, ShmemRSSBytes: 16356 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 0,
			Memcg:          map[string]MemcgCounter{"kmem": {471440 * kB, -1, 0}, "memory": {32461120 * kB, 33554432 * kB, 0}, "memory+swap": {35651584 * kB, 35651584 * kB, 24892068}},
			MemcgStatsPath: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podd63c4bbe_5f18_11ec_bdcd_d094668d7dd6.slice/docker-083afd1a06b8b612ab5d974e12200d7fd1d35be6a44f0e368179399ef6c6e84d.scope"},
			tasks: 0, keyLines: 7, memInfo: 0, stats: 13, reapLine: 79},
	}},
	{"15-rhel6-2.6.32-global-syslog-oom_adj-cpu-column-UID-killed-line.log", 57, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 56, FirstLine: 1, LastLine: 56, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			HasHeader: true, TriggerComm: "dsm_sa_datamgrd", TriggerPID: 4917, GFPMask: "0x201da", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "", Nodemask: "", Cpuset: "/", MemsAllowed: "0-1", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       20557, Comm: "haproxy", UID: 188, HasUID: true, HasKilledLine: true, KilledPrefix: "",
			TotalVMBytes: 8560500 * kB, AnonRSSBytes: 12468 * kB, FileRSSBytes: 264 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 0,
			SacrificedPID: 20557, SacrificedComm: "haproxy", Score: 133},
			tasks: 9, keyLines: 3, memInfo: 75, stats: 0},
	}},
	{"16-rhel6.5-memcg-v1-docker-backtoback-UID-killed-line-fragment.log", 16, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 14, FirstLine: 1, LastLine: 14, Boot: 0,
			Partial: true, PartialReason: "no invoked oom-killer header (ratelimited, cut or filtered)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       16944, Comm: "mingetty", UID: 0, HasUID: true, HasKilledLine: true, KilledPrefix: "",
			TotalVMBytes: 4064 * kB, AnonRSSBytes: 4 * kB, FileRSSBytes: 56 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 0,
			SacrificedPID: 15947, SacrificedComm: "init", Score: 1},
			tasks: 11, keyLines: 2, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 15, FirstLine: 15, LastLine: 16, Boot: 0,
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			HasHeader: true, TriggerComm: "node", TriggerPID: 0, GFPMask: "0xd0", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "", Nodemask: "", Cpuset: "d96a8ea034f0610b31f1f669b7083d73f7caf7be92dae187ceb86416d05e1955", MemsAllowed: "0-1", GlobalOOM: false, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"17-systemd-oomd-userspace-journal.log", 8, 1, []want{
		{ev: Event{Kind: "systemd-oomd-kill", Line: 1, FirstLine: 1, LastLine: 1, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			Cgroup: "", Unit: "app-Hyprland-xdg\\x2dterminal\\x2dexec-977517a3.scope", VmRSSBytes: 0 << 20},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "systemd-oomd-kill", Line: 2, FirstLine: 2, LastLine: 2, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			Cgroup: "", Unit: "app-Hyprland-xdg\\x2dterminal\\x2dexec-e38010c5.scope", VmRSSBytes: 0 << 20},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "systemd-oomd-kill", Line: 3, FirstLine: 3, LastLine: 3, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			Cgroup: "", Unit: "app-Hyprland-xdg\\x2dterminal\\x2dexec-ea541d95.scope", VmRSSBytes: 0 << 20},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "systemd-oomd-kill", Line: 8, FirstLine: 8, LastLine: 8, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			Cgroup: "/user.slice/user-1000.slice/user@1000.service/app.slice/snap.chromium.chromium.82bbbfd7-c79b-4b57-b425-e543631ca054.scope", Unit: "", VmRSSBytes: 0 << 20},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"18-earlyoom-userspace-variants.log", 7, 1, []want{
		{ev: Event{Kind: "earlyoom-kill", Line: 4, FirstLine: 4, LastLine: 4, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			PID: 2614312, Comm: "simple", UID: 1000, HasUID: true, HasKilledLine: false, KilledPrefix: "",
			Cgroup: "", Unit: "", VmRSSBytes: 61 << 20},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "earlyoom-kill", Line: 5, FirstLine: 5, LastLine: 5, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			PID: 2806237, Comm: "VLLM::EngineCor", UID: 1000, HasUID: true, HasKilledLine: false, KilledPrefix: "",
			Cgroup: "", Unit: "", VmRSSBytes: 4229 << 20},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "earlyoom-kill", Line: 6, FirstLine: 6, LastLine: 6, Boot: 0, HasTime: true, TimeBasis: "iso-with-zone",
			PID: 1639069, Comm: "rustc", UID: 991, HasUID: true, HasKilledLine: false, KilledPrefix: "",
			TotalVMBytes: 0 * kB, AnonRSSBytes: 0 * kB, FileRSSBytes: 0 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 500,
			Cgroup: "", Unit: "", VmRSSBytes: 3287 << 20},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"19-4.19rc-oom-kill-line-split-by-missing-KERN_CONT.log", 2, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 1, FirstLine: 1, LastLine: 2, Boot: 0, UptimeS: 23.34665, HasUptime: true, TimeBasis: "uptime",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			Constraint: "CONSTRAINT_NONE", Nodemask: "(null)", Cpuset: "/", MemsAllowed: "0", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "/",
			PID:       5096, Comm: "firewalld", UID: 0, HasUID: true, HasKilledLine: false, KilledPrefix: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"20-ubuntu-4.13-header-with-nodemask-k8s-init-container.log", 5, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 1, FirstLine: 1, LastLine: 3, Boot: 0, UptimeS: 1573.878353, HasUptime: true, TimeBasis: "uptime",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			HasHeader: true, TriggerComm: "cp", TriggerPID: 4289, GFPMask: "0x14000c0(GFP_KERNEL)", Order: 0, TriggerOOMScoreAdj: -998,
			Constraint: "", Nodemask: "(null)", Cpuset: "ec391272ec599d14b9d3ad22e7b3d37b4e3047eef9ea796e239861e0c209a763", MemsAllowed: "0", GlobalOOM: false, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"21-memcg-v1-k8s-tasks-state-plus-sacrifice-child-copy-wrapped.log", 12, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 12, FirstLine: 1, LastLine: 12, Boot: 0, UptimeS: 5.193605506956e+06, HasUptime: true, TimeBasis: "uptime",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:      "/kubepods/pod951f6bc5-c5a5-11ea-8707-80e455f266a2/024952d653ef1cd852f875a61bd27cf45cb1fd6cab3659ca7e5f12f037d99aa9",
			TaskMemcg:     "/kubepods/pod951f6bc5-c5a5-11ea-8707-80e455f266a2/024952d653ef1cd852f875a61bd27cf45cb1fd6cab3659ca7e5f12f037d99aa9",
			SacrificedPID: 62685, SacrificedComm: "bash", Score: 0,
			Memcg:          map[string]MemcgCounter{"kmem": {16560 * kB, -1, 0}, "memory": {524288 * kB, 524288 * kB, 0}, "memory+swap": {524288 * kB, 524288 * kB, 38}},
			MemcgStatsPath: "/kubepods/pod951f6bc5-c5a5-11ea-8707-80e455f266a2/024952d653ef1cd852f875a61bd27cf45cb1fd6cab3659ca7e5f12f037d99aa9"},
			tasks: 2, keyLines: 5, memInfo: 0, stats: 13},
	}},
	{"22-dmesg-T-rhel7-3.10-memcg-k8s-header.log", 14, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 1, FirstLine: 1, LastLine: 3, Boot: 0, HasTime: true, TimeBasis: "dmesg-T-assumed-UTC",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			HasHeader: true, TriggerComm: "java", TriggerPID: 5282, GFPMask: "0xd0", Order: 0, TriggerOOMScoreAdj: -998,
			Constraint: "", Nodemask: "", Cpuset: "bf2d7043c1267b4dfd8fdb356653a73070a8db8dfd7e2e4d74700edcaef7b548", MemsAllowed: "0", GlobalOOM: false, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"23-syslog-3.10-memcg-v1-k8s-systemd-cgroup-driver-alibaba.log", 6, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 1, FirstLine: 1, LastLine: 6, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0330b2c1_a15b_4cdd_b5e5_72d4a90bee82.slice/docker-b27201334a41cd0749d053b18378d7ea65617b8e26277197ea25c974da1a5a8a.scope",
			TaskMemcg:      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0330b2c1_a15b_4cdd_b5e5_72d4a90bee82.slice/docker-b27201334a41cd0749d053b18378d7ea65617b8e26277197ea25c974da1a5a8a.scope",
			Memcg:          map[string]MemcgCounter{"kmem": {0 * kB, -1, 0}, "memory": {1048576 * kB, 1048576 * kB, 189}, "memory+swap": {1048576 * kB, 1048576 * kB, 0}},
			MemcgStatsPath: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0330b2c1_a15b_4cdd_b5e5_72d4a90bee82.slice/docker-b27201334a41cd0749d053b18378d7ea65617b8e26277197ea25c974da1a5a8a.scope"},
			tasks: 0, keyLines: 4, memInfo: 0, stats: 10},
	}},
	{"24-syslog-5.x-memcg-v2-k8s-swap-line-after-TASK.log", 8, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 7, FirstLine: 7, LastLine: 8, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "",
			TaskMemcg: "",
			Memcg:     map[string]MemcgCounter{"memory": {1048576 * kB, 1048576 * kB, 141}, "swap": {0 * kB, -1, 0}}},
			tasks: 0, keyLines: 2, memInfo: 0, stats: 0},
	}},
	{"25-journal-short-precise-and-grep-summaries-containers.log", 5, 2, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 1, FirstLine: 1, LastLine: 1, Boot: 0, HasTime: true, TimeBasis: "syslog-no-year",
			Partial: true, PartialReason: "no Killed process line: a new record began before it",
			Constraint: "CONSTRAINT_MEMCG", Nodemask: "(null)", Cpuset: "cri-containerd-ec9ee26695deb4cc72bc665efff1cf3a03fdfb12f1303e02fe9252985e084a95.scope", MemsAllowed: "0-1", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "/lxc.payload....-lxc/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e_4c6e_a889_3e427565c740.slice",
			TaskMemcg: "/lxc.payload.ny2g2r5hh3-lxc/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e_4c6e_a889_3e427565c740.slice/cri-containerd-ec9ee26695deb4cc72bc665efff1cf3a03fdfb12f1303e02fe9252985e084a95.scope",
			PID:       461754, Comm: "pt_main_thread", UID: 0, HasUID: true, HasKilledLine: false, KilledPrefix: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 2, FirstLine: 2, LastLine: 2, Boot: 0, UptimeS: 4.650180470877e+06, HasUptime: true, TimeBasis: "uptime",
			// Line 1 names host "...", line 3 another: line 2, which names
			// none, is of the first host, whose lines end there.
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			Constraint: "CONSTRAINT_NONE", Nodemask: "(null)", Cpuset: "aegis", MemsAllowed: "0", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "/system.slice/docker-00748bf4e957f82c239a1db8a88579059b7d40c7b5fbd3f43617d31d3f646f12.scope",
			PID:       7134, Comm: "java", UID: 1000, HasUID: true, HasKilledLine: false, KilledPrefix: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 3, FirstLine: 3, LastLine: 5, Boot: 1, UptimeS: 1.310061327439e+06, HasUptime: true, HasTime: true, TimeBasis: "syslog-no-year",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			HasHeader: true, TriggerComm: "CPU 0/KVM", TriggerPID: 24430, GFPMask: "0x15000c0(GFP_KERNEL_ACCOUNT)", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "", Nodemask: "(null)", Cpuset: "vcpu0", MemsAllowed: "0-1", GlobalOOM: false, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: ""},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"26-npd-issue480-4.19-vs-5.4-kill-lines.log", 3, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 2, FirstLine: 1, LastLine: 2, Boot: 0,
			Partial: true, PartialReason: "no invoked oom-killer header (ratelimited, cut or filtered)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       4015, Comm: "python", UID: 0, HasUID: false, HasKilledLine: true, KilledPrefix: "",
			TotalVMBytes: 32812 * kB, AnonRSSBytes: 23588 * kB, FileRSSBytes: 1684 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 0 * kB, KilledOOMScoreAdj: 0,
			SacrificedPID: 4015, SacrificedComm: "python", Score: 1923},
			tasks: 0, keyLines: 2, memInfo: 0, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 3, FirstLine: 3, LastLine: 3, Boot: 0,
			Partial: true, PartialReason: "only the Killed process line: header, summary and task table missing (ratelimited or filtered)",
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: false, MemcgOOM: true,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       4249, Comm: "python", UID: 0, HasUID: true, HasKilledLine: true, KilledPrefix: "Memory cgroup out of memory",
			TotalVMBytes: 32812 * kB, AnonRSSBytes: 23856 * kB, FileRSSBytes: 1700 * kB, ShmemRSSBytes: 0 * kB, PgtablesBytes: 112 * kB, KilledOOMScoreAdj: 994},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
	{"27-ubuntu-2.6.28-i386-syslog-oomkilladj-kill-or-a-child.log", 51, 1, []want{
		{ev: Event{Kind: "kernel-oom-kill", Line: 50, FirstLine: 1, LastLine: 50, Boot: 0, UptimeS: 10161.664141, HasUptime: true, HasTime: true, TimeBasis: "syslog-no-year",
			HasHeader: true, TriggerComm: "lid.sh", TriggerPID: 32336, GFPMask: "0x80d0", Order: 0, TriggerOOMScoreAdj: 0,
			Constraint: "", Nodemask: "", Cpuset: "", MemsAllowed: "", GlobalOOM: true, MemcgOOM: false,
			OOMMemcg:  "",
			TaskMemcg: "",
			PID:       3091, Comm: "ssh-agent", UID: 0, HasUID: false, HasKilledLine: true, KilledPrefix: "",
			SacrificedPID: 2966, SacrificedComm: "x-session-manag", Score: 75994},
			tasks: 0, keyLines: 3, memInfo: 55, stats: 0},
		{ev: Event{Kind: "kernel-oom-kill", Line: 51, FirstLine: 51, LastLine: 51, Boot: 0, UptimeS: 10162.477432, HasUptime: true, HasTime: true, TimeBasis: "syslog-no-year",
			Partial: true, PartialReason: "no Killed process line: the input ends inside the record (cut off)",
			HasHeader: true, TriggerComm: "lid.sh", TriggerPID: 0, GFPMask: "0x80d0", Order: 0, TriggerOOMScoreAdj: 0},
			tasks: 0, keyLines: 1, memInfo: 0, stats: 0},
	}},
}

func TestCorpusEvents(t *testing.T) {
	samples := corpus(t)
	if len(samples) != len(corpusWant) {
		t.Errorf("%d samples, %d expectations", len(samples), len(corpusWant))
	}
	for _, sw := range corpusWant {
		t.Run(sw.name, func(t *testing.T) {
			data, ok := samples[sw.name]
			if !ok {
				t.Fatalf("sample %s missing", sw.name)
			}
			lg, err := Parse(bytes.NewReader(data), Options{Name: sw.name})
			if err != nil {
				t.Fatal(err)
			}
			if lg.Lines != sw.lines || lg.Boots != sw.boots {
				t.Errorf("lines %d boots %d, want %d %d", lg.Lines, lg.Boots, sw.lines, sw.boots)
			}
			if len(lg.Events) != len(sw.events) {
				t.Fatalf("%d events, want %d", len(lg.Events), len(sw.events))
			}
			for i, w := range sw.events {
				ev := lg.Events[i]
				if w.ev.HasKilledLine {
					w.ev.Outcome = OutcomeKilled // the Killed line is the outcome
				}
				if got := project(ev); !reflect.DeepEqual(got, w.ev) {
					t.Errorf("event %d:\n got  %+v\n want %+v", i, got, w.ev)
				}
				if len(ev.Tasks) != w.tasks || len(ev.KeyLines) != w.keyLines || len(ev.MemInfo) != w.memInfo || len(ev.MemcgStats) != w.stats {
					t.Errorf("event %d: tasks %d keyLines %d memInfo %d stats %d, want %d %d %d %d", i,
						len(ev.Tasks), len(ev.KeyLines), len(ev.MemInfo), len(ev.MemcgStats), w.tasks, w.keyLines, w.memInfo, w.stats)
				}
				switch {
				case w.reapLine == 0 && ev.Reaped != nil:
					t.Errorf("event %d: unexpected reap %+v", i, ev.Reaped)
				case w.reapLine != 0 && (ev.Reaped == nil || ev.Reaped.Line != w.reapLine):
					t.Errorf("event %d: reap %+v, want line %d", i, ev.Reaped, w.reapLine)
				}
			}
		})
	}
}
