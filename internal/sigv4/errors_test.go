// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/sigv4"
)

// TestVerifier_Errors proves every failure kind is detected and classified:
// tampering with a signed header, the body, the query or a presigned URL,
// wrong secrets, unknown keys, clock skew both ways (with AWS's exact
// messages), presign expiry, session-token problems and malformed
// authentication.
func TestVerifier_Errors(t *testing.T) {
	at := testNow.Add(-time.Minute)
	body := []byte(`{"cluster":"default"}`)
	ecs := func(t *testing.T, c aws.Credentials, when time.Time) *http.Request {
		return signed(t, "POST", "/", body, http.Header{
			"X-Amz-Target": {"AmazonEC2ContainerServiceV20141113.ListClusters"},
		}, "ecs", "", c, when)
	}
	setAuth := func(v string) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			r := ecs(t, creds(testAKID), at)
			r.Header.Set("Authorization", v)
			return r, body
		}
	}
	const cred = "Credential=AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request"
	const sig = "Signature=0000000000000000000000000000000000000000000000000000000000000000"
	s3Presign := func(t *testing.T, expires time.Duration, when time.Time) *http.Request {
		return presigned(t, "GET", "http://s3.local/bucket/key", expires, "s3", creds(testAKID), when)
	}

	tests := []struct {
		name string
		req  func(t *testing.T) (*http.Request, []byte)
		kind sigv4.Kind
		msg  string // exact Message when set
	}{
		{name: "tampered signed header", kind: sigv4.KindSignatureMismatch, req: func(t *testing.T) (*http.Request, []byte) {
			r := ecs(t, creds(testAKID), at)
			r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DeleteCluster")
			return r, body
		}},
		{name: "tampered body", kind: sigv4.KindSignatureMismatch, req: func(t *testing.T) (*http.Request, []byte) {
			return ecs(t, creds(testAKID), at), []byte(`{"cluster":"prod"}`)
		}},
		{name: "tampered query", kind: sigv4.KindSignatureMismatch, req: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", "/?Action=ListUsers&Version=2010-05-08", nil, nil, "iam", "", creds(testAKID), at)
			r.URL.RawQuery = "Action=DeleteUser&Version=2010-05-08"
			return r, nil
		}},
		{name: "tampered path", kind: sigv4.KindSignatureMismatch, req: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, "GET", "/bucket/a", nil, nil, "s3", emptyHash, creds(testAKID), at)
			r.URL.Path = "/bucket/b"
			return r, nil
		}},
		{name: "tampered presigned expiry", kind: sigv4.KindSignatureMismatch, req: func(t *testing.T) (*http.Request, []byte) {
			r := s3Presign(t, time.Minute, at)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=604800", 1)
			return r, nil
		}},
		{name: "wrong secret", kind: sigv4.KindSignatureMismatch, req: func(t *testing.T) (*http.Request, []byte) {
			return ecs(t, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "not-the-secret"}, at), body
		}},
		{name: "signature not hex", kind: sigv4.KindSignatureMismatch,
			req: setAuth("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=xyz")},
		{name: "unknown access key", kind: sigv4.KindUnknownAccessKey, req: func(t *testing.T) (*http.Request, []byte) {
			return ecs(t, aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: testSecret}, at), body
		}},
		{name: "signed too long ago", kind: sigv4.KindRequestTimeTooSkewed,
			msg: "Signature expired: 20240101T000459Z is now earlier than 20240101T001000Z (20240101T002500Z - 15 min.)",
			req: func(t *testing.T) (*http.Request, []byte) {
				return ecs(t, creds(testAKID), testNow.Add(-20*time.Minute-time.Second)), body
			}},
		{name: "signed in the future", kind: sigv4.KindRequestTimeTooSkewed,
			msg: "Signature not yet current: 20240101T004600Z is still later than 20240101T004000Z (20240101T002500Z + 15 min.)",
			req: func(t *testing.T) (*http.Request, []byte) {
				return ecs(t, creds(testAKID), testNow.Add(21*time.Minute)), body
			}},
		{name: "presigned URL expired", kind: sigv4.KindPresignExpired, msg: "Request has expired",
			req: func(t *testing.T) (*http.Request, []byte) {
				return s3Presign(t, time.Hour, testNow.Add(-2*time.Hour)), nil
			}},
		{name: "presigned URL not yet valid", kind: sigv4.KindRequestTimeTooSkewed,
			req: func(t *testing.T) (*http.Request, []byte) {
				return s3Presign(t, time.Hour, testNow.Add(time.Hour)), nil
			}},
		{name: "presigned STS without expiry outside skew", kind: sigv4.KindRequestTimeTooSkewed,
			req: func(t *testing.T) (*http.Request, []byte) {
				return presigned(t, "GET", "http://sts.local/?Action=GetCallerIdentity&Version=2011-06-15", 0, "sts",
					creds(testAKID), testNow.Add(-16*time.Minute)), nil
			}},
		{name: "expired session token", kind: sigv4.KindExpiredToken,
			req: func(t *testing.T) (*http.Request, []byte) { return ecs(t, creds(expAKID), at), body }},
		{name: "missing session token", kind: sigv4.KindInvalidToken, req: func(t *testing.T) (*http.Request, []byte) {
			return ecs(t, aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret}, at), body
		}},
		{name: "different session token", kind: sigv4.KindInvalidToken, req: func(t *testing.T) (*http.Request, []byte) {
			return ecs(t, aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: "other"}, at), body
		}},
		{name: "session token on a long-term key", kind: sigv4.KindInvalidToken, req: func(t *testing.T) (*http.Request, []byte) {
			return ecs(t, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: "t"}, at), body
		}},
		{name: "missing session token in presigned URL", kind: sigv4.KindInvalidToken, req: func(t *testing.T) (*http.Request, []byte) {
			return presigned(t, "GET", "http://s3.local/b/k", time.Hour, "s3",
				aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret}, at), nil
		}},
		{name: "no authentication", kind: sigv4.KindMissingAuthentication, req: func(t *testing.T) (*http.Request, []byte) {
			r, _ := http.NewRequest("GET", "http://ecs.local/", nil)
			return r, nil
		}},
		{name: "missing Credential", kind: sigv4.KindIncompleteSignature,
			msg: "Authorization header requires 'Credential' parameter.",
			req: setAuth("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, " + sig)},
		{name: "missing SignedHeaders and Signature", kind: sigv4.KindIncompleteSignature,
			msg: "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.",
			req: setAuth("AWS4-HMAC-SHA256 " + cred)},
		{name: "component without value", kind: sigv4.KindIncompleteSignature,
			req: setAuth("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders, " + sig)},
		{name: "unsupported algorithm", kind: sigv4.KindIncompleteSignature,
			req: setAuth("AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host, " + sig)},
		{name: "signature version 2", kind: sigv4.KindIncompleteSignature, req: setAuth("AWS AKIDEXAMPLE:c2lnbmF0dXJl")},
		{name: "bad scope terminator", kind: sigv4.KindIncompleteSignature,
			msg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.",
			req: setAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ecs/aws5_request, SignedHeaders=host, " + sig)},
		{name: "scope with empty region", kind: sigv4.KindIncompleteSignature,
			req: setAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101//ecs/aws4_request, SignedHeaders=host, " + sig)},
		{name: "scope date not YYYYMMDD", kind: sigv4.KindIncompleteSignature,
			req: setAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2024-1-1/us-east-1/ecs/aws4_request, SignedHeaders=host, " + sig)},
		{name: "host not signed", kind: sigv4.KindIncompleteSignature,
			req: setAuth("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig)},
		{name: "x-amz-date not ISO 8601 basic", kind: sigv4.KindIncompleteSignature, req: func(t *testing.T) (*http.Request, []byte) {
			r := ecs(t, creds(testAKID), at)
			r.Header.Set("X-Amz-Date", "2024-01-01T00:24:00Z")
			return r, body
		}},
		{name: "x-amz-date is not a calendar date", kind: sigv4.KindIncompleteSignature,
			req: func(t *testing.T) (*http.Request, []byte) {
				r := ecs(t, creds(testAKID), at)
				r.Header.Set("X-Amz-Date", "20240230T000000Z")
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20240101/", "/20240230/", 1))
				return r, body
			}},
		{name: "x-amz-date outside the scope date", kind: sigv4.KindIncompleteSignature,
			msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240101' != '20240102', from '20240102T000000Z'.",
			req: func(t *testing.T) (*http.Request, []byte) {
				r := ecs(t, creds(testAKID), at)
				r.Header.Set("X-Amz-Date", "20240102T000000Z")
				return r, body
			}},
		{name: "no date at all", kind: sigv4.KindIncompleteSignature, req: func(t *testing.T) (*http.Request, []byte) {
			r := ecs(t, creds(testAKID), at)
			r.Header.Del("X-Amz-Date")
			return r, body
		}},
		{name: "presigned X-Amz-Expires over a week", kind: sigv4.KindIncompleteSignature,
			msg: "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
			req: func(t *testing.T) (*http.Request, []byte) { return s3Presign(t, 7*24*time.Hour+time.Second, at), nil }},
		{name: "presigned without signature", kind: sigv4.KindIncompleteSignature, req: func(t *testing.T) (*http.Request, []byte) {
			r := s3Presign(t, time.Hour, at)
			q := r.URL.Query()
			q.Del("X-Amz-Signature")
			r.URL.RawQuery = q.Encode()
			return r, nil
		}},
		{name: "presigned S3 without X-Amz-Expires", kind: sigv4.KindIncompleteSignature, req: func(t *testing.T) (*http.Request, []byte) {
			return s3Presign(t, 0, at), nil
		}},
		{name: "header and query authentication together", kind: sigv4.KindIncompleteSignature,
			req: func(t *testing.T) (*http.Request, []byte) {
				r := s3Presign(t, time.Hour, at)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+cred+", SignedHeaders=host, "+sig)
				return r, nil
			}},
		{name: "S3 streamed body without x-amz-content-sha256", kind: sigv4.KindMissingPayloadHash,
			req: func(t *testing.T) (*http.Request, []byte) {
				return signed(t, "PUT", "/bucket/key", body, nil, "s3", "", creds(testAKID), at), nil
			}},
		{name: "S3 x-amz-content-sha256 not a digest", kind: sigv4.KindMissingPayloadHash,
			req: func(t *testing.T) (*http.Request, []byte) {
				return signed(t, "PUT", "/bucket/key", body, nil, "s3", "deadbeef", creds(testAKID), at), body
			}},
		{name: "unsigned payload outside S3", kind: sigv4.KindMissingPayloadHash,
			req: func(t *testing.T) (*http.Request, []byte) {
				return signed(t, "POST", "/", body, http.Header{"X-Amz-Content-Sha256": {sigv4.UnsignedPayload}}, "ecs",
					sigv4.UnsignedPayload, creds(testAKID), at), body
			}},
		{name: "S3 buffered body does not match its signed digest", kind: sigv4.KindPayloadHashMismatch,
			req: func(t *testing.T) (*http.Request, []byte) {
				return signed(t, "PUT", "/bucket/key", body, nil, "s3", sha(body), creds(testAKID), at), []byte("tampered")
			}},
		{name: "S3 empty body with the digest of something", kind: sigv4.KindPayloadHashMismatch,
			req: func(t *testing.T) (*http.Request, []byte) {
				return signed(t, "GET", "/bucket/key", nil, nil, "s3", sha(body), creds(testAKID), at), nil
			}},
	}
	v := newVerifier(testNow)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, b := tc.req(t)
			res, err := v.Verify(context.Background(), r, b)
			if res != nil || kindOf(err) != tc.kind {
				t.Fatalf("Verify = %+v, %v; want kind %v", res, err, tc.kind)
			}
			if e := (*sigv4.Error)(nil); tc.msg != "" && errors.As(err, &e) && e.Message != tc.msg {
				t.Errorf("Message:\n got %q\nwant %q", e.Message, tc.msg)
			}
		})
	}
}

