// Package cgroupfs reads the memory controller's files of one cgroup, as a
// job leaves them behind (saved by a CI step, or by `oomlens collect`):
//
//   - cgroup v2 (Documentation/admin-guide/cgroup-v2.rst, "Memory Interface
//     Files"): memory.events and memory.events.local (flat keyed: low, high,
//     max, oom, oom_kill, oom_group_kill), memory.stat (flat keyed, bytes),
//     memory.pressure (PSI: "some avg10=… avg60=… avg300=… total=…"), and
//     the single values memory.current, memory.peak (5.19+) and memory.max
//     ("max" when unlimited);
//   - cgroup v1 (Documentation/admin-guide/cgroup-v1/memory.rst):
//     memory.oom_control (oom_kill_disable, under_oom, and oom_kill since
//     4.13), memory.stat (cache, rss, … hierarchical_memory_limit, total_*),
//     and the single values memory.limit_in_bytes, memory.max_usage_in_bytes,
//     memory.usage_in_bytes and memory.failcnt.
//
// A file whose content is a bare number says nothing about what it is, so it
// is known by its name (SniffName); the keyed files are known by their
// content (Sniff) too. Parse keeps every key, known or not.
package cgroupfs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Kernel file names.
const (
	Events       = "memory.events"
	EventsLocal  = "memory.events.local"
	Peak         = "memory.peak"
	Max          = "memory.max"
	Current      = "memory.current"
	Stat         = "memory.stat"
	Pressure     = "memory.pressure"
	OOMControl   = "memory.oom_control"
	MaxUsage     = "memory.max_usage_in_bytes"
	Limit        = "memory.limit_in_bytes"
	Usage        = "memory.usage_in_bytes"
	FailCount    = "memory.failcnt"
	statV1Marker = "hierarchical_memory_limit"
)

// single is the files holding one number, by name, with their version.
var single = map[string]int{Peak: 2, Max: 2, Current: 2, MaxUsage: 1, Limit: 1, Usage: 1, FailCount: 1}

// keyed is the flat keyed files, by name, with their version (0: either).
var keyed = map[string]int{Events: 2, EventsLocal: 2, Stat: 0, OOMControl: 1}

// unlimitedBytes is where a limit stops being one: v1 reports "no limit" as
// PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages).
const unlimitedBytes = int64(1) << 62

// File is one memory-controller file.
type File struct {
	// Name is the kernel's name of the file ("memory.events").
	Name string
	// Version is 1 or 2 (cgroup v1 or v2).
	Version int
	// Value is a single-value file's number (bytes, or a count for
	// memory.failcnt); Unlimited is set for v2 "max" and v1's
	// PAGE_COUNTER_MAX.
	Value     int64
	HasValue  bool
	Unlimited bool
	// Keys are a keyed file's entries in file order, unknown ones kept.
	Keys []Entry
	// Pressure is memory.pressure's lines.
	Pressure []PSI
	Warnings []Warning
}

// Entry is one "key value" line of a flat keyed file.
type Entry struct {
	Key   string
	Value int64
}

// PSI is one line of a pressure file (Documentation/accounting/psi.rst):
// the share of time some (or all) tasks stalled on memory, over 10, 60 and
// 300 s, and the total stall time in microseconds.
type PSI struct {
	Kind                 string // "some" or "full"
	Avg10, Avg60, Avg300 float64
	TotalUS              int64
}

// Warning is a line that could not be read.
type Warning struct {
	Line    int
	Message string
}

// Get returns the value of key in a keyed file.
func (f *File) Get(key string) (int64, bool) {
	for _, e := range f.Keys {
		if e.Key == key {
			return e.Value, true
		}
	}
	return 0, false
}

// baseName is the kernel's name inside a saved file's name: the base name
// with a ".txt" or ".log" suffix removed ("memory.peak.txt").
func baseName(name string) string {
	b := path.Base(strings.ReplaceAll(name, "\\", "/"))
	for _, suf := range []string{".txt", ".log"} {
		b = strings.TrimSuffix(b, suf)
	}
	return b
}

// SniffName reports whether name (a path) is a memory-controller file
// this package reads, by its base name: the only way to know a file that
// holds a bare number.
func SniffName(name string) bool {
	b := baseName(name)
	_, ok := single[b]
	if !ok {
		_, ok = keyed[b]
		ok = ok || b == Pressure
	}
	return ok
}

// Sniff reports whether head is a keyed memory-controller file whatever its
// name: memory.oom_control, memory.events, a memory.stat of either version,
// or memory.pressure.
func Sniff(head []byte) bool {
	return contentName(head) != ""
}

