package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

const kernelSample = "testdata/corpus/kernel/03-oomanalyser-archlinux-6.1.1-global.log"

func TestUseColor(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	var buf bytes.Buffer // never a terminal
	for _, tc := range []struct {
		mode string
		env  func(string) string
		want bool
	}{
		{"always", env("NO_COLOR", "1"), true}, // the flag wins over the environment
		{"always", env("TERM", "dumb"), true},
		{"never", env(), false},
		{"auto", env(), false}, // not a terminal
		{"auto", env("NO_COLOR", "1"), false},
	} {
		if got := useColor(tc.mode, &buf, tc.env); got != tc.want {
			t.Errorf("useColor(%s) = %v, want %v", tc.mode, got, tc.want)
		}
	}
	// On a terminal (a pseudo-terminal made here), NO_COLOR (any
	// non-empty value) and TERM=dumb turn auto off.
	tty := openPTY(t)
	for _, tc := range []struct {
		env  func(string) string
		want bool
	}{
		{env(), true}, {env("NO_COLOR", "1"), false}, {env("NO_COLOR", ""), true}, {env("TERM", "dumb"), false},
	} {
		if got := useColor("auto", tty, tc.env); got != tc.want {
			t.Errorf("useColor(auto) on a terminal = %v, want %v", got, tc.want)
		}
	}
}

func TestColorFlag(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	_, out, _ := oomlens(t, "", "analyze", "--color", "always", kernelSample)
	if !strings.Contains(out, "\x1b[") {
		t.Error("--color always: no colour")
	}
	_, out, _ = oomlens(t, "", "analyze", kernelSample)
	if strings.Contains(out, "\x1b[") {
		t.Error("--color auto with NO_COLOR, not on a terminal: colour")
	}
	code, _, stderr := oomlens(t, "", "analyze", "--color", "sometimes", kernelSample)
	if code != exitUsage || !strings.Contains(stderr, "--color") {
		t.Errorf("--color sometimes: exit %d, %q", code, stderr)
	}
}

func TestFormatFromOutputExtension(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		file, start string
	}{
		{"r.html", "<!DOCTYPE html>"},
		{"r.md", "**"},
		{"r.json", "{\n  \"schema\": \"oomlens/report/v1\",\n  \"tool\": {"},
		{"r.txt", "Verdict: "},
		{"r.log", "Verdict: "}, // an unknown extension: text
	} {
		path := filepath.Join(dir, tc.file)
		if code, _, stderr := oomlens(t, "", "analyze", "-o", path, kernelSample); code != exitOK {
			t.Fatalf("-o %s: exit %d: %s", tc.file, code, stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), tc.start) {
			t.Errorf("-o %s wrote %.60q, want it to start with %q", tc.file, b, tc.start)
		}
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--format", "json", "-o", filepath.Join(dir, "x.html")}, "--format json and -o"},
		{[]string{"-o", filepath.Join(dir, "json")}, "did you mean --format json"},
	} {
		code, _, stderr := oomlens(t, "", append(append([]string{"analyze"}, tc.args...), kernelSample)...)
		if code != exitUsage || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", tc.args, code, stderr, tc.says)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "json")); err == nil {
		t.Error("-o json made a file named json")
	}
	// Both given and agreeing is fine.
	if code, _, stderr := oomlens(t, "", "analyze", "--format", "markdown", "-o", filepath.Join(dir, "ok.md"), kernelSample); code != exitOK {
		t.Errorf("--format markdown -o ok.md: exit %d: %s", code, stderr)
	}
}

