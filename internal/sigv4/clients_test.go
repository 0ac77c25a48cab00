// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/sigv4"
)

// seen is what a test server's handler observed.
type seen struct {
	mu       sync.Mutex
	mode     string // x-amz-content-sha256 as sent
	encoding string // Content-Encoding as sent
	body     []byte
	trailer  http.Header
	res      *sigv4.Result
	err      error
}

func (s *seen) set(f func(*seen)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// flipReader flips one bit of the stream at offset: a man in the middle.
type flipReader struct {
	io.ReadCloser
	off, pos int
}

func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if f.off >= f.pos && f.off < f.pos+n {
		p[f.off-f.pos] ^= 1
	}
	f.pos += n
	return n, err
}

// s3Handler verifies with body == nil, reads the decoded body and answers
// like S3, errors mapped by AWSError.
func s3Handler(v *sigv4.Verifier, s *seen, flipAt int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mode, enc := r.Header.Get("X-Amz-Content-Sha256"), r.Header.Get("Content-Encoding")
		if flipAt > 0 {
			r.Body = &flipReader{ReadCloser: r.Body, off: flipAt}
		}
		res, err := v.Verify(r.Context(), r, nil)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(r.Body)
		}
		s.set(func(s *seen) {
			s.mode, s.encoding, s.body, s.trailer, s.res, s.err = mode, enc, body, r.Trailer.Clone(), res, err
		})
		if err != nil {
			writeError(w, sigv4.FamilyS3, sigv4.AWSError(err, sigv4.FamilyS3))
			return
		}
		w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
	}
}

// writeError renders e the way each protocol does, minimally, so the SDK
// client parses the code.
func writeError(w http.ResponseWriter, f sigv4.Family, e *awserr.Error) {
	type xmlErr struct {
		Type    string `xml:"Type,omitempty"`
		Code    string
		Message string
	}
	switch f {
	case sigv4.FamilyJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", e.Code)
		w.WriteHeader(e.HTTPStatus)
		json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
	case sigv4.FamilyQuery:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.HTTPStatus)
		xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			Error     xmlErr
			RequestID string `xml:"RequestId"`
		}{Error: xmlErr{"Sender", e.Code, e.Message}, RequestID: "1"})
	default:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(e.HTTPStatus)
		xml.NewEncoder(w).Encode(struct {
			XMLName xml.Name `xml:"Error"`
			xmlErr
		}{xmlErr: xmlErr{Code: e.Code, Message: e.Message}})
	}
}

// sdkConfig is what config.LoadDefaultConfig would resolve, minus the
// environment: notably checksums "when supported", the SDK default.
func sdkConfig(hc *http.Client, c aws.Credentials) aws.Config {
	return aws.Config{
		Region:                     region,
		Credentials:                credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		HTTPClient:                 hc,
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "unexpected: " + err.Error()
	}
	return ""
}

