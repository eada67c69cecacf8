// Package elfcore summarises Linux ELF core dumps of the killed process (or
// of one that aborted on a failed allocation): who the process was, which
// signal it died of, and what its memory looked like, from the headers and
// notes only.
//
// Sniff tells an ELF core from the head of an input; Parse reads one through
// an io.ReaderAt, and ReadFile opens one from disk, undoing gzip, zstd or xz
// compression (package decompress). Nothing is read whole, and every size
// read from the file is bounded before it is used. Bad input is an error
// carrying the byte offset; partial evidence (a truncated core, a missing
// NT_FILE) is a Warning and reading carries on.
package elfcore
