package job

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/oomlens/oomlens/cgroupfs"
	"github.com/oomlens/oomlens/collect/collectmanifest"
	"github.com/oomlens/oomlens/correlate"
	"github.com/oomlens/oomlens/diagnostics"
	"github.com/oomlens/oomlens/discover"
	"github.com/oomlens/oomlens/dmesg"
	"github.com/oomlens/oomlens/elfcore"
	"github.com/oomlens/oomlens/internal/content"
	"github.com/oomlens/oomlens/internal/gcpace"
	"github.com/oomlens/oomlens/internal/hugeheap"
	"github.com/oomlens/oomlens/kube"
	"github.com/oomlens/oomlens/pytestlog"
	"github.com/oomlens/oomlens/record/manifest"
	"github.com/oomlens/oomlens/weathercop"
)

// Kind names, used in every output (the report's inputs and their kinds).
const (
	KindKernelLog   = "kernel-log"
	KindPytestLog   = "pytest-log"
	KindDiagnostics = "diagnostics-jsonl"
	KindWeathercop  = "weathercop-log"
	KindJUnitXML    = "junit-xml"
	KindCollectList = "collect-list"
	KindCore        = "core"
	// KindRecordManifest is the record.json that `oomlens record` writes
	// beside its logs: how the command ended, and whether the kernel log
	// could be read.
	KindRecordManifest = "record-manifest"
	// KindCgroup is a memory cgroup file (memory.events, memory.peak,
	// memory.oom_control…); KindKube is kubectl output about a pod or its
	// events; KindCollectManifest is the collect.json `oomlens collect`
	// writes.
	KindCgroup          = "memory-cgroup"
	KindKube            = "kubernetes"
	KindCollectManifest = "collect-manifest"
	KindUnrecognized    = "unrecognized"
)

// shape is what a head is, before any format looks at it.
type shape uint8

const (
	shapeText   shape = 1 << iota // lines of text
	shapeJSON                     // a JSON document (package content)
	shapeBinary                   // not text: NUL bytes or mostly invalid UTF-8
)

func shapeOf(head []byte) shape {
	switch {
	case content.Binary(head):
		return shapeBinary
	case content.JSON(head):
		return shapeJSON
	}
	return shapeText
}

// scan says whether a format reads text inputs whose head did not show it:
// logs of CI jobs often start with megabytes of setup output, and dmesg
// output is pasted at their end.
type scan uint8

const (
	scanNever     scan = iota // only what Sniff recognised
	scanText                  // every text input no other format claimed
	scanUnclaimed             // a text input that no other scanning format recognised either
)

// A format is one kind of input: how its head is recognised and how it is
// read into the correlator's evidence. formats is the one list of them, as
// pprof keeps its profile parsers in one list: adding a format is one
// package that exports Sniff and Parse, and one row here.
type format struct {
	// Kind names the format in every output.
	Kind string
	// Sniff recognises the format from the head of an input (its first
	// discover.HeadBytes, a byte order mark removed). It is the format
	// package's own, so that recognising and reading agree.
	Sniff func(head []byte) bool
	// Named recognises the format by the input's name alone, for files
	// whose content does not say what they are (a cgroup's memory.peak
	// holds a bare number); nil for formats known by content only. A
	// named format claims the input alone.
	Named func(name string) bool
	// Reads is the shapes of head Sniff is offered.
	Reads shape
	// Alone formats claim an input whole: the first whose Sniff holds, in
	// the order of formats, is the input's only kind.
	Alone bool
	// Scan: see scan. A scanning format reads inputs it did not sniff and
	// keeps what it found there.
	Scan scan
	// Pass orders the reading: every input of pass 0 is read before any of
	// pass 1 (collection lists first: the pytest parser resolves positions
	// with them).
	Pass int
	// Load parses in into l's evidence. sniffed is false when a scanning
	// format reads an input its Sniff did not recognise: it keeps the input
	// only when it found records in it.
	Load func(l *loader, in *discover.Input, sniffed bool) error
	// LooksFor says what Sniff looks for, in the warning on an input that
	// nothing recognised.
	LooksFor string
	// PerTest formats hold records of every test, so the model grows with
	// the input (a kernel log's grows with its kills, which are few):
	// modelBytes sizes the heap's huge pages and pace from their inputs.
	PerTest bool
}

