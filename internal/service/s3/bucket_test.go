// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/testutil"
)

func TestService_Buckets(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")}))(t)
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("beta.example")}))(t)
	must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("beta.example"), Key: aws.String("k"), Body: strings.NewReader("x")}))(t)

	euCfg := cp.RootConfig()
	euCfg.Region = "eu-west-1"
	eu := pathClient(euCfg)

	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"create own bucket again in us-east-1 succeeds", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")})
			return err
		}, "", 200},
		{"create own bucket again elsewhere", func() error {
			_, err := eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha"),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}})
			return err
		}, "BucketAlreadyOwnedByYou", 409},
		{"name too short", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ab")})
			return err
		}, "InvalidBucketName", 400},
		{"name as IP address", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("192.168.5.4")})
			return err
		}, "InvalidBucketName", 400},
		{"adjacent dots", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("a..b")})
			return err
		}, "InvalidBucketName", 400},
		{"reserved prefix", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("xn--bucket")})
			return err
		}, "InvalidBucketName", 400},
		{"no location constraint outside us-east-1", func() error {
			_, err := eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("gamma")})
			return err
		}, "IllegalLocationConstraintException", 400},
		{"head missing bucket", func() error {
			_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing")})
			return err
		}, "NotFound", 404},
		{"delete missing bucket", func() error {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("missing")})
			return err
		}, "NoSuchBucket", 404},
		{"delete non-empty bucket", func() error {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta.example")})
			return err
		}, "BucketNotEmpty", 409},
		{"list objects of missing bucket", func() error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("missing")})
			return err
		}, "NoSuchBucket", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.code == "" {
				if err != nil {
					t.Fatalf("error = %v, want success", err)
				}
				return
			}
			wantError(t, err, tc.code, tc.status)
		})
	}

	eb := must(eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eu-bucket"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}))(t)
	if aws.ToString(eb.Location) != "/eu-bucket" {
		t.Errorf("Location = %q", aws.ToString(eb.Location))
	}
	for bucket, want := range map[string]types.BucketLocationConstraint{"alpha": "", "eu-bucket": "eu-west-1"} {
		loc := must(c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)}))(t)
		if loc.LocationConstraint != want {
			t.Errorf("GetBucketLocation(%s) = %q, want %q", bucket, loc.LocationConstraint, want)
		}
	}
	head := must(c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("eu-bucket")}))(t)
	if aws.ToString(head.BucketRegion) != "eu-west-1" {
		t.Errorf("HeadBucket region = %q", aws.ToString(head.BucketRegion))
	}

	list := must(c.ListBuckets(ctx, &s3.ListBucketsInput{}))(t)
	var names []string
	for _, b := range list.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil {
			t.Errorf("bucket %s has no creation date", aws.ToString(b.Name))
		}
	}
	if diff := cmp.Diff([]string{"alpha", "beta.example", "eu-bucket"}, names); diff != "" {
		t.Errorf("ListBuckets (-want +got):\n%s", diff)
	}
	if list.Owner == nil || len(aws.ToString(list.Owner.ID)) != 64 {
		t.Errorf("owner = %+v, want a canonical id", list.Owner)
	}

	must(c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")}))(t)
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
	wantError(t, err, "NotFound", 404)
	// An empty bucket with an unfinished multipart upload can be deleted;
	// the upload goes with it.
	must(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("beta.example"), Key: aws.String("k")}))(t)
	must(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("beta.example"), Key: aws.String("big")}))(t)
	must(c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta.example")}))(t)
}

func TestService_BucketTagging(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b := aws.String("tagged")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	wantError(t, err, "NoSuchTagSet", 404)

	set := []types.Tag{{Key: aws.String("team"), Value: aws.String("infra")}, {Key: aws.String("env"), Value: aws.String("dev")}}
	must(c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: set}}))(t)
	got := must(c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b}))(t)
	want := map[string]string{"team": "infra", "env": "dev"}
	gotMap := map[string]string{}
	for _, tg := range got.TagSet {
		gotMap[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if diff := cmp.Diff(want, gotMap); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	dup := []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: dup}})
	wantError(t, err, "InvalidTag", 400)
	must(c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b}))(t)
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	wantError(t, err, "NoSuchTagSet", 404)

	// Object tagging: x-amz-tagging on upload, then the tagging API.
	k := aws.String("doc")
	must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("d"), Tagging: aws.String("color=blue&size=xl")}))(t)
	ot := must(c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: k}))(t)
	if len(ot.TagSet) != 2 || aws.ToString(ot.TagSet[0].Key) != "color" {
		t.Errorf("object tags = %+v", ot.TagSet)
	}
	g := must(c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}))(t)
	g.Body.Close()
	if aws.ToInt32(g.TagCount) != 2 {
		t.Errorf("TagCount = %d, want 2", aws.ToInt32(g.TagCount))
	}
	must(c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: k,
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}}}))(t)
	must(c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: k}))(t)
	ot = must(c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: k}))(t)
	if len(ot.TagSet) != 0 {
		t.Errorf("tags after delete = %+v", ot.TagSet)
	}
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("nope")})
	wantError(t, err, "NoSuchKey", 404)
}
