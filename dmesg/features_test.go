package dmesg

import (
	"reflect"
	"strings"
	"testing"
)

func parseString(t *testing.T, s string) *Log {
	t.Helper()
	lg, err := Parse(strings.NewReader(s), Options{Name: "t.log"})
	if err != nil {
		t.Fatal(err)
	}
	sameLog(t, "feature", []byte(s), Options{Name: "t.log"}, limits{blockBytes: 100, maxLineBytes: 100})
	return lg
}

func TestCommWithSpacesAndParentheses(t *testing.T) {
	lg := parseString(t, "[ 1.000000] Out of memory: Killed process 15234 (gw1 (leak) x) total-vm:8kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n"+
		"[ 1.100000] oom_reaper: reaped process 15234 (gw1 (leak) x), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n")
	ev := lg.Events[0]
	if len(lg.Events) != 1 || ev.Comm != "gw1 (leak) x" || ev.Reaped == nil || ev.Reaped.Comm != "gw1 (leak) x" || ev.TotalVMBytes != 8*kB {
		t.Fatalf("%+v", lg.Events)
	}
}

func TestOOMGroupKill(t *testing.T) {
	lg := parseString(t, `[ 10.000000] python invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
[ 10.000100] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/ci/job,task_memcg=/ci/job,task=python,pid=100,uid=0
[ 10.000200] Memory cgroup out of memory: Killed process 100 (python) total-vm:100kB, anon-rss:90kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0
[ 10.000300] Tasks in /ci/job are going to be killed due to memory.oom.group set
[ 10.000400] Memory cgroup out of memory: Killed process 101 (pytest) total-vm:50kB, anon-rss:40kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0
[ 10.000500] Memory cgroup out of memory: Killed process 102 (sh) total-vm:5kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0
[ 30.000000] Memory cgroup out of memory: Killed process 103 (later) total-vm:5kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0
`)
	if len(lg.Events) != 2 {
		t.Fatalf("%d events", len(lg.Events))
	}
	if ev := lg.Events[0]; ev.PID != 100 || !reflect.DeepEqual(ev.GroupKill, []int{101, 102}) || ev.LastLine != 6 || ev.Partial {
		t.Errorf("%+v", ev)
	}
	if ev := lg.Events[1]; ev.PID != 103 || !ev.Partial || ev.Line != 7 {
		t.Errorf("%+v", ev)
	}
}

func TestRatelimitedKillsAndPIDAgreement(t *testing.T) {
	lg := parseString(t, `[ 5.000000] a invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
[ 5.000100] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=big,pid=7,uid=0
[ 5.000200] Out of memory: Killed process 9 (other) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0
[ 5.000300] oom_kill_process: 3 callbacks suppressed
[ 5.000400] Out of memory: Killed process 11 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0
`)
	if len(lg.Events) != 3 {
		t.Fatalf("%d events: %+v", len(lg.Events), lg.Events)
	}
	// the record whose summary names pid 7 never got its Killed line
	if ev := lg.Events[0]; ev.PID != 7 || ev.Comm != "big" || ev.HasKilledLine || !ev.Partial || !strings.Contains(ev.PartialReason, "another process (pid 9)") {
		t.Errorf("%+v", ev)
	}
	for _, ev := range lg.Events[1:] {
		if !ev.Partial || !strings.HasPrefix(ev.PartialReason, "only the Killed process line") || ev.HasHeader {
			t.Errorf("%+v", ev)
		}
	}
}

func TestBootSegments(t *testing.T) {
	kill := func(up string, pid string) string {
		return "[" + up + "] Out of memory: Killed process " + pid + " (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n"
	}
	lg := parseString(t, "[    0.000000] Linux version 6.1.0 (x)\n"+kill("100.000000", "1")+kill("200.000000", "2")+
		kill("50.000000", "3")+"[    0.000000] Linux version 6.1.0 (x)\n"+kill("60.000000", "4")+"-- Boot 0123456789abcdef --\n"+kill("70.000000", "5"))
	var boots []int
	for _, ev := range lg.Events {
		boots = append(boots, ev.Boot)
	}
	if !reflect.DeepEqual(boots, []int{0, 0, 1, 2, 3}) || lg.Boots != 4 {
		t.Fatalf("boots %v, Boots %d", boots, lg.Boots)
	}
}