// formats in the order their kinds are listed in every output.
var formats = []format{
	{
		Kind: KindKernelLog, Sniff: dmesg.Sniff, Reads: shapeText | shapeJSON, Scan: scanText, Pass: 1, Load: loadKernel,
		LooksFor: "kernel OOM-killer records (`invoked oom-killer`, `Killed process`, `oom-kill:`, dmesg/syslog/journal/kmsg prefixes)",
	},
	{
		Kind: KindPytestLog, Sniff: pytestlog.Sniff, Reads: shapeText, Scan: scanUnclaimed, Pass: 1, PerTest: true, Load: loadPytest,
		LooksFor: "pytest output (`test session starts`, `nodeid PASSED`, progress dots, xdist `[gwN]`)",
	},
	{
		Kind: KindDiagnostics, Sniff: diagnostics.Sniff, Reads: shapeText | shapeJSON, Alone: true, Pass: 1, PerTest: true, Load: loadDiagnostics,
		LooksFor: "oomlens diagnostics JSON (`\"event\": \"test_end\"`…)",
	},
	{
		Kind: KindWeathercop, Sniff: weathercop.Sniff, Reads: shapeText, Alone: true, Pass: 1, PerTest: true, Load: loadWeathercop,
		LooksFor: "a weathercop memory log (`[ts] TEST_START: name`)",
	},
	{
		Kind: KindJUnitXML, Sniff: pytestlog.SniffJUnit, Reads: shapeText, Alone: true, Pass: 1, PerTest: true, Load: loadJUnit,
		LooksFor: "JUnit XML (`<testsuite`)",
	},
	{
		Kind: KindCollectList, Sniff: pytestlog.SniffCollect, Reads: shapeText, Pass: 0, Load: loadCollect,
		LooksFor: "a `pytest --collect-only -q` list",
	},
	{
		Kind: KindCore, Sniff: elfcore.Sniff, Reads: shapeBinary, Alone: true, Pass: 1, Load: loadCore,
		LooksFor: "an ELF core file",
	},
	{
		Kind: KindRecordManifest, Sniff: manifest.Sniff, Reads: shapeJSON, Alone: true, Pass: 0, Load: loadManifest,
		LooksFor: "an `oomlens record` record.json",
	},
	{
		Kind: KindCgroup, Sniff: cgroupfs.Sniff, Named: cgroupfs.SniffName, Reads: shapeText, Alone: true, Pass: 1, Load: loadCgroup,
		LooksFor: "a memory cgroup file (`memory.events`, `memory.oom_control`, `memory.stat`, `memory.pressure`; memory.peak and the other bare numbers by name)",
	},
	{
		Kind: KindKube, Sniff: kube.Sniff, Reads: shapeText | shapeJSON, Alone: true, Pass: 1, Load: loadKube,
		LooksFor: "kubectl output (`kind: Pod`, `kind: Event`, a List of them, `kubectl describe pod`)",
	},
	{
		Kind: KindCollectManifest, Sniff: collectmanifest.Sniff, Reads: shapeJSON, Alone: true, Pass: 0, Load: loadCollectManifest,
		LooksFor: "an `oomlens collect` collect.json",
	},
}

// LookedFor says, for an unrecognised input, what sniffing looked for.
var LookedFor = func() string {
	parts := make([]string, len(formats))
	for i, f := range formats {
		parts[i] = f.LooksFor
	}
	return "looked for: " + strings.Join(parts, ", ")
}()

// Sniff names the kinds the head of an input shows, in the order of
// formats, or KindUnrecognized alone. It never reads past head. One input
// may carry several kinds: a CI job log with dmesg output pasted into it is
// both a pytest-log and a kernel-log.
func Sniff(head []byte) []string {
	return SniffNamed("", head)
}

