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
//
// weathercop.go reads a line at a time (readLine, then line and one
// method per line shape): it is the definition. fastpath.go is a fast path
// for whole lines: it reads the lines the logger writes in every record
// straight from the read buffer and leaves any other line to line, with
// the same result (TestFastPathMatchesLine, FuzzParseWeathercop). It and
// the smaller ones (readLine's lines taken in place, wcClock's kept hour,
// wcFloat's "%.1f") stay because BenchmarkStreamFile (the 100k-test log of
// scripts/bench-analyze.sh, 59 MB) shows them: the parse must keep up with
// analyze's 0.14 s for that log; each says what it saved.
package weathercop
