package pytestlog

import "strings"

// Hand-written readers of the lines every -v log starts with (the session
// header) and of the shell's "Killed" at its end. Each regular expression
// below ran once a log but cost as much as 5-15 plain result lines (Go's
// backtracker and one-pass matcher take 100-200 instructions a byte):
// together a sixth of BenchmarkParseJob. A reader returns what
// FindStringSubmatchIndex would and true only for the shapes it reads
// exactly; for others it returns false and the expression runs.
// TestFastReaders and FuzzFastReaders compare each reader with its
// expression on every sample line.

// readSessionStarts is sessionStartsRe, ^=+ test session starts =+\s*$:
// each run of '=' is maximal (the byte after it is not '='), and only
// RE2's \s may follow the second.
func readSessionStarts(s string) ([]int, bool) {
	i := 0
	for i < len(s) && s[i] == '=' {
		i++
	}
	const mid = " test session starts "
	if i == 0 || !strings.HasPrefix(s[i:], mid) {
		return nil, true
	}
	j := i + len(mid)
	k := j
	for k < len(s) && s[k] == '=' {
		k++
	}
	if k == j || skipSpaceRE(s, k) != len(s) {
		return nil, true
	}
	return []int{0, len(s)}, true
}

// readLabelled returns the reader of ^label(.+?)\s*$ (cachedirRe,
// pluginsRe): the lazy group is the text after label up to its trailing
// \s, when that is not empty and holds no '\n' ('.' does not match it).
func readLabelled(label string) func(s string) ([]int, bool) {
	return func(s string) ([]int, bool) {
		if !strings.HasPrefix(s, label) {
			return nil, true
		}
		v := strings.TrimRight(s[len(label):], "\t\n\f\r ")
		if v == "" || strings.IndexByte(s, '\n') >= 0 {
			return nil, false
		}
		return []int{0, len(s), len(label), len(label) + len(v)}, true
	}
}

// readRootdir is rootdirOldRe for a directory with no ',' (or '\n'), the
// shape of pytest >= 7.3 and of a header with no ini file: ([^,]+) takes
// all of it, the optional groups (each starts with ", ") match nothing.
func readRootdir(s string) ([]int, bool) {
	const label = "rootdir: "
	if !strings.HasPrefix(s, label) {
		return nil, true
	}
	if rest := s[len(label):]; rest == "" || strings.IndexByte(rest, ',') >= 0 || strings.IndexByte(rest, '\n') >= 0 {
		return nil, false
	}
	return []int{0, len(s), len(label), len(s), -1, -1, -1, -1}, true
}

// readCollecting is collectingRe's match for "collecting ...": its first
// alternative, \.\.\. ?, takes the space after the dots if there is one.
func readCollecting(s string) ([]int, bool) {
	const dots = "collecting ..."
	if !strings.HasPrefix(s, dots) {
		return nil, false
	}
	end := len(dots)
	if end < len(s) && s[end] == ' ' {
		end++
	}
	return []int{0, end}, true
}

// readCollected is collectedRe for "collected N item" or "items" followed
// only by \s: \d+ takes every digit, s? the 's', and none of the optional
// " / N ..." groups can match white space.
func readCollected(s string) ([]int, bool) {
	const label = "collected "
	if !strings.HasPrefix(s, label) {
		return nil, true
	}
	d := skipDigits(s, len(label))
	if d == len(label) || !strings.HasPrefix(s[d:], " item") {
		return nil, false
	}
	e := d + len(" item")
	if e < len(s) && s[e] == 's' {
		e++
	}
	if skipSpaceRE(s, e) != len(s) {
		return nil, false
	}
	return []int{0, len(s), len(label), d, -1, -1, -1, -1, -1, -1, -1, -1}, true
}

// readKilled is the shell's "Killed" marker, (?:^|[\s.A-Z\]]|[sx])(Killed)\s*$,
// unanchored. "Killed" must end where s's trailing \s starts (it holds
// none), so there is one place for it, k; the match starts at k when k is 0
// (^), else at the byte before it when that byte is in the class (an ASCII
// byte is a rune of its own, in valid UTF-8 or not), and \s* runs to the end.
func readKilled(s string) ([]int, bool) {
	u := s
	for u != "" && isSpaceRE(u[len(u)-1]) {
		u = u[:len(u)-1]
	}
	if !strings.HasSuffix(u, "Killed") {
		return nil, true
	}
	k := len(u) - len("Killed")
	if k == 0 {
		return []int{0, len(s), 0, len(u)}, true
	}
	if c := s[k-1]; isSpaceRE(c) || c == '.' || c >= 'A' && c <= 'Z' || c == ']' || c == 's' || c == 'x' {
		return []int{k - 1, len(s), k, len(u)}, true
	}
	return nil, true
}

