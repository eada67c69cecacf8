package kmsg

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

func token(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// needKernelLog skips (or fails under CI=true) when this machine's kernel log
// cannot be read or written.
func needKernelLog(t *testing.T) {
	t.Helper()
	why := ""
	if err := Available(); err != nil {
		why = err.Error()
	} else if f, err := os.OpenFile(DevKmsg, os.O_WRONLY, 0); err != nil {
		why = "cannot write " + DevKmsg + ": " + err.Error()
	} else {
		f.Close()
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("kernel log required under CI=true: %s", why)
	}
	t.Skip(why)
}

func writeKmsg(t *testing.T, msg string) {
	t.Helper()
	if err := os.WriteFile(DevKmsg, []byte(msg+"\n"), 0); err != nil {
		t.Fatal(err)
	}
}

var dmesgLine = regexp.MustCompile(`^\[ *\d+\.\d{6}\] (.*)$`)

// TestReadNewReal writes to the real kernel log and checks that ReadNew
// returns exactly the line written after Now, not the one written before.
func TestReadNewReal(t *testing.T) {
	needKernelLog(t)
	tok := token(t)
	writeKmsg(t, "oomlens-test-before-"+tok)
	c, err := Now()
	if err != nil {
		t.Fatal(err)
	}
	if c.Source() != SourceKmsg {
		t.Fatalf("source = %q, want %q", c.Source(), SourceKmsg)
	}
	writeKmsg(t, "oomlens-test-"+tok)
	out, err := c.ReadNew()
	if err != nil {
		t.Fatal(err)
	}
	// Other processes may log at the same moment: keep only our lines.
	var ours []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if strings.Contains(l, tok) {
			ours = append(ours, l)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("lines with token = %q, want exactly one; all output:\n%s", ours, out)
	}
	m := dmesgLine.FindStringSubmatch(ours[0])
	if m == nil || m[1] != "oomlens-test-"+tok {
		t.Fatalf("line = %q, want `[ uptime] oomlens-test-%s`", ours[0], tok)
	}
	// A second read from the same cursor gives the same line again; a new
	// cursor gives nothing of ours.
	again, err := c.ReadNew()
	if err != nil || !bytes.Contains(again, []byte(ours[0])) {
		t.Fatalf("re-read = %q, %v", again, err)
	}
	c2, err := Now()
	if err != nil {
		t.Fatal(err)
	}
	later, err := c2.ReadNew()
	if err != nil || bytes.Contains(later, []byte(tok)) {
		t.Fatalf("fresh cursor read = %q, %v", later, err)
	}
}

// TestDmesgFallbackReal checks the dmesg fallback against the real dmesg.
func TestDmesgFallbackReal(t *testing.T) {
	needKernelLog(t)
	if _, err := runDmesg(); err != nil {
		t.Skip("dmesg: ", err)
	}
	tok := token(t)
	out, _ := runDmesg()
	lines := splitLines(out)
	c := Cursor{source: SourceDmesg, dmesgLines: len(lines), lastLine: lines[len(lines)-1]}
	c.lastUptimeS, _ = uptimeOf(c.lastLine)
	writeKmsg(t, "oomlens-fallback-"+tok)
	capt, err := c.ReadRecords()
	if err != nil {
		t.Fatal(err)
	}
	if capt.GapUnknown || !bytes.Contains(capt.Log, []byte("] oomlens-fallback-"+tok+"\n")) {
		t.Fatalf("capture = %+v\n%s", capt, capt.Log)
	}
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		seq  uint64
		usec uint64
		text string
		out  string
	}{
		{"6,343,1308661,-;tokio-rt-worker (68): drop_caches: 3\n", true, 343, 1308661, "tokio-rt-worker (68): drop_caches: 3",
			"[    1.308661] tokio-rt-worker (68): drop_caches: 3\n"},
		{"3,1200,4521987654,-;Memory cgroup out of memory: Killed process 996 (python3) total-vm:2991716kB\n", true, 1200, 4521987654,
			"Memory cgroup out of memory: Killed process 996 (python3) total-vm:2991716kB",
			"[ 4521.987654] Memory cgroup out of memory: Killed process 996 (python3) total-vm:2991716kB\n"},
		// Dictionary continuation lines are not printed by dmesg.
		{"6,5,100,-;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n", true, 5, 100, "usb 1-1: new device",
			"[    0.000100] usb 1-1: new device\n"},
		// Extra header fields after the flag (caller id, newer kernels).
		{"4,9,2000000,c,caller=T12;a\\x5cb\\x09c\\x01d\n", true, 9, 2000000, "a\\b\tc\\x01d", "[    2.000000] a\\b\tc\\x01d\n"},
		{"4,10,1,-;line one\\x0aline two\n", true, 10, 1, "line one\nline two", "[    0.000001] line one\n               line two\n"},
		{"4,11,1,-;caf\\xc3\\xa9\n", true, 11, 1, "café", "[    0.000001] café\n"},
		{"4,12,1,-;trailing \\x4\n", true, 12, 1, "trailing \\x4", "[    0.000001] trailing \\x4\n"},
		{"no header here\n", false, 0, 0, "", ""},
		{"x,1,2,-;text\n", false, 0, 0, "", ""},
		{"6,1;short\n", false, 0, 0, "", ""},
	}
	for _, tt := range tests {
		rec, ok := parseRecord([]byte(tt.in))
		if ok != tt.ok {
			t.Errorf("parseRecord(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if rec.seq != tt.seq || rec.usec != tt.usec || rec.text != tt.text {
			t.Errorf("parseRecord(%q) = seq %d usec %d text %q, want %d %d %q", tt.in, rec.seq, rec.usec, rec.text, tt.seq, tt.usec, tt.text)
		}
		var b bytes.Buffer
		rec.render(&b)
		if b.String() != tt.out {
			t.Errorf("render(%q) = %q, want %q", tt.in, b.String(), tt.out)
		}
	}
}

// fakeKmsg returns one record per Read like /dev/kmsg, and EPIPE/EAGAIN where
// told.
type fakeKmsg struct {
	items []any // string record or error
}

func (f *fakeKmsg) Read(p []byte) (int, error) {
	if len(f.items) == 0 {
		return 0, syscall.EAGAIN
	}
	it := f.items[0]
	f.items = f.items[1:]
	if err, ok := it.(error); ok {
		return 0, err
	}
	return copy(p, it.(string)), nil
}

func TestReadSinceGaps(t *testing.T) {
	tests := []struct {
		name    string
		items   []any
		next    uint64
		log     string
		records int
		lost    uint64
	}{
		{"old records skipped", []any{"6,1,1,-;a\n", "6,2,2,-;b\n", "6,3,3,-;c\n"}, 2, "[    0.000002] b\n[    0.000003] c\n", 2, 0},
		{"nothing new", []any{"6,1,1,-;a\n"}, 2, "", 0, 0},
		{"overwritten before open", []any{"6,7,7,-;g\n", "6,8,8,-;h\n"}, 4, "[    0.000007] g\n[    0.000008] h\n", 2, 3},
		{"EPIPE mid-read", []any{"6,4,4,-;d\n", syscall.EPIPE, "6,9,9,-;i\n"}, 4, "[    0.000004] d\n[    0.000009] i\n", 2, 4},
		{"EINTR retried", []any{syscall.EINTR, "6,4,4,-;d\n"}, 4, "[    0.000004] d\n", 1, 0},
		{"EOF ends", []any{"6,4,4,-;d\n", io.EOF}, 4, "[    0.000004] d\n", 1, 0},
	}
	for _, tt := range tests {
		capt, err := readSince(&fakeKmsg{items: tt.items}, tt.next)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if string(capt.Log) != tt.log || capt.Records != tt.records || capt.LostRecords != tt.lost {
			t.Errorf("%s: got log %q records %d lost %d, want %q %d %d", tt.name, capt.Log, capt.Records, capt.LostRecords, tt.log, tt.records, tt.lost)
		}
	}
	_, err := readSince(&fakeKmsg{items: []any{syscall.EIO}}, 0)
	if !errors.Is(err, syscall.EIO) {
		t.Errorf("EIO: err = %v", err)
	}
}

func TestDmesgSince(t *testing.T) {
	before := "[    1.000000] a\n[    2.000000] b\n"
	tests := []struct {
		name string
		out  string
		want string
		gap  bool
	}{
		{"grew", before + "[    3.000000] c\n", "[    3.000000] c\n", false},
		{"same", before, "", false},
		{"rotated, last line kept", "[    2.000000] b\n[    3.000000] c\n", "[    3.000000] c\n", false},
		{"rotated past last line", "[    3.000000] c\n[    4.000000] d\n", "[    3.000000] c\n[    4.000000] d\n", true},
	}
	c := Cursor{source: SourceDmesg, dmesgLines: 2, lastLine: "[    2.000000] b", lastUptimeS: 2}
	for _, tt := range tests {
		capt := c.dmesgSince([]byte(tt.out))
		if string(capt.Log) != tt.want || capt.GapUnknown != tt.gap {
			t.Errorf("%s: got %q gap %v, want %q gap %v", tt.name, capt.Log, capt.GapUnknown, tt.want, tt.gap)
		}
	}
}

func TestZeroCursor(t *testing.T) {
	if _, err := (Cursor{}).ReadNew(); err == nil {
		t.Fatal("zero cursor: want an error")
	}
}

func TestGapErrorFromReadNew(t *testing.T) {
	e := &GapError{LostRecords: 3, Source: SourceKmsg}
	var ge *GapError
	if !errors.As(error(e), &ge) || !strings.Contains(e.Error(), "3 kernel log records") {
		t.Fatalf("GapError = %v", e)
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{
		"6,343,1308661,-;tokio-rt-worker (68): drop_caches: 3\n",
		"6,5,100,-;usb 1-1: new device\n SUBSYSTEM=usb\n",
		"4,9,2000000,c,caller=T12;a\\x5cb\\x09c\\x01d\n",
		"4,12,1,-;trailing \\x4",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, ok := parseRecord(b)
		if !ok {
			return
		}
		var out bytes.Buffer
		rec.render(&out)
		if !bytes.HasPrefix(out.Bytes(), []byte("[")) || !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			t.Fatalf("render = %q", out.Bytes())
		}
	})
}

