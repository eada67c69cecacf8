package job

import (
	"container/heap"
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oomlens/oomlens/correlate"
)

// One job is one run: the inputs of two runs must never be merged into one
// verdict (the kill of one run's process blamed on the leaks of the other).
// Runs finds the runs the inputs of a job come from, by this rule:
//
//   - Only test sessions make runs: a pytest log with a session in it, a
//     diagnostics file whose session_start is not an xdist worker's, a
//     record.json of `oomlens record`.
//   - An xdist worker's diagnostics belong to their controller's run, and
//     make none of their own (the controller writes no file).
//   - Kernel logs never make a run: one host's log holds many boots and
//     other processes, and two renderings of one log (dmesg, journalctl)
//     are one. JUnit XML, collection lists, cores and weathercop logs make
//     none either.
//   - Inputs of different kinds are of one run when nothing in them says
//     otherwise: their wall-clock spans overlap (with runSlack to spare),
//     their boot times agree, and the tests a pytest log reports come in
//     the order its diagnostics started them (one list a prefix of the
//     other). So one run spread over two folders is one run.
//   - Two inputs of one kind are two runs: two pytest logs (two runs of a
//     deterministic suite print the same log byte for byte, so the content
//     cannot tell one run rendered twice from two runs), two diagnostics
//     files of different processes (pid; the same pid and boot are one
//     process), two record.json files of different starts.

// runSlack is how far apart the wall-clock spans of two inputs of one run
// may be: a CI runner stamps a line when it arrives, a buffered log lags
// behind the diagnostics file, fsync'd line by line.
const runSlack = 2 * time.Minute

// Run is one test run among the inputs of a job.
type Run struct {
	// Inputs are the paths of the inputs that make the run, in the order
	// the job lists them.
	Inputs []string
}

// Folders are the folders of the run's inputs (the archive, for members of
// one), each once, in the order of the inputs.
func (r Run) Folders() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range r.Inputs {
		d := path.Dir(p)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// RunsError is the refusal of the inputs of more than one run.
type RunsError struct {
	Runs []Run
}

// The refusal lists at most maxListedRuns runs and maxListedInputs inputs
// of each, and says how many more: a folder of 10,000 pytest logs is a
// message of a few lines, not of 10,000.
const (
	maxListedRuns   = 20
	maxListedInputs = 10
)

func (e *RunsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the inputs are of %d runs, and one job is one run:", len(e.Runs))
	for i, r := range e.Runs {
		if i == maxListedRuns {
			more := 0
			for _, r := range e.Runs[i:] {
				more += len(r.Inputs)
			}
			fmt.Fprintf(&b, "\n  and %d more runs (%d inputs)", len(e.Runs)-i, more)
			break
		}
		fmt.Fprintf(&b, "\n  run %d: %s", i+1, describeRun(r))
	}
	return b.String()
}

// describeRun names a run's inputs folder by folder, "dir/ (a.log,
// b.jsonl)", at most maxListedInputs of them: "…; and 3 more inputs".
func describeRun(r Run) string {
	inputs := r.Inputs
	if len(inputs) > maxListedInputs {
		inputs = inputs[:maxListedInputs]
	}
	byDir := map[string][]string{}
	for _, p := range inputs {
		d := path.Dir(p)
		byDir[d] = append(byDir[d], path.Base(p))
	}
	var parts []string
	for _, d := range (Run{Inputs: inputs}).Folders() {
		parts = append(parts, fmt.Sprintf("%s/ (%s)", strings.TrimSuffix(d, "/"), strings.Join(byDir[d], ", ")))
	}
	if more := len(r.Inputs) - len(inputs); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more inputs", more))
	}
	return strings.Join(parts, "; ")
}

// maker kinds, in the order runs are seeded: the inputs that carry a
// process identity first.
const (
	makerRecord = iota
	makerDiagnostics
	makerPytest
)

