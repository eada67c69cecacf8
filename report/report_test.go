package report

import (
	"bytes"
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/correlate"
)

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{900 * mib, "900.0 MiB"},
		{1288490189, "1.2 GiB"},       // 1.2 GiB exactly, rounded down from 1.20000000019
		{8160268288, "7.6 GiB"},       // anon-rss:7969012kB
		{1024*mib - 1, "1.0 GiB"},     // 1023.99999 MiB rounds up into the next unit
		{1024*kib - 52, "1023.9 KiB"}, // stays below the carry
		{-1536, "-1.5 KiB"},           // a negative retention (memory given back)
		{-512, "-512 B"},
		{math.MaxInt64, "8.0 EiB"},
		{math.MinInt64, "-8.0 EiB"},
	} {
		if got := FormatBytes(tc.n); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestFormats(t *testing.T) {
	want := []string{"text", "markdown", "json", "html"}
	if got := Formats(); !reflect.DeepEqual(got, want) {
		t.Errorf("Formats() = %q, want %q", got, want)
	}
}

func TestUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Render(&buf, &correlate.Report{}, "yaml", Options{})
	if err == nil {
		t.Fatal("Render with format yaml: no error")
	}
	if want := `report: unknown format "yaml" (valid formats: text, markdown, json, html)`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes for an unknown format", buf.Len())
	}
	if err := Render(&buf, nil, "text", Options{}); err == nil {
		t.Error("Render of a nil report: no error")
	}
}

// TestRenderDoesNotModify: normalising nil lists for the JSON form must not
// write through to the caller's report.
func TestRenderDoesNotModify(t *testing.T) {
	for _, fx := range fixtures() {
		before := fixtures()
		var orig *correlate.Report
		for _, b := range before {
			if b.name == fx.name {
				orig = b.report
			}
		}
		for _, format := range Formats() {
			if err := Render(&bytes.Buffer{}, fx.report, format, Options{Color: true}); err != nil {
				t.Fatalf("%s %s: %v", fx.name, format, err)
			}
		}
		if !reflect.DeepEqual(fx.report, orig) {
			t.Errorf("%s: Render modified the report", fx.name)
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain [ü] 日本":       "plain [ü] 日本",
		"a\x1b[31mred":       `a\x1b[31mred`,
		"line\nbreak\ttab\r": `line\x0abreak\x09tab\x0d`,
		"bad\xffutf8":        `bad\xffutf8`,
		"c1\u0085":           `c1\u0085`,
		"del\x7f":            `del\x7f`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTextColor: colour only when asked, and never in the other formats.
func TestTextColor(t *testing.T) {
	r := memcgTwoLeaks()
	var plain, color bytes.Buffer
	if err := Render(&plain, r, "text", Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Render(&color, r, "text", Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b") {
		t.Error("text without Color holds an escape sequence")
	}
	if !strings.Contains(color.String(), "\x1b[1m") {
		t.Error("text with Color holds no bold escape")
	}
	// Stripping the colour gives back the plain rendering: the colour
	// never shifts a column.
	stripped := ansiRE.ReplaceAllString(color.String(), "")
	if stripped != plain.String() {
		t.Errorf("text with colour, stripped, differs from text without:\n%s", firstDiff(plain.Bytes(), []byte(stripped)))
	}
	for _, format := range Formats()[1:] {
		var buf bytes.Buffer
		if err := Render(&buf, r, format, Options{Color: true}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "\x1b") {
			t.Errorf("%s with Color holds an escape sequence", format)
		}
	}
}

// A node id with control characters cannot inject escape sequences into the
// terminal or break a Markdown table row.
func TestHostileNodeID(t *testing.T) {
	id := "tests/t.py::test_x[\x1b]0;pwned\x07|`a`\nnext]"
	r := &correlate.Report{
		Leaks:    []correlate.Leak{{Test: id, RetainedBytes: gib, Confidence: "high", Evidence: []string{"ev\x1b[2J"}}},
		InFlight: []correlate.InFlight{{Test: id}},
	}
	var text, md bytes.Buffer
	if err := Render(&text, r, "text", Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "\x1b") || strings.Contains(text.String(), "\x07") {
		t.Errorf("text passes control characters through:\n%q", text.String())
	}
	if err := Render(&md, r, "markdown", Options{}); err != nil {
		t.Fatal(err)
	}
	wantRow := "| 1 | ``tests/t.py::test_x[\\x1b]0;pwned\\x07\\|`a`\\x0anext]`` | - | - | 1.0 GiB | n/a | **high** |"
	if !strings.Contains(md.String(), wantRow+"\n") {
		t.Errorf("markdown leak row missing; want\n%s\nin\n%s", wantRow, md.String())
	}
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":                      0,
		"abc":                   3,
		"naïve":                 5, // precomposed ï
		"nai\u0308ve":           5, // i + combining diaeresis
		"日本語":                   6,
		"\x1b[1;31mhigh\x1b[0m": 4,
		"ｆｕｌｌ":                  8,
		"emoji 🔥":               8,
		"zero\u200bwidth":       9, // U+200B is a format character
	} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestTextColumnsAlign: in the text format a node id with wide characters
// does not push its row out of line: every worker cell of the in-flight
// table starts at the same terminal column, with colour or without.
func TestTextColumnsAlign(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Render(&buf, xdistTwoWorkers(), "text", Options{Color: color}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(buf.String(), "\n")
		var cols []int
		for i, l := range lines {
			if !strings.Contains(l, "In flight") {
				continue
			}
			for _, row := range lines[i+1 : i+4] {
				at := strings.Index(row, "WORKER")
				if at < 0 {
					at = strings.Index(row, "  gw")
					at += 2
				}
				cols = append(cols, displayWidth(row[:at]))
			}
		}
		if len(cols) != 3 || cols[0] != cols[1] || cols[1] != cols[2] {
			t.Errorf("color=%v: the WORKER column starts at display columns %v, want three equal", color, cols)
		}
	}
}
