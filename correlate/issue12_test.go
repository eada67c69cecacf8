package correlate

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/dmesg"
)

// publicKernel reads one file of the public corpus (testdata/kernel-public).
func publicKernel(t *testing.T, prefix string, opts dmesg.Options) KernelInput {
	t.Helper()
	m, err := filepath.Glob(corpus("kernel-public", prefix+"-*.log"))
	if err != nil || len(m) != 1 {
		t.Fatalf("%s: %v %v", prefix, m, err)
	}
	return readKernel(t, m[0], opts)
}

func analyzeKernel(t *testing.T, opts Options, ins ...KernelInput) *Report {
	t.Helper()
	rep, err := Analyze(&Evidence{Kernel: ins}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func warningsWith(rep *Report, s string) []string {
	var out []string
	for _, w := range rep.Warnings {
		if strings.Contains(w, s) {
			out = append(out, w)
		}
	}
	return out
}

// Clock warnings say what is missing and which flag fixes it: syslog
// stamps without a year (public 01: with seconds since boot too; 08: a
// journal grep without them) point to --year; a log without stamps (03,
// 11) is not said to carry seconds since boot.
func TestClockWarningsNameTheFix(t *testing.T) {
	for _, c := range []struct {
		file, want, not string
	}{
		{"01", "20 of 20 kills are stamped without a year (syslog or journal short format) and no other input gives one (pass --year, or --boot-time: the lines carry seconds since boot)", "carry only seconds since boot"},
		{"08", "1 of 1 kills are stamped without a year (syslog or journal short format) and no other input gives one (pass --year)", "carry only seconds since boot"},
		{"03", "1 of 1 kills carry no time stamp at all", "carry only seconds since boot"},
		{"11", "3 of 3 kills carry no time stamp at all", "carry only seconds since boot"},
		{"09", "1 of 1 kills carry only seconds since boot and no boot time is known (pass --boot-time", "--year"},
	} {
		rep := analyzeKernel(t, Options{}, publicKernel(t, c.file, dmesg.Options{}))
		if len(warningsWith(rep, c.want)) != 1 || len(warningsWith(rep, c.not)) != 0 {
			t.Errorf("%s: warnings %q, want one with %q and none with %q", c.file, rep.Warnings, c.want, c.not)
		}
	}
	// With the year given, the syslog stamps place the kills: no clock warning.
	rep := analyzeKernel(t, Options{Year: 2017}, publicKernel(t, "01", dmesg.Options{Year: 2017}))
	if w := warningsWith(rep, "clocks not aligned"); len(w) != 0 || rep.Kills[0].Time == nil {
		t.Errorf("--year 2017: warnings %q, first kill time %v", w, rep.Kills[0].Time)
	}
}

// A kernel log alone has no job to match: no "no kill matches the job"
// warning, and no placeholder pid 0 () for a record without its victim
// (public 08: a header alone; 09: no killable process).
func TestKernelOnlyNoJobWarning(t *testing.T) {
	for _, f := range []string{"01", "08", "09"} {
		rep := analyzeKernel(t, Options{}, publicKernel(t, f, dmesg.Options{}))
		for _, w := range rep.Warnings {
			if strings.Contains(w, "matches the job") || strings.Contains(w, "pid 0") || strings.Contains(w, "()") {
				t.Errorf("%s: warning %q", f, w)
			}
		}
	}
}

// The page-size note: once per analysis, naming every log whose page size
// is unknown (public 27, a VMware guest log, and corpus 01, an Ubuntu
// 3.13 syslog, name no architecture); never for an x86_64 log (public 01).
func TestPageSizeNoteOnce(t *testing.T) {
	a := publicKernel(t, "27", dmesg.Options{})
	b := readKernel(t, corpus("corpus", "kernel", "01-cadvisor-memcg-v1-3.13-syslog-nohost.log"), dmesg.Options{})
	rep := analyzeKernel(t, Options{}, a, b)
	w := warningsWith(rep, "page size")
	if len(w) != 1 || !strings.Contains(w[0], a.Path) || !strings.Contains(w[0], b.Path) || !strings.Contains(w[0], "--page-size") {
		t.Errorf("page-size warnings %q", w)
	}
	for _, in := range rep.Inputs {
		for _, iw := range in.Warnings {
			if strings.Contains(iw, "page size") {
				t.Errorf("input %s warns %q", in.Path, iw)
			}
		}
	}
	rep = analyzeKernel(t, Options{}, publicKernel(t, "01", dmesg.Options{}))
	if w := warningsWith(rep, "page size"); len(w) != 0 {
		t.Errorf("x86_64 log: %q", w)
	}
}

// Kills are in time order (public 18, a Kibana export newest first), and
// in input order when their times are unknown (public 13, `journalctl -r`
// without a year).
func TestKillOrder(t *testing.T) {
	rep := analyzeKernel(t, Options{}, publicKernel(t, "18", dmesg.Options{}))
	var got []int
	for _, k := range rep.Kills {
		got = append(got, k.PID)
	}
	if want := []int{1948188, 2856839, 2009943, 1949510}; !equalInts(got, want) {
		t.Errorf("kibana: kills %v, want %v", got, want)
	}
	rep = analyzeKernel(t, Options{}, publicKernel(t, "13", dmesg.Options{}))
	got = got[:0]
	for _, k := range rep.Kills {
		got = append(got, k.PID)
	}
	if want := []int{16434, 9652}; !equalInts(got, want) {
		t.Errorf("journalctl -r: kills %v, want %v (input order)", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The verdict names every confirmed kill (public 11: three kills, dmesg
// -e), and says what records without a victim were (public 10: a panic).
func TestVerdictNamesEveryKill(t *testing.T) {
	rep := analyzeKernel(t, Options{}, publicKernel(t, "11", dmesg.Options{}))
	if want := "The kernel log holds 3 OOM records: 3 kills, pid 9057 (rsyslogd), pid 19010 (rsyslogd), pid 16012 (rsyslogd); "; !strings.HasPrefix(rep.Verdict, want) {
		t.Errorf("verdict %q, want it to start %q", rep.Verdict, want)
	}
	rep = analyzeKernel(t, Options{}, publicKernel(t, "10", dmesg.Options{}), publicKernel(t, "11", dmesg.Options{}))
	if want := "3 kills, pid 9057 (rsyslogd), pid 19010 (rsyslogd), pid 16012 (rsyslogd); 1 that ended in a kernel panic (panic_on_oom) with no victim;"; !strings.Contains(rep.Verdict, want) {
		t.Errorf("verdict %q, want it to contain %q", rep.Verdict, want)
	}
}