// TestExamplesInEveryHelp: each command of oomlens has examples in its help.
func TestExamplesInEveryHelp(t *testing.T) {
	root := newRootCmd(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "help" && c.Name() != "completion" && c.Parent() == nil || c.Parent() == root && c.Name() != "help" && c.Name() != "completion" {
			if c.Example == "" {
				t.Errorf("%s has no examples in its help", c.CommandPath())
			}
			code, out, _ := oomlens(t, "", append(strings.Fields(c.CommandPath())[1:], "--help")...)
			if code != exitOK || !strings.Contains(out, "Examples:") {
				t.Errorf("%s --help shows no examples (exit %d)", c.CommandPath(), code)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// TestFlagValueCompletion: --format and --color complete their values,
// not file names.
func TestFlagValueCompletion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"analyze", "--format", ""}, []string{"text", "markdown", "json", "html"}},
		{[]string{"analyze", "--color", ""}, []string{"auto", "always", "never"}},
		{[]string{"record", "--format", ""}, []string{"text", "markdown", "json", "html"}},
		{[]string{"batch", "--format", ""}, []string{"text", "markdown", "json", "csv"}},
		{[]string{"analyze", "--top", ""}, []string{"10", "all"}},
	} {
		code, out, stderr := oomlens(t, "", append([]string{cobra.ShellCompRequestCmd}, tc.args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if last := lines[len(lines)-1]; last != ":4" { // ShellCompDirectiveNoFileComp
			t.Errorf("%v: directive %s, want :4 (no file names)", tc.args, last)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w+"\n") {
				t.Errorf("%v: %q not offered:\n%s", tc.args, w, out)
			}
		}
	}
}

// TestUsageErrorShowsCommandUsage: a bad command line prints the usage of
// the command that was given.
func TestUsageErrorShowsCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		usage string
	}{
		{[]string{"analyze"}, "oomlens analyze [flags] PATH..."},
		{[]string{"batch", "--no-such-flag", "x"}, "oomlens batch PATH..."},
		{[]string{"record", "--interval", "0s", "--", "true"}, "oomlens record [--out DIR]"},
	} {
		code, _, stderr := oomlens(t, "", tc.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(stderr, "Usage:\n  "+tc.usage) {
			t.Errorf("%v: stderr does not show the command's usage %q:\n%s", tc.args, tc.usage, stderr)
		}
	}
}

func TestTopFlag(t *testing.T) {
	code, _, stderr := oomlens(t, "", "analyze", "--top", "0", kernelSample)
	if code != exitUsage || !strings.Contains(stderr, "--top") {
		t.Errorf("--top 0: exit %d: %s", code, stderr)
	}
	for _, top := range []string{"1", "all"} {
		if code, _, stderr := oomlens(t, "", "analyze", "--top", top, kernelSample); code != exitOK {
			t.Errorf("--top %s: exit %d: %s", top, code, stderr)
		}
	}
}

// TestPathsRelativeToWorkingDir: an input given by its absolute path is
// shown relative to the working directory in Markdown and HTML, and as
// given in JSON.
func TestPathsRelativeToWorkingDir(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(wd, kernelSample)
	for _, format := range []string{"markdown", "html", "text"} {
		_, out, _ := oomlens(t, "", "analyze", "--format", format, abs)
		if strings.Contains(out, wd) {
			t.Errorf("%s shows the working directory %s", format, wd)
		}
		if !strings.Contains(out, kernelSample) {
			t.Errorf("%s does not show %s", format, kernelSample)
		}
	}
	_, out, _ := oomlens(t, "", "analyze", "--format", "json", abs)
	if !strings.Contains(out, abs) {
		t.Error("json does not keep the path as given")
	}
}

