package record

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DiagnosticsSchema names the format of diagnostics.jsonl.
const DiagnosticsSchema = "oomlens/diagnostics/v1"

// SessionStart is the first record of a process in diagnostics.jsonl, written
// the first time the sampler sees it in the command's process tree.
type SessionStart struct {
	Event        string  `json:"event"`  // "session_start"
	Schema       string  `json:"schema"` // DiagnosticsSchema
	TimeS        float64 `json:"time"`   // Unix seconds, wall clock
	PID          int     `json:"pid"`
	PPID         int     `json:"ppid"`
	RSSBytes     uint64  `json:"rss_bytes"`
	RSSAnonBytes uint64  `json:"rss_anon_bytes"`
	// BootTimeS is the host boot time, Unix seconds (/proc/stat btime), so
	// that kernel `[uptime]` stamps can be put on the wall clock.
	BootTimeS int64 `json:"boot_time"`
	// MonotonicS is CLOCK_MONOTONIC at TimeS, the clock the kernel log's
	// `[uptime]` stamps follow (printk's local_clock), for a second, drift-free
	// alignment with kernel.log.
	MonotonicS float64 `json:"monotonic"`
	Comm       string  `json:"comm"`
	Cmdline    string  `json:"cmdline"`
	Worker     string  `json:"worker,omitempty"` // pytest-xdist "gw0"
}

// Sample is a periodic reading of one process's resident set.
type Sample struct {
	Event        string  `json:"event"` // "sample"
	TimeS        float64 `json:"time"`
	PID          int     `json:"pid"`
	RSSBytes     uint64  `json:"rss_bytes"`
	RSSAnonBytes uint64  `json:"rss_anon_bytes"`
	// Worker is the pytest-xdist worker id, once known; see tick.
	Worker string `json:"worker,omitempty"`
}

// identity is what a process looks like from outside: it changes at exec.
type identity struct {
	comm, cmdline string
}

// procInfo is what the sampler keeps about a process it has seen.
type procInfo struct {
	ppid   int
	worker string
	id     identity
}

// pendingSeen is a process not yet described: the identity it last showed
// and how many ticks in a row showed it.
type pendingSeen struct {
	id    identity
	ticks int
}

// forkOnlyTicks is how many ticks in a row a child must show its parent's
// own identity before it is described as it is: a child that looks exactly
// like its parent is most likely between fork and exec (under load that
// window can span several ticks), and is described once it has exec'd; one
// that never execs (a forked worker) is described after these ticks.
const forkOnlyTicks = 20

// sampler reads the memory of a process tree into diagnostics.jsonl.
type sampler struct {
	root      int
	bootTimeS int64
	useScan   bool
	aw        *asyncWriter
	w         *bufio.Writer
	enc       *json.Encoder
	err       error

	known   map[int]*procInfo   // pids already given a session_start
	pending map[int]pendingSeen // pids seen, not yet described
	parents map[int]int         // scan mode: pid -> ppid
	tree    []int
	queue   []int
	buf     []byte
	cbuf    []byte

	interval time.Duration
	stats    SamplerStats
	totalUS  float64
	now      func() time.Time
}

// newSampler returns a sampler of the tree under root that writes to w. Its
// flush at the end of a tick hands the records to a goroutine that writes
// them (asyncWriter), so a tick never waits for the disk; close waits for
// them.
func newSampler(root int, w io.Writer, bootTimeS int64) *sampler {
	aw := newAsyncWriter(w, maxQueuedBytes)
	bw := bufio.NewWriterSize(aw, 64<<10)
	s := &sampler{
		root:      root,
		bootTimeS: bootTimeS,
		useScan:   !childrenSupported(),
		aw:        aw,
		w:         bw,
		enc:       json.NewEncoder(bw),
		known:     map[int]*procInfo{},
		pending:   map[int]pendingSeen{},
		parents:   map[int]int{},
		buf:       make([]byte, 4096),
		cbuf:      make([]byte, 64<<10),
		now:       time.Now,
	}
	s.enc.SetEscapeHTML(false)
	s.stats.Discovery = "children"
	if s.useScan {
		s.stats.Discovery = "scan"
	}
	return s
}