// SniffNamed is Sniff for an input whose name is known: a format known by
// its name (Named) claims the input first.
func SniffNamed(name string, head []byte) []string {
	kinds, _ := sniffNamed(name, head)
	return kinds
}

// sniffNamed is SniffNamed, and the shape of head, which Load keeps for
// textCandidate: a shape is a pass over the head (content.Binary's UTF-8
// check), which Load made three times over each text input (the sniff,
// and textCandidate in each pass).
func sniffNamed(name string, head []byte) ([]string, shape) {
	text := bytes.TrimPrefix(head, content.BOM)
	sh := shapeOf(text)
	if name != "" {
		for _, f := range formats {
			if f.Named != nil && f.Named(name) {
				return []string{f.Kind}, sh
			}
		}
	}
	if sh != shapeBinary {
		// A NUL tail (what a kill leaves after a cut-off write) is not
		// text: no sniffer sees it ("1 Killed \x00" is not a shell's
		// Killed line).
		text = bytes.TrimRight(text, "\x00")
	}
	for _, f := range formats {
		if f.Alone && f.Reads&sh != 0 && f.Sniff(text) {
			return []string{f.Kind}, sh
		}
	}
	var kinds []string
	for _, f := range formats {
		if !f.Alone && f.Reads&sh != 0 && f.Sniff(text) {
			kinds = append(kinds, f.Kind)
		}
	}
	if len(kinds) == 0 {
		return []string{KindUnrecognized}, sh
	}
	return kinds, sh
}

// formatOf is the row of kind k, nil for KindUnrecognized.
func formatOf(k string) *format {
	for i := range formats {
		if formats[i].Kind == k {
			return &formats[i]
		}
	}
	return nil
}

// textCandidate reports whether an input is text that scanning formats may
// read even though its head did not show them: every kind sniffed is a
// scanning format's. Structured inputs (JSON, XML, ELF, collection lists)
// are not candidates; a JSON document is read only for what its keys say.
// sh is the shape of its head (sniffNamed takes it once).
func textCandidate(sh shape, kinds []string) bool {
	recognised := false
	for _, k := range kinds {
		f := formatOf(k)
		if f == nil {
			continue
		}
		if f.Scan == scanNever {
			return false
		}
		recognised = true
	}
	return sh == shapeText || sh == shapeJSON && recognised
}

// input is one input with the kinds its head showed.
type input struct {
	in    *discover.Input
	kinds []string
	shape shape // of the head (sniffNamed)
	out   correlate.Input
}

// perTest reports an input of a PerTest format.
func (x *input) perTest() bool {
	for _, f := range formats {
		if f.PerTest && x.has(f.Kind) {
			return true
		}
	}
	return false
}

func (x *input) has(k string) bool {
	for _, have := range x.kinds {
		if have == k {
			return true
		}
	}
	return false
}

// loader reads the inputs of one job into evidence.
type loader struct {
	ev   *correlate.Evidence
	opts Options
	cur  *input // the input being read
	// kernelLogs are the kernel logs record.json and collect.json files
	// name (pass 0).
	kernelLogs map[string]bool
	// modelBytes is the model reserveHeap makes room for (modelBytes).
	modelBytes int64
}

// reserveHeap makes room for the model of a job whose per-test inputs are
// big, before the first of them is read. makeList (nil when none) makes a
// stream's list of records first (hugeList in correlate), so that the list
// lies on memory the heap had not used. The heap is then put in huge pages
// (hugeheap.Reserve) for twice the model (a compressed input is smaller
// than what it holds; untouched, the reserve costs address space only).
// The collector is off from the list to the reservation (gcpace.Off): the
// list's size started a cycle, which Reserve's collection waited for, 8-16
// ms of wc-100k's start. Then its next cycle waits until the heap has grown
// by the model (gcpace.Defer): the model stays live, and collecting while
// it grows marks it again and again to free nothing.
func (l *loader) reserveHeap(makeList func()) {
	n := l.modelBytes
	if n == 0 {
		if makeList != nil {
			makeList()
		}
		return
	}
	l.modelBytes = 0
	on := gcpace.Off()
	if makeList != nil {
		makeList()
	}
	hugeheap.Reserve(max(2*n, 256<<20))
	on()
	gcpace.Defer(n)
}

