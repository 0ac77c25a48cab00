// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/sigv4"
)

// BenchmarkVerifier_Header verifies a typical small awsJson POST (ECS
// ListClusters, SDK headers, buffered body) with the signing key cached.
func BenchmarkVerifier_Header(b *testing.B) {
	body := []byte(`{"maxResults":100}`)
	r := signed(b, "POST", "/", body, http.Header{
		"Content-Type":          {"application/x-amz-json-1.1"},
		"X-Amz-Target":          {"AmazonEC2ContainerServiceV20141113.ListClusters"},
		"Amz-Sdk-Invocation-Id": {"5b5c1f0e-6f2b-4f49-9d1e-2f3b7d1c0a11"},
		"Amz-Sdk-Request":       {"attempt=1; max=3"},
		"User-Agent":            {"aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 api/ecs#1.105.1"},
	}, "ecs", "", creds(testAKID), testNow)
	benchVerify(b, r, body)
}

// BenchmarkVerifier_Presigned verifies an S3 GET presigned by the SDK.
func BenchmarkVerifier_Presigned(b *testing.B) {
	r := presigned(b, "GET", "http://s3.local:4566/bucket/photos/2024/summer%20trip.jpg", time.Hour, "s3",
		creds(testAKID), testNow.Add(-time.Minute))
	benchVerify(b, r, nil)
}

func benchVerify(b *testing.B, r *http.Request, body []byte) {
	v := newVerifier(testNow)
	ctx := context.Background()
	if _, err := v.Verify(ctx, r, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifier_StreamingSigned measures decoding and verifying a 1 MiB
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD body in 64 KiB chunks.
func BenchmarkVerifier_StreamingSigned(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 1<<20)
	r := streamingRequest(b, streamSpec{mode: sigv4.StreamingSignedPayload, chunk: 64 << 10}, payload,
		creds(testAKID), testNow)
	raw, _ := io.ReadAll(r.Body)
	v := newVerifier(testNow)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		rr := r.Clone(context.Background())
		rr.Body = io.NopCloser(bytes.NewReader(raw))
		if _, err := v.Verify(context.Background(), rr, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rr.Body); err != nil {
			b.Fatal(err)
		}
	}
}
