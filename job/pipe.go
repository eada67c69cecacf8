package job

import (
	"io"

	"github.com/oomlens/oomlens/diagnostics"
)

// pipelineMinBytes is the size of a diagnostics file from which it is
// parsed on one goroutine while its records become the model's on another
// (streamPiped): on scripts/bench-analyze.sh's 1M-record JSONL (180 MB),
// analyze took a median 1.72 s one after the other and 1.38 s so (five
// alternating runs each, idle 2-core machine, issue 18). On its 100k-record
// file (18 MB) the hand-over cost more CPU than it saved (0.19-0.22 s ->
// 0.18-0.25 s), and a CI job's file or batch's jobs (whose other core has a
// job of its own) are smaller still: below 64 MiB the records are
// converted as they are read. A variable for the tests.
var pipelineMinBytes int64 = 64 << 20

// diagBatchLen is how many records cross between the goroutines at once.
const diagBatchLen = 256

// diagBatch is records of one format (diagnostics.Log.Format), in order.
type diagBatch struct {
	format string
	recs   []diagnostics.Record
}

// streamPiped is diagnostics.Stream with each record handed to add on a
// goroutine of its own, in order. Stream reuses the struct of the record it
// hands out (its maps, slices and strings are each record's own, as
// correlate keeps them), so the struct is copied into a batch. A panic of
// add is raised again here, on the caller's goroutine, where batch
// recovers a job's failure.
func streamPiped(r io.Reader, opts diagnostics.Options, add func(format string, rec *diagnostics.Record)) (*diagnostics.Log, error) {
	full := make(chan diagBatch, 4)
	empty := make(chan []diagnostics.Record, 4)
	done := make(chan struct{})
	var panicked any
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				panicked = p
				for range full { // let the parser finish
				}
			}
		}()
		for b := range full {
			for i := range b.recs {
				add(b.format, &b.recs[i])
			}
			clear(b.recs) // the model holds what it keeps
			select {
			case empty <- b.recs[:0]:
			default:
			}
		}
	}()
	cur := diagBatch{recs: make([]diagnostics.Record, 0, diagBatchLen)}
	send := func() {
		full <- cur
		select {
		case recs := <-empty:
			cur.recs = recs
		default:
			cur.recs = make([]diagnostics.Record, 0, diagBatchLen)
		}
	}
	d, err := diagnostics.Stream(r, opts, func(format string, rec *diagnostics.Record) {
		if len(cur.recs) > 0 && format != cur.format {
			send()
		}
		cur.format = format
		cur.recs = append(cur.recs, *rec)
		if len(cur.recs) == diagBatchLen {
			send()
		}
	})
	if len(cur.recs) > 0 {
		full <- cur
	}
	close(full)
	<-done
	if panicked != nil {
		panic(panicked)
	}
	return d, err
}
