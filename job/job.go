// Package job reads the inputs of one failed job, each with the parsers its
// kinds call for, into the correlator's evidence. It is the one place that
// knows which parser reads which kind, for analyze, batch and record alike.
package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/decompress"
	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/elfcore"
	"github.com/oomlens/oomlens/internal/warning"
	"github.com/oomlens/oomlens/pytestlog"
	"github.com/oomlens/oomlens/weathercop"
)

// Options tunes the parsers.
type Options struct {
	Location      *time.Location // zone of stamps that carry none; nil = UTC
	Year          int            // year of syslog stamps; 0 = unknown
	PageSizeBytes int64          // 0 = the kernel parser's default (4096)
	CollectFile   string         // a `pytest --collect-only -q` list named by --collect
	MaxCoreBytes  int64          // cap on a decompressed core; 0 = elfcore.DefaultMaxDecompressedBytes
}

// Load parses every input of set into evidence. Collection lists are read
// first, since the pytest log parser uses them to turn positions into node
// ids. An input that cannot be parsed is an error naming it (and the line,
// where the parser gives one); partial evidence is a warning on its input.
func Load(set *discover.Set, opts Options) (*correlate.Evidence, error) {
	ev := &correlate.Evidence{}
	if opts.CollectFile != "" {
		ids, err := readCollect(opts.CollectFile)
		if err != nil {
			return nil, err
		}
		ev.Collect = append(ev.Collect, ids...)
	}
	for _, in := range set.Inputs {
		if !in.Has(discover.KindCollectList) {
			continue
		}
		rc, err := in.Open()
		if err != nil {
			return nil, err
		}
		ids, err := pytestlog.ParseCollectList(rc, in.Path)
		rc.Close()
		if err != nil {
			return nil, err
		}
		ev.Collect = append(ev.Collect, ids...)
	}
	// The kernel log a record.json names was read during the run: an empty
	// one means the kernel logged nothing, and is read as a kernel log.
	kernelLogs := map[string]bool{}
	for _, in := range set.Inputs {
		if !in.Has(discover.KindRecordManifest) {
			continue
		}
		if m, err := readManifest(in); err == nil && m.KernelLog != nil && *m.KernelLog != "" {
			kernelLogs[path.Join(path.Dir(in.Path), *m.KernelLog)] = true
		}
	}
	for _, in := range set.Inputs {
		if kernelLogs[path.Clean(in.Path)] && !in.Has(discover.KindKernelLog) && in.TextCandidate() {
			in.Kinds = append(in.Kinds, discover.KindKernelLog)
		}
		input, err := loadOne(ev, in, opts)
		if err != nil {
			return nil, err
		}
		ev.Inputs = append(ev.Inputs, input)
	}
	return ev, nil
}

func readCollect(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rc, _, err := decompress.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rc.Close()
	return pytestlog.ParseCollectList(rc, path)
}

// parse opens in and runs fn over its decompressed content.
func parse(in *discover.Input, fn func(r io.Reader) error) error {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return fn(rc)
}

