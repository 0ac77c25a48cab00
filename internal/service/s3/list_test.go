// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/testutil"
)

var listKeys = []string{
	"a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "b/c/4.txt", "b/d/5.txt",
	"c+plus/6 space.txt", "d/7.txt", "d/8.txt", "e.txt", "z/zz/9.txt",
}

// listAll pages through ListObjectsV2 and returns every key and common
// prefix in order, with the number of pages.
func listAll(t *testing.T, c *s3.Client, in s3.ListObjectsV2Input) (keys, prefixes []string, pages int) {
	t.Helper()
	p := s3.NewListObjectsV2Paginator(c, &in)
	for p.HasMorePages() {
		out := must(p.NextPage(context.Background()))(t)
		pages++
		if int(aws.ToInt32(out.KeyCount)) != len(out.Contents)+len(out.CommonPrefixes) {
			t.Errorf("KeyCount %d for %d keys and %d prefixes", aws.ToInt32(out.KeyCount), len(out.Contents), len(out.CommonPrefixes))
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	return keys, prefixes, pages
}

func TestService_ListObjectsV2(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b := aws.String("listing")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	for _, k := range listKeys {
		must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader(k)}))(t)
	}
	tests := []struct {
		name                      string
		prefix, delim, startAfter string
		max                       int32
		keys, prefixes            []string
		pages                     int
	}{
		{name: "everything", keys: listKeys, pages: 1},
		{name: "everything by twos", max: 2, keys: listKeys, pages: 6},
		{name: "top level", delim: "/", keys: []string{"a.txt", "e.txt"},
			prefixes: []string{"b/", "c+plus/", "d/", "z/"}, pages: 1},
		{name: "top level by ones", delim: "/", max: 1, keys: []string{"a.txt", "e.txt"},
			prefixes: []string{"b/", "c+plus/", "d/", "z/"}, pages: 6},
		{name: "under b", prefix: "b/", delim: "/", keys: []string{"b/1.txt", "b/2.txt"},
			prefixes: []string{"b/c/", "b/d/"}, pages: 1},
		{name: "under b by threes", prefix: "b/", delim: "/", max: 3, keys: []string{"b/1.txt", "b/2.txt"},
			prefixes: []string{"b/c/", "b/d/"}, pages: 2},
		{name: "prefix without delimiter", prefix: "b/c", keys: []string{"b/c/3.txt", "b/c/4.txt"}, pages: 1},
		{name: "start after", startAfter: "b/d/5.txt", max: 3,
			keys: []string{"c+plus/6 space.txt", "d/7.txt", "d/8.txt", "e.txt", "z/zz/9.txt"}, pages: 2},
		{name: "start after with delimiter", startAfter: "c", delim: "/", keys: []string{"e.txt"},
			prefixes: []string{"c+plus/", "d/", "z/"}, pages: 1},
		{name: "other delimiter", delim: ".", keys: nil,
			prefixes: []string{"a.", "b/1.", "b/2.", "b/c/3.", "b/c/4.", "b/d/5.", "c+plus/6 space.", "d/7.", "d/8.", "e.", "z/zz/9."}, pages: 1},
		{name: "nothing matches", prefix: "nope/", pages: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := s3.ListObjectsV2Input{Bucket: b}
			if tc.prefix != "" {
				in.Prefix = aws.String(tc.prefix)
			}
			if tc.delim != "" {
				in.Delimiter = aws.String(tc.delim)
			}
			if tc.startAfter != "" {
				in.StartAfter = aws.String(tc.startAfter)
			}
			if tc.max != 0 {
				in.MaxKeys = aws.Int32(tc.max)
			}
			keys, prefixes, pages := listAll(t, c, in)
			if diff := cmp.Diff(tc.keys, keys); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.prefixes, prefixes); diff != "" {
				t.Errorf("common prefixes (-want +got):\n%s", diff)
			}
			if pages != tc.pages {
				t.Errorf("%d pages, want %d", pages, tc.pages)
			}
		})
	}

	// encoding-type=url (what the AWS CLI asks for) encodes keys and
	// prefixes so that unquote_plus restores them.
	enc := must(c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("c+"), EncodingType: "url"}))(t)
	if len(enc.Contents) != 1 || aws.ToString(enc.Contents[0].Key) != "c%2Bplus/6%20space.txt" || aws.ToString(enc.Prefix) != "c%2B" {
		t.Errorf("url-encoded listing: prefix %q contents %+v", aws.ToString(enc.Prefix), enc.Contents)
	}
	if dec, _ := url.QueryUnescape(aws.ToString(enc.Contents[0].Key)); dec != "c+plus/6 space.txt" {
		t.Errorf("decoded key %q", dec)
	}
	_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, ContinuationToken: aws.String("!!!")})
	wantError(t, err, "InvalidArgument", 400)
}

func TestService_ListObjectsV1(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b := aws.String("listing-v1")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	for _, k := range listKeys {
		must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader(k)}))(t)
	}
	// With a delimiter, NextMarker resumes after each page, common
	// prefixes included.
	var keys, prefixes []string
	marker := ""
	for range 10 {
		out := must(c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2), Marker: aws.String(marker)}))(t)
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
			if o.Owner == nil {
				t.Errorf("ListObjects entry without Owner")
			}
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = aws.ToString(out.NextMarker)
		if marker == "" {
			t.Fatal("truncated V1 listing with a delimiter has no NextMarker")
		}
	}
	if diff := cmp.Diff([]string{"a.txt", "e.txt"}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b/", "c+plus/", "d/", "z/"}, prefixes); diff != "" {
		t.Errorf("prefixes (-want +got):\n%s", diff)
	}
	// Without a delimiter the last key is the next marker.
	out := must(c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, MaxKeys: aws.Int32(3)}))(t)
	if !aws.ToBool(out.IsTruncated) || out.NextMarker != nil || len(out.Contents) != 3 {
		t.Fatalf("page 1: truncated %v next %v, %d keys", aws.ToBool(out.IsTruncated), out.NextMarker, len(out.Contents))
	}
	out = must(c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, MaxKeys: aws.Int32(3), Marker: out.Contents[2].Key}))(t)
	if got := aws.ToString(out.Contents[0].Key); got != "b/c/3.txt" {
		t.Errorf("page 2 starts at %q, want b/c/3.txt", got)
	}
}
