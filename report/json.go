package report

import (
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
func renderJSON(w io.Writer, r *correlate.Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
