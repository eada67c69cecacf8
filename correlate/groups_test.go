package correlate

import (
	"fmt"
	"reflect"
	"testing"
)

// member is one test of a group table case: its id and what it keeps.
type member struct {
	id   string
	keep int64
}

// creepJob runs the members in order on one process (anonymous readings),
// then a test in flight, then a memcg kill.
func creepJob(ms []member, extra ...step) *job {
	p := &proc{PID: 1}
	a := 100 * MiB
	at := 0.0
	p.Steps = append(p.Steps, extra...)
	for _, m := range ms {
		p.Steps = append(p.Steps, start(m.id, at, anon(a+20*MiB, a)))
		a += m.keep
		p.Steps = append(p.Steps, end(m.id, at+1, anon(a+20*MiB, a)))
		at += 2
	}
	p.Steps = append(p.Steps, start("tests/test_z.py::test_victim", at, anon(a+20*MiB, a)))
	return &job{Procs: []*proc{p}, Kills: []kill{memcgKill(1, at+1, a+100*MiB, 2*GiB)}}
}

func cases(prefix string, n int, keep int64) []member {
	var ms []member
	for i := 0; i < n; i++ {
		ms = append(ms, member{fmt.Sprintf("%s[%d]", prefix, i), keep})
	}
	return ms
}

func named(prefix string, n int, keep int64) []member {
	var ms []member
	for i := 0; i < n; i++ {
		ms = append(ms, member{fmt.Sprintf("%s%d", prefix, i), keep})
	}
	return ms
}

func join(mss ...[]member) []member {
	var out []member
	for _, ms := range mss {
		out = append(out, ms...)
	}
	return out
}

type groupWant struct {
	test                string
	kind                string
	members, retaining  int
	retained, medianMiB int64
}

// TestGroups: the rules of package doc's "Groups", one case each.
func TestGroups(t *testing.T) {
	for _, c := range []struct {
		name  string
		ms    []member
		extra []step
		tests []string // leaks named on their own
		want  []groupWant
	}{
		{
			name: "parametrized creep: 36 cases of 12 MiB",
			ms:   join(named("tests/test_a.py::test_other", 3, 0), cases("tests/test_a.py::test_state", 36, 12*MiB)),
			want: []groupWant{{"tests/test_a.py::test_state[*]", GroupParametrize, 36, 36, 36 * 12 * MiB, 12}},
		},
		{
			name: "class creep, noise elsewhere in the module",
			ms: join(named("tests/test_c.py::TestCache::test_", 6, 10*MiB),
				named("tests/test_c.py::test_plain", 4, 256<<10)),
			want: []groupWant{{"tests/test_c.py::TestCache::*", GroupClass, 6, 6, 60 * MiB, 10}},
		},
		{
			name:  "one big leaker and noise in a module: the leaker alone, no group",
			ms:    join([]member{{"tests/test_m.py::test_big", 200 * MiB}}, named("tests/test_m.py::test_noise", 10, 512<<10)),
			tests: []string{"tests/test_m.py::test_big"},
		},
		{
			name: "one leaker under the floor among small ones: the spread rule says no group",
			ms:   join([]member{{"tests/test_m.py::test_big", 30 * MiB}}, named("tests/test_m.py::test_small", 5, 2*MiB)),
		},
		{
			name: "too few members retain: no group",
			ms:   join(named("tests/test_m.py::test_keep", 3, 12*MiB), named("tests/test_m.py::test_none", 5, 0)),
		},
		{
			name: "a sum under the floor: no group",
			ms:   cases("tests/test_a.py::test_state", 5, 4*MiB),
		},
		{
			name: "nested: the parametrized cases are named, the module does not count them again",
			ms: join(named("tests/test_n.py::test_small", 4, 2*MiB),
				cases("tests/test_n.py::test_state", 8, 12*MiB)),
			want: []groupWant{{"tests/test_n.py::test_state[*]", GroupParametrize, 8, 8, 96 * MiB, 12}},
		},
		{
			name: "a member over the floor is named alone, the group sums the rest",
			ms: join(cases("tests/test_a.py::test_state", 10, 8*MiB),
				[]member{{"tests/test_a.py::test_state[big]", 64 * MiB}}),
			tests: []string{"tests/test_a.py::test_state[big]"},
			want:  []groupWant{{"tests/test_a.py::test_state[*]", GroupParametrize, 10, 10, 80 * MiB, 8}},
		},
		{
			name: "fixture creep: a live module fixture holds what its tests add",
			ms:   named("tests/test_f.py::test_fill", 6, 12*MiB),
			extra: []step{
				fixtureSetup("tests/test_f.py::test_fill0", "store", "module", t0, anon(120*MiB, 100*MiB), anon(120*MiB, 100*MiB+MiB/2)),
			},
			want: []groupWant{{"fixture store (module tests/test_f.py)", GroupFixture, 6, 6, 72 * MiB, 12}},
		},
		{
			name: "fixture creep, session scope: the fixture, not the module, holds the same tests' retention",
			ms:   join(named("tests/test_f.py::test_fill", 6, 12*MiB), named("tests/test_g.py::test_small", 3, 0)),
			extra: []step{
				fixtureSetup("tests/test_f.py::test_fill0", "store", "session", t0, anon(120*MiB, 100*MiB), anon(120*MiB, 100*MiB+MiB/2)),
			},
			want: []groupWant{{"fixture store (session)", GroupFixture, 9, 6, 72 * MiB, 12}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := creepJob(c.ms)
			if c.extra != nil {
				// The fixture is set up inside the first test.
				p := j.Procs[0]
				steps := append([]step{p.Steps[0]}, c.extra...)
				p.Steps = append(steps, p.Steps[1:]...)
				// The setup's growth is the fixture's: the readings after it
				// carry it.
				for i := 2; i < len(p.Steps); i++ {
					p.Steps[i].anon += MiB / 2
				}
			}
			rep := analyze(j, Options{})
			var tests []string
			var got []groupWant
			for _, l := range rep.Leaks {
				if l.Group == nil {
					tests = append(tests, l.Test)
					continue
				}
				g := l.Group
				got = append(got, groupWant{l.Test, g.Kind, g.Members, g.RetainingMembers, l.RetainedBytes, g.MedianMemberBytes / MiB})
				if g.MinMemberBytes > g.MedianMemberBytes || g.MedianMemberBytes > g.MaxMemberBytes {
					t.Errorf("%s: range %d..%d median %d", l.Test, g.MinMemberBytes, g.MaxMemberBytes, g.MedianMemberBytes)
				}
			}
			if !reflect.DeepEqual(tests, c.tests) {
				t.Errorf("tests named %v, want %v", tests, c.tests)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("groups\n got %+v\nwant %+v", got, c.want)
			}
			checkAccount(t, rep)
		})
	}
}

// checkAccount: the parts add up to the total, none negative.
func checkAccount(t *testing.T, rep *Report) {
	t.Helper()
	a := rep.MemoryAtKill
	if a == nil {
		t.Fatal("no memory_at_kill")
	}
	parts := []int64{a.BaselineBytes, a.LeaksBytes, a.GroupsBytes, a.FixturesBytes, a.InFlightBytes, a.UnexplainedBytes}
	var sum int64
	for _, p := range parts {
		if p < 0 {
			t.Errorf("negative part in %+v", a)
		}
		sum += p
	}
	if sum != a.TotalBytes {
		t.Errorf("parts sum to %d, total %d: %+v", sum, a.TotalBytes, a)
	}
}
