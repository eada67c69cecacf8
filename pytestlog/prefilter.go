package pytestlog

import (
	"strings"
)

// Literal prefilters: every line of a log passes through many anchored
// regular expressions, most of which cannot match it. Each may* function
// below is a necessary condition of its regular expression, checked with
// plain string operations first, so that the expression runs only on lines
// that may match (FuzzPrefilters checks each is necessary). Results are
// those of the expressions alone.

// isSpaceRE reports the bytes of RE2's \s: [\t\n\f\r ].
func isSpaceRE(c byte) bool {
	return c <= ' ' && uint64(1)<<c&spaceREBits != 0
}

const spaceREBits = 1<<' ' | 1<<'\t' | 1<<'\n' | 1<<'\f' | 1<<'\r'

// matchIf returns re's submatches of s when may(s), else nil.
func matchIf(may bool, re *lazyRegexp, s string) []string {
	if !may {
		return nil
	}
	return re.FindStringSubmatch(s)
}

func mayGitlabSection(s string) bool { return strings.HasPrefix(s, "section_") }
func mayUIAnchor(s string) bool      { return strings.HasPrefix(s, "[") && strings.HasSuffix(s, ")") }
func maySessionStarts(s string) bool {
	return strings.HasPrefix(s, "=") && strings.Contains(s, " test session starts ")
}
func maySeparator(s string) bool { return strings.HasPrefix(s, "=") }
func mayFinalQuiet(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == 'n') && strings.Contains(s, " in ")
}
func mayLiveLog(s string) bool { return strings.HasPrefix(s, "-") && strings.Contains(s, " live log ") }
func mayHeaderKV(s string) bool {
	return strings.HasPrefix(s, "configfile: ") || strings.HasPrefix(s, "inifile: ") || strings.HasPrefix(s, "testpaths: ")
}
func mayLocationSuffix(s string) bool { return strings.Contains(s, " <- ") }
func mayBuildkite(s string) bool      { return strings.HasPrefix(s, "\x1b_bk;t=") }
func mayJenkinsPrefix(s string) bool {
	return len(s) > 1 && s[0] == '[' && s[1] >= '0' && s[1] <= '9'
}
func mayContainerTab(s string) bool { return strings.IndexByte(s, '\t') > 0 }
func mayGitlabStream(s string) bool { return len(s) >= 4 && (s[2] == 'O' || s[2] == 'E') }

// mayStandaloneWord: after optional white space, a result word starts the
// line.
func mayStandaloneWord(s string) bool {
	i := 0
	for i < len(s) && isSpaceRE(s[i]) {
		i++
	}
	return wordAt(s[i:]) != ""
}

// mayProgressFile: the first run of non-space bytes holds a dot and does not
// start with one of the bytes progressFileRe excludes.
func mayProgressFile(s string) bool {
	if s == "" || strings.IndexByte(":[=<>(", s[0]) >= 0 || isSpaceRE(s[0]) {
		return false
	}
	for i := 0; i < len(s) && !isSpaceRE(s[i]); i++ {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

// wordAt returns the verbose result word that s starts with, or "". No word
// is a prefix of another, so at most one does. It compares with constants
// (no call per word: a loop over verboseWordList was 3% of
// BenchmarkParseVerbose); checkPlain holds it to that loop.
func wordAt(s string) string {
	if len(s) < 5 {
		return ""
	}
	switch s[0] {
	case 'P':
		if len(s) >= 6 && s[:6] == "PASSED" {
			return "PASSED"
		}
	case 'F':
		if len(s) >= 6 && s[:6] == "FAILED" {
			return "FAILED"
		}
	case 'E':
		if s[:5] == "ERROR" {
			return "ERROR"
		}
	case 'S':
		if len(s) >= 7 && s[:7] == "SKIPPED" {
			return "SKIPPED"
		}
	case 'X':
		if s[:5] == "XFAIL" {
			return "XFAIL"
		}
		if s[:5] == "XPASS" {
			return "XPASS"
		}
	case 'R':
		if s[:5] == "RERUN" {
			return "RERUN"
		}
	case 'L':
		if len(s) >= 6 && s[:6] == "LEAKED" {
			return "LEAKED"
		}
	}
	return ""
}

// isWordStart reports the first letters of verboseWordList's words.
func isWordStart(c byte) bool {
	switch c {
	case 'P', 'F', 'E', 'S', 'X', 'R', 'L':
		return true
	}
	return false
}

// trimLocation removes a " <- path" suffix (locationSuffixRe).
func trimLocation(s string) string {
	if !mayLocationSuffix(s) {
		return s
	}
	return locationSuffixRe.ReplaceAllString(s, "")
}

// verboseTail matches verboseTailRe against what follows a result word:
// m[1] the parenthesised reason (with its leading space), m[2] the percent,
// m[3] and m[4] the count-style progress. The shapes pytest prints (nothing,
// or white space and one progress indicator, no reason) are read by hand;
// anything else goes to the expression.
func verboseTail(s string) (m [5]string, ok bool) {
	if m, ok := plainProgressTail(s); ok {
		return m, true
	}
	sm := verboseTailRe.FindStringSubmatch(s)
	if sm == nil {
		return m, false
	}
	copy(m[:], sm)
	return m, true
}

// plainProgressTail reads \s*(?:\[\s*(\d+)%\]|\[\s*(\d+)/(\d+)\])?\s*$ with
// no reason. On such input verboseTailRe's reason group is empty (it needs a
// '('), so the submatches are the same.
func plainProgressTail(s string) (m [5]string, ok bool) {
	m[0] = s
	m[2], m[3], m[4], ok = progressOf(s)
	return m, ok
}

// progressOf is plainProgressTail's reading of s: the percent, or the done
// and total counts, of its progress indicator (all "" when there is none).
func progressOf(s string) (pct, done, total string, ok bool) {
	i := skipSpaceRE(s, 0)
	if i == len(s) {
		return "", "", "", true
	}
	if s[i] != '[' {
		return "", "", "", false
	}
	i = skipSpaceRE(s, i+1)
	d1 := i
	i = skipDigits(s, i)
	if i == d1 || i >= len(s) {
		return "", "", "", false
	}
	switch s[i] {
	case '%':
		if i+1 >= len(s) || s[i+1] != ']' {
			return "", "", "", false
		}
		pct = s[d1:i]
		i += 2
	case '/':
		d2 := i + 1
		j := skipDigits(s, d2)
		if j == d2 || j >= len(s) || s[j] != ']' {
			return "", "", "", false
		}
		done, total = s[d1:i], s[d2:j]
		i = j + 1
	default:
		return "", "", "", false
	}
	if skipSpaceRE(s, i) != len(s) {
		return "", "", "", false
	}
	return pct, done, total, true
}

// skipSpaceRE skips RE2's \s from i. pytest pads a -v result word to the
// progress column with a run of spaces, skipped eight at a time.
func skipSpaceRE(s string, i int) int {
	for i+8 <= len(s) && s[i:i+8] == "        " {
		i += 8
	}
	for i < len(s) && isSpaceRE(s[i]) {
		i++
	}
	return i
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// byteMask is a cheap summary of the bytes a string holds: bit c&63 for each
// byte c. A string can contain a needle only if its mask holds the needle's.
type byteMask uint64

func maskOf(s string) byteMask {
	var m byteMask
	for i := 0; i < len(s); i++ {
		m |= 1 << (s[i] & 63)
	}
	return m
}

func (m byteMask) holds(n byteMask) bool { return m&n == n }
