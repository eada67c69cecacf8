package dmesg

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const corpusDir = "../testdata/corpus/kernel"

// corpus returns every kernel sample by base name.
func corpus(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s: %v", corpusDir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// parseReference is an independent, simple reading of the same
// definition Parse implements: the whole input split into lines, every
// line offered to push and taken through the full state machine (no
// fast path: parser.full), the untaken lines kept in a ring for the
// look-back (newest lookbackLines within lookbackBytes; a line cut at
// maxLineBytes empties it), the binary check a byte at a time
// (sniffBytewise). Parse's reader skips lines and keeps its
// look-back in its buffer instead; the tests check that both agree.
func parseReference(data []byte, opts Options, lim limits) (*Log, error) {
	if err := sniffBytewise(opts.Name, data[:min(len(data), lim.sniff())]); err != nil {
		return nil, err
	}
	p := newParser(opts)
	p.maxLine = lim.maxLineBytes
	p.full = true
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	var ring []line
	for i, raw := range lines {
		l := line{n: i + 1, b: bytes.TrimSuffix(raw, []byte("\n"))}
		if l.long = len(l.b) >= lim.maxLineBytes; l.long {
			l.b = l.b[:lim.maxLineBytes]
		}
		p.noteFirst(l.n, l.b)
		if p.idle() && hasNeedle(l.b) {
			p.lookback(ring)
			ring = nil
		}
		switch {
		case p.push(l.n, l.b, l.long, false), l.long:
			ring = nil
		default:
			ring = append(ring, l)
			if len(ring) > lookbackLines {
				ring = ring[1:]
			}
			total := 0
			for _, r := range ring {
				total += len(r.b) + 1
			}
			for total > lookbackBytes {
				total -= len(ring[0].b) + 1
				ring = ring[1:]
			}
		}
	}
	if p.idle() {
		p.lookback(ring)
	}
	return p.finish(len(lines)), nil
}

// sameLog fails unless Parse (with the buffer sizes lim) and the
// reference reading agree exactly.
func sameLog(t *testing.T, what string, data []byte, opts Options, lim limits) {
	t.Helper()
	fast, ferr := parse(bytes.NewReader(data), opts, lim)
	ref, rerr := parseReference(data, opts, lim)
	if (ferr == nil) != (rerr == nil) || (ferr != nil && ferr.Error() != rerr.Error()) {
		t.Fatalf("%s: errors differ: Parse %v, reference %v", what, ferr, rerr)
	}
	if !reflect.DeepEqual(fast, ref) {
		t.Fatalf("%s: Parse and the reference reading differ:\n%s", what, diffLogs(fast, ref))
	}
}

func diffLogs(a, b *Log) string {
	if a == nil || b == nil {
		return fmt.Sprintf("Parse %v reference %v", a, b)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "lines %d/%d boots %d/%d events %d/%d warnings %d/%d\n", a.Lines, b.Lines, a.Boots, b.Boots, len(a.Events), len(b.Events), len(a.Warnings), len(b.Warnings))
	for i := 0; i < len(a.Events) && i < len(b.Events); i++ {
		if !reflect.DeepEqual(a.Events[i], b.Events[i]) {
			fmt.Fprintf(&sb, "event %d:\n Parse %+v\n ref   %+v\n", i, a.Events[i], b.Events[i])
			break
		}
	}
	for i := 0; i < len(a.Warnings) && i < len(b.Warnings); i++ {
		if a.Warnings[i] != b.Warnings[i] {
			fmt.Fprintf(&sb, "warning %d: Parse %v ref %v\n", i, a.Warnings[i], b.Warnings[i])
			break
		}
	}
	return sb.String()
}

var testLimits = []limits{
	defaultLimits,
	{blockBytes: 64, maxLineBytes: 64},
	{blockBytes: 200, maxLineBytes: 100},
	{blockBytes: 4096, maxLineBytes: 512},
}

func TestParseEqualsReferenceOnCorpus(t *testing.T) {
	for name, data := range corpus(t) {
		for _, lim := range testLimits {
			sameLog(t, fmt.Sprintf("%s %+v", name, lim), data, Options{Name: name}, lim)
		}
	}
}

// noise is kernel and daemon chatter of the kind found between records.
var noise = []string{
	"[UFW BLOCK] IN=eth0 OUT= MAC=f2:3c:91:e2:47:cc:00:1b:54:c2:50:c1:08:00 SRC=89.248.165.204 DST=72.14.187.238 LEN=40 TOS=0x00 PREC=0x00 TTL=243 ID=39600 PROTO=TCP SPT=40402 DPT=52734 WINDOW=1024 RES=0x00 SYN URGP=0",
	"usb 1-1: new high-speed USB device number 2 using ehci-pci",
	"EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)",
	"audit: type=1400 audit(1600000000.123:45): apparmor=\"STATUS\" operation=\"profile_load\" name=\"/usr/sbin/cupsd\" pid=812 comm=\"apparmor_parser\"",
	"e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
	"docker0: port 1(veth12ab34c) entered forwarding state",
	"  the Killed word and oom inside other text, SIGKILL, Kill-switch",
	"Task in progress",
	"oom_score_adj was changed by a test",
	"",
	"   ",
	"\t- indented",
	"Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
	"-- Boot 3a1f6f3c2b0c4f8e9c1d2e3f4a5b6c7d --",
}

// recordLines are all lines of all samples: the generator splices random
// runs of them between noise.
func recordLines(t testing.TB) [][]string {
	var out [][]string
	for _, data := range corpus(t) {
		out = append(out, strings.Split(strings.TrimRight(string(data), "\n"), "\n"))
	}
	return out
}

func generate(r *rand.Rand, recs [][]string, n int) []byte {
	var b bytes.Buffer
	up := 100.0
	for b.Len() < n {
		switch x := r.Intn(10); {
		case x < 6:
			up += r.Float64()
			fmt.Fprintf(&b, "[%12.6f] %s\n", up, noise[r.Intn(len(noise))])
		case x < 9:
			rec := recs[r.Intn(len(recs))]
			i := r.Intn(len(rec))
			j := i + 1 + r.Intn(len(rec)-i)
			if r.Intn(3) == 0 {
				i = 0
				j = len(rec)
			}
			for _, l := range rec[i:j] {
				b.WriteString(l)
				b.WriteByte('\n')
			}
		default:
			// long line, CR line ending, or a line without a newline at the end
			switch r.Intn(3) {
			case 0:
				b.WriteString(strings.Repeat("x", r.Intn(3000)) + " Killed process 1 (x)\n")
			case 1:
				b.WriteString("Out of memory: Killed process 42 (cr) total-vm:1kB\r\n")
			default:
				b.WriteString("Memory cgroup out of memory: Killed process 7 (a b) total-vm:4kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB\n")
			}
		}
	}
	out := b.Bytes()
	if r.Intn(2) == 0 && len(out) > 0 {
		out = out[:len(out)-1] // no final newline
	}
	return out
}

func TestParseEqualsReferenceOnGenerated(t *testing.T) {
	recs := recordLines(t)
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		data := generate(r, recs, 1+r.Intn(60000))
		for _, lim := range testLimits {
			sameLog(t, fmt.Sprintf("generated #%d %+v", i, lim), data, Options{Name: "gen", Year: 2026, Location: time.UTC}, lim)
		}
	}
}

func deepEqual(a, b *Log) bool { return reflect.DeepEqual(a, b) }

// TestBlockSeams moves the blocks' seams across every byte of the needle
// lines: a needle or a line that straddles two blocks is found by neither
// block's index, and skip must leave it to next (see lineReader.skip).
// The first block fills the reader's first buffer (block + lookbackBytes +
// maxLineBytes here), so the record comes after more noise than that.
func TestBlockSeams(t *testing.T) {
	var b bytes.Buffer
	for i := 0; b.Len() < lookbackBytes+2000; i++ {
		fmt.Fprintf(&b, "Jul 11 05:16:40 host01 kernel: [%d.000001] %s\n", 100+i, noise[i%6])
	}
	for i, data := range corpus(t) {
		if !strings.HasPrefix(i, "0") {
			continue // the first nine samples are enough
		}
		log := append(bytes.Clone(b.Bytes()), data[:min(len(data), 8000)]...)
		log = append(log, b.Bytes()[:2000]...)
		for block := 1; block <= 48; block++ {
			sameLog(t, fmt.Sprintf("%s, %d-byte blocks", i, block), log, Options{Name: i}, limits{blockBytes: block, maxLineBytes: 300})
		}
	}
}
