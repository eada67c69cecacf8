package correlate

// This file is the groups stage: creeping leaks, many tests that each keep
// a little, summed over the parametrized cases of a test, a class, a
// module, or the tests run while a live fixture held what they kept.

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// Group kinds, narrowest first when two hold the same tests.
const (
	GroupParametrize = "parametrize" // "path::test[*]": the cases of one test
	GroupFixture     = "fixture"     // the tests run while a live fixture held what they kept
	GroupClass       = "class"       // "path::Class::*"
	GroupModule      = "module"      // "path::*"
)

var groupRank = map[string]int{GroupParametrize: 0, GroupFixture: 1, GroupClass: 2, GroupModule: 3}

// The consistency rule of a group (see the package comment): a member
// retains when it kept at least groupMemberMinBytes (or the floor, when
// lower); at least groupMinRetaining members retain, and at least half of
// the members; and no retaining member kept more than groupSpread times
// their median, so one big leaker among noise is no group.
const (
	groupMemberMinBytes = 1 << 20
	groupMinRetaining   = 4
	groupSpread         = 4
)

// groupCand is a set of tests that may form a group.
type groupCand struct {
	kind, id       string
	fixture, scope string
	setter         *testMem
	members        []*testMem
	retains        int // members that kept at least the member minimum
}

// groupLeaks finds the creeping leaks of one process: candidate groups of
// the tests not named on their own, narrowest first (fewest retaining
// members, then parametrize, fixture, class, module, then fewest members); a
// group that meets the rule is a leak and its members are taken, so a wider
// group never counts them again.
func groupLeaks(r *procResult, named map[*testMem]bool, own, ended *placedKill, floor int64) []Leak {
	// Room for every test: grown by append (1.25x past a few thousand) the
	// list allocated five times its size.
	minBytes := min(int64(groupMemberMinBytes), floor)
	// Every candidate has groupMinRetaining retaining members, all free:
	// with fewer free tests retaining, there is none (most jobs).
	retaining := 0
	for _, t := range r.Tests {
		if t.Retained >= minBytes && !t.InFlight && t.HasNet && !named[t] {
			retaining++
		}
	}
	if retaining < groupMinRetaining {
		return nil
	}
	free := make([]*testMem, 0, len(r.Tests))
	for _, t := range r.Tests {
		if !t.InFlight && t.HasNet && !named[t] {
			free = append(free, t)
		}
	}
	cands := groupCandidates(r, free, minBytes)
	if len(cands) == 0 {
		return nil
	}
	// Narrowest first: the group whose retaining members are fewest holds
	// the retention most closely; on a tie the more telling kind
	// (parametrize, fixture, class, module), then fewer members.
	sort.SliceStable(cands, func(a, b int) bool {
		ca, cb := cands[a], cands[b]
		if ca.retains != cb.retains {
			return ca.retains < cb.retains
		}
		if groupRank[ca.kind] != groupRank[cb.kind] {
			return groupRank[ca.kind] < groupRank[cb.kind]
		}
		if len(ca.members) != len(cb.members) {
			return len(ca.members) < len(cb.members)
		}
		return ca.id < cb.id
	})
	taken := map[*testMem]bool{}
	var out []Leak
	for _, c := range cands {
		members := slices.DeleteFunc(slices.Clone(c.members), func(t *testMem) bool { return taken[t] })
		g, retaining, ok := groupRule(members, minBytes, floor)
		if !ok {
			continue
		}
		for _, t := range members {
			taken[t] = true
			t.Grouped = true
		}
		g.Kind, g.Fixture, g.Scope = c.kind, c.fixture, c.scope
		out = append(out, groupLeak(c, g, retaining, r.Proc, own, ended, floor))
	}
	return out
}

// groupKey names a parametrize, class or module group by its kind and the
// part of the node id its members share (a substring of theirs: building
// the key allocates nothing).
type groupKey struct {
	kind, stem string
}