func TestJournalJSON(t *testing.T) {
	lg := parseString(t, `{"__REALTIME_TIMESTAMP":"1700000000000000","_SOURCE_MONOTONIC_TIMESTAMP":"1000000","_TRANSPORT":"kernel","MESSAGE":"Out of memory: Killed process 5 (py) total-vm:4kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:1 pgtables:4kB oom_score_adj:0"}
{"__REALTIME_TIMESTAMP":"1700000001000000","SYSLOG_IDENTIFIER":"systemd-oomd","MESSAGE":"Killed /user.slice/a.scope due to memory pressure for /user.slice being 51.23% > 50.00% for > 20s with reclaim activity"}
{"__REALTIME_TIMESTAMP":"1700000002000000","SYSLOG_IDENTIFIER":"systemd","MESSAGE":"ci-job.service: Failed with result 'oom-kill'."}
{"__REALTIME_TIMESTAMP":"1700000003000000","SYSLOG_IDENTIFIER":"systemd","MESSAGE":"ci-job.service: A process of this unit has been killed by the OOM killer."}
{"__REALTIME_TIMESTAMP":"1700000004000000","SYSLOG_IDENTIFIER":"earlyoom","MESSAGE":"sending SIGKILL to process 77 uid 1000 \"pytest\": badness 900, VmRSS 2048 MiB"}
{"__REALTIME_TIMESTAMP":"1700000005000000","SYSLOG_IDENTIFIER":"CRON","MESSAGE":"Killed process 1 (not the kernel)"}
`)
	kinds := []string{}
	for _, ev := range lg.Events {
		kinds = append(kinds, ev.Kind)
		if ev.TimeBasis != BasisJournalJSON {
			t.Errorf("basis %q", ev.TimeBasis)
		}
	}
	want := []string{KindKernelOOMKill, KindSystemdOOMDKill, KindSystemdUnitOOM, KindSystemdUnitOOM, KindEarlyOOMKill}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds %v", kinds)
	}
	if ev := lg.Events[0]; ev.UptimeS != 1 || ev.PID != 5 || ev.Time.Unix() != 1700000000 {
		t.Errorf("%+v", ev)
	}
	if ev := lg.Events[1]; ev.Cgroup != "/user.slice/a.scope" || !strings.HasPrefix(ev.Reason, "Killed /user.slice/a.scope due to memory pressure for /user.slice") {
		t.Errorf("%+v", ev)
	}
	if ev := lg.Events[2]; ev.Unit != "ci-job.service" {
		t.Errorf("%+v", ev)
	}
	if ev := lg.Events[4]; ev.PID != 77 || ev.Comm != "pytest" || ev.VmRSSBytes != 2048<<20 || ev.Extra["signal"] != "SIGKILL" {
		t.Errorf("%+v", ev)
	}
}

func TestRsyslogHash012(t *testing.T) {
	lg := parseString(t, "2026-07-11T05:57:14.911583+00:00 host kernel: Mem-Info:\n"+
		"2026-07-11T05:57:14.911583+00:00 host kernel: x invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0\n"+
		"2026-07-11T05:57:14.911590+00:00 host kernel: Mem-Info:\n"+
		"2026-07-11T05:57:14.911600+00:00 host kernel: active_anon:10 inactive_anon:20 isolated_anon:0#012 active_file:1 inactive_file:2 isolated_file:0#012 free:5 free_pcp:1 free_cma:0\n"+
		"2026-07-11T05:57:14.911700+00:00 host kernel: Out of memory: Killed process 3 (y) total-vm:4kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB\n")
	ev := lg.Events[0]
	if len(lg.Events) != 1 || ev.MemInfo["active_file"] != 1*pg || ev.MemInfo["free"] != 5*pg || ev.MemInfo["inactive_anon"] != 20*pg {
		t.Fatalf("%+v", lg.Events)
	}
}

func TestOtherKillLineShapes(t *testing.T) {
	lg := parseString(t, `[ 1.000000] Out of memory (oom_kill_allocating_task): Killed process 42 (alloc) total-vm:4kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0 new_field:7
[ 9.000000] oom_reaper: unable to reap pid:42 (alloc)
[ 20.000000] Out of Memory: Kill process 8 (old) score 10 and children.
[ 20.000100] Killed process 8 (old).
`)
	if len(lg.Events) != 2 {
		t.Fatalf("%+v", lg.Events)
	}
	ev := lg.Events[0]
	if ev.KilledPrefix != "Out of memory (oom_kill_allocating_task)" || !ev.GlobalOOM || ev.Extra["killed.new_field"] != "7" || ev.Reaped == nil || !ev.Reaped.Unable {
		t.Errorf("%+v", ev)
	}
	if ev := lg.Events[1]; ev.PID != 8 || ev.Comm != "old" || ev.SacrificedPID != 8 || ev.Score != 10 || !ev.GlobalOOM {
		t.Errorf("%+v", ev)
	}
}

func TestCutOffRecordWarns(t *testing.T) {
	lg := parseString(t, "[ 1.0] noise\n[ 2.000000] a invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0\n[ 2.000001] CPU: 1 PID: 9 Comm: a\n")
	if len(lg.Events) != 1 || !lg.Events[0].Partial || lg.Events[0].TriggerPID != 9 {
		t.Fatalf("%+v", lg.Events)
	}
	if len(lg.Warnings) != 1 || lg.Warnings[0].String() != "t.log:2: OOM record cut off at end of input (no Killed process line)" {
		t.Fatalf("%v", lg.Warnings)
	}
}

func TestKmsgContinuationLines(t *testing.T) {
	lg := parseString(t, `4,1001,5000000,-;x invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
4,1002,5000100,-;CPU: 1 PID: 77 Comm: x Not tainted 6.8.0 #1
 SUBSYSTEM=cpu
 DEVICE=+cpu:1
6,1003,5000200,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=y,pid=78,uid=0
3,1004,5000300,-;Out of memory: Killed process 78 (y) total-vm:4kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0
`)
	if len(lg.Events) != 1 {
		t.Fatalf("%+v", lg.Events)
	}
	ev := lg.Events[0]
	if ev.Partial || ev.PID != 78 || ev.TriggerPID != 77 || ev.UptimeS != 5.0003 || ev.TimeBasis != BasisKmsgUptime || ev.FirstLine != 1 || ev.Line != 6 {
		t.Errorf("%+v", ev)
	}
}
