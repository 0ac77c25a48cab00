// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/berthdev/berth/internal/principal"
	"github.com/opencontainers/go-digest"
)

const (
	testAccount  = "000000000000"
	testPassword = "token-password"
)

// fakeGuard is a Guard over in-memory tables: one valid password, the
// repositories that exist, and per-action refusals. It records every
// Authorize call as "action repo".
type fakeGuard struct {
	mu     sync.Mutex
	repos  map[string]RepositoryInfo
	deny   map[string]bool // action or "action repo" → denied
	calls  []string
	lookup []string // Repository calls
}

func newFakeGuard(repos ...RepositoryInfo) *fakeGuard {
	g := &fakeGuard{repos: map[string]RepositoryInfo{}, deny: map[string]bool{}}
	for _, r := range repos {
		g.repos[r.Name] = r
	}
	return g
}

func (g *fakeGuard) Authenticate(ctx context.Context, username, password string) (context.Context, error) {
	if username != "AWS" || password != testPassword {
		return nil, fmt.Errorf("%w: bad token", ErrUnauthenticated)
	}
	return principal.NewContext(ctx, &principal.Principal{
		Kind: principal.User, AccountID: testAccount,
		ARN: "arn:aws:iam::" + testAccount + ":user/dev", Name: "dev",
	}), nil
}

func (g *fakeGuard) Authorize(ctx context.Context, action, repository string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, action+" "+repository)
	if principal.FromContext(ctx) == nil {
		return fmt.Errorf("%w: no principal", ErrDenied)
	}
	if g.deny[action] || g.deny[action+" "+repository] {
		return fmt.Errorf("%w: User: arn:aws:iam::%s:user/dev is not authorized to perform: %s on resource: arn:aws:ecr:us-east-1:%s:repository/%s",
			ErrDenied, testAccount, action, testAccount, repository)
	}
	if _, ok := g.repos[repository]; !ok {
		return fmt.Errorf("%w: %s", ErrRepositoryNotFound, repository)
	}
	return nil
}

func (g *fakeGuard) Repository(ctx context.Context, name string) (RepositoryInfo, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lookup = append(g.lookup, name)
	info, ok := g.repos[name]
	if !ok {
		return RepositoryInfo{}, fmt.Errorf("%w: %s", ErrRepositoryNotFound, name)
	}
	return info, nil
}

// take returns and clears the recorded Authorize calls.
func (g *fakeGuard) take() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.calls
	g.calls = nil
	return c
}

func (g *fakeGuard) set(f func(g *fakeGuard)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(g)
}

// testRegistry is a Registry on a temp dir served by an httptest server
// on 127.0.0.1.
type testRegistry struct {
	t     testing.TB
	reg   *Registry
	guard *fakeGuard
	srv   *httptest.Server
	root  string
}

func newTestRegistry(t *testing.T, repos ...RepositoryInfo) *testRegistry {
	t.Helper()
	return newTestRegistryAt(t, t.TempDir(), newFakeGuard(repos...))
}

