package weathercop

import "math"

// This file is a fast path: it reads the lines the logger writes in every
// record, in the logger's own format, straight from the read buffer,
// without first finding where they end (readLine) and then telling them
// apart (line). line stays the definition: usual takes a subset of its
// cases and gives its results, or leaves the line to it
// (TestFastPathMatchesLine and FuzzParseWeathercop parse with and without
// it). It cut the CPU time of BenchmarkStreamFile (a 100k-test log, 59
// MB, read from the page cache) by a fifth: 79 -> 62 ms on a loaded
// machine, min of 5 runs each, the rest being the kernel's copy of the
// file (~20 ms) and the record headers.

// usual reads the line at the start of b if it is one of a record's usual
// lines, whole (with its "\n"), and returns its length; otherwise it
// returns 0 and changes nothing.
func (p *wcParser) usual(b []byte) int {
	rec := p.cur
	if rec == nil || len(b) < 4 || b[0] != ' ' || b[1] != ' ' {
		return 0
	}
	var n int
	if b[2] == ' ' && b[3] == ' ' {
		n = p.usualItem(rec, b[2:])
	} else {
		n = p.usualField(rec, b[2:])
	}
	if n == 0 {
		return 0
	}
	p.lineNo++
	p.nonBlank++
	return n + len("  ")
}

// usualItem reads an item of the section the record is in: "  VmRSS: 1234
// kB" under "/proc/self/status:", "  (tracemalloc not active)" under "Top
// tracemalloc allocations:" (item is the line after its first two spaces).
func (p *wcParser) usualItem(rec *Record, item []byte) int {
	switch p.sec {
	case wcStatus:
		// The keys are compared a word at a time: "  Vm", then the rest.
		if !wcHasPrefix(item, "  Vm") {
			return 0
		}
		var val *int64
		var has *bool
		var key int
		switch name := item[len("  Vm"):]; {
		case wcHasPrefix(name, "RSS: "):
			val, has, key = &rec.VmRSSBytes, &rec.HasVmRSS, len("  VmRSS: ")
		case wcHasPrefix(name, "HWM: "):
			val, has, key = &rec.VmHWMBytes, &rec.HasVmHWM, len("  VmHWM: ")
		case wcHasPrefix(name, "Peak: "):
			val, has, key = &rec.VmPeakBytes, &rec.HasVmPeak, len("  VmPeak: ")
		case wcHasPrefix(name, "Size: "):
			val, has, key = &rec.VmSizeBytes, &rec.HasVmSize, len("  VmSize: ")
		default:
			return 0
		}
		kib, end := wcDigitsAt(item, key)
		if end == key || end-key > 18 || int64(kib) > math.MaxInt64/1024 || !wcHasPrefix(item[end:], " kB\n") {
			return 0
		}
		*val, *has = int64(kib)*1024, true
		p.statusN++
		return end + len(" kB\n")
	case wcTop:
		const notActive = "  " + TracemallocNotActive + "\n"
		if wcHasPrefix(item, notActive) {
			p.topItem(rec, item[2:len(notActive)-1])
			return len(notActive)
		}
	}
	return 0
}

// usualField reads a line indented by two spaces (body is the line after
// them): a value, or the title of a section.
func (p *wcParser) usualField(rec *Record, body []byte) int {
	if len(body) == 0 {
		return 0
	}
	switch body[0] {
	case 'E':
		const prefix = "Elapsed: "
		if v, end := wcTenthsAt(body, len(prefix)); end > 0 && wcHasPrefix(body, prefix) && wcHasPrefix(body[end:], "s\n") {
			rec.ElapsedS, rec.HasElapsed = v, true
			p.sec = wcNone
			return end + len("s\n")
		}
	case '/':
		const title = "/proc/self/status:\n"
		if wcHasPrefix(body, title) {
			p.sec, p.hasStat = wcStatus, true
			return len(title)
		}
	case 'T':
		const title = "Top tracemalloc allocations:\n"
		if wcHasPrefix(body, title) {
			p.sec, p.hasTop = wcTop, true
			return len(title)
		}
	case 'P':
		const prefix = "Peak memory: "
		if v, end := wcTenthsAt(body, len(prefix)); end > 0 && wcHasPrefix(body, prefix) && wcHasPrefix(body[end:], " MB\n") {
			rec.TracemallocPeakMiB, rec.HasTracemallocPeak = v, true
			p.sec = wcNone
			return end + len(" MB\n")
		}
	case 'G':
		const prefix, sep = "GC: collections=", ", uncollectable="
		if !wcHasPrefix(body, prefix) {
			return 0
		}
		c, end := wcDigitsAt(body, len(prefix))
		if end == len(prefix) || end-len(prefix) > 18 || !wcHasPrefix(body[end:], sep) {
			return 0
		}
		u, end2 := wcDigitsAt(body, end+len(sep))
		if end2 == end+len(sep) || end2-end-len(sep) > 18 || !wcHasPrefix(body[end2:], "\n") {
			return 0
		}
		rec.GCCollections, rec.GCUncollectable, rec.HasGC = c, u, true
		p.sec = wcNone
		return end2 + len("\n")
	case 'O':
		const prefix = "Open xarray datasets: "
		if !wcHasPrefix(body, prefix) {
			return 0
		}
		n, end := wcDigitsAt(body, len(prefix))
		if end == len(prefix) || end-len(prefix) > 18 || !wcHasPrefix(body[end:], "\n") {
			return 0
		}
		rec.OpenXarrayDatasets = n
		p.sec = wcNone
		return end + len("\n")
	}
	return 0
}

// wcDigitsAt reads the decimal digits of b from i on and returns their
// value and where they end. The callers refuse more than 18 digits (as
// wcInt does), whose value may have overflowed.
func wcDigitsAt(b []byte, i int) (v, end int) {
	for end = i; end < len(b); end++ {
		d := b[end] - '0'
		if d > 9 {
			break
		}
		v = v*10 + int(d)
	}
	return v, end
}

// wcTenthsAt reads "%.1f" of 0 to 10^14 from b[i:] as wcFloat does, and
// returns where it ends, or 0 if b[i:] does not start with one.
func wcTenthsAt(b []byte, i int) (float64, int) {
	whole, end := wcDigitsAt(b, i)
	if end == i || end-i > 14 || end+1 >= len(b) || b[end] != '.' || b[end+1] < '0' || b[end+1] > '9' {
		return 0, 0
	}
	return float64(uint64(whole)*10+uint64(b[end+1]-'0')) / wcPow10[1], end + 2
}