// maker is an input that makes a run, with what identifies it.
type maker struct {
	path     string
	order    int // the input's place in the job
	kind     int
	pid      int     // diagnostics: the process
	bootTime float64 // Unix seconds, 0 when unknown
	from, to time.Time
	hasSpan  bool
	// tests are the node ids in the order the input saw them: distinct once
	// group needs them so (a diagnostics file's are its session's test
	// starts as read, a pytest log's its results, repeats and all, until
	// then).
	tests      []string
	distinct   bool
	xdist      bool   // a pytest log of an xdist run: results come in worker order
	recordFrom string // record.json: its start, as written
	key        string // the identity two inputs of its kind share when they are one run rendered twice ("" = none)
	node       int    // its tests' node in the grouper's trie (-1 when not ordered)
	dir        string // path.Dir(path)
}

// Runs groups the run-making inputs of ev into runs (see the rule above).
// Evidence with no run-making input is one run of no inputs (nil).
func Runs(ev *correlate.Evidence) []Run {
	order := map[string]int{}
	for i, in := range ev.Inputs {
		order[in.Path] = i
	}
	var makers []*maker
	for _, r := range ev.Records {
		m := &maker{path: r.Path, order: order[r.Path], kind: makerRecord, bootTime: float64(r.Manifest.BootTime), recordFrom: r.Manifest.Start, key: r.Manifest.Start}
		from, err1 := time.Parse(time.RFC3339Nano, r.Manifest.Start)
		to, err2 := time.Parse(time.RFC3339Nano, r.Manifest.End)
		if err1 == nil {
			if err2 != nil || to.Before(from) {
				to = from
			}
			m.from, m.to, m.hasSpan = from, to, true
		}
		makers = append(makers, m)
	}
	for _, d := range ev.Diagnostics {
		if m := diagnosticsMaker(d); m != nil {
			m.order = order[d.Path]
			makers = append(makers, m)
		}
	}
	for _, p := range ev.Pytest {
		if p.Log == nil || len(p.Log.Sessions) == 0 {
			continue
		}
		m := &maker{path: p.Path, order: order[p.Path], kind: makerPytest}
		n := 0
		for _, s := range p.Log.Sessions {
			n += len(s.Tests)
		}
		m.tests = make([]string, 0, n) // made distinct only when compared (group)
		for _, s := range p.Log.Sessions {
			m.xdist = m.xdist || s.Workers != nil || strings.HasPrefix(s.Mode, "xdist")
			for _, t := range s.Tests {
				if t.NodeID != "" {
					m.tests = append(m.tests, t.NodeID)
				}
				for _, st := range [2]struct {
					at  time.Time
					has bool
				}{{t.Start, t.HasStart}, {t.End, t.HasEnd}} {
					if st.has {
						m.widen(st.at)
					}
				}
			}
		}
		makers = append(makers, m)
	}
	sortMakers(makers)
	runs := group(makers)
	out := make([]Run, len(runs))
	for i, run := range runs {
		sort.SliceStable(run, func(a, b int) bool { return run[a].order < run[b].order })
		for _, m := range run {
			out[i].Inputs = append(out[i].Inputs, m.path)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].Inputs[0]] < order[out[j].Inputs[0]] })
	return out
}

// sortMakers puts makers in the order they are grouped: by kind, then in
// the order of the job.
func sortMakers(makers []*maker) {
	sort.SliceStable(makers, func(i, j int) bool {
		if makers[i].kind != makers[j].kind {
			return makers[i].kind < makers[j].kind
		}
		return makers[i].order < makers[j].order
	})
}

