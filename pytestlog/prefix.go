package pytestlog

import (
	"strconv"
	"strings"
	"time"
)

// CI wrappers put a prefix on every line; strip it before reading pytest's
// own text, and keep its timestamp (PYTEST-CI.md §1.9).
var (
	// GitHub Actions and Azure Pipelines raw logs ("...:12.1234567Z ", 7
	// fractional digits) and the inner "2024-10-27T21:28:18Z  <container>\t"
	// prefix of sample 11 are matched by isoStampLen.
	// Jenkins Timestamper: "[2024-01-05T10:11:12.123Z] ".
	jenkinsPrefixRe = lazyRe(`^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)\] ?`)
	// A container or service name followed by a tab after a timestamp
	// (sample 11: "2024-10-27T21:28:18Z  tensorflow\t").
	containerTabRe = lazyRe(`^[\w.@/-]+\t`)
	// GitLab FF_TIMESTAMPS stream marker after the timestamp ("00O ", "01E+ ")
	// [unverified shape, PYTEST-CI.md §1.9].
	gitlabStreamRe = lazyRe(`^[0-9a-f]{2}[OE]\+? `)
	// Buildkite APC timestamp escape.
	buildkiteRe = lazyRe("^\x1b_bk;t=(\\d+)\x07")
	// ANSI CSI sequences (colour, GitLab's \x1b[0K) and OSC sequences.
	ansiRe = lazyRe("\x1b\\[[0-9;?]*[A-Za-z]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)|\x1b_[^\x07]*\x07")
	// GitLab collapsible section markers (the header text follows a \r).
	gitlabSectionRe = lazyRe(`^section_(?:start|end):\d+:\S*$`)
	// GitHub web-UI copy with line anchors: "[1131](https://...#step:13:1132)".
	uiAnchorRe = lazyRe(`^\[\d+\]\(https?://[^)]*\)$`)
)

// stripCI removes the CI prefixes of one physical line and returns the text
// and the outermost timestamp (the time the CI system received the line).
func stripCI(line string) (string, time.Time, bool) {
	var ts time.Time
	has := false
	take := func(s string) {
		if has {
			return
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			ts, has = t.UTC(), true
		}
	}
	for range 4 {
		if !mayCIPrefix(line) {
			break
		}
		if m := matchIf(mayBuildkite(line), buildkiteRe, line); m != nil {
			if ms, err := strconv.ParseInt(m[1], 10, 64); err == nil && !has {
				ts, has = time.UnixMilli(ms).UTC(), true
			}
			line = line[len(m[0]):]
			continue
		}
		if m := matchIf(mayJenkinsPrefix(line), jenkinsPrefixRe, line); m != nil {
			take(m[1])
			line = line[len(m[0]):]
			continue
		}
		if n := isoStampLen(line); n > 0 && n < len(line) && line[n] == ' ' {
			take(line[:n])
			line = strings.TrimLeft(line[n:], " ")
			if c := findIf(mayContainerTab(line), containerTabRe, line); c != "" {
				line = line[len(c):]
			} else if g := findIf(mayGitlabStream(line), gitlabStreamRe, line); g != "" {
				line = line[len(g):]
			}
			continue
		}
		break
	}
	return line, ts, has
}

// mayCIPrefix reports whether line starts with a byte a CI prefix starts
// with (stripCI's prefixes: an escape, '[' or a digit); stripCI returns other
// lines as they are, with no stamp.
func mayCIPrefix(line string) bool {
	return line != "" && (line[0] == '\x1b' || line[0] == '[' || line[0] >= '0' && line[0] <= '9')
}

// findIf returns re's leftmost match in s when may, else "".
func findIf(may bool, re *lazyRegexp, s string) string {
	if !may {
		return ""
	}
	return re.FindString(s)
}

// stripANSI removes terminal escapes.
func stripANSI(s string) string {
	if strings.IndexByte(s, '\x1b') < 0 {
		return s
	}
	return ansiRe.ReplaceAllString(s, "")
}

// isoStampLen is the length of a "2024-01-05T10:11:12[.1234567]Z" stamp at
// the start of s, 0 if there is none (a hand-written isoPrefixRe: this runs
// on every line).
func isoStampLen(s string) int {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
	}
	n := 19
	if s[n] == '.' {
		n++
		start := n
		for n < len(s) && n-start < 9 && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == start {
			return 0
		}
	}
	if n >= len(s) || s[n] != 'Z' {
		return 0
	}
	return n + 1
}
