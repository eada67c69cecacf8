package correlate

import (
	"unsafe"

	"github.com/oomlens/oomlens/internal/gcpace"
	"github.com/oomlens/oomlens/internal/hugeheap"
)

// hugeList makes an empty list with room for room elements: the list a
// stream reserves for a big input's records, made before the heap is put in
// huge pages (job's reserveHeap) so that it lies on memory the heap had not
// used, which the runtime does not clear, and advised huge pages of its own
// (hugeheap.Advise). Room for records that never come then stays address
// space: made on the reserved heap instead, it was cleared whole, and the
// 1M-record JSONL's peak memory grew by the 13 MB its list reserves beyond
// its records (issue 18).
func hugeList[T any](room int) []T {
	var zero T
	size := uintptr(room) * unsafe.Sizeof(zero)
	if size < hugeheap.AdviseMinBytes {
		return make([]T, 0, room)
	}
	// No collection between making the list and advising it: its size
	// starts one, which reads the list, and a page read before the advice
	// is mapped in small pages for good (wc-100k: the first 4 MB of its
	// steps, 1,000 faults).
	defer gcpace.Off()()
	s := make([]T, 0, room)
	hugeheap.Advise(unsafe.Pointer(unsafe.SliceData(s)), size)
	return s
}
