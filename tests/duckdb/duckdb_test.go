// Package duckdb queries the Parquet files of `oomlens batch --parquet` with
// DuckDB, as a fleet's users do. It is a module of its own: DuckDB's driver
// needs cgo and a C++ toolchain, and the oomlens module and binary stay
// pure Go.
package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/oomlens/oomlens/batch"
)

// copyJob copies a scenario's files into dst.
func copyJob(t *testing.T, src, dst string) {
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

// TestDuckDBRanksTheLeakerFirst runs two shards of a batch over the real
// scenarios (each kept twice, as two nights' failures) with a stray file
// and an unreadable archive beside them, writes each shard's Parquet files
// into a folder of its own, and queries all shards at once with DuckDB.
func TestDuckDBRanksTheLeakerFirst(t *testing.T) {
	scenarios, err := filepath.Glob("../../testdata/scenarios/*.expect.json")
	if err != nil || len(scenarios) < 6 {
		t.Fatalf("scenarios: %v, %d", err, len(scenarios))
	}
	root := t.TempDir()
	jobsDir := filepath.Join(root, "jobs")
	for _, s := range scenarios {
		src := strings.TrimSuffix(s, ".expect.json")
		for _, night := range []string{"mon", "tue"} {
			copyJob(t, src, filepath.Join(jobsDir, night+"-"+filepath.Base(src)))
		}
	}
	os.WriteFile(filepath.Join(jobsDir, "README.txt"), []byte("the failed jobs of the week\n"), 0o644)
	os.WriteFile(filepath.Join(jobsDir, "wed-cut.zip"), []byte("PK\x03\x04 the download stopped here"), 0o644)
	jobs, warnings, err := batch.FindJobs([]string{jobsDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2*len(scenarios)+1 || len(warnings) != 1 {
		t.Fatalf("%d jobs, warnings %q", len(jobs), warnings)
	}
	out := filepath.Join(root, "parquet")
	const shards = 2
	for i := 1; i <= shards; i++ {
		var mine []batch.Job
		for _, j := range jobs {
			if batch.InShard(j.Name, i, shards) {
				mine = append(mine, j)
			}
		}
		w, err := batch.NewParquetWriter(filepath.Join(out, fmt.Sprintf("shard-%d", i)), "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := batch.Run(context.Background(), mine, batch.Options{Workers: 2}, w.Add); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	findings := fmt.Sprintf("read_parquet('%s')", filepath.Join(out, "*", batch.FindingsParquet))
	jobsTable := fmt.Sprintf("read_parquet('%s')", filepath.Join(out, "*", batch.JobsParquet))

	// The ranking a fleet's owner asks for: the tests most jobs named as
	// leakers, with the median memory kept.
	rows, err := db.Query(`
		SELECT test,
		       count(DISTINCT job) FILTER (WHERE role = 'leak')   AS leak_jobs,
		       count(DISTINCT job) FILTER (WHERE role = 'victim') AS victim_jobs,
		       median(retained_bytes) FILTER (WHERE role = 'leak') AS median_retained
		FROM ` + findings + `
		GROUP BY test
		ORDER BY leak_jobs DESC, median_retained DESC NULLS LAST, test`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type ranked struct {
		test           string
		leak, victim   int
		medianRetained sql.NullFloat64
	}
	var got []ranked
	for rows.Next() {
		var r ranked
		if err := rows.Scan(&r.test, &r.leak, &r.victim, &r.medianRetained); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// The suite's two true leaks are named in the 4 scenarios whose
	// evidence can attribute them (not verbose-nodiag, not victim-only),
	// twice over; the test in flight is the victim of every job.
	if len(got) < 3 {
		t.Fatalf("ranking %+v", got)
	}
	top := got[0]
	if top.test != "test_1_io.py::test_open_cached_dataset" || top.leak != 8 || !top.medianRetained.Valid ||
		top.medianRetained.Float64 < 90<<20 || top.medianRetained.Float64 > 110<<20 {
		t.Errorf("first: %+v, want test_1_io.py::test_open_cached_dataset in 8 jobs keeping ~96 MiB", top)
	}
	if got[1].test != "test_3_registry.py::test_register_dataset" || got[1].leak != 8 {
		t.Errorf("second: %+v", got[1])
	}
	// Every scenario's victim is test_merge_all, in both nights' copies.
	nights := 2 * len(scenarios)
	for _, r := range got {
		if r.test == "test_3_registry.py::test_merge_all" && (r.leak != 0 || r.victim != nights) {
			t.Errorf("the victim: %+v, want 0 leak jobs and %d victim jobs", r, nights)
		}
	}

	// jobs.parquet: one row per job, the unreadable one with its error, and
	// the kills joined to the findings.
	var total, failed, oomKilled, pythonKills int
	err = db.QueryRow(`
		SELECT count(*), count(error), count(*) FILTER (WHERE run_end = 'oom-kill'),
		       count(*) FILTER (WHERE kill_comm = 'python3' AND kill_anon_rss_bytes > 0 AND kill_time IS NOT NULL)
		FROM `+jobsTable).Scan(&total, &failed, &oomKilled, &pythonKills)
	if err != nil {
		t.Fatal(err)
	}
	// Every scenario's kill is of python3; verbose-nodiag's has no time
	// (kernel uptime stamps, and no input to put them on the wall clock);
	// every run ends in the OOM kill but xdist-plugin's, whose controller
	// went on to its summary.
	if want := nights - 2; total != len(jobs) || failed != 1 || oomKilled != want || pythonKills != want {
		t.Errorf("jobs: %d rows, %d failed, %d oom-kill, %d python3 kills with a time; want %d, 1, %d, %d", total, failed, oomKilled, pythonKills, len(jobs), want, want)
	}
	var joined int
	err = db.QueryRow(`
		SELECT count(DISTINCT f.job) FROM ` + findings + ` f JOIN ` + jobsTable + ` j USING (job)
		WHERE f.role = 'leak' AND j.kill_memcg IS NOT NULL`).Scan(&joined)
	if err != nil {
		t.Fatal(err)
	}
	if joined != 8 {
		t.Errorf("%d jobs with leaks and a memcg kill, want 8", joined)
	}
}
