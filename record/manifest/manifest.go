// Package manifest is record.json, the file `oomlens record` writes beside
// its logs (schema oomlens/record/v1): the command, how it ended, the fate of
// the kernel log read during the run, the host and the sampler. Package
// record writes it; Sniff and Parse read it for the analysis. The one type
// serves both, so the writer and the readers cannot drift apart.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// Schema names the format of record.json.
const Schema = "oomlens/record/v1"

// FileName is the name record writes the manifest under in a job folder.
const FileName = "record.json"

// MaxBytes bounds what Parse reads: the recorder writes a few KiB.
const MaxBytes = 1 << 20

// Manifest is record.json.
type Manifest struct {
	Schema  string   `json:"schema"` // Schema
	Command []string `json:"command"`
	Start   string   `json:"start"` // RFC 3339, UTC, when the command was started
	End     string   `json:"end"`   // RFC 3339, UTC, when the command was reaped
	// ExitCode is the command's exit status when it exited, null when a
	// signal ended it.
	ExitCode *int `json:"exit_code"`
	// Signal is the signal that ended the command in Go's words ("killed"
	// for SIGKILL, "terminated", "interrupt"), null when it exited.
	Signal       *string `json:"signal"`
	SignalNumber *int    `json:"signal_number,omitempty"`
	CoreDumped   bool    `json:"core_dumped,omitempty"`
	// Status is what a shell reports: ExitCode, or 128 + SignalNumber.
	Status int `json:"status"`
	// ForwardedSignals lists the signals the recorder passed on to the
	// command's process group, in order.
	ForwardedSignals []string `json:"forwarded_signals,omitempty"`
	// Error says why the command could not be started.
	Error string `json:"error,omitempty"`
	// BootTime is the host boot time, Unix seconds (/proc/stat btime).
	BootTime int64     `json:"boot_time"`
	Host     HostFacts `json:"host"`
	// KernelLog is KernelLogFile when the kernel records appended while the
	// command ran were read (the file may be empty: nothing was logged),
	// null when they could not be, with KernelLogUnavailable saying why.
	KernelLog            *string `json:"kernel_log"`
	KernelLogUnavailable string  `json:"kernel_log_unavailable,omitempty"`
	KernelLogSource      string  `json:"kernel_log_source,omitempty"` // "/dev/kmsg" or "dmesg"
	// KernelLogWarning reports kernel records lost to ring-buffer rotation.
	KernelLogWarning string       `json:"kernel_log_warning,omitempty"`
	OOMScoreAdj      OOMScoreAdj  `json:"oom_score_adj"`
	Priority         Priority     `json:"priority"`
	Sampler          SamplerStats `json:"sampler"`
	// EnvAdded holds the variables the recorder added to the command's
	// environment (see commandEnv): {"PYTHONUNBUFFERED": "1"} unless the
	// caller's environment had it.
	EnvAdded map[string]string `json:"env_added,omitempty"`
	// OutputTruncated is set when descendants held the output pipes open
	// past OutputGrace after the command exited and reading was stopped.
	OutputTruncated bool `json:"output_truncated,omitempty"`

	// Running is true in the record.json the recorder writes at the start
	// and while the command runs; the last write clears it. A record.json
	// that still says running was left by a recorder that was killed
	// (SIGKILL, the OOM killer): the command's end is unknown.
	Running bool `json:"running,omitempty"`
	// PID is the command's process id (its process group too).
	PID int `json:"pid,omitempty"`
	// Cgroup is the child cgroup the command ran in (as /proc/<pid>/cgroup
	// prints it), empty with CgroupUnavailable saying why when none could
	// be made: then only the process group holds the command's processes.
	Cgroup            string `json:"cgroup,omitempty"`
	CgroupUnavailable string `json:"cgroup_unavailable,omitempty"`
	// Escalated says that the command's processes were still running
	// KillGraceMS after a forwarded signal and got SIGKILL.
	Escalated   bool    `json:"escalated,omitempty"`
	KillGraceMS float64 `json:"kill_grace_ms,omitempty"`
	// LeftoverProcesses counts the processes of the command still running
	// when the command itself ended (background jobs, daemons, workers);
	// LeftoverSignal is the signal that ended them ("terminated", or
	// "killed" when they outlived the grace period).
	LeftoverProcesses int    `json:"leftover_processes,omitempty"`
	LeftoverSignal    string `json:"leftover_signal,omitempty"`
	// ReaperUnavailable says why no watchdog process could be started to
	// clean up after a recorder that is killed.
	ReaperUnavailable string `json:"reaper_unavailable,omitempty"`
}

