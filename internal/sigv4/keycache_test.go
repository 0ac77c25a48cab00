// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestVerifier_SigningKey pins the key derivation to AWS's published
// example ("Examples of how to derive a signing key for Signature Version
// 4") and the precomputed-pad HMAC to crypto/hmac.
func TestVerifier_SigningKey(t *testing.T) {
	k := deriveKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
	if got := hex.EncodeToString(k); got != "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d" {
		t.Errorf("kSigning = %s", got)
	}
	sk := newSigningKey(k)
	for _, msg := range []string{"", "x", strings.Repeat("string to sign\n", 40)} {
		want := hmac.New(sha256.New, k)
		want.Write([]byte(msg))
		got := sk.finish(append(sk.begin(nil), msg...))
		if !hmac.Equal(got[:], want.Sum(nil)) {
			t.Errorf("HMAC of %d bytes differs from crypto/hmac", len(msg))
		}
	}
}

// TestVerifier_KeyCache proves a steady stream of verifications for one
// principal derives its signing key once, and that the cache stays bounded
// while keeping recently used keys.
func TestVerifier_KeyCache(t *testing.T) {
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	v := New(Config{
		Lookup: LookupFunc(func(context.Context, string) (Credential, error) {
			return Credential{SecretAccessKey: "secret"}, nil
		}),
		Now: func() time.Time { return now },
	})
	body := []byte(`{}`)
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"},
		r, hex.EncodeToString(sum[:]), "ecs", "us-east-1", now); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := v.Verify(context.Background(), r, body); err != nil {
			t.Fatal(err)
		}
	}
	if got := v.keys.misses.Load(); got != 1 {
		t.Errorf("100 verifications derived %d keys, want 1", got)
	}

	c := newKeyCache(4)
	id := func(i int) keyID {
		return keyID{secret: "s", date: "20240101", region: fmt.Sprint("r", i), service: "ecs"}
	}
	hot := c.get(id(0))
	for i := 1; i < 50; i++ {
		c.get(id(i))
		if c.get(id(0)) != hot {
			t.Fatalf("hot key evicted after %d inserts", i)
		}
	}
	if len(c.m) != 4 || len(c.ring) != 4 {
		t.Errorf("cache holds %d keys (%d in ring), want 4", len(c.m), len(c.ring))
	}
	if c.misses.Load() != 50 {
		t.Errorf("misses = %d, want 50", c.misses.Load())
	}
}
