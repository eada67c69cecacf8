package report

import (
	"bytes"
	"html"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/correlate"
)

// The Markdown is checked the way GitHub reads it: cmark-gfm (GitHub's own
// CommonMark fork, Debian package cmark-gfm) renders it with the table
// extension, and every node id must come out of a table cell and out of the
// evidence list as exactly the text that went in, every table row with its
// cells. Skipped when cmark-gfm is not installed.

var (
	cellCode = regexp.MustCompile(`<td[^>]*>(<code>(.*?)</code>|[^<]*)</td>`)
	liCode   = regexp.MustCompile(`<li><code>(.*?)</code>`)
	tableRow = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellTag  = regexp.MustCompile(`<t[dh][ >]`)
)

func cmarkGFM(t *testing.T, md []byte) string {
	t.Helper()
	bin, err := exec.LookPath("cmark-gfm")
	if err != nil {
		t.Skip("cmark-gfm is not installed (apt-get install -y cmark-gfm)")
	}
	cmd := exec.Command(bin, "--extension", "table", "--extension", "strikethrough", "--extension", "tagfilter", "--extension", "autolink")
	cmd.Stdin = bytes.NewReader(md)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cmark-gfm: %v", err)
	}
	return string(out)
}

func TestMarkdownAsGitHubReadsIt(t *testing.T) {
	ids := []string{
		"tests/t.py::test_pipe[a|b]",
		"tests/t.py::test_tick[`raw`]",
		"`leading",
		"trailing`",
		"tests/t.py::test_ticks[``]",
		"tests/t.py::test_lambda[<lambda>-*]",
		"tests/t.py::test_link[[x](http://example.invalid)]",
		`tests/t.py::test_backslash[\|\\]`,
		"tests/t.py::test_naïve[日本語 data]",
		" spaced ",
		"tests/t.py::test_ctl[\x1b[31m\nx]",
	}
	r := &correlate.Report{Verdict: "v"}
	for i, id := range ids {
		r.Leaks = append(r.Leaks, correlate.Leak{Test: id, Worker: "gw0", RetainedBytes: int64(i+1) * mib, Confidence: "low",
			Evidence: []string{"log:1: " + id}})
	}
	var md bytes.Buffer
	if err := Render(&md, r, "markdown", Options{Top: All}); err != nil {
		t.Fatal(err)
	}
	out := cmarkGFM(t, md.Bytes())

	rows := tableRow.FindAllStringSubmatch(out, -1)
	if len(rows) != len(ids)+1 {
		t.Fatalf("%d table rows, want %d:\n%s", len(rows), len(ids)+1, out)
	}
	for i, row := range rows[1:] {
		if n := len(cellTag.FindAllString(row[1], -1)); n != 7 {
			t.Errorf("row %d has %d cells, want 7: %s", i+1, n, row[1])
		}
		cells := cellCode.FindAllStringSubmatch(row[1], -1)
		if len(cells) < 2 {
			t.Errorf("row %d: no test cell: %s", i+1, row[1])
			continue
		}
		if got, want := html.UnescapeString(cells[1][2]), printable(ids[i]); got != want {
			t.Errorf("row %d: the table shows %q, want %q", i+1, got, want)
		}
	}
	var listed []string
	for _, m := range liCode.FindAllStringSubmatch(out, -1) {
		listed = append(listed, html.UnescapeString(m[1]))
	}
	for _, id := range ids {
		want := "log:1: " + printable(id)
		found := false
		for _, l := range listed {
			found = found || l == want
		}
		if !found {
			t.Errorf("the evidence list does not show %q; it shows %q", want, listed)
		}
	}
}

// TestMarkdownGoldensAsGitHubReadsThem: every table of every golden file has
// the same number of cells in each row, and no raw HTML tag gets through.
func TestMarkdownGoldensAsGitHubReadsThem(t *testing.T) {
	for _, fx := range fixtures() {
		var md bytes.Buffer
		if err := Render(&md, fx.report, "markdown", Options{}); err != nil {
			t.Fatal(err)
		}
		out := cmarkGFM(t, md.Bytes())
		for _, table := range strings.Split(out, "<table>")[1:] {
			table = table[:strings.Index(table, "</table>")]
			rows := tableRow.FindAllStringSubmatch(table, -1)
			want := len(cellTag.FindAllString(rows[0][1], -1))
			for _, row := range rows[1:] {
				if n := len(cellTag.FindAllString(row[1], -1)); n != want {
					t.Errorf("%s: a row has %d cells, the header %d: %s", fx.name, n, want, row[1])
				}
			}
		}
		for _, tag := range []string{"<lambda>", "<script", "<img"} {
			if strings.Contains(out, tag) {
				t.Errorf("%s: raw %s in GitHub's HTML", fx.name, tag)
			}
		}
	}
}
