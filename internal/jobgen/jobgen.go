// Package jobgen writes synthetic failed jobs, for the batch benchmark
// (scripts/genjobs, scripts/bench-batch.sh) and batch's Go benchmark.
package jobgen

import (
	"archive/zip"
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
)

// File is one input file of a job.
type File struct {
	Name string
	Data []byte
}

var leakPool = []string{
	"tests/test_io.py::test_open_cache[netcdf4]",
	"tests/test_io.py::test_open_cache[h5netcdf]",
	"tests/test_model.py::TestFit::test_keep_history",
	"tests/test_model.py::TestFit::test_memo",
	"tests/test_plot.py::test_figure_registry",
}

// Job returns the files of one failed job of tests tests: a verbose pytest
// log cut by the kill, a kernel log with noise and one memcg OOM record
// whose pid is the pytest process, and an oomlens diagnostics file in which
// two tests drawn from a small pool leak. The same rng state gives the same
// job.
func Job(rng *rand.Rand, tests int) []File {
	pid := 1000 + rng.Intn(60000)
	start := 1764150000.0 + float64(rng.Intn(1e7))
	boot := start - 1000 - float64(rng.Intn(5000))
	killAt := tests - 1 - rng.Intn(tests/4)
	leakA, leakB := rng.Intn(killAt/2), killAt/2+rng.Intn(killAt/2)
	leakNames := map[int]string{leakA: leakPool[rng.Intn(len(leakPool))], leakB: leakPool[rng.Intn(len(leakPool))]}
	for leakNames[leakA] == leakNames[leakB] {
		leakNames[leakB] = leakPool[rng.Intn(len(leakPool))]
	}

	var py, diag, kern []byte
	py = append(py, "============================= test session starts ==============================\n"+
		"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0 -- /usr/bin/python3\n"+
		"cachedir: .pytest_cache\nrootdir: /builds/project\nplugins: xdist-3.1.0\n"...)
	py = append(py, fmt.Sprintf("collecting ... collected %d items\n\n", tests)...)
	diag = append(diag, fmt.Sprintf(`{"event":"session_start","schema":"oomlens/diagnostics/v1","time":%.3f,"pid":%d,"rss_bytes":%d,"rss_anon_bytes":%d,"boot_time":%.0f,"monotonic":%.3f}`+"\n",
		start, pid, 90<<20, 60<<20, boot, start-boot)...)
	rss := int64(180 << 20)
	t := start
	names := make([]string, tests)
	for i := range names {
		if name, ok := leakNames[i]; ok {
			names[i] = name
		} else {
			names[i] = fmt.Sprintf("tests/test_mod%02d.py::test_case_%04d[param-%d]", i/40, i, i%7)
		}
	}
	for i := 0; i < tests; i++ {
		name := names[i]
		before := rss
		diag = append(diag, fmt.Sprintf(`{"event":"test_start","time":%.3f,"pid":%d,"nodeid":%q,"rss_bytes":%d,"rss_anon_bytes":%d}`+"\n", t, pid, name, rss, rss-30<<20)...)
		if i == killAt {
			py = append(py, name+" "...)
			break
		}
		peak := rss + int64(rng.Intn(8<<20))
		if _, ok := leakNames[i]; ok {
			rss += int64(300+rng.Intn(600)) << 20
			peak = rss + 10<<20
		} else if rng.Intn(50) == 0 {
			peak = rss + 900<<20 // a hog: gives it back
		}
		dur := 0.01 + rng.Float64()*0.3
		t += dur
		pct := (i + 1) * 100 / tests
		py = append(py, fmt.Sprintf("%s PASSED %*s[%3d%%]\n", name, max(1, 70-len(name)), "", pct)...)
		diag = append(diag, fmt.Sprintf(`{"event":"test_end","time":%.3f,"pid":%d,"nodeid":%q,"outcome":"passed","duration_s":%.3f,"rss_bytes":%d,"rss_anon_bytes":%d,"peak_rss_bytes":%d}`+"\n",
			t, pid, name, dur, rss, rss-30<<20, peak)...)
		_ = before
	}
	py = append(py, "Killed\n##[error]Process completed with exit code 137.\n"...)

	up := t - boot + 0.5
	for i := 0; i < 120; i++ {
		kern = append(kern, fmt.Sprintf("[%12.6f] eth0: renamed from veth%07x; link becomes ready\n", up-120+float64(i)*0.9, rng.Intn(1<<24))...)
	}
	anon := (rss - 30<<20) >> 10 // kB
	rec := []string{
		"python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
		fmt.Sprintf("CPU: 1 PID: %d Comm: python3 Not tainted 6.1.0-13-amd64 #1  Debian 6.1.55-1", pid),
		"Hardware name: Google Compute Engine/Google Compute Engine, BIOS Google 10/11/2023",
		"Call Trace:", " <TASK>", " dump_stack_lvl+0x44/0x5c", " dump_header+0x4a/0x211",
		" oom_kill_process.cold+0xb/0x10", " out_of_memory+0x1fd/0x4c0", " mem_cgroup_out_of_memory+0x134/0x150", " </TASK>",
		fmt.Sprintf("memory: usage %dkB, limit %dkB, failcnt 4211", anon+12000, anon+12000),
		"swap: usage 0kB, limit 0kB, failcnt 0",
		fmt.Sprintf("Memory cgroup stats for /ci/job-%d:", pid),
		fmt.Sprintf("anon %d", anon<<10), "file 12288000",
		"Tasks state (memory values in pages):",
		"[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
		fmt.Sprintf("[  %5d]  1001 %5d  %7d  %7d   9216000        0             0 python3", pid, pid, (anon+2<<20)/4, (anon+12000)/4),
		fmt.Sprintf("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/ci/job-%d,task_memcg=/ci/job-%d,task=python3,pid=%d,uid=1001", pid, pid, pid),
		fmt.Sprintf("Memory cgroup out of memory: Killed process %d (python3) total-vm:%dkB, anon-rss:%dkB, file-rss:12000kB, shmem-rss:0kB, UID:1001 pgtables:9000kB oom_score_adj:0", pid, anon+2<<20, anon),
	}
	for _, line := range rec {
		kern = append(kern, fmt.Sprintf("[%12.6f] %s\n", up, line)...)
	}
	kern = append(kern, fmt.Sprintf("[%12.6f] oom_reaper: reaped process %d (python3), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n", up+0.05, pid)...)
	return []File{{"pytest.log", py}, {"kernel.log", kern}, {"diagnostics.jsonl", diag}}
}

// WriteJob writes files as the i-th job of an archive of failed jobs in
// dir: the zip archive job-NNNNN.zip when zipped, else the folder
// job-NNNNN.
func WriteJob(dir string, i int, zipped bool, files []File) error {
	name := filepath.Join(dir, fmt.Sprintf("job-%05d", i))
	if zipped {
		return WriteZip(name+".zip", files)
	}
	return WriteDir(name, files)
}

// WriteDir writes files into the folder dir, created if missing.
func WriteDir(dir string, files []File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteZip writes files as the zip archive path.
func WriteZip(path string, files []File) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(out)
	zw := zip.NewWriter(bw)
	for _, f := range files {
		w, err := zw.Create(f.Name)
		if err != nil {
			return err
		}
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return out.Close()
}