// keep records that the current input is of kind k, with warnings.
func (l *loader) keep(k string, warnings []string) {
	out := &l.cur.out
	found := false
	for _, have := range out.Kinds {
		found = found || have == k
	}
	if !found {
		out.Kinds = append(out.Kinds, k)
	}
	out.Warnings = append(out.Warnings, warnings...)
}

// read reads x with the formats its kinds call for, if they read in pass.
// The first format of the table that recognised x and does not scan takes
// it; otherwise a text input goes to every scanning format that wants it. A
// format that fails on x gives x a warning (see fail): the other inputs, and
// the other formats reading x, go on.
func (l *loader) read(x *input, pass int) {
	l.cur = x
	if x.in.Unreadable {
		return
	}
	for i := range formats {
		f := &formats[i]
		if f.Scan == scanNever && x.has(f.Kind) {
			if f.Pass == pass {
				l.fail(x, f, true, f.Load(l, x.in, true))
			}
			return
		}
	}
	if !textCandidate(x.shape, x.kinds) {
		return
	}
	var todo []*format
	last := 0
	for i := range formats {
		f := &formats[i]
		if f.Scan == scanNever {
			continue
		}
		if !x.has(f.Kind) && f.Scan == scanUnclaimed && x.claimedByScanner() {
			continue
		}
		todo = append(todo, f)
		last = max(last, f.Pass)
	}
	if x.in.Stream() {
		// A stream is read once: every format that reads it does so at
		// the same time, in the last pass any of them reads in.
		if pass == last {
			l.readShared(x, todo)
		}
		return
	}
	for _, f := range todo {
		if f.Pass == pass {
			l.fail(x, f, x.has(f.Kind), f.Load(l, x.in, x.has(f.Kind)))
		}
	}
}

// fail turns the error of format f reading x into a warning on x: a
// damaged input (bad JSON or XML, a line too long) loses what the parser
// could not read, not the analysis. An input its head showed to be of f's
// kind keeps that kind.
func (l *loader) fail(x *input, f *format, sniffed bool, err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, x.in.Path+":") {
		msg = x.in.Path + ": " + msg
	}
	msg += fmt.Sprintf(" (read as %s: what it held was left out)", f.Kind)
	l.cur = x
	if sniffed {
		l.keep(f.Kind, []string{msg})
	} else {
		x.out.Warnings = append(x.out.Warnings, msg)
	}
}

// readShared reads the stream x with the formats todo at the same time,
// each from one read of the stream (discover.Input.Share), each with a
// loader of its own whose evidence is then appended to l's in table order.
func (l *loader) readShared(x *input, todo []*format) {
	if err := x.in.Share(len(todo)); err != nil {
		x.out.Warnings = append(x.out.Warnings, err.Error())
		return
	}
	subs := make([]*loader, len(todo))
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for i, f := range todo {
		subs[i] = l.fork(x)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer x.in.Done()
			errs[i] = f.Load(subs[i], x.in, x.has(f.Kind))
		}()
	}
	wg.Wait()
	for i, f := range todo {
		l.join(subs[i], x)
		l.fail(x, f, x.has(f.Kind), errs[i])
	}
}

// fork is a loader for one format reading x alongside others: evidence of
// its own (the slices l has so far, clipped, so that appends do not touch
// l's), and an input of its own.
func (l *loader) fork(x *input) *loader {
	ev := *l.ev
	v := reflect.ValueOf(&ev).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Slice {
			f.Set(f.Slice3(0, f.Len(), f.Len()))
		}
	}
	return &loader{ev: &ev, opts: l.opts, kernelLogs: l.kernelLogs,
		cur: &input{in: x.in, kinds: x.kinds, out: correlate.Input{Path: x.in.Path}}}
}

