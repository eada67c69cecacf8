package job

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path"
	"reflect"
	"testing"
	"time"
)

// The grouping as it was before it was made linear (job/runs.go at
// b68b3a6): every pair of an input and a run, every input of the run,
// for every input placed. It is the reference TestGroupMatchesReference
// holds group to on random inputs.

// group puts makers into runs, kind by kind (records, then diagnostics, then
// pytest logs). Within a kind, the input and run that share the most
// (a folder, an overlapping span, tests in one order) are joined first, so
// that a run's own log is not taken by another run's diagnostics merely for
// coming first; an input that fits no run makes one.
func refGroup(makers []*maker) [][]*maker {
	var runs [][]*maker
	for start := 0; start < len(makers); {
		end := start
		for end < len(makers) && makers[end].kind == makers[start].kind {
			end++
		}
		todo := append([]*maker(nil), makers[start:end]...)
		for len(todo) > 0 {
			best, bestRun, bestScore := -1, -1, -1
			for i, m := range todo {
				for r, run := range runs {
					if !refFits(run, m) {
						continue
					}
					if sc := refScore(run, m); sc > bestScore {
						best, bestRun, bestScore = i, r, sc
					}
				}
			}
			if best < 0 {
				// Nothing left fits a run: each remaining input makes one,
				// unless it is the same run as one made just before it.
				runs = append(runs, []*maker{todo[0]})
				todo = todo[1:]
				continue
			}
			runs[bestRun] = append(runs[bestRun], todo[best])
			todo = append(todo[:best], todo[best+1:]...)
		}
		start = end
	}
	return runs
}

// score counts what m shares with the inputs of run.
func refScore(run []*maker, m *maker) int {
	n := 0
	for _, o := range run {
		if path.Dir(o.path) == path.Dir(m.path) {
			n++
		}
		if o.hasSpan && m.hasSpan {
			n++ // fits checked that the spans overlap
		}
		if !o.xdist && !m.xdist && len(o.tests) > 0 && len(m.tests) > 0 {
			n++ // and that the tests come in one order
		}
	}
	return n
}

// fits reports whether m can be of run: the run has no input of m's kind
// that is another run's, and nothing in m contradicts any of its inputs.
func refFits(run []*maker, m *maker) bool {
	for _, o := range run {
		if o.kind == m.kind && !refSameOfKind(o, m) {
			return false
		}
		if !refAgree(o, m) {
			return false
		}
	}
	return true
}

// sameOfKind reports two inputs of one kind that are one run rendered
// twice: the same process's diagnostics, the same record.json.
func refSameOfKind(a, b *maker) bool {
	switch a.kind {
	case makerDiagnostics:
		return a.pid != 0 && a.pid == b.pid
	case makerRecord:
		return a.recordFrom != "" && a.recordFrom == b.recordFrom
	}
	return false
}

// agree reports that nothing in a and b says they are of two runs.
func refAgree(a, b *maker) bool {
	if a.bootTime > 0 && b.bootTime > 0 && math.Abs(a.bootTime-b.bootTime) > 2 {
		return false // boot_time is whole seconds, read at different moments
	}
	if a.hasSpan && b.hasSpan && (a.from.After(b.to.Add(runSlack)) || b.from.After(a.to.Add(runSlack))) {
		return false
	}
	if a.xdist || b.xdist || len(a.tests) == 0 || len(b.tests) == 0 {
		return true
	}
	n := min(len(a.tests), len(b.tests))
	for i := 0; i < n; i++ {
		if a.tests[i] != b.tests[i] {
			return false
		}
	}
	return true
}

