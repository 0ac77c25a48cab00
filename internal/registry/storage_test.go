// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

func errorIs(err, target error) bool { return errors.Is(err, target) }

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{header: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func TestRegistry_SeesHTTPPush(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web"})
	img := newTestImage(t, false, 300, 700)
	if resp := tr.pushHTTP("web", "v1", img); resp.status != http.StatusCreated {
		t.Fatalf("push: %d %s", resp.status, resp.body)
	}
	if resp := tr.do(http.MethodPut, "/v2/web/manifests/latest", img.manifest, map[string]string{"Content-Type": img.mediaType}, true); resp.status != http.StatusCreated {
		t.Fatalf("tag latest: %d %s", resp.status, resp.body)
	}
	ctx := context.Background()
	imgs, err := tr.reg.Images(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 {
		t.Fatalf("Images: %d images, want 1", len(imgs))
	}
	got := imgs[0]
	if got.Digest != img.digest.String() || !cmp.Equal(got.Tags, []string{"latest", "v1"}) ||
		got.Size != img.size() || got.MediaType != img.mediaType ||
		got.ArtifactMediaType != "application/vnd.docker.container.image.v1+json" ||
		!bytes.Equal(got.Manifest, img.manifest) || got.PushedAt.IsZero() {
		t.Errorf("Images()[0] = %+v (size want %d)", summary(got), img.size())
	}
	one, err := tr.reg.Image(ctx, "web", "v1")
	if err != nil || one.Digest != got.Digest || !cmp.Equal(one.Tags, got.Tags) || !one.PushedAt.Equal(got.PushedAt) {
		t.Errorf("Image(v1) = %+v, %v", summary(one), err)
	}
	for _, b := range append(img.layers, img.config) {
		n, err := tr.reg.BlobSize(ctx, "web", digest.FromBytes(b).String())
		if err != nil || n != int64(len(b)) {
			t.Errorf("BlobSize = %d, %v; want %d", n, err, len(b))
		}
	}

	// PushedAt comes from the storage: it survives a restart.
	tr2 := newTestRegistryAt(t, tr.root, newFakeGuard(RepositoryInfo{Name: "web"}))
	again, err := tr2.reg.Image(ctx, "web", img.digest.String())
	if err != nil || !again.PushedAt.Equal(got.PushedAt) {
		t.Errorf("after reopen: %v %v, want PushedAt %v", again.PushedAt, err, got.PushedAt)
	}
}

func summary(i Image) string {
	return fmt.Sprintf("{%s tags=%v size=%d type=%s artifact=%s pushed=%v}", i.Digest, i.Tags, i.Size, i.MediaType, i.ArtifactMediaType, i.PushedAt)
}

func TestRegistry_HTTPPullSeesGoPush(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web"})
	for _, oci := range []bool{false, true} {
		img := newTestImage(t, oci, 1<<16+3, 17)
		got := tr.pushGo("web", "v1", img)
		if got.Digest != img.digest.String() || !cmp.Equal(got.Tags, []string{"v1"}) || got.Size != img.size() || got.MediaType != img.mediaType {
			t.Fatalf("PutManifest = %s", summary(got))
		}
		resp := tr.do(http.MethodGet, "/v2/web/manifests/v1", nil, map[string]string{"Accept": img.mediaType}, true)
		if resp.status != http.StatusOK || !bytes.Equal(resp.body, img.manifest) || resp.header.Get("Content-Type") != img.mediaType {
			t.Fatalf("GET manifest: %d %s", resp.status, resp.header.Get("Content-Type"))
		}
		for _, b := range append(img.layers, img.config) {
			resp := tr.do(http.MethodGet, "/v2/web/blobs/"+digest.FromBytes(b).String(), nil, nil, true)
			if resp.status != http.StatusOK || !bytes.Equal(resp.body, b) {
				t.Fatalf("GET blob: %d", resp.status)
			}
		}
	}
}

func TestRegistry_IndexSize(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "multi"})
	a, b := newTestImage(t, true, 100), newTestImage(t, true, 50, 60)
	tr.pushGo("multi", "", a)
	tr.pushGo("multi", "", b)
	index := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[`+
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":%d,"digest":"%s","platform":{"architecture":"amd64","os":"linux"}},`+
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":%d,"digest":"%s","platform":{"architecture":"arm64","os":"linux"}}]}`,
		len(a.manifest), a.digest, len(b.manifest), b.digest)
	ctx := context.Background()
	got, err := tr.reg.PutManifest(ctx, "multi", []byte(index), "", "latest", digest.FromString(index).String(), false)
	if err != nil {
		t.Fatal(err)
	}
	if got.MediaType != "application/vnd.oci.image.index.v1+json" || got.Size != a.size()+b.size() || got.ArtifactMediaType != "" {
		t.Errorf("index = %s, want size %d", summary(got), a.size()+b.size())
	}
	imgs, err := tr.reg.Images(ctx, "multi")
	if err != nil || len(imgs) != 3 {
		t.Fatalf("Images: %d %v", len(imgs), err)
	}
	missing := strings.Replace(index, a.digest.Encoded(), strings.Repeat("a", 64), 1)
	if _, err := tr.reg.PutManifest(ctx, "multi", []byte(missing), "", "x", "", false); !errorIs(err, ErrBlobNotFound) {
		t.Errorf("index with a missing manifest: %v", err)
	}
}

