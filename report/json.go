package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strconv"

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
	var rw spanRowWriter
	for i := range r.Timeline {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		row, err := rw.row(&r.Timeline[i])
		if err != nil {
			return err
		}
		bw.Write(row)
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

// spanRowWriter writes a timeline row as the encoder of renderJSON writes
// it at the timeline's depth, by hand: the encoder's reflection and its
// second pass to indent were a third of `analyze --format json` on a
// 100k-test log (issue 18). A string with anything but printable ASCII is
// handed to the encoder itself, so every escape stays the standard
// library's; TestSpanRowWriter compares the two on every kind of value.
type spanRowWriter struct {
	buf []byte
	str bytes.Buffer  // the encoder's output for a string it must write
	enc *json.Encoder // over str, made on first use
}

// spanRowFields is how many fields TestSpan has: row writes each of them,
// and its test fails when a field is added without a line here.
const spanRowFields = 9

func (w *spanRowWriter) row(s *correlate.TestSpan) ([]byte, error) {
	const in = "\n      " // the prefix and two indents of renderJSON's rows
	b := append(w.buf[:0], '{')
	b = append(b, in+`"test": `...)
	b, err := w.string(b, s.Test)
	if err != nil {
		return nil, err
	}
	b = append(b, ","+in+`"worker": `...)
	if b, err = w.string(b, s.Worker); err != nil {
		return nil, err
	}
	b = append(b, ","+in+`"pid": `...)
	b = strconv.AppendInt(b, int64(s.PID), 10)
	b = append(b, ","+in+`"start": `...)
	if b, err = w.optString(b, s.Start); err != nil {
		return nil, err
	}
	b = append(b, ","+in+`"end": `...)
	if b, err = w.optString(b, s.End); err != nil {
		return nil, err
	}
	b = append(b, ","+in+`"outcome": `...)
	if b, err = w.string(b, s.Outcome); err != nil {
		return nil, err
	}
	b = append(b, ","+in+`"rss_before_bytes": `...)
	b = optInt(b, s.RSSBeforeBytes)
	b = append(b, ","+in+`"rss_after_bytes": `...)
	b = optInt(b, s.RSSAfterBytes)
	b = append(b, ","+in+`"peak_bytes": `...)
	b = optInt(b, s.PeakBytes)
	b = append(b, "\n    }"...)
	w.buf = b
	return b, nil
}

// string appends s quoted: by hand when it is printable ASCII with nothing
// to escape, else as the encoder writes it.
func (w *spanRowWriter) string(b []byte, s string) ([]byte, error) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"'), nil
	}
	if w.enc == nil {
		w.enc = newJSONEncoder(&w.str, "")
	}
	w.str.Reset()
	if err := w.enc.Encode(s); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(w.str.Bytes(), []byte("\n"))...), nil
}

func (w *spanRowWriter) optString(b []byte, s *string) ([]byte, error) {
	if s == nil {
		return append(b, "null"...), nil
	}
	return w.string(b, *s)
}

func optInt(b []byte, v *int64) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *v, 10)
}
