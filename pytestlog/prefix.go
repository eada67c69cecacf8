package pytestlog

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// CI wrappers put a prefix on every line; strip it before reading pytest's
// own text, and keep its timestamp (PYTEST-CI.md §1.9).
var (
	// GitHub Actions and Azure Pipelines raw logs: 7 fractional digits.
	// Also the inner "2024-10-27T21:28:18Z  <container>\t" prefix of sample 11.
	isoPrefixRe = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) +`)
	// Jenkins Timestamper: "[2024-01-05T10:11:12.123Z] ".
	jenkinsPrefixRe = regexp.MustCompile(`^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)\] ?`)
	// A container or service name followed by a tab after a timestamp
	// (sample 11: "2024-10-27T21:28:18Z  tensorflow\t").
	containerTabRe = regexp.MustCompile(`^[\w.@/-]+\t`)
	// GitLab FF_TIMESTAMPS stream marker after the timestamp ("00O ", "01E+ ")
	// [unverified shape, PYTEST-CI.md §1.9].
	gitlabStreamRe = regexp.MustCompile(`^[0-9a-f]{2}[OE]\+? `)
	// Buildkite APC timestamp escape.
	buildkiteRe = regexp.MustCompile("^\x1b_bk;t=(\\d+)\x07")
	// ANSI CSI sequences (colour, GitLab's \x1b[0K) and OSC sequences.
	ansiRe = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)|\x1b_[^\x07]*\x07")
	// GitLab collapsible section markers (the header text follows a \r).
	gitlabSectionRe = regexp.MustCompile(`^section_(?:start|end):\d+:\S*$`)
	// GitHub web-UI copy with line anchors: "[1131](https://...#step:13:1132)".
	uiAnchorRe = regexp.MustCompile(`^\[\d+\]\(https?://[^)]*\)$`)
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
		if m := buildkiteRe.FindStringSubmatch(line); m != nil {
			if ms, err := strconv.ParseInt(m[1], 10, 64); err == nil && !has {
				ts, has = time.UnixMilli(ms).UTC(), true
			}
			line = line[len(m[0]):]
			continue
		}
		if m := jenkinsPrefixRe.FindStringSubmatch(line); m != nil {
			take(m[1])
			line = line[len(m[0]):]
			continue
		}
		if m := isoPrefixRe.FindStringSubmatch(line); m != nil {
			take(m[1])
			line = line[len(m[0]):]
			if c := containerTabRe.FindString(line); c != "" {
				line = line[len(c):]
			} else if g := gitlabStreamRe.FindString(line); g != "" {
				line = line[len(g):]
			}
			continue
		}
		break
	}
	return line, ts, has
}

// stripANSI removes terminal escapes.
func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansiRe.ReplaceAllString(s, "")
}
