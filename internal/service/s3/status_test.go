// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/berthdev/berth/internal/testutil"
)

// rawStatus is the HTTP status of the response behind an SDK output's
// metadata (the S3 client records the raw response in every output).
func rawStatus(t *testing.T, md middleware.Metadata) int {
	t.Helper()
	resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response)
	if !ok {
		t.Fatalf("output carries no raw HTTP response: %T", awsmiddleware.GetRawResponse(md))
	}
	return resp.StatusCode
}

// TestService_SuccessStatus checks with the real SDK client that each
// operation answers with the success status its model gives (the deletes
// have http.responseCode 204 No Content) and that the others answer 200.
func TestService_SuccessStatus(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	c := pathClient(cp.RootConfig())
	ctx := context.Background()
	b, k := aws.String("status"), aws.String("dir/obj.txt")

	type call struct {
		name string
		want int
		do   func() (middleware.Metadata, error)
	}
	run := func(t *testing.T, calls []call) {
		t.Helper()
		for _, tc := range calls {
			md, err := tc.do()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := rawStatus(t, md); got != tc.want {
				t.Errorf("%s status = %d, want %d", tc.name, got, tc.want)
			}
		}
	}
	tagging := &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::status/*"}]}`
	var uploadID *string
	run(t, []call{
		{"CreateBucket", http.StatusOK, func() (middleware.Metadata, error) {
			out, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})
			return md(out, err)
		}},
		{"PutObject", http.StatusOK, func() (middleware.Metadata, error) {
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("hello")})
			return md(out, err)
		}},
		{"PutObjectTagging", http.StatusOK, func() (middleware.Metadata, error) {
			out, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: tagging})
			return md(out, err)
		}},
		{"PutBucketTagging", http.StatusOK, func() (middleware.Metadata, error) {
			out, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: tagging})
			return md(out, err)
		}},
		{"PutBucketPolicy", http.StatusOK, func() (middleware.Metadata, error) {
			out, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(policy)})
			return md(out, err)
		}},
		{"CreateMultipartUpload", http.StatusOK, func() (middleware.Metadata, error) {
			out, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("mpu")})
			if err == nil {
				uploadID = out.UploadId
			}
			return md(out, err)
		}},
	})
	run(t, []call{
		{"DeleteObjectTagging", http.StatusNoContent, func() (middleware.Metadata, error) {
			out, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: k})
			return md(out, err)
		}},
		{"DeleteBucketTagging", http.StatusNoContent, func() (middleware.Metadata, error) {
			out, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b})
			return md(out, err)
		}},
		{"DeleteBucketPolicy", http.StatusNoContent, func() (middleware.Metadata, error) {
			out, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b})
			return md(out, err)
		}},
		{"AbortMultipartUpload", http.StatusNoContent, func() (middleware.Metadata, error) {
			out, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("mpu"), UploadId: uploadID})
			return md(out, err)
		}},
		{"DeleteObject", http.StatusNoContent, func() (middleware.Metadata, error) {
			out, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k})
			return md(out, err)
		}},
		{"DeleteObject (absent key)", http.StatusNoContent, func() (middleware.Metadata, error) {
			out, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("never-there")})
			return md(out, err)
		}},
		{"DeleteBucket", http.StatusNoContent, func() (middleware.Metadata, error) {
			out, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})
			return md(out, err)
		}},
	})
}

// md returns the ResultMetadata field every S3 output has.
func md[T any](out *T, err error) (middleware.Metadata, error) {
	if err != nil {
		return middleware.Metadata{}, err
	}
	return reflect.ValueOf(out).Elem().FieldByName("ResultMetadata").Interface().(middleware.Metadata), nil
}