func TestRecordReportOnStderr(t *testing.T) {
	dir := t.TempDir()
	// A last line without its newline, as a killed pytest leaves it.
	code, stdout, stderr := oomlens(t, "", "record", "--out", filepath.Join(dir, "a"), "--", "sh", "-c", "printf 'tests/t.py::test_x '")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "tests/t.py::test_x " {
		t.Errorf("stdout is %q: the report or the recorder's lines went there", stdout)
	}
	if !regexp.MustCompile(`(?m)^Verdict: `).MatchString(stderr) {
		t.Errorf("the report is not on standard error, on a line of its own:\n%s", stderr)
	}

	code, stdout, stderr = oomlens(t, "", "record", "--quiet", "--out", filepath.Join(dir, "b"), "--", "true")
	if code != 0 || stdout != "" || strings.Contains(stderr, "Verdict") {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	rep := filepath.Join(dir, "r.md")
	code, _, stderr = oomlens(t, "", "record", "--quiet", "--report", rep, "--out", filepath.Join(dir, "c"), "--", "true")
	b, err := os.ReadFile(rep)
	if code != 0 || err != nil || !strings.HasPrefix(string(b), "**") {
		t.Errorf("--report r.md: exit %d, %v, %.40q; stderr %s", code, err, b, stderr)
	}

	code, _, stderr = oomlens(t, "", "record", "--format", "json", "--out", filepath.Join(dir, "d"), "--", "true")
	if code != 0 || !strings.Contains(stderr, `"schema": "oomlens/report/v1"`) {
		t.Errorf("--format json: exit %d, stderr %.300s", code, stderr)
	}
}

func TestRecordCannotStart(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		cmd  string
		code int
	}{
		{"/nonexistent/cmd", 127},
		{"no-such-command-oomlens", 127},
		{"/dev/null", 126}, // found, not executable
	} {
		out := filepath.Join(dir, "job")
		code, _, stderr := oomlens(t, "", "record", "--out", out, "--", tc.cmd)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d: %s", tc.cmd, code, tc.code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: the folder %s was left behind", tc.cmd, out)
			os.RemoveAll(out)
		}
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	vcs := func(rev, when, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: when}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		version  string
		settings []debug.BuildSetting
		want     string
	}{
		{"v1.2.3", nil, "v1.2.3"},
		{"(devel)", vcs("0123456789abcdef0123", "2026-12-01T10:00:00Z", "false"), "0123456789ab (2026-12-01T10:00:00Z)"},
		{"(devel)", vcs("0123456789abcdef0123", "2026-12-01T10:00:00Z", "true"), "0123456789ab+dirty (2026-12-01T10:00:00Z)"},
		{"(devel)", vcs("0123456", "", "false"), "0123456"},
		{"(devel)", vcs("012345", "", "false"), "dev"}, // fewer than 7 hex digits is no revision
		{"(devel)", nil, "dev"},
		{"", nil, "dev"},
	} {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/oomlens/oomlens", Version: tc.version}, Settings: tc.settings}
		if got := versionFromBuildInfo(bi); got != tc.want {
			t.Errorf("version %q %v: %q, want %q", tc.version, tc.settings, got, tc.want)
		}
	}
	_, a, _ := oomlens(t, "", "version")
	_, b, _ := oomlens(t, "", "--version")
	if a != b || !strings.HasPrefix(a, "oomlens ") {
		t.Errorf("version %q and --version %q differ", a, b)
	}
}

// TestGoInstallFromFreshClone installs oomlens from a clone of this
// repository's HEAD, as `go install …@latest` would from the module proxy
// (which cannot be reached here), and checks that the binary names its
// commit.
func TestGoInstallFromFreshClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds oomlens from a fresh clone: skipped with -short")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	head, err := exec.Command(git, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	rev := strings.TrimSpace(string(head))
	top, err := exec.Command(git, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clone := filepath.Join(dir, "clone")
	run := func(cwd string, env []string, name string, args ...string) string {
		t.Helper()
		c := exec.Command(name, args...)
		c.Dir = cwd
		c.Env = append(os.Environ(), env...)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run("", nil, git, "clone", "-q", "--no-checkout", strings.TrimSpace(string(top)), clone)
	run(clone, nil, git, "checkout", "-q", rev)
	bin := filepath.Join(dir, "bin")
	// -buildvcs=true: the default (auto) stamps the commit too, but this
	// machine's go env may turn it off.
	run(clone, []string{"GOBIN=" + bin, "GOFLAGS=-buildvcs=true", "GOPROXY=off"}, "go", "install", "./cmd/oomlens")
	got := run("", nil, filepath.Join(bin, "oomlens"), "version")
	// Go makes the main module's version from the commit: a
	// pseudo-version v0.0.0-<commit time>-<12 hex digits of the revision>
	// (or, before Go 1.24, none: then the revision and time are shown).
	if !strings.HasPrefix(got, "oomlens ") || !strings.Contains(got, rev[:12]) {
		t.Errorf("the installed oomlens says %q, want its revision %s", got, rev[:12])
	}
	if v := run("", nil, filepath.Join(bin, "oomlens"), "--version"); v != got {
		t.Errorf("--version says %q, version %q", v, got)
	}
}

// openPTY opens a new pseudo-terminal and returns its terminal side.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}
