package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The GitHub Action in the repository's root (action.yml) is tested by
// running it as a runner would, short of GitHub: each `run:` step in bash,
// in order, with the runner's variables (GITHUB_WORKSPACE, RUNNER_TEMP, a
// fresh GITHUB_OUTPUT per step whose outputs later steps read, GITHUB_PATH,
// GITHUB_ENV, GITHUB_STEP_SUMMARY, GITHUB_JOB, RUNNER_NAME, …) and an
// oomlens built from this checkout on PATH. The `uses:` steps
// (actions/setup-go, actions/upload-artifact) cannot run here and are
// skipped, each named in the log; the paths they would upload are checked
// to exist. The job is a real captured kill (testdata/scenarios), given to
// the action as the logs to include.

// actionFile is action.yml as far as the test reads it.
type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

func readAction(t *testing.T) *actionFile {
	t.Helper()
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("action.yml: runs.using %q with %d steps, want a composite action", a.Runs.Using, len(a.Runs.Steps))
	}
	return &a
}

// ref is the one form of expression the action's env, with and outputs
// use: a plain reference to an input or a step's output.
var ref = regexp.MustCompile(`\$\{\{\s*(inputs\.[A-Za-z0-9_-]+|steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+)\s*\}\}`)

// runner is the state a runner keeps between the steps of a job.
type runner struct {
	t         *testing.T
	workspace string // GITHUB_WORKSPACE, where the steps run
	inputs    map[string]string
	outputs   map[string]map[string]string // step id → name → value
	env       []string
	path      []string // GITHUB_PATH entries, the newest first
	summary   bytes.Buffer
	stdout    bytes.Buffer
}

// eval resolves a value of env:, with: or an output: each reference to an
// input or a step's output is replaced by its value; any other expression
// fails the test (it could not be evaluated here, and the steps should not
// need one).
func (r *runner) eval(v string) string {
	out := ref.ReplaceAllStringFunc(v, func(m string) string {
		parts := strings.Split(ref.FindStringSubmatch(m)[1], ".")
		if parts[0] == "inputs" {
			in, ok := r.inputs[parts[1]]
			if !ok {
				r.t.Fatalf("%s refers to an input action.yml does not declare", m)
			}
			return in
		}
		return r.outputs[parts[1]][parts[3]]
	})
	if strings.Contains(ref.ReplaceAllString(v, ""), "${{") {
		r.t.Fatalf("expression in %q is not a plain reference to an input or a step's output", v)
	}
	return out
}

// readKeyValues reads a GITHUB_OUTPUT or GITHUB_ENV file: name=value lines
// and name<<DELIMITER blocks.
func readKeyValues(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if k, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(k, "=") {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("%s: %s<<%s has no closing delimiter", path, k, delim)
			}
			out[k] = strings.Join(v, "\n")
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: line %q is neither name=value nor name<<DELIMITER", path, l)
		}
		out[k] = v
	}
	return out
}

