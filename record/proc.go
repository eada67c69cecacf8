package record

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procRoot is the proc filesystem the sampler reads.
const procRoot = "/proc"

// pageSize converts /proc/<pid>/statm pages to bytes.
var pageSize = uint64(os.Getpagesize())

// memory is one reading of a process's resident set.
type memory struct {
	RSSBytes     uint64 // VmRSS: file + anon + shmem pages
	RSSAnonBytes uint64 // RssAnon: anonymous pages
}

// readStatm reads /proc/<pid>/statm into buf and returns the resident set.
// The kernel fills statm in task_statm (fs/proc/task_mmu.c): field 2
// "resident" is MM_FILEPAGES + MM_SHMEMPAGES + MM_ANONPAGES and field 3
// "shared" is MM_FILEPAGES + MM_SHMEMPAGES, so resident - shared is exactly
// /proc/<pid>/status RssAnon, from the same counters, in one short read.
func readStatm(pid int, buf []byte) (memory, error) {
	b, err := readSmall(procPath(pid, "statm"), buf)
	if err != nil {
		return memory{}, err
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return memory{}, errors.New("statm: short line")
	}
	resident, err1 := strconv.ParseUint(string(f[1]), 10, 64)
	shared, err2 := strconv.ParseUint(string(f[2]), 10, 64)
	if err1 != nil || err2 != nil || shared > resident {
		return memory{}, errors.New("statm: bad fields")
	}
	return memory{RSSBytes: resident * pageSize, RSSAnonBytes: (resident - shared) * pageSize}, nil
}

// procStat is what the sampler takes from /proc/<pid>/stat (proc(5)).
type procStat struct {
	Comm      string
	PPID      int
	StartTime uint64 // field 22, clock ticks after boot
}

// parseStat parses /proc/<pid>/stat. comm is in parentheses and may itself
// hold spaces and parentheses, so the fields are counted from the last ')'.
func parseStat(b []byte) (procStat, error) {
	open := bytes.IndexByte(b, '(')
	close := bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return procStat{}, errors.New("stat: no comm")
	}
	st := procStat{Comm: string(b[open+1 : close])}
	f := bytes.Fields(b[close+1:])
	// f[0] is field 3 (state), f[1] field 4 (ppid), f[19] field 22 (starttime).
	if len(f) < 20 {
		return procStat{}, errors.New("stat: short line")
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	start, err2 := strconv.ParseUint(string(f[19]), 10, 64)
	if err1 != nil || err2 != nil {
		return procStat{}, errors.New("stat: bad fields")
	}
	st.PPID, st.StartTime = ppid, start
	return st, nil
}

func readStat(pid int, buf []byte) (procStat, error) {
	b, err := readSmall(procPath(pid, "stat"), buf)
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// maxCmdlineBytes bounds the command line kept in a session_start record.
const maxCmdlineBytes = 4096

// readCmdline returns /proc/<pid>/cmdline with the NUL separators turned into
// spaces, as ps prints it, cut at maxCmdlineBytes.
func readCmdline(pid int) string {
	b, err := os.ReadFile(procPath(pid, "cmdline"))
	if err != nil {
		return ""
	}
	b = bytes.TrimRight(b, "\x00")
	if len(b) > maxCmdlineBytes {
		b = b[:maxCmdlineBytes]
	}
	return string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
}

// xdistWorker returns the pytest-xdist worker id ("gw0") of a process from
// PYTEST_XDIST_WORKER in its initial environment (/proc/<pid>/environ), or
// from a `--tx`/`gw` marker in its command line, or "".
//
// /proc/<pid>/environ is the environment the process was started with.
// pytest-xdist sets PYTEST_XDIST_WORKER inside the worker after it starts
// (xdist/remote.py), so a worker itself does not show it there; the
// processes a worker starts do.
func xdistWorker(pid int, cmdline string) string {
	if b, err := os.ReadFile(procPath(pid, "environ")); err == nil {
		for _, kv := range bytes.Split(b, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("PYTEST_XDIST_WORKER=")); ok && isWorkerID(string(v)) {
				return string(v)
			}
		}
	}
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, "PYTEST_XDIST_WORKER="); ok && isWorkerID(v) {
			return v
		}
	}
	return ""
}

// isWorkerID reports whether s is an xdist worker id: "gw" and a number.
func isWorkerID(s string) bool {
	n, ok := strings.CutPrefix(s, "gw")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// readChildren appends to dst the children of every thread of pid, from
// /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN, Linux 3.5+; a child
// forked by a non-main thread is listed under that thread only).
func readChildren(pid int, dst []int, buf []byte) ([]int, error) {
	task := procRoot + "/" + strconv.Itoa(pid) + "/task"
	tids, err := listDir(task, buf)
	if err != nil {
		return dst, err
	}
	for _, tid := range tids {
		b, err := readSmall(task+"/"+tid+"/children", buf)
		if err != nil {
			continue // the thread ended
		}
		for _, f := range bytes.Fields(b) {
			if c, err := strconv.Atoi(string(f)); err == nil {
				dst = append(dst, c)
			}
		}
	}
	return dst, nil
}

// listDir returns the names in dir with raw getdents(2) calls: cheaper than
// os.Open and Readdirnames, which register the descriptor with the poller.
func listDir(dir string, buf []byte) ([]string, error) {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var names []string
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
}

// childrenSupported reports whether this kernel has the children files.
func childrenSupported() bool {
	_, err := os.Stat(procRoot + "/self/task/" + strconv.Itoa(syscall.Gettid()) + "/children")
	return err == nil
}

// scanParents reads the parent of every process in /proc (the fallback when
// the children files are missing) and returns pid -> ppid.
func scanParents(into map[int]int, buf []byte) error {
	d, err := os.Open(procRoot)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	clear(into)
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		st, err := readStat(pid, buf)
		if err != nil {
			continue // gone since the listing
		}
		into[pid] = st.PPID
	}
	return nil
}

func procPath(pid int, name string) string {
	return procRoot + "/" + strconv.Itoa(pid) + "/" + name
}

// readSmall reads a whole small proc file into buf with one open and as few
// reads as it takes, without allocating when buf is large enough.
func readSmall(path string, buf []byte) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	n := 0
	for {
		if n == len(buf) {
			return buf[:n], nil // longer than buf: callers only need the start
		}
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
}
