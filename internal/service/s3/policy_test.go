// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/berthdev/berth/internal/testutil"
)

const bucketPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReaderGets", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + testutil.AccountID + `:user/reader"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"},
    {"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*",
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/secret/*"}
  ]
}`

// TestService_BucketPolicy: a bucket policy is a resource-based policy. It
// grants a same-account user with no identity policy, its Deny beats any
// Allow, and callers it does not name need their own permissions.
func TestService_BucketPolicy(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := pathClient(cp.RootConfig())
	b := aws.String("shared")
	must(root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	for _, k := range []string{"public/a.txt", "secret/b.txt"} {
		must(root.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader(k)}))(t)
	}
	_, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
	wantError(t, err, "NoSuchBucketPolicy", 404)
	must(root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(bucketPolicy)}))(t)
	got := must(root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b}))(t)
	if aws.ToString(got.Policy) != bucketPolicy {
		t.Errorf("GetBucketPolicy returned another document:\n%s", aws.ToString(got.Policy))
	}

	readerCfg, _ := user(t, cp, "reader", "")
	nobodyCfg, _ := user(t, cp, "nobody", "")
	allGet := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`
	fanCfg, _ := user(t, cp, "fan", allGet)
	reader, nobody, fan := pathClient(readerCfg), pathClient(nobodyCfg), pathClient(fanCfg)

	get := func(c *s3.Client, key string) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(key)})
		if err == nil {
			io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
		return err
	}
	tests := []struct {
		name string
		c    *s3.Client
		key  string
		ok   bool
	}{
		{"policy grants the reader", reader, "public/a.txt", true},
		{"policy Deny beats its own Allow", reader, "secret/b.txt", false},
		{"unnamed user without identity policy", nobody, "public/a.txt", false},
		{"identity policy allows", fan, "public/a.txt", true},
		{"policy Deny beats an identity Allow", fan, "secret/b.txt", false},
		{"root is bound by the Deny too", root, "secret/b.txt", false},
		{"root reads the rest", root, "public/a.txt", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := get(tc.c, tc.key)
			if tc.ok {
				if err != nil {
					t.Fatalf("GetObject: %v", err)
				}
				return
			}
			wantError(t, err, "AccessDenied", 403)
		})
	}
	// The grant covers GetObject only.
	_, err = reader.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	wantError(t, err, "AccessDenied", 403)

	// The bucket owner's root is never locked out of the policy itself.
	lockout := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",` +
		`"Resource":["arn:aws:s3:::shared","arn:aws:s3:::shared/*"]}]}`
	must(root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(lockout)}))(t)
	_, err = root.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	wantError(t, err, "AccessDenied", 403)
	must(root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b}))(t)
	must(root.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b}))(t)
}

func TestService_PutBucketPolicy_Malformed(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	b := aws.String("strict")
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	tests := []struct {
		name, doc, msg string
	}{
		{"not JSON", "Version: 2012", "Policies must be valid JSON and the first byte must be '{'"},
		{"truncated JSON", `{"Version":"2012-10-17"`, "Policies must be valid JSON and the first byte must be '{'"},
		{"no principal", stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::strict/*"}`), "Missing required field Principal"},
		{"other bucket", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}`),
			"Policy has invalid resource"},
		{"resource star", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), "Policy has invalid resource"},
		{"object action on bucket", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::strict"}`),
			"Action does not apply to any resource(s) in statement"},
		{"bucket action on objects", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::strict/*"}`),
			"Action does not apply to any resource(s) in statement"},
		{"unknown action", stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:FlyAway","Resource":"arn:aws:s3:::strict/*"}`),
			"Policy has invalid action"},
		{"other service", stmt(`{"Effect":"Allow","Principal":"*","Action":"iam:GetUser","Resource":"arn:aws:s3:::strict/*"}`),
			"Policy has invalid action"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(tc.doc)})
			wantError(t, err, "MalformedPolicy", 400)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message: %v, want %q", err, tc.msg)
			}
		})
	}
	ok := stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject","s3:ListBucket"],` +
		`"Resource":["arn:aws:s3:::strict","arn:aws:s3:::strict/*"]}`)
	must(c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(ok)}))(t)
}

// TestService_Authorization checks identity policies against S3's
// resources and condition keys, and the copy source's own check.
func TestService_Authorization(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := pathClient(cp.RootConfig())
	for _, name := range []string{"src-bucket", "dst-bucket"} {
		must(root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}))(t)
	}
	must(root.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("src-bucket"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("infra")}}}}))(t)
	must(root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src-bucket"), Key: aws.String("home/k"), Body: strings.NewReader("k")}))(t)

	writer := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::dst-bucket/*"},
	  {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::src-bucket",
	   "Condition":{"StringEquals":{"s3:prefix":"home/"}}},
	  {"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"infra"}}}]}`
	wcfg, _ := user(t, cp, "writer", writer)
	w := pathClient(wcfg)
	copyIn := &s3.CopyObjectInput{Bucket: aws.String("dst-bucket"), Key: aws.String("copy"), CopySource: aws.String("src-bucket/home/k")}
	tests := []struct {
		name string
		call func() error
		ok   bool
	}{
		{"put into dst", func() error {
			_, err := w.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("dst-bucket"), Key: aws.String("x"), Body: strings.NewReader("x")})
			return err
		}, true},
		{"put into src", func() error {
			_, err := w.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src-bucket"), Key: aws.String("x"), Body: strings.NewReader("x")})
			return err
		}, false},
		{"get without s3:GetObject", func() error {
			_, err := w.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("dst-bucket"), Key: aws.String("x")})
			return err
		}, false},
		{"copy without s3:GetObject on the source", func() error { _, err := w.CopyObject(ctx, copyIn); return err }, false},
		{"list with the allowed prefix", func() error {
			_, err := w.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("src-bucket"), Prefix: aws.String("home/")})
			return err
		}, true},
		{"list the tagged bucket", func() error {
			_, err := w.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("src-bucket"), Prefix: aws.String("other/")})
			return err
		}, true},
		{"list the untagged bucket", func() error {
			_, err := w.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("dst-bucket")})
			return err
		}, false},
		{"list buckets", func() error { _, err := w.ListBuckets(ctx, &s3.ListBucketsInput{}); return err }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.ok && err != nil {
				t.Fatalf("error = %v, want success", err)
			}
			if !tc.ok {
				wantError(t, err, "AccessDenied", 403)
			}
		})
	}
	// A bucket policy granting the source read makes the copy work.
	grant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testutil.AccountID +
		`:user/writer"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::src-bucket/home/*"}]}`
	must(root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("src-bucket"), Policy: aws.String(grant)}))(t)
	must(w.CopyObject(ctx, copyIn))(t)
}
