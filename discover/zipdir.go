package discover

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
)

// A zip lists its entries in the central directory at its end (APPNOTE.TXT
// 4.3.12-4.3.16). archive/zip reads the whole directory, every entry a
// *zip.File, before one member can be read: a zip of 1M empty members is a
// few tens of MB on disk and hundreds in memory, whatever cap is applied to
// the members read after. No well-kept reader offers a capped listing
// (klauspost/compress/zip, the fork this module already has, reads the
// whole directory the same way; its NameDecoder callback can stop the
// listing only by failing it). So the end record and the directory's
// headers are walked here, first, in constant memory: each header's fixed
// 46 bytes and the lengths of its name, extra field and comment. When the
// directory holds more entries than the cap, or more bytes than
// maxZipDirectoryBytes, archive/zip is handed a view of the file that ends
// after the last header within both, followed by an end record written
// here for that many entries: it lists those, and reads members, data
// descriptors and zip64 fields as always.

// maxZipDirectoryBytes caps the central directory handed to archive/zip:
// a header's name, extra field and comment may be 64 KiB each, so 10,000
// headers could be 1.9 GB. 10,000 entries of ordinary names take ~1 MB.
const maxZipDirectoryBytes = 32 << 20

// zipListing is what walking a zip's central directory found.
type zipListing struct {
	// Entries is the number of headers in the directory, Listed those
	// handed to archive/zip (all, unless a cap cut the listing).
	Entries, Listed int
	// DirectoryBytes is the size of the directory walked, ListedBytes
	// that of the headers listed.
	DirectoryBytes, ListedBytes int64
}

// Cut reports that the listing handed to archive/zip leaves entries out.
func (l zipListing) Cut() bool { return l.Listed < l.Entries }

// Signatures and lengths of APPNOTE.TXT 4.3.12, 4.3.14-4.3.16.
const (
	zipDirHeaderSig = 0x02014b50
	zipDirEndSig    = 0x06054b50
	zipDir64LocSig  = 0x07064b50
	zipDir64EndSig  = 0x06064b50
	zipDirHeaderLen = 46
	zipDirEndLen    = 22
	zipDir64LocLen  = 20
	zipDir64EndLen  = 56
)

// openZip lists the zip r of size bytes, at most maxEntries entries and
// maxDirBytes of directory (see above). A zip whose end record
// cannot be found or read is handed to archive/zip whole, which reports
// the damage in its words.
func openZip(r io.ReaderAt, size int64, maxEntries int, maxDirBytes int64) (*zip.Reader, zipListing, error) {
	start, declaredOffset, ok := zipDirectoryStart(r, size)
	if !ok {
		zr, err := zip.NewReader(r, size)
		return zr, zipListing{}, err
	}
	l, cut := walkZipDirectory(r, size, start, maxEntries, maxDirBytes)
	if !l.Cut() {
		zr, err := zip.NewReader(r, size)
		if zr != nil {
			l.Entries, l.Listed = len(zr.File), len(zr.File)
		}
		return zr, l, err
	}
	v := &cutZip{r: r, cut: cut, tail: zip64End(cut, declaredOffset, cut-start, l.Listed)}
	zr, err := zip.NewReader(v, cut+int64(len(v.tail)))
	return zr, l, err
}

// zipDirectoryStart finds the end record (in the last 65 KiB, as
// archive/zip looks for it: a comment of up to 64 KiB may follow it) and, through the zip64 locator when there
// is one, where the central directory starts in r, and the offset the
// record declares for it (they differ by the bytes before the zip: a
// self-extracting stub), as archive/zip does.
func zipDirectoryStart(r io.ReaderAt, size int64) (start, declaredOffset int64, ok bool) {
	// The last KiB first, as archive/zip does: a zip seldom has a comment,
	// and reading 65 KiB of each of 5,000 small zips was most of listing
	// the jobs of a batch (BenchmarkFindJobs). The scan of the tail finds
	// the same record in both: the last signature.
	var buf []byte
	at := -1
	for _, n := range []int64{min(size, 1<<10), min(size, 65<<10)} {
		if n <= int64(len(buf)) {
			break
		}
		buf = make([]byte, n)
		if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
			return 0, 0, false
		}
		if at = zipDirEnd(buf); at != -1 {
			break
		}
	}
	if at < 0 {
		return 0, 0, false
	}
	end := size - int64(len(buf)) + int64(at)
	e := buf[at:]
	dirSize, dirOffset := int64(binary.LittleEndian.Uint32(e[12:])), int64(binary.LittleEndian.Uint32(e[16:]))
	if binary.LittleEndian.Uint16(e[10:]) == 0xffff || dirSize == 0xffffffff || dirOffset == 0xffffffff {
		var loc [zipDir64LocLen]byte
		if end >= zipDir64LocLen {
			if _, err := r.ReadAt(loc[:], end-zipDir64LocLen); err == nil && binary.LittleEndian.Uint32(loc[:]) == zipDir64LocSig &&
				binary.LittleEndian.Uint32(loc[4:]) == 0 && binary.LittleEndian.Uint32(loc[16:]) == 1 {
				p := int64(binary.LittleEndian.Uint64(loc[8:]))
				var e64 [zipDir64EndLen]byte
				if _, err := r.ReadAt(e64[:], p); err != nil || binary.LittleEndian.Uint32(e64[:]) != zipDir64EndSig {
					return 0, 0, false
				}
				end = p
				dirSize, dirOffset = int64(binary.LittleEndian.Uint64(e64[40:])), int64(binary.LittleEndian.Uint64(e64[48:]))
			}
		}
	}
	if dirSize < 0 || dirOffset < 0 {
		return 0, 0, false
	}
	base := end - dirSize - dirOffset
	if start = base + dirOffset; start < 0 || start >= size {
		return 0, 0, false
	}
	if base > 0 {
		// archive/zip takes the declared offset as it is when a header is
		// there: some writers get the size of the directory wrong.
		var sig [4]byte
		if _, err := r.ReadAt(sig[:], dirOffset); err == nil && binary.LittleEndian.Uint32(sig[:]) == zipDirHeaderSig {
			start = dirOffset
		}
	}
	return start, dirOffset, true
}

