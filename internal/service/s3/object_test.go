// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/testutil"
)

// TestService_PutGetObject round-trips objects with the SDK's defaults
// (flexible checksums on, SigV4 payload signing) in both addressing styles.
func TestService_PutGetObject(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	tests := []struct {
		name string
		c    *s3.Client
		key  string
		data []byte
	}{
		{"path-style", pathClient(cp.RootConfig()), "dir/file.txt", []byte("hello, path-style")},
		{"virtual-hosted", vhostClient(cp, cp.RootConfig()), "dir/file.txt", []byte("hello, virtual host")},
		{"key with odd characters", pathClient(cp.RootConfig()), "a b/c+d/ü?x=1&y#z", []byte("odd")},
		{"empty object", pathClient(cp.RootConfig()), "empty", nil},
		{"3 MiB", pathClient(cp.RootConfig()), "big", bytes.Repeat([]byte("0123456789abcdef"), 3<<16)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := aws.String("objects-" + string(rune('a'+i)))
			must(tc.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
			exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			put := must(tc.c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: b, Key: aws.String(tc.key), Body: bytes.NewReader(tc.data),
				ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"),
				ContentDisposition: aws.String("attachment"), Expires: &exp,
				Metadata: map[string]string{"owner": "alice", "Project": "berth"},
			}))(t)
			sum := md5.Sum(tc.data)
			wantETag := hex.EncodeToString(sum[:])
			if trimQuotes(put.ETag) != wantETag {
				t.Errorf("PutObject ETag = %s, want %s", aws.ToString(put.ETag), wantETag)
			}
			if aws.ToString(put.ChecksumCRC32) == "" {
				t.Errorf("PutObject returned no CRC32 for the SDK's default checksum")
			}
			got := must(tc.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(tc.key), ChecksumMode: types.ChecksumModeEnabled}))(t)
			data, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil {
				t.Fatal(err) // includes the SDK's response checksum validation
			}
			if !bytes.Equal(data, tc.data) {
				t.Errorf("GetObject body differs: %d bytes, want %d", len(data), len(tc.data))
			}
			want := map[string]string{"owner": "alice", "project": "berth"}
			if diff := cmp.Diff(want, got.Metadata); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			if trimQuotes(got.ETag) != wantETag || aws.ToString(got.ContentType) != "text/plain" ||
				aws.ToString(got.CacheControl) != "max-age=60" || aws.ToString(got.ContentDisposition) != "attachment" ||
				aws.ToInt64(got.ContentLength) != int64(len(tc.data)) || got.LastModified == nil {
				t.Errorf("GetObject headers: etag %s type %s cache %s disp %s len %d",
					aws.ToString(got.ETag), aws.ToString(got.ContentType), aws.ToString(got.CacheControl),
					aws.ToString(got.ContentDisposition), aws.ToInt64(got.ContentLength))
			}
			head := must(tc.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String(tc.key)}))(t)
			if aws.ToInt64(head.ContentLength) != int64(len(tc.data)) || trimQuotes(head.ETag) != wantETag || head.Metadata["owner"] != "alice" {
				t.Errorf("HeadObject = len %d etag %s meta %v", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), head.Metadata)
			}
		})
	}
}

