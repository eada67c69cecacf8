package pytestlog

import (
	"fmt"
	"strconv"
	"strings"
)

// resultLine reads what pytest prints while tests run: -v node ids and
// result words, progress letters, live-log separators.
func (p *parser) resultLine(line string) bool {
	t := strings.TrimSpace(line)
	if mayLiveLog(t) && liveLogRe.MatchString(t) {
		// logging.py's live-log section: the records that follow are not
		// results; the word that ends the test comes on a line of its own.
		p.session()
		return true
	}
	if m := matchIf(mayStandaloneWord(t), standaloneWordRe, t); m != nil {
		st := p.session()
		if st.pending == nil {
			p.warn(p.lineNo, fmt.Sprintf("result word %s with no pending node id", m[1]))
			return true
		}
		e := st.pending
		st.pending = nil
		test := Test{NodeID: e.nodeID, File: fileOf(e.nodeID), Outcome: verboseOutcome(m[1]), Reason: trimParens(m[2]), Percent: -1, Line: p.lineNo,
			Start: e.start, HasStart: e.hasStart}
		setProgress(&test, m[3], m[4], m[5])
		p.addVerbose(st, test)
		return true
	}
	first, _, _ := strings.Cut(t, " ")
	if strings.Contains(first, "::") {
		return p.verboseLine(line)
	}
	if p.progressLine(t) {
		return true
	}
	return false
}

// lastWord is the last " WORD" of body whose tail is only a reason and a
// progress indicator (verboseTail's submatches), -1 when there is none. It
// scans the spaces from the end (at most one word starts at a position).
// Only a space followed by a word's first letter can start one: the bytes
// are stepped through rather than searched space by space, as pytest pads
// the word from the progress with a run of spaces: a search call per space
// made splitVerbose 13% of BenchmarkParseVerbose's profile, stepping 6%.
func lastWord(body string) (best int, word string, m [5]string) {
	for i := len(body) - 2; i >= 0; i-- {
		if body[i] != ' ' || !isWordStart(body[i+1]) {
			continue
		}
		w := wordAt(body[i+1:])
		if w == "" {
			continue
		}
		if m, ok := verboseTail(body[i+1+len(w):]); ok {
			return i, w, m
		}
	}
	return -1, "", m
}

func trimParens(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		return s[1 : len(s)-1]
	}
	return s
}

func (p *parser) addVerbose(st *state, test Test) {
	t := st.nextTest()
	*t = test
	p.endVerbose(st, t)
}

// endVerbose finishes t, the -v result just added to st: it ended when
// its line was stamped, and the session is a -v run under way.
func (p *parser) endVerbose(st *state, t *Test) {
	if p.hasStamp {
		t.End, t.HasEnd = p.stamp, true
	}
	if st.s.Mode == "" {
		st.s.Mode = ModeVerbose
	}
	st.headerDone = true
}

// verboseLine reads "nodeid WORD (reason) [ NN%]" (the result) or "nodeid "
// (pytest_runtest_logstart's echo: the test started). The node id may hold
// spaces, brackets and result words inside its parameter id, so the word is
// the last one followed only by a reason and the progress.
func (p *parser) verboseLine(line string) bool {
	st := p.session()
	start, hasStart := p.pyStamp, p.pyHasStamp
	echo := strings.HasSuffix(line, " ")
	body := strings.TrimSpace(line)
	if st.xdist || st.s.Mode == ModeXdistVerbose {
		// xdist -v prints only the echo bare; results come as [gwN] lines.
		id := p.resolveEcho(body, !echo)
		st.xpending = append(st.xpending, pendingEcho{nodeID: id, line: p.lineNo, start: start, hasStart: hasStart})
		if st.s.Mode == "" {
			st.s.Mode = ModeXdistVerbose
		}
		st.headerDone = true
		return true
	}
	if !echo {
		if id, word, reason, pct, done, total, ok := p.splitVerbose(body); ok {
			p.verboseResult(st, &plainLine{id: id, file: fileOf(id), word: word, pct: pct, done: done, total: total}, reason)
			return true
		}
	}
	id := p.resolveEcho(body, !echo)
	if st.pending != nil {
		p.warn(st.pending.line, fmt.Sprintf("node id %q has no result", st.pending.nodeID))
	}
	st.pending = &pendingEcho{nodeID: id, line: p.lineNo, start: start, hasStart: hasStart}
	if st.s.Mode == "" {
		st.s.Mode = ModeVerbose
	}
	st.headerDone = true
	return true
}