// contentName names the file head's content shows, "" when none.
func contentName(head []byte) string {
	keys := map[string]bool{}
	n := 0
	psi := 0
	ok := true
	eachLine(head, func(line string) bool {
		if line == "" {
			return true
		}
		n++
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "some" || f[0] == "full") && strings.HasPrefix(f[1], "avg10=") {
			psi++
			return true
		}
		if len(f) != 2 || !isNumber(f[1]) || !isKey(f[0]) {
			ok = false
			return false
		}
		keys[f[0]] = true
		return n < 200
	})
	switch {
	case !ok || n == 0:
		return ""
	case psi == n:
		return Pressure
	case psi > 0:
		return ""
	case keys["oom_kill_disable"] && keys["under_oom"]:
		return OOMControl
	case keys["oom_kill"] && keys["oom"] && keys["max"] && keys["high"]:
		return Events
	case keys[statV1Marker] || keys["cache"] && keys["rss"] && keys["mapped_file"]:
		return Stat
	case keys["anon"] && keys["file"] && keys["kernel_stack"]:
		return Stat
	}
	return ""
}

func eachLine(b []byte, fn func(string) bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if !fn(strings.TrimSpace(string(line))) {
			return
		}
	}
}

func isKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

func isNumber(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		_, err = strconv.ParseUint(s, 10, 64)
	}
	return err == nil
}

// Parse reads one memory-controller file. name is the input's path: a file
// holding a bare number is known by it; a keyed file by its content when
// the name is not the kernel's. Errors name the file and line.
func Parse(r io.Reader, name string) (*File, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(64 << 10)
	base := baseName(name)
	f := &File{Name: base}
	if _, ok := single[base]; !ok {
		if _, ok := keyed[base]; !ok && base != Pressure {
			f.Name = contentName(head)
			if f.Name == "" {
				return nil, fmt.Errorf("%s: not a memory cgroup file (looked for memory.events, memory.stat, memory.oom_control, memory.pressure, or a file named like one)", name)
			}
		}
	}
	if v, ok := single[f.Name]; ok {
		f.Version = v
		return f, f.readSingle(br, name)
	}
	f.Version = keyed[f.Name]
	if f.Name == Pressure {
		f.Version = 2
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if f.Name == Pressure {
			p, err := parsePSI(text)
			if err != nil {
				f.Warnings = append(f.Warnings, Warning{Line: line, Message: err.Error()})
				continue
			}
			f.Pressure = append(f.Pressure, p)
			continue
		}
		fs := strings.Fields(text)
		if len(fs) != 2 {
			f.Warnings = append(f.Warnings, Warning{Line: line, Message: fmt.Sprintf("not a \"key value\" line: %q", text)})
			continue
		}
		v, err := strconv.ParseInt(fs[1], 10, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(fs[1], 10, 64)
			if uerr != nil {
				f.Warnings = append(f.Warnings, Warning{Line: line, Message: fmt.Sprintf("%s: not a number: %q", fs[0], fs[1])})
				continue
			}
			v = int64(u >> 1) // beyond int64: only ever an "unlimited" marker
		}
		f.Keys = append(f.Keys, Entry{Key: fs[0], Value: v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	if f.Name == Stat && f.Version == 0 {
		f.Version = 2
		for _, e := range f.Keys {
			if e.Key == statV1Marker || e.Key == "cache" || strings.HasPrefix(e.Key, "total_") {
				f.Version = 1
				break
			}
		}
	}
	if len(f.Keys) == 0 && len(f.Pressure) == 0 {
		return nil, fmt.Errorf("%s: %s holds no entries", name, f.Name)
	}
	return f, nil
}

func (f *File) readSingle(br *bufio.Reader, name string) error {
	b, err := io.ReadAll(io.LimitReader(br, 4096))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s := strings.TrimSpace(string(b))
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return fmt.Errorf("%s: line 2: %s holds one number, found more lines", name, f.Name)
	}
	if s == "max" && f.Name == Max {
		f.Unlimited, f.HasValue = true, true
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		u, uerr := strconv.ParseUint(s, 10, 64)
		if uerr != nil {
			return fmt.Errorf("%s: line 1: %s holds one number, found %q", name, f.Name, s)
		}
		v = int64(u >> 1)
	}
	f.Value, f.HasValue = v, true
	if (f.Name == Limit || f.Name == Max) && v >= unlimitedBytes {
		f.Unlimited = true
	}
	return nil
}

func parsePSI(line string) (PSI, error) {
	fs := strings.Fields(line)
	if len(fs) == 0 || fs[0] != "some" && fs[0] != "full" {
		return PSI{}, fmt.Errorf("not a pressure line: %q", line)
	}
	p := PSI{Kind: fs[0]}
	for _, kv := range fs[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return PSI{}, fmt.Errorf("not a pressure line: %q", line)
		}
		var err error
		switch k {
		case "avg10":
			p.Avg10, err = strconv.ParseFloat(v, 64)
		case "avg60":
			p.Avg60, err = strconv.ParseFloat(v, 64)
		case "avg300":
			p.Avg300, err = strconv.ParseFloat(v, 64)
		case "total":
			p.TotalUS, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil {
			return PSI{}, fmt.Errorf("%s: %q is not a number", k, v)
		}
	}
	return p, nil
}
