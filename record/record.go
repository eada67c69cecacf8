package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sysinfo "github.com/elastic/go-sysinfo"

	"github.com/oomlens/oomlens/kmsg"
	"github.com/oomlens/oomlens/record/manifest"
)

// The files Run writes into the job folder.
const (
	OutputLogFile   = "output.log"        // the command's stdout and stderr, each line stamped
	DiagnosticsFile = "diagnostics.jsonl" // per-process memory, oomlens/diagnostics/v1
	KernelLogFile   = "kernel.log"        // kernel records since the start, dmesg format
	ManifestFile    = manifest.FileName   // how the command ran and ended, ManifestSchema
)

// ManifestSchema names the format of record.json.
const ManifestSchema = manifest.Schema

// DefaultInterval is the sampling period when Options.Interval is 0.
const DefaultInterval = 50 * time.Millisecond

// DefaultOutputGrace is how long Run keeps reading the command's output after
// the command exited, for descendants that still hold its stdout or stderr.
const DefaultOutputGrace = 2 * time.Second

// oomScoreAdjMin is OOM_SCORE_ADJ_MIN (include/uapi/linux/oom.h): the OOM
// killer never picks a process with this value.
const oomScoreAdjMin = -1000

// ErrDirNotEmpty is returned by PrepareDir for a folder that already holds
// files.
var ErrDirNotEmpty = errors.New("folder exists and is not empty")

// Options says what to run and where to record it.
type Options struct {
	// Dir is the job folder; it must exist (see PrepareDir).
	Dir string
	// Command is the program and its arguments; the program is looked up
	// in PATH.
	Command []string
	// Interval is the sampling period; 0 means DefaultInterval.
	Interval time.Duration
	// OutputGrace bounds the wait for the output pipes to close after the
	// command exited; 0 means DefaultOutputGrace.
	OutputGrace time.Duration
	// Stdin is given to the command; nil means /dev/null. An *os.File is
	// passed on as is.
	Stdin io.Reader
	// Stdout and Stderr receive the command's output as it comes; nil
	// discards it (output.log still gets it).
	Stdout, Stderr io.Writer
	// KillGrace is how long the command's processes get after SIGTERM
	// before SIGKILL; 0 means DefaultKillGrace.
	KillGrace time.Duration
}

// Manifest is record.json; its type lives with the format's reader
// (package manifest), so the writer and the readers share one definition.
type Manifest = manifest.Manifest

// The parts of the Manifest.
type (
	HostFacts    = manifest.HostFacts
	OOMScoreAdj  = manifest.OOMScoreAdj
	Priority     = manifest.Priority
	SamplerStats = manifest.SamplerStats
)

// Result is the outcome of Run.
type Result struct {
	Manifest Manifest
	// Status is the command's exit status as a shell reports it.
	Status int
}

// StartError is returned when the command could not be started. Status is
// what a shell exits with: 127 for a program not found, 126 otherwise.
type StartError struct {
	Err    error
	Status int
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// PrepareDir creates dir (and its parents). An existing folder that holds
// anything gives ErrDirNotEmpty unless force is set; then the files Run writes
// are replaced and other files are left alone.
func PrepareDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil:
		if len(entries) > 0 && !force {
			return fmt.Errorf("%s: %w (use --force to write into it)", dir, ErrDirNotEmpty)
		}
		return nil
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	default:
		return err
	}
}

