// Package collect is `oomlens collect`: run on the machine where a job ran
// (a CI step after the failure), it gathers into one folder what the
// analysis can read — the kernel log since the job started or since boot,
// the job's memory cgroup files, the host's facts and the job's logs — and
// writes collect.json (package collectmanifest) saying where each came
// from and what could not be read and why. analyze and batch read the
// folder as one job.
package collect

import (
	"github.com/oomlens/oomlens/internal/mountinfo"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sysinfo "github.com/elastic/go-sysinfo"

	"github.com/oomlens/oomlens/cgroupfs"
	"github.com/oomlens/oomlens/collect/collectmanifest"
	"github.com/oomlens/oomlens/kmsg"
)

// Options says what to gather and where to.
type Options struct {
	// Out is the folder to write (made if missing; files in it are
	// replaced).
	Out string
	// Since keeps the kernel log from this time on; zero keeps all of it
	// since boot.
	Since time.Time
	// Logs are the job's logs to copy.
	Logs []string
	// Cgroup is the job's memory cgroup: a directory of its files, or its
	// path as /proc/self/cgroup prints it; "" finds the caller's own.
	Cgroup string
	// Root is the filesystem root /proc and /sys are read under ("" is
	// "/"): tests point it at a fixture tree.
	Root string
	// NoKernelLog leaves the kernel log out (tests of a fixture tree).
	NoKernelLog bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Folder names inside Out.
const (
	KernelLogFile = "kernel.log"
	CgroupFolder  = "cgroup"
	LogsFolder    = "logs"
)

// Collect gathers into opts.Out and returns the manifest it wrote. Only a
// folder that cannot be written is an error: every source that cannot be
// read is listed in the manifest's Unread.
func Collect(ctx context.Context, opts Options) (*collectmanifest.Manifest, error) {
	if opts.Out == "" {
		return nil, errors.New("collect: no --out folder")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	m := &collectmanifest.Manifest{Schema: collectmanifest.Schema, CollectedAt: now().UTC().Format(time.RFC3339), Logs: []collectmanifest.Copy{}, Unread: []collectmanifest.Unread{}}
	if !opts.Since.IsZero() {
		s := opts.Since.UTC().Format(time.RFC3339)
		m.Since = &s
	}
	unread := func(what string, err error) {
		m.Unread = append(m.Unread, collectmanifest.Unread{What: what, Why: err.Error()})
	}
	boot := hostFacts(m, opts, unread)
	if !opts.NoKernelLog {
		if err := kernelLog(ctx, m, opts, boot, unread); err != nil {
			return m, err
		}
	}
	if err := cgroupFiles(m, opts, unread); err != nil {
		return m, err
	}
	if err := copyLogs(m, opts, unread); err != nil {
		return m, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := os.WriteFile(filepath.Join(opts.Out, collectmanifest.FileName), append(b, '\n'), 0o644); err != nil {
		return m, fmt.Errorf("collect: %w", err)
	}
	return m, nil
}

func (o Options) root(p string) string {
	if o.Root == "" {
		return p
	}
	return filepath.Join(o.Root, p)
}

// hostFacts fills the host from go-sysinfo (kernel, memory, boot time) and
// the page size; it returns the boot time (zero when unknown).
func hostFacts(m *collectmanifest.Manifest, opts Options, unread func(string, error)) time.Time {
	m.Host.PageSizeBytes = os.Getpagesize()
	h, err := sysinfo.Host()
	if err != nil {
		unread("host facts (go-sysinfo)", err)
		return time.Time{}
	}
	info := h.Info()
	m.Host.Hostname = info.Hostname
	m.Host.KernelVersion = info.KernelVersion
	m.Host.Architecture = info.Architecture
	if info.OS != nil {
		m.Host.OS = strings.TrimSpace(info.OS.Name + " " + info.OS.Version)
	}
	if mem, err := h.Memory(); err == nil {
		m.Host.MemTotalBytes = mem.Total
	} else {
		unread("host memory (go-sysinfo)", err)
	}
	if !info.BootTime.IsZero() {
		m.Host.BootTime = info.BootTime.UTC().Format(time.RFC3339Nano)
	}
	return info.BootTime
}

// kernelLog tries /dev/kmsg, then dmesg, then journalctl -k, keeps the
// first that works, and says why the ones before it did not.
func kernelLog(ctx context.Context, m *collectmanifest.Manifest, opts Options, boot time.Time, unread func(string, error)) error {
	var tried []collectmanifest.Unread
	type source struct {
		name string
		read func() (kmsg.Capture, error)
	}
	sources := []source{
		{string(kmsg.SourceKmsg), func() (kmsg.Capture, error) { return kmsg.All(kmsg.SourceKmsg) }},
		{string(kmsg.SourceDmesg), func() (kmsg.Capture, error) { return kmsg.All(kmsg.SourceDmesg) }},
		{"journalctl -k", func() (kmsg.Capture, error) { return journal(ctx, opts.Since) }},
	}
	for _, s := range sources {
		c, err := s.read()
		if err == nil && len(bytes.TrimSpace(c.Log)) == 0 {
			err = errors.New("it returned nothing")
		}
		if err != nil {
			tried = append(tried, collectmanifest.Unread{What: s.name, Why: err.Error()})
			continue
		}
		log, records, lost := c.Log, c.Records, c.LostRecords
		if s.name != "journalctl -k" && !opts.Since.IsZero() && !boot.IsZero() {
			from := opts.Since.Sub(boot).Seconds()
			if u, ok := firstUptime(log); ok && u <= from {
				lost = 0 // the records overwritten are older than --since
			}
			log, records = sinceUptime(log, from)
		}
		if err := os.WriteFile(filepath.Join(opts.Out, KernelLogFile), log, 0o644); err != nil {
			return fmt.Errorf("collect: %w", err)
		}
		m.KernelLog = &collectmanifest.KernelLog{File: KernelLogFile, Source: s.name, Records: records, LostRecords: lost, Tried: tried}
		if lost > 0 {
			what := "since boot"
			if !opts.Since.IsZero() {
				what = "since boot (some after --since)"
			}
			unread("kernel log", fmt.Errorf("%s: %d records %s were overwritten in the ring buffer before they could be read", s.name, lost, what))
		}
		return nil
	}
	var why []string
	for _, t := range tried {
		why = append(why, t.What+": "+t.Why)
	}
	unread("kernel log", errors.New(strings.Join(why, "; ")))
	return nil
}

// journal runs `journalctl -k` (this boot, or since since) in the
// short-monotonic format the dmesg parser reads.
func journal(ctx context.Context, since time.Time) (kmsg.Capture, error) {
	args := []string{"-k", "-b", "--no-pager", "-o", "short-monotonic"}
	if !since.IsZero() {
		args = append(args, "--since", since.Local().Format("2006-01-02 15:04:05"))
	}
	cmd := exec.CommandContext(ctx, "journalctl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if s := strings.TrimSpace(stderr.String()); s != "" {
			return kmsg.Capture{}, fmt.Errorf("%w: %s", err, s)
		}
		return kmsg.Capture{}, err
	}
	// "-- No entries --" and "-- Logs begin at …" are journalctl's own.
	var keep bytes.Buffer
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || strings.HasPrefix(l, "-- ") {
			continue
		}
		keep.WriteString(l)
		keep.WriteByte('\n')
		n++
	}
	return kmsg.Capture{Log: keep.Bytes(), Records: n}, nil
}

// sinceUptime keeps the `[ uptime]` lines stamped at or after from
// seconds since boot (and the continuation lines that follow them), and
// counts the records kept.
func sinceUptime(log []byte, from float64) ([]byte, int) {
	var out bytes.Buffer
	keep := false
	n := 0
	for _, l := range strings.SplitAfter(string(log), "\n") {
		if u, ok := uptimeOf(l); ok {
			keep = u >= from
			if keep {
				n++
			}
		}
		if keep {
			out.WriteString(l)
		}
	}
	return out.Bytes(), n
}

// firstUptime is the stamp of the first line of a dmesg-format log.
func firstUptime(log []byte) (float64, bool) {
	i := bytes.IndexByte(log, '\n')
	if i < 0 {
		i = len(log)
	}
	return uptimeOf(string(log[:i]))
}

func uptimeOf(l string) (float64, bool) {
	if !strings.HasPrefix(l, "[") {
		return 0, false
	}
	end := strings.IndexByte(l, ']')
	if end < 0 {
		return 0, false
	}
	u, err := strconv.ParseFloat(strings.TrimSpace(l[1:end]), 64)
	return u, err == nil
}

// memoryFiles are the files copied from a memory cgroup.
var memoryFiles = []string{
	cgroupfs.Events, cgroupfs.EventsLocal, cgroupfs.Peak, cgroupfs.Max, cgroupfs.Current, cgroupfs.Stat, cgroupfs.Pressure,
	cgroupfs.OOMControl, cgroupfs.MaxUsage, cgroupfs.Limit, cgroupfs.Usage, cgroupfs.FailCount,
}

// cgroupFiles finds the job's memory cgroup and copies its files.
func cgroupFiles(m *collectmanifest.Manifest, opts Options, unread func(string, error)) error {
	cg, err := findCgroup(opts)
	if err != nil {
		unread("memory cgroup", err)
		return nil
	}
	folder := filepath.Join(opts.Out, CgroupFolder)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	cg.Folder = CgroupFolder
	cg.Files = []string{}
	for _, name := range memoryFiles {
		b, err := os.ReadFile(filepath.Join(cg.Dir, name))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				unread(filepath.Join(cg.Dir, name), err)
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(folder, name), b, 0o644); err != nil {
			return fmt.Errorf("collect: %w", err)
		}
		cg.Files = append(cg.Files, name)
	}
	if len(cg.Files) == 0 {
		unread("memory cgroup "+cg.Dir, errors.New("none of its memory.* files could be read"))
	}
	m.Cgroup = cg
	return nil
}

