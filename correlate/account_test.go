package correlate

import (
	"strings"
	"testing"
)

// TestInFlightLikeWithLike: the running test's growth compares the kernel's
// anon-rss with an anonymous reading, its whole RSS with a VmRSS reading,
// and is unknown rather than negative.
func TestInFlightLikeWithLike(t *testing.T) {
	k := memcgKill(1, 10, 400*MiB, GiB)
	k.FileRSSBytes = 60 * MiB
	for _, c := range []struct {
		name  string
		start mem
		want  *int64
		words string
	}{
		{"anonymous with anon-rss", anon(500*MiB, 300*MiB), ptr(100 * MiB), "the kernel's anon-rss at the kill is 400.0 MiB"},
		{"RSS with the kernel's whole RSS", rss(420 * MiB), ptr(40 * MiB), "the kernel's RSS (anon-rss + file-rss + shmem-rss) at the kill is 460.0 MiB"},
		{"below the start: unknown", rss(470 * MiB), nil, "what it added is unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &proc{PID: 1, Steps: []step{start("tests/test_a.py::test_v", 1, c.start)}}
			rep := analyze(&job{Procs: []*proc{p}, Kills: []kill{k}}, Options{})
			if len(rep.InFlight) != 1 {
				t.Fatalf("in flight %+v", rep.InFlight)
			}
			f := rep.InFlight[0]
			switch {
			case c.want == nil && f.AddedBytesEstimate != nil:
				t.Errorf("estimate %d, want unknown", *f.AddedBytesEstimate)
			case c.want != nil && (f.AddedBytesEstimate == nil || *f.AddedBytesEstimate != *c.want):
				t.Errorf("estimate %v, want %d", f.AddedBytesEstimate, *c.want)
			}
			if !strings.Contains(strings.Join(f.Evidence, "\n"), c.words) {
				t.Errorf("evidence %q lacks %q", f.Evidence, c.words)
			}
			checkAccount(t, rep)
			if a := rep.MemoryAtKill; c.want == nil && a.InFlightBytes != 0 {
				t.Errorf("in flight part %d of an unknown estimate", a.InFlightBytes)
			}
		})
	}
}

// TestHogRule: a hog's rise reaches a tenth of the limit; the tests under
// it are counted, not listed; hogs rank by rise.
func TestHogRule(t *testing.T) {
	p := &proc{PID: 1}
	a := 100 * MiB
	rises := map[string]int64{"t_small": 50 * MiB, "t_big": 300 * MiB, "t_mid": 150 * MiB, "t_tiny": 10 * MiB}
	at := 0.0
	for _, id := range []string{"t_small", "t_big", "t_mid", "t_tiny"} {
		id := "tests/test_h.py::" + id
		e := withPeak(end(id, at+1, anon(a+20*MiB, a)), a+20*MiB+rises[id[len("tests/test_h.py::"):]])
		p.Steps = append(p.Steps, start(id, at, anon(a+20*MiB, a)), e)
		at += 2
	}
	p.Steps = append(p.Steps, start("tests/test_h.py::t_victim", at, anon(a+20*MiB, a)))
	rep := analyze(&job{Procs: []*proc{p}, Kills: []kill{memcgKill(1, at+1, 900*MiB, GiB)}}, Options{})
	if rep.HogRule.ThresholdBytes != GiB/10 || rep.HogRule.TestsBelow != 1 {
		t.Errorf("rule %+v", rep.HogRule)
	}
	var got []string
	for _, h := range rep.Hogs {
		got = append(got, h.Test+" "+FormatBytes(h.RiseBytes))
	}
	if want := "tests/test_h.py::t_big 300.0 MiB, tests/test_h.py::t_mid 150.0 MiB"; strings.Join(got, ", ") != want {
		t.Errorf("hogs %v, want %s", got, want)
	}
}
