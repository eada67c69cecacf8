package dmesg

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/oomlens/oomlens/internal/content"
)

// Sniff reports whether head, the first bytes of an input (a byte order mark
// removed), is a kernel log: it holds an OOM-killer record or a userspace
// killer's line, or mostly lines with the prefixes dmesg, syslog, journalctl
// and /dev/kmsg give the kernel's. A JSON document is one only as
// `journalctl -o json` writes it (MESSAGE and __REALTIME_TIMESTAMP fields)
// with such a record in it. It never reads past head.
//
// Kernel records can sit anywhere in a CI log (dmesg pasted at its end), so
// a head that shows none does not rule them out: Parse finds them.
func Sniff(head []byte) bool {
	if content.JSON(head) {
		// journalctl -o json, or a Cloud Logging (GKE) export whose
		// entries hold kernel lines in "textPayload"
		journal := bytes.Contains(head, []byte(`"MESSAGE"`)) && bytes.Contains(head, []byte(`"__REALTIME_TIMESTAMP"`))
		return (journal || bytes.Contains(head, []byte(`"textPayload"`))) && isKernel(head)
	}
	return isKernel(head)
}

// Literal anchors of kernel OOM records and userspace killers, searched with
// bytes.Contains (vectorised) before any per-line work.
var kernelAnchors = [][]byte{
	[]byte("invoked oom-killer"), []byte("Killed process "), []byte("oom-kill:constraint="), []byte("Out of memory"),
	[]byte("oom_reaper: "), []byte("Memory cgroup out of memory"), []byte("systemd-oomd"), []byte("earlyoom"),
	[]byte("Failed with result 'oom-kill'"), []byte("killed as a result of limit of"),
}

// anchorKeys are substrings shared by the anchors: every anchor holds one
// (TestAnchorKeys), so a head holding none of them holds no anchor, and the
// ten anchor searches become three on the many inputs that are not kernel
// logs. bytes.Index calls IndexByte for a key's first byte, so a key starts
// with as rare a byte as its anchors allow: "f memory" and "lled " cost
// less than "of memory" and "illed " did ('o' and 'i' are common in text).
var anchorKeys = [][]byte{[]byte("oom"), []byte("f memory"), []byte("lled ")}

var (
	reKernelAnchor = regexp.MustCompile(`invoked oom-killer|Killed process \d|oom-kill:constraint=|Out of memory|oom_reaper: |Memory cgroup out of memory|systemd-oomd\[\d+\]: Killed|earlyoom|Failed with result 'oom-kill'|killed as a result of limit of`)
	// Lines as dmesg, syslog, journalctl and /dev/kmsg print the kernel's.
	reKernelLine = regexp.MustCompile(`^(?:<\d>)?\[\s*\d+\.\d+\] |^\S+ +\d+ \d\d:\d\d:\d\d(?:\.\d+)? (?:\S+ )?kernel: |^\d{4}-\d\d-\d\dT\S+ \S+ kernel: |^\d+,\d+,\d+,[-c];`)
)

// anchorIsBranch holds the anchors that are whole branches of
// reKernelAnchor: a line holding one matches it, without the regular
// expression being run (38K instructions on a line of a job's kernel.log,
// BenchmarkSniffJob).
var anchorIsBranch = func() map[string]bool {
	m := map[string]bool{}
	for _, branch := range strings.Split(reKernelAnchor.String(), "|") {
		for _, a := range kernelAnchors {
			if regexp.QuoteMeta(string(a)) == branch {
				m[string(a)] = true
			}
		}
	}
	return m
}()

func containsAny(b []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

// lineAround returns the line of b that holds byte i, and what follows it.
func lineAround(b []byte, i int) (line, rest []byte) {
	start := bytes.LastIndexByte(b[:i], '\n') + 1
	end := bytes.IndexByte(b[i:], '\n')
	if end < 0 {
		return b[start:], nil
	}
	return b[start : i+end], b[i+end+1:]
}

func isKernel(b []byte) bool {
	anchors := kernelAnchors
	if !containsAny(b, anchorKeys) {
		anchors = nil
	}
	for _, a := range anchors {
		for rest := b; ; {
			i := bytes.Index(rest, a)
			if i < 0 {
				break
			}
			line, next := lineAround(rest, i)
			if anchorIsBranch[string(a)] || reKernelAnchor.Match(line) {
				return true
			}
			rest = next
		}
	}
	// A head without "kernel: " has no line holding " kernel: ":
	// looksKernelLine need not search each line for it.
	kernelTag := bytes.Contains(b, []byte("kernel: "))
	lines, hits := 0, 0
	content.EachLine(b, func(line []byte) bool {
		lines++
		if looksKernelLine(line, kernelTag) {
			hits++
		}
		return true
	})
	return hits >= 3 && hits*2 >= lines
}

// looksKernelLine checks the cheap necessary condition of each prefix shape
// before the regular expression. kernelTag: the input may hold " kernel: "
// (false when it holds no "kernel: ").
func looksKernelLine(line []byte, kernelTag bool) bool {
	if len(line) == 0 {
		return false
	}
	tagged := func() bool { return kernelTag && bytes.Contains(line, []byte(" kernel: ")) }
	switch c := line[0]; {
	case c == '[' || c == '<':
	case c >= '0' && c <= '9':
		if bytes.IndexByte(line, ';') < 0 && !tagged() {
			return false
		}
	default:
		if !tagged() {
			return false
		}
	}
	return reKernelLine.Match(line)
}
