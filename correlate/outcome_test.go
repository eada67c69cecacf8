package correlate

import "testing"

// TestStepOutcome: every outcome word comes back as it was given, pytest's
// own in a byte and any other through More, which is copied rather than
// written when shared (weathercop's counters), and the ledger's test gives
// it back too.
func TestStepOutcome(t *testing.T) {
	shared := &stepMore{OpenCounter: map[string]int{"xarray.Dataset": 1}}
	for _, word := range []string{"", "passed", "failed", "skipped", "error", "xfailed", "xpassed", "rerun", "Passed", "passed "} {
		s := end("t.py::test_a", 1, rss(100*MiB))
		s.More = shared
		s.setOutcome(word)
		if got := s.outcomeText(); got != word {
			t.Errorf("step outcome %q read back as %q", word, got)
		}
		if shared.Outcome != "" || s.More.OpenCounter["xarray.Dataset"] != 1 {
			t.Errorf("%q: the shared More was written (%q) or lost its counter", word, shared.Outcome)
		}
		p := &proc{Steps: []step{start("t.py::test_a", 0, rss(100*MiB)), s}}
		r := runLedger(p)
		if got := r.Tests[0].outcomeText(); got != word {
			t.Errorf("test outcome %q read back as %q", word, got)
		}
	}
	if noRare.Outcome != "" {
		t.Errorf("noRare was written: %q", noRare.Outcome)
	}
}