// forwarded are the signals passed on to the command's process group: the
// terminal's Ctrl-C, a CI cancel or timeout, a closed terminal, Ctrl-\.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// Run runs the command, records it into o.Dir and returns how it ended. The
// command runs in a process group of its own; the signals in forwarded that
// reach the recorder are sent to that group, and Run returns (with every file
// written and closed) only when the command has ended. An error other than a
// *StartError means a file of the record could not be written; the Result is
// then still filled in as far as it goes.
func Run(o Options) (*Result, error) {
	if len(o.Command) == 0 {
		return nil, errors.New("record: no command")
	}
	interval := o.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	grace := o.OutputGrace
	if grace <= 0 {
		grace = DefaultOutputGrace
	}
	killGrace := o.KillGrace
	if killGrace <= 0 {
		killGrace = DefaultKillGrace
	}
	m := Manifest{Schema: ManifestSchema, Command: o.Command, Running: true, KillGraceMS: float64(killGrace) / float64(time.Millisecond)}
	m.Host, m.BootTime = hostFacts()

	// The kernel log position comes first, so that nothing the command
	// causes is missed.
	cursor, kerr := bounded(kmsg.Now)
	if kerr != nil {
		m.KernelLogUnavailable = kerr.Error()
	} else {
		m.KernelLogSource = string(cursor.Source())
	}

	// record.json is there from the start, and whole at every moment
	// (writeManifest renames a complete file over it), so that a recorder
	// killed at any point leaves one that says what it knew.
	if err := writeManifest(o.Dir, &m); err != nil {
		return nil, err
	}
	outFile, err := os.Create(joinDir(o.Dir, OutputLogFile))
	if err != nil {
		return nil, err
	}
	out := newStampedLog(outFile)
	diagFile, err := os.Create(joinDir(o.Dir, DiagnosticsFile))
	if err != nil {
		out.Close()
		return nil, err
	}

	var pipes [2]struct {
		r *rawPipe
		w *os.File
	}
	for i := range pipes {
		if pipes[i].r, pipes[i].w, err = newRawPipe(); err != nil {
			out.Close()
			diagFile.Close()
			return nil, err
		}
	}
	cmd := exec.Command(o.Command[0], o.Command[1:]...)
	cmd.Env, m.EnvAdded = commandEnv(os.Environ())
	cmd.Stdin = o.Stdin
	cmd.Stdout, cmd.Stderr = pipes[0].w, pipes[1].w
	// PR_SET_PDEATHSIG: the kernel kills the direct child when the
	// recorder dies, whatever killed it (the reaper takes care of the
	// rest). It fires when the thread that forked exits, so the start
	// runs on a thread locked until the command was reaped (startLocked).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = grace
	cg, cgErr := newCgroup()
	if cgErr != nil {
		m.CgroupUnavailable = cgErr.Error()
	} else if sh, err := exec.LookPath("sh"); err != nil || lookErr(o.Command[0]) != nil {
		// Without sh the command is moved into the cgroup right after its
		// start; a program not found is reported as it is.
	} else {
		cmd.Args = append([]string{"sh", "-c", cgroupWrapper, cg.dir, cmd.Path}, o.Command[1:]...)
		cmd.Path = sh
	}
	cleanCgroup := func() {
		if cg != nil {
			_ = cg.remove()
		}
	}

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	// A closed terminal or pager must not kill the recorder (Go exits on
	// SIGPIPE for a write to fd 1 or 2 unless SIGPIPE is notified); the
	// command is unaffected: a caught signal is reset to default at exec.
	pipeSigs := make(chan os.Signal, 1)
	signal.Notify(pipeSigs, syscall.SIGPIPE)
	defer signal.Stop(pipeSigs)

	// The command is started before the recorder lowers its own
	// oom_score_adj, so it inherits the original value at fork, before it
	// can start processes of its own.
	m.OOMScoreAdj.Original, _ = readOOMScoreAdj("self")
	m.OOMScoreAdj.Recorder = m.OOMScoreAdj.Original
	start := time.Now()
	m.Start = start.UTC().Format(time.RFC3339Nano)
	release := make(chan struct{})
	defer close(release)
	if err := startLocked(cmd, release); err != nil {
		cleanCgroup()
		for _, p := range pipes {
			p.r.Close()
			p.w.Close()
		}
		m.End = time.Now().UTC().Format(time.RFC3339Nano)
		status := 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			status = 127
		}
		m.Status, m.Error = status, err.Error()
		m.Running = false
		out.Close()
		diagFile.Close()
		_ = writeManifest(o.Dir, &m)
		return &Result{Manifest: m, Status: status}, &StartError{Err: err, Status: status}
	}
	pipes[0].w.Close()
	pipes[1].w.Close()
	pid := cmd.Process.Pid
	m.PID = pid
	ctn := &containment{pgid: pid}
	if cg != nil {
		// The wrapper moved itself already; this covers a wrapper that
		// could not, and a start without sh.
		if err := cg.add(pid); err != nil {
			m.CgroupUnavailable = err.Error()
			cleanCgroup()
		} else {
			ctn.cg, m.Cgroup = cg, cg.path
		}
	}
	defer ctn.close()
	if err := writeOOMScoreAdj("self", oomScoreAdjMin); err != nil {
		m.OOMScoreAdj.Unprotected = err.Error()
	} else {
		m.OOMScoreAdj.Recorder = oomScoreAdjMin
	}
	// The reaper is started after the recorder lowered its oom_score_adj
	// and inherits it: the OOM killer leaves the cleanup alone.
	if rc, w, err := startReaper(pid, ctn.cg, o.Dir); err != nil {
		m.ReaperUnavailable = err.Error()
	} else {
		ctn.reaper, ctn.reaperW = rc, w
	}
	if v, err := readOOMScoreAdj(strconv.Itoa(pid)); err == nil {
		m.OOMScoreAdj.Command = &v
	}
	// Likewise the CPU priority: the command keeps the caller's.
	m.Priority.Original, _ = niceOf(0)
	m.Priority.Recorder = m.Priority.Original
	if m.Priority.Original > recorderNice {
		if err := setRecorderNice(recorderNice); err != nil {
			m.Priority.Unraised = "setpriority: " + err.Error()
			_ = setRecorderNice(m.Priority.Original) // threads that took it go back
		} else {
			m.Priority.Recorder = recorderNice
		}
	}

	// The sampler reads the tree at once when a line naming a test ends
	// (see sampler.run); the channel holds one request, later ones merge.
	kick := make(chan struct{}, 1)
	out.kick = kick
	var pumps sync.WaitGroup
	pumps.Add(2)
	for i, term := range []io.Writer{o.Stdout, o.Stderr} {
		go func() {
			defer pumps.Done()
			pump(pipes[i].r, term, out.stream())
		}()
	}
	smp := newSampler(pid, diagFile, m.BootTime)
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go smp.run(interval, kick, stopSampling, &sampling)

	var manifestErr error
	if err := writeManifest(o.Dir, &m); err != nil {
		manifestErr = err
	}
	waited := make(chan error, 1)
	go func() { waited <- waitProcess(cmd) }()
	var waitErr error
	var escalate <-chan time.Time
