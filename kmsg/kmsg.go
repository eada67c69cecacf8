// Package kmsg reads the kernel log records that appeared after a start point
// and renders them the way `dmesg` prints them: `[ uptime] message` lines.
//
// The primary source is /dev/kmsg (Documentation/ABI/testing/dev-kmsg): every
// read(2) returns one record `prio,seq,usec,flag[,more];message\n` followed by
// optional continuation lines that start with a space (` SUBSYSTEM=…`). The
// reader gets EAGAIN at the end of the buffer (O_NONBLOCK) and EPIPE when the
// record it was about to read has been overwritten; the position then moves to
// the oldest record still held, so reading carries on and the lost sequence
// numbers are counted as a gap.
//
// Where /dev/kmsg cannot be read (no permission, a container without it), the
// fallback runs `dmesg` and takes the lines after the last line seen at Now().
//
// A Cursor never clears the ring buffer (no SYSLOG_ACTION_CLEAR, no `dmesg -c`).
package kmsg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// DevKmsg is the kernel's record-oriented log device.
const DevKmsg = "/dev/kmsg"

// Source names where a Cursor reads from.
type Source string

const (
	// SourceKmsg reads /dev/kmsg records by sequence number.
	SourceKmsg Source = "/dev/kmsg"
	// SourceDmesg runs `dmesg` and compares its output with the last line seen.
	SourceDmesg Source = "dmesg"
)

// Cursor is a position in the kernel log. The zero value is not usable; get
// one from Now. A Cursor is a plain value: it holds no open file.
type Cursor struct {
	source Source
	// nextSeq is the sequence number of the first record not yet seen
	// (SourceKmsg).
	nextSeq uint64
	// dmesgLines, lastLine and lastUptimeS describe the `dmesg` output at Now
	// (SourceDmesg).
	dmesgLines  int
	lastLine    string
	lastUptimeS float64
}

// Source says where the cursor reads from.
func (c Cursor) Source() Source { return c.source }

// Capture is what ReadRecords returns: the new kernel lines and what is known
// to be missing from them.
type Capture struct {
	// Log is the new records as `dmesg` prints them, one `[%5d.%06d] msg\n`
	// line per record (a record whose text holds newlines goes on over
	// lines indented by the stamp's width, as dmesg prints it).
	Log []byte
	// Records is the number of kernel records read.
	Records int
	// LostRecords is the number of records appended after the cursor that the
	// ring buffer overwrote before they could be read (SourceKmsg only).
	LostRecords uint64
	// GapUnknown is set by the dmesg fallback when the line seen at Now is no
	// longer in the buffer, so records may have been lost uncounted.
	GapUnknown bool
	// Source is where the records came from.
	Source Source
}

// GapError reports records lost between the cursor and the read. ReadNew
// returns it together with the lines it could read, which are valid.
type GapError struct {
	LostRecords uint64 // 0 when the count is unknown
	Source      Source
}

func (e *GapError) Error() string {
	if e.LostRecords == 0 {
		return fmt.Sprintf("kmsg: %s: kernel log rotated since the start point; records may be missing", e.Source)
	}
	return fmt.Sprintf("kmsg: %s: %d kernel log records were overwritten before they could be read", e.Source, e.LostRecords)
}

// rawFile is /dev/kmsg opened with O_NONBLOCK and read with plain read(2), so
// EAGAIN (the end of the buffer) reaches the reader: an *os.File would hand a
// character device to the runtime poller, which waits on EAGAIN instead.
type rawFile struct{ fd int }

func openKmsg() (*rawFile, error) {
	fd, err := syscall.Open(DevKmsg, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: DevKmsg, Err: err}
	}
	return &rawFile{fd: fd}, nil
}

func (f *rawFile) Read(p []byte) (int, error) {
	n, err := syscall.Read(f.fd, p)
	if n < 0 {
		n = 0
	}
	if err == nil && n == 0 {
		return 0, io.EOF
	}
	return n, err
}

func (f *rawFile) Close() error { return syscall.Close(f.fd) }

// Available returns nil when the kernel log can be read here, or why not.
func Available() error {
	f, err := openKmsg()
	if err == nil {
		f.Close()
		return nil
	}
	kerr := err
	if _, derr := runDmesg(); derr != nil {
		return fmt.Errorf("kernel log not readable: %v; dmesg: %v", kerr, derr)
	}
	return nil
}

