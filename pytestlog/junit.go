package pytestlog

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// JUnit is a JUnit XML report as pytest's junitxml.py writes it (one
// <testsuites> with <testsuite> children, or a bare <testsuite>). pytest
// writes it only in pytest_sessionfinish: after a SIGKILL of the main
// process it is absent or stale; with only an xdist worker killed it is
// complete and lists the crash as a failure.
type JUnit struct {
	// Name is testsuites@name ("pytest tests" in pytest >= 7.?).
	Name   string
	Suites []JUnitSuite
	// Cases are the <testcase> elements in file order.
	Cases []JUnitCase
	// Tests are the cases as Tests (NodeID, File, Outcome, Reason, Worker
	// for an xdist crash, Line = the XML line), for code that reads logs and
	// reports alike.
	Tests []Test
}

// JUnitSuite is one <testsuite>.
type JUnitSuite struct {
	Name                             string
	Tests, Errors, Failures, Skipped int
	TimeS                            float64
	// Timestamp is testsuite@timestamp as written: local time without a zone
	// in pytest 7.2 (datetime.isoformat()), with an offset in later versions.
	Timestamp string
	// Time is Timestamp parsed; TimeHasZone is false when it had no offset
	// (then Time holds the wall clock as if it were UTC).
	Time        time.Time
	HasTime     bool
	TimeHasZone bool
	Hostname    string
}

// JUnitCase is one <testcase>.
type JUnitCase struct {
	// NodeID is rebuilt from classname and name (the reverse of junitxml.py
	// mangle_test_address), from the file attribute when junit_family=xunit1
	// wrote one, or taken from an xdist crash message. NodeIDExact is false
	// when it had to be guessed (classes are taken to be the trailing
	// capitalised parts of classname, the rest the module path + ".py").
	NodeID      string
	NodeIDExact bool
	Classname   string
	Name        string
	File        string // @file (xunit1 only)
	FileLine    int    // @line (xunit1 only, 0-based as pytest writes it)
	Outcome     string // passed, failed, error, skipped, xfailed
	Message     string // failure/error/skipped @message
	Type        string // failure/error/skipped @type
	DurationS   float64
	Suite       int // index in JUnit.Suites
	// CrashedWorker is "gw0" when the failure is xdist's synthetic report
	// "worker 'gw0' crashed while running '<nodeid>'".
	CrashedWorker string
	// Line is the 1-based XML line of the <testcase> element.
	Line int
}