// readPlatform is platformRe,
//
//	^platform (\S+) -- Python (\S+?)(?:\[pypy-[^\]]+\])?, pytest-(\S+?), (?:py-(\S+?), )?pluggy-(\S+?)(?: -- (.+))?\s*$
//
// for a line whose parts hold no \s, the Python version no '[' (not PyPy),
// and the versions no ',': each part then ends where the text after it
// starts (at the first ' ' for the platform, the first ',' for the
// versions, the first \s for pluggy's), as no shorter lazy match can be
// followed by that text; py- is taken when present (the group is greedy,
// and "pluggy-" cannot match at "py-"), and " -- (.+)" takes the rest of
// the line when it holds no '\n'.
func readPlatform(s string) ([]int, bool) {
	const label = "platform "
	if !strings.HasPrefix(s, label) {
		return nil, true
	}
	m := []int{0, len(s), -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
	i, ok := len(label), true
	if i, ok = readPart(s, i, ' ', " -- Python ", m[2:4]); !ok {
		return nil, false
	}
	if i, ok = readPart(s, i, ',', ", pytest-", m[4:6]); !ok || strings.IndexByte(s[m[4]:m[5]], '[') >= 0 {
		return nil, false
	}
	if i, ok = readPart(s, i, ',', ", ", m[6:8]); !ok {
		return nil, false
	}
	if strings.HasPrefix(s[i:], "py-") {
		if i, ok = readPart(s, i+len("py-"), ',', ", ", m[8:10]); !ok {
			return nil, false
		}
	}
	if !strings.HasPrefix(s[i:], "pluggy-") {
		return nil, false
	}
	i += len("pluggy-")
	e := i
	for e < len(s) && !isSpaceRE(s[e]) {
		e++
	}
	if e == i {
		return nil, false
	}
	m[10], m[11] = i, e
	if e == len(s) {
		return m, true
	}
	f := e + len(" -- ")
	if !strings.HasPrefix(s[e:], " -- ") || f == len(s) || strings.IndexByte(s[f:], '\n') >= 0 {
		return nil, false
	}
	m[12], m[13] = f, len(s)
	return m, true
}

// readPart reads from i a part that ends at the first byte end and holds no
// \s, followed by next; it sets loc to the part and returns the index past
// next.
func readPart(s string, i int, end byte, next string, loc []int) (int, bool) {
	n := strings.IndexByte(s[i:], end)
	if n <= 0 {
		return 0, false
	}
	for _, c := range []byte(s[i : i+n]) {
		if isSpaceRE(c) {
			return 0, false
		}
	}
	if !strings.HasPrefix(s[i+n:], next) {
		return 0, false
	}
	loc[0], loc[1] = i, i+n
	return i + n + len(next), true
}

// readProcessCompleted is GitHub's verdict,
// ((?:##\[error\]|Error: )?Process completed with exit code (-?\d+)\.?),
// unanchored, on a line that holds "Process completed with exit code " once:
// every match holds that occurrence, so the leftmost starts at the prefix
// right before it, if there is one, else at it; the code is the run of
// digits after it (a '-' first only when a digit follows), and the '.'
// after them is taken.
func readProcessCompleted(s string) ([]int, bool) {
	const lit = "Process completed with exit code "
	p := strings.Index(s, lit)
	if p < 0 {
		return nil, true
	}
	if strings.LastIndex(s, lit) != p {
		return nil, false
	}
	start := p
	if strings.HasSuffix(s[:p], "##[error]") {
		start = p - len("##[error]")
	} else if strings.HasSuffix(s[:p], "Error: ") {
		start = p - len("Error: ")
	}
	d0 := p + len(lit)
	d1 := codeEnd(s, d0)
	if d1 < 0 {
		return nil, true
	}
	end := d1
	if end < len(s) && s[end] == '.' {
		end++
	}
	return []int{start, end, start, end, d0, d1}, true
}

// codeEnd is the end of -?\d+ at s[i:] (the '-' is taken only when a
// digit follows it), -1 when there is none.
func codeEnd(s string, i int) int {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	k := skipDigits(s, j)
	if k == j {
		return -1
	}
	return k
}

// readErrorExitCode is (##\[error\].*?exit code:? '?(-?\d+)'?.*)$, unanchored,
// on a line with no '\n' ('.' does not match it) that holds "##[error]"
// once and "exit code" once, after it: the match can only start at the
// first and use the second; ":? " takes the ':' when a space follows it,
// "'?" the quote, and '?.*$ always matches the rest.
func readErrorExitCode(s string) ([]int, bool) {
	const tag, lit = "##[error]", "exit code"
	a := strings.Index(s, tag)
	if a < 0 {
		return nil, true
	}
	e := strings.Index(s, lit)
	if strings.LastIndex(s, tag) != a || e < a+len(tag) || strings.LastIndex(s, lit) != e || strings.IndexByte(s, '\n') >= 0 {
		return nil, false
	}
	k := e + len(lit)
	switch {
	case strings.HasPrefix(s[k:], ": "):
		k += 2
	case strings.HasPrefix(s[k:], " "):
		k++
	default:
		return nil, true
	}
	if k < len(s) && s[k] == '\'' {
		k++
	}
	d := codeEnd(s, k)
	if d < 0 {
		return nil, true
	}
	return []int{a, len(s), a, len(s), k, d}, true
}
