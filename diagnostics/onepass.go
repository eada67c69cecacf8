package diagnostics

import "unsafe"

// onePass decodes a JSON Lines record in one pass over its line: each
// value is checked and converted as it is met, into the record, where
// decodeObject's splitPlain checks and splits the line and addRecord's
// inOrder then reads every value again (a number twice over, a string for
// escapes and UTF-8). It takes the lines the plugin writes: a plain line
// (splitPlain's) whose known fields are of their type and in range, each
// once, without escapes in their strings, with an event. For any other it
// reports false having handed nothing over, and jsonLine takes the
// general path, whose verdict stands: the record of a line onePass takes
// is the one the general path gives (TestOnePassAgrees, FuzzOnePass).
// Splitting and decoding were nine tenths of BenchmarkStreamJob (a batch
// job's file).
func (p *diagParser) onePass(b []byte, line int) bool {
	rec := &p.scratch
	*rec = Record{Line: line}
	d := diagFieldDecoder{p: p, line: line}
	extra := p.members[:0] // the fields for Extra
	i := diagSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = diagSkipWS(b, i+1)
	var seen uint32 // bit k: known key k was met
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end, ok := diagPlainString(b, i)
		if !ok {
			return false
		}
		name, id := diagKey(b[i:end])
		i = diagSkipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = diagSkipWS(b, i+1)
		if id.recordField() {
			bit := uint32(1) << id
			if seen&bit != 0 || id == kOpenDatasets || id == kUnclosedDatasets {
				return false // inFixedOrder's to decide
			}
			seen |= bit
			end, ok = d.onePassField(rec, id, b, i)
		} else {
			end, ok = diagPlainValue(b, i, 0)
			if ok {
				extra = extra.add(name, b[i:end], id)
			}
		}
		if !ok || d.err != nil {
			p.members = extra
			return false
		}
		i = diagSkipWS(b, end)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return false
		}
		i = diagSkipWS(b, i+1)
	}
	p.members = extra
	if diagSkipWS(b, i+1) != len(b) || rec.Event == "" {
		return false
	}
	p.emit(rec, d.schema, extra, line, false)
	return true
}

// onePassField checks and decodes the value at b[i] of the record field
// id and returns its end. ok is false when the value is not plain JSON,
// or not one this path reads (a string with escapes, a value of another
// type, a figure out of range): the general path then reads the line.
func (d *diagFieldDecoder) onePassField(rec *Record, id diagKeyID, b []byte, i int) (end int, ok bool) {
	if i >= len(b) {
		return 0, false
	}
	if b[i] == 'n' {
		return diagPlainLiteral(b, i, "null") // null reads as missing
	}
	switch id {
	case kTime, kDurationS, kBootTime, kMonotonic, kPID, kRSSBytes, kRSSAnonBytes, kPeakRSSBytes,
		kRSSBeforeBytes, kRSSAfterBytes, kRSSAnonBeforeBytes:
		return d.onePassNumber(rec, id, b, i)
	case kEvent, kWorker, kNodeID, kOutcome, kFixture, kScope, kPeakSource, kSchema:
		return d.onePassString(rec, id, b, i)
	}
	if end, ok = diagPlainValue(b, i, 0); ok {
		d.set(rec, id, b[i:end])
	}
	return end, ok
}

// onePassString reads a string field without escapes: its bytes, printable
// ASCII, are what diagJSONString would return.
func (d *diagFieldDecoder) onePassString(rec *Record, id diagKeyID, b []byte, i int) (end int, ok bool) {
	if b[i] != '"' {
		return 0, false
	}
	end, ok = diagRawString(b, i)
	if !ok {
		return 0, false
	}
	inner := b[i+1 : end-1]
	p := d.p
	switch id {
	case kEvent:
		if len(inner) == 0 {
			return 0, false
		}
		rec.Event = p.sharedString(inner)
	case kWorker:
		rec.Worker = p.sharedString(inner)
	case kNodeID:
		rec.NodeID = p.nodeIDString(inner)
	case kOutcome:
		rec.Outcome = p.sharedString(inner)
	case kFixture:
		rec.Fixture = p.sharedString(inner)
	case kScope:
		rec.Scope = p.sharedString(inner)
	case kPeakSource:
		rec.PeakSource = p.sharedString(inner)
	case kSchema:
		d.schema = string(inner)
	}
	return end, true
}

// diagRawString returns the end of the string at b[i] == '"' when it holds
// only printable ASCII and no escape: diagPlainString without escapes.
func diagRawString(b []byte, i int) (end int, ok bool) {
	j := i + 1
	for j+4 <= len(b) {
		w := b[j : j+4 : j+4]
		if !diagPlainStringByte[w[0]] {
			break
		}
		if !diagPlainStringByte[w[1]] {
			j++
			break
		}
		if !diagPlainStringByte[w[2]] {
			j += 2
			break
		}
		if !diagPlainStringByte[w[3]] {
			j += 3
			break
		}
		j += 4
	}
	for j < len(b) && diagPlainStringByte[b[j]] {
		j++
	}
	if j < len(b) && b[j] == '"' {
		return j + 1, true
	}
	return 0, false
}