func TestService_GetObject_Range(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b, k := aws.String("ranges"), aws.String("digits")
	data := "0123456789"
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader(data)}))(t)
	tests := []struct {
		rng, body, contentRange, code string
	}{
		{rng: "bytes=0-3", body: "0123", contentRange: "bytes 0-3/10"},
		{rng: "bytes=4-", body: "456789", contentRange: "bytes 4-9/10"},
		{rng: "bytes=-3", body: "789", contentRange: "bytes 7-9/10"},
		{rng: "bytes=8-100", body: "89", contentRange: "bytes 8-9/10"},
		{rng: "bytes=-100", body: data, contentRange: "bytes 0-9/10"},
		{rng: "bytes=10-", code: "InvalidRange"},
		{rng: "bytes=5-2", body: data},     // unsatisfiable syntax is ignored
		{rng: "bytes=0-1,4-5", body: data}, // multiple ranges are not served
		{rng: "lines=1-2", body: data},     // other units are ignored
		{rng: "bytes=-0", code: "InvalidRange"},
	}
	for _, tc := range tests {
		t.Run(tc.rng, func(t *testing.T) {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k, Range: aws.String(tc.rng)})
			if tc.code != "" {
				wantError(t, err, tc.code, http.StatusRequestedRangeNotSatisfiable)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(body) != tc.body || aws.ToString(out.ContentRange) != tc.contentRange || aws.ToInt64(out.ContentLength) != int64(len(tc.body)) {
				t.Errorf("got %q, Content-Range %q, Content-Length %d; want %q, %q",
					body, aws.ToString(out.ContentRange), aws.ToInt64(out.ContentLength), tc.body, tc.contentRange)
			}
		})
	}
	// The status of a ranged GET is 206 Partial Content.
	presign := s3.NewPresignClient(c)
	req := must(presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}))(t)
	hr, _ := http.NewRequest(http.MethodGet, req.URL, nil)
	hr.Header.Set("Range", "bytes=2-4")
	resp := must(http.DefaultClient.Do(hr))(t)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || string(body) != "234" {
		t.Errorf("ranged GET = %d %q, want 206 \"234\"", resp.StatusCode, body)
	}
}

func TestService_GetObject_Conditional(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b, k := aws.String("conditions"), aws.String("obj")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	put := must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("v1")}))(t)
	etag := aws.ToString(put.ETag)
	head := must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k}))(t)
	mod := *head.LastModified
	before, after := mod.Add(-time.Hour), mod.Add(time.Hour)
	tests := []struct {
		name   string
		in     s3.GetObjectInput
		code   string
		status int
	}{
		{name: "If-Match matches", in: s3.GetObjectInput{IfMatch: &etag}},
		{name: "If-Match star", in: s3.GetObjectInput{IfMatch: aws.String("*")}},
		{name: "If-Match differs", in: s3.GetObjectInput{IfMatch: aws.String(`"nope"`)}, code: "PreconditionFailed", status: 412},
		{name: "If-None-Match matches", in: s3.GetObjectInput{IfNoneMatch: &etag}, code: "NotModified", status: 304},
		{name: "If-None-Match differs", in: s3.GetObjectInput{IfNoneMatch: aws.String(`"other"`)}},
		{name: "If-Modified-Since before", in: s3.GetObjectInput{IfModifiedSince: &before}},
		{name: "If-Modified-Since after", in: s3.GetObjectInput{IfModifiedSince: &after}, code: "NotModified", status: 304},
		{name: "If-Unmodified-Since after", in: s3.GetObjectInput{IfUnmodifiedSince: &after}},
		{name: "If-Unmodified-Since before", in: s3.GetObjectInput{IfUnmodifiedSince: &before}, code: "PreconditionFailed", status: 412},
		{name: "If-Match wins over If-Unmodified-Since", in: s3.GetObjectInput{IfMatch: &etag, IfUnmodifiedSince: &before}},
		{name: "If-None-Match wins over If-Modified-Since", in: s3.GetObjectInput{IfNoneMatch: &etag, IfModifiedSince: &before},
			code: "NotModified", status: 304},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket, in.Key = b, k
			out, err := c.GetObject(ctx, &in)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("error = %v, want the object", err)
				}
				out.Body.Close()
				return
			}
			_, status := apiError(t, err)
			if status != tc.status {
				t.Fatalf("status = %d (%v), want %d %s", status, err, tc.status, tc.code)
			}
		})
	}
}

