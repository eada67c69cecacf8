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
//
// Speed matters here: a suite of a million tests writes 180 MB of
// records, and a batch of CI jobs spends a quarter of its CPU on them.
// BenchmarkStreamFile (the 1M-record file of scripts/bench-analyze.sh)
// and BenchmarkStreamGenerated (the same shape, made in the test) measure
// Stream, and BenchmarkStreamJob a batch job's file (800 records, a fresh
// call each); the fast paths they justify say their share where they are
// written. onePass (onepass.go) reads most lines of a JSON Lines file: it
// checks and decodes a plugin's record in one pass, straight from the
// reader's buffer (onePassBuffered), finding each key by the last line of
// the same event (diagShape) and the digits eight at a time (diagDigits),
// and leaves any line it does not read as the general path would to that
// path; it halved the instructions of BenchmarkStreamJob and
// BenchmarkStreamGenerated (5.2M to 2.5M an op, 223M to 100M, under
// cachegrind) and their time (307µs to 150µs, 13.6ms to 6.7ms: medians
// of ten alternating runs). StreamBytes reads a file already in memory in
// place through the same line loop, without the copy into the reader's
// buffer (BenchmarkStreamJobInPlace, 139µs to 126µs). Most lines onePass
// is asked to read, byTemplates (template.go) reads by the last line of
// the same event: the bytes between the values compared in place, the
// values that repeat not read again (BenchmarkStreamJobInPlace 2.46M to
// 1.87M instructions an op; TestTemplatesAgree). The general path
// has its own:
// splitPlain (one pass checks and splits a plain line, with
// diagPlainString's table), addRecord's decoding of fields in the order
// they come (inOrder), the numbers read without strconv (diagSmallInt,
// diagExactFloat), the common values by switch (diagCommonValue), and the
// node ids copied into shared chunks (diagSlab) rather than allocated one
// by one. Each has a test holding it to the general path: json.Valid
// (TestSplitPlainAgrees), the fixed order (TestInOrderAgrees), strconv
// (TestDiagNumbersAgreeWithStrconv, FuzzDiagNumbers, which also hold
// onePass's diagFastInt, diagFastFloat and diagDigits to diagPlainNumber
// and the readers above), and onePass to decodeObject then addRecord
// (TestOnePassAgrees, FuzzOnePass: a file parsed with and without it
// gives the same log or error).
package diagnostics
