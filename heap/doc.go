// Package heap reads per-process memory evidence left behind by a test job
// that was killed for running out of memory:
//
//   - diagnostics files (ParseDiagnostics): JSON Lines of per-test RSS, peak
//     RSS and objects left alive, written by contrib/pytest/oomlens_diagnostics.py
//     as the tests run and flushed to disk record by record, so they survive
//     the SIGKILL. Also a JSON array of the same records and a summary object
//     {"tests": [...]}. The format is docs/diagnostics-format.md, its schema
//     docs/diagnostics.schema.json.
//   - weathercop's test_memory.log text logs (iskur/weathercop,
//     src/weathercop/tests/memory_diagnostics.py).
//   - ELF core dumps of the killed process.
//
// Every reader takes an io.Reader, streams it with a bounded line length, and
// never panics. Bad input is an error naming the input and the line (or byte
// offset); partial evidence, such as the record being written when the
// process was killed, is a Warning and reading carries on.
package heap
