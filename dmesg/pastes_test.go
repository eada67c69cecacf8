package dmesg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parsePaste parses testdata/pastes/name (see its SOURCES.md) and checks
// it against the reference reading.
func parsePaste(t *testing.T, name string) *Log {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/pastes", name))
	if err != nil {
		t.Fatal(err)
	}
	sameLog(t, name, data, Options{Name: name}, limits{blockBytes: 100, maxLineBytes: 300})
	return parseString(t, string(data))
}

// TestPasteReaperLinesAreNoKills: each oom_reaper line reports the kill
// before it, never a kill of its own.
func TestPasteReaperLinesAreNoKills(t *testing.T) {
	lg := parsePaste(t, "docker-for-linux-1001-reaper.log")
	want := []int{15784, 15925, 15783, 15934}
	if len(lg.Events) != len(want) {
		t.Fatalf("%d events, want %d", len(lg.Events), len(want))
	}
	for i, ev := range lg.Events {
		if ev.PID != want[i] || ev.Reaped == nil || ev.Reaped.PID != want[i] || ev.Outcome != OutcomeKilled {
			t.Errorf("event %d: pid %d reaped %+v outcome %q", i, ev.PID, ev.Reaped, ev.Outcome)
		}
	}
	if lg.Events[1].Comm != "(resolved)" {
		t.Errorf("comm %q", lg.Events[1].Comm)
	}
}

// TestReaperOfAThread: a reaper line naming a thread of the victim (its own
// pid and comm) attaches to the kill just before it.
func TestReaperOfAThread(t *testing.T) {
	lg := parseString(t, "[ 7097.010000] Out of memory: Killed process 25600 (java) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB\n"+
		"[ 7097.900000] oom_reaper: reaped process 25671 (GC Thread#9), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n")
	if len(lg.Events) != 1 || lg.Events[0].Reaped == nil || lg.Events[0].Reaped.PID != 25671 {
		t.Fatalf("%+v", lg.Events)
	}
}

func TestPasteNoKillableThenPanic(t *testing.T) {
	lg := parsePaste(t, "tempesta-1789-no-killable-panic.log")
	if len(lg.Events) != 1 {
		t.Fatalf("%d events: %+v", len(lg.Events), lg.Events)
	}
	ev := lg.Events[0]
	if ev.Outcome != OutcomeNoKillable || ev.Panic != "System is deadlocked on memory" || ev.PID != 0 || ev.UptimeS != 3893.943876 {
		t.Errorf("%+v", ev)
	}
	for _, w := range lg.Warnings {
		if strings.Contains(w.Message, "cut off") {
			t.Errorf("warning %v", w)
		}
	}
}

func TestPastePanicNoKillable(t *testing.T) {
	lg := parsePaste(t, "xiangshan-doc-9-panic-no-killable.log")
	if len(lg.Events) != 1 || lg.Events[0].Outcome != OutcomeNoKillable || len(lg.Events[0].Tasks) != 0 {
		t.Fatalf("%+v", lg.Events)
	}
}

func TestPastePanicOnOOM(t *testing.T) {
	lg := parsePaste(t, "sonic-buildimage-2988-panic-on-oom.log")
	if len(lg.Events) != 1 || lg.Events[0].Outcome != OutcomePanic || lg.Events[0].Panic != "Out of memory: compulsory panic_on_oom is enabled" || lg.Events[0].Line != 3 {
		t.Fatalf("%+v", lg.Events)
	}
}

func TestPasteTalos(t *testing.T) {
	for _, name := range []string{"talos-11148-node-prefix-memcg.log", "talos-11046-memcg.log"} {
		lg := parsePaste(t, name)
		if len(lg.Events) != 1 {
			t.Fatalf("%s: %d events", name, len(lg.Events))
		}
		ev := lg.Events[0]
		if !ev.HasTime || ev.TimeBasis != BasisISOWithZone || ev.Memcg["memory"].UsageBytes == 0 || ev.Memcg["swap"].LimitBytes != -1 {
			t.Errorf("%s: %+v", name, ev)
		}
	}
	ev := parsePaste(t, "talos-11148-node-prefix-memcg.log").Events[0]
	if w := time.Date(2025, 6, 4, 4, 51, 57, 572293906, time.UTC); !ev.Time.Equal(w) || ev.MemcgStats["anon"] != 4280025088 || ev.MemcgStatsPath != "/kubepods/burstable/pod84c5437e-9503-4b52-8470-984c54f7e9f3" {
		t.Errorf("%v %v %q", ev.Time, ev.MemcgStats, ev.MemcgStatsPath)
	}
}

// TestPastedPrefixes: the prefixes of issue 12's pastes, each around a
// real Killed line (docker/for-linux#1001).
func TestPastedPrefixes(t *testing.T) {
	const kill = "Out of memory: Killed process 15784 (python3) total-vm:11964kB, anon-rss:4288kB, file-rss:3028kB, shmem-rss:0kB"
	cases := []struct{ name, line string }{
		{"mail quote", "> [  518.050606] " + kill},
		{"nested quote", ">> [  518.050606] " + kill},
		{"quote and indentation", ">    [  518.050606] " + kill},
		{"redacted host", "May 15 23:09:30 ** kernel: [  518.050606] " + kill},
		{"padded pid", "[  518.050606] " + strings.Replace(kill, "process 15784", "process  15784", 1)},
		{"Jenkins timestamper", "13:33:50  [  518.050606] " + kill},
		{"Jenkins ISO timestamper", "[2024-05-15T23:09:30.123Z] [  518.050606] " + kill},
		{"GitLab", "2024-05-15T23:09:30.562470Z 00O [  518.050606] " + kill},
		{"GitHub Actions", "2024-05-15T23:09:30.1234567Z [  518.050606] " + kill},
		{"Buildkite", "\x1b_bk;t=1715814570123\a[  518.050606] " + kill},
		{"Talos", "kern:     err: [2024-05-15T23:09:30.123456789Z]: " + kill},
		{"rsyslog #011", "May 15 23:09:30 host kernel: [  518.050606] " + kill + "#011"},
		{"Cloud Logging JSON", `{"textPayload":"[  518.050606] ` + kill + `\r\n","timestamp":"2024-05-15T23:09:30.123Z","severity":"ERROR"}`},
		{"Cloud Logging pretty", `    "textPayload": "[  518.050606] ` + kill + `\r\n",`},
	}
	for _, c := range cases {
		lg := parseString(t, c.line+"\n")
		if len(lg.Events) != 1 {
			t.Errorf("%s: %d events", c.name, len(lg.Events))
			continue
		}
		ev := lg.Events[0]
		if ev.PID != 15784 || ev.Comm != "python3" || ev.AnonRSSBytes != 4288*kB {
			t.Errorf("%s: %+v", c.name, ev)
		}
		if !ev.HasUptime && !ev.HasTime {
			t.Errorf("%s: no stamp", c.name)
		}
	}
}
