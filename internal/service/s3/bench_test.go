// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/berthdev/berth/internal/testutil"
)

// repeatReader is an io.ReadSeeker of n bytes repeating a 1 MiB block, so
// a 100 MiB body costs 1 MiB of memory and the SDK can rewind it.
type repeatReader struct {
	block  []byte
	n, off int64
}

func newRepeat(n int64) *repeatReader {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return &repeatReader{block: b, n: n}
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	k := 0
	for k < len(p) {
		k += copy(p[k:], r.block[(r.off+int64(k))%int64(len(r.block)):])
	}
	r.off += int64(k)
	return k, nil
}

func (r *repeatReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.off
	case io.SeekEnd:
		off += r.n
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	r.off = off
	return off, nil
}

var benchSizes = []struct {
	name string
	n    int64
}{{"1MiB", 1 << 20}, {"100MiB", 100 << 20}}

// BenchmarkS3_PutObject measures PutObject throughput over loopback with
// the SDK, signed as the SDK signs over HTTP (a SHA-256 of the payload,
// which the client computes and the server verifies, plus a CRC32), and
// with UNSIGNED-PAYLOAD, which isolates the server's cost.
func BenchmarkS3_PutObject(b *testing.B) {
	cp := testutil.TestControlPlane(b)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}))(b)
	for _, unsigned := range []bool{false, true} {
		for _, sz := range benchSizes {
			name := sz.name
			var opts []func(*s3.Options)
			if unsigned {
				name += "/unsigned-payload"
				opts = append(opts, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware),
					func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired })
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(sz.n)
				body := newRepeat(sz.n)
				for i := 0; b.Loop(); i++ {
					body.off = 0
					_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("put-%d", i%4)),
						Body: body, ContentLength: aws.Int64(sz.n)}, opts...)
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkS3_GetObject measures GetObject throughput over loopback with
// the SDK (response checksum validation off: the object has none).
func BenchmarkS3_GetObject(b *testing.B) {
	cp := testutil.TestControlPlane(b)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}))(b)
	buf := make([]byte, 256<<10)
	for _, sz := range benchSizes {
		key := aws.String("get-" + sz.name)
		must(c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: key, Body: newRepeat(sz.n),
			ContentLength: aws.Int64(sz.n)}))(b)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(sz.n)
			for b.Loop() {
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: key})
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, out.Body, buf)
				out.Body.Close()
				if err != nil || n != sz.n {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}
