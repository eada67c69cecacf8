// Package warning is the positioned warning that the diagnostics, weathercop
// and elfcore readers share, so that job renders all three alike.
package warning

import "fmt"

// Warning is partial or doubtful evidence found while reading, with its
// position: a cut-off last record, an over-long line, a field that could not
// be read. Parsing carries on after a warning.
//
// Line is the 1-based line number in the input. It is 0 when a byte offset is
// more apt (binary inputs such as ELF cores); Offset then holds the byte
// offset from the start of the input.
type Warning struct {
	Line    int
	Offset  int64
	Message string
}

// String renders the warning as "line N: message", "offset N: message", or
// just the message when neither position is known.
func (w Warning) String() string {
	switch {
	case w.Line > 0:
		return fmt.Sprintf("line %d: %s", w.Line, w.Message)
	case w.Offset > 0:
		return fmt.Sprintf("offset %d: %s", w.Offset, w.Message)
	default:
		return w.Message
	}
}
