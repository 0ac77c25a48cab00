// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

func TestHandler_Unauthenticated(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web"})
	tests := []struct {
		name   string
		path   string
		header map[string]string
	}{
		{name: "base without credentials", path: "/v2/"},
		{name: "manifest without credentials", path: "/v2/web/manifests/latest"},
		{name: "bad token", path: "/v2/", header: map[string]string{"Authorization": "Basic QVdTOndyb25n"}}, // AWS:wrong
		{name: "bearer instead of basic", path: "/v2/", header: map[string]string{"Authorization": "Bearer x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := tr.do(http.MethodGet, tc.path, nil, tc.header, false)
			if resp.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", resp.status, resp.body)
			}
			if got := resp.header.Get("WWW-Authenticate"); got != `Basic realm="berth"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
			if code, _ := resp.errorCode(); code != "UNAUTHORIZED" {
				t.Errorf("code %q, want UNAUTHORIZED: %s", code, resp.body)
			}
		})
	}
	if calls := tr.guard.take(); len(calls) != 0 {
		t.Errorf("unauthenticated requests reached Authorize: %v", calls)
	}
	resp := tr.do(http.MethodGet, "/v2/", nil, nil, true)
	if resp.status != http.StatusOK || resp.header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Fatalf("GET /v2/ with credentials: %d %v %s", resp.status, resp.header, resp.body)
	}
	if calls := tr.guard.take(); len(calls) != 0 {
		t.Errorf("GET /v2/ asked Authorize %v, want nothing", calls)
	}
}

// TestHandler_Actions pushes and pulls an image request by request and
// checks each asked the Guard for exactly the contract's ecr: action.
func TestHandler_Actions(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "team/web"}, RepositoryInfo{Name: "other"})
	img := newTestImage(t, false, 1000)
	layer, cfg := img.layers[0], img.config
	ld := digest.FromBytes(layer)
	repo := "/v2/team/web"

	step := func(name string, want int, wantCalls []string, method, path string, body []byte, header map[string]string) response {
		t.Helper()
		resp := tr.do(method, path, body, header, true)
		if resp.status != want {
			t.Fatalf("%s: status %d, want %d: %s", name, resp.status, want, resp.body)
		}
		if diff := cmp.Diff(wantCalls, tr.guard.take()); diff != "" {
			t.Errorf("%s: Authorize calls (-want +got):\n%s", name, diff)
		}
		return resp
	}
	act := func(a string) []string { return []string{a + " team/web"} }

	step("HEAD missing blob", 404, act("ecr:BatchCheckLayerAvailability"), http.MethodHead, repo+"/blobs/"+ld.String(), nil, nil)
	resp := step("POST upload", 202, act("ecr:InitiateLayerUpload"), http.MethodPost, repo+"/blobs/uploads/", nil, nil)
	loc := resp.header.Get("Location")
	resp = step("PATCH chunk", 202, act("ecr:UploadLayerPart"), http.MethodPatch, loc, layer,
		map[string]string{"Content-Type": "application/octet-stream", "Content-Range": "0-999"})
	loc = resp.header.Get("Location")
	step("GET upload status", 204, act("ecr:UploadLayerPart"), http.MethodGet, loc, nil, nil)
	step("PUT complete", 201, act("ecr:CompleteLayerUpload"), http.MethodPut, loc+"&digest="+ld.String(), nil, nil)
	step("HEAD blob", 200, act("ecr:BatchCheckLayerAvailability"), http.MethodHead, repo+"/blobs/"+ld.String(), nil, nil)
	resp = step("POST upload for a one-shot PUT", 202, act("ecr:InitiateLayerUpload"), http.MethodPost, repo+"/blobs/uploads/", nil, nil)
	step("PUT with the whole body", 201, act("ecr:CompleteLayerUpload"), http.MethodPut,
		resp.header.Get("Location")+"&digest="+digest.FromBytes(cfg).String(), cfg, map[string]string{"Content-Type": "application/octet-stream"})
	resp = step("POST then DELETE upload", 202, act("ecr:InitiateLayerUpload"), http.MethodPost, repo+"/blobs/uploads/", nil, nil)
	step("DELETE upload", 204, act("ecr:UploadLayerPart"), http.MethodDelete, resp.header.Get("Location"), nil, nil)
	step("PUT manifest", 201, act("ecr:PutImage"), http.MethodPut, repo+"/manifests/v1", img.manifest,
		map[string]string{"Content-Type": img.mediaType})
	resp = step("GET manifest", 200, act("ecr:BatchGetImage"), http.MethodGet, repo+"/manifests/v1", nil,
		map[string]string{"Accept": img.mediaType})
	if string(resp.body) != string(img.manifest) || resp.header.Get("Docker-Content-Digest") != img.digest.String() {
		t.Errorf("GET manifest: body or digest differ: %s", resp.header.Get("Docker-Content-Digest"))
	}
	step("HEAD manifest", 200, act("ecr:BatchGetImage"), http.MethodHead, repo+"/manifests/"+img.digest.String(), nil,
		map[string]string{"Accept": img.mediaType})
	resp = step("GET blob", 200, act("ecr:GetDownloadUrlForLayer"), http.MethodGet, repo+"/blobs/"+ld.String(), nil, nil)
	if string(resp.body) != string(layer) {
		t.Error("GET blob: body differs")
	}
	resp = step("tags list", 200, act("ecr:ListImages"), http.MethodGet, repo+"/tags/list", nil, nil)
	var tags struct {
		Name string
		Tags []string
	}
	if err := json.Unmarshal(resp.body, &tags); err != nil || tags.Name != "team/web" || !cmp.Equal(tags.Tags, []string{"v1"}) {
		t.Errorf("tags list: %s (%v)", resp.body, err)
	}
	step("cross-repo mount", 201, []string{"ecr:InitiateLayerUpload other", "ecr:GetDownloadUrlForLayer team/web"}, http.MethodPost,
		"/v2/other/blobs/uploads/?mount="+ld.String()+"&from=team/web", nil, nil)
	step("DELETE tag", 202, act("ecr:BatchDeleteImage"), http.MethodDelete, repo+"/manifests/v1", nil, nil)
	step("DELETE manifest", 202, act("ecr:BatchDeleteImage"), http.MethodDelete, repo+"/manifests/"+img.digest.String(), nil, nil)
	step("GET deleted manifest", 404, act("ecr:BatchGetImage"), http.MethodGet, repo+"/manifests/"+img.digest.String(), nil, nil)
	// "other" holds only a mounted layer, no manifest: not in the catalog.
	step("catalog", 200, []string{"ecr:DescribeRepositories team/web"}, http.MethodGet, "/v2/_catalog", nil, nil)
	step("no such route", 404, nil, http.MethodGet, repo+"/nothing/here", nil, nil)
	resp = step("DELETE blob is not served", 405, nil, http.MethodDelete, repo+"/blobs/"+ld.String(), nil, nil)
	if code, _ := resp.errorCode(); code != "UNSUPPORTED" {
		t.Errorf("DELETE blob: code %q", code)
	}
}

func TestHandler_Refusals(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web"})
	img := newTestImage(t, true, 10)
	tr.guard.set(func(g *fakeGuard) { g.deny["ecr:PutImage"] = true })

	tests := []struct {
		name      string
		method    string
		path      string
		wantCode  string
		status    int
		wantInMsg string
	}{
		{"denied push", http.MethodPut, "/v2/web/manifests/v1", "DENIED", 403, "ecr:PutImage"},
		{"unknown repository pull", http.MethodGet, "/v2/nope/manifests/v1", "NAME_UNKNOWN", 404,
			"The repository with name 'nope' does not exist in the registry with id '000000000000'"},
		{"unknown repository upload", http.MethodPost, "/v2/a/b/blobs/uploads/", "NAME_UNKNOWN", 404, "'a/b'"},
		{"unknown repository tags", http.MethodGet, "/v2/nope/tags/list", "NAME_UNKNOWN", 404, "'nope'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := tr.do(tc.method, tc.path, img.manifest, map[string]string{"Content-Type": img.mediaType}, true)
			code, msg := resp.errorCode()
			if resp.status != tc.status || code != tc.wantCode {
				t.Fatalf("got %d %s, want %d %s: %s", resp.status, code, tc.status, tc.wantCode, resp.body)
			}
			if !strings.Contains(msg, tc.wantInMsg) {
				t.Errorf("message %q does not contain %q", msg, tc.wantInMsg)
			}
		})
	}
	if imgs, err := tr.reg.Images(context.Background(), "web"); err != nil || len(imgs) != 0 {
		t.Errorf("a refused push stored something: %v %v", imgs, err)
	}

	// A denied mount source degrades to a plain upload: no blob leaks.
	tr2 := newTestRegistry(t, RepositoryInfo{Name: "src"}, RepositoryInfo{Name: "dst"})
	tr2.pushBlobHTTP("src", img.layers[0])
	tr2.guard.set(func(g *fakeGuard) { g.deny["ecr:GetDownloadUrlForLayer src"] = true })
	resp := tr2.do(http.MethodPost, "/v2/dst/blobs/uploads/?mount="+digest.FromBytes(img.layers[0]).String()+"&from=src", nil, nil, true)
	if resp.status != http.StatusAccepted {
		t.Fatalf("mount from a denied source: %d, want 202 (plain upload): %s", resp.status, resp.body)
	}
	if _, err := tr2.reg.BlobSize(context.Background(), "dst", digest.FromBytes(img.layers[0]).String()); err == nil {
		t.Error("the blob was mounted from a repository the caller may not read")
	}
}

func TestHandler_ImmutableTag(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web", ImmutableTags: true})
	a, b := newTestImage(t, false, 10), newTestImage(t, false, 20)
	if resp := tr.pushHTTP("web", "v1", a); resp.status != http.StatusCreated {
		t.Fatalf("first push: %d %s", resp.status, resp.body)
	}
	resp := tr.pushHTTP("web", "v1", b)
	code, msg := resp.errorCode()
	want := "The image tag 'v1' already exists in the 'web' repository and cannot be overwritten because the repository is immutable."
	if resp.status != http.StatusBadRequest || code != "TAG_INVALID" || msg != want {
		t.Fatalf("overwrite: %d %s %q", resp.status, code, msg)
	}
	if resp := tr.do(http.MethodPut, "/v2/web/manifests/v1", a.manifest, map[string]string{"Content-Type": a.mediaType}, true); resp.status != http.StatusCreated {
		t.Fatalf("re-push of the same digest: %d %s", resp.status, resp.body)
	}
	if resp := tr.do(http.MethodPut, "/v2/web/manifests/v2", b.manifest, map[string]string{"Content-Type": b.mediaType}, true); resp.status != http.StatusCreated {
		t.Fatalf("push of a new tag: %d %s", resp.status, resp.body)
	}
	img, err := tr.reg.Image(context.Background(), "web", "v1")
	if err != nil || img.Digest != a.digest.String() {
		t.Fatalf("v1 moved: %v %v", img.Digest, err)
	}
	// The Go API refuses the same way.
	_, err = tr.reg.PutManifest(context.Background(), "web", b.manifest, b.mediaType, "v1", "", true)
	if !errorIs(err, ErrTagImmutable) || !strings.Contains(err.Error(), want) {
		t.Fatalf("PutManifest overwrite: %v", err)
	}
}

func TestHandler_Catalog(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "a"}, RepositoryInfo{Name: "b"}, RepositoryInfo{Name: "c"}, RepositoryInfo{Name: "hidden"})
	img := newTestImage(t, false, 5)
	for _, r := range []string{"a", "b", "c", "hidden"} {
		tr.pushGo(r, "v1", img)
	}
	tr.guard.set(func(g *fakeGuard) {
		g.deny["ecr:DescribeRepositories hidden"] = true
		delete(g.repos, "c") // stored, but no longer in ECR
	})
	resp := tr.do(http.MethodGet, "/v2/_catalog?n=1", nil, nil, true)
	var cat struct{ Repositories []string }
	if err := json.Unmarshal(resp.body, &cat); err != nil || !cmp.Equal(cat.Repositories, []string{"a"}) {
		t.Fatalf("page 1: %s %v", resp.body, err)
	}
	if link := resp.header.Get("Link"); !strings.Contains(link, "last=a") {
		t.Fatalf("page 1 Link %q", link)
	}
	resp = tr.do(http.MethodGet, "/v2/_catalog?n=5&last=a", nil, nil, true)
	if err := json.Unmarshal(resp.body, &cat); err != nil || !cmp.Equal(cat.Repositories, []string{"b"}) {
		t.Fatalf("page 2: %s %v", resp.body, err)
	}
	if link := resp.header.Get("Link"); link != "" {
		t.Errorf("last page has Link %q", link)
	}
}

func TestHandler_EmptyRepositoryTags(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "empty"})
	resp := tr.do(http.MethodGet, "/v2/empty/tags/list", nil, nil, true)
	if resp.status != http.StatusOK || strings.TrimSpace(string(resp.body)) != `{"name":"empty","tags":[]}` {
		t.Fatalf("%d %s", resp.status, resp.body)
	}
	resp = tr.do(http.MethodGet, "/v2/empty/manifests/latest", nil, nil, true)
	if code, _ := resp.errorCode(); resp.status != http.StatusNotFound || code != "MANIFEST_UNKNOWN" {
		t.Fatalf("manifest of an empty repository: %d %s", resp.status, resp.body)
	}
}

// TestApp_RejectsUnstampedRequests checks the "berth" access controller:
// distribution's app alone, without accessHandler, admits nothing.
func TestApp_RejectsUnstampedRequests(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web"})
	rec := newRecorder()
	req, _ := http.NewRequest(http.MethodGet, "/v2/web/tags/list", nil)
	req.SetBasicAuth("AWS", testPassword)
	tr.reg.app.ServeHTTP(rec, req)
	if rec.code != http.StatusUnauthorized {
		t.Fatalf("bare app answered %d, want 401", rec.code)
	}
}

// TestHandler_ImmutableTagRace races HTTP and Go-API puts of different
// manifests to one tag of an immutable repository: exactly one wins.
func TestHandler_ImmutableTagRace(t *testing.T) {
	tr := newTestRegistry(t, RepositoryInfo{Name: "web", ImmutableTags: true})
	const n = 8
	imgs := make([]testImage, n)
	for i := range imgs {
		imgs[i] = newTestImage(t, false, 8)
		tr.pushGo("web", "", imgs[i])
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i, img := range imgs {
		wg.Go(func() {
			if i%2 == 0 {
				resp := tr.do(http.MethodPut, "/v2/web/manifests/race", img.manifest, map[string]string{"Content-Type": img.mediaType}, true)
				if resp.status == http.StatusCreated {
					wins.Add(1)
				} else if code, _ := resp.errorCode(); code != "TAG_INVALID" {
					t.Errorf("HTTP put: %d %s", resp.status, resp.body)
				}
				return
			}
			_, err := tr.reg.PutManifest(context.Background(), "web", img.manifest, img.mediaType, "race", "", true)
			if err == nil {
				wins.Add(1)
			} else if !errorIs(err, ErrTagImmutable) {
				t.Errorf("Go put: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d puts won the immutable tag, want 1", wins.Load())
	}
}