// join appends what sub found to l's evidence and to x.
func (l *loader) join(sub *loader, x *input) {
	dst, src := reflect.ValueOf(l.ev).Elem(), reflect.ValueOf(sub.ev).Elem()
	for i := 0; i < dst.NumField(); i++ {
		d, s := dst.Field(i), src.Field(i)
		if d.Kind() == reflect.Slice && s.Len() > d.Len() {
			d.Set(reflect.AppendSlice(d, s.Slice(d.Len(), s.Len())))
		}
	}
	l.cur = x
	for _, k := range sub.cur.out.Kinds {
		l.keep(k, nil)
	}
	x.out.Warnings = append(x.out.Warnings, sub.cur.out.Warnings...)
}

// claimedByScanner reports a kind of a scanning format among x's.
func (x *input) claimedByScanner() bool {
	for _, k := range x.kinds {
		if f := formatOf(k); f != nil && f.Scan != scanNever {
			return true
		}
	}
	return false
}

// parseHeld runs held over in's content when discover holds it in memory
// whole (Input.Bytes: read in place, without the copy Open hands over),
// else stream over it as parse does; a nil held always streams.
func parseHeld(in *discover.Input, held func([]byte) error, stream func(io.Reader) error) error {
	if data, ok := in.Bytes(); ok && held != nil {
		return held(data)
	}
	return parse(in, stream)
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

// loadKernel reads every text input (kernel records can sit anywhere: dmesg
// pasted at the end of a CI log) with the fast kernel parser.
func loadKernel(l *loader, in *discover.Input, sniffed bool) error {
	var k *dmesg.Log
	opts := dmesg.Options{Name: in.Path, Location: l.opts.Location, Year: l.opts.Year, PageSizeBytes: l.opts.PageSizeBytes, SizeHintBytes: sizeHint(in)}
	err := parseHeld(in,
		func(b []byte) (err error) { k, err = dmesg.ParseBytes(b, opts); return err },
		func(r io.Reader) (err error) { k, err = dmesg.Parse(r, opts); return err })
	if err != nil {
		return err
	}
	if len(k.Events) > 0 || sniffed {
		l.keep(KindKernelLog, positioned(in.Path, k.Warnings, func(w dmesg.Warning) (int, int64, string) { return w.Line, 0, w.Message }))
		l.ev.Kernel = append(l.ev.Kernel, correlate.KernelInput{Path: in.Path, Log: k})
	}
	return nil
}

// loadPytest reads a text input as pytest output unless it is a pure kernel
// log: a CI log may show pytest only after its head.
func loadPytest(l *loader, in *discover.Input, sniffed bool) error {
	var p *pytestlog.Log
	l.reserveHeap(nil)
	opts := pytestlog.Options{Name: in.Path, Collect: l.ev.Collect}
	err := parseHeld(in,
		func(b []byte) error { p = pytestlog.ParseBytes(b, opts); return nil },
		func(r io.Reader) (err error) { p, err = pytestlog.Parse(r, opts); return err })
	if err != nil {
		return err
	}
	if len(p.Sessions) > 0 || sniffed {
		l.keep(KindPytestLog, positioned(in.Path, p.Warnings, func(w pytestlog.Warning) (int, int64, string) { return w.Line, 0, w.Message }))
		l.ev.Pytest = append(l.ev.Pytest, correlate.PytestInput{Path: in.Path, Log: p})
	}
	return nil
}

// loadDiagnostics streams the records of a diagnostics file into the
// correlator's model as they are read: none is kept.
func loadDiagnostics(l *loader, in *discover.Input, _ bool) error {
	var d *diagnostics.Log
	var st *correlate.DiagnosticsStream
	l.reserveHeap(func() { st = correlate.NewDiagnosticsStream(in.Path, sizeHint(in)) })
	opts := diagnostics.Options{Name: in.Path}
	held := func(b []byte) (err error) { d, err = diagnostics.StreamBytes(b, opts, st.Add); return err }
	stream := diagnostics.Stream
	if in.SizeBytes >= pipelineMinBytes {
		held, stream = nil, streamPiped // parsed on a goroutine beside the reading
	}
	err := parseHeld(in, held, func(r io.Reader) (err error) { d, err = stream(r, opts, st.Add); return err })
	if err != nil {
		return err
	}
	l.keep(KindDiagnostics, warnings(in.Path, d.Warnings))
	l.ev.Diagnostics = append(l.ev.Diagnostics, st.Input(d))
	return nil
}

// loadWeathercop streams the records of a weathercop log into the
// correlator's model as they are read: none is kept.
func loadWeathercop(l *loader, in *discover.Input, _ bool) error {
	var w *weathercop.Log
	var st *correlate.WeathercopStream
	l.reserveHeap(func() { st = correlate.NewWeathercopStream(in.Path, l.opts.Correlate.Location, sizeHint(in)) })
	err := parse(in, func(r io.Reader) (err error) {
		w, err = weathercop.Stream(r, weathercop.Options{Name: in.Path, Location: l.opts.Location}, st.Add)
		return err
	})
	if err != nil {
		return err
	}
	l.keep(KindWeathercop, warnings(in.Path, w.Warnings))
	l.ev.Weathercop = append(l.ev.Weathercop, st.Input(w))
	return nil
}

func loadJUnit(l *loader, in *discover.Input, _ bool) error {
	var j *pytestlog.JUnit
	l.reserveHeap(nil)
	err := parse(in, func(r io.Reader) (err error) {
		j, err = pytestlog.ParseJUnit(r, in.Path)
		return err
	})
	var pe *pytestlog.ParseError
	switch {
	case err == nil:
		l.keep(KindJUnitXML, nil)
	case j != nil && len(j.Suites) > 0 && errors.As(err, &pe):
		// Cut off (the job was killed while pytest wrote it) or damaged
		// part way: the test cases before the damage stand.
		l.keep(KindJUnitXML, []string{fmt.Sprintf("%s:%d: the XML %s; the %d test cases before it were read",
			in.Path, pe.Line, xmlTrouble(pe.Err), len(j.Cases))})
	default:
		return err
	}
	l.ev.JUnit = append(l.ev.JUnit, correlate.JUnitInput{Path: in.Path, JUnit: j})
	return nil
}

// xmlTrouble says what encoding/xml's error means to a user.
func xmlTrouble(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if strings.Contains(se.Msg, "unexpected EOF") {
			return "ends part way (cut off?)"
		}
		return "is damaged (" + se.Msg + ")"
	}
	return "could not be read (" + err.Error() + ")"
}

