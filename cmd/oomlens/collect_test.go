package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oomlens/oomlens/collect/collectmanifest"
)

// TestCollectCommand: collect with --cgroup as a directory of saved files
// (the real v1 capture) and a missing log writes a folder whose
// collect.json says what it read and what it could not.
func TestCollectCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "job")
	code, stdout, stderr := oomlens(t, "", "collect", "--out", out, "--since", "1s", "--cgroup", "testdata/cgroup/v1-memcg-kill", "--log", "testdata/no/such.log")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "memory cgroup v1 testdata/cgroup/v1-memcg-kill: ") || !strings.Contains(stdout, "memory.oom_control") || !strings.Contains(stdout, "not read: testdata/no/such.log") {
		t.Errorf("stdout:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, collectmanifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var m collectmanifest.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Cgroup == nil || m.Cgroup.Found != "--cgroup" || len(m.Cgroup.Files) != 6 || m.Since == nil || m.Host.PageSizeBytes == 0 {
		t.Errorf("manifest %+v", m)
	}
	if _, err := os.Stat(filepath.Join(out, "cgroup", "memory.oom_control")); err != nil {
		t.Error(err)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if got, err := parseSince("2h", now); err != nil || !got.Equal(now.Add(-2*time.Hour)) {
		t.Errorf("2h: %v %v", got, err)
	}
	if got, err := parseSince("2026-11-26T10:00:00Z", now); err != nil || got.Hour() != 10 {
		t.Errorf("rfc3339: %v %v", got, err)
	}
	for _, bad := range []string{"-2h", "yesterday", ""} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