// TestMatchesDmesgReal writes records with UTF-8, a backslash, a tab and a
// control byte, and checks that ReadNew renders them byte for byte as the
// real util-linux dmesg prints them.
func TestMatchesDmesgReal(t *testing.T) {
	needKernelLog(t)
	if _, err := runDmesg(); err != nil {
		t.Skip("dmesg: ", err)
	}
	tok := token(t)
	c, err := Now()
	if err != nil {
		t.Fatal(err)
	}
	writeKmsg(t, "oomlens-a-"+tok+"\noomlens-b-"+tok+" caf\xc3\xa9 \\ back\ttab\x01ctl")
	got, err := c.ReadNew()
	if err != nil {
		t.Fatal(err)
	}
	dm, err := runDmesg()
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, l := range strings.Split(string(got), "\n") {
		if strings.Contains(l, tok) {
			ours = append(ours, l)
		}
	}
	if len(ours) != 2 {
		t.Fatalf("our lines = %q, want 2", ours)
	}
	if ours[1] != strings.Repeat(" ", len(ours[0])-len("oomlens-a-"+tok))+"oomlens-b-"+tok+" café \\ back\ttab\\x01ctl" {
		t.Errorf("rendered %q", ours[1])
	}
	for _, l := range ours {
		if !strings.Contains(string(dm), l+"\n") {
			t.Errorf("line %q is not in dmesg's output", l)
		}
	}
}

