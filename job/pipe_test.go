package job

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/internal/jobgen"
)

// TestPipedDiagnosticsMatch: a diagnostics file parsed on one goroutine
// while its records become the model on another (streamPiped) gives the
// report it gives read in turn, on the repository's diagnostics files and
// scenarios and on generated jobs (their files across many batches).
func TestPipedDiagnosticsMatch(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/diagnostics/*")
	scen, _ := filepath.Glob("../testdata/scenarios/*")
	paths = append(paths, scen...)
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 4; i++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("job-%d", i))
		if err := jobgen.WriteDir(dir, jobgen.Job(rng, 300+rng.Intn(2000))); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, dir)
	}
	report := func(path string, minBytes int64) string {
		old := pipelineMinBytes
		pipelineMinBytes = minBytes
		defer func() { pipelineMinBytes = old }()
		set, err := discover.Walk([]string{path}, discover.Options{})
		if err != nil {
			return "walk: " + err.Error()
		}
		defer set.Cleanup()
		rep, err := Analyze(set, Options{})
		if err != nil {
			return "analyze: " + err.Error()
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	piped := 0
	for _, p := range paths {
		inTurn, onTwo := report(p, 1<<62), report(p, 0)
		if inTurn != onTwo {
			t.Errorf("%s: the piped report differs:\n%s\nread in turn:\n%s", p, onTwo, inTurn)
		}
		if strings.Contains(inTurn, `"diagnostics"`) {
			piped++
		}
	}
	if piped < 5 {
		t.Fatalf("only %d of %d inputs held diagnostics", piped, len(paths))
	}
}

// TestPipedPanicRaisedHere: a panic of the records' consumer is raised on
// the caller's goroutine (batch recovers a job's failure there), after the
// parser finished, and the records before it were handed over in order.
func TestPipedPanicRaisedHere(t *testing.T) {
	var text bytes.Buffer
	for i := 0; i < 3*diagBatchLen; i++ {
		fmt.Fprintf(&text, `{"event":"test_start","time":%d,"pid":1,"nodeid":"t.py::test_%d","rss_bytes":1}`+"\n", 1700000000+i, i)
	}
	var seen []string
	got := func() (p any) {
		defer func() { p = recover() }()
		streamPiped(&text, diagnostics.Options{Name: "d.jsonl"}, func(_ string, r *diagnostics.Record) {
			if len(seen) == diagBatchLen+3 {
				panic("boom")
			}
			seen = append(seen, r.NodeID)
		})
		return nil
	}()
	if got != "boom" {
		t.Fatalf("recovered %v, want the consumer's panic", got)
	}
	for i, id := range seen {
		if want := fmt.Sprintf("t.py::test_%d", i); id != want {
			t.Fatalf("record %d is %s, want %s", i, id, want)
		}
	}
	if len(seen) != diagBatchLen+3 {
		t.Fatalf("%d records before the panic", len(seen))
	}
}
