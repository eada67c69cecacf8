package harness

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file renders a run's output the way CI systems leave it behind, so
// that the captures and the live end-to-end tests feed oomlens the shapes
// real jobs have: GitHub Actions runner stamps on the log, and kernel lines
// as `journalctl -k -o short-iso` prints them.

// StampWriter prefixes each line written through it with a GitHub Actions
// runner timestamp (`2026-11-26T10:11:12.1234567Z `, UTC, 7 fractional
// digits), taken when the line's first byte arrives. It is safe for
// concurrent use (stdout and stderr of one command).
type StampWriter struct {
	mu      sync.Mutex
	w       io.Writer
	now     func() time.Time
	atStart bool
}

// NewStampWriter stamps lines onto w with the clock now (time.Now if nil).
func NewStampWriter(w io.Writer, now func() time.Time) *StampWriter {
	if now == nil {
		now = time.Now
	}
	return &StampWriter{w: w, now: now, atStart: true}
}

func (s *StampWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(p)
	var b bytes.Buffer
	for len(p) > 0 {
		if s.atStart {
			b.WriteString(s.now().UTC().Format("2006-01-02T15:04:05.0000000Z "))
			s.atStart = false
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b.Write(p)
			break
		}
		b.Write(p[:i+1])
		p = p[i+1:]
		s.atStart = true
	}
	if _, err := s.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return n, nil
}

// BootTime is the wall-clock time of uptime 0, to turn the kernel's uptime
// stamps into the wall clock journald records at receipt. It is measured as
// now − /proc/uptime (10 ms resolution): /proc/stat's btime is the same
// instant truncated to whole seconds, which would put every line up to a
// second early (dmesg -T's known error) and could place a kill before the
// test whose allocation caused it. btime is the fallback.
func BootTime() (time.Time, error) {
	now := time.Now()
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if up, err := strconv.ParseFloat(f[0], 64); err == nil {
				return now.Add(-time.Duration(up * float64(time.Second))), nil
			}
		}
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(sec, 0), err
		}
	}
	return time.Time{}, fmt.Errorf("no /proc/uptime and no btime in /proc/stat")
}

var dmesgLine = regexp.MustCompile(`^\[\s*(\d+)\.(\d{6})\] (.*)$`)

// ToJournal rewrites `[ uptime] msg` lines as `journalctl -k -o short-iso`
// prints them: `2026-11-26T10:41:25+0000 host kernel: msg` (the wall clock
// is boot + uptime, in UTC, whole seconds as short-iso prints them). Other
// lines are kept as they are.
func ToJournal(log []byte, boot time.Time, host string) []byte {
	var out bytes.Buffer
	for _, line := range strings.SplitAfter(string(log), "\n") {
		if line == "" {
			continue
		}
		body := strings.TrimSuffix(line, "\n")
		m := dmesgLine.FindStringSubmatch(body)
		if m == nil {
			out.WriteString(line)
			continue
		}
		sec, _ := strconv.ParseInt(m[1], 10, 64)
		usec, _ := strconv.ParseInt(m[2], 10, 64)
		t := boot.Add(time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond).UTC()
		fmt.Fprintf(&out, "%s %s kernel: %s\n", t.Format("2006-01-02T15:04:05-0700"), host, m[3])
	}
	return out.Bytes()
}
