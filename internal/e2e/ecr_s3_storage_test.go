// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/berthdev/berth/internal/testutil"
)

// TestECR_DockerPushPullS3Storage runs `berth server --registry-storage
// s3://…` against a bucket of a second berth server's S3, with the
// storage credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: docker
// pushes and pulls through it, the layers are objects in the bucket, and
// the server's log never holds the secret key.
func TestECR_DockerPushPullS3Storage(t *testing.T) {
	dk := newECRDocker(t)
	const storeID, storeSecret = "AKIASTORAGEROOT00001", "storage-secret-key-0000000000000000000001"
	store := testutil.StartServer(t, t.TempDir(), []string{"BERTH_ROOT_ACCESS_KEY_ID=" + storeID, "BERTH_ROOT_SECRET_ACCESS_KEY=" + storeSecret})
	s3c := s3.NewFromConfig(testutil.Config(store.URL, storeID, storeSecret, ""), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("images")}); err != nil {
		t.Fatal(err)
	}

	// AWS_EC2_METADATA_DISABLED keeps the SDK's credential chain off the
	// instance metadata service should the environment keys be ignored.
	p := testutil.StartServer(t, t.TempDir(),
		[]string{"AWS_ACCESS_KEY_ID=" + storeID, "AWS_SECRET_ACCESS_KEY=" + storeSecret, "AWS_SESSION_TOKEN=",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_CONFIG_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"},
		"--registry-storage", "s3://images/berth?endpoint="+store.URL, "--log-level", "debug")
	root := ecrRootEnv(p)
	ecrAWS(t, p, root, "ecr", "create-repository", "--repository-name", "web")
	ref := p.Addr + "/web:1"
	dk.buildImage(ref, 6<<20)
	localID := dk.imageID(ref)
	dk.login(p.Addr, strings.TrimSpace(ecrAWS(t, p, root, "ecr", "get-login-password")))
	dk.must("push", ref)
	dk.must("image", "rm", ref)
	dk.must("pull", ref)
	if id := dk.imageID(ref); id != localID {
		t.Fatalf("pulled image id %s, pushed %s", id, localID)
	}

	out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("images"), Prefix: aws.String("berth/docker/registry/v2/blobs/")})
	if err != nil {
		t.Fatal(err)
	}
	var big int
	for _, o := range out.Contents {
		if aws.ToInt64(o.Size) > 6<<20 {
			big++
		}
	}
	// The layer (6 MiB of random bytes, gzipped by docker) is the one large blob.
	if big != 1 {
		t.Errorf("%d blobs over 6 MiB in the bucket, want the layer: %d objects", big, len(out.Contents))
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.Log.String())
	}
	if log := p.Log.String(); strings.Contains(log, storeSecret) || !strings.Contains(log, "bucket=images") {
		t.Errorf("the server log holds the storage secret key or lacks the storage line:\n%s", log)
	}
}