// TestVerifier_LookupFailure proves a Lookup error other than "unknown key"
// is passed through (not blamed on the client) and maps to InternalFailure.
func TestVerifier_LookupFailure(t *testing.T) {
	down := errors.New("store: unavailable")
	v := sigv4.New(sigv4.Config{
		Lookup: sigv4.LookupFunc(func(context.Context, string) (sigv4.Credential, error) { return sigv4.Credential{}, down }),
		Now:    func() time.Time { return testNow },
	})
	r := signed(t, "POST", "/", nil, nil, "ecs", "", creds(testAKID), testNow)
	_, err := v.Verify(context.Background(), r, []byte{})
	if !errors.Is(err, down) || kindOf(err) != -1 {
		t.Fatalf("Verify = %v, want the lookup error", err)
	}
	if strings.Contains(err.Error(), testAKID) {
		t.Errorf("error %q leaks the full access key id", err)
	}
	if got := sigv4.AWSError(err, sigv4.FamilyJSON); got.Code != awserr.CodeInternalFailure || got.HTTPStatus != 500 {
		t.Errorf("AWSError = %+v, want InternalFailure", got)
	}
}

// TestVerifier_AWSError pins the code, status and message of every kind in
// each protocol family, as AWS answers them.
func TestVerifier_AWSError(t *testing.T) {
	const (
		sigMsg      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
		tokenMsg    = "The security token included in the request is invalid."
		expiredMsg  = "The security token included in the request is expired"
		skewMsg     = "Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z (20240101T002500Z - 15 min.)"
		detail      = "detail from the verifier"
		s3SigMsg    = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
		s3KeyMsg    = "The AWS Access Key Id you provided does not exist in our records."
		s3SHAMsg    = "The provided 'x-amz-content-sha256' header does not match what was computed."
		s3ExpTokMsg = "The provided token has expired."
		s3BadTokMsg = "The provided token is malformed or otherwise invalid."
		s3SkewMsg   = "The difference between the request time and the current time is too large."
	)
	type wire struct {
		Code   string
		Status int
		Msg    string
	}
	tests := []struct {
		err               *sigv4.Error
		query, json, s3   wire
		s3Fields          map[string]string
		s3PresignedFields bool
	}{
		{err: &sigv4.Error{Kind: sigv4.KindMissingAuthentication, Message: detail},
			query: wire{"MissingAuthenticationToken", 403, "Request is missing Authentication Token"},
			json:  wire{"MissingAuthenticationTokenException", 400, "Missing Authentication Token"},
			s3:    wire{"AccessDenied", 403, "Access Denied"}},
		{err: &sigv4.Error{Kind: sigv4.KindIncompleteSignature, Message: detail},
			query: wire{"IncompleteSignature", 400, detail},
			json:  wire{"IncompleteSignatureException", 400, detail},
			s3:    wire{"AuthorizationHeaderMalformed", 400, detail}},
		{err: &sigv4.Error{Kind: sigv4.KindIncompleteSignature, Message: detail, Presigned: true},
			query: wire{"IncompleteSignature", 400, detail},
			json:  wire{"IncompleteSignatureException", 400, detail},
			s3:    wire{"AuthorizationQueryParametersError", 400, detail}},
		{err: &sigv4.Error{Kind: sigv4.KindUnknownAccessKey, Message: detail, AccessKeyID: "AKIDX"},
			query:    wire{"InvalidClientTokenId", 403, tokenMsg},
			json:     wire{"UnrecognizedClientException", 400, tokenMsg},
			s3:       wire{"InvalidAccessKeyId", 403, s3KeyMsg},
			s3Fields: map[string]string{"AWSAccessKeyId": "AKIDX"}},
		{err: &sigv4.Error{Kind: sigv4.KindInvalidToken, Message: detail},
			query: wire{"InvalidClientTokenId", 403, tokenMsg},
			json:  wire{"UnrecognizedClientException", 400, tokenMsg},
			s3:    wire{"InvalidToken", 400, s3BadTokMsg}},
		{err: &sigv4.Error{Kind: sigv4.KindExpiredToken, Message: detail},
			query: wire{"ExpiredToken", 403, expiredMsg},
			json:  wire{"ExpiredTokenException", 400, expiredMsg},
			s3:    wire{"ExpiredToken", 400, s3ExpTokMsg}},
		{err: &sigv4.Error{Kind: sigv4.KindSignatureMismatch, Message: detail, AccessKeyID: "AKIDX",
			StringToSign: "sts", CanonicalRequest: "cr", SignatureProvided: "sig"},
			query:    wire{"SignatureDoesNotMatch", 403, sigMsg},
			json:     wire{"InvalidSignatureException", 400, sigMsg},
			s3:       wire{"SignatureDoesNotMatch", 403, s3SigMsg},
			s3Fields: map[string]string{"AWSAccessKeyId": "AKIDX", "StringToSign": "sts", "CanonicalRequest": "cr", "SignatureProvided": "sig"}},
		{err: &sigv4.Error{Kind: sigv4.KindRequestTimeTooSkewed, Message: skewMsg, RequestTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			ServerTime: testNow, MaxSkew: 15 * time.Minute},
			query: wire{"SignatureDoesNotMatch", 403, skewMsg},
			json:  wire{"InvalidSignatureException", 400, skewMsg},
			s3:    wire{"RequestTimeTooSkewed", 403, s3SkewMsg},
			s3Fields: map[string]string{"RequestTime": "Mon, 01 Jan 2024 00:00:00 GMT", "ServerTime": "2024-01-01T00:25:00Z",
				"MaxAllowedSkewMilliseconds": "900000"}},
		{err: &sigv4.Error{Kind: sigv4.KindPresignExpired, Message: "Request has expired", Presigned: true,
			RequestTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ServerTime: testNow, Expires: 10 * time.Minute},
			query:    wire{"SignatureDoesNotMatch", 403, "Request has expired"},
			json:     wire{"InvalidSignatureException", 400, "Request has expired"},
			s3:       wire{"AccessDenied", 403, "Request has expired"},
			s3Fields: map[string]string{"X-Amz-Expires": "600", "Expires": "2024-01-01T00:10:00Z", "ServerTime": "2024-01-01T00:25:00Z"}},
		{err: &sigv4.Error{Kind: sigv4.KindPayloadHashMismatch, Message: detail, ClientSHA256: "aa", ComputedSHA256: "bb"},
			query:    wire{"SignatureDoesNotMatch", 403, sigMsg},
			json:     wire{"InvalidSignatureException", 400, sigMsg},
			s3:       wire{"XAmzContentSHA256Mismatch", 400, s3SHAMsg},
			s3Fields: map[string]string{"ClientComputedContentSHA256": "aa", "S3ComputedContentSHA256": "bb"}},
		{err: &sigv4.Error{Kind: sigv4.KindMissingPayloadHash, Message: detail},
			query: wire{"IncompleteSignature", 400, detail},
			json:  wire{"IncompleteSignatureException", 400, detail},
			s3:    wire{"InvalidRequest", 400, "Missing required header for this request: x-amz-content-sha256"}},
		{err: &sigv4.Error{Kind: sigv4.KindMissingPayloadHash, Message: detail, ClientSHA256: "junk"},
			query: wire{"IncompleteSignature", 400, detail},
			json:  wire{"IncompleteSignatureException", 400, detail},
			s3:    wire{"InvalidArgument", 400, detail}},
		{err: &sigv4.Error{Kind: sigv4.KindMalformedPayload, Message: detail},
			query: wire{"ValidationError", 400, detail},
			json:  wire{"ValidationException", 400, detail},
			s3:    wire{"IncompleteBody", 400, detail}},
		{err: &sigv4.Error{Kind: sigv4.KindChecksumMismatch, Message: detail},
			query: wire{"ValidationError", 400, detail},
			json:  wire{"ValidationException", 400, detail},
			s3:    wire{"BadDigest", 400, detail}},
	}
	for _, tc := range tests {
		name := tc.err.Kind.String()
		if tc.err.Presigned {
			name += " presigned"
		}
		t.Run(name, func(t *testing.T) {
			for _, f := range []struct {
				family sigv4.Family
				want   wire
				fields map[string]string
			}{{sigv4.FamilyQuery, tc.query, nil}, {sigv4.FamilyJSON, tc.json, nil}, {sigv4.FamilyS3, tc.s3, tc.s3Fields}} {
				got := sigv4.AWSError(tc.err, f.family)
				if diff := cmp.Diff(f.want, wire{got.Code, got.HTTPStatus, got.Message}); diff != "" {
					t.Errorf("family %d (-want +got):\n%s", f.family, diff)
				}
				if diff := cmp.Diff(f.fields, got.Fields); diff != "" {
					t.Errorf("family %d fields (-want +got):\n%s", f.family, diff)
				}
				if !got.Sender || !errors.Is(got, tc.err) {
					t.Errorf("family %d: Sender=%v, cause %v", f.family, got.Sender, got.Err)
				}
			}
		})
	}
	if sigv4.AWSError(nil, sigv4.FamilyS3) != nil {
		t.Error("AWSError(nil) != nil")
	}
}
