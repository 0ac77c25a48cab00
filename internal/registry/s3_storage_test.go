// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/opencontainers/go-digest"

	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/testutil"
)

const s3TestPassword = "s3-test-password"

// allowGuard admits user AWS with s3TestPassword to every action on the
// repositories it lists.
type allowGuard map[string]bool

func (g allowGuard) Authenticate(ctx context.Context, username, password string) (context.Context, error) {
	if username != "AWS" || password != s3TestPassword {
		return nil, fmt.Errorf("%w: bad token", registry.ErrUnauthenticated)
	}
	return principal.NewContext(ctx, &principal.Principal{Kind: principal.User, AccountID: testutil.AccountID,
		ARN: "arn:aws:iam::" + testutil.AccountID + ":user/dev", Name: "dev"}), nil
}

func (g allowGuard) Authorize(_ context.Context, _, repository string) error {
	if !g[repository] {
		return fmt.Errorf("%w: %s", registry.ErrRepositoryNotFound, repository)
	}
	return nil
}

func (g allowGuard) Repository(_ context.Context, name string) (registry.RepositoryInfo, error) {
	if !g[name] {
		return registry.RepositoryInfo{}, fmt.Errorf("%w: %s", registry.ErrRepositoryNotFound, name)
	}
	return registry.RepositoryInfo{Name: name}, nil
}

// s3Bucket starts a control plane, creates bucket in its S3 and returns
// an S3 client and the registry storage URL of bucket/prefix with the
// root key as static credentials.
func s3Bucket(t *testing.T, bucket, prefix string) (*s3.Client, string) {
	t.Helper()
	cp := testutil.TestControlPlane(t)
	c := s3.NewFromConfig(cp.RootConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	id, secret := cp.RootCredentials()
	return c, fmt.Sprintf("s3://%s/%s?endpoint=%s&region=%s&access-key=%s&secret-key=%s", bucket, prefix,
		url.QueryEscape(cp.URL), testutil.Region, url.QueryEscape(id), url.QueryEscape(secret))
}

// s3Objects lists every key (and its size) in bucket.
func s3Objects(t *testing.T, c *s3.Client, bucket string) map[string]int64 {
	t.Helper()
	objs := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			objs[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	return objs
}

// client is raw HTTP against one registry with the test credentials.
type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path string, body []byte, header map[string]string) (*http.Response, []byte) {
	c.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = c.base + path
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.SetBasicAuth("AWS", s3TestPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, b
}

func (c client) want(status int, method, path string, body []byte, header map[string]string) (*http.Response, []byte) {
	c.t.Helper()
	resp, b := c.do(method, path, body, header)
	if resp.StatusCode != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, b)
	}
	return resp, b
}

