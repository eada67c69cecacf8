package pytestlog

import (
	"path"
	"strconv"
	"strings"
)

// A stack dump names the running test by its file and function even where
// the log does not (pytest -q prints only dots):
//
//   - faulthandler (Python's Modules/faulthandler.c; pytest enables it by
//     default) after "Fatal Python error: Segmentation fault" (or Aborted,
//     Bus error…): "Current thread 0x… (most recent call first):", then
//     `  File "/w/tests/x/test_y.py", line 24 in test_decode_stream`; the
//     other threads as "Thread 0x… (most recent call first):";
//   - pytest-timeout (pytest_timeout.py dump_stacks) after its "Timeout"
//     banner: "~~~ Stack of MainThread (140…) ~~~", then
//     traceback.format_stack's `  File "…", line 40, in test_fetch`
//     and the source line, most recent call last.
//
// The innermost frame of the running thread whose function is a test
// (test*) in a test file (test_*.py, *_test.py) is the test in flight; its
// node id comes from the collection list, else from the node ids the log
// printed, else from the rootdir of the header.

var (
	currentThreadRe = lazyRe(`^Current thread 0x[0-9a-fA-F]+.*\(most recent call first\):$`)
	otherThreadRe   = lazyRe(`^Thread 0x[0-9a-fA-F]+.*\(most recent call first\):$`)
	stackOfRe       = lazyRe(`^~+ Stack of (.+) \((\d+)\) ~+$`)
	frameRe         = lazyRe(`^File "(.+)", line (\d+),? in (\S+)$`)
)

// stackCapture is the running thread's stack from one dump.
type stackCapture struct {
	frames      []frame
	recentFirst bool
	line        int
	// reading is set while the dump's frames are being read; keep is clear
	// for another thread's frames, which are consumed and dropped.
	reading, keep bool
}

type frame struct {
	file string
	line int
	fn   string
}

// readStack consumes a line of a stack dump; it reports whether it did.
// A dump inside the FAILURES, ERRORS or PASSES sections is a test's
// captured output, not the state of the run: it is left alone.
func (p *parser) readStack(line, trimmed string) bool {
	st := p.cur
	if st == nil || isOutputSection(st.section) {
		return false
	}
	c := &st.stack
	switch {
	case strings.HasPrefix(trimmed, "Current thread 0x") && currentThreadRe.MatchString(trimmed):
		if len(c.frames) == 0 {
			*c = stackCapture{recentFirst: true, line: p.lineNo, reading: true, keep: true}
		} else {
			c.reading, c.keep = true, false
		}
		return true
	case strings.HasPrefix(trimmed, "Thread 0x") && otherThreadRe.MatchString(trimmed):
		c.reading, c.keep = true, false
		return true
	case strings.HasPrefix(trimmed, "~") && stackOfRe.MatchString(trimmed):
		m := stackOfRe.FindStringSubmatch(trimmed)
		if m[1] == "MainThread" && len(c.frames) == 0 {
			*c = stackCapture{line: p.lineNo, reading: true, keep: true}
		} else {
			c.reading, c.keep = true, false
		}
		return true
	}
	if !c.reading {
		return false
	}
	if m := frameRe.FindStringSubmatch(trimmed); m != nil {
		if c.keep {
			n, _ := strconv.Atoi(m[2])
			c.frames = append(c.frames, frame{file: m[1], line: n, fn: m[3]})
		}
		return true
	}
	if !c.recentFirst && strings.HasPrefix(line, "    ") {
		return true // traceback.format_stack's source line
	}
	c.reading = false
	return false
}

// testFrame is the innermost frame that runs a test function.
func (c *stackCapture) testFrame() (frame, bool) {
	n := len(c.frames)
	for i := 0; i < n; i++ {
		f := c.frames[i]
		if !c.recentFirst {
			f = c.frames[n-1-i]
		}
		base := path.Base(strings.ReplaceAll(f.file, `\`, "/"))
		if strings.HasPrefix(f.fn, "test") && strings.HasSuffix(base, ".py") &&
			(strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py")) {
			return f, true
		}
	}
	return frame{}, false
}

// stackInFlight names the test in flight from the stack dump: it replaces
// a position ("file::#n"), fills in a missing entry, and leaves a node id
// the log printed alone.
func (p *parser) stackInFlight(st *state) {
	f, ok := st.stack.testFrame()
	if !ok {
		return
	}
	s := &st.s
	for _, t := range s.Tests {
		if t.Line > st.stack.line {
			return // tests reported after the dump: it is not the end's
		}
	}
	id := p.stackNodeID(s, f, s.InFlight)
	if id == "" {
		return
	}
	for i := range s.InFlight {
		in := &s.InFlight[i]
		if in.Worker != "" {
			continue
		}
		if in.Test == "" || strings.Contains(in.Test, "::#") || strings.HasPrefix(in.Test, "#") || in.Basis == BasisCollection {
			in.Test, in.File, in.Basis, in.Line = id, fileOf(id), BasisStack, st.stack.line
		}
		return
	}
	s.InFlight = append(s.InFlight, InFlight{Test: id, File: fileOf(id), Basis: BasisStack, Line: st.stack.line})
}

// stackNodeID turns a frame into a node id.
func (p *parser) stackNodeID(s *Session, f frame, inFlight []InFlight) string {
	abs := strings.ReplaceAll(f.file, `\`, "/")
	under := func(file string) bool {
		return file != "" && (abs == file || strings.HasSuffix(abs, "/"+file))
	}
	fnOf := func(id string) string {
		last := id
		if i := strings.LastIndex(id, "::"); i >= 0 {
			last = id[i+2:]
		}
		if j := strings.IndexByte(last, '['); j >= 0 {
			last = last[:j]
		}
		return last
	}
	// The collection list, then the node ids the log printed.
	var cands []string
	for file, ids := range p.collect.byFile {
		if !under(file) {
			continue
		}
		for _, id := range ids {
			if fnOf(id) == f.fn {
				cands = append(cands, id)
			}
		}
	}
	if len(cands) == 0 {
		seen := map[string]bool{}
		for _, t := range s.Tests {
			if t.NodeID != "" && under(fileOf(t.NodeID)) && fnOf(t.NodeID) == f.fn && !seen[t.NodeID] {
				seen[t.NodeID] = true
				cands = append(cands, t.NodeID)
			}
		}
	}
	if len(cands) == 1 {
		return cands[0]
	}
	for _, c := range cands {
		for _, in := range inFlight {
			if in.Test == c {
				return c
			}
		}
	}
	// No list names it (or several parameters do): the file as the log
	// or the rootdir gives it, and the function.
	file := ""
	for _, in := range inFlight {
		if under(in.File) {
			file = in.File
		}
	}
	if file == "" {
		for _, t := range s.Tests {
			if f := fileOf(t.NodeID + t.Position); under(f) {
				file = f
				break
			}
		}
	}
	if file == "" && s.Header.Rootdir != "" {
		root := strings.TrimSuffix(s.Header.Rootdir, "/") + "/"
		if strings.HasPrefix(abs, root) {
			file = abs[len(root):]
		}
	}
	if file == "" {
		file = abs
	}
	return file + "::" + f.fn
}