// zipDirEnd is where the end record is in buf, the end of a zip: the last
// signature, when its comment fits; -2 when that does not fit (damaged);
// -1 when buf holds no signature.
func zipDirEnd(buf []byte) int {
	for i := len(buf) - zipDirEndLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == zipDirEndSig {
			if int(binary.LittleEndian.Uint16(buf[i+20:]))+zipDirEndLen+i <= len(buf) {
				return i
			}
			return -2
		}
	}
	return -1
}

// walkZipDirectory counts the headers of the directory that starts at
// start, to the first that is none (as archive/zip reads them: the count
// in the end record is cut to 16 bits in a zip that is not zip64), and
// returns where the headers within maxEntries and maxBytes end.
func walkZipDirectory(r io.ReaderAt, size, start int64, maxEntries int, maxBytes int64) (l zipListing, cut int64) {
	// The buffer is the directory's size up to 64 KiB: a job's zip lists a
	// few members in a few hundred bytes.
	br := bufio.NewReaderSize(io.NewSectionReader(r, start, size-start), int(min(size-start, 64<<10)))
	var h [zipDirHeaderLen]byte
	at := start
	cut = start
	for {
		if _, err := io.ReadFull(br, h[:]); err != nil || binary.LittleEndian.Uint32(h[:]) != zipDirHeaderSig {
			break
		}
		rest := int64(binary.LittleEndian.Uint16(h[28:])) + int64(binary.LittleEndian.Uint16(h[30:])) + int64(binary.LittleEndian.Uint16(h[32:]))
		if n, err := br.Discard(int(rest)); err != nil || int64(n) != rest {
			break // cut off inside the header: archive/zip stops there too
		}
		at += zipDirHeaderLen + rest
		l.Entries++
		if l.Listed == l.Entries-1 && l.Listed < maxEntries && at-start <= maxBytes {
			l.Listed++
			cut = at
		}
	}
	l.DirectoryBytes, l.ListedBytes = at-start, cut-start
	return l, cut
}

// zip64End is the end of a zip cut after the header ending at cut: a zip64
// end record, its locator and an end record that defers to them, listing
// entries headers of dirBytes bytes at dirOffset (as the real record
// declares it, so that archive/zip finds the same bytes before the zip).
func zip64End(cut, dirOffset, dirBytes int64, entries int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	w(uint32(zipDir64EndSig))
	w(uint64(zipDir64EndLen - 12)) // the size of the rest of the record
	w(uint16(45))                  // version made by: 4.5, zip64
	w(uint16(45))                  // version needed
	w(uint32(0))                   // this disk
	w(uint32(0))                   // the disk of the directory
	w(uint64(entries))             // entries on this disk
	w(uint64(entries))             // entries
	w(uint64(dirBytes))
	w(uint64(dirOffset))
	w(uint32(zipDir64LocSig))
	w(uint32(0)) // the disk of the zip64 end record
	w(uint64(cut))
	w(uint32(1)) // disks
	w(uint32(zipDirEndSig))
	w(uint16(0))
	w(uint16(0))
	w(uint16(0xffff))
	w(uint16(0xffff))
	w(uint32(0xffffffff))
	w(uint32(0xffffffff))
	w(uint16(0)) // comment length
	return b.Bytes()
}

// cutZip is the bytes of r before cut, then tail.
type cutZip struct {
	r    io.ReaderAt
	cut  int64
	tail []byte
}

func (c *cutZip) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := 0
	if off < c.cut {
		m, err := c.r.ReadAt(p[:min(int64(len(p)), c.cut-off)], off)
		n += m
		if err != nil && err != io.EOF || int64(m) < min(int64(len(p)), c.cut-off) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		off += int64(m)
	}
	if n < len(p) {
		t := off - c.cut
		if t >= int64(len(c.tail)) {
			return n, io.EOF
		}
		m := copy(p[n:], c.tail[t:])
		n += m
		if n < len(p) {
			return n, io.EOF
		}
	}
	return n, nil
}