// mount is one cgroup mount of mountinfo (Documentation/filesystems/proc.rst
// 3.5): its root within the hierarchy, where it is mounted, its type and
// super options.

// findCgroup finds the memory cgroup: --cgroup as a directory, else its
// (or the caller's own, from /proc/self/cgroup) path under the memory
// controller's mount.
func findCgroup(opts Options) (*collectmanifest.Cgroup, error) {
	if opts.Cgroup != "" {
		if st, err := os.Stat(opts.root(opts.Cgroup)); err == nil && st.IsDir() && hasMemoryFiles(opts.root(opts.Cgroup)) {
			dir := opts.root(opts.Cgroup)
			v := 1
			if _, err := os.Stat(filepath.Join(dir, cgroupfs.Events)); err == nil {
				v = 2
			}
			return &collectmanifest.Cgroup{Version: v, Dir: dir, Found: "--cgroup"}, nil
		}
	}
	mounts, err := mountinfo.Read(opts.root("/proc/self/mountinfo"))
	if err != nil {
		return nil, err
	}
	var v1, v2 *mountinfo.Mount
	for i := range mounts {
		mt := &mounts[i]
		switch {
		case mt.FSType == "cgroup2" && v2 == nil:
			v2 = mt
		case mt.FSType == "cgroup" && v1 == nil && contains(mt.Opts, "memory"):
			v1 = mt
		}
	}
	path, version, found := opts.Cgroup, 0, "--cgroup"
	if path == "" {
		found = "/proc/self/cgroup"
		b, err := os.ReadFile(opts.root("/proc/self/cgroup"))
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			if contains(strings.Split(parts[1], ","), "memory") && v1 != nil {
				path, version = parts[2], 1
				break
			}
			if parts[0] == "0" && parts[1] == "" && v2 != nil && version == 0 {
				path, version = parts[2], 2
			}
		}
		if path == "" {
			return nil, errors.New("/proc/self/cgroup names no memory cgroup with a mount in /proc/self/mountinfo (no memory controller here, or /sys/fs/cgroup is not mounted)")
		}
	} else if v1 != nil {
		version = 1
	} else if v2 != nil {
		version = 2
	}
	mt := v1
	if version == 2 {
		mt = v2
	}
	if mt == nil {
		return nil, fmt.Errorf("no cgroup mount with a memory controller for %s in /proc/self/mountinfo", path)
	}
	rel := path
	if mt.Root != "/" {
		rel = strings.TrimPrefix(path, mt.Root)
	}
	dir := filepath.Join(opts.root(mt.Point), rel)
	if !hasMemoryFiles(dir) {
		return nil, fmt.Errorf("%s (memory cgroup %s) holds no memory.* files (its memory controller is not enabled, or the cgroup is gone)", dir, path)
	}
	return &collectmanifest.Cgroup{Version: version, Path: path, Dir: dir, Found: found}, nil
}