func TestRegistry_PutManifestErrors(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web"})
	ctx := context.Background()
	img := newTestImage(t, false, 10, 20)
	tr.pushGo("web", "v1", img)
	other := newTestImage(t, false, 30) // blobs never uploaded
	tests := []struct {
		name      string
		body      []byte
		mediaType string
		tag       string
		digest    string
		immutable bool
		want      error
		wantInMsg string
	}{
		{name: "missing blobs", body: other.manifest, mediaType: other.mediaType, tag: "x", want: ErrBlobNotFound, wantInMsg: digest.FromBytes(other.layers[0]).String()},
		{name: "wrong digest", body: img.manifest, mediaType: img.mediaType, digest: other.digest.String(), want: ErrInvalidDigest},
		{name: "malformed digest", body: img.manifest, mediaType: img.mediaType, digest: "sha256:xyz", want: ErrInvalidDigest},
		{name: "not json", body: []byte("nope"), mediaType: img.mediaType, want: ErrInvalidManifest},
		{name: "media type mismatch", body: img.manifest, mediaType: "application/vnd.oci.image.index.v1+json", want: ErrInvalidManifest},
		{name: "bad tag", body: img.manifest, mediaType: img.mediaType, tag: "a/b", want: ErrInvalidTag},
		{name: "immutable overwrite", body: newTestImageStored(t, tr).manifest, tag: "v1", immutable: true, want: ErrTagImmutable},
		{name: "unknown repo name", body: img.manifest, want: ErrRepositoryNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := "web"
			if tc.want == ErrRepositoryNotFound {
				repo = "Bad//Name"
			}
			_, err := tr.reg.PutManifest(ctx, repo, tc.body, tc.mediaType, tc.tag, tc.digest, tc.immutable)
			if !errorIs(err, tc.want) || !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.wantInMsg)
			}
		})
	}
	imgs, err := tr.reg.Images(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, i := range imgs {
		tags = append(tags, i.Tags...)
	}
	if !cmp.Equal(sorted(tags), []string{"v1"}) {
		t.Errorf("refused puts changed the tags: %v", tags)
	}
	// Re-putting the same digest on an immutable tag is allowed.
	if _, err := tr.reg.PutManifest(ctx, "web", img.manifest, "", "v1", img.digest.String(), true); err != nil {
		t.Errorf("same-digest re-put: %v", err)
	}
}

// newTestImageStored is an image whose blobs are in tr's "web" repository
// but whose manifest is not.
func newTestImageStored(t *testing.T, tr *testRegistry) testImage {
	img := newTestImage(t, false, 40)
	got := tr.pushGo("web", "", img)
	if err := tr.reg.DeleteManifest(context.Background(), "web", got.Digest); err != nil {
		t.Fatal(err)
	}
	return img
}

func TestRegistry_UntagAndDelete(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web"})
	ctx := context.Background()
	img := newTestImage(t, false, 10)
	tr.pushGo("web", "v1", img)
	if _, err := tr.reg.PutManifest(ctx, "web", img.manifest, "", "v2", "", false); err != nil {
		t.Fatal(err)
	}
	if err := tr.reg.Untag(ctx, "web", "v2"); err != nil {
		t.Fatal(err)
	}
	if err := tr.reg.Untag(ctx, "web", "v2"); !errorIs(err, ErrImageNotFound) {
		t.Fatalf("second Untag: %v", err)
	}
	if got, err := tr.reg.Image(ctx, "web", img.digest.String()); err != nil || !cmp.Equal(got.Tags, []string{"v1"}) {
		t.Fatalf("after Untag: %v %v", got.Tags, err)
	}
	if _, err := tr.reg.PutManifest(ctx, "web", img.manifest, "", "v3", "", false); err != nil {
		t.Fatal(err)
	}
	if err := tr.reg.DeleteManifest(ctx, "web", img.digest.String()); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"v1", "v3", img.digest.String()} {
		if _, err := tr.reg.Image(ctx, "web", ref); !errorIs(err, ErrImageNotFound) {
			t.Errorf("Image(%s) after DeleteManifest: %v", ref, err)
		}
		resp := tr.do(http.MethodGet, "/v2/web/manifests/"+ref, nil, nil, true)
		if resp.status != http.StatusNotFound {
			t.Errorf("GET %s after DeleteManifest: %d", ref, resp.status)
		}
	}
	resp := tr.do(http.MethodGet, "/v2/web/tags/list", nil, nil, true)
	if resp.status != http.StatusOK || !strings.Contains(string(resp.body), `"tags":[]`) {
		t.Errorf("tags after DeleteManifest: %d %s", resp.status, resp.body)
	}
	if err := tr.reg.DeleteManifest(ctx, "web", img.digest.String()); !errorIs(err, ErrImageNotFound) {
		t.Errorf("second DeleteManifest: %v", err)
	}
	if err := tr.reg.DeleteManifest(ctx, "web", "latest"); !errorIs(err, ErrInvalidDigest) {
		t.Errorf("DeleteManifest(tag): %v", err)
	}
	if imgs, err := tr.reg.Images(ctx, "web"); err != nil || len(imgs) != 0 {
		t.Errorf("Images after delete: %d %v", len(imgs), err)
	}
}