// pushBlob uploads blob with POST, one PATCH per chunk of chunk bytes and
// PUT: each PATCH ends a request, so the next one resumes the upload.
func (c client) pushBlob(repo string, blob []byte, chunk int) {
	c.t.Helper()
	resp, _ := c.want(http.StatusAccepted, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, nil)
	loc := resp.Header.Get("Location")
	for start := 0; start < len(blob); start += chunk {
		part := blob[start:min(start+chunk, len(blob))]
		resp, _ = c.want(http.StatusAccepted, http.MethodPatch, loc, part, map[string]string{
			"Content-Type":  "application/octet-stream",
			"Content-Range": fmt.Sprintf("%d-%d", start, start+len(part)-1),
		})
		loc = resp.Header.Get("Location")
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	c.want(http.StatusCreated, http.MethodPut, loc+sep+"digest="+digest.FromBytes(blob).String(), nil, nil)
}

// image is a schema2 image: config, layers and manifest.
type image struct {
	config, manifest []byte
	layers           [][]byte
}

const manifestType = "application/vnd.docker.distribution.manifest.v2+json"

func newImage(t *testing.T, layerSizes ...int) image {
	t.Helper()
	img := image{config: []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":"` + rand.Text() + `"}`)}
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
	}{2, manifestType, desc{"application/vnd.docker.container.image.v1+json", len(img.config), digest.FromBytes(img.config).String()}, nil}
	for _, n := range layerSizes {
		l := make([]byte, n)
		if _, err := rand.Read(l); err != nil {
			t.Fatal(err)
		}
		img.layers = append(img.layers, l)
		m.Layers = append(m.Layers, desc{"application/vnd.docker.image.rootfs.diff.tar.gzip", n, digest.FromBytes(l).String()})
	}
	var err error
	if img.manifest, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return img
}

func (img image) blobs() [][]byte { return append([][]byte{img.config}, img.layers...) }

// pull fetches ref's manifest and every blob over HTTP and compares them
// with img.
func (c client) pull(repo, ref string, img image) {
	c.t.Helper()
	_, m := c.want(http.StatusOK, http.MethodGet, "/v2/"+repo+"/manifests/"+ref, nil, map[string]string{"Accept": manifestType})
	if !bytes.Equal(m, img.manifest) {
		c.t.Fatalf("GET manifest %s:%s: body differs", repo, ref)
	}
	for _, b := range img.blobs() {
		_, got := c.want(http.StatusOK, http.MethodGet, "/v2/"+repo+"/blobs/"+digest.FromBytes(b).String(), nil, nil)
		if !bytes.Equal(got, b) {
			c.t.Fatalf("GET blob %s: %d bytes differ from the %d pushed", digest.FromBytes(b), len(got), len(b))
		}
	}
}

// TestS3Storage_PushPull runs the registry on a bucket of berth's own S3:
// an image pushed over HTTP (a layer larger than a multipart part, sent in
// PATCH chunks smaller than S3's minimum part) and one pushed with the Go
// API (its parts sent through a second Registry on the same bucket, as
// another replica would) are pulled back both ways, their blobs are
// objects under the prefix, and the second Registry sees both.
func TestS3Storage_PushPull(t *testing.T) {
	const bucket, prefix = "registry-store", "team-a/reg"
	s3c, storageURL := s3Bucket(t, bucket, prefix)
	// Another tenant's object in the bucket must stay untouched.
	if _, err := s3c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("team-b/keep"),
		Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	guard := allowGuard{"team/web": true, "team/api": true}
	open := func() (*registry.Registry, client) {
		t.Helper()
		reg, err := registry.Open(registry.Config{Storage: storageURL}, registry.Deps{Guard: guard})
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
		return reg, client{t: t, base: srv.URL}
	}
	reg, c := open()
	// A second registry on the same bucket: another control-plane replica.
	reg2, c2 := open()
	ctx := context.Background()

	// HTTP push: a 12 MiB layer in 4 MiB PATCHes and a small one.
	web := newImage(t, 12<<20, 1000)
	for _, b := range web.blobs() {
		c.pushBlob("team/web", b, 4<<20)
	}
	c.want(http.StatusCreated, http.MethodPut, "/v2/team/web/manifests/v1", web.manifest, map[string]string{"Content-Type": manifestType})
	c.pull("team/web", "v1", web)
	imgs, err := reg.Images(ctx, "team/web")
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Digest != digest.FromBytes(web.manifest).String() || !slices.Equal(imgs[0].Tags, []string{"v1"}) {
		t.Fatalf("Images(team/web) after an HTTP push = %+v", imgs)
	}

	// Go API push, its upload's parts split between the two registries,
	// and HTTP pull.
	api := newImage(t, 6<<20)
	for _, b := range api.blobs() {
		id, err := reg.StartUpload(ctx, "team/api")
		if err != nil {
			t.Fatal(err)
		}
		half := len(b) / 2
		if _, err := reg.UploadPart(ctx, "team/api", id, 0, bytes.NewReader(b[:half])); err != nil {
			t.Fatal(err)
		}
		if _, err := reg2.UploadPart(ctx, "team/api", id, int64(half), bytes.NewReader(b[half:])); err != nil {
			t.Fatal(err)
		}
		if err := reg.CompleteUpload(ctx, "team/api", id, digest.FromBytes(b).String()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.PutManifest(ctx, "team/api", api.manifest, manifestType, "latest", "", false); err != nil {
		t.Fatal(err)
	}
	c.pull("team/api", "latest", api)

	// Every blob is an object under the prefix, of the blob's size; the
	// other tenant's object is all there is outside it.
	objs := s3Objects(t, s3c, bucket)
	for _, b := range append(web.blobs(), api.blobs()...) {
		hex := digest.FromBytes(b).Encoded()
		key := prefix + "/docker/registry/v2/blobs/sha256/" + hex[:2] + "/" + hex + "/data"
		if size, ok := objs[key]; !ok || size != int64(len(b)) {
			t.Errorf("object %s: present %v, size %d, want %d", key, ok, size, len(b))
		}
	}
	for k := range objs {
		if !strings.HasPrefix(k, prefix+"/") && k != "team-b/keep" {
			t.Errorf("object %s outside the prefix %s/", k, prefix)
		}
	}
	if _, ok := objs["team-b/keep"]; !ok {
		t.Error("the object outside the prefix is gone")
	}

	// An HTTP upload's state token is signed with a per-process secret:
	// the other registry refuses to continue it (the documented need for
	// sticky sessions).
	resp, _ := c.want(http.StatusAccepted, http.MethodPost, "/v2/team/web/blobs/uploads/", nil, nil)
	if resp, body := c2.do(http.MethodPatch, resp.Header.Get("Location"), []byte("x"),
		map[string]string{"Content-Type": "application/octet-stream", "Content-Range": "0-0"}); resp.StatusCode != http.StatusNotFound || !bytes.Contains(body, []byte("BLOB_UPLOAD_INVALID")) {
		t.Errorf("PATCH of another registry's upload: status %d, want 404 BLOB_UPLOAD_INVALID: %s", resp.StatusCode, body)
	}

	// The second registry sees both images.
	c2.pull("team/web", "v1", web)
	c2.pull("team/api", "latest", api)
	imgs, err = reg2.Images(ctx, "team/api")
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Digest != digest.FromBytes(api.manifest).String() || imgs[0].Size != int64(len(api.config)+len(api.layers[0])) {
		t.Fatalf("Images(team/api) on the second registry = %+v", imgs)
	}

	// Deleting the repository on one removes its links from the bucket.
	if err := reg2.DeleteRepository(ctx, "team/web"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Image(ctx, "team/web", "v1"); err == nil {
		t.Error("Image(team/web:v1) after DeleteRepository on the other registry: no error")
	}
	for k := range s3Objects(t, s3c, bucket) {
		if strings.HasPrefix(k, prefix+"/docker/registry/v2/repositories/team/web/") {
			t.Errorf("object %s left after DeleteRepository", k)
		}
	}
}

// TestS3Storage_MissingBucket checks that Open on a bucket that does not
// exist succeeds (it contacts nothing) and that requests then fail with a
// server error that the Logger records, never a 404 that would pass for
// an empty registry.
func TestS3Storage_MissingBucket(t *testing.T) {
	_, storageURL := s3Bucket(t, "present", "")
	storageURL = strings.Replace(storageURL, "s3://present/", "s3://absent/", 1)
	logs := &syncBuffer{}
	reg, err := registry.Open(registry.Config{Storage: storageURL, Logger: slog.New(slog.NewTextHandler(logs, nil))},
		registry.Deps{Guard: allowGuard{"web": true}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = reg.Close()
	})
	c := client{t: t, base: srv.URL}
	resp, body := c.do(http.MethodPost, "/v2/web/blobs/uploads/", nil, nil)
	if resp.StatusCode < 500 {
		t.Fatalf("POST upload on a missing bucket: status %d: %s", resp.StatusCode, body)
	}
	if _, err := reg.Images(context.Background(), "web"); err == nil {
		t.Fatal("Images on a missing bucket: no error")
	}
	if !strings.Contains(logs.String(), "NoSuchBucket") {
		t.Errorf("the log does not name the error:\n%s", logs.String())
	}
}

// syncBuffer is a text buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