func hasMemoryFiles(dir string) bool {
	for _, n := range memoryFiles {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// copyLogs copies each log into logs/, keeping its base name (numbered
// when two share one).
func copyLogs(m *collectmanifest.Manifest, opts Options, unread func(string, error)) error {
	if len(opts.Logs) == 0 {
		return nil
	}
	folder := filepath.Join(opts.Out, LogsFolder)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	used := map[string]bool{}
	for _, from := range opts.Logs {
		name := filepath.Base(from)
		for i := 2; used[name]; i++ {
			ext := filepath.Ext(filepath.Base(from))
			name = strings.TrimSuffix(filepath.Base(from), ext) + "-" + strconv.Itoa(i) + ext
		}
		src, err := os.Open(from)
		if err != nil {
			unread(from, err)
			continue
		}
		dst, err := os.Create(filepath.Join(folder, name))
		if err != nil {
			src.Close()
			return fmt.Errorf("collect: %w", err)
		}
		_, cerr := io.Copy(dst, src)
		src.Close()
		if err := dst.Close(); cerr == nil {
			cerr = err
		}
		if cerr != nil {
			unread(from, cerr)
			os.Remove(filepath.Join(folder, name))
			continue
		}
		used[name] = true
		m.Logs = append(m.Logs, collectmanifest.Copy{From: from, File: filepath.Join(LogsFolder, name)})
	}
	return nil
}