// verboseResult records the result r (with reason) of test r.id in r.file:
// the pending echo, if any, was its start. r is passed by pointer: eight
// strings were most of the cost of the call on every -v result.
func (p *parser) verboseResult(st *state, r *plainLine, reason string) {
	id := r.id
	start, hasStart := p.pyStamp, p.pyHasStamp
	if st.pending != nil && st.pending.nodeID != id {
		p.warn(st.pending.line, fmt.Sprintf("node id %q has no result", st.pending.nodeID))
	}
	if st.pending != nil {
		start, hasStart = st.pending.start, st.pending.hasStart
	}
	st.pending = nil
	if st.s.Tests == nil {
		st.fitHint()
	}
	// only the fields that are not zero are written: each pointer written
	// costs a write barrier while the collector runs.
	t := st.nextTest()
	t.NodeID, t.File, t.Outcome, t.Percent, t.Line = id, r.file, verboseOutcome(r.word), -1, p.lineNo
	if reason != "" {
		t.Reason = reason
	}
	if hasStart {
		t.Start, t.HasStart = start, true
	}
	setProgress(t, r.pct, r.done, r.total)
	p.endVerbose(st, t)
}

// splitVerbose finds the last result word whose tail is only a reason and a
// progress indicator.
func (p *parser) splitVerbose(body string) (id, word, reason, pct, done, total string, ok bool) {
	best, word, m := lastWord(body)
	if best >= 0 {
		reason, pct, done, total = trimParens(m[1]), m[2], m[3], m[4]
	}
	if best < 0 {
		// -s: the test's output sits between the echo and the word, with no
		// space before the word ("nodeid output from testPASSED").
		for _, w := range verboseWordList {
			i := strings.LastIndex(body, w)
			if i <= 0 || body[i-1] == ' ' || i < best {
				continue
			}
			m, ok := verboseTail(body[i+len(w):])
			if !ok {
				continue
			}
			cand := p.resolveEcho(body[:i], true)
			if !strings.Contains(cand, "::") || len(cand) >= i {
				continue
			}
			best, id, word = i, cand, w
			reason, pct, done, total = trimParens(m[1]), m[2], m[3], m[4]
		}
		if best < 0 {
			return "", "", "", "", "", "", false
		}
		return id, word, reason, pct, done, total, true
	}
	id = trimLocation(body[:best])
	// With a collection list, prefer the split that names a collected test
	// (a parameter id can itself read "x PASSED").
	if p.collect.n > 0 && !p.collect.has(id) {
		for _, w := range verboseWordList {
			for i := 0; i+len(w)+1 <= len(body); {
				j := strings.Index(body[i:], " "+w)
				if j < 0 {
					break
				}
				j += i
				cand := trimLocation(body[:j])
				if p.collect.has(cand) {
					if m, ok := verboseTail(body[j+1+len(w):]); ok {
						return cand, w, trimParens(m[1]), m[2], m[3], m[4], true
					}
				}
				i = j + 1
			}
		}
	}
	return id, word, reason, pct, done, total, true
}

// resolveEcho turns an echo line into a node id. Output a test printed can
// follow its echo on the same line (-s, glued is true when the line did not
// end with the echo's space): with a collection list the longest collected
// node id that prefixes the line is taken, without one the text up to the
// first space outside brackets.
func (p *parser) resolveEcho(body string, glued bool) string {
	id := trimLocation(strings.TrimRight(body, " "))
	if p.collect.n == 0 {
		if glued {
			return bracketAwareID(id)
		}
		return id
	}
	if p.collect.has(id) {
		return id
	}
	for i := len(body); i > 0; i-- {
		if i < len(body) && body[i] != ' ' {
			continue
		}
		cand := trimLocation(strings.TrimRight(body[:i], " "))
		if p.collect.has(cand) {
			return cand
		}
	}
	return id
}

// maxLettersPerLine bounds a progress line: pytest wraps at the terminal
// width, and even console_output_style=classic (no wrapping) rarely puts this
// many tests in one file.
const maxLettersPerLine = 1 << 16