func newTestRegistryAt(t *testing.T, root string, g *fakeGuard) *testRegistry {
	t.Helper()
	reg, err := Open(Config{RootDir: root}, Deps{Guard: g})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := reg.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testRegistry{t: t, reg: reg, guard: g, srv: srv, root: root}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errorCode returns the first registry error code of a JSON error body.
func (r response) errorCode() (code, message string) {
	var e struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	if json.Unmarshal(r.body, &e) != nil || len(e.Errors) == 0 {
		return "", ""
	}
	return e.Errors[0].Code, e.Errors[0].Message
}

// do sends one request with the test credentials (auth false: none).
func (tr *testRegistry) do(method, path string, body []byte, header map[string]string, auth bool) response {
	tr.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = tr.srv.URL + path
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		tr.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if auth {
		req.SetBasicAuth("AWS", testPassword)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tr.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// testImage is a generated image: a config, layers and a manifest.
type testImage struct {
	config    []byte
	layers    [][]byte
	manifest  []byte
	mediaType string
	digest    digest.Digest
}

func (i testImage) size() int64 {
	n := int64(len(i.config))
	for _, l := range i.layers {
		n += int64(len(l))
	}
	return n
}

// newTestImage generates an image with random layers of the given sizes
// as a Docker schema2 (oci false) or OCI image manifest.
func newTestImage(t testing.TB, oci bool, layerSizes ...int) testImage {
	t.Helper()
	img := testImage{config: []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":%q}`, rand.Text()))}
	cfgType, layerType := "application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip"
	img.mediaType = "application/vnd.docker.distribution.manifest.v2+json"
	if oci {
		cfgType, layerType = "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"
		img.mediaType = "application/vnd.oci.image.manifest.v1+json"
	}
	type desc struct {
		MediaType string `json:"mediaType"`
		Size      int    `json:"size"`
		Digest    string `json:"digest"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{SchemaVersion: 2, MediaType: img.mediaType, Config: desc{cfgType, len(img.config), digest.FromBytes(img.config).String()}, Layers: []desc{}}
	for _, n := range layerSizes {
		l := make([]byte, n)
		if _, err := rand.Read(l); err != nil {
			t.Fatal(err)
		}
		img.layers = append(img.layers, l)
		m.Layers = append(m.Layers, desc{layerType, n, digest.FromBytes(l).String()})
	}
	b, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		t.Fatal(err)
	}
	img.manifest = b
	img.digest = digest.FromBytes(b)
	return img
}

// pushBlobHTTP uploads one blob with POST, PATCH (in two chunks) and PUT.
func (tr *testRegistry) pushBlobHTTP(repo string, blob []byte) {
	tr.t.Helper()
	resp := tr.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, nil, true)
	if resp.status != http.StatusAccepted {
		tr.t.Fatalf("POST upload: %d %s", resp.status, resp.body)
	}
	loc := resp.header.Get("Location")
	half := len(blob) / 2
	for i, chunk := range [][]byte{blob[:half], blob[half:]} {
		start := []int{0, half}[i]
		resp = tr.do(http.MethodPatch, loc, chunk, map[string]string{
			"Content-Type":  "application/octet-stream",
			"Content-Range": fmt.Sprintf("%d-%d", start, start+len(chunk)-1),
		}, true)
		if resp.status != http.StatusAccepted {
			tr.t.Fatalf("PATCH upload: %d %s", resp.status, resp.body)
		}
		loc = resp.header.Get("Location")
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	resp = tr.do(http.MethodPut, loc+sep+"digest="+digest.FromBytes(blob).String(), nil, nil, true)
	if resp.status != http.StatusCreated {
		tr.t.Fatalf("PUT upload: %d %s", resp.status, resp.body)
	}
}

// pushHTTP pushes an image's blobs and its manifest (by ref) over HTTP.
func (tr *testRegistry) pushHTTP(repo, ref string, img testImage) response {
	tr.t.Helper()
	tr.pushBlobHTTP(repo, img.config)
	for _, l := range img.layers {
		tr.pushBlobHTTP(repo, l)
	}
	return tr.do(http.MethodPut, "/v2/"+repo+"/manifests/"+ref, img.manifest, map[string]string{"Content-Type": img.mediaType}, true)
}

// pushGo pushes an image's blobs and manifest with the Go API.
func (tr *testRegistry) pushGo(repo, tag string, img testImage) Image {
	tr.t.Helper()
	ctx := context.Background()
	for _, b := range append([][]byte{img.config}, img.layers...) {
		id, err := tr.reg.StartUpload(ctx, repo)
		if err != nil {
			tr.t.Fatal(err)
		}
		half := len(b) / 2
		if _, err := tr.reg.UploadPart(ctx, repo, id, 0, bytes.NewReader(b[:half])); err != nil {
			tr.t.Fatal(err)
		}
		last, err := tr.reg.UploadPart(ctx, repo, id, int64(half), bytes.NewReader(b[half:]))
		if err != nil {
			tr.t.Fatal(err)
		}
		if last != int64(len(b)-1) {
			tr.t.Fatalf("UploadPart: last byte %d, want %d", last, len(b)-1)
		}
		if err := tr.reg.CompleteUpload(ctx, repo, id, digest.FromBytes(b).String()); err != nil {
			tr.t.Fatal(err)
		}
	}
	got, err := tr.reg.PutManifest(ctx, repo, img.manifest, img.mediaType, tag, "", false)
	if err != nil {
		tr.t.Fatal(err)
	}
	return got
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