// TestEveryPrefix feeds every byte-prefix of real /dev/kmsg records (taken
// from this machine's kernel log) to the parser: no panic, and a prefix that
// parses renders to one or more dmesg lines.
func TestEveryPrefix(t *testing.T) {
	samples := []string{
		"6,343,1308661,-;tokio-rt-worker (68): drop_caches: 3\n",
		"3,4100,1926790832,-;Memory cgroup out of memory: Killed process 26621 (python3) total-vm:849296kB, anon-rss:457136kB, file-rss:36728kB, shmem-rss:0kB, UID:0 pgtables:1132kB oom_score_adj:0\n",
		"12,4027,2703648685,-;oomlens-ml-2 caf\\xc3\\xa9 \\x5c back\\x09tab\\x01ctl\n",
		"6,5,100,-;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n",
	}
	for _, s := range samples {
		for i := 0; i <= len(s); i++ {
			rec, ok := parseRecord([]byte(s[:i]))
			if !ok {
				continue
			}
			var b bytes.Buffer
			rec.render(&b)
			if !dmesgLine.MatchString(strings.SplitN(b.String(), "\n", 2)[0]) || !strings.HasSuffix(b.String(), "\n") {
				t.Fatalf("prefix %q rendered %q", s[:i], b.String())
			}
		}
		capt, err := readSince(&fakeKmsg{items: []any{s}}, 0)
		if err != nil || capt.Records != 1 {
			t.Fatalf("readSince(%q) = %+v, %v", s, capt, err)
		}
	}
}

// TestAllReal: All reads every record since boot still held, from
// /dev/kmsg and from dmesg, never clearing the buffer.
func TestAllReal(t *testing.T) {
	needKernelLog(t)
	tok := token(t)
	writeKmsg(t, "oomlens-test-all-"+tok)
	for _, src := range []Source{SourceKmsg, SourceDmesg} {
		c, err := All(src)
		if err != nil {
			if src == SourceDmesg {
				t.Logf("dmesg: %v", err)
				continue
			}
			t.Fatal(err)
		}
		if c.Source != src || c.Records == 0 || !strings.Contains(string(c.Log), "oomlens-test-all-"+tok) {
			t.Errorf("%s: %d records, source %q, token missing", src, c.Records, c.Source)
		}
	}
	again, err := All(SourceKmsg)
	if err != nil || !strings.Contains(string(again.Log), "oomlens-test-all-"+tok) {
		t.Errorf("the record is gone after a read: %v", err)
	}
	if _, err := All("syslog"); err == nil {
		t.Error("an unknown source was read")
	}
}