// TestVerifier_S3ClientPutObject runs the real aws-sdk-go-v2 S3 client
// against loopback servers whose handler calls Verify with body == nil.
// Over plain HTTP the client signs the hex SHA-256 of the body (and sends
// the checksum as a header); over TLS it streams
// STREAMING-UNSIGNED-PAYLOAD-TRAILER with the checksum as a trailer, or
// sends UNSIGNED-PAYLOAD when checksums are configured "when required".
// All decode to the object; a bit flipped in transit is caught by the digest
// (HTTP) or the trailing checksum (TLS), and a wrong secret is refused, each
// with the S3 error code the SDK reports.
func TestVerifier_S3ClientPutObject(t *testing.T) {
	payload := bytes.Repeat([]byte("berth s3 object payload\n"), 4000) // 96000 bytes
	tests := []struct {
		name      string
		tls       bool
		alg       s3types.ChecksumAlgorithm
		unsized   bool
		required  bool // RequestChecksumCalculationWhenRequired
		flipAt    int
		secret    string
		wantMode  string
		wantCode  string
		wantTrail string
	}{
		{name: "http, default checksum", wantMode: sha(payload)},
		{name: "http, sha256 checksum", alg: s3types.ChecksumAlgorithmSha256, wantMode: sha(payload)},
		{name: "tls, default crc32 trailer", tls: true, wantMode: sigv4.StreamingUnsignedPayloadTrailer,
			wantTrail: "X-Amz-Checksum-Crc32"},
		{name: "tls, crc32c trailer", tls: true, alg: s3types.ChecksumAlgorithmCrc32c,
			wantMode: sigv4.StreamingUnsignedPayloadTrailer, wantTrail: "X-Amz-Checksum-Crc32c"},
		{name: "tls, crc64nvme trailer", tls: true, alg: s3types.ChecksumAlgorithmCrc64nvme,
			wantMode: sigv4.StreamingUnsignedPayloadTrailer, wantTrail: "X-Amz-Checksum-Crc64nvme"},
		{name: "tls, sha1 trailer", tls: true, alg: s3types.ChecksumAlgorithmSha1,
			wantMode: sigv4.StreamingUnsignedPayloadTrailer, wantTrail: "X-Amz-Checksum-Sha1"},
		{name: "tls, sha256 trailer, body of unknown length", tls: true, alg: s3types.ChecksumAlgorithmSha256, unsized: true,
			wantMode: sigv4.StreamingUnsignedPayloadTrailer, wantTrail: "X-Amz-Checksum-Sha256"},
		{name: "tls, checksums only when required", tls: true, required: true, wantMode: sigv4.UnsignedPayload},
		{name: "http, bit flipped in transit", flipAt: 50000, wantMode: sha(payload), wantCode: "XAmzContentSHA256Mismatch"},
		{name: "tls, bit flipped in transit", tls: true, flipAt: 50000, wantMode: sigv4.StreamingUnsignedPayloadTrailer,
			wantCode: "BadDigest"},
		{name: "wrong secret", secret: "wrong", wantMode: sha(payload), wantCode: "SignatureDoesNotMatch"},
	}
	v := sigv4.New(sigv4.Config{Lookup: testKeys()})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s seen
			var srv *httptest.Server
			if tc.tls {
				srv = httptest.NewTLSServer(s3Handler(v, &s, tc.flipAt))
			} else {
				srv = httptest.NewServer(s3Handler(v, &s, tc.flipAt))
			}
			defer srv.Close()
			c := creds(testAKID)
			if tc.secret != "" {
				c.SecretAccessKey = tc.secret
			}
			cfg := sdkConfig(srv.Client(), c)
			if tc.required {
				cfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			}
			client := s3.NewFromConfig(cfg, func(o *s3.Options) {
				o.BaseEndpoint, o.UsePathStyle = aws.String(srv.URL), true
			})
			var body io.Reader = bytes.NewReader(payload)
			if tc.unsized {
				body = io.MultiReader(body)
			}
			_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String(s3Key), Body: body, ChecksumAlgorithm: tc.alg,
			})
			if got := apiCode(err); got != tc.wantCode {
				t.Fatalf("PutObject error code %q, want %q (server saw %v)", got, tc.wantCode, s.err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.mode != tc.wantMode {
				t.Errorf("x-amz-content-sha256 = %q, want %q", s.mode, tc.wantMode)
			}
			if tc.wantCode != "" {
				return
			}
			if tc.tls && !tc.required && s.encoding != "aws-chunked" {
				t.Errorf("Content-Encoding = %q, want aws-chunked", s.encoding)
			}
			if !bytes.Equal(s.body, payload) {
				t.Errorf("decoded %d bytes, want %d", len(s.body), len(payload))
			}
			if tc.wantTrail != "" && len(s.trailer[tc.wantTrail]) != 1 {
				t.Errorf("trailer %s missing from %v", tc.wantTrail, s.trailer)
			}
			if s.res.Service != "s3" || s.res.Principal != testKeys()[testAKID].Principal {
				t.Errorf("Result = %+v", s.res)
			}
		})
	}
}