// loadCollect reads a collection list in pass 0, before the pytest logs
// whose positions it resolves.
func loadCollect(l *loader, in *discover.Input, _ bool) error {
	var ids []string
	err := parse(in, func(r io.Reader) (err error) {
		ids, err = pytestlog.ParseCollectList(r, in.Path)
		return err
	})
	var ws []string
	var pe *pytestlog.ParseError
	switch {
	case err == nil:
	case errors.Is(err, pytestlog.ErrLineTooLong) && errors.As(err, &pe):
		ws = []string{fmt.Sprintf("%s:%d: %v; the %d node ids of the other lines were read", in.Path, pe.Line, pe.Err, len(ids))}
	default:
		return err
	}
	l.keep(KindCollectList, ws)
	l.ev.Collect = append(l.ev.Collect, ids...)
	return nil
}

func loadCore(l *loader, in *discover.Input, _ bool) error {
	core, err := readCore(in, l.opts)
	if err != nil {
		return err
	}
	l.keep(KindCore, warnings(in.Path, core.Warnings))
	l.ev.Cores = append(l.ev.Cores, correlate.CoreInput{Path: in.Path, Core: core})
	return nil
}

// loadManifest reads a record.json in pass 0: the kernel log it names was
// read during the run, so an empty one means the kernel logged nothing and
// is read as a kernel log (see Load).
func loadManifest(l *loader, in *discover.Input, _ bool) error {
	l.keep(KindRecordManifest, nil)
	m, err := readManifest(in)
	if err != nil {
		// A record.json cut off (the recorder was killed while writing
		// it) or garbled: the run's end and boot time are missing, the
		// rest of the folder stands.
		l.keep(KindRecordManifest, []string{err.Error()})
		return nil
	}
	if m.Running {
		l.keep(KindRecordManifest, []string{in.Path + ": the recorder ended before the command did (killed?): record.json still says running, so how the command ended is unknown"})
	}
	if m.KernelLog != nil && *m.KernelLog != "" {
		l.kernelLogs[path.Join(path.Dir(in.Path), *m.KernelLog)] = true
	}
	l.ev.Records = append(l.ev.Records, correlate.RecordInput{Path: in.Path, Manifest: *m})
	return nil
}

