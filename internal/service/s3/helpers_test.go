// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
)

// apiError returns the AWS error code and HTTP status of an SDK error.
func apiError(t *testing.T, err error) (string, int) {
	t.Helper()
	if err == nil {
		t.Fatal("call succeeded, want an error")
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "", status
	}
	return ae.ErrorCode(), status
}

func wantError(t *testing.T, err error, code string, status int) {
	t.Helper()
	got, gotStatus := apiError(t, err)
	if got != code || gotStatus != status {
		t.Fatalf("error = %s (HTTP %d): %v\nwant %s (HTTP %d)", got, gotStatus, err, code, status)
	}
}

// must returns v, failing the test given to the result if err is set:
// must(c.PutObject(ctx, in))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// sdkDefaults turns on what config.LoadDefaultConfig turns on and a
// hand-built aws.Config lacks: flexible checksums on requests that support
// them (a CRC32 per upload) and validation of response checksums.
func sdkDefaults(cfg aws.Config) aws.Config {
	cfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
	cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported
	return cfg
}

// pathClient is an S3 client addressing buckets path-style.
func pathClient(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(sdkDefaults(cfg), func(o *s3.Options) { o.UsePathStyle = true })
}

// vhostClient is an S3 client addressing buckets virtual-hosted-style:
// bucket.s3.berth.test:PORT, which its dialer resolves to the server.
func vhostClient(cp *testutil.ControlPlane, cfg aws.Config) *s3.Client {
	u, _ := url.Parse(cp.URL)
	addr := u.Host
	dialer := &net.Dialer{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}
	cfg.BaseEndpoint = aws.String("http://s3.berth.test:" + u.Port())
	cfg.HTTPClient = &http.Client{Transport: tr}
	return s3.NewFromConfig(sdkDefaults(cfg))
}

// user creates an IAM user with an inline policy (none when doc is "")
// and returns a configuration signed with its access key.
func user(t *testing.T, cp *testutil.ControlPlane, name, doc string) (aws.Config, string) {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(cp.RootConfig())
	u := must(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))(t)
	if doc != "" {
		must(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))(t)
	}
	k := must(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))(t)
	return testutil.Config(cp.URL, *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, ""), *u.User.Arn
}

// patternReader yields n deterministic pseudo-random bytes without holding
// them, and hashes what it yields.
type patternReader struct {
	n, off int64
	state  uint64
	md5    hash.Hash
	sha    hash.Hash
}

func newPattern(n int64, seed uint64) *patternReader {
	return &patternReader{n: n, state: seed | 1, md5: md5.New(), sha: sha256.New()}
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if rem := p.n - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	for i := range b {
		p.state ^= p.state << 13
		p.state ^= p.state >> 7
		p.state ^= p.state << 17
		b[i] = byte(p.state)
	}
	p.off += int64(len(b))
	p.md5.Write(b)
	p.sha.Write(b)
	return len(b), nil
}

func (p *patternReader) sums() (string, string) {
	return hex.EncodeToString(p.md5.Sum(nil)), hex.EncodeToString(p.sha.Sum(nil))
}

// hashOf drains r and returns its length, MD5 and SHA-256.
func hashOf(t testing.TB, r io.Reader) (int64, string, string) {
	t.Helper()
	m, s := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(m, s), r)
	if err != nil {
		t.Fatal(err)
	}
	return n, hex.EncodeToString(m.Sum(nil)), hex.EncodeToString(s.Sum(nil))
}

func trimQuotes(s *string) string { return strings.Trim(aws.ToString(s), `"`) }
