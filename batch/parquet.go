package batch

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/oomlens/oomlens/correlate"
)

// The Parquet files of a batch (docs/batch-parquet.md): one row per job,
// and one row per job × test × role, for an engine that already scales
// (DuckDB, BigQuery, Spark) to query many batches at once.
const (
	JobsParquet     = "jobs.parquet"
	FindingsParquet = "findings.parquet"
)

// Finding roles: why a job names a test.
const (
	RoleLeak     = "leak"     // correlate.Leak: kept memory it added, still held at the kill
	RoleGroup    = "group"    // correlate.Leak with a Group: tests that leaked together; test is the group id (path::test[*], path::Class::*, path::*, fixture …)
	RoleVictim   = "victim"   // correlate.InFlight: running when the kernel killed
	RoleHog      = "hog"      // correlate.Hog: peaked high and gave the memory back
	RoleUnclosed = "unclosed" // correlate.Unclosed: left objects open, below the noise floor
)

// JobRow is one row of jobs.parquet.
type JobRow struct {
	Job   string  `parquet:"job"`
	Error *string `parquet:"error,optional"` // why the job could not be read or analysed; the other columns are then null
	// Partial is set when reading the job skipped or found something cut
	// off (its job_warnings in --jsonl).
	Partial bool `parquet:"partial"`
	// RunEnd is how the run ended: complete, oom-kill, sigkill, timeout,
	// crash, cancelled, memoryerror, unknown.
	RunEnd   *string `parquet:"run_end,optional"`
	ExitCode *int32  `parquet:"exit_code,optional"`
	// The kill that ended the run (or the first kill the job shows).
	KillPID          *int64     `parquet:"kill_pid,optional"`
	KillComm         *string    `parquet:"kill_comm,optional"`
	KillConstraint   *string    `parquet:"kill_constraint,optional"` // CONSTRAINT_MEMCG, CONSTRAINT_NONE, …
	KillMemcg        *string    `parquet:"kill_memcg,optional"`      // the memory cgroup whose limit was hit (oom_memcg)
	KillTaskMemcg    *string    `parquet:"kill_task_memcg,optional"` // the killed task's cgroup
	KillAnonRSSBytes *int64     `parquet:"kill_anon_rss_bytes,optional"`
	KillTime         *time.Time `parquet:"kill_time,optional,timestamp(microsecond:utc)"`
	Kills            int32      `parquet:"kills"`
	Leaks            int32      `parquet:"leaks"`
	Verdict          *string    `parquet:"verdict,optional"`
	// ToolVersion is the oomlens that analysed the job.
	ToolVersion string `parquet:"tool_version"`
}

// FindingRow is one row of findings.parquet: a test a job names, in one
// role. A test that leaked on two xdist workers is two rows (worker).
type FindingRow struct {
	Job           string  `parquet:"job"`
	Test          string  `parquet:"test"`
	Role          string  `parquet:"role"`
	RetainedBytes *int64  `parquet:"retained_bytes,optional"` // leak, hog: what it kept
	PeakBytes     *int64  `parquet:"peak_bytes,optional"`     // hog: its peak
	Confidence    *string `parquet:"confidence,optional"`     // leak: high, medium, low
	Worker        *string `parquet:"worker,optional"`         // the xdist worker (gw0), null without xdist
	PID           *int64  `parquet:"pid,optional"`
}

// ParquetWriter writes the Parquet files of a batch into a folder, each
// under a temporary name renamed at Close, so that a batch that stops
// half-way leaves no file an engine would read as complete.
type ParquetWriter struct {
	dir         string
	toolVersion string
	jobsF       *os.File
	findingsF   *os.File
	jobs        *parquet.GenericWriter[JobRow]
	findings    *parquet.GenericWriter[FindingRow]
	frows       []FindingRow
}

// NewParquetWriter creates dir if missing and starts its two files.
// toolVersion fills the tool_version column.
func NewParquetWriter(dir, toolVersion string) (*ParquetWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := &ParquetWriter{dir: dir, toolVersion: toolVersion}
	var err error
	if p.jobsF, err = os.Create(filepath.Join(dir, JobsParquet+".tmp")); err != nil {
		return nil, err
	}
	if p.findingsF, err = os.Create(filepath.Join(dir, FindingsParquet+".tmp")); err != nil {
		p.jobsF.Close()
		return nil, err
	}
	opts := []parquet.WriterOption{parquet.Compression(&zstd.Codec{}), parquet.CreatedBy("oomlens", toolVersion, "")}
	p.jobs = parquet.NewGenericWriter[JobRow](p.jobsF, opts...)
	p.findings = parquet.NewGenericWriter[FindingRow](p.findingsF, opts...)
	return p, nil
}

