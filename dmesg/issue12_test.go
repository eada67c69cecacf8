package dmesg

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// parsePublic reads one file of the public corpus (../testdata/kernel-public).
func parsePublic(t *testing.T, prefix string) *Log {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(publicCorpusDir, prefix+"-*.log"))
	if err != nil || len(m) != 1 {
		t.Fatalf("%s: %v %v", prefix, m, err)
	}
	data, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	lg, err := Parse(bytes.NewReader(data), Options{Name: filepath.Base(m[0])})
	if err != nil {
		t.Fatal(err)
	}
	return lg
}

// A task table that rsyslog mangled (two rows glued into `…0     p-fpm`, a
// lost header, a stamp `[15180329.new]`) goes on after the bad line: the
// record keeps its rows and its Killed line (public corpus 01, RHEL6).
func TestMangledTaskRowKeepsTable(t *testing.T) {
	lg := parsePublic(t, "01")
	if len(lg.Events) != 20 {
		t.Fatalf("%d events, want 20", len(lg.Events))
	}
	ev := lg.Events[1]
	if ev.Line != 15815 || ev.PID != 13929 || ev.TriggerComm != "php-fpm" || ev.TriggerPID != 4373 || len(ev.Tasks) < 860 || ev.Partial {
		t.Errorf("line %d pid %d invoker %s/%d tasks %d partial %v", ev.Line, ev.PID, ev.TriggerComm, ev.TriggerPID, len(ev.Tasks), ev.Partial)
	}
	// The kernel release in the banner is x86_64: 4 KiB pages, nothing to say.
	if lg.PageSizeAssumed {
		t.Error("page size assumed on an x86_64 log")
	}
}

// panic() dumps the stack of the task that called the OOM killer: its
// banner names the invoker of a record without a header (public 09, 10).
func TestPanicBannerNamesInvoker(t *testing.T) {
	for _, c := range []struct {
		file, comm, outcome string
		pid                 int
	}{{"09", "systemd-userdbd", OutcomeNoKillable, 724}, {"10", "kworker/1:2", OutcomePanic, 243}} {
		lg := parsePublic(t, c.file)
		if len(lg.Events) != 1 {
			t.Fatalf("%s: %d events", c.file, len(lg.Events))
		}
		ev := lg.Events[0]
		if ev.TriggerComm != c.comm || ev.TriggerPID != c.pid || ev.Outcome != c.outcome || ev.Panic == "" || ev.PID != 0 {
			t.Errorf("%s: invoker %s/%d outcome %s panic %q pid %d", c.file, ev.TriggerComm, ev.TriggerPID, ev.Outcome, ev.Panic, ev.PID)
		}
	}
}

// Prefixes of public pastes: `dmesg -e` (11), a Kibana table (18), a
// VMware guest log (27).
func TestIssue12Prefixes(t *testing.T) {
	lg := parsePublic(t, "11")
	if len(lg.Events) != 3 || lg.Events[0].PID != 9057 || lg.Events[0].Reaped == nil || lg.Events[0].HasUptime || lg.Events[0].HasTime {
		t.Errorf("dmesg -e: %+v", lg.Events)
	}
	lg = parsePublic(t, "18")
	if len(lg.Events) != 4 {
		t.Fatalf("kibana: %d events", len(lg.Events))
	}
	ev := lg.Events[0]
	if w := time.Date(2021, 6, 25, 12, 42, 13, 29e6, time.UTC); !ev.Time.Equal(w) || ev.TimeBasis != BasisISOAssumedUTC || ev.UptimeS != 113782.638786 || !ev.MemcgOOM || ev.KilledPrefix != "Memory cgroup out of memory" {
		t.Errorf("kibana: time %v %s uptime %v memcg %v prefix %q", ev.Time, ev.TimeBasis, ev.UptimeS, ev.MemcgOOM, ev.KilledPrefix)
	}
	lg = parsePublic(t, "27")
	if len(lg.Events) != 1 {
		t.Fatalf("vmware: %d events", len(lg.Events))
	}
	ev = lg.Events[0]
	if ev.FirstLine != 1 || len(ev.Tasks) != 4 || ev.Tasks[1].Name != "npm start" || !ev.MemcgOOM || ev.UptimeS != 39291577.009363 || ev.TimeBasis != BasisISOWithZone ||
		ev.MemcgStatsPath != "/kubepods/burstable/podfe3f7a38-b3f7-48aa-8997-a697ae3d0741/c7ebf4d756b284f6226cce820771afcf706a4e37afb77f052c61ece86d3b61f0" {
		t.Errorf("vmware: first %d tasks %+v memcg %v uptime %v basis %s stats %q", ev.FirstLine, ev.Tasks, ev.MemcgOOM, ev.UptimeS, ev.TimeBasis, ev.MemcgStatsPath)
	}
	if !lg.PageSizeAssumed {
		t.Error("vmware: the paste names no architecture, yet the page size is not said to be assumed")
	}
}

// A `Memory cgroup stats for` line that a search left alone is not a
// record (public 18 has two).
func TestLoneStatsLineIsNoRecord(t *testing.T) {
	in := "  | Jun 25, 2021 @ 12:42:12.104 | kernel | [115582.355745] Memory cgroup stats for /system.slice/garden.service/garden/good/db315859-a870-4d77-50f9-02b6:\n"
	lg, err := Parse(bytes.NewReader([]byte(in)), Options{})
	if err != nil || len(lg.Events) != 0 || len(lg.Warnings) != 0 {
		t.Errorf("err %v events %+v warnings %v", err, lg.Events, lg.Warnings)
	}
}

// A GKE Cloud Logging export (public 30: kernel lines in "textPayload",
// pretty-printed JSON) is recognised as a kernel log.
func TestSniffCloudLoggingExport(t *testing.T) {
	m, _ := filepath.Glob(filepath.Join(publicCorpusDir, "30-*.log"))
	data, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	if !Sniff(data[:min(len(data), 64<<10)]) {
		t.Error("not recognised as a kernel log")
	}
}