// group puts makers into runs, kind by kind (records, then diagnostics, then
// pytest logs). Within a kind, the input and run that share the most
// (a folder, an overlapping span, tests in one order) are joined first, so
// that a run's own log is not taken by another run's diagnostics merely for
// coming first; ties go to the input, then the run, that came first; an
// input that fits no run makes one.
//
// The cost is bounded by the number of pairs of an input and a run open to
// its kind, each checked in constant time against what the run's inputs
// have in common (runState), never against each input of the run: a pytest
// log is never checked against a run that holds one, so 10,000 pytest logs
// are 10,000 runs in linear time (it was cubic: 885 s for 10,000). Memory
// is linear in the inputs and their tests.
func group(makers []*maker) [][]*maker {
	g := &grouper{}
	ordered, nodes := 0, 0 // nodes: room for the longest list (those of one run share it)
	for _, m := range makers {
		m.dir, m.node = path.Dir(m.path), -1
		if m.ordered() {
			ordered++
			nodes = max(nodes, len(m.tests))
		}
	}
	// Test orders are compared only between two inputs that have one: a
	// job of one diagnostics file (or one pytest log) builds no trie. A
	// trie of a 500,000-test file took ~270 MB, most of analyze's memory
	// on it (scripts/bench-analyze.sh, issue 18). Nor do lists that are,
	// as read, prefixes of the longest (see prefixChain).
	if ordered >= 2 && !prefixChain(makers) {
		g.trie = newTestTrie(nodes)
		for _, m := range makers {
			if m.ordered() {
				m.distinctTests()
				m.node = g.trie.add(m.tests)
			}
		}
		g.trie.number()
	}
	for start := 0; start < len(makers); {
		end := start
		for end < len(makers) && makers[end].kind == makers[start].kind {
			end++
		}
		g.pass(makers[start:end])
		start = end
	}
	out := make([][]*maker, len(g.runs))
	for i, r := range g.runs {
		out[i] = r.members
	}
	return out
}

// grouper holds the runs made so far.
type grouper struct {
	runs    []*runState
	dirs    map[runDir]int   // inputs of a run in a folder
	dirRuns map[string][]int // the runs with an input in a folder
	trie    *testTrie
	// The most inputs with a span, and with tests in one order, of any
	// run: what a run outside an input's folder can score at most.
	maxSpans, maxOrdered int
	// Of the pass under way: the runs with no input of its kind, in the
	// order they were made, and those whose inputs of its kind share an
	// identity (pid, record start), by that identity.
	free  []int
	byKey map[string][]int
}

type runDir struct {
	run int
	dir string
}

// runState is what the inputs of a run have in common, enough to tell
// whether another input fits (agree with each of them) and its score.
type runState struct {
	members []*maker
	has     [3]bool   // an input of each maker kind
	key     [3]string // the identity the inputs of a kind share; "" = no more of that kind
	spans   int       // inputs with a span, and the latest start and earliest end of those
	maxFrom time.Time
	minTo   time.Time
	boots   int // inputs with a boot time, and its range
	minBoot float64
	maxBoot float64
	ordered int // inputs with tests in one order, all prefixes of the longest
	longest int // its node in the trie
}

// pass groups the makers of one kind.
func (g *grouper) pass(todo []*maker) {
	if g.dirs == nil {
		g.dirs, g.dirRuns = map[runDir]int{}, map[string][]int{}
	}
	g.free = g.free[:0]
	for r := range g.runs {
		g.free = append(g.free, r) // no run has an input of a kind not yet seen
	}
	g.byKey = map[string][]int{}
	sameKey := map[string][]int{} // todo indexes by identity
	for i, m := range todo {
		if m.key != "" {
			sameKey[m.key] = append(sameKey[m.key], i)
		}
	}
	done := make([]bool, len(todo))
	h := &pairHeap{}
	push := func(i int) {
		if r, sc := g.best(todo[i]); r >= 0 {
			heap.Push(h, pair{score: sc, input: i, run: r})
		}
	}
	if len(g.runs) > 0 {
		for i := range todo {
			push(i)
		}
	}
	next := 0 // the first input not yet placed
	for {
		var p pair
		switch {
		case h.Len() > 0:
			p = heap.Pop(h).(pair)
			if done[p.input] {
				continue
			}
			m := todo[p.input]
			if r := g.runs[p.run]; !r.fits(g, m) || g.score(p.run, m) != p.score {
				push(p.input) // the run took another input, or grew: look again
				continue
			}
		default:
			for next < len(todo) && done[next] {
				next++
			}
			if next == len(todo) {
				return
			}
			// Nothing left fits a run: the first input left makes one.
			g.runs = append(g.runs, &runState{})
			p = pair{input: next, run: len(g.runs) - 1}
		}
		m := todo[p.input]
		done[p.input] = true
		g.join(p.run, m)
		// Inputs of the same identity may now fit, or fit better.
		for _, j := range sameKey[m.key] {
			if !done[j] && g.runs[p.run].fits(g, todo[j]) {
				heap.Push(h, pair{score: g.score(p.run, todo[j]), input: j, run: p.run})
			}
		}
	}
}

