package correlate

import (
	"math/rand"
	"testing"
)

// TestStartedAgreesWithMap holds DiagnosticsStream's started tests (the
// latest start held apart in pending, the others in the map) to one map of
// them all, over random starts and ends of a few tests on two processes:
// repeated starts, ends without a start, ends of a test that is not the
// latest, and ends twice.
func TestStartedAgreesWithMap(t *testing.T) {
	procs := []*proc{{PID: 1}, {PID: 2}}
	ids := []string{"a", "b", "c"}
	type key struct {
		p  *proc
		id string
	}
	for seed := int64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var st DiagnosticsStream
		want := map[key]float64{}
		for step := 0; step < 60; step++ {
			p, id := procs[rng.Intn(len(procs))], ids[rng.Intn(len(ids))]
			k := key{p, id}
			switch rng.Intn(3) {
			case 0, 1:
				tm := float64(step)
				st.start(p, id, tm)
				want[k] = tm
			case 2:
				st.ended(p, id)
				delete(want, k)
			}
			for _, q := range procs {
				for _, j := range ids {
					got, ok := st.startOf(q, j)
					w, wok := want[key{q, j}]
					if ok != wok || got != w {
						t.Fatalf("seed %d step %d: start of %s on pid %d: %v %v, want %v %v", seed, step, j, q.PID, got, ok, w, wok)
					}
				}
			}
		}
	}
}