wait:
	for {
		select {
		case sig := <-sigs:
			// Forward to the whole group and the cgroup: the command and
			// whatever it started (pytest-xdist workers keep the group).
			if ctn.signal(sig.(syscall.Signal)) {
				m.ForwardedSignals = append(m.ForwardedSignals, sig.String())
			}
			if escalate == nil {
				escalate = time.After(killGrace)
			}
			_ = writeManifest(o.Dir, &m)
		case <-escalate:
			// The command ignored the signal, or takes too long over it.
			m.Escalated = true
			ctn.signal(syscall.SIGKILL)
			_ = writeManifest(o.Dir, &m)
		case waitErr = <-waited:
			break wait
		}
	}
	// What the command left running gets SIGTERM, then SIGKILL.
	m.LeftoverProcesses, m.LeftoverSignal = ctn.end(killGrace)
	close(stopSampling)
	sampling.Wait()
	end := time.Now()
	m.End = end.UTC().Format(time.RFC3339Nano)

	// Descendants may still hold the pipes: read on for the grace period,
	// then stop, so that the record is complete when the command is.
	pumped := make(chan struct{})
	go func() { pumps.Wait(); close(pumped) }()
	select {
	case <-pumped:
	case <-time.After(grace):
		m.OutputTruncated = true
		pipes[0].r.Stop()
		pipes[1].r.Stop()
		<-pumped
	}
	pipes[0].r.Close()
	pipes[1].r.Close()

	var errs []error
	if waitErr != nil && cmd.ProcessState == nil {
		errs = append(errs, fmt.Errorf("record: wait: %w", waitErr))
	}
	if cmd.ProcessState != nil {
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		switch {
		case ws.Signaled():
			sig, n := ws.Signal().String(), int(ws.Signal())
			m.Signal, m.SignalNumber, m.CoreDumped = &sig, &n, ws.CoreDump()
			m.Status = 128 + n
		default:
			code := ws.ExitStatus()
			m.ExitCode, m.Status = &code, code
		}
	}
	if err := out.Close(); err != nil {
		errs = append(errs, fmt.Errorf("record: %s: %w", OutputLogFile, err))
	}
	smp.close()
	m.Sampler = smp.Stats()
	if err := diagFile.Close(); err != nil {
		errs = append(errs, fmt.Errorf("record: %s: %w", DiagnosticsFile, err))
	}
	if kerr == nil {
		if err := writeKernelLog(o.Dir, cursor, &m); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ctn.close(); err != nil {
		errs = append(errs, fmt.Errorf("record: %w", err))
	}
	if manifestErr != nil {
		errs = append(errs, manifestErr)
	}
	m.Running = false
	if err := writeManifest(o.Dir, &m); err != nil {
		errs = append(errs, err)
	}
	if m.OOMScoreAdj.Recorder != m.OOMScoreAdj.Original {
		_ = writeOOMScoreAdj("self", m.OOMScoreAdj.Original)
	}
	if m.Priority.Recorder != m.Priority.Original {
		_ = setRecorderNice(m.Priority.Original)
	}
	return &Result{Manifest: m, Status: m.Status}, errors.Join(errs...)
}