// best is the run m fits best (the first of equals), -1 for none. The runs
// of m's folder are tried first: when one of them scores more than any run
// outside the folder can, the others are not looked at (a folder per run:
// each input's own run is found in constant time).
func (g *grouper) best(m *maker) (run, score int) {
	run, score = -1, -1
	try := func(r int) {
		if !g.runs[r].fits(g, m) {
			return
		}
		if sc := g.score(r, m); sc > score || sc == score && r < run {
			run, score = r, sc
		}
	}
	for _, r := range g.dirRuns[m.dir] {
		try(r)
	}
	outside := 0
	if m.hasSpan {
		outside += g.maxSpans
	}
	if m.ordered() {
		outside += g.maxOrdered
	}
	if score > outside {
		return run, score
	}
	live := g.free[:0]
	for _, r := range g.free {
		if !g.runs[r].has[m.kind] {
			live = append(live, r)
			try(r)
		}
	}
	g.free = live
	if m.key != "" {
		for _, r := range g.byKey[m.key] {
			try(r)
		}
	}
	return run, score
}

// join adds m to run r.
func (g *grouper) join(r int, m *maker) {
	s := g.runs[r]
	if !s.has[m.kind] {
		s.has[m.kind], s.key[m.kind] = true, m.key
		if m.key != "" {
			g.byKey[m.key] = append(g.byKey[m.key], r)
		}
	}
	s.members = append(s.members, m)
	if g.dirs[runDir{r, m.dir}]++; g.dirs[runDir{r, m.dir}] == 1 {
		g.dirRuns[m.dir] = append(g.dirRuns[m.dir], r)
	}
	if m.hasSpan {
		if s.spans == 0 || m.from.After(s.maxFrom) {
			s.maxFrom = m.from
		}
		if s.spans == 0 || m.to.Before(s.minTo) {
			s.minTo = m.to
		}
		s.spans++
		g.maxSpans = max(g.maxSpans, s.spans)
	}
	if m.bootTime > 0 {
		if s.boots == 0 || m.bootTime < s.minBoot {
			s.minBoot = m.bootTime
		}
		if s.boots == 0 || m.bootTime > s.maxBoot {
			s.maxBoot = m.bootTime
		}
		s.boots++
	}
	if m.ordered() {
		// (s.ordered > 0 only with a second ordered input: then the trie
		// is built.)
		if g.trie != nil && (s.ordered == 0 || len(m.tests) > g.trie.depth[s.longest]) {
			s.longest = m.node
		}
		s.ordered++
		g.maxOrdered = max(g.maxOrdered, s.ordered)
	}
}

// score counts what m shares with the inputs of run r: one for each input
// in m's folder, with a span (when m has one: fits checked that they
// overlap), and with tests in m's order (when m's tests are in one order).
func (g *grouper) score(r int, m *maker) int {
	s := g.runs[r]
	n := g.dirs[runDir{r, m.dir}]
	if m.hasSpan {
		n += s.spans
	}
	if m.ordered() {
		n += s.ordered
	}
	return n
}

// pair is an input and a run it fits, with its score.
type pair struct{ score, input, run int }

