// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// BenchmarkHandler_GetManifest measures one authenticated, authorized
// manifest GET through the wrapper and distribution's app.
func BenchmarkHandler_GetManifest(b *testing.B) {
	reg, err := Open(Config{RootDir: b.TempDir()}, Deps{Guard: newFakeGuard(RepositoryInfo{Name: "web"})})
	if err != nil {
		b.Fatal(err)
	}
	defer reg.Close()
	img := benchImage(b, reg)
	h := reg.Handler()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, "/v2/web/manifests/v1", nil)
		req.Header.Set("Accept", img.mediaType)
		req.SetBasicAuth("AWS", testPassword)
		rec := newRecorder()
		h.ServeHTTP(rec, req)
		if rec.code != 0 && rec.code != http.StatusOK {
			b.Fatalf("GET manifest: %d %s", rec.code, rec.body.String())
		}
	}
}

// BenchmarkRegistry_UploadPart measures the Go API's streaming of 1 MiB
// parts into one upload.
func BenchmarkRegistry_UploadPart(b *testing.B) {
	reg, err := Open(Config{RootDir: b.TempDir()}, Deps{Guard: newFakeGuard()})
	if err != nil {
		b.Fatal(err)
	}
	defer reg.Close()
	ctx := context.Background()
	id, err := reg.StartUpload(ctx, "web")
	if err != nil {
		b.Fatal(err)
	}
	part := bytes.Repeat([]byte("berth"), 1<<20/5+1)[:1<<20]
	b.SetBytes(int64(len(part)))
	var first int64
	for b.Loop() {
		last, err := reg.UploadPart(ctx, "web", id, first, io.Reader(bytes.NewReader(part)))
		if err != nil {
			b.Fatal(err)
		}
		first = last + 1
	}
}

// benchImage stores a small image tagged v1 in "web" with the Go API.
func benchImage(b *testing.B, reg *Registry) testImage {
	img := newTestImage(b, false, 1000)
	tr := &testRegistry{t: b, reg: reg}
	tr.pushGo("web", "v1", img)
	return img
}
