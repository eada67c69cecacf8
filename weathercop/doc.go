// Package weathercop reads weathercop's test_memory.log text logs
// (iskur/weathercop, src/weathercop/tests/memory_diagnostics.py): one
// multi-line record of process memory per test start and end.
//
// Sniff tells the format from the head of an input; Parse reads it, and
// Stream reads it handing each record over once complete instead of
// keeping it (correlate's normaliser takes them so: the records of a
// 100k-test log are never held, scripts/bench-analyze.sh). Both take an
// io.Reader, stream it with a bounded line length, and never panic. Partial evidence (a record cut off by the kill, interleaved
// writers) is a Warning with its line, and reading carries on.
package weathercop
