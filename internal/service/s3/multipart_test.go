// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/testutil"
)

// multipartETag is S3's ETag of an object uploaded in parts of partSize:
// the MD5 of the parts' MD5s, "-", the part count.
func multipartETag(r io.Reader, partSize int64) string {
	all := md5.New()
	n := 0
	for {
		h := md5.New()
		k, _ := io.Copy(h, io.LimitReader(r, partSize))
		if k == 0 {
			break
		}
		all.Write(h.Sum(nil))
		n++
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all.Sum(nil)), n)
}

// TestService_MultipartManager uploads 100 MiB with the SDK's upload
// manager (parts of 5 MiB, concurrent, never the whole file in memory),
// then downloads it whole and with the download manager's ranged GETs and
// compares MD5 and SHA-256.
func TestService_MultipartManager(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 100 MiB transfer")
	}
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b, k := aws.String("multipart"), aws.String("big/blob.bin")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	const size, seed = 100 << 20, 42
	src := newPattern(size, seed)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	res := must(up.Upload(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: src, ContentType: aws.String("application/x-test"),
		Metadata: map[string]string{"origin": "manager"}}))(t)
	wantMD5, wantSHA := src.sums()
	wantETag := multipartETag(newPattern(size, seed), 5<<20)
	if trimQuotes(res.ETag) != wantETag {
		t.Errorf("ETag = %s, want %s", aws.ToString(res.ETag), wantETag)
	}

	got := must(c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}))(t)
	n, gotMD5, gotSHA := hashOf(t, got.Body)
	got.Body.Close()
	if n != size || gotMD5 != wantMD5 || gotSHA != wantSHA {
		t.Errorf("GetObject: %d bytes md5 %s sha256 %s; want %d %s %s", n, gotMD5, gotSHA, size, wantMD5, wantSHA)
	}
	if got.Metadata["origin"] != "manager" || aws.ToString(got.ContentType) != "application/x-test" || trimQuotes(got.ETag) != wantETag {
		t.Errorf("GetObject headers: meta %v type %s etag %s", got.Metadata, aws.ToString(got.ContentType), aws.ToString(got.ETag))
	}

	f, err := os.Create(filepath.Join(t.TempDir(), "download"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	down := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = 8 << 20 })
	if n := must(down.Download(ctx, f, &s3.GetObjectInput{Bucket: b, Key: k}))(t); n != size {
		t.Errorf("Download wrote %d bytes", n)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if n, m, s := hashOf(t, f); n != size || m != wantMD5 || s != wantSHA {
		t.Errorf("ranged download: %d bytes md5 %s sha256 %s", n, m, s)
	}
	// The parts are gone once the upload completed.
	ups := must(c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b}))(t)
	if len(ups.Uploads) != 0 {
		t.Errorf("%d uploads left after completion", len(ups.Uploads))
	}
}

func TestService_MultipartErrors(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b := aws.String("mpu-errors")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	big := bytes.Repeat([]byte("p"), 5<<20)
	start := func(key string) *string {
		return must(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String(key)}))(t).UploadId
	}
	part := func(key string, id *string, n int32, data []byte) types.CompletedPart {
		out := must(c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String(key), UploadId: id, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(data)}))(t)
		return types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)}
	}
	complete := func(key string, id *string, parts ...types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String(key), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}

	id := start("small")
	p1, p2 := part("small", id, 1, []byte("tiny")), part("small", id, 2, []byte("tail"))
	wantError(t, complete("small", id, p1, p2), "EntityTooSmall", 400)

	id = start("order")
	q1, q2 := part("order", id, 1, big), part("order", id, 2, []byte("end"))
	wantError(t, complete("order", id, q2, q1), "InvalidPartOrder", 400)
	wantError(t, complete("order", id, q1, types.CompletedPart{ETag: aws.String(`"0000"`), PartNumber: aws.Int32(2)}), "InvalidPart", 400)
	wantError(t, complete("order", id, q1, types.CompletedPart{ETag: q2.ETag, PartNumber: aws.Int32(3)}), "InvalidPart", 400)

	// ListParts and ListMultipartUploads see the upload in progress.
	lp := must(c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: aws.String("order"), UploadId: id}))(t)
	var sizes []int64
	for _, p := range lp.Parts {
		sizes = append(sizes, aws.ToInt64(p.Size))
	}
	if diff := cmp.Diff([]int64{5 << 20, 3}, sizes); diff != "" {
		t.Errorf("ListParts sizes (-want +got):\n%s", diff)
	}
	lp = must(c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: aws.String("order"), UploadId: id, MaxParts: aws.Int32(1)}))(t)
	if !aws.ToBool(lp.IsTruncated) || aws.ToString(lp.NextPartNumberMarker) != "1" {
		t.Errorf("ListParts page: truncated %v next %v", aws.ToBool(lp.IsTruncated), aws.ToString(lp.NextPartNumberMarker))
	}
	lu := must(c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b}))(t)
	var keys []string
	for _, u := range lu.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	if diff := cmp.Diff([]string{"order", "small"}, keys); diff != "" {
		t.Errorf("ListMultipartUploads (-want +got):\n%s", diff)
	}

	// Re-uploading a part replaces it; then completion works.
	q2 = part("order", id, 2, []byte("new end"))
	if err := complete("order", id, q1, q2); err != nil {
		t.Fatal(err)
	}
	obj := must(c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("order"), Range: aws.String("bytes=-7")}))(t)
	tail, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(tail) != "new end" {
		t.Errorf("object tail = %q", tail)
	}
	wantError(t, complete("order", id, q1, q2), "NoSuchUpload", 404)

	small := must(c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b, Prefix: aws.String("small")}))(t)
	if len(small.Uploads) != 1 {
		t.Fatalf("uploads of small: %d", len(small.Uploads))
	}
	must(c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: small.Uploads[0].UploadId}))(t)
	_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: aws.String("nope")})
	wantError(t, err, "NoSuchUpload", 404)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("order"), UploadId: id, PartNumber: aws.Int32(1),
		Body: strings.NewReader("x")})
	wantError(t, err, "NoSuchUpload", 404)

	// UploadPartCopy builds parts from ranges of an existing object.
	cid := start("copied")
	c1 := must(c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: aws.String("copied"), UploadId: cid, PartNumber: aws.Int32(1),
		CopySource: aws.String("mpu-errors/order"), CopySourceRange: aws.String(fmt.Sprintf("bytes=0-%d", 5<<20-1))}))(t)
	c2 := must(c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: aws.String("copied"), UploadId: cid, PartNumber: aws.Int32(2),
		CopySource: aws.String("mpu-errors/order"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", 5<<20, 5<<20+6))}))(t)
	if err := complete("copied", cid, types.CompletedPart{ETag: c1.CopyPartResult.ETag, PartNumber: aws.Int32(1)},
		types.CompletedPart{ETag: c2.CopyPartResult.ETag, PartNumber: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	h1 := must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("order")}))(t)
	h2 := must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("copied")}))(t)
	if aws.ToString(h1.ETag) != aws.ToString(h2.ETag) || aws.ToInt64(h2.ContentLength) != 5<<20+7 {
		t.Errorf("copied object: etag %s vs %s, length %d", aws.ToString(h2.ETag), aws.ToString(h1.ETag), aws.ToInt64(h2.ContentLength))
	}
}