func TestService_DeleteAndCopy(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	src, dst := aws.String("copy-src"), aws.String("copy-dst")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: src}))(t)
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: dst}))(t)
	must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: src, Key: aws.String("orig name"), Body: strings.NewReader("payload"),
		ContentType: aws.String("text/x-orig"), Metadata: map[string]string{"m": "1"}}))(t)

	cp1 := must(c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: dst, Key: aws.String("kept"), CopySource: aws.String("copy-src/orig%20name")}))(t)
	sum := md5.Sum([]byte("payload"))
	if trimQuotes(cp1.CopyObjectResult.ETag) != hex.EncodeToString(sum[:]) {
		t.Errorf("copy ETag = %s", aws.ToString(cp1.CopyObjectResult.ETag))
	}
	kept := must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: dst, Key: aws.String("kept")}))(t)
	if aws.ToString(kept.ContentType) != "text/x-orig" || kept.Metadata["m"] != "1" {
		t.Errorf("COPY directive: type %s meta %v", aws.ToString(kept.ContentType), kept.Metadata)
	}
	must(c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: dst, Key: aws.String("replaced"), CopySource: aws.String("/copy-src/orig%20name"),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/new"), Metadata: map[string]string{"n": "2"}}))(t)
	repl := must(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: dst, Key: aws.String("replaced")}))(t)
	if diff := cmp.Diff(map[string]string{"n": "2"}, repl.Metadata); diff != "" || aws.ToString(repl.ContentType) != "text/new" {
		t.Errorf("REPLACE directive: type %s, metadata (-want +got):\n%s", aws.ToString(repl.ContentType), diff)
	}
	tests := []struct {
		name   string
		in     s3.CopyObjectInput
		code   string
		status int
	}{
		{"to itself unchanged", s3.CopyObjectInput{Bucket: src, Key: aws.String("orig name"), CopySource: aws.String("copy-src/orig%20name")},
			"InvalidRequest", 400},
		{"missing source key", s3.CopyObjectInput{Bucket: dst, Key: aws.String("x"), CopySource: aws.String("copy-src/none")}, "NoSuchKey", 404},
		{"missing source bucket", s3.CopyObjectInput{Bucket: dst, Key: aws.String("x"), CopySource: aws.String("nobucket/k")}, "NoSuchBucket", 404},
		{"source condition fails", s3.CopyObjectInput{Bucket: dst, Key: aws.String("x"), CopySource: aws.String("copy-src/orig%20name"),
			CopySourceIfMatch: aws.String(`"bad"`)}, "PreconditionFailed", 412},
		{"no key in source", s3.CopyObjectInput{Bucket: dst, Key: aws.String("x"), CopySource: aws.String("copy-src")}, "InvalidArgument", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CopyObject(ctx, &tc.in)
			wantError(t, err, tc.code, tc.status)
		})
	}

	// DeleteObjects: existing and missing keys are both reported deleted.
	for _, k := range []string{"d1", "d2", "d3"} {
		must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: dst, Key: aws.String(k), Body: strings.NewReader(k)}))(t)
	}
	del := must(c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: dst, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("d1")}, {Key: aws.String("d2")}, {Key: aws.String("never-existed")}}}}))(t)
	if len(del.Deleted) != 3 || len(del.Errors) != 0 {
		t.Errorf("DeleteObjects: deleted %d, errors %+v", len(del.Deleted), del.Errors)
	}
	quiet := must(c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: dst, Delete: &types.Delete{Quiet: aws.Bool(true),
		Objects: []types.ObjectIdentifier{{Key: aws.String("d3")}}}}))(t)
	if len(quiet.Deleted) != 0 {
		t.Errorf("quiet DeleteObjects listed %d deletions", len(quiet.Deleted))
	}
	must(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: dst, Key: aws.String("kept")}))(t)
	must(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: dst, Key: aws.String("kept")}))(t) // idempotent
	left := must(c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: dst}))(t)
	var keys []string
	for _, o := range left.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if diff := cmp.Diff([]string{"replaced"}, keys); diff != "" {
		t.Errorf("keys left (-want +got):\n%s", diff)
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: dst, Key: aws.String("kept")})
	wantError(t, err, "NoSuchKey", 404)
}

// TestService_Presigned uses presigned PUT and GET URLs with a plain HTTP
// client, as browsers and curl do.
func TestService_Presigned(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b, k := aws.String("presigned"), aws.String("up/loaded.bin")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	ps := s3.NewPresignClient(c)
	put := must(ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k}))(t)
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("presigned body"))
	for h, vs := range put.SignedHeader {
		req.Header[h] = vs
	}
	resp := must(http.DefaultClient.Do(req))(t)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT = %d", resp.StatusCode)
	}
	get := must(ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}))(t)
	resp = must(http.Get(get.URL))(t)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "presigned body" {
		t.Errorf("presigned GET = %d %q", resp.StatusCode, body)
	}
	// A tampered presigned URL is refused.
	resp = must(http.Get(strings.Replace(get.URL, "loaded.bin", "loaded.bix", 1)))(t)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered presigned GET = %d, want 403", resp.StatusCode)
	}
}