// Now returns a cursor at the end of the kernel log: ReadNew on it returns only
// the records appended after this call.
func Now() (Cursor, error) {
	f, err := openKmsg()
	if err == nil {
		defer f.Close()
		// Read the buffer up to its end to learn the last sequence number:
		// SEEK_END would place the reader after it but /dev/kmsg cannot
		// report the position it moved to.
		var last uint64
		seen := false
		err := scanRecords(f, func(r record) {
			last, seen = r.seq, true
		})
		if err != nil {
			return Cursor{}, fmt.Errorf("kmsg: read %s: %w", DevKmsg, err)
		}
		c := Cursor{source: SourceKmsg}
		if seen {
			c.nextSeq = last + 1
		}
		return c, nil
	}
	kerr := err
	out, derr := runDmesg()
	if derr != nil {
		return Cursor{}, fmt.Errorf("kmsg: kernel log not readable: %v; dmesg: %v", kerr, derr)
	}
	lines := splitLines(out)
	c := Cursor{source: SourceDmesg, dmesgLines: len(lines)}
	if n := len(lines); n > 0 {
		c.lastLine = lines[n-1]
		c.lastUptimeS, _ = uptimeOf(c.lastLine)
	}
	return c, nil
}

// ReadNew returns the kernel records appended since the cursor was taken, as
// `dmesg` prints them. When records were lost (overwritten in the ring buffer)
// it returns the lines it has and a *GapError.
func (c Cursor) ReadNew() ([]byte, error) {
	capt, err := c.ReadRecords()
	if err != nil {
		return nil, err
	}
	if capt.LostRecords > 0 || capt.GapUnknown {
		return capt.Log, &GapError{LostRecords: capt.LostRecords, Source: capt.Source}
	}
	return capt.Log, nil
}

// ReadRecords is ReadNew with the gap accounting spelled out.
func (c Cursor) ReadRecords() (Capture, error) {
	switch c.source {
	case SourceKmsg:
		f, err := openKmsg()
		if err != nil {
			return Capture{}, fmt.Errorf("kmsg: %w", err)
		}
		defer f.Close()
		return readSince(f, c.nextSeq)
	case SourceDmesg:
		out, err := runDmesg()
		if err != nil {
			return Capture{}, fmt.Errorf("kmsg: dmesg: %w", err)
		}
		return c.dmesgSince(out), nil
	default:
		return Capture{}, errors.New("kmsg: zero Cursor; take one with Now")
	}
}

// readSince reads every record with seq >= next from r (an open /dev/kmsg,
// positioned at the oldest record) and renders them.
func readSince(r io.Reader, next uint64) (Capture, error) {
	capt := Capture{Source: SourceKmsg}
	var buf bytes.Buffer
	want := next
	err := scanRecords(r, func(rec record) {
		if rec.seq < want {
			return
		}
		if rec.seq > want {
			capt.LostRecords += rec.seq - want
		}
		want = rec.seq + 1
		capt.Records++
		rec.render(&buf)
	})
	if err != nil {
		return Capture{}, fmt.Errorf("kmsg: read %s: %w", DevKmsg, err)
	}
	capt.Log = buf.Bytes()
	return capt, nil
}

// maxRecord is larger than the kernel's CONSOLE_EXT_LOG_MAX (8 KiB), the
// biggest record /dev/kmsg returns; a smaller buffer gives EINVAL.
const maxRecord = 16 << 10

// scanRecords calls fn for each record read from r until EAGAIN (the end of
// the buffer) or EOF. EPIPE (the next record was overwritten) carries on: the caller sees the jump in
// sequence numbers. Malformed records are skipped.
func scanRecords(r io.Reader, fn func(record)) error {
	buf := make([]byte, maxRecord)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if rec, ok := parseRecord(buf[:n]); ok {
				fn(rec)
			}
		}
		switch {
		case err == nil:
			if n == 0 {
				return nil
			}
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, syscall.EPIPE):
			// The position moved to the oldest record still held; the
			// caller sees the jump in sequence numbers.
		case errors.Is(err, syscall.EINTR):
		default:
			return err
		}
	}
}

// record is one /dev/kmsg record.
type record struct {
	prio int
	seq  uint64
	usec uint64
	flag byte
	text string // unescaped message; may hold newlines
}