// bracketAwareID is s up to its first space outside square brackets: a
// parameter id may hold spaces, the rest of a node id may not.
func bracketAwareID(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case ' ':
			if depth == 0 {
				return s[:i]
			}
		}
	}
	return s
}

// progressLine reads default-mode lines "path/test_x.py ..F.s [ 40%]" and
// continuation lines of letters only.
func (p *parser) progressLine(t string) bool {
	var file, rest string
	st := p.cur
	if isLetter(t[0]) && lettersOnly(t) {
		// letters alone only mean results once the run is under way.
		// (or when a progress indicator or a kill marker follows them:
		// -q prints no header at all).
		if st == nil || (st.file == "" && !st.headerDone && !st.xdist) {
			_, tail := splitLetters(t)
			if !p.gluedToMarker && strings.TrimSpace(tail) == "" {
				return false
			}
			st = p.session()
		}
		rest = t
		file = st.file
	} else {
		m := matchIf(mayProgressFile(t), progressFileRe, t)
		if m == nil {
			return false
		}
		file, rest = m[1], m[2]
		letters, _ := splitLetters(rest)
		if letters == "" && strings.TrimSpace(rest) != "" && !progressTailRe.MatchString(rest) {
			return false
		}
		st = p.session()
		st.file = file
	}
	letters, tail := splitLetters(rest)
	if len(letters) > maxLettersPerLine {
		p.warn(p.lineNo, fmt.Sprintf("%d progress letters on one line; not read as results", len(letters)))
		return true
	}
	st.lastProgressLine = p.lineNo
	if st.s.Mode == "" {
		switch {
		case st.xdist:
			st.s.Mode = ModeXdistProgress
		default:
			st.s.Mode = ModeProgress
		}
	}
	st.headerDone = true
	for i := 0; i < len(letters); i++ {
		c := letters[i]
		n := st.fileCount[file] + 1
		if c != 'R' {
			st.fileCount[file] = n
		}
		test := Test{File: file, Outcome: letterOutcome(c), Percent: -1, Line: p.lineNo}
		switch {
		case st.s.Mode == ModeXdistProgress:
			test.Position = "#" + strconv.Itoa(n)
		case file == "":
			test.Position = "#" + strconv.Itoa(n)
			test.NodeID = p.collect.at("", n)
		default:
			test.Position = file + "::#" + strconv.Itoa(n)
			test.NodeID = p.collect.at(file, n)
		}
		if test.NodeID != "" {
			test.File = fileOf(test.NodeID)
		}
		st.addTest(test)
	}
	pm := progressTailRe.FindStringSubmatch(tail)
	switch {
	case pm != nil && (pm[1] != "" || pm[2] != ""):
		if len(st.s.Tests) > 0 && len(letters) > 0 {
			setProgress(&st.s.Tests[len(st.s.Tests)-1], pm[1], pm[2], pm[3])
		}
		st.lineOpen = false
		width := st.width
		if width == 0 {
			width = 80
		}
		// pytest_runtest_logfinish wraps past the edge by writing the
		// progress right after the letters; a file change pads it instead.
		lead := len(tail) - len(strings.TrimLeft(tail, " "))
		st.lineWrapped = lead == 1 && len(t) >= width-1-2
	case pm != nil:
		st.lineOpen = true
	default:
		// text glued after the letters (a crash message, -s output).
		st.lineOpen = true
		p.logical(tail)
	}
	return true
}

func lettersOnly(t string) bool {
	letters, tail := splitLetters(t)
	if letters == "" {
		return false
	}
	if rest := strings.TrimLeft(tail, " "); rest != "" && rest[0] != '[' {
		return false // the cheap answer for "INFO  ...", "Error ..."
	}
	return progressTailRe.MatchString(tail)
}

// splitLetters splits progress letters from what follows. When text is glued
// on ("....Error in sys.excepthook"), a capital that starts a word is not a
// letter.
func splitLetters(s string) (string, string) {
	i := 0
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	if i < len(s) && i > 0 && s[i] != ' ' && s[i] != '[' {
		if c := s[i]; (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' {
			for i > 0 && s[i-1] >= 'A' && s[i-1] <= 'Z' {
				i--
			}
		}
	}
	return s[:i], s[i:]
}

