// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package docker

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// frame is one message of the daemon's multiplexed log stream.
func frame(stream byte, payload string) []byte {
	b := make([]byte, 8, 8+len(payload))
	b[0] = stream
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	return append(b, payload...)
}

func TestJoinLines_Partials(t *testing.T) {
	var in bytes.Buffer
	in.Write(frame(streamStdout, "T1 short\n"))
	in.Write(frame(streamStdout, "T2 aaaa"))            // stdout, partial
	in.Write(frame(streamStderr, "T3 err line\n"))      // stderr meanwhile
	in.Write(frame(streamStdout, "T4 bbbb"))            // stdout, partial
	in.Write(frame(streamStdout, "T5 cc\n"))            // stdout, the line's end
	in.Write(frame(streamStdout, "T6 \n"))              // an empty line
	in.Write(frame(streamStderr, "T7 no end, cut off")) // the stream ends first
	var out bytes.Buffer
	if err := joinLines(&out, &in); err != nil {
		t.Fatal(err)
	}
	want := []string{"T1 short", "T3 err line", "T5 aaaabbbbcc", "T6 ", "T7 no end, cut off"}
	if d := cmp.Diff(want, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
}

func TestJoinLines_LongerThanMax(t *testing.T) {
	line := strings.Repeat("é", MaxLineBytes) // 2 MiB of 2-byte characters
	var in bytes.Buffer
	in.Write(frame(streamStdout, "T0 x"))
	for i, n := 0, 0; n < len(line); i++ {
		piece := line[n:min(n+16383, len(line))] // odd: pieces split characters
		n += len(piece)
		in.Write(frame(streamStdout, "T"+string(rune('a'+i%26))+" "+piece))
	}
	in.Write(frame(streamStdout, "Tz \n"))
	var out bytes.Buffer
	if err := joinLines(&out, &in); err != nil {
		t.Fatal(err)
	}
	var joined strings.Builder
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for i, l := range got {
		_, text, _ := strings.Cut(l, " ")
		if len(text) > MaxLineBytes || !utf8.ValidString(text) {
			t.Errorf("line %d: %d bytes, valid UTF-8 %v", i, len(text), utf8.ValidString(text))
		}
		joined.WriteString(text)
	}
	if len(got) != 3 || joined.String() != "x"+line {
		t.Errorf("%d lines; rejoined equal: %v", len(got), joined.String() == "x"+line)
	}
}

func TestJoinLines_SystemError(t *testing.T) {
	in := bytes.NewReader(frame(streamSystemErr, "boom"))
	if err := joinLines(&bytes.Buffer{}, in); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want the daemon's error", err)
	}
}
