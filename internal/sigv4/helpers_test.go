// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/berthdev/berth/internal/sigv4"
)

// Test identities. AKIAIOSFODNN7EXAMPLE is AWS's documentation key, used by
// the published streaming example.
const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tempAKID   = "ASIATEMPEXAMPLE"
	tempSecret = "tempSecretKeyEXAMPLE/abc+def"
	tempToken  = "IQoJb3JpZ2luX2VjEXAMPLE//token+with/special=chars=="
	expAKID    = "ASIAEXPIREDEXAMPLE"
	docAKID    = "AKIAIOSFODNN7EXAMPLE"
	docSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	region     = "us-east-1"
	emptyHash  = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// testNow is the verifier's clock in most tests.
var testNow = time.Date(2024, 1, 1, 0, 25, 0, 0, time.UTC)

// principal is what the fake lookup attaches.
type principal struct{ Name string }

// keyStore is an in-memory Lookup.
type keyStore map[string]sigv4.Credential

func (k keyStore) LookupAccessKey(_ context.Context, id string) (sigv4.Credential, error) {
	c, ok := k[id]
	if !ok {
		return sigv4.Credential{}, fmt.Errorf("store: key %s: %w", id, sigv4.ErrUnknownAccessKey)
	}
	return c, nil
}

func testKeys() keyStore {
	return keyStore{
		testAKID: {SecretAccessKey: testSecret, Principal: principal{"alice"}},
		tempAKID: {SecretAccessKey: tempSecret, SessionToken: tempToken,
			Expiration: testNow.Add(time.Hour), Principal: principal{"role-session"}},
		expAKID: {SecretAccessKey: tempSecret, SessionToken: tempToken,
			Expiration: testNow.Add(-time.Minute), Principal: principal{"expired"}},
		docAKID: {SecretAccessKey: docSecret, Principal: principal{"doc"}},
	}
}

func newVerifier(now time.Time) *sigv4.Verifier {
	return sigv4.New(sigv4.Config{Lookup: testKeys(), Now: func() time.Time { return now }})
}

func creds(akid string) aws.Credentials {
	switch akid {
	case tempAKID, expAKID:
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: tempSecret, SessionToken: tempToken}
	case docAKID:
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: docSecret}
	}
	return aws.Credentials{AccessKeyID: akid, SecretAccessKey: testSecret}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signed builds a server-side request and signs it with the aws-sdk-go-v2
// signer. For S3, payloadHash also goes in x-amz-content-sha256 (unless
// empty) and the path is not escaped again.
func signed(t testing.TB, method, target string, body []byte, hdr http.Header, service, payloadHash string,
	c aws.Credentials, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if body == nil {
		r = httptest.NewRequest(method, target, nil)
	}
	for k, v := range hdr {
		r.Header[http.CanonicalHeaderKey(k)] = v
	}
	if payloadHash == "" {
		payloadHash = sha(body)
	} else if service == "s3" {
		r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	err := v4.NewSigner().SignHTTP(context.Background(), c, r, payloadHash, service, region, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// presigned builds a server-side request for a URL presigned by the SDK.
func presigned(t testing.TB, method, target string, expires time.Duration, service string, c aws.Credentials,
	at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if expires > 0 {
		q := r.URL.Query()
		q.Set("X-Amz-Expires", fmt.Sprint(int(expires/time.Second)))
		r.URL.RawQuery = q.Encode()
	}
	payload := emptyHash
	if service == "s3" {
		payload = sigv4.UnsignedPayload
	}
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), c, r, payload, service, region, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err != nil {
		t.Fatal(err)
	}
	out := httptest.NewRequest(method, u, nil)
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

// kindOf returns the Kind of a *Error, 0 for nil and -1 for other errors.
func kindOf(err error) sigv4.Kind {
	var e *sigv4.Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.Kind
	}
	return -1
}

// chunkOracle signs aws-chunked bodies with crypto/hmac, independently of
// the package; TestVerifier_ChunkOracleGolden pins it to AWS's vectors.
type chunkOracle struct {
	key         []byte
	date, scope string
	prev        string
}

func newChunkOracle(secret, amzDate, service, seed string) *chunkOracle {
	k := hmacSHA256([]byte("AWS4"+secret), amzDate[:8])
	for _, m := range []string{region, service, "aws4_request"} {
		k = hmacSHA256(k, m)
	}
	return &chunkOracle{key: k, date: amzDate, scope: amzDate[:8] + "/" + region + "/" + service + "/aws4_request", prev: seed}
}

func hmacSHA256(k []byte, m string) []byte {
	h := hmac.New(sha256.New, k)
	io.WriteString(h, m)
	return h.Sum(nil)
}

func (o *chunkOracle) sign(prefix, last string) string {
	sts := prefix + "\n" + o.date + "\n" + o.scope + "\n" + o.prev + "\n" + last
	o.prev = hex.EncodeToString(hmacSHA256(o.key, sts))
	return o.prev
}

func (o *chunkOracle) chunk(data []byte) string {
	return o.sign("AWS4-HMAC-SHA256-PAYLOAD", emptyHash+"\n"+sha(data))
}

// trailer signs trailers given as "name:value" lines.
func (o *chunkOracle) trailer(lines ...string) string {
	sort.Strings(lines)
	return o.sign("AWS4-HMAC-SHA256-TRAILER", sha([]byte(strings.Join(lines, "\n")+"\n")))
}

// chunkedBody encodes payload in chunks of size n; sign (may be nil) gives
// each chunk's signature, the final empty chunk included.
func chunkedBody(payload []byte, n int, sign func([]byte) string) []byte {
	var b bytes.Buffer
	for {
		c := payload[:min(n, len(payload))]
		payload = payload[len(c):]
		fmt.Fprintf(&b, "%x", len(c))
		if sign != nil {
			b.WriteString(";chunk-signature=" + sign(c))
		}
		b.WriteString("\r\n")
		if len(c) == 0 {
			return b.Bytes()
		}
		b.Write(c)
		b.WriteString("\r\n")
	}
}