// ParseJUnit reads a JUnit XML report. A report cut short (never the case for
// pytest's own single write, but common in CI artifact uploads) returns the
// cases read so far with an error naming the line.
func ParseJUnit(r io.Reader, name string) (*JUnit, error) {
	if name == "" {
		name = "<input>"
	}
	d := xml.NewDecoder(r)
	d.Strict = false
	out := &JUnit{}
	var cur *JUnitCase
	var text strings.Builder
	inResult := false
	suite := -1
	sawRoot := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		line, _ := d.InputPos()
		if err != nil {
			return out, &ParseError{Name: name, Line: line, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "testsuites":
				sawRoot = true
				out.Name = attr(t, "name")
			case "testsuite":
				sawRoot = true
				s := JUnitSuite{Name: attr(t, "name"), Hostname: attr(t, "hostname"), Timestamp: attr(t, "timestamp")}
				s.Tests, s.Errors, s.Failures, s.Skipped = atoi(attr(t, "tests")), atoi(attr(t, "errors")), atoi(attr(t, "failures")), atoi(attr(t, "skipped"))
				s.TimeS, _ = strconv.ParseFloat(attr(t, "time"), 64)
				s.Time, s.HasTime, s.TimeHasZone = parseJUnitTime(s.Timestamp)
				out.Suites = append(out.Suites, s)
				suite = len(out.Suites) - 1
			case "testcase":
				if !sawRoot {
					return out, &ParseError{Name: name, Line: line, Err: errors.New("testcase outside a testsuite: not a JUnit report")}
				}
				c := JUnitCase{Classname: attr(t, "classname"), Name: attr(t, "name"), File: attr(t, "file"), Outcome: OutcomePassed, Suite: suite, Line: line}
				c.FileLine = atoi(attr(t, "line"))
				c.DurationS, _ = strconv.ParseFloat(attr(t, "time"), 64)
				out.Cases = append(out.Cases, c)
				cur = &out.Cases[len(out.Cases)-1]
			case "failure", "error", "skipped":
				if cur == nil {
					continue
				}
				outcome := map[string]string{"failure": OutcomeFailed, "error": OutcomeError, "skipped": OutcomeSkipped}[t.Name.Local]
				typ := attr(t, "type")
				if outcome == OutcomeSkipped && typ == "pytest.xfail" {
					outcome = OutcomeXfailed
				}
				// a teardown error after a failure keeps the failure.
				if cur.Message == "" && cur.Type == "" && (cur.Outcome == OutcomePassed || outcome == OutcomeFailed) {
					cur.Outcome, cur.Message, cur.Type = outcome, attr(t, "message"), typ
				}
				inResult = true
				text.Reset()
			}
		case xml.CharData:
			if inResult && text.Len() < 64<<10 {
				text.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "failure", "error", "skipped":
				inResult = false
				if cur != nil && cur.CrashedWorker == "" {
					for _, s := range []string{cur.Message, strings.TrimSpace(text.String())} {
						if m := crashedWhileRe.FindStringSubmatch(firstLine(s)); m != nil {
							id := m[2]
							if m[3] != "" || id == "" {
								id = m[3]
							}
							cur.CrashedWorker = m[1]
							cur.NodeID, cur.NodeIDExact = unrepr(id), true
							break
						}
					}
				}
			case "testcase":
				if cur != nil {
					if cur.NodeID == "" {
						cur.NodeID, cur.NodeIDExact = junitNodeID(cur.Classname, cur.Name, cur.File)
					}
					reason := cur.Message
					if cur.Outcome == OutcomeSkipped || cur.Outcome == OutcomeXfailed {
						reason = strings.TrimPrefix(reason, "xfail-marked test passes unexpectedly")
					}
					out.Tests = append(out.Tests, Test{NodeID: cur.NodeID, File: fileOf(cur.NodeID), Outcome: cur.Outcome,
						Reason: reason, Worker: cur.CrashedWorker, Percent: -1, Line: cur.Line})
				}
				cur = nil
			}
		}
	}
	if !sawRoot {
		return out, &ParseError{Name: name, Line: 1, Err: errors.New("no <testsuites> or <testsuite> element: not a JUnit report")}
	}
	return out, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func parseJUnitTime(s string) (time.Time, bool, bool) {
	if s == "" {
		return time.Time{}, false, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, false
		}
	}
	return time.Time{}, false, false
}

// junitNodeID reverses junitxml.py mangle_test_address:
//
//	path, bracket, params = nodeid.partition("[")
//	names = path.split("::"); names[0] = names[0] with "/" -> "." and ".py" dropped
//	classname = ".".join(names[:-1]); name = names[-1] + bracket + params
func junitNodeID(classname, name, file string) (string, bool) {
	if classname == "" {
		return name, false
	}
	if file != "" {
		file = strings.ReplaceAll(file, `\`, "/")
		mod := strings.ReplaceAll(strings.TrimSuffix(file, ".py"), "/", ".")
		if classname == mod {
			return file + "::" + name, true
		}
		if rest, ok := strings.CutPrefix(classname, mod+"."); ok {
			return file + "::" + strings.ReplaceAll(rest, ".", "::") + "::" + name, true
		}
	}
	parts := strings.Split(classname, ".")
	i := len(parts)
	for i > 1 && startsUpper(parts[i-1]) {
		i--
	}
	id := strings.Join(parts[:i], "/") + ".py"
	for _, c := range parts[i:] {
		id += "::" + c
	}
	return id + "::" + name, false
}

func startsUpper(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r)
	}
	return false
}