// waitProcess waits for the command; an *exec.ExitError (a non-zero status or
// a signal) is an outcome, not an error, and so is the WaitDelay expiry
// (exec.ErrWaitDelay) when descendants hold the pipes.
func waitProcess(cmd *exec.Cmd) error {
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) || errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	return err
}

// commandEnv is the command's environment: the recorder's own, with
// PYTHONUNBUFFERED=1 added unless it is there already (whatever its value:
// the user's choice stands). The variables added are returned for
// record.json.
//
// A Python program whose stdout is a pipe block-buffers it (8 KiB), so what
// it prints reaches output.log, and gets its stamp, only when the buffer
// fills or is flushed. pytest flushes its own terminal lines (terminal.py
// calls flush() at each test's start and outcome), but print() output, the
// session header, logging to a stream and other Python programs do not.
// PYTHONUNBUFFERED makes Python write each line as it is printed, so every
// line is stamped when it was written; the program's output is otherwise the
// same. A pty would also line-buffer C programs' stdio, but it merges stdout
// and stderr into one stream and makes isatty() true, so that pytest colours
// and rewrites its lines and other programs page or prompt: the recorder
// keeps pipes.
func commandEnv(env []string) ([]string, map[string]string) {
	for _, kv := range env {
		if strings.HasPrefix(kv, "PYTHONUNBUFFERED=") {
			return env, nil
		}
	}
	out := append(env[:len(env):len(env)], "PYTHONUNBUFFERED=1")
	return out, map[string]string{"PYTHONUNBUFFERED": "1"}
}

// KernelLogTimeout bounds each read of the kernel log. The kernel log is a
// side channel: a reader that blocks (a device that never reports its end, a
// hung dmesg) must neither keep the command from starting nor keep the
// recorder from finishing the folder.
const KernelLogTimeout = 5 * time.Second

// bounded runs f and gives up after KernelLogTimeout; f is then left to
// finish on its own.
func bounded[T any](f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(KernelLogTimeout):
		var zero T
		return zero, fmt.Errorf("kernel log: no answer within %v", KernelLogTimeout)
	}
}

