package record

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// DefaultKillGrace is how long the command's processes get to end after
// SIGTERM (forwarded, or sent to what the command left behind) before the
// recorder sends SIGKILL, when Options.KillGrace is 0. docker stop waits as
// long.
const DefaultKillGrace = 10 * time.Second

// cgroupWrapper moves itself into the cgroup given as $0 and execs the
// command, so that the command is in the cgroup before it starts anything
// (exec keeps the pid). A failed move is not fatal: the recorder moves the
// pid again after the start and says in record.json when it could not.
const cgroupWrapper = `echo $$ > "$0/cgroup.procs" 2>/dev/null; exec "$@"`

// reaperScript outlives the recorder: it waits on a pipe whose only writer
// is the recorder. "done" means the recorder cleaned up itself; end of file
// without it means the recorder died (SIGKILL, a crash) and the reaper kills
// the command's process group ($2) and everything in its cgroup ($1, if
// any), removes the cgroup and any half-written record.json temp file in
// the job folder ($3). It ignores the terminal's and a CI runner's signals,
// which are for the recorder, and runs in a process group of its own.
const reaperScript = `trap '' INT TERM HUP QUIT PIPE
if read -r msg && [ "$msg" = done ]; then exit 0; fi
kill -KILL -- "-$2" 2>/dev/null
if [ -n "$1" ]; then
	n=0
	while p=$(cat "$1/cgroup.procs" 2>/dev/null) && [ -n "$p" ] && [ $n -lt 3000 ]; do
		kill -KILL $p 2>/dev/null; n=$((n+1)); sleep 0.01
	done
	n=0
	while [ -d "$1" ] && ! rmdir "$1" 2>/dev/null && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.02; done
fi
rm -f "$3"/.record.json.*.tmp
`

// containment is what keeps the command's processes from outliving the
// recorder: the command's process group (always), its cgroup (when one
// could be made), and the reaper that cleans both up if the recorder dies
// without doing it itself.
type containment struct {
	pgid int     // the command's process group (its pid)
	cg   *cgroup // nil without a cgroup
	// reaper is the watchdog process and the write end of its pipe.
	reaper  *exec.Cmd
	reaperW *os.File
}

// startReaper starts the watchdog (see reaperScript) for the command's
// group pgid and cgroup c (nil for none); dir is the job folder. Without sh
// there is none; the direct child still has PR_SET_PDEATHSIG.
func startReaper(pgid int, c *cgroup, dir string) (*exec.Cmd, *os.File, error) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cgdir := ""
	if c != nil {
		cgdir = c.dir
	}
	if dir == "" {
		dir = "."
	}
	cmd := exec.Command(sh, "-c", reaperScript, "oomlens-record-reaper", cgdir, strconv.Itoa(pgid), dir)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, nil, err
	}
	r.Close()
	// Reap it whenever it ends, so that it never stays a zombie of ours.
	go cmd.Wait()
	return cmd, w, nil
}

// members returns the live processes of the command: those in its cgroup
// and those in its process group, zombies left out (a zombie holds no
// memory and dies with its parent).
func (c *containment) members() []int {
	var out []int
	seen := map[int]bool{}
	if c.cg != nil {
		for _, p := range c.cg.procs() {
			if !zombie(p) {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	for _, p := range groupMembers(c.pgid) {
		if !seen[p] {
			out = append(out, p)
		}
	}
	return out
}

// signal sends sig to the process group and to every process of the
// cgroup outside it, once each: a program that handles SIGINT (Python's
// KeyboardInterrupt) must not get it twice. It reports whether the group
// got it.
func (c *containment) signal(sig syscall.Signal) bool {
	ok := syscall.Kill(-c.pgid, sig) == nil
	if c.cg == nil {
		return ok
	}
	if sig == syscall.SIGKILL {
		c.cg.signal(sig)
		return ok
	}
	buf := make([]byte, 1024)
	for _, p := range c.cg.procs() {
		if _, pg, known := statStateGroup(p, buf); known && pg != c.pgid {
			syscall.Kill(p, sig)
		}
	}
	return ok
}

// end makes sure nothing of the command is left once the command itself was
// reaped: whatever is left (daemons, background jobs, xdist workers) gets
// SIGTERM, and SIGKILL after grace. It returns how many processes were left
// and the last signal they needed ("" when none were left).
func (c *containment) end(grace time.Duration) (left int, sig string) {
	ps := c.members()
	if len(ps) == 0 {
		return 0, ""
	}
	left, sig = len(ps), "terminated"
	c.signal(syscall.SIGTERM)
	if !c.waitEmpty(grace) {
		sig = "killed"
		c.killAll()
	}
	return left, sig
}

// killAll sends SIGKILL until no process is left (a process forking while
// it is killed escapes one pass), for at most a few seconds.
func (c *containment) killAll() {
	for i := 0; i < 100; i++ {
		c.signal(syscall.SIGKILL)
		if c.waitEmpty(50 * time.Millisecond) {
			return
		}
	}
}

// waitEmpty waits up to d for the group and cgroup to be empty.
func (c *containment) waitEmpty(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if len(c.members()) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// close kills whatever is left, removes the cgroup and tells the reaper
// that the recorder cleaned up. It returns the error removing the cgroup.
func (c *containment) close() error {
	if len(c.members()) > 0 {
		c.killAll()
	}
	var err error
	if c.cg != nil {
		err = c.cg.remove()
	}
	if c.reaperW != nil {
		if err == nil {
			c.reaperW.Write([]byte("done\n"))
		}
		// Without "done" (the cgroup could not be removed) the reaper
		// tries again.
		c.reaperW.Close()
		c.reaperW = nil
	}
	return err
}

// groupMembers lists the live processes whose process group is pgid
// (proc(5) /proc/<pid>/stat field 5), zombies left out.
func groupMembers(pgid int) []int {
	if syscall.Kill(-pgid, 0) != nil {
		return nil // no process in the group at all
	}
	d, err := os.Open(procRoot)
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	buf := make([]byte, 1024)
	var out []int
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		state, pg, ok := statStateGroup(pid, buf)
		if ok && pg == pgid && state != 'Z' && state != 'X' {
			out = append(out, pid)
		}
	}
	return out
}

// zombie reports whether pid has exited and waits to be reaped (or is gone).
func zombie(pid int) bool {
	state, _, ok := statStateGroup(pid, make([]byte, 1024))
	return !ok || state == 'Z' || state == 'X'
}

// statStateGroup reads the state (field 3) and process group (field 5) of
// /proc/<pid>/stat.
func statStateGroup(pid int, buf []byte) (byte, int, bool) {
	b, err := readSmall(procPath(pid, "stat"), buf)
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pg, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pg, true
}