// runStep runs one `run:` step in bash and returns its error.
func (r *runner) runStep(i int, s actionStep, tmp string) error {
	t := r.t
	if s.Shell != "bash" {
		t.Fatalf("step %q: shell %q; a composite step must name its shell, and this one is tested in bash", s.Name, s.Shell)
	}
	if s.If != "" {
		t.Fatalf("step %q: a run step with if: %q, which this test cannot evaluate", s.Name, s.If)
	}
	if strings.Contains(s.Run, "${{") {
		t.Fatalf("step %q: ${{ }} inside the script (pass it through env: so that no input is run as code)", s.Name)
	}
	dir := filepath.Join(tmp, "step", string(rune('a'+i)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_STATE"} {
		files[f] = filepath.Join(dir, strings.ToLower(f))
		if err := os.WriteFile(files[f], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "script.sh")
	if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append([]string{}, r.env...)
	env = append(env, "PATH="+strings.Join(r.path, ":"))
	for k, f := range files {
		env = append(env, k+"="+f)
	}
	for k, v := range s.Env {
		env = append(env, k+"="+r.eval(v))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // go install compiles oomlens
	defer cancel()
	// bash --noprofile --norc -eo pipefail {0} is what the runner runs for
	// shell: bash.
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Env = env
	cmd.Dir = r.workspace
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r.stdout.Write(out.Bytes())
	t.Logf("step %q:\n%s", s.Name, out.String())
	if err != nil {
		return err
	}
	if s.ID != "" {
		r.outputs[s.ID] = readKeyValues(t, files["GITHUB_OUTPUT"])
	}
	for k, v := range readKeyValues(t, files["GITHUB_ENV"]) {
		r.env = append(r.env, k+"="+v)
	}
	if b, _ := os.ReadFile(files["GITHUB_PATH"]); len(b) > 0 {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		r.path = append(lines, r.path...)
	}
	b, _ := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
	r.summary.Write(b)
	return nil
}

// builtOomlens is the oomlens built from this checkout, once per test
// binary (TestMain removes its folder).
var builtOomlens struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildOomlens builds ./cmd/oomlens from this checkout, once, and returns
// the binary.
func buildOomlens(t *testing.T) string {
	t.Helper()
	b := &builtOomlens
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "oomlens-action-test-"); b.err != nil {
			return
		}
		b.bin = filepath.Join(b.dir, "oomlens")
		out, err := exec.Command("go", "build", "-o", b.bin, "./cmd/oomlens").CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build ./cmd/oomlens: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// removeBuiltOomlens removes what buildOomlens built.
func removeBuiltOomlens() {
	if builtOomlens.dir != "" {
		os.RemoveAll(builtOomlens.dir)
	}
}

// copyTree copies the files of src (one level) into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runAction runs action.yml's steps as a runner would, with the given
// inputs over the defaults; it returns the runner and the error of the
// first step that failed.
func runAction(t *testing.T, a *actionFile, with map[string]string, workspace, tmp string, path []string) (*runner, error) {
	return runActionEnv(t, a, with, workspace, tmp, path)
}

// runActionEnv is runAction with the named variables of the test's own
// environment passed on to the steps (Go's, for the install step).
func runActionEnv(t *testing.T, a *actionFile, with map[string]string, workspace, tmp string, path []string, pass ...string) (*runner, error) {
	r := &runner{t: t, workspace: workspace, inputs: map[string]string{}, outputs: map[string]map[string]string{}, path: path}
	for k, in := range a.Inputs {
		r.inputs[k] = in.Default
	}
	for k, v := range with {
		if _, ok := a.Inputs[k]; !ok {
			t.Fatalf("input %q is not declared in action.yml", k)
		}
		r.inputs[k] = v
	}
	wd, _ := os.Getwd()
	runnerTemp := filepath.Join(tmp, "runner-temp")
	if err := os.MkdirAll(runnerTemp, 0o755); err != nil {
		t.Fatal(err)
	}
	r.env = []string{
		"HOME=" + tmp, "LANG=C.UTF-8",
		"CI=true", "GITHUB_ACTIONS=true",
		"GITHUB_WORKSPACE=" + workspace, "RUNNER_TEMP=" + runnerTemp,
		"GITHUB_ACTION_PATH=" + wd, "GITHUB_JOB=tests", "GITHUB_RUN_ID=12345678",
		"GITHUB_RUN_NUMBER=42", "GITHUB_RUN_ATTEMPT=2", "GITHUB_REPOSITORY=example/suite",
		"GITHUB_SHA=0123456789abcdef0123456789abcdef01234567", "GITHUB_EVENT_NAME=push",
		"RUNNER_NAME=GitHub Actions 7", "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
		"RUNNER_TOOL_CACHE=" + filepath.Join(tmp, "toolcache"),
	}
	for _, k := range pass {
		if v, ok := os.LookupEnv(k); ok {
			r.env = append(r.env, k+"="+v)
		}
	}
	for i, s := range a.Runs.Steps {
		switch {
		case s.Uses != "" && s.Run != "":
			t.Fatalf("step %q has both uses and run", s.Name)
		case s.Uses != "":
			// Resolve its inputs all the same: a reference to a missing
			// output shows here.
			for k, v := range s.With {
				s.With[k] = r.eval(v)
			}
			t.Logf("skipped step %q (uses: %s, with %v): it runs only on GitHub", s.Name, s.Uses, s.With)
			continue
		}
		if err := r.runStep(i, s, tmp); err != nil {
			return r, err
		}
	}
	return r, nil
}

// TestGitHubAction runs action.yml's `run:` steps over a real captured
// kill and checks the job summary it wrote: the Markdown verdict of the
// folder that `oomlens collect` wrote, naming the leaks the scenario's
// expect.json names; and the report and folder the upload steps name.
func TestGitHubAction(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the action runs on Linux runners")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	a := readAction(t)
	tmp := t.TempDir()
	bin := buildOomlens(t)

	// The job's workspace: the captured logs of a real kill, as a test
	// step left them, and a memory cgroup's files (v1) as the job's.
	workspace := filepath.Join(tmp, "work", "suite")
	copyTree(t, "testdata/scenarios/verbose-plugin", filepath.Join(workspace, "artifacts"))
	cg := filepath.Join(tmp, "cgroup")
	copyCgroup(t, cg)

	sysPath := filepath.SplitList(os.Getenv("PATH"))
	r, err := runAction(t, a, map[string]string{
		"version": "", // the oomlens on PATH, built from this checkout
		"logs":    "  artifacts/*.log\nartifacts/diag.jsonl\n\nartifacts/**\nno-such-*.txt\n",
		"since":   "1s", // no record of this machine's kernel: the job's are in its logs
		"cgroup":  cg,
	}, workspace, tmp, append([]string{filepath.Dir(bin)}, sysPath...))
	if err != nil {
		t.Fatalf("a step failed: %v", err)
	}

	paths := r.outputs["paths"]
	folder, report, name := paths["folder"], paths["report"], paths["artifact"]
	if want := filepath.Join(tmp, "runner-temp", "oomlens-job"); folder != want {
		t.Errorf("folder %q, want %q (RUNNER_TEMP/oomlens-job)", folder, want)
	}
	if name != "oomlens-tests-2-GitHub-Actions-7" {
		t.Errorf("artifact name %q, want oomlens-tests-2-GitHub-Actions-7", name)
	}
	if !strings.Contains(r.stdout.String(), "::warning title=oomlens::no file matches the log pattern no-such-*.txt") {
		t.Error("no warning for the log pattern that matched nothing")
	}

	// The folder: collect.json and one copy of each log, however many
	// patterns matched it.
	if _, err := os.Stat(filepath.Join(folder, "collect.json")); err != nil {
		t.Errorf("the job folder has no collect.json: %v", err)
	}
	logs, _ := filepath.Glob(filepath.Join(folder, "logs", "*"))
	var names []string
	for _, l := range logs {
		names = append(names, filepath.Base(l))
	}
	if strings.Join(names, " ") != "diag.jsonl kernel.log pytest.log" {
		t.Errorf("logs copied: %v, want diag.jsonl kernel.log pytest.log once each", names)
	}

	// The summary is the Markdown report of the folder, analysed from its
	// parent so that it names no absolute path.
	summary := r.summary.String()
	cmd := exec.Command(bin, "analyze", "--format", "markdown", filepath.Base(folder))
	cmd.Dir = filepath.Dir(folder)
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("oomlens analyze --format markdown: %v", err)
	}
	if summary != string(want) {
		t.Errorf("the job summary is not the folder's Markdown report:\n--- summary\n%s\n--- report\n%s", summary, want)
	}
	if strings.Contains(summary, tmp) {
		t.Error("the summary names the runner's absolute paths")
	}
	var expect struct {
		Leaks []struct {
			Test string `json:"test"`
		} `json:"leaks"`
	}
	b, err := os.ReadFile("testdata/scenarios/verbose-plugin.expect.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &expect); err != nil {
		t.Fatal(err)
	}
	if len(expect.Leaks) == 0 {
		t.Fatal("the scenario names no leak")
	}
	// The verdict is the first paragraph; the leaks' table rows follow.
	verdict, _, _ := strings.Cut(summary, "\n\n")
	for _, l := range expect.Leaks {
		if !strings.Contains(verdict, l.Test) {
			t.Errorf("the summary's verdict does not name the leak %s:\n%s", l.Test, verdict)
		}
		if !regexp.MustCompile("(?m)^\\| [0-9]+ \\| `" + regexp.QuoteMeta(l.Test) + "` \\|").MatchString(summary) {
			t.Errorf("the summary has no table row for the leak %s", l.Test)
		}
	}
	if !strings.Contains(verdict, "OOM kill") {
		t.Errorf("the summary's verdict does not say OOM kill:\n%s", verdict)
	}

	// What the upload steps would upload.
	html, err := os.ReadFile(report)
	if err != nil || !bytes.HasPrefix(html, []byte("<!DOCTYPE html>")) {
		t.Errorf("the HTML report %s: %v, %.40q", report, err, html)
	}
	for _, s := range a.Runs.Steps {
		if !strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			continue
		}
		p := r.eval(s.With["path"])
		if _, err := os.Stat(p); err != nil || (p != report && p != folder) {
			t.Errorf("step %q uploads %q (%v), want the report or the folder", s.Name, p, err)
		}
		if n := r.eval(s.With["name"]); !strings.HasPrefix(n, name+"-") {
			t.Errorf("step %q uploads as %q", s.Name, n)
		}
	}
	for k, o := range a.Outputs {
		if r.eval(o.Value) == "" {
			t.Errorf("output %s is empty", k)
		}
	}
}

// TestGitHubActionWithoutOomlens: with version empty and no oomlens on
// PATH, the install step fails with an error annotation that says what to
// set, and nothing runs after it.
func TestGitHubActionWithoutOomlens(t *testing.T) {
	a := readAction(t)
	tmp := t.TempDir()
	workspace := filepath.Join(tmp, "work")
	if err := os.MkdirAll(workspace, 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := runAction(t, a, map[string]string{"version": ""}, workspace, tmp, []string{"/usr/bin", "/bin"})
	if err == nil {
		t.Fatal("the action ran without an oomlens")
	}
	if !strings.Contains(r.stdout.String(), "::error title=oomlens::version is empty and no oomlens is on PATH") {
		t.Errorf("no error annotation:\n%s", r.stdout.String())
	}
	if _, ok := r.outputs["paths"]; ok {
		t.Error("steps ran after the install failed")
	}
}

// copyCgroup writes a v1 memory cgroup's files as the job's: limited, no
// kill counted.
func copyCgroup(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"memory.limit_in_bytes":     "9223372036854771712\n",
		"memory.max_usage_in_bytes": "524288000\n",
		"memory.usage_in_bytes":     "104857600\n",
		"memory.failcnt":            "0\n",
		"memory.oom_control":        "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGitLabSnippet runs the after_script of docs/ci/gitlab-ci.yml in bash
// as a failed GitLab job would (CI_JOB_STATUS=failed, CI_PROJECT_DIR, the
// snippet's variables), and checks that it writes the job folder and the
// reports its artifacts name, kept on failure only; with a job that
// succeeded it writes nothing.
func TestGitLabSnippet(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the snippet runs on Linux runners")
	}
	b, err := os.ReadFile("docs/ci/gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]struct {
		Variables   map[string]string `yaml:"variables"`
		AfterScript []string          `yaml:"after_script"`
		Artifacts   struct {
			When  string   `yaml:"when"`
			Paths []string `yaml:"paths"`
		} `yaml:"artifacts"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/ci/gitlab-ci.yml: %v", err)
	}
	job, ok := doc[".oomlens-post-mortem"]
	if !ok || len(job.AfterScript) == 0 {
		t.Fatal("docs/ci/gitlab-ci.yml has no .oomlens-post-mortem job with an after_script")
	}
	if job.Artifacts.When != "on_failure" {
		t.Errorf("artifacts:when is %q, want on_failure", job.Artifacts.When)
	}
	tmp := t.TempDir()
	bin := buildOomlens(t)
	cg := filepath.Join(tmp, "cgroup")
	copyCgroup(t, cg)

	run := func(status string) (string, string) {
		project := filepath.Join(tmp, status, "project")
		copyTree(t, "testdata/scenarios/verbose-plugin", filepath.Join(project, "artifacts"))
		env := []string{"HOME=" + tmp, "LANG=C.UTF-8", "CI=true", "GITLAB_CI=true",
			"CI_JOB_STATUS=" + status, "CI_PROJECT_DIR=" + project, "CI_JOB_NAME=tests",
			"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")}
		for k, v := range job.Variables {
			env = append(env, k+"="+v)
		}
		env = append(env, "OOMLENS_VERSION=", "OOMLENS_LOGS=artifacts/*.log artifacts/diag.jsonl no-such-*.txt",
			"OOMLENS_SINCE=1s", "OOMLENS_CGROUP="+cg)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-c", strings.Join(job.AfterScript, "\n"))
		cmd.Env, cmd.Dir = env, project
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("after_script (%s): %v\n%s", status, err, out)
		}
		return project, string(out)
	}

	project, out := run("failed")
	if !strings.Contains(out, "no file matches the log pattern no-such-*.txt") {
		t.Errorf("no word of the log pattern that matched nothing:\n%s", out)
	}
	for _, p := range job.Artifacts.Paths {
		if _, err := os.Stat(filepath.Join(project, p)); err != nil {
			t.Errorf("artifact path %s was not written: %v", p, err)
		}
	}
	md, err := os.ReadFile(filepath.Join(project, "oomlens-job.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "analyze", "--format", "markdown", "oomlens-job")
	cmd.Dir = project
	want, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(md) != string(want) {
		t.Errorf("oomlens-job.md is not the folder's Markdown report")
	}
	if verdict, _, _ := strings.Cut(string(md), "\n\n"); !strings.Contains(verdict, "OOM kill") || !strings.Contains(verdict, "test_1_io.py::test_open_cached_dataset") {
		t.Errorf("the verdict does not name the kill and the leak:\n%s", verdict)
	}
	if !strings.Contains(out, "section_start:") || !strings.Contains(out, "Verdict") {
		t.Errorf("the job log has no collapsible section with the text report:\n%.2000s", out)
	}

	project, _ = run("success")
	if entries, _ := os.ReadDir(project); len(entries) != 1 {
		t.Errorf("after a job that succeeded the snippet wrote %d entries, want none beside the artifacts folder", len(entries)-1)
	}
}

// TestGitHubActionInstalls runs the action the way users do, with a
// version to install: its install step runs `go install
// github.com/oomlens/oomlens/cmd/oomlens@VERSION`, here against a module
// proxy on disk that serves this checkout as v1.99.0 and every dependency
// from the module cache (no network), with no oomlens on PATH. The
// installed oomlens must say that version and run the steps after it.
func TestGitHubActionInstalls(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the action runs on Linux runners")
	}
	if testing.Short() {
		t.Skip("builds oomlens from a module proxy (-short)")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	modCache := strings.TrimSpace(string(out))
	out, err = exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(out))) // the steps' HOME is elsewhere
	const version = "v1.99.0"
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeModuleProxy(t, proxy, "github.com/oomlens/oomlens", version)

	a := readAction(t)
	workspace := filepath.Join(tmp, "work")
	copyTree(t, "testdata/scenarios/verbose-plugin", filepath.Join(workspace, "artifacts"))
	cg := filepath.Join(tmp, "cgroup")
	copyCgroup(t, cg)
	t.Setenv("GOPROXY", "file://"+proxy+",file://"+filepath.Join(modCache, "cache", "download"))
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOTOOLCHAIN", "local")
	// -trimpath: the build cache then holds the packages whatever the
	// module cache's folder, and a second run compiles nothing.
	t.Setenv("GOFLAGS", "-modcacherw -trimpath")
	t.Setenv("GOMODCACHE", filepath.Join(tmp, "modcache"))
	r, err := runActionEnv(t, a, map[string]string{
		"version": version, "logs": "artifacts/*", "since": "1s", "cgroup": cg,
	}, workspace, tmp, []string{filepath.Dir(goBin), "/usr/local/bin", "/usr/bin", "/bin"},
		"GOPROXY", "GOSUMDB", "GOTOOLCHAIN", "GOFLAGS", "GOMODCACHE", "GOCACHE")
	if err != nil {
		t.Fatalf("a step failed: %v", err)
	}
	if want := filepath.Join(tmp, "runner-temp", "oomlens-bin", "oomlens"); r.outputs["install"]["bin"] != want {
		t.Errorf("installed at %q, want %q", r.outputs["install"]["bin"], want)
	}
	if !regexp.MustCompile(`(?m)^oomlens ` + regexp.QuoteMeta(version) + `$`).MatchString(r.stdout.String()) {
		t.Errorf("the installed oomlens does not say %s:\n%s", version, r.stdout.String())
	}
	if len(r.path) == 0 || r.path[0] != filepath.Join(tmp, "runner-temp", "oomlens-bin") {
		t.Errorf("the install step did not add its bin folder to GITHUB_PATH: %v", r.path)
	}
	if !strings.Contains(r.summary.String(), "OOM kill") {
		t.Errorf("no verdict in the summary:\n%s", r.summary.String())
	}
}

// writeModuleProxy lays out a GOPROXY file tree that serves the tracked
// files of this checkout as module@version.
func writeModuleProxy(t *testing.T, proxy, module, version string) {
	t.Helper()
	dir := filepath.Join(proxy, filepath.FromSlash(module), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout (git ls-files: %v)", err)
	}
	names := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	// A folder with a go.mod of its own (tests/duckdb) is another module:
	// a module zip leaves it out, as the go command's does.
	var nested []string
	for _, name := range names {
		if name != "go.mod" && path.Base(name) == "go.mod" {
			nested = append(nested, path.Dir(name)+"/")
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		st, err := os.Lstat(name)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a link
		}
		if slices.ContainsFunc(nested, func(dir string) bool { return strings.HasPrefix(name, dir) }) {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(module + "@" + version + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	info := fmt.Sprintf(`{"Version":%q,"Time":"2026-12-01T00:00:00Z"}`, version)
	for name, b := range map[string][]byte{
		"list": []byte(version + "\n"), version + ".info": []byte(info),
		version + ".mod": mod, version + ".zip": buf.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
