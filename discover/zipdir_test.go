package discover

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// manyZip is a zip of n stored members "m00000.log"..., each holding its
// own name and a newline.
func manyZip(t testing.TB, n int) []byte {
	return stubbedZip(t, n, nil, false)
}

// stubbedZip is manyZip after prefix (the stub of a self-extracting zip),
// its offsets counted from the start of the file (absolute) or of the zip
// (a zip appended to a stub as it was).
func stubbedZip(t testing.TB, n int, prefix []byte, absolute bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if absolute {
		buf.Write(prefix)
		zw.SetOffset(int64(len(prefix)))
	}
	for i := range n {
		name := fmt.Sprintf("m%05d.log", i)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, name+"\n")
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !absolute {
		return append(append([]byte(nil), prefix...), buf.Bytes()...)
	}
	return buf.Bytes()
}

// TestOpenZipCapsTheListing: a zip of more entries than the cap is listed to
// the cap (what archive/zip holds), its entries counted, and the members
// listed read right, in plain zips, zips behind a stub (offsets relative
// to the zip, not the file) and zip64 ones (more than 65,535 entries: the
// end record's count is cut to 16 bits and the zip64 record has it).
func TestOpenZipCapsTheListing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries int
		prefix  []byte
		abs     bool
	}{
		{"20,000 entries", 20000, nil, false},
		{"behind a stub, offsets from the zip", 20000, bytes.Repeat([]byte("MZ stub "), 100), false},
		{"behind a stub, offsets from the file", 20000, bytes.Repeat([]byte("MZ stub "), 100), true},
		{"zip64", 66000, nil, false},
		{"zip64 behind a stub", 66000, bytes.Repeat([]byte("MZ stub "), 100), true}, // archive/zip reads no zip64 zip whose offsets are from the zip
		{"under the cap", 3000, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const maxEntries = 10000
			b := stubbedZip(t, tc.entries, tc.prefix, tc.abs)
			zr, l, err := openZip(bytes.NewReader(b), int64(len(b)), maxEntries, maxZipDirectoryBytes)
			if err != nil {
				t.Fatal(err)
			}
			listed := min(tc.entries, maxEntries)
			if l.Entries != tc.entries || l.Listed != listed || len(zr.File) != listed || l.Cut() != (tc.entries > maxEntries) {
				t.Fatalf("listing %+v, %d files, want %d entries, %d listed", l, len(zr.File), tc.entries, listed)
			}
			for _, i := range []int{0, listed / 2, listed - 1} {
				f := zr.File[i]
				want := fmt.Sprintf("m%05d.log", i)
				rc, err := f.Open()
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if f.Name != want || string(got) != want+"\n" || err != nil {
					t.Errorf("entry %d: %s holds %q (%v), want %s holding its name", i, f.Name, got, err, want)
				}
			}
		})
	}
}

// TestOpenZipHoldsOnlyTheListed: the memory of a cut listing is that of
// the entries listed, not of the directory: listing 1,000 of 20,000
// entries makes a tenth of the allocations archive/zip makes for all.
func TestOpenZipHoldsOnlyTheListed(t *testing.T) {
	b := manyZip(t, 20000)
	r := bytes.NewReader(b)
	whole := testing.AllocsPerRun(1, func() { zip.NewReader(r, int64(len(b))) })
	capped := testing.AllocsPerRun(1, func() { openZip(r, int64(len(b)), 1000, maxZipDirectoryBytes) })
	if whole < 20000 || capped > whole/10 {
		t.Errorf("allocations: %v listing 1,000 entries, %v listing all 20,000", capped, whole)
	}
}

// TestOpenZipCapsDirectoryBytes: a directory of long names is listed to the
// cap on its bytes.
func TestOpenZipCapsDirectoryBytes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	long := strings.Repeat("n", 4000)
	for i := range 10 {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%s%d.log", long, i), Method: zip.Store})
		io.WriteString(w, "x\n")
	}
	zw.Close()
	b := buf.Bytes()
	zr, l, err := openZip(bytes.NewReader(b), int64(len(b)), 10000, 3*(46+4005))
	if err != nil {
		t.Fatal(err)
	}
	if l.Entries != 10 || l.Listed != 3 || len(zr.File) != 3 || l.ListedBytes != 3*(46+4005) || l.DirectoryBytes != 10*(46+4005) {
		t.Fatalf("listing %+v, %d files", l, len(zr.File))
	}
}

// TestWalkZipOverTheCap: analyze's walk of a zip of 20,000 entries reads the
// first 10,000 and says so, naming the file and the counts.
func TestWalkZipOverTheCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "jobs.zip")
	if err := os.WriteFile(p, manyZip(t, 20000), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Walk([]string{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Inputs) != DefaultMaxArchiveMembers || set.Inputs[len(set.Inputs)-1].Path != p+"/m09999.log" {
		t.Fatalf("%d inputs, want the first %d", len(set.Inputs), DefaultMaxArchiveMembers)
	}
	want := []string{p + ": holds 20000 entries, more than the cap of 10000: the 10000 after the first 10000 were not read"}
	if !reflect.DeepEqual(set.Warnings, want) {
		t.Errorf("warnings %q, want %q", set.Warnings, want)
	}
}

// TestTailCacheReadsAsItsReader: every read through a tailCache, within the
// bytes it keeps, across their edges or outside them, returns what a read
// of the reader itself does.
func TestTailCacheReadsAsItsReader(t *testing.T) {
	data := make([]byte, 5000)
	rand.New(rand.NewSource(1)).Read(data)
	r := bytes.NewReader(data)
	c := &tailCache{r: r}
	if _, err := c.ReadAt(make([]byte, 1500), 3000); err != nil { // kept: 3000-4500
		t.Fatal(err)
	}
	for _, q := range []struct{ off, n int64 }{
		{3000, 1500}, {3000, 0}, {3100, 46}, {4499, 1}, {4500, 0}, {4490, 20}, {2990, 20}, {0, 46}, {4990, 20}, {4500, 500},
	} {
		got := make([]byte, q.n)
		gn, gerr := c.ReadAt(got, q.off)
		want := make([]byte, q.n)
		wn, werr := r.ReadAt(want, q.off)
		if gn != wn || (gerr == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Errorf("ReadAt(%d bytes at %d): %d, %v; the reader's %d, %v", q.n, q.off, gn, gerr, wn, werr)
		}
	}
}