// groupKeys returns the parametrize, class and module groups of node id
// id, in that order; n of the three are set.
func groupKeys(id string) (keys [3]groupKey, n int) {
	if i := strings.Index(id, "["); i > 0 && strings.HasSuffix(id, "]") {
		keys[n] = groupKey{GroupParametrize, id[:i]}
		n++
	}
	if !strings.Contains(id, "::") {
		return keys, n // a bare name (weathercop) has no class or file
	}
	if parent := nodeParent(id); strings.Contains(parent, "::") {
		keys[n] = groupKey{GroupClass, parent}
		n++
	}
	keys[n] = groupKey{GroupModule, nodeFile(id)}
	return keys, n + 1
}

// id is the group's name in a report: "path::test[*]", "path::Class::*",
// "path::*".
func (k groupKey) id() string {
	if k.kind == GroupParametrize {
		return k.stem + "[*]"
	}
	return k.stem + "::*"
}

// groupCandidates lists the parametrize, class and module groups of the
// free tests, and one fixture group per fixture still live at the end of
// the record: the tests of its scope run from its setter on. Only the
// groups with at least groupMinRetaining members that kept minBytes are
// listed: no other can meet the rule (taking members away never adds a
// retaining one). A first pass counts the retaining members of each group,
// so that the members of the others (most of them: a test's module and
// class groups hold few retaining tests) are never gathered.
func groupCandidates(r *procResult, free []*testMem, minBytes int64) []*groupCand {
	retains := map[groupKey]int{}
	for _, t := range free {
		if t.Retained < minBytes {
			continue
		}
		keys, n := groupKeys(t.Test)
		for _, k := range keys[:n] {
			retains[k]++
		}
	}
	var cands []*groupCand
	var byKey map[groupKey]*groupCand
	// When no parametrize, class or module group can be a candidate, the
	// pass below would skip every key (most jobs: few tests retain).
	keyed := free
	if !anyAtLeast(retains, groupMinRetaining) {
		keyed = nil
	}
	for _, t := range keyed {
		keys, n := groupKeys(t.Test)
		for _, k := range keys[:n] {
			nr := retains[k]
			if nr < groupMinRetaining {
				continue
			}
			c := byKey[k]
			if c == nil {
				if byKey == nil {
					byKey = map[groupKey]*groupCand{}
				}
				c = &groupCand{kind: k.kind, id: k.id(), retains: nr}
				byKey[k] = c
				cands = append(cands, c)
			}
			c.members = append(c.members, t)
		}
	}
	var isFree map[*testMem]bool
	for _, f := range r.Live {
		if f.Setter == nil || f.Setter.Proc != r.Proc {
			continue
		}
		same, where := scopeKey(f.Scope, f.Setter.Test)
		if same == nil {
			continue
		}
		if isFree == nil {
			isFree = make(map[*testMem]bool, len(free))
			for _, t := range free {
				isFree[t] = true
			}
		}
		c := &groupCand{kind: GroupFixture, fixture: f.Fixture, scope: f.Scope, setter: f.Setter}
		for i := int(f.Setter.Seq); i < len(r.Tests); i++ {
			t := r.Tests[i]
			if !same(t.Test) {
				break
			}
			if isFree[t] {
				c.members = append(c.members, t)
				if t.Retained >= minBytes {
					c.retains++
				}
			}
		}
		if c.retains >= groupMinRetaining {
			c.id = "fixture " + f.Fixture + " (" + f.Scope + where + ")"
			cands = append(cands, c)
		}
	}
	return cands
}

// anyAtLeast says whether some key of counts counts at least n.
func anyAtLeast(counts map[groupKey]int, n int) bool {
	for _, c := range counts {
		if c >= n {
			return true
		}
	}
	return false
}

// scopeKey says which tests share a fixture's scope with the test id, and
// names the scope ("" for a session).
func scopeKey(scope, id string) (func(string) bool, string) {
	switch scope {
	case "class":
		p := nodeParent(id)
		return func(o string) bool { return nodeParent(o) == p }, " " + p
	case "module":
		f := nodeFile(id)
		return func(o string) bool { return nodeFile(o) == f }, " " + f
	case "package":
		d := path.Dir(nodeFile(id))
		return func(o string) bool { return path.Dir(nodeFile(o)) == d }, " " + d
	case "session":
		return func(string) bool { return true }, ""
	}
	return nil, ""
}

