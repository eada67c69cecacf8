// Command genhostile builds the large hostile inputs of issue 17 for
// scripts/bench-bounds.sh: inputs too large to keep in the repository or to
// build in a unit test.
//
//	genhostile liar-zip OUT          400 members that each declare 60 MiB and hold a kernel line
//	genhostile many-tar OUT N        a tar.gz of N empty members
//	genhostile many-zip OUT N        a zip of N empty members
//	genhostile bomb-tar OUT MIB      a tar holding one kern.log.gz of MIB MiB of kernel log
//	genhostile stream BYTES          BYTES of kernel log on stdout, a kill at the start
//	genhostile folder DIR N KB       N files of KB KiB of kernel log each
//	genhostile copies DIR N FILE     N copies of FILE in DIR (FILE's name numbered)
//
// Kernel log rather than pytest logs fills the many-file cases: one job is
// one run, and 400 pytest logs are 400 runs, refused before any bound is
// measured.
package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// kill is one OOM-kill record as dmesg prints it (Linux 6.x).
const kill = "[ 5864.708100] python invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0\n" +
	"[ 5864.708440] Out of memory: Killed process 996 (python) total-vm:2991716kB, anon-rss:122228kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:460kB oom_score_adj:0\n"

// filler is an ordinary kernel line, the bulk of a long log.
const filler = "[ 5870.000000] EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.\n"

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: genhostile liar-zip|many-tar|many-zip|bomb-tar|stream|folder|copies ARGS"))
	}
	var err error
	switch a := os.Args[2:]; os.Args[1] {
	case "liar-zip":
		err = liarZip(arg(a, 0))
	case "many-tar":
		err = manyTar(arg(a, 0), num(a, 1))
	case "many-zip":
		err = manyZip(arg(a, 0), num(a, 1))
	case "bomb-tar":
		err = bombTar(arg(a, 0), num(a, 1))
	case "stream":
		err = stream(os.Stdout, int64(num(a, 0)))
	case "folder":
		err = folder(arg(a, 0), num(a, 1), num(a, 2))
	case "copies":
		err = copies(arg(a, 0), num(a, 1), arg(a, 2))
	default:
		err = fmt.Errorf("unknown case %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "genhostile:", err)
	os.Exit(2)
}

func arg(a []string, i int) string {
	if i >= len(a) {
		fail(fmt.Errorf("missing argument %d", i+1))
	}
	return a[i]
}

func num(a []string, i int) int {
	n, err := strconv.Atoi(arg(a, i))
	if err != nil {
		fail(err)
	}
	return n
}

// liarZip writes 400 stored members, each declaring 60 MiB and holding one
// kernel line: 24 GB declared in a zip of tens of KB.
func liarZip(out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	body := []byte(filler)
	for i := range 400 {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("logs/part-%03d.log", i), Method: zip.Store,
			CompressedSize64: uint64(len(body)), UncompressedSize64: 60 << 20, CRC32: crc32.ChecksumIEEE(body)})
		if err != nil {
			return err
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// manyTar writes a tar.gz of n empty members.
func manyTar(out string, n int) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := gzip.NewWriter(bw)
	tw := tar.NewWriter(zw)
	for i := range n {
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("m/%07d.log", i), Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
	}
	for _, c := range []io.Closer{tw, zw} {
		if err := c.Close(); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// manyZip writes a zip of n empty stored members (zip64 past 65,535).
func manyZip(out string, n int) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	for i := range n {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("m/%07d.log", i), Method: zip.Store}); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// bombTar writes a tar holding kern.log.gz, which decompresses to mib MiB of
// kernel log with a kill at its start.
func bombTar(out string, mib int) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), "bomb-*.gz")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	zw, _ := gzip.NewWriterLevel(tmp, gzip.BestCompression)
	if err := stream(zw, int64(mib)<<20); err != nil {
		return err
	}
	zw.Close()
	st, _ := tmp.Stat()
	tmp.Seek(0, io.SeekStart)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	if err := tw.WriteHeader(&tar.Header{Name: "job/kern.log.gz", Mode: 0o644, Size: st.Size(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, tmp); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// stream writes n bytes of kernel log: a kill, then filler lines.
func stream(w io.Writer, n int64) error {
	block := []byte(strings.Repeat(filler, (1<<20)/len(filler)))
	if _, err := io.WriteString(w, kill); err != nil {
		return err
	}
	left := n - int64(len(kill))
	for left > 0 {
		b := block[:min(int64(len(block)), left)]
		m, err := w.Write(b)
		if err != nil {
			return err
		}
		left -= int64(m)
	}
	return nil
}

// folder writes n files of kb KiB of kernel log each.
func folder(dir string, n, kb int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	body := []byte(strings.Repeat(filler, kb<<10/len(filler)+1)[:kb<<10])
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("worker-%05d.log", i)), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// copies writes n copies of file into dir: name-00000.ext, name-00001.ext...
func copies(dir string, n int, file string) error {
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Base(file)
	ext := filepath.Ext(base)
	for i := range n {
		name := fmt.Sprintf("%s-%05d%s", strings.TrimSuffix(base, ext), i, ext)
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}
