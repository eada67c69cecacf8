// Package content holds the checks of an input's head that do not belong to one
// format: whether it is text at all, and whether it is a JSON document. Job
// uses them to offer a head only to the formats that read its shape; the
// kernel log's sniffer uses JSON to tell `journalctl -o json` from text.
package content

import (
	"bytes"
	"unicode/utf8"
)

// BOM is the UTF-8 byte order mark some Windows tools write first.
var BOM = []byte("\xef\xbb\xbf")

// Binary reports content that is not text: mostly NUL bytes, or mostly
// invalid UTF-8, in the head. A few NUL bytes inside text do not make it
// binary (a test printed binary output; a diagnostics file's tail padded
// with NULs where the kill cut its last write), and nor does a NUL tail;
// a NUL-filled file, an ELF core and UTF-16 text (every other byte NUL) are
// binary.
func Binary(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.HasPrefix(b, []byte("\x7fELF")) {
		return true
	}
	text := bytes.TrimRight(b, "\x00")
	if len(text) == 0 {
		return true
	}
	// More than one NUL in 64 bytes of what comes before a NUL tail.
	if nul := bytes.Count(text, []byte{0}); nul > 0 && nul*64 > len(text) {
		return true
	}
	b = text
	if utf8.Valid(b) {
		return false
	}
	bad := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 && len(b)-i >= utf8.UTFMax {
			bad++
		}
		i += size
	}
	return bad*10 > len(b)
}

// JSON reports a JSON object or array of objects or strings, after a byte
// order mark and white space. A dmesg line (`[  12.5] …`) and a weathercop
// header (`[2026-…`) start with a bracket too, followed by a digit or a
// space and a digit.
func JSON(b []byte) bool {
	b = bytes.TrimLeft(bytes.TrimPrefix(b, BOM), " \t\r\n")
	if len(b) == 0 {
		return false
	}
	if b[0] == '{' {
		return true
	}
	if b[0] != '[' {
		return false
	}
	rest := bytes.TrimLeft(b[1:], " \t\r\n")
	return len(rest) > 0 && (rest[0] == '{' || rest[0] == ']' || rest[0] == '"' || rest[0] == '[')
}

// SniffLines is how many lines of an input's head the per-line checks of the
// sniffers look at.
const SniffLines = 200

// EachLine calls fn on the first SniffLines lines of b, without their "\r\n"
// or "\n", until it returns false.
func EachLine(b []byte, fn func(line []byte) bool) {
	for n := 0; n < SniffLines && len(b) > 0; n++ {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if !fn(bytes.TrimRight(line, "\r")) {
			return
		}
	}
}

// UTF16 reports a head of UTF-16 text: a UTF-16 byte order mark, or ASCII
// with a NUL beside every character (Windows tools and PowerShell's `>`
// write logs so).
func UTF16(b []byte) bool {
	if bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
		return true
	}
	n := min(len(b), 512) &^ 1
	if n < 8 {
		return false
	}
	even, odd := 0, 0
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	half := n / 2
	return even*10 >= half*9 && odd*10 < half || odd*10 >= half*9 && even*10 < half
}
