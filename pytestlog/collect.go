package pytestlog

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

var emptyCollect = newCollectIndex(nil)

// collectIndex looks node ids up in the collection order of
// `pytest --collect-only -q`, matching escaped ("\xe9", "\u65e5") and raw
// non-ASCII forms alike.
type collectIndex struct {
	n      int
	list   []string
	canon  map[string]int // canonical form -> index
	byFile map[string][]string
}

func newCollectIndex(ids []string) *collectIndex {
	c := &collectIndex{n: len(ids), list: ids, canon: make(map[string]int, len(ids)), byFile: map[string][]string{}}
	for i, id := range ids {
		k := canonicalID(id)
		if _, dup := c.canon[k]; !dup {
			c.canon[k] = i
		}
		f := fileOf(id)
		c.byFile[f] = append(c.byFile[f], id)
	}
	return c
}

func (c *collectIndex) has(id string) bool {
	if c.n == 0 {
		return false
	}
	_, ok := c.canon[canonicalID(id)]
	return ok
}

// at is the n-th (1-based) collected test of file, or of the whole
// collection when file is "".
func (c *collectIndex) at(file string, n int) string {
	if c.n == 0 || n < 1 {
		return ""
	}
	l := c.list
	if file != "" {
		l = c.byFile[file]
	}
	if n > len(l) {
		return ""
	}
	return l[n-1]
}

// after is the collected test that follows id.
func (c *collectIndex) after(id string) string {
	i, ok := c.canon[canonicalID(id)]
	if !ok || i+1 >= len(c.list) {
		return ""
	}
	return c.list[i+1]
}

// canonicalID decodes the escapes pytest applies to non-ASCII parameter ids
// (python.py _ascii_escaped_by_config: str.encode("unicode_escape")), so an
// escaped id and its raw form compare equal.
func canonicalID(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		hex := 0
		switch s[i+1] {
		case 'x':
			hex = 2
		case 'u':
			hex = 4
		case 'U':
			hex = 8
		case '\\':
			b.WriteByte('\\')
			i++
			continue
		case 'n':
			b.WriteByte('\n')
			i++
			continue
		case 't':
			b.WriteByte('\t')
			i++
			continue
		case 'r':
			b.WriteByte('\r')
			i++
			continue
		}
		if hex > 0 && i+2+hex <= len(s) {
			if v, err := strconv.ParseUint(s[i+2:i+2+hex], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
				b.WriteRune(rune(v))
				i += 1 + hex
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var collectedSummaryRe = lazyRe(`^(?:\d+(?:/\d+)? tests? collected|no tests collected|\d+ tests? (?:deselected|selected))`)

// ErrNoNodeIDs is returned by ParseCollectList for input with no node ids.
var ErrNoNodeIDs = errors.New("no node ids (expected `pytest --collect-only -q` output)")

// ParseCollectList reads the output of `pytest --collect-only -q`: one node
// id per line, a blank line, then "N tests collected in 0.12s"
// (terminal.py pytest_collection_finish). CI prefixes and ANSI escapes are
// removed. Node ids are returned exactly as printed, in collection order.
func ParseCollectList(r io.Reader, name string) ([]string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var ids []string
	lineNo := 0
	sawSummary := false
	inBlock := true
	longLine := 0 // the first line skipped for its length
	for {
		b, tooLong, err := readLine(br, MaxLineBytes)
		if len(b) == 0 && !tooLong && err != nil {
			if err != io.EOF {
				return ids, &ParseError{Name: name, Line: lineNo + 1, Err: err}
			}
			break
		}
		lineNo++
		if tooLong {
			if longLine == 0 {
				longLine = lineNo
			}
			continue
		}
		raw := string(b)
		if lineNo == 1 {
			raw = strings.TrimPrefix(raw, "\ufeff")
		}
		text, _, _ := stripCI(strings.TrimSuffix(raw, "\r"))
		text = strings.TrimRight(stripANSI(text), " \t")
		switch {
		case text == "":
			if len(ids) > 0 {
				inBlock = false
			}
		case collectedSummaryRe.MatchString(text):
			sawSummary = true
			inBlock = false
		case strings.HasPrefix(text, "=") || strings.HasPrefix(text, "!"):
			inBlock = false
		case inBlock && strings.Contains(text, "::") && text[0] != ' ' && text[0] != '\t':
			ids = append(ids, text)
		}
	}
	if longLine > 0 {
		return ids, &ParseError{Name: name, Line: longLine, Err: ErrLineTooLong}
	}
	if len(ids) == 0 && !sawSummary {
		return nil, &ParseError{Name: name, Line: lineNo, Err: ErrNoNodeIDs}
	}
	return ids, nil
}

// ErrLineTooLong is the error of a collection list with a line longer than
// MaxLineBytes: such a line is skipped (no node id is that long), the rest
// of the list is read and returned with the error.
var ErrLineTooLong = errors.New("a line longer than 1 MiB, skipped (no node id is that long)")

// readLine reads one line without its newline. A line longer than max is
// read to its end and dropped (tooLong): memory stays bounded by max.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+1 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(buf) > 0 && buf[len(buf)-1] == '\n' {
			buf = buf[:len(buf)-1]
		}
		return buf, tooLong, err
	}
}
