package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// cycles is the number of collections the runtime has completed.
func cycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// waitSetBack waits for a Defer's cleanup to set GOGC back, after the
// collection that runs it.
func waitSetBack(t *testing.T) {
	t.Helper()
	select {
	case <-setBack:
	case <-time.After(time.Minute):
		t.Fatal("GOGC was not set back within a minute of a collection")
	}
}

// growUntilCollected allocates 1 MiB at a time, kept with keep, until the
// runtime completes a collection, and returns what it kept; at most 512 MiB.
func growUntilCollected(t *testing.T, keep [][]byte) [][]byte {
	t.Helper()
	before := cycles()
	for start := len(keep); cycles() == before; {
		if len(keep)-start == 512 {
			t.Fatalf("no collection while the heap grew by 512 MiB, 8 times the growth put off")
		}
		keep = append(keep, make([]byte, 1<<20))
	}
	return keep
}

// fresh starts a test at GOGC=100 with no Defer waiting and a heap just
// collected, and puts GOGC back after it.
func fresh(t *testing.T) {
	t.Setenv("GOGC", "")
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	if active.Load() {
		growUntilCollected(t, nil)
		waitSetBack(t)
	}
	select {
	case <-setBack:
	default:
	}
	runtime.GC()
}

func TestDeferPutsOffTheNextCycle(t *testing.T) {
	fresh(t)
	const grow = 64 << 20
	before := cycles()
	if !Defer(grow) {
		t.Fatal("Defer(64 MiB) = false at GOGC=100 on a heap of a few MiB")
	}
	// A quarter of the growth, kept live: no collection.
	var keep [][]byte
	for range grow / 4 >> 20 {
		keep = append(keep, make([]byte, 1<<20))
	}
	if n := cycles() - before; n != 0 {
		t.Errorf("%d collections while the heap grew by 16 MiB of the 64 MiB put off", n)
	}
	// Past the growth, a collection runs and GOGC is set back.
	keep = growUntilCollected(t, keep)
	t.Logf("first collection after %d MiB", len(keep))
	runtime.KeepAlive(keep)
	waitSetBack(t)
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC after the collection = %d, want 100 (as before Defer)", p)
	}
}

func TestForcedCollectionKeepsTheWait(t *testing.T) {
	fresh(t)
	const grow = 64 << 20
	if !Defer(grow) {
		t.Fatal("Defer(64 MiB) = false at GOGC=100 on a heap of a few MiB")
	}
	// A forced collection, as hugeheap.Reserve's: the cleanup runs and
	// paces the rest of the growth. Its next run, after the collection
	// below, shows it waited on.
	runtime.GC()
	before := cycles()
	var keep [][]byte
	for range grow / 4 >> 20 {
		keep = append(keep, make([]byte, 1<<20))
	}
	if n := cycles() - before; n != 0 {
		t.Errorf("%d collections while the heap grew by 16 MiB of the 64 MiB put off, after a forced one", n)
	}
	keep = growUntilCollected(t, keep)
	runtime.KeepAlive(keep)
	waitSetBack(t)
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC after the wait = %d, want 100 (as before Defer)", p)
	}
}

func TestDeferOneAtATime(t *testing.T) {
	fresh(t)
	if !Defer(64 << 20) {
		t.Fatal("Defer(64 MiB) = false at GOGC=100 on a heap of a few MiB")
	}
	raised := debug.SetGCPercent(-1)
	debug.SetGCPercent(raised)
	if Defer(1 << 30) {
		t.Error("a second Defer acted while the first waited for its collection")
	}
	if p := debug.SetGCPercent(raised); p != raised {
		t.Errorf("GOGC after the second Defer = %d, want the first's %d", p, raised)
	}
	runtime.KeepAlive(growUntilCollected(t, nil))
	waitSetBack(t)
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC after the collection = %d, want 100", p)
	}
}

func TestDeferLeavesThePaceAlone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		gogc    string // the environment's GOGC
		percent int    // GOGC set before Defer
	}{
		{"GOGC in the environment", "200", 100},
		{"collector off", "", -1},
		{"pace already later", "", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh(t)
			t.Setenv("GOGC", tc.gogc)
			debug.SetGCPercent(tc.percent)
			if Defer(64 << 20) {
				t.Error("Defer(64 MiB) acted")
			}
			if p := debug.SetGCPercent(100); p != tc.percent {
				t.Errorf("GOGC after Defer = %d, want %d", p, tc.percent)
			}
			if active.Load() {
				t.Error("Defer left itself waiting")
			}
		})
	}
}
