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

// Binary reports content that is not text: a NUL byte, or mostly invalid
// UTF-8, in the head. A NUL-filled file is binary.
func Binary(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
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