// endEvidence records a line that shows how the run ended.
func (p *parser) endEvidence(mk endMarker) {
	st := p.session()
	st.hadEvidence = true
	e := &st.s.End
	e.Evidence = append(e.Evidence, Evidence{Line: p.lineNo, Text: mk.text})
	if !e.HasTime && p.hasStamp && !st.s.Complete {
		e.Time, e.HasTime = p.stamp, true
	}
	if mk.hasExit && !e.HasExitCode {
		e.ExitCode, e.HasExitCode = mk.exit, true
	}
	if mk.pid != 0 && e.KilledPID == 0 {
		e.KilledPID, e.KilledCommand = mk.pid, mk.cmd
	} else if mk.cmd != "" && e.KilledCommand == "" {
		e.KilledCommand = mk.cmd
	}
	if mk.kind != "" {
		if st.s.Complete && mk.kind != EndComplete {
			p.warn(p.lineNo, fmt.Sprintf("%s evidence after the session completed: %q", mk.kind, mk.text))
		}
		st.kinds[mk.kind] = true
		if mk.certain {
			if st.certain == nil {
				st.certain = map[string]string{}
			}
			if _, ok := st.certain[mk.kind]; !ok {
				st.certain[mk.kind] = mk.text
			}
		}
	}
	if mk.oomKilled && e.OOMKilled == "" {
		e.OOMKilled, e.OOMKilledLine = mk.text, p.lineNo
	}
}

func (p *parser) finishSession() {
	st := p.cur
	if st == nil {
		return
	}
	p.cur = nil
	s := &st.s
	p.mergeCutResult(st)
	// How the run ended: the final line wins; then the most specific cause.
	switch {
	case s.Complete:
		s.End.Kind = EndComplete
	case st.kinds[EndTimeout]:
		s.End.Kind = EndTimeout
	case st.kinds[EndCrash]:
		s.End.Kind = EndCrash
	case st.certain[EndCancelled] != "" && s.End.OOMKilled == "":
		// The CI says it cancelled the job: a SIGKILL (exit 137) after
		// it is the runner's own, after its grace period.
		s.End.Kind = EndCancelled
	case st.kinds[EndSIGKILL]:
		s.End.Kind = EndSIGKILL
	case st.kinds[EndCancelled]:
		s.End.Kind = EndCancelled
	case st.kinds[EndMemoryError]:
		s.End.Kind = EndMemoryError
	default:
		s.End.Kind = EndUnknown
	}
	if text, ok := st.certain[s.End.Kind]; ok {
		s.End.Certain, s.End.Decisive = true, text
	}
	// xdist: every dead worker was running something.
	victims := map[string]bool{}
	for _, w := range s.Workers {
		if w.Crashed && w.CrashedWhile != "" {
			in := InFlight{Test: w.CrashedWhile, File: fileOf(w.CrashedWhile), Worker: w.ID, Basis: BasisXdistCrash, Line: w.CrashLine}
			for i := range s.Tests {
				if s.Tests[i].NodeID == w.CrashedWhile && s.Tests[i].HasStart {
					in.Start, in.HasStart = s.Tests[i].Start, true
				}
			}
			s.InFlight = append(s.InFlight, in)
			victims[w.CrashedWhile] = true
		}
	}
	if !s.Complete {
		switch {
		case st.pending != nil:
			s.InFlight = append(s.InFlight, InFlight{Test: st.pending.nodeID, File: fileOf(st.pending.nodeID), Basis: BasisVerboseLog,
				Line: st.pending.line, Start: st.pending.start, HasStart: st.pending.hasStart})
		case len(st.xpending) > 0:
			for _, e := range st.xpending {
				if victims[e.nodeID] {
					continue
				}
				s.InFlight = append(s.InFlight, InFlight{Test: e.nodeID, File: fileOf(e.nodeID), Worker: silentWorker(s, e.line), Basis: BasisVerboseLog,
					Line: e.line, Start: e.start, HasStart: e.hasStart})
			}
		case s.Mode == ModeProgress:
			p.progressInFlight(st)
		case st.collecting && len(s.Tests) == 0 && !s.Header.HasCollected && s.Header.Items == 0:
			s.InFlight = append(s.InFlight, InFlight{Basis: BasisCollection, Line: st.collectAt})
		}
		p.stackInFlight(st)
	}
	p.log.Sessions = append(p.log.Sessions, *s)
}

