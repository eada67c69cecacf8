package discover

// Buffers is memory for the bytes Walk reads (small files whole, archive
// members), handed from one Walk to the next. batch gives each worker one,
// so that a job is read into the memory of the job before it rather than
// into new memory that the runtime must clear and the collector reclaim:
// a batch job's ~220 KB of content was the largest allocation of its
// reading (go test ./batch -bench Run).
//
// Release takes back everything handed out since the last Release: call it
// only when nothing of the Sets read with it is used any more (the heads and
// contents of their inputs are in it). A Buffers is used by one goroutine at
// a time. The zero value is ready to use; a nil *Buffers allocates afresh
// every time, and nothing is reused.
type Buffers struct {
	free [][]byte // released, for the next get
	lent [][]byte // handed out since the last Release, at full capacity
}

// Of what Release keeps, at most maxKeptBuffers buffers of
// maxKeptBufferBytes in all: a worker that once read a 500 MB archive does
// not hold 500 MB for the rest of the batch.
const (
	maxKeptBuffers     = 64
	maxKeptBufferBytes = 16 << 20
)

// get returns a buffer of length n, of capacity n (appending to it
// allocates anew). A released buffer is taken when it is at least n bytes
// and not much more: best fit, so that a large one is not spent on a small
// need.
func (b *Buffers) get(n int) []byte {
	if b == nil {
		return make([]byte, n)
	}
	best := -1
	for i, f := range b.free {
		if c := cap(f); c >= n && c <= 2*n+4<<10 && (best < 0 || c < cap(b.free[best])) {
			best = i
		}
	}
	var buf []byte
	if best >= 0 {
		buf = b.free[best]
		last := len(b.free) - 1
		b.free[best], b.free[last] = b.free[last], nil
		b.free = b.free[:last]
	} else {
		buf = make([]byte, n)
	}
	b.lent = append(b.lent, buf[:cap(buf)])
	return buf[:n:n]
}

// Release makes every buffer handed out since the last Release reusable
// (see Buffers), keeping the most recent within the caps.
func (b *Buffers) Release() {
	if b == nil {
		return
	}
	kept := 0
	for _, f := range b.free {
		kept += cap(f)
	}
	for i := len(b.lent) - 1; i >= 0; i-- {
		f := b.lent[i]
		b.lent[i] = nil
		if len(b.free) < maxKeptBuffers && kept+cap(f) <= maxKeptBufferBytes {
			b.free = append(b.free, f)
			kept += cap(f)
		}
	}
	b.lent = b.lent[:0]
}
