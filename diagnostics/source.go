package diagnostics

import (
	"bufio"
	"bytes"
	"io"
)

// diagSource is what the parser reads: a stream, through a bufio.Reader
// (Parse, Stream), or an input already whole in memory (StreamBytes), read
// in place. It has the bufio.Reader methods the parser uses, with their
// results, so that the two are read by one parser over lines (parseLines,
// onePassLines) and documents: in place, an input's lines are the bytes of
// the caller's buffer, which the parser never keeps (what a record keeps is
// copied out of its line, as it is out of the reader's buffer, which the
// next read overwrites). Copying a batch job's 150-170 KB diagnostics file
// from the bytes discover read it into into the reader's buffer was
// ~10 µs of its ~150 µs (a bufio.Reader over a bytes.Reader against a line
// loop over the bytes, 170 KB of lines, ten alternating runs).
type diagSource struct {
	br *bufio.Reader // the stream; nil for an input whole in memory
	// data is the input whole in memory, and pos what of it was read.
	data []byte
	pos  int
}

// Peek is bufio.Reader.Peek: the next n bytes, with io.EOF when fewer are
// left.
func (s *diagSource) Peek(n int) ([]byte, error) {
	if s.br != nil {
		return s.br.Peek(n)
	}
	rest := s.data[s.pos:]
	if len(rest) < n {
		return rest, io.EOF
	}
	return rest[:n:n], nil
}

// Buffered is bufio.Reader.Buffered: what Peek can return without reading;
// all that is left of an input in memory.
func (s *diagSource) Buffered() int {
	if s.br != nil {
		return s.br.Buffered()
	}
	return len(s.data) - s.pos
}

// Discard skips n bytes that Peek returned.
func (s *diagSource) Discard(n int) {
	if s.br != nil {
		s.br.Discard(n)
		return
	}
	s.pos += min(n, len(s.data)-s.pos)
}

// ReadByte is bufio.Reader.ReadByte.
func (s *diagSource) ReadByte() (byte, error) {
	if s.br != nil {
		return s.br.ReadByte()
	}
	if s.pos >= len(s.data) {
		return 0, io.EOF
	}
	c := s.data[s.pos]
	s.pos++
	return c, nil
}

// UnreadByte gives back the byte ReadByte returned last.
func (s *diagSource) UnreadByte() error {
	if s.br != nil {
		return s.br.UnreadByte()
	}
	if s.pos == 0 {
		return bufio.ErrInvalidUnreadByte
	}
	s.pos--
	return nil
}

// ReadSlice is bufio.Reader.ReadSlice('\n'): the bytes up to and with the
// next newline, or what is left and io.EOF. From a stream a line longer
// than the reader's buffer comes in pieces (bufio.ErrBufferFull); from
// memory whole, as readLine puts the pieces together.
func (s *diagSource) ReadSlice() ([]byte, error) {
	if s.br != nil {
		return s.br.ReadSlice('\n')
	}
	rest := s.data[s.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		s.pos = len(s.data)
		return rest, io.EOF
	}
	s.pos += i + 1
	return rest[: i+1 : i+1], nil
}

// replay reads the line first, which readLine returned with its newline,
// again: a stream from a copy of it, an input in memory by going back.
func (s *diagSource) replay(first []byte) {
	if s.br == nil {
		s.pos -= len(first) + 1
		return
	}
	replay := append(append([]byte(nil), first...), '\n')
	s.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(replay), s.br), 64<<10)
}
