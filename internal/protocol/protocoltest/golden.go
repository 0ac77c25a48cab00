// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocoltest

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Archive is a txtar archive: a comment, then files introduced by
// "-- name --" lines (the format of golang.org/x/tools/txtar, which the
// module does not depend on).
type Archive struct {
	Comment []byte
	Files   []File
}

// File is one file of an Archive.
type File struct {
	Name string
	Data []byte
}

// ParseArchive parses a txtar archive.
func ParseArchive(data []byte) *Archive {
	a := &Archive{}
	var cur *File
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		if name, ok := marker(line); ok {
			a.Files = append(a.Files, File{Name: name})
			cur = &a.Files[len(a.Files)-1]
			continue
		}
		if cur == nil {
			a.Comment = append(append(a.Comment, line...), '\n')
		} else {
			cur.Data = append(append(cur.Data, line...), '\n')
		}
	}
	return a
}

func marker(line []byte) (string, bool) {
	s := string(line)
	if strings.HasPrefix(s, "-- ") && strings.HasSuffix(s, " --") && len(s) > 6 {
		return strings.TrimSpace(s[3 : len(s)-3]), true
	}
	return "", false
}

// Format renders the archive; every file ends with a newline.
func (a *Archive) Format() []byte {
	var b bytes.Buffer
	b.Write(a.Comment)
	for _, f := range a.Files {
		b.WriteString("-- " + f.Name + " --\n")
		b.Write(f.Data)
		if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// Get returns the named file's data, or nil.
func (a *Archive) Get(name string) []byte {
	for _, f := range a.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// Set replaces (or appends) the named file.
func (a *Archive) Set(name string, data []byte) {
	for i := range a.Files {
		if a.Files[i].Name == name {
			a.Files[i].Data = data
			return
		}
	}
	a.Files = append(a.Files, File{Name: name, Data: data})
}

// Golden compares got with the archive file name; with update set it
// stores got instead. It reports whether the archive changed.
func Golden(t *testing.T, a *Archive, name string, got []byte, update bool) bool {
	t.Helper()
	got = withNewline(got)
	want := a.Get(name)
	if bytes.Equal(want, got) {
		return false
	}
	if update {
		a.Set(name, got)
		return true
	}
	t.Errorf("%s mismatch (run with -update to accept)\n--- want\n%s--- got\n%s", name, want, got)
	return false
}

// ReadArchive reads a txtar file; WriteArchive writes one back.
func ReadArchive(t testing.TB, path string) *Archive {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ParseArchive(data)
}

// WriteArchive writes a back to path.
func WriteArchive(t *testing.T, path string, a *Archive) {
	t.Helper()
	if err := os.WriteFile(path, a.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Request parses a golden "request" file: a raw HTTP/1.1 request whose
// body runs to the end of the file (its trailing newline removed).
func Request(t testing.TB, raw []byte) *http.Request {
	t.Helper()
	head, body, _ := bytes.Cut(raw, []byte("\n\n"))
	head = bytes.ReplaceAll(head, []byte("\n"), []byte("\r\n"))
	body = bytes.TrimSuffix(body, []byte("\n"))
	msg := append(append(head, "\r\n\r\n"...), body...)
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(msg)))
	if err != nil {
		t.Fatalf("golden request: %v", err)
	}
	if len(body) > 0 && r.ContentLength <= 0 { // no Content-Length header
		r.ContentLength = int64(len(body))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return r
}

// Response dumps a recorded response as golden files show it: the status
// line, the headers in canonical order, a blank line and the body.
func Response(rec *httptest.ResponseRecorder) []byte {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(rec.Code) + " " + http.StatusText(rec.Code) + "\n")
	_ = rec.Header().WriteSubset(&b, map[string]bool{"Date": true})
	b.WriteString("\n")
	b.Write(rec.Body.Bytes())
	return bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n"))
}

func withNewline(b []byte) []byte {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return append(b[:len(b):len(b)], '\n')
	}
	return b
}
