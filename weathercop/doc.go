// Package weathercop reads weathercop's test_memory.log text logs
// (iskur/weathercop, src/weathercop/tests/memory_diagnostics.py): one
// multi-line record of process memory per test start and end.
//
// Sniff tells the format from the head of an input; Parse reads it. Parse
// takes an io.Reader, streams it with a bounded line length, and never
// panics. Partial evidence (a record cut off by the kill, interleaved
// writers) is a Warning with its line, and reading carries on.
package weathercop
