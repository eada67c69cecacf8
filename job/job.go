// Package job reads the inputs of one failed job into the correlator's
// evidence, and analyses them: Analyze is the one pipeline (discover, load,
// correlate) that analyze, batch and the end-to-end tests run. Which parser
// reads which input is the table of formats (formats.go): each format is a
// package that exports Sniff and Parse, and one row there.
package job

import (
	"fmt"
	"os"
	"path"
	"time"

	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/decompress"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/elfcore"
	"github.com/oomlens/oomlens/internal/content"
	"github.com/oomlens/oomlens/internal/hugeheap"
	"github.com/oomlens/oomlens/internal/warning"
	"github.com/oomlens/oomlens/pytestlog"
)

// Options tunes the parsers and the correlator.
type Options struct {
	Location      *time.Location // zone of stamps that carry none; nil = UTC
	Year          int            // year of syslog stamps; 0 = unknown
	PageSizeBytes int64          // 0 = the kernel parser's default (4096)
	CollectFile   string         // a `pytest --collect-only -q` list named by --collect
	MaxCoreBytes  int64          // cap on a decompressed core; 0 = elfcore.DefaultMaxDecompressedBytes
	// Correlate tunes the correlation (Analyze only).
	Correlate correlate.Options
}

// Analyze is the pipeline of one job: it reads the inputs of set (Load)
// and correlates them into the report. `oomlens analyze`, batch and the
// end-to-end tests all run it. Missing or partial evidence is warnings in
// the report; an error is an input that cannot be read at all, or inputs of
// more than one run (a *RunsError: see Runs), which are never merged.
func Analyze(set *discover.Set, opts Options) (*correlate.Report, error) {
	ev, err := Load(set, opts)
	if err != nil {
		return nil, err
	}
	if runs := Runs(ev); len(runs) > 1 {
		return nil, &RunsError{Runs: runs}
	}
	reserveKillsHeap(ev)
	rep, err := correlate.Analyze(ev, opts.Correlate)
	if rep != nil {
		// What reading the inputs skipped (archive members, a cut archive).
		rep.Warnings = append(rep.Warnings, set.Warnings...)
	}
	return rep, err
}

// Load parses every input of set into evidence, each with the formats its
// head shows (Sniff). Collection lists and record.json files are read
// first (pass 0). An input that cannot be parsed is an error naming it (and
// the line, where the parser gives one); partial evidence is a warning on
// its input.
func Load(set *discover.Set, opts Options) (*correlate.Evidence, error) {
	l := &loader{ev: &correlate.Evidence{}, opts: opts, kernelLogs: map[string]bool{}}
	if opts.CollectFile != "" {
		ids, err := readCollect(opts.CollectFile)
		if err != nil {
			return nil, err
		}
		l.ev.Collect = append(l.ev.Collect, ids...)
	}
	inputs := make([]input, len(set.Inputs))
	for i, in := range set.Inputs {
		kinds, sh := sniffNamed(in.Path, in.Head)
		inputs[i] = input{in: in, kinds: kinds, shape: sh, out: correlate.Input{Path: in.Path, Warnings: []string{}}}
	}
	l.modelBytes = modelBytes(inputs)
	for pass := 0; pass <= 1; pass++ {
		for i := range inputs {
			x := &inputs[i]
			if pass == 1 && l.kernelLogs[path.Clean(x.in.Path)] && !x.has(KindKernelLog) && textCandidate(x.shape, x.kinds) {
				// The kernel log a record.json or collect.json names was
				// read on the job's machine: an empty one means the
				// kernel logged nothing.
				x.kinds = append(x.kinds, KindKernelLog)
			}
			l.read(x, pass)
		}
	}
	for i := range inputs {
		x := &inputs[i]
		out := x.out
		if len(out.Kinds) == 0 {
			out.Kinds = []string{KindUnrecognized}
			switch {
			case x.in.Unreadable:
			case content.UTF16(x.in.Head):
				out.Warnings = append(out.Warnings, out.Path+": UTF-16 text, which oomlens does not read: convert it to UTF-8 (iconv -f UTF-16 -t UTF-8) and analyse it again")
			default:
				out.Warnings = append(out.Warnings, out.Path+": not recognised; "+LookedFor)
			}
		}
		// What discover noticed: a special file skipped, a file that
		// could not be read, a compressed stream cut off part way.
		out.Warnings = append(out.Warnings, x.in.Warnings...)
		l.ev.Inputs = append(l.ev.Inputs, out)
	}
	return l.ev, nil
}

// modelBytes is about the size of the model that big per-test inputs
// make: up to twice their size on disk (a 61 MB weathercop log makes a
// 50 MB model, a 180 MB diagnostics JSONL one of 250 MB;
// GODEBUG=gctrace=1). Inputs of under 8 MiB in all make a model the
// default pages and pace serve as fast: 0.
func modelBytes(inputs []input) int64 {
	var n int64
	for i := range inputs {
		if inputs[i].perTest() {
			n += inputs[i].in.SizeBytes
		}
	}
	if n < 8<<20 {
		return 0
	}
	return 2 * n
}

// reserveKillsHeap is reserveHeap for a kernel log of thousands of OOM
// events, known only once read: correlating them takes ~2 KB an event
// (bench-out/kern-100k.log: 112,600 -> 63,500 page faults, 1.7 -> 1.0 s of
// system time). A log of a few events, however long, reserves nothing.
func reserveKillsHeap(ev *correlate.Evidence) {
	events := 0
	for _, in := range ev.Kernel {
		if in.Log != nil {
			events += len(in.Log.Events)
		}
	}
	if events >= 4096 {
		hugeheap.Reserve(max(int64(events)*4096, 256<<20))
	}
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

// sizeHint is the size of in's content when known: that of a file or
// member read as it is stored, 0 for compressed content.
func sizeHint(in *discover.Input) int64 {
	if in.Compression != decompress.None {
		return 0
	}
	return in.SizeBytes
}

// readCore summarises a core file: in place from disk, or, read once (an
// archive member, a stream), through elfcore's bounded temporary file, never
// whole in memory.
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
	return elfcore.ReadStream(rc, copts)
}

// warnings renders the warnings of the diagnostics, weathercop and elfcore
// readers.
func warnings(path string, ws []warning.Warning) []string {
	return positioned(path, ws, func(w warning.Warning) (int, int64, string) { return w.Line, w.Offset, w.Message })
}

// positioned renders warnings the way compilers do: "path:line: message",
// or "path: offset N: message" for binary inputs. at gives a warning's line,
// byte offset and message.
func positioned[W any](path string, ws []W, at func(W) (line int, offset int64, msg string)) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		line, offset, msg := at(w)
		switch {
		case line > 0:
			out = append(out, fmt.Sprintf("%s:%d: %s", path, line, msg))
		case offset > 0:
			out = append(out, fmt.Sprintf("%s: offset %d: %s", path, offset, msg))
		default:
			out = append(out, path+": "+msg)
		}
	}
	return out
}
