package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// oomlens runs the command line in-process from the repository's root and
// returns its exit code, standard output and standard error.
func oomlens(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestMain(m *testing.M) {
	// Paths in reports are as given; run from the root so they read
	// "testdata/…" in every golden file.
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	code := m.Run()
	removeBuiltOomlens()
	os.Exit(code)
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"version", []string{"version"}, exitOK, ""},
		{"no command", []string{}, exitOK, ""},
		{"unknown command", []string{"analyse-this"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"analyze", "--no-such-flag", "x"}, exitUsage, "unknown flag"},
		{"analyze without paths", []string{"analyze"}, exitUsage, "requires at least 1 arg"},
		{"bad format", []string{"analyze", "--format", "pdf", "testdata/corpus/kernel"}, exitUsage, `--format "pdf"`},
		{"bad noise floor", []string{"analyze", "--noise-floor", "lots", "testdata/corpus/kernel"}, exitUsage, "--noise-floor"},
		{"bad tz", []string{"analyze", "--tz", "Mars/Olympus", "testdata/corpus/kernel"}, exitUsage, "--tz"},
		{"bad boot time", []string{"analyze", "--boot-time", "yesterday", "testdata/corpus/kernel"}, exitUsage, "--boot-time"},
		{"missing input", []string{"analyze", "testdata/no/such/file.log"}, exitError, "testdata/no/such/file.log"},
		{"bad shard", []string{"batch", "--shard", "3/2", "testdata/corpus"}, exitUsage, "--shard"},
		{"aggregate missing file", []string{"aggregate", "testdata/none.jsonl"}, exitError, "testdata/none.jsonl"},
		{"collect without --out", []string{"collect"}, exitUsage, "--out DIR is required"},
		{"collect bad since", []string{"collect", "--out", "x", "--since", "last week"}, exitUsage, `--since "last week"`},
		{"collect with args", []string{"collect", "--out", "x", "extra"}, exitUsage, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := oomlens(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not say %q", stderr, tc.stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	_, out, _ := oomlens(t, "", "version")
	if out != "oomlens dev\n" {
		t.Errorf("version printed %q", out)
	}
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	code, out, _ := oomlens(t, "", "analyze", "--help")
	if code != exitOK || !strings.Contains(out, "3  with --fail-on-leak") {
		t.Errorf("analyze --help (exit %d) lacks the exit codes:\n%s", code, out)
	}
}

// golden compares got with the golden file name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/oomlens -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (run go test ./cmd/oomlens -update and read the diff):\n%s", path, firstDiff(string(want), got))
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(same lines, different ending)"
}
