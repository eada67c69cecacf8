// Package diagnostics reads the per-test memory records that a test suite
// writes as it runs: JSON Lines of per-test RSS, peak RSS and objects left
// alive, written by contrib/pytest/oomlens_diagnostics.py and flushed to disk
// record by record, so they survive the SIGKILL. Also a JSON array of the
// same records and a summary object {"tests": [...]}. The format is
// docs/diagnostics-format.md, its schema docs/diagnostics.schema.json.
//
// Sniff tells the format from the head of an input; Parse reads it, and
// Stream reads it handing each record over as it is read instead of keeping
// it (correlate's normaliser takes them so: a file of a million records is
// never held, scripts/bench-analyze.sh). Both take an io.Reader, stream it
// with a bounded line length, and never panic. Bad input is an error naming the input and the line; partial
// evidence, such as the record being written when the process was killed,
// is a Warning and reading carries on.
package diagnostics
