package weathercop

import "github.com/oomlens/oomlens/internal/warning"

// Warning is partial or doubtful evidence found while reading, with its line
// (or byte offset); reading carries on after one.
type Warning = warning.Warning
