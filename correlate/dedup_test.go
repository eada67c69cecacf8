package correlate

import (
	"fmt"
	"testing"
)

// TestDedupKillsRenderings: dmesg (uptime only) and dmesg -T (wall clock
// only) of one log in one job folder are one kill; the journal's copy of
// a dmesg record is one kill; a second kill of the same pid later is not.
func TestDedupKillsRenderings(t *testing.T) {
	k := func(src string, up, wall float64) kill {
		k := kill{Kind: "kernel-oom-kill", PID: 996, Comm: "python", TotalVMBytes: 2991716 << 10, AnonRSSBytes: 122228 << 10, Source: src, KeyLines: []string{"x"}}
		if up > 0 {
			k.UptimeS, k.HasUptime = up, true
		}
		if wall > 0 {
			k.Wall, k.HasWall = wall, true
		}
		return k
	}
	got := dedupKills([]kill{
		k("dmesg.txt:10", 5864.7, 0),
		k("dmesg-T.txt:10", 0, 1.7e9),
		k("journal.txt:3", 5865.1, 1.7e9+0.5),
		k("dmesg.txt:90", 9000, 0), // pid reused, another kill (same file)
	})
	if len(got) != 2 {
		t.Fatalf("%d kills: %+v", len(got), got)
	}
	if !got[0].HasUptime || !got[0].HasWall {
		t.Errorf("the merged kill keeps both clocks: %+v", got[0])
	}
}

// BenchmarkDedupKills: 12.5k to 100k records; the cost per record should
// not grow with the count (issue 18 measured 1.7/4.3/14.6 s at
// 12.5k/25k/50k when it was quadratic).
func BenchmarkDedupKills(b *testing.B) {
	for _, n := range []int{12500, 25000, 50000, 100000} {
		in := make([]kill, n)
		for i := range in {
			in[i] = kill{Kind: "kernel-oom-kill", PID: 1000 + i%50, Comm: "python", UptimeS: float64(i) * 3, HasUptime: true, AnonRSSBytes: int64(i), Source: "k.log:1"}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				if len(dedupKills(in)) != n {
					b.Fatal("kills merged")
				}
			}
		})
	}
}