// pairHeap pops the highest score first, then the first input, then the
// first run.
type pairHeap []pair

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.score != b.score {
		return a.score > b.score
	}
	if a.input != b.input {
		return a.input < b.input
	}
	return a.run < b.run
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pair)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// testTrie numbers the distinct prefixes of the inputs' test lists, so
// that "one list is a prefix of the other" is two comparisons of numbers:
// a node is an ancestor of another when its interval of the depth-first
// order holds the other's.
//
// A node's children are a list (first, next) searched by comparing node
// ids; only a node with more than trieListMax children has them indexed
// by id as well, so that 10,000 lists that part at their first test are
// still added in linear time. Most nodes have one child (the lists of one
// run's inputs are prefixes of one another): hashing every id into one map,
// and a slice of children per node, were most of Runs' cost for a batch job
// (go test ./batch -bench Run).
type testTrie struct {
	id          []string // the test each node adds to its parent's list
	depth       []int
	first, last []int            // children, in the order they were added; -1 for none
	next        []int            // the next sibling; -1 for none
	kids        []int            // how many children
	child       map[trieEdge]int // the children of nodes with more than trieListMax
	in, out     []int
}

// trieListMax is the most children a node searches as a list.
const trieListMax = 8

type trieEdge struct {
	parent int
	id     string
}

// newTestTrie is a trie of the root alone, with room for nodes more.
func newTestTrie(nodes int) *testTrie {
	t := &testTrie{
		id: make([]string, 1, nodes+1), depth: make([]int, 1, nodes+1),
		first: make([]int, 1, nodes+1), last: make([]int, 1, nodes+1),
		next: make([]int, 1, nodes+1), kids: make([]int, 1, nodes+1),
	}
	t.first[0], t.last[0], t.next[0] = -1, -1, -1
	return t
}

// add returns the node of tests.
func (t *testTrie) add(tests []string) int {
	n := 0
	for _, id := range tests {
		c := t.find(n, id)
		if c < 0 {
			c = t.newChild(n, id)
		}
		n = c
	}
	return n
}

// find is the child of n that adds id, -1 for none.
func (t *testTrie) find(n int, id string) int {
	if t.kids[n] > trieListMax {
		if c, ok := t.child[trieEdge{n, id}]; ok {
			return c
		}
		return -1
	}
	for c := t.first[n]; c >= 0; c = t.next[c] {
		if t.id[c] == id {
			return c
		}
	}
	return -1
}

// newChild adds the child of n that adds id.
func (t *testTrie) newChild(n int, id string) int {
	c := len(t.id)
	t.id = append(t.id, id)
	t.depth = append(t.depth, t.depth[n]+1)
	t.first, t.last, t.next = append(t.first, -1), append(t.last, -1), append(t.next, -1)
	t.kids = append(t.kids, 0)
	if t.last[n] < 0 {
		t.first[n] = c
	} else {
		t.next[t.last[n]] = c
	}
	t.last[n] = c
	t.kids[n]++
	switch {
	case t.kids[n] == trieListMax+1:
		// Past the list's length: index all of n's children.
		if t.child == nil {
			t.child = map[trieEdge]int{}
		}
		for k := t.first[n]; k >= 0; k = t.next[k] {
			t.child[trieEdge{n, t.id[k]}] = k
		}
	case t.kids[n] > trieListMax:
		t.child[trieEdge{n, id}] = c
	}
	return c
}

// number orders the nodes depth first (without recursion: a list of
// 100,000 tests is a path 100,000 deep).
func (t *testTrie) number() {
	t.in, t.out = make([]int, len(t.id)), make([]int, len(t.id))
	clock := 0
	type frame struct{ node, next int } // next: the child to visit next
	stack := []frame{{0, t.first[0]}}
	t.in[0] = clock
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if c := f.next; c >= 0 {
			f.next = t.next[c]
			clock++
			t.in[c] = clock
			stack = append(stack, frame{c, t.first[c]})
			continue
		}
		t.out[f.node] = clock
		stack = stack[:len(stack)-1]
	}
}