func loadOne(ev *correlate.Evidence, in *discover.Input, opts Options) (correlate.Input, error) {
	out := correlate.Input{Path: in.Path, Warnings: []string{}}
	add := func(kind string) {
		for _, k := range out.Kinds {
			if k == kind {
				return
			}
		}
		out.Kinds = append(out.Kinds, kind)
	}
	warn := func(ws []string) { out.Warnings = append(out.Warnings, ws...) }
	switch {
	case in.Has(discover.KindCore):
		core, err := readCore(in, opts)
		if err != nil {
			return out, err
		}
		add(discover.KindCore)
		warn(heapWarnings(in.Path, core.Warnings))
		ev.Cores = append(ev.Cores, correlate.CoreInput{Path: in.Path, Core: core})
	case in.Has(discover.KindDiagnostics):
		var d *diagnostics.Log
		err := parse(in, func(r io.Reader) (err error) {
			d, err = diagnostics.Parse(r, diagnostics.Options{Name: in.Path, SizeHintBytes: sizeHint(in)})
			return err
		})
		if err != nil {
			return out, err
		}
		add(discover.KindDiagnostics)
		warn(heapWarnings(in.Path, d.Warnings))
		ev.Diagnostics = append(ev.Diagnostics, correlate.DiagnosticsInput{Path: in.Path, Diag: d})
	case in.Has(discover.KindWeathercop):
		var w *weathercop.Log
		err := parse(in, func(r io.Reader) (err error) {
			w, err = weathercop.Parse(r, weathercop.Options{Name: in.Path, Location: opts.Location})
			return err
		})
		if err != nil {
			return out, err
		}
		add(discover.KindWeathercop)
		warn(heapWarnings(in.Path, w.Warnings))
		ev.Weathercop = append(ev.Weathercop, correlate.WeathercopInput{Path: in.Path, Log: w})
	case in.Has(discover.KindJUnitXML):
		var j *pytestlog.JUnit
		err := parse(in, func(r io.Reader) (err error) {
			j, err = pytestlog.ParseJUnit(r, in.Path)
			return err
		})
		if err != nil {
			return out, err
		}
		add(discover.KindJUnitXML)
		ev.JUnit = append(ev.JUnit, correlate.JUnitInput{Path: in.Path, JUnit: j})
	case in.Has(discover.KindRecordManifest):
		add(discover.KindRecordManifest)
		m, err := readManifest(in)
		if err != nil {
			// A record.json cut off (the recorder was killed while writing
			// it) or garbled: the run's end and boot time are missing,
			// the rest of the folder stands.
			warn([]string{err.Error()})
			break
		}
		ev.Records = append(ev.Records, correlate.RecordInput{Path: in.Path, Manifest: m})
	case in.Has(discover.KindCollectList):
		add(discover.KindCollectList) // read in Load's first pass
	case in.TextCandidate():
		// Kernel records can sit anywhere in a text input (dmesg pasted at
		// the end of a CI log), so the fast kernel parser reads every one.
		var k *dmesg.Log
		err := parse(in, func(r io.Reader) (err error) {
			k, err = dmesg.Parse(r, dmesg.Options{Name: in.Path, Location: opts.Location, Year: opts.Year, PageSizeBytes: opts.PageSizeBytes})
			return err
		})
		if err != nil {
			return out, err
		}
		if len(k.Events) > 0 || in.Has(discover.KindKernelLog) {
			add(discover.KindKernelLog)
			warn(dmesgWarnings(in.Path, k.Warnings))
			ev.Kernel = append(ev.Kernel, correlate.KernelInput{Path: in.Path, Log: k})
		}
		// A pure kernel log is not read as pytest output; anything else is,
		// since a CI log may show pytest only after its head.
		if in.Has(discover.KindPytestLog) || !in.Has(discover.KindKernelLog) {
			var p *pytestlog.Log
			err := parse(in, func(r io.Reader) (err error) {
				p, err = pytestlog.Parse(r, pytestlog.Options{Name: in.Path, Collect: ev.Collect})
				return err
			})
			if err != nil {
				return out, err
			}
			if len(p.Sessions) > 0 || in.Has(discover.KindPytestLog) {
				add(discover.KindPytestLog)
				warn(pytestWarnings(in.Path, p.Warnings))
				ev.Pytest = append(ev.Pytest, correlate.PytestInput{Path: in.Path, Log: p})
			}
		}
	}
	if len(out.Kinds) == 0 {
		out.Kinds = []string{discover.KindUnrecognized}
		out.Warnings = append(out.Warnings, in.Path+": not recognised; "+discover.LookedFor)
	}
	return out, nil
}

// sizeHint is the size of in's content when known: that of a file or
// member read as it is stored, 0 for compressed content.
func sizeHint(in *discover.Input) int64 {
	if in.Compression != decompress.None {
		return 0
	}
	return in.SizeBytes
}

