// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/opencontainers/go-digest"

	"github.com/berthdev/berth/internal/controlplane"
	"github.com/berthdev/berth/internal/testutil"
)

// TestServer_RegistryStorageS3 runs a control plane whose registry keeps
// its images in a bucket of another control plane's S3: an image pushed
// over /v2/ is in DescribeImages and pulls back, its blobs are objects in
// the bucket and nothing lands in DATA_DIR/registry.
func TestServer_RegistryStorageS3(t *testing.T) {
	ctx := context.Background()
	store := testutil.TestControlPlane(t)
	s3c := s3.NewFromConfig(store.RootConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("images")}); err != nil {
		t.Fatal(err)
	}
	id, secret := store.RootCredentials()
	storageURL := fmt.Sprintf("s3://images/cp?endpoint=%s&access-key=%s&secret-key=%s",
		url.QueryEscape(store.URL), url.QueryEscape(id), url.QueryEscape(secret))
	cp := testutil.TestControlPlane(t, func(c *controlplane.Config) { c.RegistryStorage = storageURL })

	ecrc := ecr.NewFromConfig(cp.RootConfig())
	if _, err := ecrc.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	tok, err := ecrc.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	auth := "Basic " + aws.ToString(tok.AuthorizationData[0].AuthorizationToken)
	do := func(want int, method, path, contentType string, body []byte) (*http.Response, []byte) {
		t.Helper()
		u := path
		if !strings.HasPrefix(u, "http") {
			u = cp.URL + path
		}
		req, err := http.NewRequest(method, u, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		return resp, b
	}

	layer := make([]byte, 100_000)
	if _, err := rand.Read(layer); err != nil {
		t.Fatal(err)
	}
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	for _, b := range [][]byte{config, layer} {
		resp, _ := do(http.StatusAccepted, http.MethodPost, "/v2/web/blobs/uploads/", "", nil)
		loc := resp.Header.Get("Location")
		sep := "?"
		if strings.Contains(loc, "?") {
			sep = "&"
		}
		do(http.StatusCreated, http.MethodPut, loc+sep+"digest="+digest.FromBytes(b).String(), "application/octet-stream", b)
	}
	const mt = "application/vnd.docker.distribution.manifest.v2+json"
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":%q},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":%q}]}`,
		mt, len(config), digest.FromBytes(config), len(layer), digest.FromBytes(layer))
	do(http.StatusCreated, http.MethodPut, "/v2/web/manifests/v1", mt, []byte(manifest))

	out, err := ecrc.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ImageDetails) != 1 || aws.ToString(out.ImageDetails[0].ImageDigest) != digest.FromString(manifest).String() ||
		len(out.ImageDetails[0].ImageTags) != 1 || out.ImageDetails[0].ImageTags[0] != "v1" {
		t.Fatalf("DescribeImages = %+v", out.ImageDetails)
	}
	if _, got := do(http.StatusOK, http.MethodGet, "/v2/web/blobs/"+digest.FromBytes(layer).String(), "", nil); !bytes.Equal(got, layer) {
		t.Fatal("pulled layer differs")
	}

	hex := digest.FromBytes(layer).Encoded()
	key := "cp/docker/registry/v2/blobs/sha256/" + hex[:2] + "/" + hex + "/data"
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("images"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject %s: %v", key, err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(layer)) {
		t.Errorf("object %s: %d bytes, want %d", key, aws.ToInt64(head.ContentLength), len(layer))
	}
	if _, err := os.Stat(filepath.Join(cp.DataDir, "registry", "docker")); !os.IsNotExist(err) {
		t.Errorf("DATA_DIR/registry/docker exists with S3 storage (stat: %v)", err)
	}
}

// TestServer_RegistryStorageInvalid checks that a bad --registry-storage
// stops the control plane at startup with an error that does not quote
// the secret key.
func TestServer_RegistryStorageInvalid(t *testing.T) {
	const secret = "do-not-print-this-secret"
	cfg := controlplane.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Region: testutil.Region, AccountID: testutil.AccountID,
		RegistryStorage: "s3://images?secret-key=" + secret}
	srv, err := controlplane.New(cfg, controlplane.Deps{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		err = srv.Start(context.Background())
		if err == nil {
			_ = srv.Close(context.Background())
			t.Fatal("a secret key without an access key was accepted")
		}
	}
	if !strings.Contains(err.Error(), "access-key and secret-key go together") || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v", err)
	}
}