// TestGroupMatchesReference holds group to the reference grouping on
// random mixes of inputs that agree and disagree in every way the rule
// looks at: kind, folder, pid, record start, boot time, span, tests, xdist.
func TestGroupMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	suites := [][]string{{"t::a", "t::b", "t::c", "t::d", "t::e"}, {"t::a", "t::c", "t::b"}, {"u::x", "u::y"}}
	base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for trial := range 3000 {
		n := 1 + rng.IntN(14)
		var makers []*maker
		for i := range n {
			m := &maker{path: fmt.Sprintf("d%d/in%d", rng.IntN(3), i), order: i, kind: rng.IntN(3)}
			switch m.kind {
			case makerRecord:
				m.recordFrom = []string{"", "s1", "s2"}[rng.IntN(3)]
				m.key = m.recordFrom
			case makerDiagnostics:
				m.pid = rng.IntN(4)
				if m.pid != 0 {
					m.key = fmt.Sprint(m.pid)
				}
			}
			m.bootTime = []float64{0, 0, 100, 101, 103, 200}[rng.IntN(6)]
			if rng.IntN(3) > 0 {
				from := base.Add(time.Duration(rng.IntN(20)) * time.Minute)
				m.from, m.to, m.hasSpan = from, from.Add(time.Duration(rng.IntN(5))*time.Minute), true
			}
			s := suites[rng.IntN(len(suites))]
			m.tests = s[:rng.IntN(len(s)+1)]
			m.xdist = rng.IntN(5) == 0
			makers = append(makers, m)
		}
		sortMakers(makers)
		want := paths(refGroup(makers))
		got := paths(group(makers))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: group %v, reference %v", trial, got, want)
		}
	}
}

func paths(runs [][]*maker) [][]string {
	var out [][]string
	for _, r := range runs {
		var ps []string
		for _, m := range r {
			ps = append(ps, m.path)
		}
		out = append(out, ps)
	}
	return out
}

// TestTrieMatchesPrefixes holds the trie to the plain comparison of the
// lists, on random lists that branch both within a child list and past
// trieListMax children (indexed by id).
func TestTrieMatchesPrefixes(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 1))
	isPrefix := func(a, b []string) bool {
		return len(a) <= len(b) && reflect.DeepEqual(a, b[:len(a)]) || len(b) <= len(a) && reflect.DeepEqual(b, a[:len(b)])
	}
	for trial := range 200 {
		width := 1 + rng.IntN(3*trieListMax)
		lists := make([][]string, 1+rng.IntN(60))
		for i := range lists {
			l := make([]string, rng.IntN(6))
			for k := range l {
				l[k] = fmt.Sprintf("t::%d", rng.IntN(width))
			}
			lists[i] = l
		}
		tr := newTestTrie(rng.IntN(4))
		nodes := make([]int, len(lists))
		for i, l := range lists {
			nodes[i] = tr.add(l)
			if tr.depth[nodes[i]] != len(l) {
				t.Fatalf("trial %d: %v at depth %d", trial, l, tr.depth[nodes[i]])
			}
		}
		tr.number()
		for i := range lists {
			for j := range lists {
				if got, want := tr.prefixes(nodes[i], nodes[j]), isPrefix(lists[i], lists[j]); got != want {
					t.Fatalf("trial %d: prefixes(%v, %v) = %v, want %v", trial, lists[i], lists[j], got, want)
				}
			}
		}
	}
}

// TestPrefixChainAgreesWithTrie holds group's shortcut to the trie: on
// random lists with repeats, whenever prefixChain holds for the lists as
// read, their distinct lists are every two of them one a prefix of the
// other, which is all the trie would have said.
func TestPrefixChainAgreesWithTrie(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	isPrefix := func(a, b []string) bool {
		return len(a) <= len(b) && reflect.DeepEqual(a, b[:len(a)]) || len(b) <= len(a) && reflect.DeepEqual(b, a[:len(b)])
	}
	chains := 0
	for trial := range 3000 {
		base := make([]string, rng.IntN(8))
		for k := range base {
			base[k] = fmt.Sprintf("t::%d", rng.IntN(4)) // repeats often
		}
		makers := make([]*maker, 1+rng.IntN(4))
		for i := range makers {
			l := append([]string(nil), base[:rng.IntN(len(base)+1)]...)
			if len(l) > 0 && rng.IntN(4) == 0 {
				l[rng.IntN(len(l))] = fmt.Sprintf("t::%d", rng.IntN(4))
			}
			makers[i] = &maker{tests: l, xdist: rng.IntN(6) == 0}
		}
		if !prefixChain(makers) {
			continue
		}
		chains++
		for _, m := range makers {
			m.distinctTests()
		}
		for _, a := range makers {
			for _, b := range makers {
				if a.ordered() && b.ordered() && !isPrefix(a.tests, b.tests) {
					t.Fatalf("trial %d: prefixChain held, but distinct %v and %v part", trial, a.tests, b.tests)
				}
			}
		}
	}
	if chains < 1000 {
		t.Fatalf("only %d of 3000 trials were chains: the test checks little", chains)
	}
}
