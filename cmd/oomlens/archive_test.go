package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// archiveOf packs the files of dir as a .zip or .tar.gz, under a folder of
// the dir's name, as a CI artifact is.
func archiveOf(t *testing.T, dir, dst string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var zw *zip.Writer
	var tw *tar.Writer
	var gw *gzip.Writer
	if strings.HasSuffix(dst, ".zip") {
		zw = zip.NewWriter(&buf)
	} else {
		gw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(gw)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(dir) + "/" + e.Name()
		if zw != nil {
			w, _ := zw.Create(name)
			w.Write(b)
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	if zw != nil {
		zw.Close()
	} else {
		tw.Close()
		gw.Close()
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAnalyzeReadsArchives: a job handed over as one archive gets the
// verdict of its folder; an archive nothing can be read from is an error
// naming it.
func TestAnalyzeReadsArchives(t *testing.T) {
	tmp := t.TempDir()
	for _, name := range []string{"verbose-plugin.zip", "xdist-plugin.tar.gz"} {
		src := filepath.Join("testdata/scenarios", strings.SplitN(name, ".", 2)[0])
		dst := filepath.Join(tmp, name)
		archiveOf(t, src, dst)
		whole, packed := analyzeJSON(t, src), analyzeJSON(t, dst)
		if whole.Verdict != packed.Verdict || len(packed.Leaks) != len(whole.Leaks) || len(packed.Leaks) == 0 {
			t.Errorf("%s: verdict %q with %d leaks; the folder's: %q with %d", name, packed.Verdict, len(packed.Leaks), whole.Verdict, len(whole.Leaks))
		}
		if !strings.HasPrefix(packed.Inputs[0].Path, dst+"/") {
			t.Errorf("%s: input named %s", name, packed.Inputs[0].Path)
		}
	}
	bad := filepath.Join(tmp, "random.tgz")
	os.WriteFile(bad, bytes.Repeat([]byte{0xa5, 0x13, 0x77}, 999), 0o644)
	code, out, stderr := oomlens(t, "", "analyze", bad)
	if code != exitError || out != "" || !strings.Contains(stderr, bad+": named like an archive") {
		t.Errorf("random bytes named .tgz: exit %d, stderr %q", code, stderr)
	}
}
