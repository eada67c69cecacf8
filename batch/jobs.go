// Package batch runs the analysis over many archived jobs: it finds the jobs
// (folders and archives), reads each one safely, analyses them in parallel in
// a deterministic order, splits the work into shards, and ranks the tests by
// how many jobs named them as leakers and as victims.
package batch

import (
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/oomlens/oomlens/discover"
)

// Job is one failed job's artifacts: a folder of input files, an archive of
// one, or one job of a GitHub Actions run's logs zip.
type Job struct {
	// Name is the job's path relative to the PATH given (the PATH's own base
	// name when the PATH itself is the job); "run.zip/job name" for a job of
	// a GitHub Actions run's logs.
	Name string
	// Path is where it is on disk.
	Path string
	// Archive is true for an archive file, false for a folder or a single
	// input file.
	Archive bool
	// Members are the archive members that are this job's inputs, nil for
	// all of them (set for the jobs of a GitHub Actions run's logs).
	Members []string
}

// FindJobs lists the jobs under paths, sorted by name, and warns of what it
// skipped. A PATH that is a file is one job (an archive holding one run's
// logs is one job per job of the run). A folder PATH is one job only when it
// holds input files and no job folders or archives; otherwise each of its
// folders and archives is a job, and a file beside them that is neither is
// a stray: a warning, never a reason to merge the jobs into one. Hidden
// entries are skipped. An archive that cannot be read is still a job, which
// fails with the reason when it is read.
func FindJobs(paths []string) ([]Job, []string, error) {
	var jobs []Job
	var warnings []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			arch, err := discover.IsArchive(p)
			if err != nil {
				return nil, nil, err
			}
			jobs = append(jobs, archiveJobs(filepath.Base(p), p, arch)...)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, nil, err
		}
		var sub []Job
		var files []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			full := filepath.Join(p, e.Name())
			if e.IsDir() {
				sub = append(sub, Job{Name: e.Name(), Path: full})
			} else if e.Type().IsRegular() {
				files = append(files, full)
			}
		}
		found, strays, err := fileJobs(files)
		if err != nil {
			return nil, nil, err
		}
		sub = append(sub, found...)
		if len(sub) == 0 && len(strays) > 0 {
			jobs = append(jobs, Job{Name: filepath.Base(filepath.Clean(p)), Path: p})
			continue
		}
		for _, s := range strays {
			warnings = append(warnings, fmt.Sprintf("%s: not a job (neither a folder nor an archive) beside the jobs of %s: skipped", s, p))
		}
		jobs = append(jobs, sub...)
	}
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].Name < jobs[j].Name })
	for i := 1; i < len(jobs); i++ {
		if jobs[i].Name == jobs[i-1].Name {
			return nil, nil, fmt.Errorf("two jobs are named %q (%s and %s): give their parent folder instead", jobs[i].Name, jobs[i-1].Path, jobs[i].Path)
		}
	}
	return jobs, warnings, nil
}

// fileJobs sorts the files beside a folder's jobs into the jobs of those
// that are archives and the strays that are not. Telling an archive of one
// job from a GitHub Actions run's logs opens each file (its zip directory,
// or its head when its name does not say), one after the other a few
// hundred milliseconds for 10,000 jobs before the first job could start
// (BenchmarkFindJobs), so the files are shared out among as many
// goroutines as there are CPUs. The jobs come in the order of files.
func fileJobs(files []string) (jobs []Job, strays []string, err error) {
	type found struct {
		jobs []Job
		err  error
	}
	out := make([]found, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				arch, err := discover.IsArchive(files[i])
				if arch {
					out[i].jobs = archiveJobs(filepath.Base(files[i]), files[i], true)
				}
				out[i].err = err
			}
		}()
	}
	wg.Wait()
	for i, f := range out {
		switch {
		case f.err != nil:
			return nil, nil, f.err
		case f.jobs != nil:
			jobs = append(jobs, f.jobs...)
		default:
			strays = append(strays, files[i])
		}
	}
	return jobs, strays, nil
}