// maxManifestBytes bounds the record.json read: the recorder writes a few
// KiB.
const maxManifestBytes = 1 << 20

// manifestJSON is the part of record.json (package record's Manifest,
// schema oomlens/record/v1) that the correlator uses.
type manifestJSON struct {
	Schema               string  `json:"schema"`
	Start                string  `json:"start"`
	End                  string  `json:"end"`
	ExitCode             *int    `json:"exit_code"`
	Signal               *string `json:"signal"`
	Status               int     `json:"status"`
	BootTime             int64   `json:"boot_time"`
	KernelLog            *string `json:"kernel_log"`
	KernelLogUnavailable string  `json:"kernel_log_unavailable"`
	Sampler              struct {
		IntervalMS float64 `json:"interval_ms"`
		LineTicks  int     `json:"line_ticks"`
	} `json:"sampler"`
}

// readManifest decodes a record.json. An error names the file and, for bad
// JSON, the byte offset.
func readManifest(in *discover.Input) (correlate.RecordManifest, error) {
	var raw []byte
	err := parse(in, func(r io.Reader) (err error) {
		raw, err = io.ReadAll(io.LimitReader(r, maxManifestBytes+1))
		return err
	})
	if err != nil {
		return correlate.RecordManifest{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	if len(raw) > maxManifestBytes {
		return correlate.RecordManifest{}, fmt.Errorf("%s: larger than %d bytes, not read as a record.json", in.Path, maxManifestBytes)
	}
	var mj manifestJSON
	if err := json.Unmarshal(raw, &mj); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return correlate.RecordManifest{}, fmt.Errorf("%s: offset %d: record.json is not valid JSON (cut off?): %v", in.Path, se.Offset, err)
		case errors.As(err, &te):
			return correlate.RecordManifest{}, fmt.Errorf("%s: offset %d: record.json field %s: %v", in.Path, te.Offset, te.Field, err)
		}
		return correlate.RecordManifest{}, fmt.Errorf("%s: record.json: %v", in.Path, err)
	}
	return correlate.RecordManifest{
		ExitCode: mj.ExitCode, Signal: mj.Signal, Status: mj.Status,
		KernelLog: mj.KernelLog, KernelLogUnavailable: mj.KernelLogUnavailable,
		BootTime: mj.BootTime, Start: mj.Start, End: mj.End,
		IntervalMS: mj.Sampler.IntervalMS, LineTicks: mj.Sampler.LineTicks,
	}, nil
}

// readCore summarises a core file, from disk or from memory.
func readCore(in *discover.Input, opts Options) (*elfcore.Core, error) {
	copts := elfcore.Options{Name: in.Path, MaxDecompressedBytes: opts.MaxCoreBytes}
	if in.File() != "" {
		return elfcore.ReadFile(in.File(), copts)
	}
	rc, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	limit := opts.MaxCoreBytes
	if limit <= 0 {
		limit = 4 << 30
	}
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: core decompresses to more than %d bytes", in.Path, limit)
	}
	return elfcore.Parse(bytes.NewReader(data), int64(len(data)), copts)
}

func heapWarnings(path string, ws []warning.Warning) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, positioned(path, w.Line, w.Offset, w.Message))
	}
	return out
}

func dmesgWarnings(path string, ws []dmesg.Warning) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, positioned(path, w.Line, 0, w.Message))
	}
	return out
}

func pytestWarnings(path string, ws []pytestlog.Warning) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, positioned(path, w.Line, 0, w.Message))
	}
	return out
}

// positioned renders a warning the way compilers do: "path:line: message",
// or "path: offset N: message" for binary inputs.
func positioned(path string, line int, offset int64, msg string) string {
	switch {
	case line > 0:
		return fmt.Sprintf("%s:%d: %s", path, line, msg)
	case offset > 0:
		return fmt.Sprintf("%s: offset %d: %s", path, offset, msg)
	}
	return path + ": " + msg
}
