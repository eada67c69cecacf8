package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnalyzeRefusesTwoRuns gives analyze pairs of real scenarios, all
// killed on one machine in one boot (so the kernel logs cannot tell them
// apart), and checks that each pair is refused with the inputs of each run
// named and batch pointed to.
func TestAnalyzeRefusesTwoRuns(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		runs [2]string // what the message lists for run 1 and run 2
	}{
		// Two processes: the diagnostics' pids differ.
		{"verbose-plugin", "victim-only", [2]string{"verbose-plugin/ (diag.jsonl, pytest.log)", "victim-only/ (diag.jsonl, pytest.log)"}},
		// Byte-identical pytest logs: two logs are two runs.
		{"verbose-plugin", "verbose-nodiag", [2]string{"verbose-plugin/ (diag.jsonl, pytest.log)", "verbose-nodiag/ (pytest.log)"}},
		{"verbose-nodiag", "victim-only", [2]string{"verbose-nodiag/ (pytest.log)", "victim-only/ (diag.jsonl, pytest.log)"}},
		{"dots-plugin", "verbose-plugin", [2]string{"dots-plugin/ (diag.jsonl, pytest.log)", "verbose-plugin/ (diag.jsonl, pytest.log)"}},
		// xdist: the workers' files belong to the xdist log's run.
		{"xdist-plugin", "gha-journal", [2]string{"xdist-plugin/ (pytest.log)", "gha-journal/ (ci.log, diag.jsonl)"}},
		{"xdist-plugin", "verbose-nodiag", [2]string{"xdist-plugin/ (pytest.log)", "verbose-nodiag/ (pytest.log)"}},
	} {
		t.Run(tc.a+"+"+tc.b, func(t *testing.T) {
			code, out, stderr := oomlens(t, "", "analyze", "testdata/scenarios/"+tc.a, "testdata/scenarios/"+tc.b)
			if code != exitError {
				t.Fatalf("exit %d, want %d (refused); stdout:\n%s", code, exitError, out)
			}
			if out != "" {
				t.Errorf("a refused analysis printed a report:\n%s", out)
			}
			for i, want := range []string{
				"the inputs are of 2 runs",
				"run 1: testdata/scenarios/" + tc.runs[0] + "\n",
				"run 2: testdata/scenarios/" + tc.runs[1] + "\n",
				"'oomlens batch'",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("message part %d: stderr does not say %q:\n%s", i, want, stderr)
				}
			}
		})
	}
}

// TestAnalyzeAcceptsOneRunOverTwoFolders splits one run's files over two
// folders (the CI log in one, the artifacts in another) and checks the
// report is the one of the run's own folder.
func TestAnalyzeAcceptsOneRunOverTwoFolders(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		first    []string // files in the first folder; the rest go to the second
	}{
		{"verbose-plugin", []string{"pytest.log", "kernel.log"}},
		{"gha-journal", []string{"ci.log"}},
		{"xdist-plugin", []string{"pytest.log", "diag.gw0.jsonl"}},
		{"dots-plugin", []string{"pytest.log", "collect.txt"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			src := filepath.Join("testdata/scenarios", tc.scenario)
			tmp := t.TempDir()
			ci, artifacts := filepath.Join(tmp, "ci"), filepath.Join(tmp, "artifacts")
			for _, d := range []string{ci, artifacts} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			entries, err := os.ReadDir(src)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				dst := artifacts
				for _, f := range tc.first {
					if e.Name() == f {
						dst = ci
					}
				}
				b, err := os.ReadFile(filepath.Join(src, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			whole := analyzeJSON(t, src)
			split := analyzeJSON(t, ci, artifacts)
			if whole.Verdict != split.Verdict || len(whole.Leaks) != len(split.Leaks) || len(whole.Kills) != len(split.Kills) {
				t.Errorf("split over two folders: verdict %q, %d leaks, %d kills; the folder's own: %q, %d, %d",
					split.Verdict, len(split.Leaks), len(split.Kills), whole.Verdict, len(whole.Leaks), len(whole.Kills))
			}
		})
	}
}