func TestRegistry_Uploads(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web"})
	ctx := context.Background()
	data := []byte("0123456789")
	id, err := tr.reg.StartUpload(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if last, err := tr.reg.UploadPart(ctx, "web", id, 0, bytes.NewReader(data[:4])); err != nil || last != 3 {
		t.Fatalf("part 1: %d %v", last, err)
	}
	for _, first := range []int64{0, 3, 5} {
		last, err := tr.reg.UploadPart(ctx, "web", id, first, bytes.NewReader(data[4:]))
		if !errorIs(err, ErrInvalidRange) || last != 3 {
			t.Errorf("part at %d: %d %v, want ErrInvalidRange", first, last, err)
		}
	}
	if last, err := tr.reg.UploadPart(ctx, "web", id, 4, bytes.NewReader(data[4:])); err != nil || last != 9 {
		t.Fatalf("part 2: %d %v", last, err)
	}
	if err := tr.reg.CompleteUpload(ctx, "web", id, digest.FromString("other").String()); !errorIs(err, ErrInvalidDigest) {
		t.Fatalf("complete with a wrong digest: %v", err)
	}
	if err := tr.reg.CompleteUpload(ctx, "web", id, "sha256:nothex"); !errorIs(err, ErrInvalidDigest) {
		t.Fatalf("complete with a malformed digest: %v", err)
	}
	if _, err := tr.reg.BlobSize(ctx, "web", digest.FromBytes(data).String()); !errorIs(err, ErrBlobNotFound) {
		t.Fatalf("blob exists before completion: %v", err)
	}
	if err := tr.reg.CompleteUpload(ctx, "web", id, digest.FromBytes(data).String()); err != nil {
		t.Fatalf("complete after a wrong digest: %v", err)
	}
	if n, err := tr.reg.BlobSize(ctx, "web", digest.FromBytes(data).String()); err != nil || n != 10 {
		t.Fatalf("BlobSize: %d %v", n, err)
	}
	resp := tr.do(http.MethodGet, "/v2/web/blobs/"+digest.FromBytes(data).String(), nil, nil, true)
	if resp.status != http.StatusOK || string(resp.body) != string(data) {
		t.Fatalf("HTTP GET of a Go-API blob: %d %q", resp.status, resp.body)
	}
	for _, bad := range []string{id, "../../x", "nope"} {
		if _, err := tr.reg.UploadPart(ctx, "web", bad, 0, bytes.NewReader(data)); !errorIs(err, ErrUploadNotFound) {
			t.Errorf("UploadPart(%q): %v", bad, err)
		}
		if err := tr.reg.CompleteUpload(ctx, "web", bad, digest.FromBytes(data).String()); !errorIs(err, ErrUploadNotFound) {
			t.Errorf("CompleteUpload(%q): %v", bad, err)
		}
	}
	if _, err := tr.reg.BlobSize(ctx, "other", digest.FromBytes(data).String()); !errorIs(err, ErrBlobNotFound) {
		t.Errorf("blob visible from another repository: %v", err)
	}
}

func TestRegistry_DeleteRepository(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "app"}, RepositoryInfo{Name: "app/api"})
	ctx := context.Background()
	img := newTestImage(t, false, 10)
	tr.pushGo("app", "v1", img)
	tr.pushGo("app/api", "v1", img)
	if err := tr.reg.DeleteRepository(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if imgs, err := tr.reg.Images(ctx, "app"); err != nil || len(imgs) != 0 {
		t.Errorf("app after delete: %d %v", len(imgs), err)
	}
	if _, err := tr.reg.BlobSize(ctx, "app", digest.FromBytes(img.layers[0]).String()); !errorIs(err, ErrBlobNotFound) {
		t.Errorf("app's layer link survived: %v", err)
	}
	if imgs, err := tr.reg.Images(ctx, "app/api"); err != nil || len(imgs) != 1 {
		t.Errorf("the nested repository lost its images: %d %v", len(imgs), err)
	}
	if err := tr.reg.DeleteRepository(ctx, "never-stored"); err != nil {
		t.Errorf("DeleteRepository of an empty repository: %v", err)
	}
	// A recreated repository starts empty and accepts pushes.
	tr.pushGo("app", "v1", img)
}