// archiveJobs is the job of the file at p, named name: one per job of a
// GitHub Actions run's logs, else one.
func archiveJobs(name, p string, arch bool) []Job {
	if !arch {
		return []Job{{Name: name, Path: p}}
	}
	run := discover.GitHubRunJobs(p)
	if run == nil {
		return []Job{{Name: name, Path: p, Archive: true}}
	}
	jobs := make([]Job, len(run))
	for i, j := range run {
		jobs[i] = Job{Name: name + "/" + j.Name, Path: p, Archive: true, Members: j.Members}
	}
	return jobs
}

// Load reads a job's inputs, as `oomlens analyze` reads a folder or an
// archive (discover.Walk), with at most maxBytes decompressed from an
// archive (0 = discover.DefaultMaxArchiveBytes). The inputs are named by the
// job's name, the same on every machine.
func Load(job Job, maxBytes int64) (*discover.Set, error) {
	return load(job, maxBytes, nil)
}

// load is Load into bufs (see discover.Buffers; nil for new memory).
func load(job Job, maxBytes int64, bufs *discover.Buffers) (*discover.Set, error) {
	opts := discover.Options{MaxArchiveBytes: maxBytes, Label: job.Name, Buffers: bufs}
	if job.Members != nil {
		members := map[string]bool{}
		for _, m := range job.Members {
			members[m] = true
		}
		opts.Members = func(name string) bool { return members[name] }
		// The members are named by the archive, the job by the run's job.
		opts.Label = strings.TrimSuffix(job.Name, "/"+jobOfRun(job))
	}
	set, err := discover.Walk([]string{job.Path}, opts)
	if err != nil {
		set.Cleanup()
		return nil, err
	}
	return set, nil
}

// jobOfRun is the run's job name within a run-logs job's Name.
func jobOfRun(job Job) string {
	if len(job.Members) == 0 {
		return ""
	}
	m := job.Members[0]
	if i := strings.IndexByte(m, '/'); i >= 0 {
		return m[:i] // a step log: "job/N_step.txt"
	}
	if i := strings.IndexByte(m, '_'); i >= 0 {
		return strings.TrimSuffix(m[i+1:], ".txt") // "N_job.txt"
	}
	return ""
}

// InShard reports whether the job named name belongs to shard i of n (i from
// 1 to n), by a hash of the name (FNV-1a, 64 bits), so that every machine of a
// CI matrix or a Kubernetes indexed Job takes its share without talking to
// the others.
func InShard(name string, i, n int) bool {
	if n <= 1 {
		return true
	}
	h := fnv.New64a()
	io.WriteString(h, name)
	return int(h.Sum64()%uint64(n)) == i-1
}

// ParseShard reads "i/n", or "auto": the shard of a Kubernetes Indexed Job
// pod, from the environment getenv reads (JOB_COMPLETION_INDEX, 0-based,
// and the completion count, see ShardCountVars).
func ParseShard(s string, getenv func(string) string) (i, n int, err error) {
	if s == "auto" {
		return autoShard(getenv)
	}
	if _, err := fmt.Sscanf(s, "%d/%d", &i, &n); err != nil || n < 1 || i < 1 || i > n || fmt.Sprintf("%d/%d", i, n) != s {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 1 <= i <= n, such as 2/8, or auto", s)
	}
	return i, n, nil
}

// ShardCountVars are the environment variables read, in order, for the
// number of shards of --shard auto. Kubernetes sets JOB_COMPLETION_INDEX in
// the pods of an Indexed Job but not the completion count, which the Job's
// spec passes down (env: OOMLENS_SHARDS, value: the spec.completions).
var ShardCountVars = []string{"OOMLENS_SHARDS", "JOB_COMPLETIONS"}

func autoShard(getenv func(string) string) (int, int, error) {
	idx := getenv("JOB_COMPLETION_INDEX")
	if idx == "" {
		return 0, 0, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX is not set (it is set in the pods of a Kubernetes Indexed Job)")
	}
	var count, from string
	for _, v := range ShardCountVars {
		if count = getenv(v); count != "" {
			from = v
			break
		}
	}
	if count == "" {
		return 0, 0, fmt.Errorf("--shard auto: the number of shards is not set: set %s to the Job's spec.completions", strings.Join(ShardCountVars, " or "))
	}
	i, err1 := strconv.Atoi(idx)
	n, err2 := strconv.Atoi(count)
	if err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX=%q and %s=%q: want 0 <= index < count", idx, from, count)
	}
	return i + 1, n, nil
}
