package harness

import (
	"bytes"
	"testing"
	"time"
)

func TestToJournal(t *testing.T) {
	in := "[ 1772.669763] Memory cgroup out of memory: Killed process 13783 (python3) total-vm:849296kB\n" +
		"[    0.000001] a\nnot a dmesg line\n"
	// boot 1795691885.45 = 2026-11-26T11:18:05.45Z: 1772.669763 s later is 11:47:38.12.
	got := string(ToJournal([]byte(in), time.Unix(1795691885, 450000000), "ci-host"))
	want := "2026-11-26T11:47:38+0000 ci-host kernel: Memory cgroup out of memory: Killed process 13783 (python3) total-vm:849296kB\n" +
		"2026-11-26T11:18:05+0000 ci-host kernel: a\nnot a dmesg line\n"
	if got != want {
		t.Errorf("ToJournal =\n%s\nwant\n%s", got, want)
	}
}

func TestStampWriter(t *testing.T) {
	var out bytes.Buffer
	tick := time.Date(2026, 11, 26, 10, 11, 12, 123456700, time.UTC)
	w := NewStampWriter(&out, func() time.Time { tick = tick.Add(time.Second); return tick })
	for _, p := range []string{"test_a.py::test_x ", "PASSED\nline two\nthree", " more\n"} {
		if n, err := w.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	want := "2026-11-26T10:11:13.1234567Z test_a.py::test_x PASSED\n" +
		"2026-11-26T10:11:14.1234567Z line two\n" +
		"2026-11-26T10:11:15.1234567Z three more\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