// TestVerifier_SDKClients runs the real STS (awsQuery) and ECS (awsJson)
// clients against a loopback server that buffers the body, verifies, and
// answers errors through AWSError: success for valid long-term and
// temporary credentials, and the code each SDK sees for a wrong secret, an
// unknown key and an expired session.
func TestVerifier_SDKClients(t *testing.T) {
	// testKeys' temporary credentials expire an hour after testNow, which
	// is in the past for the real clock the SDK signs with.
	keys := testKeys()
	tmp := keys[tempAKID]
	tmp.Expiration = tmp.Expiration.AddDate(100, 0, 0)
	keys[tempAKID] = tmp
	v := sigv4.New(sigv4.Config{Lookup: keys})
	var mu sync.Mutex
	var last *sigv4.Result
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		family := sigv4.FamilyQuery
		if r.Header.Get("X-Amz-Target") != "" {
			family = sigv4.FamilyJSON
		}
		body, _ := io.ReadAll(r.Body)
		res, err := v.Verify(r.Context(), r, body)
		mu.Lock()
		last = res
		mu.Unlock()
		if err != nil {
			writeError(w, family, sigv4.AWSError(err, family))
			return
		}
		if family == sigv4.FamilyJSON {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			io.WriteString(w, `{"clusterArns":[]}`)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::000000000000:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>000000000000</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	defer srv.Close()

	wrong := creds(testAKID)
	wrong.SecretAccessKey = "wrong"
	unknown := creds(testAKID)
	unknown.AccessKeyID = "AKIDUNKNOWN"
	tests := []struct {
		name         string
		c            aws.Credentials
		sts, ecsCode string
	}{
		{name: "long-term key", c: creds(testAKID)},
		{name: "temporary credentials", c: creds(tempAKID)},
		{name: "wrong secret", c: wrong, sts: "SignatureDoesNotMatch", ecsCode: "InvalidSignatureException"},
		{name: "unknown key", c: unknown, sts: "InvalidClientTokenId", ecsCode: "UnrecognizedClientException"},
		{name: "expired session", c: creds(expAKID), sts: "ExpiredToken", ecsCode: "ExpiredTokenException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sdkConfig(srv.Client(), tc.c)
			stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
			_, err := stsClient.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			ecsClient := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
			_, err2 := ecsClient.ListClusters(context.Background(), &ecs.ListClustersInput{})
			if diff := cmp.Diff([]string{tc.sts, tc.ecsCode}, []string{apiCode(err), apiCode(err2)}); diff != "" {
				t.Fatalf("error codes [sts ecs] (-want +got):\n%s", diff)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.ecsCode == "" && (last == nil || last.Service != "ecs" || last.AccessKeyID != tc.c.AccessKeyID ||
				last.SessionToken != tc.c.SessionToken) {
				t.Errorf("last Result = %+v", last)
			}
		})
	}
}

// TestVerifier_S3PresignClient proves URLs from the SDK's S3 presign client
// (GetObject and PutObject, as a browser or curl would use them) verify,
// and that the presigned PUT's payload passes through unsigned.
func TestVerifier_S3PresignClient(t *testing.T) {
	var s seen
	srv := httptest.NewServer(s3Handler(sigv4.New(sigv4.Config{Lookup: testKeys()}), &s, 0))
	defer srv.Close()
	client := s3.NewFromConfig(sdkConfig(srv.Client(), creds(testAKID)), func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(srv.URL), true
	})
	presigner := s3.NewPresignClient(client)
	ctx := context.Background()
	get, err := presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(s3Key)})
	if err != nil {
		t.Fatal(err)
	}
	put, err := presigner.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(s3Key),
		ContentType: aws.String("text/plain")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  *v4PresignedRequest
		body string
	}{
		{name: "GetObject", req: &v4PresignedRequest{get.Method, get.URL, get.SignedHeader}},
		{name: "PutObject", req: &v4PresignedRequest{put.Method, put.URL, put.SignedHeader}, body: "uploaded by URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequest(tc.req.method, tc.req.url, bytes.NewReader([]byte(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.req.header {
				if k != "Host" {
					r.Header[k] = v
				}
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			s.mu.Lock()
			defer s.mu.Unlock()
			if resp.StatusCode != http.StatusOK || s.err != nil {
				t.Fatalf("status %d, verify error %v", resp.StatusCode, s.err)
			}
			if !s.res.Presigned || string(s.body) != tc.body || s.res.ContentSHA256 != sigv4.UnsignedPayload {
				t.Errorf("Result %+v, body %q", s.res, s.body)
			}
		})
	}
}

type v4PresignedRequest struct {
	method, url string
	header      http.Header
}
