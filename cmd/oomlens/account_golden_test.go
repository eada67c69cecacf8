package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenAccountsAddUp: in every golden JSON report, memory_at_kill's
// parts add up to total_bytes, none is negative, and each has a basis.
func TestGoldenAccountsAddUp(t *testing.T) {
	var files []string
	for _, root := range []string{filepath.Join("testdata", "golden"), filepath.Join("report", "testdata")} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d golden JSON files", len(files))
	}
	accounts := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Schema       string                     `json:"schema"`
			MemoryAtKill map[string]json.RawMessage `json:"memory_at_kill"`
		}
		if json.Unmarshal(b, &r) != nil || r.Schema != "oomlens/report/v1" {
			continue // not a report
		}
		if r.MemoryAtKill == nil {
			continue
		}
		accounts++
		num := func(k string) int64 {
			var n int64
			if err := json.Unmarshal(r.MemoryAtKill[k], &n); err != nil {
				t.Errorf("%s: %s: %v", f, k, err)
			}
			return n
		}
		var sum int64
		for _, k := range []string{"baseline_bytes", "leaks_bytes", "groups_bytes", "fixtures_bytes", "in_flight_bytes", "unexplained_bytes"} {
			n := num(k)
			if n < 0 {
				t.Errorf("%s: %s is %d", f, k, n)
			}
			sum += n
		}
		if total := num("total_bytes"); sum != total {
			t.Errorf("%s: the parts add up to %d, total_bytes is %d", f, sum, total)
		}
		var basis map[string]string
		if err := json.Unmarshal(r.MemoryAtKill["basis"], &basis); err != nil || len(basis) != 7 {
			t.Errorf("%s: basis %v (%v)", f, basis, err)
		}
	}
	if accounts == 0 {
		t.Error("no golden has a memory_at_kill")
	}
}