// prefixes reports that the lists of nodes a and b are one a prefix of the
// other.
func (t *testTrie) prefixes(a, b int) bool {
	return t.in[a] <= t.in[b] && t.out[b] <= t.out[a] || t.in[b] <= t.in[a] && t.out[a] <= t.out[b]
}

// diagnosticsMaker is the run a diagnostics file makes: nil for an xdist
// worker's file, or one without a session_start (cut before it, or a
// summary of another tool).
func diagnosticsMaker(d correlate.DiagnosticsInput) *maker {
	s, ok := d.Session()
	if !ok {
		return nil
	}
	m := &maker{path: d.Path, kind: makerDiagnostics, pid: s.PID}
	if s.PID != 0 {
		m.key = strconv.Itoa(s.PID) // the same process's file, given twice
	}
	if s.HasBootTime {
		m.bootTime = s.BootTime
	}
	if s.HasSpan {
		for _, t := range []float64{s.FromUnix, s.ToUnix} {
			sec, frac := math.Modf(t)
			m.widen(time.Unix(int64(sec), int64(frac*1e9)))
		}
	}
	m.tests = s.Tests // made distinct only when compared (group)
	return m
}

// prefixChain reports that the test lists of the ordered makers, as read,
// are each a prefix of the longest. Then their distinct lists are too (the
// repeats dropped from a prefix of a list are those dropped from the list's
// start), so every two of them agree and group needs no trie, nor the
// distinct lists: a batch job's pytest log and diagnostics file, whose
// tests come in one order, are compared in one pass without a map (the
// maps and the trie were ~4% of a batch job's CPU, go test ./batch -bench
// Run). When it does not hold (a list parts from the longest, or repeats a
// test the other does not), the trie decides.
func prefixChain(makers []*maker) bool {
	var longest []string
	for _, m := range makers {
		if m.ordered() && len(m.tests) > len(longest) {
			longest = m.tests
		}
	}
	for _, m := range makers {
		if m.ordered() && !slices.Equal(m.tests, longest[:len(m.tests)]) {
			return false
		}
	}
	return true
}

// distinctTests drops the repeats of m.tests (a rerun test's later
// starts), keeping the first of each, into a list of m's own.
func (m *maker) distinctTests() {
	if m.distinct {
		return
	}
	m.distinct = true
	seen := make(map[string]bool, len(m.tests))
	tests := make([]string, 0, len(m.tests))
	for _, id := range m.tests {
		if !seen[id] {
			seen[id] = true
			tests = append(tests, id)
		}
	}
	m.tests = tests
}

func (m *maker) widen(t time.Time) {
	if !m.hasSpan {
		m.from, m.to, m.hasSpan = t, t, true
		return
	}
	if t.Before(m.from) {
		m.from = t
	}
	if t.After(m.to) {
		m.to = t
	}
}

// ordered reports that m's tests are in one order that another input's
// must agree with: not an xdist log (results come in worker order).
func (m *maker) ordered() bool { return !m.xdist && len(m.tests) > 0 }

// fits reports whether m can be of the run: the run has no input of m's
// kind that is another run's (of another process, another record), and
// nothing in m contradicts any of its inputs: their boot times agree (2 s:
// boot_time is whole seconds, read at different moments), their spans
// overlap with runSlack to spare, and their tests come in one order (one
// list a prefix of the other; the run's lists are all prefixes of its
// longest).
func (s *runState) fits(g *grouper, m *maker) bool {
	if s.has[m.kind] && (s.key[m.kind] == "" || s.key[m.kind] != m.key) {
		return false
	}
	if m.bootTime > 0 && s.boots > 0 && (math.Abs(m.bootTime-s.minBoot) > 2 || math.Abs(m.bootTime-s.maxBoot) > 2) {
		return false
	}
	if m.hasSpan && s.spans > 0 && (s.maxFrom.After(m.to.Add(runSlack)) || m.from.After(s.minTo.Add(runSlack))) {
		return false
	}
	return !m.ordered() || s.ordered == 0 || g.trie == nil || g.trie.prefixes(m.node, s.longest)
}