// discover returns the pids of the tree under root, root first, breadth
// first. A descendant whose parent exited is reparented (to init or a
// subreaper) and leaves the tree.
func (s *sampler) discover() []int {
	s.tree = append(s.tree[:0], s.root)
	if s.useScan {
		if scanParents(s.parents, s.buf) != nil {
			return s.tree
		}
		if _, ok := s.parents[s.root]; !ok {
			return s.tree[:0]
		}
		for i := 0; i < len(s.tree); i++ {
			for pid, ppid := range s.parents {
				if ppid == s.tree[i] {
					s.tree = append(s.tree, pid)
				}
			}
		}
		return s.tree
	}
	for i := 0; i < len(s.tree); i++ {
		var err error
		s.tree, err = readChildren(s.tree[i], s.tree, s.cbuf)
		if err != nil && i == 0 {
			return s.tree[:0] // the root is gone
		}
	}
	return s.tree
}

// tick reads every process of the tree once, writes a session_start for each
// process seen for the first time and a sample for the others, and flushes
// the file.
func (s *sampler) tick() {
	start := s.now()
	pids := s.discover()
	for _, pid := range pids {
		m, err := readStatm(pid, s.buf)
		if err != nil || m.RSSBytes == 0 {
			// Exited since discovery, or a zombie (statm is all zeros
			// once the mm is gone): no reading, rather than a false 0.
			continue
		}
		// Each reading carries the time it was taken, not the tick's
		// start: the walk of the tree and the readings before it take
		// time, and a tick that is descheduled half-way would otherwise
		// put memory earlier than it was seen.
		t := unixS(s.now())
		info := s.known[pid]
		if info == nil {
			// CLOCK_MONOTONIC at the same moment, for session_start.
			mono := monotonicS()
			st, err := readStat(pid, s.buf)
			if err != nil {
				continue
			}
			id := identity{comm: st.Comm, cmdline: readCmdline(pid)}
			// A process seen between fork and exec still shows its
			// parent's comm and command line, and one caught inside
			// execve(2) an empty command line and environment (the
			// kernel sets them up after the exec point the parent waits
			// for). So a process is described only once two ticks in a
			// row saw the same comm and command line; until then it gets
			// no record. A process living less than two intervals may
			// therefore go unrecorded. A child that shows exactly its
			// parent's identity waits longer (forkOnlyTicks): two ticks
			// can both fall between its fork and its exec on a loaded
			// machine, and it would then be described as its parent for
			// good.
			prev, ok := s.pending[pid]
			if !ok || prev.id != id {
				s.pending[pid] = pendingSeen{id: id, ticks: 1}
				continue
			}
			prev.ticks++
			// Likewise a process whose command line stays empty: caught
			// inside execve(2) by two ticks (on a loaded machine), its
			// environ, and so its xdist worker, is not readable yet.
			if parent := s.known[st.PPID]; (id.cmdline == "" || parent != nil && parent.id == id) && prev.ticks < forkOnlyTicks {
				s.pending[pid] = prev
				continue
			}
			delete(s.pending, pid)
			info = &procInfo{ppid: st.PPID, worker: xdistWorker(pid, id.cmdline), id: id}
			s.known[pid] = info
			s.stats.Processes++
			// pytest-xdist sets PYTEST_XDIST_WORKER inside the worker
			// after it started, so the worker's own environ lacks it and
			// the processes it starts have it. A parent without it whose
			// child has it is therefore the worker: its later samples
			// carry the id.
			if parent := s.known[st.PPID]; info.worker != "" && parent != nil && parent.worker == "" {
				parent.worker = info.worker
			}
			s.put(SessionStart{
				Event: "session_start", Schema: DiagnosticsSchema, TimeS: t, PID: pid, PPID: st.PPID,
				RSSBytes: m.RSSBytes, RSSAnonBytes: m.RSSAnonBytes, BootTimeS: s.bootTimeS,
				MonotonicS: mono, Comm: id.comm, Cmdline: id.cmdline, Worker: info.worker,
			})
			continue
		}
		s.put(Sample{Event: "sample", TimeS: t, PID: pid, RSSBytes: m.RSSBytes, RSSAnonBytes: m.RSSAnonBytes, Worker: info.worker})
	}
	// Forget pids that left the tree, so that a reused pid gets a new
	// session_start.
	if len(s.known)+len(s.pending) > len(pids) {
		for pid := range s.known {
			if !slices.Contains(pids, pid) {
				delete(s.known, pid)
			}
		}
		for pid := range s.pending {
			if !slices.Contains(pids, pid) {
				delete(s.pending, pid)
			}
		}
	}
	if s.err == nil {
		s.err = s.w.Flush()
	}
	s.stats.Ticks++
	s.stats.MaxProcesses = max(s.stats.MaxProcesses, len(pids))
	took := time.Since(start)
	if took > s.interval {
		s.stats.LateTicks++
	}
	us := float64(took.Microseconds())
	s.totalUS += us
	s.stats.MaxTickUS = max(s.stats.MaxTickUS, us)
}

