// Package batch runs the analysis over many archived jobs: it finds the jobs
// (folders and archives), reads each one safely, analyses them in parallel in
// a deterministic order, splits the work into shards, and ranks the tests by
// how many jobs named them as leakers and as victims.
package batch

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/oomlens/oomlens/decompress"
)

// Job is one failed job's artifacts: a folder of input files, or an archive
// of one.
type Job struct {
	// Name is the job's path relative to the PATH given (the PATH's own base
	// name when the PATH itself is the job).
	Name string
	// Path is where it is on disk.
	Path string
	// Archive is true for an archive file, false for a folder or a single
	// input file.
	Archive bool
}

// FindJobs lists the jobs under paths, sorted by name. A PATH that holds
// input files directly (or is itself an input file or an archive) is one job;
// otherwise each of its entries, folder or archive, is a job. Hidden entries
// are skipped.
func FindJobs(paths []string) ([]Job, error) {
	var jobs []Job
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			arch, err := isArchiveFile(p)
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, Job{Name: filepath.Base(p), Path: p, Archive: arch})
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var sub []Job
		direct := false
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			full := filepath.Join(p, e.Name())
			if e.IsDir() {
				sub = append(sub, Job{Name: e.Name(), Path: full})
				continue
			}
			if !e.Type().IsRegular() {
				continue
			}
			arch, err := isArchiveFile(full)
			if err != nil {
				return nil, err
			}
			if arch {
				sub = append(sub, Job{Name: e.Name(), Path: full, Archive: true})
			} else {
				direct = true
			}
		}
		if direct {
			name := filepath.Base(filepath.Clean(p))
			jobs = append(jobs, Job{Name: name, Path: p})
			continue
		}
		jobs = append(jobs, sub...)
	}
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].Name < jobs[j].Name })
	for i := 1; i < len(jobs); i++ {
		if jobs[i].Name == jobs[i-1].Name {
			return nil, fmt.Errorf("two jobs are named %q (%s and %s): give their parent folder instead", jobs[i].Name, jobs[i-1].Path, jobs[i].Path)
		}
	}
	return jobs, nil
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

// ParseShard reads "i/n".
func ParseShard(s string) (i, n int, err error) {
	if _, err := fmt.Sscanf(s, "%d/%d", &i, &n); err != nil || n < 1 || i < 1 || i > n || fmt.Sprintf("%d/%d", i, n) != s {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 1 <= i <= n, such as 2/8", s)
	}
	return i, n, nil
}

// isArchiveFile reports a tar (plain or compressed) or zip file by its
// content.
func isArchiveFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if isZip(head[:n]) {
		return true, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	rc, _, err := decompress.NewReader(f)
	if err != nil {
		return false, nil // a damaged compressed file is an input, reported as such
	}
	defer rc.Close()
	block := make([]byte, 512)
	n, _ = io.ReadFull(rc, block)
	return isTar(block[:n]), nil
}

// isZip reports a local file header or an empty archive's end record
// (APPNOTE.TXT 4.3.7, 4.3.16).
func isZip(b []byte) bool {
	return bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06"))
}

// isTar reports a POSIX ustar or GNU tar header block (magic at offset 257).
func isTar(b []byte) bool {
	return len(b) >= 262 && bytes.Equal(b[257:262], []byte("ustar"))
}
