package cgroupfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	v1Dir = "../testdata/cgroup/v1-memcg-kill"
	v2Dir = "../testdata/cgroup/v2-root/sys/fs/cgroup/ci/job-4242"
)

func parseFile(t testing.TB, path string) *File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := Parse(fh, path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func summarize(t *testing.T, dir string) Memory {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*File
	for _, e := range ents {
		files = append(files, parseFile(t, filepath.Join(dir, e.Name())))
	}
	return Summarize(files)
}

// TestRealV1Kill reads the files a real memcg OOM kill left (SOURCES.md).
func TestRealV1Kill(t *testing.T) {
	m := summarize(t, v1Dir)
	if m.Version != 1 || !m.HasOOMKills || m.OOMKills != 1 || m.OOMKillsFrom != "memory.oom_control oom_kill" {
		t.Errorf("oom kills: %+v", m)
	}
	if !m.HasLimit || m.LimitBytes != 64<<20 || m.LimitFrom != Limit {
		t.Errorf("limit: %+v", m)
	}
	if !m.HasPeak || m.PeakBytes != 64<<20 || !m.HasFailCount || m.FailCount != 0 || !m.HasCurrent {
		t.Errorf("peak/failcnt: %+v", m)
	}
}

func TestV2Files(t *testing.T) {
	m := summarize(t, v2Dir)
	if m.Version != 2 || m.OOMKills != 1 || m.OOMKillsFrom != "memory.events oom_kill" || !m.HasOOMs || m.OOMs != 1 {
		t.Errorf("events: %+v", m)
	}
	if m.LimitBytes != 600<<20 || m.PeakBytes != 600<<20 || m.CurrentBytes != 2310144 {
		t.Errorf("figures: %+v", m)
	}
	p := parseFile(t, filepath.Join(v2Dir, "memory.pressure"))
	if len(p.Pressure) != 2 || p.Pressure[1].Kind != "full" || p.Pressure[0].Avg10 != 12.31 || p.Pressure[0].TotalUS != 2519417 {
		t.Errorf("pressure: %+v", p.Pressure)
	}
	s := parseFile(t, filepath.Join(v2Dir, "memory.stat"))
	if s.Version != 2 {
		t.Errorf("v2 stat read as v%d", s.Version)
	}
	if v, ok := s.Get("thp_collapse_alloc"); !ok || v != 0 {
		t.Errorf("unknown keys not kept: %v %v", v, ok)
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name string
		head string
		want string
	}{
		{"oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", OOMControl},
		{"oom_control before 4.13", "oom_kill_disable 0\nunder_oom 1\n", OOMControl},
		{"events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n", Events},
		{"events 4.19", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", Events},
		{"pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", Pressure},
		{"v2 stat", "anon 1\nfile 2\nkernel_stack 3\n", Stat},
		{"bare number", "67108864\n", ""},
		{"prose", "low 0\nhigh 0\nsomething else here\n", ""},
		{"pytest", "============================= test session starts ==============================\n", ""},
		{"key list without oom", "low 0\nhigh 0\n", ""},
	} {
		if got := contentName([]byte(c.head)); got != c.want {
			t.Errorf("%s: contentName = %q, want %q", c.name, got, c.want)
		}
		if Sniff([]byte(c.head)) != (c.want != "") {
			t.Errorf("%s: Sniff disagrees with contentName", c.name)
		}
	}
	for _, n := range []string{"job/cgroup/memory.peak", "memory.max_usage_in_bytes", "x/memory.failcnt.txt", "memory.events.local", "memory.pressure"} {
		if !SniffName(n) {
			t.Errorf("SniffName(%q) = false", n)
		}
	}
	for _, n := range []string{"memory.txt", "peak", "memory.swap.max", "dmesg.log"} {
		if SniffName(n) {
			t.Errorf("SniffName(%q) = true", n)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"job/memory.peak", "12\n13\n", "job/memory.peak: line 2: memory.peak holds one number"},
		{"job/memory.max", "lots\n", `job/memory.max: line 1: memory.max holds one number, found "lots"`},
		{"job/notes.txt", "hello\n", "job/notes.txt: not a memory cgroup file"},
		{"job/memory.events", "", "job/memory.events: memory.events holds no entries"},
	} {
		_, err := Parse(strings.NewReader(c.in), c.name)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q…", c.name, err, c.want)
		}
	}
	f, err := Parse(strings.NewReader("oom_kill_disable 0\nunder_oom zero\noom_kill 2\n"), "x/memory.oom_control")
	if err != nil || len(f.Warnings) != 1 || f.Warnings[0].Line != 2 {
		t.Fatalf("bad line: %+v %v", f, err)
	}
	if v, _ := f.Get("oom_kill"); v != 2 {
		t.Errorf("oom_kill after a bad line: %d", v)
	}
	u, err := Parse(strings.NewReader("9223372036854771712\n"), "memory.limit_in_bytes")
	if err != nil || !u.Unlimited {
		t.Errorf("v1 unlimited: %+v %v", u, err)
	}
	m := Summarize([]*File{u})
	if m.HasLimit || !m.Unlimited {
		t.Errorf("unlimited summarized as a limit: %+v", m)
	}
	mx, err := Parse(strings.NewReader("max\n"), "memory.max")
	if err != nil || !mx.Unlimited {
		t.Errorf("v2 max: %+v %v", mx, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, dir := range []string{v1Dir, v2Dir} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			f.Add(e.Name(), b)
		}
	}
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		Sniff(b)
		file, err := Parse(strings.NewReader(string(b)), name)
		if err == nil {
			Summarize([]*File{file})
		}
	})
}
