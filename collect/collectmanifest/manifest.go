// Package collectmanifest is collect.json, the file `oomlens collect` writes
// into the job folder it gathers (schema oomlens/collect/v1): where each
// file came from, the host, and what could not be read and why. Package
// collect writes it; Sniff and Parse read it for the analysis.
package collectmanifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
)

// Schema names the format of collect.json.
const Schema = "oomlens/collect/v1"

// FileName is the name collect writes the manifest under.
const FileName = "collect.json"

// MaxBytes bounds what Parse reads.
const MaxBytes = 1 << 20

// Manifest is collect.json.
type Manifest struct {
	Schema      string `json:"schema"`
	CollectedAt string `json:"collected_at"` // RFC 3339, UTC
	// Since is the start of the kernel log kept (--since), null for since
	// boot.
	Since     *string    `json:"since"`
	Host      Host       `json:"host"`
	KernelLog *KernelLog `json:"kernel_log"` // null when no source worked
	Cgroup    *Cgroup    `json:"cgroup"`     // null when none was found
	Logs      []Copy     `json:"logs"`
	// Unread is everything that could not be read, with why.
	Unread []Unread `json:"unread"`
}

// Host is what go-sysinfo and the kernel say about the machine.
type Host struct {
	Hostname      string `json:"hostname,omitempty"`
	KernelVersion string `json:"kernel_version,omitempty"`
	OS            string `json:"os,omitempty"`
	Architecture  string `json:"architecture,omitempty"`
	PageSizeBytes int    `json:"page_size_bytes,omitempty"`
	MemTotalBytes uint64 `json:"mem_total_bytes,omitempty"`
	BootTime      string `json:"boot_time,omitempty"` // RFC 3339, UTC
}

// KernelLog is the kernel log gathered.
type KernelLog struct {
	File    string `json:"file"`   // in the folder
	Source  string `json:"source"` // "/dev/kmsg", "dmesg", "journalctl -k"
	Records int    `json:"records"`
	// LostRecords is how many records since boot the ring buffer no longer
	// held (/dev/kmsg only).
	LostRecords uint64 `json:"lost_records,omitempty"`
	// Tried are the sources tried before this one, with why they failed.
	Tried []Unread `json:"tried,omitempty"`
}

// Cgroup is the job's memory cgroup.
type Cgroup struct {
	Version int      `json:"version"`
	Path    string   `json:"path"`  // as the kernel prints it (/proc/self/cgroup)
	Dir     string   `json:"dir"`   // where its files were read
	Found   string   `json:"found"` // "/proc/self/cgroup" or "--cgroup"
	Folder  string   `json:"folder"`
	Files   []string `json:"files"`
}

// Copy is one log copied into the folder.
type Copy struct {
	From string `json:"from"`
	File string `json:"file"`
}

// Unread is something that could not be read.
type Unread struct {
	What string `json:"what"`
	Why  string `json:"why"`
}

var reSchema = regexp.MustCompile(`"schema"\s*:\s*"oomlens/collect/v`)

// Sniff reports whether head is a collect.json.
func Sniff(head []byte) bool { return reSchema.Match(head) }

// Parse reads a collect.json; errors name the file.
func Parse(r io.Reader, name string) (*Manifest, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a collect.json", name, MaxBytes)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		if ok := asSyntax(err, &se); ok {
			return nil, fmt.Errorf("%s: offset %d: %v", name, se.Offset, err)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if m.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %q, want %q", name, m.Schema, Schema)
	}
	return &m, nil
}

func asSyntax(err error, se **json.SyntaxError) bool {
	s, ok := err.(*json.SyntaxError)
	if ok {
		*se = s
	}
	return ok
}
