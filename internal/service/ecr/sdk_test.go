// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
)

// apiCode is the AWS error code of an SDK error, "" for none.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

// must returns v, failing the test given to the result if err is set:
// must(c.CreateRepository(ctx, in))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// newUser creates an IAM user with an inline policy (none when doc is
// empty) and returns an ECR client signed with its key.
func newUser(t *testing.T, cp *testutil.ControlPlane, name, doc string) *ecr.Client {
	t.Helper()
	return ecr.NewFromConfig(cp.User(t, name, doc))
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// pushLayer uploads b through the ECR layer API in two parts.
func pushLayer(t *testing.T, c *ecr.Client, repo string, b []byte) string {
	t.Helper()
	ctx := context.Background()
	up := must(c.InitiateLayerUpload(ctx, &ecr.InitiateLayerUploadInput{RepositoryName: aws.String(repo)}))(t)
	half := len(b) / 2
	for _, p := range [][2]int{{0, half}, {half, len(b)}} {
		must(c.UploadLayerPart(ctx, &ecr.UploadLayerPartInput{
			RepositoryName: aws.String(repo), UploadId: up.UploadId,
			PartFirstByte: aws.Int64(int64(p[0])), PartLastByte: aws.Int64(int64(p[1] - 1)), LayerPartBlob: b[p[0]:p[1]],
		}))(t)
	}
	d := sha(b)
	must(c.CompleteLayerUpload(ctx, &ecr.CompleteLayerUploadInput{RepositoryName: aws.String(repo), UploadId: up.UploadId, LayerDigests: []string{d}}))(t)
	return d
}

// registryGet fetches a registry path with the given Basic credentials
// (none when pw is empty) and returns the status, the body and the
// registry error code of a failure.
func registryGet(t *testing.T, cp *testutil.ControlPlane, path, pw string) (int, []byte, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, cp.URL+path, nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	if pw != "" {
		req.SetBasicAuth("AWS", pw)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Errors []struct{ Code, Message string }
	}
	_ = json.Unmarshal(body, &e)
	code := ""
	if len(e.Errors) > 0 {
		code = e.Errors[0].Code
	}
	return resp.StatusCode, body, code
}

func loginPassword(t *testing.T, c *ecr.Client) string {
	t.Helper()
	out := must(c.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{}))(t)
	if len(out.AuthorizationData) == 0 {
		t.Fatal("GetAuthorizationToken returned no authorizationData")
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := strings.CutPrefix(string(raw), "AWS:")
	if !ok {
		t.Fatalf("token %q lacks AWS:", raw)
	}
	return pw
}

// TestService_SDKRoundTrip drives the ECR API with the aws-sdk-go-v2 ECR
// client (its own awsJson1_1 serialization and SigV4 signing) against a
// control plane with the real registry, then reads the pushed image back
// through the registry's HTTP API with the token's credentials, as docker
// would, under IAM and repository policies.
func TestService_SDKRoundTrip(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := ecr.NewFromConfig(cp.RootConfig())
	repo := "team/web"
	repoName := aws.String(repo)
	created := must(root.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: repoName}))(t)
	host := strings.TrimPrefix(cp.URL, "http://")
	if created.Repository == nil {
		t.Fatal("CreateRepository returned no repository")
	}
	if got := aws.ToString(created.Repository.RepositoryUri); got != host+"/"+repo {
		t.Fatalf("repositoryUri = %s, want %s/%s", got, host, repo)
	}

	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + sha([]byte("layer")) + `"]},"config":{}}`)
	layer := []byte("layer")
	cd, ld := pushLayer(t, root, repo, cfg), pushLayer(t, root, repo, layer)
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"%s"},`+
		`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":"%s"}]}`, len(cfg), cd, len(layer), ld)
	putIn := &ecr.PutImageInput{RepositoryName: repoName, ImageManifest: aws.String(manifest), ImageTag: aws.String("v1")}
	put := must(root.PutImage(ctx, putIn))(t)
	if put.Image == nil || put.Image.ImageId == nil {
		t.Fatalf("PutImage returned no image id: %+v", put.Image)
	}
	digest := aws.ToString(put.Image.ImageId.ImageDigest)
	if digest != sha([]byte(manifest)) {
		t.Fatalf("digest = %s", digest)
	}
	_, err := root.PutImage(ctx, putIn)
	var exists *ecrtypes.ImageAlreadyExistsException
	if code := apiCode(err); code != "ImageAlreadyExistsException" || !errors.As(err, &exists) {
		t.Fatalf("PutImage again: %s (%T)", code, err)
	}
	desc := must(root.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: repoName}))(t)
	if n := len(desc.ImageDetails); n != 1 || aws.ToString(desc.ImageDetails[0].ImageDigest) != digest ||
		len(desc.ImageDetails[0].ImageTags) == 0 || desc.ImageDetails[0].ImageTags[0] != "v1" ||
		aws.ToInt64(desc.ImageDetails[0].ImageSizeInBytes) != int64(len(cfg)+len(layer)) {
		t.Fatalf("DescribeImages = %+v", desc.ImageDetails)
	}
	got := must(root.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: repoName, ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}}))(t)
	if len(got.Images) == 0 || aws.ToString(got.Images[0].ImageManifest) != manifest {
		t.Fatalf("BatchGetImage = %+v (failures %+v)", got.Images, got.Failures)
	}
	url := aws.ToString(must(root.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: repoName, LayerDigest: aws.String(ld)}))(t).DownloadUrl)

	// The registry serves what the API stored, to the token's holder.
	pw := loginPassword(t, root)
	status, body, _ := registryGet(t, cp, "/v2/"+repo+"/manifests/v1", pw)
	if status != 200 || string(body) != manifest {
		t.Fatalf("GET manifest: %d %s", status, body)
	}
	status, body, _ = registryGet(t, cp, strings.TrimPrefix(url, cp.URL), pw)
	if status != 200 || string(body) != "layer" {
		t.Fatalf("GET %s: %d %q", url, status, body)
	}

	reader := newUser(t, cp, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Resource":"*"}]}`)
	tokenOnly := newUser(t, cp, "tokenonly", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"}]}`)
	readerPW, tokenPW := loginPassword(t, reader), loginPassword(t, tokenOnly)
	tests := []struct {
		name, path, pw string
		status         int
		code           string
	}{
		{"no credentials", "/v2/", "", 401, "UNAUTHORIZED"},
		{"forged token", "/v2/", "b1.x.y", 401, "UNAUTHORIZED"},
		{"base", "/v2/", tokenPW, 200, ""},
		{"reader pulls", "/v2/" + repo + "/manifests/v1", readerPW, 200, ""},
		{"no BatchGetImage", "/v2/" + repo + "/manifests/v1", tokenPW, 403, "DENIED"},
		{"unknown repository", "/v2/nope/manifests/v1", pw, 404, "NAME_UNKNOWN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, code := registryGet(t, cp, tc.path, tc.pw)
			if status != tc.status || code != tc.code {
				t.Fatalf("GET %s: %d %s (%s), want %d %s", tc.path, status, code, body, tc.status, tc.code)
			}
		})
	}
	getV1 := &ecr.BatchGetImageInput{RepositoryName: repoName, ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}}
	if _, err := tokenOnly.BatchGetImage(ctx, getV1); apiCode(err) != "AccessDeniedException" {
		t.Fatalf("BatchGetImage without permission: %s", apiCode(err))
	}

	// A repository policy denying the reader narrows its access at once.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + testutil.AccountID + `:user/reader"},"Action":"ecr:BatchGetImage"}]}`
	must(root.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: repoName, PolicyText: aws.String(deny)}))(t)
	if status, _, code := registryGet(t, cp, "/v2/"+repo+"/manifests/v1", readerPW); status != 403 || code != "DENIED" {
		t.Fatalf("reader after the Deny policy: %d %s", status, code)
	}
	if _, err := reader.BatchGetImage(ctx, getV1); apiCode(err) != "AccessDeniedException" {
		t.Fatalf("BatchGetImage under the Deny policy: %s", apiCode(err))
	}
	if status, _, _ := registryGet(t, cp, "/v2/"+repo+"/manifests/v1", pw); status != 200 {
		t.Fatalf("root after the Deny policy: %d", status)
	}
	must(root.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: repoName}))(t)
	if status, _, _ := registryGet(t, cp, "/v2/"+repo+"/manifests/v1", readerPW); status != 200 {
		t.Fatalf("reader after the policy was deleted: %d", status)
	}

	// Deleting the reader's key stops its token at once.
	ic := iam.NewFromConfig(cp.RootConfig())
	keys, err := ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("reader")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("reader"), AccessKeyId: keys.AccessKeyMetadata[0].AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := registryGet(t, cp, "/v2/", readerPW); status != 401 {
		t.Fatalf("token of a deleted key: %d, want 401", status)
	}

	// DeleteRepository without force refuses; with force the registry forgets it.
	_, err = root.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: repoName})
	var notEmpty *ecrtypes.RepositoryNotEmptyException
	if code := apiCode(err); code != "RepositoryNotEmptyException" || !errors.As(err, &notEmpty) {
		t.Fatalf("DeleteRepository: %s (%T)", code, err)
	}
	must(root.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: repoName, Force: true}))(t)
	if status, _, code := registryGet(t, cp, "/v2/"+repo+"/manifests/v1", pw); status != 404 || code != "NAME_UNKNOWN" {
		t.Fatalf("pull after delete: %d %s", status, code)
	}
	must(root.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: repoName}))(t)
	if imgs := must(root.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: repoName}))(t); len(imgs.ImageIds) != 0 {
		t.Fatalf("a re-created repository has images %+v", imgs.ImageIds)
	}
}

// TestService_OpenAuthRegistry: with --auth open, the token of any
// well-formed signature logs in as the account root.
func TestService_OpenAuthRegistry(t *testing.T) {
	cp := testutil.TestControlPlane(t, testutil.WithAuthMode("open"))
	c := ecr.NewFromConfig(testutil.Config(cp.URL, "test", "test", ""))
	must(c.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String("web")}))(t)
	pw := loginPassword(t, c)
	if status, body, _ := registryGet(t, cp, "/v2/web/tags/list", pw); status != 200 {
		t.Fatalf("GET tags/list in open mode: %d %s", status, body)
	}
}