// writeKernelLog reads the kernel records appended since the cursor into
// KernelLogFile and notes the outcome in m.
func writeKernelLog(dir string, cursor kmsg.Cursor, m *Manifest) error {
	log, err := bounded(cursor.ReadNew)
	var gap *kmsg.GapError
	switch {
	case errors.As(err, &gap):
		m.KernelLogWarning = err.Error()
	case err != nil:
		m.KernelLogUnavailable = err.Error()
		return nil
	}
	if err := os.WriteFile(joinDir(dir, KernelLogFile), log, 0o644); err != nil {
		m.KernelLogUnavailable = err.Error()
		return fmt.Errorf("record: %s: %w", KernelLogFile, err)
	}
	name := KernelLogFile
	m.KernelLog = &name
	return nil
}

// writeManifest replaces record.json whole: it writes a temporary file in
// the same folder and renames it over record.json (rename(2) is atomic), so
// a reader, or a recorder killed mid-write, never sees half a file. A
// temporary file left by a recorder killed before the rename is removed by
// the reaper.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if dir == "" {
		dir = "."
	}
	fail := func(err error) error { return fmt.Errorf("record: %s: %w", ManifestFile, err) }
	f, err := os.CreateTemp(dir, "."+ManifestFile+".*.tmp")
	if err != nil {
		return fail(err)
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o644)); err != nil {
		os.Remove(f.Name())
		return fail(err)
	}
	if err := os.Rename(f.Name(), joinDir(dir, ManifestFile)); err != nil {
		os.Remove(f.Name())
		return fail(err)
	}
	return nil
}

// lookErr is the error starting prog would give for a program not found or
// not executable, so that it is reported as such rather than by the
// wrapper's shell.
func lookErr(prog string) error {
	_, err := exec.LookPath(prog)
	return err
}

// startLocked starts cmd on an OS thread that stays locked to its goroutine
// until release is closed: PR_SET_PDEATHSIG is delivered when the thread
// that forked the child exits (prctl(2)), and the runtime ends a thread
// whose goroutine exits locked.
func startLocked(cmd *exec.Cmd, release <-chan struct{}) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err != nil {
			runtime.UnlockOSThread()
			return
		}
		<-release
		runtime.UnlockOSThread()
	}()
	return <-started
}

// hostFacts asks go-sysinfo about the machine. The boot time is /proc/stat
// btime (go-sysinfo reads it there on Linux), whole seconds.
func hostFacts() (HostFacts, int64) {
	var hf HostFacts
	h, err := sysinfo.Host()
	if err != nil {
		hf.Error = err.Error()
		return hf, 0
	}
	info := h.Info()
	hf.Hostname, hf.Kernel, hf.Architecture = info.Hostname, info.KernelVersion, info.Architecture
	hf.Containerized = info.Containerized
	if info.OS != nil {
		hf.OS = strings.TrimSpace(info.OS.Name + " " + info.OS.Version)
	}
	if mem, err := h.Memory(); err == nil {
		hf.MemoryTotalBytes = mem.Total
	} else {
		hf.Error = err.Error()
	}
	return hf, info.BootTime.Unix()
}

// readOOMScoreAdj reads /proc/<who>/oom_score_adj ("self" or a pid).
func readOOMScoreAdj(who string) (int, error) {
	b, err := os.ReadFile(procRoot + "/" + who + "/oom_score_adj")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// writeOOMScoreAdj sets /proc/<who>/oom_score_adj. Lowering it needs
// CAP_SYS_RESOURCE (proc(5)); raising it back does not.
func writeOOMScoreAdj(who string, v int) error {
	return os.WriteFile(procRoot+"/"+who+"/oom_score_adj", []byte(strconv.Itoa(v)), 0)
}

func joinDir(dir, name string) string {
	if dir == "" {
		return name
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}
