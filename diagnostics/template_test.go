package diagnostics

import (
	"archive/zip"
	"bytes"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// diagRealFiles returns every diagnostics JSON Lines file at hand, whole:
// the repository's, the shared corpus' beside the repository (when
// present), internal/jobgen's of a batch job, and the batch benchmark's
// generated jobs in bench-out (when generated: scripts/bench-batch.sh),
// folders and zips; every step-th of those.
func diagRealFiles(t testing.TB, step int) map[string][]byte {
	files := map[string][]byte{"jobgen seed 1": diagJobInput()}
	for _, root := range []string{"../testdata", "../../shared/corpus"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".jsonl") {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				files[path] = b
			}
			return nil
		})
	}
	jobs, _ := filepath.Glob("../bench-out/jobs-1000/job-*")
	for k := 0; k < len(jobs); k += step {
		job := jobs[k]
		if !strings.HasSuffix(job, ".zip") {
			if b, err := os.ReadFile(filepath.Join(job, "diagnostics.jsonl")); err == nil {
				files[job] = b
			}
			continue
		}
		zr, err := zip.OpenReader(job)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if f.Name != "diagnostics.jsonl" {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			files[job] = b
		}
		zr.Close()
	}
	return files
}

var diagAllJobs = flag.Bool("alljobs", false, "TestTemplatesAgree: every job of bench-out/jobs-1000, not a fourth")

// TestTemplatesAgree holds byTemplates to the general path on whole real
// files, where most lines are read by the template of the line before of
// their event: each file gives the same log, from a reader and in place,
// with onePass (and so the templates) as without; and on a batch job's
// file, byTemplates reads nine lines in ten.
func TestTemplatesAgree(t *testing.T) {
	step := 4 // a fourth of bench-out's 1000 jobs: 4 s; -alljobs for all (15 s)
	if *diagAllJobs {
		step = 1
	} else if testing.Short() {
		step = 50
	}
	files := diagRealFiles(t, step)
	if len(files) < 10 {
		t.Fatalf("%d diagnostics files found: the samples moved?", len(files))
	}
	for name, b := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			diagOnePassCheck(t, string(b))
			// Cut off at a few places: the last line, whole JSON or not,
			// ends the input without a newline.
			for _, cut := range []int{len(b) / 3, len(b)/2 + 17, len(b) - 2} {
				if cut > 0 {
					diagOnePassCheck(t, string(b[:cut]))
				}
			}
		})
	}
	p := &diagParser{d: &Log{Format: FormatJSONL}, each: func(string, *Record) {}}
	lines := bytes.Split(bytes.TrimSuffix(diagJobInput(), []byte("\n")), []byte("\n"))
	templated := 0
	for k, l := range lines {
		if p.byTemplates(l, k+1) {
			templated++
		} else if !p.onePass(l, k+1) {
			t.Fatalf("line %d not taken by onePass: %s", k+1, l)
		}
	}
	if templated < len(lines)*9/10 {
		t.Errorf("byTemplates read %d of %d lines of a batch job's file: the templates are not used", templated, len(lines))
	}
}
