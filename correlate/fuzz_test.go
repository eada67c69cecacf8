package correlate

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/pytestlog"
)

// analyzeDiagnostics parses data as a diagnostics file and analyses it with
// a kernel kill of the pid the file names; a parse error is fine, a panic
// is not.
func analyzeDiagnostics(t testing.TB, data []byte) {
	d, err := diagnostics.Parse(bytes.NewReader(data), diagnostics.Options{Name: "fuzz.jsonl"})
	if err != nil {
		return
	}
	pid := 0
	for _, r := range d.Records {
		pid = r.PID
	}
	ev := &Evidence{Diagnostics: []DiagnosticsInput{{Path: "fuzz.jsonl", Diag: d}}}
	rep := analyze(normalise(ev, Options{}), Options{})
	j := &job{Kills: []kill{memcgKill(pid, 1e9, GiB, 2*GiB)}}
	rep2 := analyze(mergeJob(normalise(ev, Options{}), j), Options{})
	for _, r := range []*Report{rep, rep2} {
		if r.Verdict == "" || !strings.HasSuffix(r.Verdict, ".") {
			t.Fatalf("verdict %q", r.Verdict)
		}
		for _, l := range r.Leaks {
			if l.RetainedBytes <= 0 {
				t.Fatalf("leak with nothing retained: %+v", l)
			}
			if l.ShareOfKill != nil && (*l.ShareOfKill < 0 || *l.ShareOfKill > 1) {
				t.Fatalf("share %v", *l.ShareOfKill)
			}
		}
	}
}

func mergeJob(a, b *job) *job {
	a.Kills = append(a.Kills, b.Kills...)
	return a
}

// TestDiagnosticsEveryPrefix analyses every byte prefix of the plugin's real
// killed-leak output: a kill can cut the file anywhere.
func TestDiagnosticsEveryPrefix(t *testing.T) {
	data, err := os.ReadFile(corpus("diagnostics", "killed-leak.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	step := 1
	if testing.Short() {
		step = 17
	}
	for i := 0; i <= len(data); i += step {
		analyzeDiagnostics(t, data[:i])
	}
}

func FuzzAnalyzeDiagnostics(f *testing.F) {
	for _, p := range []string{"killed-leak.jsonl", "xdist/diag.gw0.jsonl"} {
		if data, err := os.ReadFile(corpus("diagnostics", p)); err == nil {
			// The first records only: the instrumented JSON decoder is slow,
			// and the mutator works on small inputs best.
			if len(data) > 2048 {
				data = data[:2048]
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { analyzeDiagnostics(t, data) })
}

// FuzzLedger drives the ledger with arbitrary steps: every 12 bytes are a
// kind, a test, a scope and two readings. The report must hold together:
// no negative retention, leaks only for finished tests.
func FuzzLedger(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x00\x00\x10\x00\x00\x00\x20\x00\x00\x01\x01\x02\x00\x00\x30\x00\x00\x00\x10\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		scopes := []string{"function", "class", "module", "package", "session", ""}
		names := []string{"a.py::t1", "a.py::t2", "a.py::C::t3", "b/c.py::t4"}
		p := &proc{PID: 1}
		for i := 0; i+12 <= len(data) && i < 12*200; i += 12 {
			b := data[i : i+12]
			m := func(o int) mem {
				v := int64(binary.LittleEndian.Uint32(b[o:])) << 10
				return mem{RSSBytes: v, AnonBytes: v / 2, HasAnon: b[0]&0x80 != 0}
			}
			s := newStep(stepKind(b[0]%4), names[int(b[1])%len(names)], t0+float64(i), m(4), b[2]&0x40 == 0, 0)
			s.More = &stepMore{Scope: scopes[int(b[2])%len(scopes)], Fixture: names[int(b[3])%2], After: m(8)}
			if s.Kind == stepEnd && b[3]&1 == 1 {
				s.More.OpenCounter = map[string]int{"x": int(b[3] >> 4)}
			}
			p.Steps = append(p.Steps, s)
		}
		rep := analyze(&job{Procs: []*proc{p}, Kills: []kill{memcgKill(1, 1e6, GiB, GiB)}}, Options{})
		for _, l := range rep.Leaks {
			if l.RetainedBytes <= 0 || l.Test == "" {
				t.Fatalf("leak %+v", l)
			}
		}
		for _, h := range rep.Hogs {
			if h.RetainedBytes >= DefaultNoiseFloorBytes {
				t.Fatalf("hog that kept %d", h.RetainedBytes)
			}
		}
	})
}

// FuzzAnalyzeLogs feeds one input, split at its first NUL byte, to the
// pytest and the kernel log parsers and analyses what they read, with a
// year and a zone so the kernel stamps' completion runs too.
func FuzzAnalyzeLogs(f *testing.F) {
	for _, pair := range [][2]string{
		{"corpus/pytest/03-docker-entrypoint-verbose-killed-at-52pct.log", "corpus/pytest/05-dmesg-T-localized-oom-kill-pytest.log"},
		{"corpus/pytest/01-gha-raw-timestamps-killed-during-first-test.log", "corpus/kernel/02-cadvisor-global-3.13-syslog.log"},
		{"pytest/gha-verbose-killed.log", "corpus/kernel/08-gpud-dmesg-decode-iso-fragments.log"},
	} {
		a, err1 := os.ReadFile(corpus(pair[0]))
		b, err2 := os.ReadFile(corpus(pair[1]))
		if err1 == nil && err2 == nil {
			f.Add(append(append(a, 0), b...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		py, kern := data, []byte(nil)
		if i := bytes.IndexByte(data, 0); i >= 0 {
			py, kern = data[:i], data[i+1:]
		}
		ev := &Evidence{}
		if l, err := pytestlog.Parse(bytes.NewReader(py), pytestlog.Options{Name: "ci.log"}); err == nil {
			ev.Pytest = append(ev.Pytest, PytestInput{Path: "ci.log", Log: l})
		}
		if l, err := dmesg.Parse(bytes.NewReader(kern), dmesg.Options{Name: "dmesg"}); err == nil {
			ev.Kernel = append(ev.Kernel, KernelInput{Path: "dmesg", Log: l})
		}
		for _, o := range []Options{{}, {Year: 2021, Location: time.FixedZone("X", 3600)}} {
			rep, err := Analyze(ev, o)
			if err != nil || rep.Verdict == "" || len(rep.Leaks) != 0 {
				t.Fatalf("err %v verdict %q leaks %+v", err, rep.Verdict, rep.Leaks)
			}
		}
	})
}
