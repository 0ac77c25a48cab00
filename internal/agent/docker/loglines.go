// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package docker

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxLineBytes is the most text ContainerLogsFollow joins into one line
// out of Docker's partial messages.
const MaxLineBytes = 1 << 20

// Stream types of the daemon's multiplexed log stream (as stdcopy).
const (
	streamStdin     = 0
	streamStdout    = 1
	streamStderr    = 2
	streamSystemErr = 3
)

// pendingLine is a line of one stream whose pieces have not all come.
type pendingLine struct {
	ts   string // the timestamp of its last piece so far
	text []byte
}

// joinLines reads the daemon's multiplexed log stream (an 8-byte header
// per message: stream type, 3 zero bytes, big-endian payload size; with
// timestamps each payload is "<ts> <text>", a partial message without a
// trailing '\n') and writes its lines, the partial messages of each
// stream joined, to w. It returns nil at the end of src.
func joinLines(w io.Writer, src io.Reader) error {
	br := bufio.NewReaderSize(src, 64<<10)
	var pend [3]pendingLine
	var hdr [8]byte
	var payload []byte
	emit := func(p *pendingLine, text []byte) error {
		line := make([]byte, 0, len(p.ts)+2+len(text))
		line = append(append(append(line, p.ts...), ' '), text...)
		if len(line) == 0 || line[len(line)-1] != '\n' {
			line = append(line, '\n')
		}
		_, err := w.Write(line)
		return err
	}
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = nil // the stream ended between messages
			}
			// A line whose rest never came is still shipped.
			for i := range pend {
				if p := &pend[i]; len(p.text) > 0 {
					if werr := emit(p, p.text); werr != nil {
						return werr
					}
				}
			}
			return err
		}
		size := binary.BigEndian.Uint32(hdr[4:])
		if cap(payload) < int(size) {
			payload = make([]byte, size)
		}
		payload = payload[:size]
		if _, err := io.ReadFull(br, payload); err != nil {
			return fmt.Errorf("container logs: reading a message: %w", err)
		}
		switch hdr[0] {
		case streamStdin, streamStdout, streamStderr:
		case streamSystemErr:
			return fmt.Errorf("container logs: the daemon: %s", payload)
		default:
			return fmt.Errorf("container logs: unknown stream type %d", hdr[0])
		}
		p := &pend[hdr[0]]
		ts := bytes.TrimRight(payload, "\n")
		text := payload[len(ts):] // no text: just the newline, if any
		for i, c := range payload {
			if c == ' ' {
				ts, text = payload[:i], payload[i+1:]
				break
			}
		}
		p.ts = string(ts)
		p.text = append(p.text, text...)
		if n := len(p.text); n > 0 && p.text[n-1] == '\n' {
			if err := emit(p, p.text); err != nil {
				return err
			}
			*p = pendingLine{text: p.text[:0]}
			continue
		}
		for len(p.text) >= MaxLineBytes {
			cut := runeCut(p.text[:MaxLineBytes])
			if err := emit(p, p.text[:cut]); err != nil {
				return err
			}
			p.text = append(p.text[:0], p.text[cut:]...)
		}
	}
}

// runeCut returns where to cut b so that no UTF-8 character is split:
// before a trailing incomplete character, if any.
func runeCut(b []byte) int {
	for j := len(b) - 1; j >= 0 && j >= len(b)-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			if !utf8.FullRune(b[j:]) {
				return max(j, 1)
			}
			break
		}
	}
	return len(b)
}
