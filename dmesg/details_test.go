package dmesg

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func parseSample(t *testing.T, name string, opts Options) *Log {
	t.Helper()
	data, ok := corpus(t)[name]
	if !ok {
		t.Fatalf("no sample %s", name)
	}
	opts.Name = name
	lg, err := Parse(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	return lg
}

func taskByPID(t *testing.T, ev Event, pid int) Task {
	t.Helper()
	for _, tk := range ev.Tasks {
		if tk.PID == pid {
			tk.Line = 0
			return tk
		}
	}
	t.Fatalf("no task %d in %d rows", pid, len(ev.Tasks))
	return Task{}
}

const pg = 4096

// TestCorpusDetails checks task rows, memcg stats, Mem-Info, times and
// extra fields of the samples, value by value (checked by hand).
func TestCorpusDetails(t *testing.T) {
	t.Run("01 v1 memcg, nr_ptes table, syslog without host", detail01V1MemcgNrPtesTableSyslogWithoutHost)
	t.Run("01 with Year, Location and page size", detail01WithYearLocationAndPageSize)
	t.Run("02 Mem-Info with per-cpu lines", detail02MemInfoWithPerCpuLines)
	t.Run("03 pgtables_bytes table, reaper", detail03PgtablesBytesTableReaper)
	t.Run("04 dmesg -T German, v2 multi-line stats", detail04DmesgTGermanV2MultiLineStats)
	t.Run("07 syslog interleaved, comm with slash", detail07SyslogInterleavedCommWithSlash)
	t.Run("09 rss_anon columns, truncated lines", detail09RssAnonColumnsTruncatedLines)
	t.Run("10 dmesg -T French", detail10DmesgTFrench)
	t.Run("12 kmsg", detail12Kmsg)
	t.Run("13 dmesg -T Chinese", detail13DmesgTChinese)
	t.Run("15 RHEL6 cpu/oom_adj columns", detail15Rhel6CpuOomAdjColumns)
	t.Run("17 systemd-oomd", detail17SystemdOomd)
	t.Run("18 earlyoom", detail18Earlyoom)
	t.Run("21 hard wraps joined", detail21HardWrapsJoined)
	t.Run("22 dmesg -T English", detail22DmesgTEnglish)
	t.Run("25 short-precise", detail25ShortPrecise)
	t.Run("27 2.6.28 Mem-Info", detail272628MemInfo)
}

func detail01V1MemcgNrPtesTableSyslogWithoutHost(t *testing.T) {
	lg := parseSample(t, "01-cadvisor-memcg-v1-3.13-syslog-nohost.log", Options{})
	ev := lg.Events[0]
	got := taskByPID(t, ev, 13536)
	want := Task{PID: 13536, UID: 275858, TGID: 13536, TotalVMBytes: 8389663 * pg, RSSBytes: 343 * pg,
		PgtablesBytes: 16267 * pg, SwapentsBytes: 8324326 * pg, Name: "memorymonster", Extra: map[string]string{"nr_ptes": "16267"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("task\n got  %+v\n want %+v", got, want)
	}
	for k, v := range map[string]int64{"cache": 0, "rss": 980 * kB, "writeback": 20 * kB, "inactive_anon": 560 * kB, "active_anon": 420 * kB, "unevictable": 0} {
		if ev.MemcgStats[k] != v {
			t.Errorf("stat %s = %d, want %d", k, ev.MemcgStats[k], v)
		}
	}
	if w := time.Date(0, 1, 5, 15, 19, 27, 0, time.UTC); !ev.Time.Equal(w) {
		t.Errorf("time %v want %v", ev.Time, w)
	}
	// 3.13.0-43-generic names no architecture: the page size is unknown,
	// which the caller says once per analysis (not a warning per log).
	if len(lg.Warnings) != 0 || !lg.PageSizeAssumed {
		t.Errorf("warnings %v, page size assumed %v", lg.Warnings, lg.PageSizeAssumed)
	}
	if ev.KeyLines[0] != "memorymonster invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0" {
		t.Errorf("key line 0 %q", ev.KeyLines[0])
	}
}

func detail01WithYearLocationAndPageSize(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	lg := parseSample(t, "01-cadvisor-memcg-v1-3.13-syslog-nohost.log", Options{Year: 2015, Location: ny, PageSizeBytes: 16384})
	ev := lg.Events[0]
	if w := time.Date(2015, 1, 5, 15, 19, 27, 0, ny); !ev.Time.Equal(w) || ev.TimeBasis != BasisSyslog {
		t.Errorf("time %v %s", ev.Time, ev.TimeBasis)
	}
	if ev.Tasks[0].RSSBytes != 343*16384 || len(lg.Warnings) != 0 {
		t.Errorf("rss %d warnings %v", ev.Tasks[0].RSSBytes, lg.Warnings)
	}
	lg = parseSample(t, "01-cadvisor-memcg-v1-3.13-syslog-nohost.log", Options{Year: 2015})
	if ev := lg.Events[0]; ev.TimeBasis != BasisSyslogAssumedUTC || !ev.Time.Equal(time.Date(2015, 1, 5, 15, 19, 27, 0, time.UTC)) {
		t.Errorf("time %v %s", ev.Time, ev.TimeBasis)
	}
}

func detail02MemInfoWithPerCpuLines(t *testing.T) {
	ev := parseSample(t, "02-cadvisor-global-3.13-syslog.log", Options{}).Events[0]
	for k, v := range map[string]int64{
		"active_anon": 405991 * pg, "free": 12929 * pg, "free_cma": 0, "pagetables": 1423 * pg,
		"node0_DMA_free": 7124 * kB, "node0_DMA32_managed": 1722912 * kB,
		"total_pagecache": 204 * pg, "swap_cache": 0, "free_swap": 0, "total_swap": 0,
		"ram": 445340 * pg, "highmem_movableonly": 0, "reserved": 10614 * pg,
	} {
		if got, ok := ev.MemInfo[k]; !ok || got != v {
			t.Errorf("MemInfo[%s] = %d (%v), want %d", k, got, ok, v)
		}
	}
	if got := taskByPID(t, ev, 293); got.OOMScoreAdj != -1000 || got.Name != "systemd-udevd" || got.RSSBytes != 154*pg {
		t.Errorf("task %+v", got)
	}
}

func detail03PgtablesBytesTableReaper(t *testing.T) {
	ev := parseSample(t, "03-oomanalyser-archlinux-6.1.1-global.log", Options{}).Events[0]
	want := Task{PID: 473206, UID: 504, TGID: 473206, TotalVMBytes: 7572670 * pg, RSSBytes: 2308581 * pg, PgtablesBytes: 60686336, SwapentsBytes: 5225427 * pg, Name: "doxygen"}
	if got := taskByPID(t, ev, 473206); !reflect.DeepEqual(got, want) {
		t.Errorf("task %+v", got)
	}
	if r := ev.Reaped; r.PID != 473206 || r.Comm != "doxygen" || r.AnonRSSBytes != 0 || r.Unable {
		t.Errorf("reap %+v", r)
	}
	if ev.MemInfo["sec_pagetables"] != 0 || ev.MemInfo["kernel_misc_reclaimable"] != 0 {
		t.Errorf("6.1 Mem-Info keys missing")
	}
	if _, ok := ev.MemInfo["kernel_misc_reclaimable"]; !ok {
		t.Errorf("kernel_misc_reclaimable not read")
	}
}

func detail04DmesgTGermanV2MultiLineStats(t *testing.T) {
	ev := parseSample(t, "04-oomanalyser-proxmox-memcg-v2.log", Options{}).Events[0]
	if w := time.Date(2025, 8, 12, 3, 54, 3, 0, time.UTC); !ev.Time.Equal(w) {
		t.Errorf("time %v", ev.Time)
	}
	for k, v := range map[string]int64{"anon": 31154200576, "file": 688283648, "inactive_anon": 31307640832, "active_file": 0} {
		if ev.MemcgStats[k] != v {
			t.Errorf("stat %s = %d want %d", k, ev.MemcgStats[k], v)
		}
	}
	if got := taskByPID(t, ev, 3993067); got.TotalVMBytes != 195922*pg || got.RSSBytes != 29187*pg || got.PgtablesBytes != 671744 || got.Name != "php-fpm" {
		t.Errorf("task %+v", got)
	}
}

func detail07SyslogInterleavedCommWithSlash(t *testing.T) {
	ev := parseSample(t, "07-parseoom-debian11-5.10-syslog-interleaved.log", Options{}).Events[0]
	want := Task{PID: 517, UID: 111, TGID: 517, TotalVMBytes: 590364 * pg, RSSBytes: 422324 * pg, PgtablesBytes: 4395008, SwapentsBytes: 107099 * pg, Name: "clamd"}
	if got := taskByPID(t, ev, 517); !reflect.DeepEqual(got, want) {
		t.Errorf("task %+v", got)
	}
	if r := ev.Reaped; r.PID != 517 || r.Comm != "clamd" || !r.HasUptime || r.UptimeS != 75669.884223 {
		t.Errorf("reap %+v", r)
	}
}

func detail09RssAnonColumnsTruncatedLines(t *testing.T) {
	ev := parseSample(t, "09-raw-console-6.12-arm64-rss_anon-global.log", Options{}).Events[0]
	want := Task{PID: 996, UID: 1000, TGID: 996, TotalVMBytes: 747929 * pg, RSSBytes: 30557 * pg, RSSAnonBytes: 30557 * pg,
		PgtablesBytes: 1183744, SwapentsBytes: 31936 * pg, Name: "python"}
	if got := taskByPID(t, ev, 996); !reflect.DeepEqual(got, want) {
		t.Errorf("task\n got  %+v\n want %+v", got, want)
	}
	if got := taskByPID(t, ev, 919); got.Name != "(sd-pam)" || got.OOMScoreAdj != 100 {
		t.Errorf("task %+v", got)
	}
	wantCols := []string{"pid", "uid", "tgid", "total_vm", "rss", "rss_anon", "rss_file", "rss_shmem", "pgtables_bytes", "swapents", "oom_score_adj", "name"}
	if !reflect.DeepEqual(ev.TaskColumns, wantCols) {
		t.Errorf("columns %v", ev.TaskColumns)
	}
	for k, v := range map[string]int64{"active_anon": 27124 * pg, "free": 4345 * pg, "node0_active_anon": 108496 * kB, "node0_DMA_free": 17380 * kB, "cma_reserved": 65536 * pg, "total_swap": 425980 * kB} {
		if ev.MemInfo[k] != v {
			t.Errorf("MemInfo[%s] = %d want %d", k, ev.MemInfo[k], v)
		}
	}
}

func detail10DmesgTFrench(t *testing.T) {
	ev := parseSample(t, "10-dmesg-T-french-locale-6.17-rss_anon-grep-filtered.log", Options{}).Events[0]
	if w := time.Date(2026, 4, 19, 18, 3, 30, 0, time.UTC); !ev.Time.Equal(w) {
		t.Errorf("time %v", ev.Time)
	}
	if got := taskByPID(t, ev, 43056); got.RSSAnonBytes != 3388364*pg || got.RSSFileBytes != 14371*pg || got.RSSShmemBytes != 608*pg || got.OOMScoreAdj != 200 {
		t.Errorf("task %+v", got)
	}
	if r := ev.Reaped; r.FileRSSBytes != 192*kB || r.ShmemRSSBytes != 176*kB {
		t.Errorf("reap %+v", r)
	}
}

func detail12Kmsg(t *testing.T) {
	ev := parseSample(t, "12-kmsg-raw-memcg-v1-k8s-systemd-driver-hierarchical-stats.log", Options{}).Events[0]
	if got := taskByPID(t, ev, 2276312); got.UID != 65535 || got.OOMScoreAdj != -998 || got.Name != "pause" || got.PgtablesBytes != 28672 {
		t.Errorf("task %+v", got)
	}
	if ev.MemcgStats["workingset_nodereclaim"] != 0 || len(ev.MemcgStats) != 20 {
		t.Errorf("stats %v", ev.MemcgStats)
	}
}

func detail13DmesgTChinese(t *testing.T) {
	ev := parseSample(t, "13-dmesg-T-chinese-locale-memcg-v1-k8s-repeated.log", Options{}).Events[0]
	if w := time.Date(2021, 3, 18, 18, 47, 12, 0, time.UTC); !ev.Time.Equal(w) {
		t.Errorf("time %v", ev.Time)
	}
}

func detail15Rhel6CpuOomAdjColumns(t *testing.T) {
	ev := parseSample(t, "15-rhel6-2.6.32-global-syslog-oom_adj-cpu-column-UID-killed-line.log", Options{}).Events[0]
	want := Task{PID: 624, UID: 0, TGID: 624, TotalVMBytes: 2763 * pg, OOMScoreAdj: -1000, Name: "udevd", Extra: map[string]string{"cpu": "1", "oom_adj": "-17"}}
	if got := taskByPID(t, ev, 624); !reflect.DeepEqual(got, want) {
		t.Errorf("task\n got  %+v\n want %+v", got, want)
	}
	if ev.Extra["header.oom_adj"] != "0" {
		t.Errorf("extra %v", ev.Extra)
	}
	if ev.MemInfo["shared"] != 1110*pg || ev.MemInfo["non_shared"] != 3295246*pg {
		t.Errorf("meminfo shared %d non-shared %d", ev.MemInfo["shared"], ev.MemInfo["non_shared"])
	}
}

func detail17SystemdOomd(t *testing.T) {
	lg := parseSample(t, "17-systemd-oomd-userspace-journal.log", Options{})
	if !strings.HasSuffix(lg.Events[3].Reason, " due to memory p>") || lg.Events[0].Extra["processes"] != "1798" {
		t.Errorf("%+v", lg.Events)
	}
}

func detail18Earlyoom(t *testing.T) {
	lg := parseSample(t, "18-earlyoom-userspace-variants.log", Options{})
	if lg.Events[0].Extra["badness"] != "966" || lg.Events[0].Extra["signal"] != "SIGTERM" || lg.Events[2].Extra["oom_score"] != "1331" {
		t.Errorf("%+v", lg.Events)
	}
	if w := time.Date(2026, 7, 11, 5, 57, 14, 911583000, time.UTC); !lg.Events[1].Time.Equal(w) {
		t.Errorf("time %v", lg.Events[1].Time)
	}
}

func detail21HardWrapsJoined(t *testing.T) {
	ev := parseSample(t, "21-memcg-v1-k8s-tasks-state-plus-sacrifice-child-copy-wrapped.log", Options{}).Events[0]
	if ev.MemcgStats["rss"] != 448*kB || ev.MemcgStats["cache"] != 507172*kB {
		t.Errorf("stats %v", ev.MemcgStats)
	}
	if got := taskByPID(t, ev, 62769); got.Name != "cp" || got.OOMScoreAdj != -998 || got.PgtablesBytes != 77824 {
		t.Errorf("task %+v", got)
	}
}

func detail22DmesgTEnglish(t *testing.T) {
	ev := parseSample(t, "22-dmesg-T-rhel7-3.10-memcg-k8s-header.log", Options{}).Events[0]
	if w := time.Date(2017, 12, 6, 23, 54, 11, 0, time.UTC); !ev.Time.Equal(w) {
		t.Errorf("time %v", ev.Time)
	}
}

func detail25ShortPrecise(t *testing.T) {
	ev := parseSample(t, "25-journal-short-precise-and-grep-summaries-containers.log", Options{}).Events[0]
	if w := time.Date(0, 8, 30, 6, 58, 55, 50705000, time.UTC); !ev.Time.Equal(w) {
		t.Errorf("time %v", ev.Time)
	}
}

func detail272628MemInfo(t *testing.T) {
	ev := parseSample(t, "27-ubuntu-2.6.28-i386-syslog-oomkilladj-kill-or-a-child.log", Options{}).Events[0]
	for k, v := range map[string]int64{"active_anon": 12538 * pg, "slab": 202882 * pg, "highmem": 33538 * pg, "shared": 57296 * pg, "non_shared": 220490 * pg, "free_swap": 2795472 * kB, "DMA_free": 3504 * kB} {
		if ev.MemInfo[k] != v {
			t.Errorf("MemInfo[%s] = %d want %d", k, ev.MemInfo[k], v)
		}
	}
}
