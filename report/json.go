package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/oomlens/oomlens/correlate"
)

// renderJSON writes the stable JSON contract "oomlens/report/v1"
// (docs/report-format.md, docs/report.schema.json): the model's own JSON
// tags, two-space indent, every list present ([] when empty), every nullable
// field null when unknown, map keys sorted, and no HTML escaping of <, >, &
// (the output is a JSON document, not a script). encoding/json is used, not
// goccy/go-json: a report is a few kilobytes, so speed does not matter, and
// the standard library's output (sorted map keys, float formatting, U+FFFD
// for invalid UTF-8) is the reference behaviour a stable contract should be
// pinned to.
//
// The timeline, one row per test (a million on the largest suites), is
// written a row at a time into a buffered writer rather than the whole
// document built in memory and indented in a second copy (issue 18: on a
// 100k-test log that took three times the text report's time and twice
// its memory); the bytes are the same as one Encode of the report.
func renderJSON(w io.Writer, r *correlate.Report, _ Options) error {
	if len(r.Timeline) == 0 {
		return encodeJSON(w, r, "")
	}
	// The report with an empty timeline, cut where the rows go.
	head := *r
	head.Timeline = []correlate.TestSpan{}
	var doc bytes.Buffer
	if err := encodeJSON(&doc, &head, ""); err != nil {
		return err
	}
	before, after, ok := bytes.Cut(doc.Bytes(), []byte(jsonTimelineEmpty))
	if !ok {
		return encodeJSON(w, r, "")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(before)
	bw.WriteString(jsonTimelineOpen)
	var row bytes.Buffer
	rowEnc := newJSONEncoder(&row, "    ") // one encoder for every row
	for i := range r.Timeline {
		row.Reset()
		if err := rowEnc.Encode(&r.Timeline[i]); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimSuffix(row.Bytes(), []byte("\n")))
	}
	bw.WriteString("\n  ]")
	bw.Write(after)
	return bw.Flush()
}

// The timeline's key in the indented report, empty and opened: a key is
// the only place these bytes occur (inside a string a quote is escaped).
const (
	jsonTimelineEmpty = "\n  \"timeline\": []"
	jsonTimelineOpen  = "\n  \"timeline\": ["
)

// encodeJSON writes v as renderJSON does, each line after the first
// prefixed.
func encodeJSON(w io.Writer, v any, prefix string) error {
	return newJSONEncoder(w, prefix).Encode(v)
}

// newJSONEncoder is the encoder of renderJSON: indented, each line after
// the first prefixed, HTML characters as they are.
func newJSONEncoder(w io.Writer, prefix string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	return enc
}
