package gcpace

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// cycles is the number of collections the runtime has completed.
func cycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// gogc is GOGC now.
func gogc() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// mustDefer puts the collector off for 64 MiB of growth, which at GOGC=100
// on a heap of a few MiB it does.
func mustDefer(t *testing.T) {
	t.Helper()
	if !Defer(64 << 20) {
		t.Fatal("Defer(64 MiB) = false at GOGC=100 on a heap of a few MiB")
	}
}

// wantGOGC checks that GOGC is want at the point when describes.
func wantGOGC(t *testing.T, want int, when string) {
	t.Helper()
	if p := gogc(); p != want {
		t.Errorf("GOGC %s = %d, want %d", when, p, want)
	}
}

// waitSetBack waits for a Defer's wait to end, after the collection that
// runs its cleanup.
func waitSetBack(t *testing.T) {
	t.Helper()
	select {
	case <-setBack:
	case <-time.After(time.Minute):
		t.Fatal("a Defer's wait did not end within a minute of a collection")
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

// waitedBack waits for a Defer's wait to end and checks that GOGC is back
// at fresh's 100.
func waitedBack(t *testing.T) {
	t.Helper()
	waitSetBack(t)
	wantGOGC(t, 100, "after the wait")
}

// fresh starts a test at GOGC=100 and no memory limit, with nothing of
// this package in effect and a heap just collected, and puts GOGC and the
// limit back after it.
func fresh(t *testing.T) {
	t.Setenv("GOGC", "")
	state.Lock()
	busy := state.offs != 0 || state.pace != nil
	state.Unlock()
	if busy {
		t.Fatal("a test left an Off or a Defer in effect")
	}
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	// A GOMEMLIMIT of the machine's (read at the process's start) would
	// start collections of its own, at whatever pace.
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(limit) })
	runtime.GC()
	select {
	case <-setBack:
	default:
	}
}

func TestDeferPutsOffTheNextCycle(t *testing.T) {
	fresh(t)
	const grow = 64 << 20 // mustDefer's
	before := cycles()
	mustDefer(t)
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
	waitedBack(t)
}

func TestDeferOneAtATime(t *testing.T) {
	fresh(t)
	mustDefer(t)
	raised := gogc()
	if Defer(1 << 30) {
		t.Error("a second Defer acted while the first waited for its collection")
	}
	wantGOGC(t, raised, "after the second Defer")
	runtime.GC()
	waitedBack(t)
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
			wantGOGC(t, tc.percent, "after Defer")
		})
	}
}

func TestOffNests(t *testing.T) {
	fresh(t)
	on1 := Off()
	on2 := Off()
	wantGOGC(t, -1, "under two Offs")
	on1()
	on1() // once only
	wantGOGC(t, -1, "with one Off of two turned on (the first twice)")
	on2()
	wantGOGC(t, 100, "with both Offs turned on")
}

// TestDeferUnderOff is job's order: the collector off while a stream's list
// is made and the heap reserved, then the wait.
func TestDeferUnderOff(t *testing.T) {
	fresh(t)
	on := Off()
	mustDefer(t)
	wantGOGC(t, -1, "under the Off, after Defer")
	on()
	if p := gogc(); p <= 100 {
		t.Errorf("GOGC once the Off is turned on = %d, want the wait's, over 100", p)
	}
	runtime.KeepAlive(growUntilCollected(t, nil))
	waitedBack(t)
}

// TestWaitEndsUnderOff ends a wait while the collector is off (another
// worker of a batch reserving its list): the collector stays off until it
// is turned on, and then runs at the pace before the wait.
func TestWaitEndsUnderOff(t *testing.T) {
	fresh(t)
	mustDefer(t)
	on := Off()
	runtime.GC()
	waitSetBack(t)
	wantGOGC(t, -1, "after the wait ended under an Off")
	on()
	wantGOGC(t, 100, "once the Off is turned on")
}

// TestConcurrentOffsAndDefers runs Offs and Defers on many goroutines:
// once all are done and the last wait has ended, GOGC is what it was.
func TestConcurrentOffsAndDefers(t *testing.T) {
	fresh(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				on := Off()
				if (g+i)%5 == 0 {
					Defer(64 << 20)
				}
				on()
				if i%10 == 0 {
					runtime.GC()
				}
			}
		}()
	}
	wg.Wait()
	for {
		state.Lock()
		waiting := state.pace != nil
		state.Unlock()
		if !waiting {
			break
		}
		runtime.GC()
		waitSetBack(t)
	}
	wantGOGC(t, 100, "after every Off was turned on and every wait ended")
}