// silentWorker names the worker that ran a pending xdist echo (which does not
// say its worker) when exactly one live worker reported nothing after the echo
// and had reported before it: a worker runs one test at a time.
func silentWorker(s *Session, echoLine int) string {
	last := map[string]int{}
	for _, t := range s.Tests {
		if t.Worker != "" {
			last[t.Worker] = t.Line
		}
	}
	found := ""
	for _, w := range s.Workers {
		l, ok := last[w.ID]
		if w.Crashed || !ok || l > echoLine {
			continue
		}
		if found != "" {
			return ""
		}
		found = w.ID
	}
	return found
}

// progressInFlight names the next test after the last progress letter.
func (p *parser) progressInFlight(st *state) {
	s := &st.s
	last := -1
	for i := len(s.Tests) - 1; i >= 0; i-- {
		if s.Tests[i].Position != "" {
			last = i
			break
		}
	}
	if last < 0 {
		if st.file != "" && st.lineOpen {
			s.InFlight = append(s.InFlight, p.positionInFlight(st, st.file, 1))
		}
		return
	}
	file := st.file
	n := st.fileCount[file] + 1
	if st.lineOpen || st.lineWrapped {
		s.InFlight = append(s.InFlight, p.positionInFlight(st, file, n))
		return
	}
	// the line was closed at a file boundary: only the collection order knows
	// which test came next.
	if p.collect.n > 0 && s.Tests[last].NodeID != "" {
		if next := p.collect.after(s.Tests[last].NodeID); next != "" {
			s.InFlight = append(s.InFlight, InFlight{Test: next, File: fileOf(next), Basis: BasisDotsPosition, Line: p.lineNo})
		}
	}
}

func (p *parser) positionInFlight(st *state, file string, n int) InFlight {
	pos := file + "::#" + strconv.Itoa(n)
	if file == "" {
		pos = "#" + strconv.Itoa(n)
	}
	in := InFlight{Test: pos, File: file, Basis: BasisDotsPosition, Line: st.lastProgressLine}
	if id := p.collect.at(file, n); id != "" {
		in.Test, in.File = id, fileOf(id)
	}
	return in
}

// mergeCutResult handles a log cut inside a node id (sample 13 ends with
// "[gw0] PASSED tests/"): a result whose node id is a strict prefix of
// exactly one pending echo, on the last line, is that test's result.
func (p *parser) mergeCutResult(st *state) {
	s := &st.s
	if len(s.Tests) == 0 || len(st.xpending) == 0 {
		return
	}
	t := &s.Tests[len(s.Tests)-1]
	if t.Line != p.lineNo || strings.Contains(t.NodeID, "::") {
		return
	}
	match := -1
	for i, e := range st.xpending {
		if strings.HasPrefix(e.nodeID, t.NodeID) {
			if match >= 0 {
				return
			}
			match = i
		}
	}
	if match < 0 {
		return
	}
	e := st.xpending[match]
	p.warn(t.Line, fmt.Sprintf("result line cut at node id %q; taken as the result of the pending %q", t.NodeID, e.nodeID))
	for i := range s.Workers {
		w := &s.Workers[i]
		if w.ID == t.Worker && len(w.Tests) > 0 && w.Tests[len(w.Tests)-1] == t.NodeID {
			w.Tests[len(w.Tests)-1] = e.nodeID
		}
	}
	t.NodeID, t.File = e.nodeID, fileOf(e.nodeID)
	t.Start, t.HasStart = e.start, e.hasStart
	st.xpending = append(st.xpending[:match], st.xpending[match+1:]...)
}

func (p *parser) finish() {
	last := p.cur
	p.finishSession()
	if last != nil && !p.lastRecognised && p.lastText != "" {
		s := p.log.Sessions[len(p.log.Sessions)-1]
		if s.End.Kind == EndUnknown {
			p.warn(p.lastTextLine, fmt.Sprintf("the log stops at an unrecognised line, it may be cut: %q", truncate(p.lastText, 120)))
		}
	}
	if p.droppedWarnings > 0 {
		p.log.Warnings = append(p.log.Warnings, Warning{Message: strconv.Itoa(p.droppedWarnings) + " more warnings not shown"})
	}
	p.log.Lines = p.lineNo
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