func (s *sampler) put(v any) {
	if s.err == nil {
		s.err = s.enc.Encode(v)
	}
}

// Readings asked for by output lines are rationed by a token bucket: a line
// gets its reading at once while tokens last (LineTickBurst of them), and
// tokens come back one per LineTickSpacing. So the boundaries of a run of
// quick tests are each read at once, and a command that prints node ids
// faster than that for long costs at most one extra tick per LineTickSpacing.
// (A wait shorter than the spacing is not used to pace them instead: Go's
// timers sleep in whole milliseconds, and every such reading would be late.)
const (
	LineTickSpacing = time.Millisecond
	LineTickBurst   = 16
)

// run ticks at once and then every interval until stop is closed. A tick
// that overruns the interval delays the next (time.Ticker drops ticks). A
// signal on kick (an output line that ended a test under pytest -v, see
// nodeLine) asks for a tick at once, rationed as above: the memory at the
// boundary between two tests, read within a fraction of a millisecond of it
// rather than up to an interval later. The periodic ticks go on at their own
// pace.
func (s *sampler) run(interval time.Duration, kick <-chan struct{}, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	s.interval = interval
	s.stats.IntervalMS = float64(interval) / float64(time.Millisecond)
	tk := time.NewTicker(interval)
	defer tk.Stop()
	wait := time.NewTimer(LineTickSpacing)
	wait.Stop()
	budget := newLineBudget(time.Now())
	for {
		s.tick()
		select {
		case <-stop:
			return
		case <-tk.C:
		case <-kick:
			s.stats.LineTicks++
			if d := budget.take(time.Now()); d > 0 {
				wait.Reset(d)
				select {
				case <-stop:
					return
				case <-wait.C:
				}
			}
		}
	}
}

// lineBudget is the token bucket of the readings asked for by lines.
type lineBudget struct {
	tokens float64
	filled time.Time
}

func newLineBudget(now time.Time) *lineBudget {
	return &lineBudget{tokens: LineTickBurst, filled: now}
}

// take spends a token and returns how long to wait for it: 0 while tokens
// last.
func (b *lineBudget) take(now time.Time) time.Duration {
	if now.After(b.filled) {
		b.tokens = min(LineTickBurst, b.tokens+float64(now.Sub(b.filled))/float64(LineTickSpacing))
		b.filled = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	// The token is spent ahead: it is there once the bucket refills to 0,
	// counted from the last fill (which is later than now when the caller
	// asks again before an earlier wait is over).
	b.filled = b.filled.Add(time.Duration(-b.tokens * float64(LineTickSpacing)))
	b.tokens = 0
	return b.filled.Sub(now)
}

// close writes out what the ticks wrote and waits until it is written. The
// sampler must not tick after it.
func (s *sampler) close() {
	if s.err == nil {
		s.err = s.w.Flush()
	}
	if err := s.aw.Close(); s.err == nil {
		s.err = err
	}
}

// Stats returns the sampler's counts and cost.
func (s *sampler) Stats() SamplerStats {
	st := s.stats
	if st.Ticks > 0 {
		st.MeanTickUS = math.Round(s.totalUS/float64(st.Ticks)*10) / 10
	}
	if s.err != nil {
		st.WriteError = s.err.Error()
	}
	return st
}

// unixS is t as Unix seconds with microsecond resolution.
func unixS(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// monotonicS reads CLOCK_MONOTONIC in seconds.
func monotonicS() float64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec/1000)/1e6
}