// groupRule applies the consistency rule to a group's members. It returns
// the group's figures and its retaining members, largest first.
func groupRule(members []*testMem, minBytes, floor int64) (Group, []*testMem, bool) {
	var retaining []*testMem
	var sum int64
	for _, t := range members {
		if t.Retained >= minBytes {
			retaining = append(retaining, t)
			sum += t.Retained
		}
	}
	n := len(retaining)
	if n < groupMinRetaining || 2*n < len(members) || sum < floor {
		return Group{}, nil, false
	}
	sort.SliceStable(retaining, func(a, b int) bool { return retaining[a].Retained > retaining[b].Retained })
	median := retaining[n/2].Retained
	if n%2 == 0 {
		median = (retaining[n/2-1].Retained + retaining[n/2].Retained) / 2
	}
	if retaining[0].Retained > groupSpread*median {
		return Group{}, nil, false
	}
	return Group{
		Members:           len(members),
		RetainingMembers:  n,
		MedianMemberBytes: median,
		MinMemberBytes:    retaining[n-1].Retained,
		MaxMemberBytes:    retaining[0].Retained,
	}, retaining, true
}

// groupLeak is a group that met the rule, as a leak.
func groupLeak(c *groupCand, g Group, retaining []*testMem, p *proc, own, ended *placedKill, floor int64) Leak {
	var sum int64
	for _, t := range retaining {
		sum += t.Retained
	}
	l := Leak{
		Test:          c.id,
		Worker:        p.Worker,
		PID:           p.PID,
		RetainedBytes: sum,
		ShareOfKill:   shareOf(sum, p.PID, own, ended),
		OpenObjects:   map[string]int{},
		Group:         &g,
	}
	anon, coarse := true, p.LowConfidence
	for _, t := range retaining {
		anon = anon && t.Anon
		coarse = coarse || t.Coarse
		for k, n := range t.Open {
			l.OpenObjects[k] += n
		}
	}
	switch {
	case coarse:
		l.Confidence = ConfidenceLow
	case anon:
		l.Confidence = ConfidenceHigh
	default:
		l.Confidence = ConfidenceMedium
	}
	what := map[string]string{
		GroupParametrize: "parametrized cases",
		GroupClass:       "tests of the class",
		GroupModule:      "tests of the module",
		GroupFixture:     "tests run while the fixture was live",
	}[c.kind]
	at := "at the end of the record"
	if own != nil || ended != nil {
		at = "at the kill"
	}
	measure := "RSS"
	if anon {
		measure = "anonymous RSS"
	}
	l.Evidence = append(l.Evidence, fmt.Sprintf("%d of %d %s each kept %s to %s (median %s) of %s, %s together, still held %s; none alone reaches the %s noise floor",
		g.RetainingMembers, g.Members, what, FormatBytes(g.MinMemberBytes), FormatBytes(g.MaxMemberBytes), FormatBytes(g.MedianMemberBytes),
		measure, FormatBytes(sum), at, FormatBytes(floor)))
	if c.kind == GroupFixture {
		setter := "before its tests"
		if c.setter != nil {
			setter = "during " + c.setter.Test
		}
		l.Evidence = append(l.Evidence, fmt.Sprintf("%s fixture %s was set up %s and never torn down: what its tests added stayed with it", c.scope, c.fixture, setter))
	}
	var names []string
	for i, t := range retaining {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(retaining)-5))
			break
		}
		names = append(names, t.Test+" "+FormatBytes(t.Retained))
	}
	l.Evidence = append(l.Evidence, "members: "+strings.Join(names, ", "))
	if w := sharedWords(p, ended); w != "" {
		l.Evidence = append(l.Evidence, w)
	}
	return l
}
