package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoMachinePaths: no tracked file names a path of one particular
// machine (this workplace's /work/ tree): the repository is read on other
// machines, where research notes are at ../shared/ from the repository's
// root and nowhere else.
func TestNoMachinePaths(t *testing.T) {
	const machineRoot = "/" + "work/" // spelled apart so that this file passes its own check
	out, err := exec.Command("git", "ls-files", "-z").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("git ls-files: %v", err)
		}
		t.Skipf("not a git checkout here (git ls-files: %v)", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" || strings.HasPrefix(name, "testdata/golden/") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			continue // deleted in the work tree
		}
		if bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 {
			continue // binary
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, machineRoot+"shared") || strings.Contains(line, machineRoot+"main") {
				t.Errorf("%s:%d names a path of one machine: %.120s", name, i+1, line)
			}
		}
	}
}
