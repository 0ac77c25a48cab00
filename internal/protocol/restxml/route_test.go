// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
	"github.com/berthdev/berth/internal/protocol/restxml"
)

// TestCodec_Route routes requests against every operation of the pinned
// S3 model (api-2.json), with input types built from the model's shapes.
func TestCodec_Route(t *testing.T) {
	c := restxml.New(protocoltest.LoadModel(t, "s3"))
	tests := []struct {
		name    string
		method  string
		target  string
		host    string
		headers map[string]string
		op      string
		labels  map[string]string
	}{
		{name: "list buckets", method: "GET", target: "/", op: "ListBuckets", labels: map[string]string{}},
		{name: "list objects", method: "GET", target: "/b", op: "ListObjects"},
		{name: "list objects trailing slash", method: "GET", target: "/b/", op: "ListObjects"},
		{name: "list objects v2", method: "GET", target: "/b?list-type=2&prefix=a", op: "ListObjectsV2"},
		{name: "list-type other than 2", method: "GET", target: "/b?list-type=1", op: "ListObjects"},
		{name: "bucket location", method: "GET", target: "/b?location", op: "GetBucketLocation"},
		{name: "bucket versioning", method: "PUT", target: "/b?versioning", op: "PutBucketVersioning"},
		{name: "list uploads", method: "GET", target: "/b?uploads", op: "ListMultipartUploads"},
		{name: "list versions", method: "GET", target: "/b?versions", op: "ListObjectVersions"},
		{name: "create bucket", method: "PUT", target: "/b", op: "CreateBucket"},
		{name: "head bucket", method: "HEAD", target: "/b", op: "HeadBucket"},
		{name: "delete bucket", method: "DELETE", target: "/b", op: "DeleteBucket"},
		{name: "delete objects", method: "POST", target: "/b?delete", op: "DeleteObjects"},
		{name: "lifecycle tie", method: "GET", target: "/b?lifecycle", op: "GetBucketLifecycleConfiguration"},
		{name: "notification tie", method: "PUT", target: "/b?notification", op: "PutBucketNotificationConfiguration"},
		{name: "analytics list", method: "GET", target: "/b?analytics", op: "ListBucketAnalyticsConfigurations"},
		{name: "analytics get", method: "GET", target: "/b?analytics&id=x", op: "GetBucketAnalyticsConfiguration"},
		{name: "get object", method: "GET", target: "/b/k", op: "GetObject",
			labels: map[string]string{"Bucket": "b", "Key": "k"}},
		{name: "greedy key", method: "GET", target: "/b/dir/sub/file.txt", op: "GetObject",
			labels: map[string]string{"Bucket": "b", "Key": "dir/sub/file.txt"}},
		{name: "escaped key", method: "GET", target: "/b/a%2Fb%20c+d", op: "GetObject",
			labels: map[string]string{"Bucket": "b", "Key": "a/b c+d"}},
		{name: "key with empty segment", method: "GET", target: "/b//x/", op: "GetObject",
			labels: map[string]string{"Bucket": "b", "Key": "/x/"}},
		{name: "list parts", method: "GET", target: "/b/k?uploadId=u", op: "ListParts"},
		{name: "object acl", method: "GET", target: "/b/k?acl", op: "GetObjectAcl"},
		{name: "head object", method: "HEAD", target: "/b/k", op: "HeadObject"},
		{name: "put object", method: "PUT", target: "/b/k", op: "PutObject"},
		{name: "copy object", method: "PUT", target: "/b/k", op: "CopyObject",
			headers: map[string]string{"x-amz-copy-source": "/src/k"}},
		{name: "upload part", method: "PUT", target: "/b/k?partNumber=1&uploadId=u", op: "UploadPart"},
		{name: "upload part copy", method: "PUT", target: "/b/k?partNumber=1&uploadId=u", op: "UploadPartCopy",
			headers: map[string]string{"x-amz-copy-source": "/src/k"}},
		{name: "part number alone is a put", method: "PUT", target: "/b/k?partNumber=1", op: "PutObject"},
		{name: "object tagging", method: "PUT", target: "/b/k?tagging", op: "PutObjectTagging"},
		{name: "delete object", method: "DELETE", target: "/b/k", op: "DeleteObject"},
		{name: "abort upload", method: "DELETE", target: "/b/k?uploadId=u", op: "AbortMultipartUpload"},
		{name: "create upload", method: "POST", target: "/b/k?uploads", op: "CreateMultipartUpload"},
		{name: "complete upload", method: "POST", target: "/b/k?uploadId=u", op: "CompleteMultipartUpload"},
		{name: "select", method: "POST", target: "/b/k?select&select-type=2", op: "SelectObjectContent"},
		{name: "virtual host list", method: "GET", target: "/", host: "b.s3.localhost:4566", op: "ListObjects",
			labels: map[string]string{"Bucket": "b"}},
		{name: "virtual host object", method: "GET", target: "/dir/k", host: "my.bucket.s3.us-east-1.amazonaws.com",
			op: "GetObject", labels: map[string]string{"Bucket": "my.bucket", "Key": "dir/k"}},
		{name: "virtual host legacy region", method: "PUT", target: "/k", host: "b.s3-us-west-2.amazonaws.com",
			op: "PutObject", labels: map[string]string{"Bucket": "b", "Key": "k"}},
		{name: "virtual host localhost", method: "GET", target: "/?list-type=2", host: "b.localhost",
			op: "ListObjectsV2", labels: map[string]string{"Bucket": "b"}},
		{name: "path style on s3 host", method: "GET", target: "/b/k", host: "s3.localhost:4566", op: "GetObject",
			labels: map[string]string{"Bucket": "b", "Key": "k"}},
		{name: "path style on loopback", method: "GET", target: "/b/k", host: "127.0.0.1:4566", op: "GetObject",
			labels: map[string]string{"Bucket": "b", "Key": "k"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			if tc.host != "" {
				r.Host = tc.host
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			op, labels, err := c.Route(r)
			if err != nil {
				t.Fatalf("Route: %v", err)
			}
			if op.Name != tc.op {
				t.Errorf("op = %s, want %s", op.Name, tc.op)
			}
			if tc.labels != nil {
				if diff := cmp.Diff(tc.labels, labels); diff != "" {
					t.Errorf("labels (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestCodec_Route_Errors(t *testing.T) {
	c := restxml.New(protocoltest.LoadModel(t, "s3"))
	tests := []struct {
		name, method, target string
		code                 string
		status               int
	}{
		{"method not allowed", "PATCH", "/b/k", "MethodNotAllowed", http.StatusMethodNotAllowed},
		{"post on root", "POST", "/", "MethodNotAllowed", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.Route(httptest.NewRequest(tc.method, tc.target, nil))
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.HTTPStatus != tc.status {
				t.Fatalf("Route error = %v, want %s (%d)", err, tc.code, tc.status)
			}
		})
	}
}