// HostFacts are go-sysinfo's facts about the machine.
type HostFacts struct {
	Hostname         string `json:"hostname"`
	OS               string `json:"os"`     // "Debian GNU/Linux 13 (trixie)"
	Kernel           string `json:"kernel"` // uname -r
	Architecture     string `json:"architecture"`
	Containerized    *bool  `json:"containerized,omitempty"`
	MemoryTotalBytes uint64 `json:"memory_total_bytes"`
	Error            string `json:"error,omitempty"`
}

// OOMScoreAdj records the OOM-killer adjustments (proc(5)
// /proc/<pid>/oom_score_adj): the recorder lowers its own to -1000 so that the
// kernel picks the suite, not the recorder; the command keeps the value the
// recorder had before.
type OOMScoreAdj struct {
	Original    int    `json:"original"`              // the recorder's value at start
	Recorder    int    `json:"recorder"`              // the recorder's value while the command ran
	Command     *int   `json:"command"`               // the command's value, read after the start
	Unprotected string `json:"unprotected,omitempty"` // why the recorder could not lower its own
}

// Priority records the recorder's CPU priority (setpriority(2) nice value).
type Priority struct {
	Original int `json:"original"` // the recorder's nice value at start
	Recorder int `json:"recorder"` // its nice value while the command ran
	// Unraised says why the recorder could not raise its priority (lowering
	// nice needs CAP_SYS_NICE or RLIMIT_NICE).
	Unraised string `json:"unraised,omitempty"`
}

// SamplerStats says what the sampler did and what it cost, for record.json.
type SamplerStats struct {
	IntervalMS   float64 `json:"interval_ms"`
	Ticks        int     `json:"ticks"`
	Processes    int     `json:"processes"`      // distinct processes seen
	MaxProcesses int     `json:"max_processes"`  // most at one tick
	Discovery    string  `json:"tree_discovery"` // "children" or "scan"
	MeanTickUS   float64 `json:"mean_tick_us"`
	MaxTickUS    float64 `json:"max_tick_us"`
	LateTicks    int     `json:"late_ticks"` // ticks that took longer than the interval
	// LineTicks counts the ticks asked for by an output line that names a
	// pytest node id (see run), on top of the periodic ones.
	LineTicks  int    `json:"line_ticks"`
	WriteError string `json:"write_error,omitempty"`
}

var reSchema = regexp.MustCompile(`^\{\s*"schema"\s*:\s*"oomlens/record/v\d+"`)

// Sniff reports whether head, the first bytes of an input (a byte order mark
// removed), is a record.json: a JSON object whose first key is an
// oomlens/record schema, as the recorder writes it.
func Sniff(head []byte) bool {
	return reSchema.Match(bytes.TrimLeft(head, " \t\r\n"))
}

// Parse decodes a record.json from r. An error names the input (name) and,
// for bad JSON, the byte offset: a record.json cut off (the recorder was
// killed while writing it) or garbled.
func Parse(r io.Reader, name string) (*Manifest, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(raw) > MaxBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes, not read as a record.json", name, MaxBytes)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s: offset %d: record.json is not valid JSON (cut off?): %v", name, se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%s: offset %d: record.json field %s: %v", name, te.Offset, te.Field, err)
		}
		return nil, fmt.Errorf("%s: record.json: %v", name, err)
	}
	return &m, nil
}