// onePassNumber reads a number field. A number diagSmallInt or
// diagExactFloat reads is converted from the digits met while checking
// it; any other valid one is left to the field's general decoder.
func (d *diagFieldDecoder) onePassNumber(rec *Record, id diagKeyID, b []byte, i int) (end int, ok bool) {
	n, ok := diagScanNumber(b, i)
	if !ok {
		return 0, false
	}
	v := b[i:n.end]
	switch id {
	case kTime, kDurationS, kBootTime, kMonotonic:
		f, ok := n.exactFloat()
		if !ok {
			f = d.float(diagKnownKeys[id], v)
		}
		switch id {
		case kTime:
			rec.Time = f
		case kDurationS:
			rec.DurationS = f
		case kBootTime:
			rec.BootTime, rec.HasBootTime = f, true
		case kMonotonic:
			rec.Monotonic, rec.HasMonotonic = f, true
		}
	case kPID:
		if k, ok := n.smallInt(); ok && k >= -1<<31 && k < 1<<31 {
			rec.PID = int(k)
		} else {
			rec.PID = d.int(diagKnownKeys[id], v)
		}
	default:
		c, ok := n.smallInt()
		if !ok || c < 0 {
			c = d.bytes(diagKnownKeys[id], v)
		}
		switch id {
		case kRSSBytes:
			rec.RSSBytes, rec.HasRSS = c, true
		case kRSSAnonBytes:
			rec.RSSAnonBytes, rec.HasRSSAnon = c, true
		case kPeakRSSBytes:
			rec.PeakRSSBytes, rec.HasPeak = c, true
		case kRSSBeforeBytes:
			rec.RSSBeforeBytes = c
		case kRSSAfterBytes:
			rec.RSSAfterBytes = c
		case kRSSAnonBeforeBytes:
			rec.RSSAnonBeforeBytes, rec.HasRSSAnonBefore = c, true
		}
	}
	return n.end, true
}

// diagNum is a JSON number checked by scan, with what diagSmallInt and
// diagExactFloat need of it.
type diagNum struct {
	end    int    // the index past it
	m      uint64 // its digits as an integer (wrapped when too many)
	digits int    // how many digits
	frac   int    // how many of them after the point
	neg    bool
	point  bool // it has a fraction
	exp    bool // it has an exponent
}

// diagScanNumber checks the number at b[i] as diagPlainNumber does,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and reads its digits.
// It works on locals, which stay in registers, and returns them at once.
func diagScanNumber(b []byte, i int) (n diagNum, ok bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	if i >= len(b) || b[i]-'0' >= 10 {
		return n, false
	}
	start := i
	var m uint64
	if b[i] == '0' {
		i++
	} else {
		for i < len(b) && b[i]-'0' < 10 {
			m = m*10 + uint64(b[i]-'0')
			i++
		}
	}
	digits, frac := i-start, 0
	point := i < len(b) && b[i] == '.'
	if point {
		j := i + 1
		for j < len(b) && b[j]-'0' < 10 {
			m = m*10 + uint64(b[j]-'0')
			j++
		}
		frac = j - i - 1
		if frac == 0 {
			return n, false
		}
		digits += frac
		i = j
	}
	exp := i < len(b) && (b[i] == 'e' || b[i] == 'E')
	if exp {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for j < len(b) && b[j]-'0' < 10 {
			j++
		}
		if j == i {
			return n, false
		}
		i = j
	}
	return diagNum{end: i, m: m, digits: digits, frac: frac, neg: neg, point: point, exp: exp}, true
}

// smallInt is diagSmallInt of the number: -?[0-9]{1,18}.
func (n *diagNum) smallInt() (int64, bool) {
	if n.point || n.exp || n.digits > 18 {
		return 0, false
	}
	k := int64(n.m)
	if n.neg {
		k = -k
	}
	return k, true
}

// exactFloat is diagExactFloat of the number: no exponent, at most 19
// bytes of digits and point, digits below 2^53.
func (n *diagNum) exactFloat() (float64, bool) {
	width := n.digits
	if n.point {
		width++
	}
	if n.exp || width > 19 || n.m >= 1<<53 || n.frac >= len(diagPow10) {
		return 0, false
	}
	f := float64(n.m)
	if n.frac > 0 {
		f /= diagPow10[n.frac]
	}
	if n.neg {
		f = -f
	}
	return f, true
}

// sharedString is shared's reading of the bytes of a string without
// escapes, valid UTF-8: equal values share one string.
func (p *diagParser) sharedString(inner []byte) string {
	if s, ok := diagCommonValue(unsafe.String(unsafe.SliceData(inner), len(inner))); ok {
		return s
	}
	if len(inner) > 64 {
		return string(inner)
	}
	if s, ok := p.strs[string(inner)]; ok {
		return s
	}
	s := string(inner)
	if len(p.strs) < 256 {
		if p.strs == nil {
			p.strs = make(map[string]string)
		}
		p.strs[s] = s
	}
	return s
}

// nodeIDString is nodeID's reading of the bytes of a node id without
// escapes, valid UTF-8: one equal to the last record's shares its string.
func (p *diagParser) nodeIDString(inner []byte) string {
	if string(inner) == p.lastNodeID {
		return p.lastNodeID
	}
	s := p.slab.string(inner)
	p.lastNodeID = s
	return s
}
