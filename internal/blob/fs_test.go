// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package blob_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/blob"
)

func openFS(t *testing.T) (*blob.FS, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := blob.OpenFS(blob.FSConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// failingReader returns its data, then err instead of io.EOF, as the sigv4
// verifying reader does when a signature or checksum fails at the end.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = f.err
	}
	return n, err
}

// tempFiles lists what Put left in the temporary directory.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func countBlobs(t *testing.T, s *blob.FS) int {
	t.Helper()
	n := 0
	if err := s.Walk(context.Background(), func(string, time.Time) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFS_Put(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // several buffers
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"small", []byte("hello, berth")},
		{"several buffers", big},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := openFS(t)
			info, err := s.Put(context.Background(), bytes.NewReader(tc.data), blob.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := blob.Info{ID: info.ID, Size: int64(len(tc.data)), MD5: md5.Sum(tc.data), SHA256: sha256.Sum256(tc.data)}
			if diff := cmp.Diff(want, info); diff != "" {
				t.Errorf("Info (-want +got):\n%s", diff)
			}
			r, err := s.Open(context.Background(), info.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Size() != int64(len(tc.data)) {
				t.Errorf("Size = %d, want %d", r.Size(), len(tc.data))
			}
			got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.data) {
				t.Errorf("read back %d bytes that differ from the %d written", len(got), len(tc.data))
			}
			if left := tempFiles(t, dir); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func TestFS_PutFailureLeavesNothing(t *testing.T) {
	errTampered := errors.New("signature mismatch at EOF")
	tests := []struct {
		name string
		r    func() io.Reader
		ctx  func() context.Context
		want error
	}{
		{"reader fails at EOF", func() io.Reader {
			return &failingReader{r: strings.NewReader(strings.Repeat("x", 3<<20)), err: errTampered}
		}, context.Background, errTampered},
		{"truncated body", func() io.Reader {
			return &failingReader{r: strings.NewReader("partial"), err: io.ErrUnexpectedEOF}
		}, context.Background, io.ErrUnexpectedEOF},
		{"context canceled", func() io.Reader { return strings.NewReader("data") }, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := openFS(t)
			_, err := s.Put(tc.ctx(), tc.r(), blob.PutOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Put error = %v, want %v", err, tc.want)
			}
			if left := tempFiles(t, dir); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if n := countBlobs(t, s); n != 0 {
				t.Errorf("%d blobs stored after a failed Put", n)
			}
		})
	}
}

func TestFS_NoSHA256(t *testing.T) {
	s, _ := openFS(t)
	data := []byte("etag only")
	info, err := s.Put(context.Background(), bytes.NewReader(data), blob.PutOptions{NoSHA256: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.MD5 != md5.Sum(data) || info.SHA256 != [sha256.Size]byte{} {
		t.Errorf("Info = %+v, want the MD5 and no SHA-256", info)
	}
}

func TestFS_ContentAddressed(t *testing.T) {
	s, _ := openFS(t)
	data := []byte("layer bytes")
	a, err := s.Put(context.Background(), bytes.NewReader(data), blob.PutOptions{ContentAddressed: true})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if a.ID != hex.EncodeToString(sum[:]) {
		t.Errorf("ID = %s, want the SHA-256 digest", a.ID)
	}
	b, err := s.Put(context.Background(), bytes.NewReader(data), blob.PutOptions{ContentAddressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("second Put (-first +second):\n%s", diff)
	}
	if n := countBlobs(t, s); n != 1 {
		t.Errorf("%d blobs, want 1 (deduplicated)", n)
	}
}

func TestFS_DeleteAndErrors(t *testing.T) {
	s, _ := openFS(t)
	ctx := context.Background()
	info, err := s.Put(ctx, strings.NewReader("bye"), blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := s.Delete(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := r.ReadAt(buf, 0); err != nil || string(buf) != "bye" {
		t.Errorf("an open Reader after Delete read %q, %v; want the data", buf, err)
	}
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"open deleted", func() error { _, err := s.Open(ctx, info.ID); return err }, blob.ErrNotFound},
		{"delete deleted", func() error { return s.Delete(ctx, info.ID) }, blob.ErrNotFound},
		{"open invalid id", func() error { _, err := s.Open(ctx, "../../etc/passwd"); return err }, blob.ErrInvalidID},
		{"delete invalid id", func() error { return s.Delete(ctx, "XYZ") }, blob.ErrInvalidID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFS_OpenRemovesStaleTemps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	if _, err := blob.OpenFS(blob.FSConfig{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "tmp", "put-stale")
	fresh := filepath.Join(dir, "tmp", "put-fresh")
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.OpenFS(blob.FSConfig{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"put-fresh"}, tempFiles(t, dir)); diff != "" {
		t.Errorf("temporary files after open (-want +got):\n%s", diff)
	}
}