// parseRecord parses `prio,seq,usec,flag[,…];text\n[ KEY=value\n…]`
// (kernel/printk/printk.c, info_print_ext_header and msg_print_ext_body).
func parseRecord(b []byte) (record, bool) {
	semi := bytes.IndexByte(b, ';')
	if semi < 0 {
		return record{}, false
	}
	hdr := strings.Split(string(b[:semi]), ",")
	if len(hdr) < 4 {
		return record{}, false
	}
	prio, err1 := strconv.Atoi(hdr[0])
	seq, err2 := strconv.ParseUint(hdr[1], 10, 64)
	usec, err3 := strconv.ParseUint(hdr[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return record{}, false
	}
	rec := record{prio: prio, seq: seq, usec: usec}
	if len(hdr[3]) > 0 {
		rec.flag = hdr[3][0]
	}
	body := b[semi+1:]
	// The message ends at the first newline; continuation (dictionary) lines
	// follow, each starting with a space. dmesg does not print them.
	if nl := bytes.IndexByte(body, '\n'); nl >= 0 {
		body = body[:nl]
	}
	rec.text = unescape(body)
	return rec, true
}

// unescape undoes the kernel's `\xNN` escaping of bytes < 0x20, >= 0x7f and
// the backslash, as util-linux dmesg does. A tab is kept as a tab; other
// control characters except the newline stay escaped so a line never holds a
// raw control byte.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) && b[i+1] == 'x' {
			if v, err := strconv.ParseUint(string(b[i+2:i+4]), 16, 8); err == nil {
				c := byte(v)
				if c >= 0x20 && c != 0x7f || c >= 0x80 || c == '\n' || c == '\t' {
					sb.WriteByte(c)
				} else {
					sb.Write(b[i : i+4])
				}
				i += 3
				continue
			}
		}
		sb.WriteByte(b[i])
	}
	return sb.String()
}

// render writes the record as util-linux dmesg prints it: `[%5d.%06d] text`;
// the further lines of a record whose text holds newlines are indented by
// the stamp's width, without a stamp of their own (dmesg.c, the
// continuation indent of print_record).
func (r record) render(w *bytes.Buffer) {
	stamp := fmt.Sprintf("[%5d.%06d] ", r.usec/1000000, r.usec%1000000)
	for i, line := range strings.Split(r.text, "\n") {
		if i == 0 {
			w.WriteString(stamp)
		} else {
			w.WriteString(strings.Repeat(" ", len(stamp)))
		}
		w.WriteString(line)
		w.WriteByte('\n')
	}
}

// runDmesg runs util-linux/busybox `dmesg` without options that clear the
// buffer or change the line format.
func runDmesg() ([]byte, error) {
	// The caller's locale is kept: under LC_ALL=C dmesg escapes UTF-8 bytes
	// as \xNN, under a UTF-8 locale it prints them, as /dev/kmsg rendering
	// here does.
	cmd := exec.Command("dmesg")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if s := strings.TrimSpace(stderr.String()); s != "" {
			return nil, fmt.Errorf("%w: %s", err, s)
		}
		return nil, err
	}
	return out, nil
}

func splitLines(b []byte) []string {
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// uptimeOf reads the `[ 123.456789]` stamp at the start of a dmesg line.
func uptimeOf(line string) (float64, bool) {
	if !strings.HasPrefix(line, "[") {
		return 0, false
	}
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(line[1:end]), 64)
	return v, err == nil
}

// dmesgSince takes the lines of out that follow the last line seen at Now. The
// buffer may have rotated: the last seen line is searched for from the end,
// and when it is gone, lines stamped later than it are kept and GapUnknown is
// set.
func (c Cursor) dmesgSince(out []byte) Capture {
	capt := Capture{Source: SourceDmesg}
	lines := splitLines(out)
	start := -1
	if c.lastLine == "" {
		start = 0
	} else {
		// Fast path: the buffer only grew.
		if c.dmesgLines <= len(lines) && lines[c.dmesgLines-1] == c.lastLine {
			start = c.dmesgLines
		} else {
			for i := len(lines) - 1; i >= 0; i-- {
				if lines[i] == c.lastLine {
					start = i + 1
					break
				}
			}
		}
	}
	if start < 0 {
		capt.GapUnknown = true
		start = len(lines)
		for i, l := range lines {
			if u, ok := uptimeOf(l); ok && u > c.lastUptimeS {
				start = i
				break
			}
		}
	}
	var buf bytes.Buffer
	for _, l := range lines[start:] {
		buf.WriteString(l)
		buf.WriteByte('\n')
		capt.Records++
	}
	capt.Log = buf.Bytes()
	return capt
}

// All returns every record the kernel log still holds since boot, from
// /dev/kmsg (LostRecords counts those the ring buffer has overwritten
// since boot) or, when source is SourceDmesg, from `dmesg`.
func All(source Source) (Capture, error) {
	switch source {
	case SourceKmsg:
		f, err := openKmsg()
		if err != nil {
			return Capture{}, fmt.Errorf("kmsg: %w", err)
		}
		defer f.Close()
		return readSince(f, 0)
	case SourceDmesg:
		out, err := runDmesg()
		if err != nil {
			return Capture{}, fmt.Errorf("kmsg: dmesg: %w", err)
		}
		return Capture{Log: out, Records: len(splitLines(out)), Source: SourceDmesg}, nil
	}
	return Capture{}, fmt.Errorf("kmsg: unknown source %q", source)
}