func readManifest(in *discover.Input) (*manifest.Manifest, error) {
	var m *manifest.Manifest
	err := parse(in, func(r io.Reader) (err error) {
		m, err = manifest.Parse(r, in.Path)
		return err
	})
	if err != nil && !strings.HasPrefix(err.Error(), in.Path+": ") {
		err = fmt.Errorf("%s: %w", in.Path, err) // an error opening the input
	}
	return m, err
}

// loadCgroup reads one memory cgroup file; the files of one folder are one
// cgroup's (correlate/confirm.go).
func loadCgroup(l *loader, in *discover.Input, _ bool) error {
	var f *cgroupfs.File
	err := parse(in, func(r io.Reader) (err error) {
		f, err = cgroupfs.Parse(r, in.Path)
		return err
	})
	if err != nil {
		// A damaged or empty file: the rest of the job stands.
		l.keep(KindCgroup, []string{err.Error()})
		return nil
	}
	l.keep(KindCgroup, positioned(in.Path, f.Warnings, func(w cgroupfs.Warning) (int, int64, string) { return w.Line, 0, w.Message }))
	l.ev.Cgroups = append(l.ev.Cgroups, correlate.CgroupInput{Path: in.Path, File: f})
	return nil
}

// loadKube reads kubectl output about a pod or its events.
func loadKube(l *loader, in *discover.Input, _ bool) error {
	var d *kube.Doc
	err := parse(in, func(r io.Reader) (err error) {
		d, err = kube.Parse(r, in.Path)
		return err
	})
	if err != nil {
		l.keep(KindKube, []string{err.Error()})
		return nil
	}
	l.keep(KindKube, positioned(in.Path, d.Warnings, func(w kube.Warning) (int, int64, string) { return w.Line, 0, w.Message }))
	l.ev.Kube = append(l.ev.Kube, correlate.KubeInput{Path: in.Path, Doc: d})
	return nil
}

// loadCollectManifest reads the collect.json of `oomlens collect`: what it
// could not read becomes the input's warnings.
func loadCollectManifest(l *loader, in *discover.Input, _ bool) error {
	var m *collectmanifest.Manifest
	err := parse(in, func(r io.Reader) (err error) {
		m, err = collectmanifest.Parse(r, in.Path)
		return err
	})
	if err != nil {
		l.keep(KindCollectManifest, []string{err.Error()})
		return nil
	}
	var ws []string
	for _, u := range m.Unread {
		ws = append(ws, fmt.Sprintf("%s: %s could not be read: %s", in.Path, u.What, u.Why))
	}
	l.keep(KindCollectManifest, ws)
	if m.KernelLog != nil && m.KernelLog.File != "" {
		// Gathered by collect: an empty one means the kernel logged
		// nothing since --since.
		l.kernelLogs[path.Join(path.Dir(in.Path), m.KernelLog.File)] = true
	}
	ci := correlate.CollectInput{Path: in.Path}
	if t, err := time.Parse(time.RFC3339Nano, m.Host.BootTime); err == nil {
		ci.BootTime = t
	}
	l.ev.Collected = append(l.ev.Collected, ci)
	return nil
}