func ptr[T any](v T) *T { return &v }

// nonEmpty is nil for "", for the optional string columns.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Add writes the rows of one job's result.
func (p *ParquetWriter) Add(r Result) error {
	row := JobRow{Job: r.Job.Name, Partial: len(r.Warnings) > 0, ToolVersion: p.toolVersion}
	if r.Err != nil {
		row.Error = ptr(r.Err.Error())
	} else if rep := r.Report; rep != nil {
		row.RunEnd = nonEmpty(rep.RunEnd.Kind)
		if rep.RunEnd.ExitCode != nil {
			row.ExitCode = ptr(int32(*rep.RunEnd.ExitCode))
		}
		if k := endingKill(rep); k != nil {
			row.KillPID = ptr(int64(k.PID))
			row.KillComm = nonEmpty(k.Comm)
			row.KillConstraint = nonEmpty(k.Constraint)
			row.KillMemcg = nonEmpty(k.OOMMemcg)
			row.KillTaskMemcg = nonEmpty(k.TaskMemcg)
			row.KillAnonRSSBytes = k.AnonRSSBytes
			if k.Time != nil {
				if t, err := time.Parse(time.RFC3339Nano, *k.Time); err == nil {
					row.KillTime = ptr(t.UTC())
				}
			}
		}
		row.Kills = int32(len(rep.Kills))
		row.Leaks = int32(len(rep.Leaks))
		row.Verdict = nonEmpty(rep.Verdict)
		p.frows = findingRows(p.frows[:0], r.Job.Name, rep)
		if _, err := p.findings.Write(p.frows); err != nil {
			return fmt.Errorf("%s: %w", FindingsParquet, err)
		}
	}
	if _, err := p.jobs.Write([]JobRow{row}); err != nil {
		return fmt.Errorf("%s: %w", JobsParquet, err)
	}
	return nil
}

// endingKill is the kill that ended the run, else the first one.
func endingKill(rep *correlate.Report) *correlate.Kill {
	for i := range rep.Kills {
		if rep.Kills[i].EndedRun {
			return &rep.Kills[i]
		}
	}
	if len(rep.Kills) > 0 {
		return &rep.Kills[0]
	}
	return nil
}

// findingRows appends the findings of one job's report to rows.
func findingRows(rows []FindingRow, job string, rep *correlate.Report) []FindingRow {
	pid := func(p int) *int64 {
		if p == 0 {
			return nil
		}
		return ptr(int64(p))
	}
	for _, l := range rep.Leaks {
		role := RoleLeak
		if l.Group != nil {
			role = RoleGroup
		}
		rows = append(rows, FindingRow{Job: job, Test: l.Test, Role: role, RetainedBytes: ptr(l.RetainedBytes),
			Confidence: nonEmpty(l.Confidence), Worker: nonEmpty(l.Worker), PID: pid(l.PID)})
	}
	for _, f := range rep.InFlight {
		if f.Test == "" {
			continue
		}
		rows = append(rows, FindingRow{Job: job, Test: f.Test, Role: RoleVictim, Worker: nonEmpty(f.Worker), PID: pid(f.PID)})
	}
	for _, h := range rep.Hogs {
		rows = append(rows, FindingRow{Job: job, Test: h.Test, Role: RoleHog, RetainedBytes: ptr(h.RetainedBytes),
			PeakBytes: ptr(h.PeakBytes), Worker: nonEmpty(h.Worker)})
	}
	for _, u := range rep.Unclosed {
		rows = append(rows, FindingRow{Job: job, Test: u.Test, Role: RoleUnclosed, Worker: nonEmpty(u.Worker)})
	}
	return rows
}

// Close finishes both files and gives them their names. After an error
// the temporary files are removed.
func (p *ParquetWriter) Close() error {
	err := p.jobs.Close()
	if e := p.findings.Close(); err == nil {
		err = e
	}
	for _, f := range []*os.File{p.jobsF, p.findingsF} {
		if e := f.Close(); err == nil {
			err = e
		}
	}
	for _, name := range []string{JobsParquet, FindingsParquet} {
		tmp := filepath.Join(p.dir, name+".tmp")
		if err == nil {
			err = os.Rename(tmp, filepath.Join(p.dir, name))
		}
		if err != nil {
			os.Remove(tmp)
		}
	}
	return err
}

// Abort removes the unfinished files.
func (p *ParquetWriter) Abort() {
	p.jobsF.Close()
	p.findingsF.Close()
	os.Remove(p.jobsF.Name())
	os.Remove(p.findingsF.Name())
}
