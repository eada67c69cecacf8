package dmesg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// syslogOf renders the lines of a bare record as host's syslog lines, the
// kernel's uptime stamp counting from up seconds.
func syslogOf(t *testing.T, file, host string, up float64) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, file))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		out = append(out, fmt.Sprintf("Jan  5 15:19:%02d %s kernel: [%12.6f] %s", 10+i/20, host, up+float64(i)*1e-4, l))
	}
	return out
}

// same projects what an event says of its record, apart from where its
// lines are in the input.
func same(ev Event) Event {
	ev = project(ev)
	ev.Line, ev.FirstLine, ev.LastLine, ev.Boot = 0, 0, 0, 0
	return ev
}

// TestInterleavedHosts: two real records (testdata/corpus/kernel 03 and
// 09) logged by two hosts into one syslog, interleaved line by line (a
// central log server, rsyslog forwarding), come out whole, each with its
// host and its victim, as each does read alone. Before, their lines were
// read as one stream: five records without a victim.
func TestInterleavedHosts(t *testing.T) {
	a := syslogOf(t, "03-oomanalyser-archlinux-6.1.1-global.log", "build-7", 5864.7)
	b := syslogOf(t, "09-raw-console-6.12-arm64-rss_anon-global.log", "10.0.3.12", 112.5)
	var mixed []string
	for i := 0; i < max(len(a), len(b)); i++ {
		if i < len(a) {
			mixed = append(mixed, a[i])
		}
		if i < len(b) {
			mixed = append(mixed, b[i])
		}
	}
	parse := func(lines []string) *Log {
		lg, err := Parse(strings.NewReader(strings.Join(lines, "\n")+"\n"), Options{Name: "kern.log"})
		if err != nil {
			t.Fatal(err)
		}
		return lg
	}
	alone := map[string]*Log{"build-7": parse(a), "10.0.3.12": parse(b)}
	got := parse(mixed)
	if len(got.Events) != 2 || len(got.Warnings) != 0 {
		t.Fatalf("%d events, warnings %v, want the 2 records whole", len(got.Events), got.Warnings)
	}
	for i, ev := range got.Events {
		one := alone[ev.Host]
		if one == nil || len(one.Events) != 1 {
			t.Fatalf("event %d: host %q", i, ev.Host)
		}
		want := one.Events[0]
		if ev.Host != want.Host || ev.Partial || !ev.HasKilledLine || !ev.HasHeader {
			t.Errorf("event %d: host %q partial %v (%s), killed line %v, header %v", i, ev.Host, ev.Partial, ev.PartialReason, ev.HasKilledLine, ev.HasHeader)
		}
		if !reflect.DeepEqual(same(ev), same(want)) || len(ev.Tasks) != len(want.Tasks) || len(ev.MemInfo) != len(want.MemInfo) || !reflect.DeepEqual(ev.KeyLines, want.KeyLines) {
			t.Errorf("event %d of %s:\n got  %+v\n want %+v\n tasks %d/%d meminfo %d/%d", i, ev.Host, same(ev), same(want), len(ev.Tasks), len(want.Tasks), len(ev.MemInfo), len(want.MemInfo))
		}
	}
	// In the order of their Killed process lines: 09's record is shorter.
	if got.Events[0].Host != "10.0.3.12" || got.Events[0].PID != 996 || got.Events[1].Host != "build-7" || got.Events[1].PID != 473206 {
		t.Errorf("victims %s/%d, %s/%d; want 10.0.3.12/996, build-7/473206", got.Events[0].Host, got.Events[0].PID, got.Events[1].Host, got.Events[1].PID)
	}
	if got.Boots != 2 || got.Events[0].Boot == got.Events[1].Boot {
		t.Errorf("%d boots, events in boots %d and %d: the hosts' boots are apart", got.Boots, got.Events[0].Boot, got.Events[1].Boot)
	}
	// And at every block size and line limit the reader can be given.
	sameLog(t, "interleaved", []byte(strings.Join(mixed, "\n")+"\n"), Options{Name: "kern.log"}, limits{blockBytes: 300, maxLineBytes: 300})
}

// TestHostNamed: a record's host is the syslog host of its lines, "" when
// they name none; a record is never split by a line of another program on
// the same host.
func TestHostNamed(t *testing.T) {
	for _, tc := range []struct {
		name, log, host string
	}{
		{"syslog", "Jan  5 15:19:27 web-1 kernel: [ 5.1] Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:460kB oom_score_adj:0\n", "web-1"},
		{"raw dmesg", "[ 5.1] Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:460kB oom_score_adj:0\n", ""},
		{"another program between", "Jan  5 15:19:27 web-1 kernel: [ 5.0] python invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0\n" +
			"Jan  5 15:19:27 web-1 systemd[1]: Started foo.\n" +
			"Jan  5 15:19:27 web-1 kernel: [ 5.1] Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:460kB oom_score_adj:0\n", "web-1"},
	} {
		lg, err := Parse(bytes.NewReader([]byte(tc.log)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(lg.Events) != 1 || lg.Events[0].Host != tc.host || lg.Events[0].PID != 996 {
			t.Errorf("%s: events %+v, want one of host %q", tc.name, lg.Events, tc.host)
		}
	}
}

// TestWaitingHostExpires: a host's record cut off (its Killed process line
// never logged) closes after maxRecordGapLines lines of the other hosts, as
// it would among its own lines, and does not keep the log from being read
// at full speed (skipping lines while nothing is open).
func TestWaitingHostExpires(t *testing.T) {
	var b strings.Builder
	b.WriteString("Jan  5 15:19:27 db-2 kernel: [ 7.0] java invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0\n")
	for i := range maxRecordGapLines + 100 {
		fmt.Fprintf(&b, "Jan  5 15:19:28 web-1 kernel: [ %d.0] EXT4-fs (sda1): mounted filesystem with ordered data mode.\n", 10+i)
	}
	b.WriteString("Jan  5 15:19:29 web-1 kernel: [ 900.0] Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:460kB oom_score_adj:0\n")
	lg, err := parse(strings.NewReader(b.String()), Options{}, defaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Events) != 2 {
		t.Fatalf("%d events, want 2", len(lg.Events))
	}
	cut, kill := lg.Events[0], lg.Events[1]
	if cut.Host != "db-2" || !cut.Partial || cut.PartialReason != "no Killed process line: the record ends without one (lost or filtered)" || cut.TriggerComm != "java" {
		t.Errorf("db-2's record: %s %v %q %s", cut.Host, cut.Partial, cut.PartialReason, cut.TriggerComm)
	}
	if kill.Host != "web-1" || kill.PID != 996 {
		t.Errorf("web-1's kill: %s %d", kill.Host, kill.PID)
	}
}
