// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4_test

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berthdev/berth/internal/sigv4"
)

// s3Key is an object key full of characters S3 clients must encode once.
const s3Key = "my folder/file (1)+~!$&'=,;:@ü.txt"

// s3Path is s3Key in bucket, encoded as the SDK does (every byte outside
// A-Z a-z 0-9 - _ . ~ and "/").
var s3Path = "/bucket/" + strings.NewReplacer("%2F", "/").Replace(strings.ReplaceAll(url.QueryEscape(s3Key), "+", "%20"))

// TestVerifier_Header proves that requests signed in the Authorization
// header by the aws-sdk-go-v2 signer verify, for each protocol's shape and
// for the URI, query and header canonicalization rules, and that the
// Result carries the scope, principal and signed headers.
func TestVerifier_Header(t *testing.T) {
	at := testNow.Add(-time.Minute)
	json := []byte(`{"maxResults":10}`)
	form := []byte("Action=ListUsers&Version=2010-05-08")
	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		body    []byte
		service string
		akid    string
		token   string
		payload string
	}{
		{
			name: "awsJson ECS POST",
			req: func(t *testing.T) *http.Request {
				return signed(t, "POST", "/", json, http.Header{
					"Content-Type": {"application/x-amz-json-1.1"},
					"X-Amz-Target": {"AmazonEC2ContainerServiceV20141113.ListClusters"},
				}, "ecs", "", creds(testAKID), at)
			},
			body: json, service: "ecs", akid: testAKID, payload: sha(json),
		},
		{
			name: "awsQuery IAM POST form",
			req: func(t *testing.T) *http.Request {
				return signed(t, "POST", "/", form, http.Header{
					"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"},
				}, "iam", "", creds(testAKID), at)
			},
			body: form, service: "iam", akid: testAKID, payload: sha(form),
		},
		{
			name: "query sorting and encoding",
			req: func(t *testing.T) *http.Request {
				return signed(t, "GET", "/?b=2&a=1&a=0&c=x%2Fy&sp=a%20b&empty=&flag&t=~&u=%C3%BC&A=upper", nil,
					nil, "iam", "", creds(testAKID), at)
			},
			service: "iam", akid: testAKID, payload: emptyHash,
		},
		{
			name: "header values trimmed, folded and joined",
			req: func(t *testing.T) *http.Request {
				return signed(t, "POST", "/", json, http.Header{
					"X-Amz-Target":  {"Logs_20140328.DescribeLogGroups"},
					"X-Custom":      {"  a   b  c ", "second  value"},
					"Content-Type":  {"application/x-amz-json-1.1"},
					"X-Amz-Meta-Ok": {"\tx"},
				}, "logs", "", creds(testAKID), at)
			},
			body: json, service: "logs", akid: testAKID, payload: sha(json),
		},
		{
			name: "temporary credentials with session token",
			req: func(t *testing.T) *http.Request {
				return signed(t, "POST", "/", json, http.Header{
					"X-Amz-Target": {"AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"},
				}, "ecr", "", creds(tempAKID), at)
			},
			body: json, service: "ecr", akid: tempAKID, token: tempToken, payload: sha(json),
		},
		{
			name: "non-S3 path is normalized and double encoded",
			req: func(t *testing.T) *http.Request {
				return signed(t, "GET", "/2015-01-01/foo%20bar/x%2Fy/%E2%82%AC", nil, nil, "execute-api", "",
					creds(testAKID), at)
			},
			service: "execute-api", akid: testAKID, payload: emptyHash,
		},
		{
			name: "S3 key with spaces and special characters is encoded once",
			req: func(t *testing.T) *http.Request {
				return signed(t, "GET", s3Path, nil, nil, "s3", emptyHash, creds(testAKID), at)
			},
			service: "s3", akid: testAKID, payload: emptyHash,
		},
		{
			name: "S3 key sent with reserved characters unescaped still matches",
			req: func(t *testing.T) *http.Request {
				r := signed(t, "GET", s3Path, nil, nil, "s3", emptyHash, creds(testAKID), at)
				sloppy, err := url.Parse("/bucket/my%20folder/file%20(1)+~!$&'=,;:@%C3%BC.txt")
				if err != nil {
					t.Fatal(err)
				}
				r.URL = sloppy
				return r
			},
			service: "s3", akid: testAKID, payload: emptyHash,
		},
		{
			name: "S3 encoded slash inside a key stays encoded",
			req: func(t *testing.T) *http.Request {
				return signed(t, "GET", "/bucket/a%2Fb/c", nil, nil, "s3", emptyHash, creds(testAKID), at)
			},
			service: "s3", akid: testAKID, payload: emptyHash,
		},
		{
			name: "S3 buffered body with unsigned payload",
			req: func(t *testing.T) *http.Request {
				return signed(t, "PUT", "/bucket/key", json, nil, "s3", sigv4.UnsignedPayload, creds(testAKID), at)
			},
			body: json, service: "s3", akid: testAKID, payload: sigv4.UnsignedPayload,
		},
		{
			name: "S3 buffered body with signed digest",
			req: func(t *testing.T) *http.Request {
				return signed(t, "PUT", "/bucket/key", json, nil, "s3", sha(json), creds(testAKID), at)
			},
			body: json, service: "s3", akid: testAKID, payload: sha(json),
		},
	}
	v := newVerifier(testNow)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req(t)
			res, err := v.Verify(context.Background(), r, tc.body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := &sigv4.Result{
				AccessKeyID:   tc.akid,
				Region:        region,
				Service:       tc.service,
				SigningTime:   at,
				SessionToken:  tc.token,
				Principal:     testKeys()[tc.akid].Principal,
				SignedHeaders: signedHeaderList(r),
				ContentSHA256: tc.payload,
				Payload:       tc.body,
			}
			if diff := cmp.Diff(want, res, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Result (-want +got):\n%s", diff)
			}
		})
	}
}

// signedHeaderList reads SignedHeaders back from the Authorization header.
func signedHeaderList(r *http.Request) []string {
	_, after, _ := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
	list, _, _ := strings.Cut(after, ",")
	return strings.Split(list, ";")
}

// TestVerifier_Presigned proves that URLs presigned by the SDK verify: S3
// (UNSIGNED-PAYLOAD, X-Amz-Expires, single-encoded key), STS the way EKS
// tokens are made (empty-payload hash), and with a session token in the
// query.
func TestVerifier_Presigned(t *testing.T) {
	at := testNow.Add(-30 * time.Minute)
	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		service string
		akid    string
		token   string
		payload string
	}{
		{
			name: "S3 GET object",
			req: func(t *testing.T) *http.Request {
				return presigned(t, "GET", "http://127.0.0.1:9000"+s3Path+"?versionId=3%2F4", time.Hour, "s3",
					creds(testAKID), at)
			},
			service: "s3", akid: testAKID, payload: sigv4.UnsignedPayload,
		},
		{
			name: "S3 PUT object with temporary credentials",
			req: func(t *testing.T) *http.Request {
				return presigned(t, "PUT", "http://s3.local/bucket/upload.bin", 7*24*time.Hour, "s3", creds(tempAKID), at)
			},
			service: "s3", akid: tempAKID, token: tempToken, payload: sigv4.UnsignedPayload,
		},
		{
			name: "STS GetCallerIdentity with X-Amz-Expires",
			req: func(t *testing.T) *http.Request {
				return presigned(t, "GET", "http://sts.local/?Action=GetCallerIdentity&Version=2011-06-15", time.Hour,
					"sts", creds(testAKID), at)
			},
			service: "sts", akid: testAKID, payload: emptyHash,
		},
		{
			name: "STS GetCallerIdentity without X-Amz-Expires inside the skew window",
			req: func(t *testing.T) *http.Request {
				return presigned(t, "GET", "http://sts.local/?Action=GetCallerIdentity&Version=2011-06-15", 0,
					"sts", creds(testAKID), testNow.Add(-10*time.Minute))
			},
			service: "sts", akid: testAKID, payload: emptyHash,
		},
	}
	v := newVerifier(testNow)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req(t)
			res, err := v.Verify(context.Background(), r, nil)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Payload != nil {
				t.Errorf("Payload = %q, want nil for a streamed presigned request", res.Payload)
			}
			got := []any{res.AccessKeyID, res.Service, res.Region, res.Presigned, res.SessionToken, res.Principal,
				res.ContentSHA256, res.SignedHeaders}
			want := []any{tc.akid, tc.service, region, true, tc.token, testKeys()[tc.akid].Principal, tc.payload,
				strings.Split(r.URL.Query().Get("X-Amz-SignedHeaders"), ";")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Result (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifier_ParseScope proves the routing helper reads the scope from
// the header (both separator styles) and the query, tolerates an otherwise
// malformed header, and classifies what it cannot parse.
func TestVerifier_ParseScope(t *testing.T) {
	ecs := sigv4.Scope{AccessKeyID: testAKID, Date: "20240101", Region: region, Service: "ecs"}
	tests := []struct {
		name  string
		authz string
		query string
		want  sigv4.Scope
		kind  sigv4.Kind
	}{
		{name: "header", authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=00", want: ecs},
		{name: "header without spaces", authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request,SignedHeaders=host,Signature=00", want: ecs},
		{name: "header missing signature", authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ecs/aws4_request", want: ecs},
		{name: "query", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fecs%2Faws4_request", want: ecs},
		{name: "none", kind: sigv4.KindMissingAuthentication},
		{name: "no credential", authz: "AWS4-HMAC-SHA256 SignedHeaders=host", kind: sigv4.KindIncompleteSignature},
		{name: "short credential", authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/ecs/aws4_request", kind: sigv4.KindIncompleteSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "http://example.com/?"+tc.query, nil)
			if tc.authz != "" {
				r.Header.Set("Authorization", tc.authz)
			}
			got, err := sigv4.ParseScope(r)
			if kindOf(err) != tc.kind {
				t.Fatalf("error = %v, want kind %v", err, tc.kind)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Scope (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifier_Concurrent verifies many requests from many goroutines
// through one Verifier (run with -race to check the key cache).
func TestVerifier_Concurrent(t *testing.T) {
	v := sigv4.New(sigv4.Config{Lookup: testKeys(), Now: func() time.Time { return testNow }, KeyCacheSize: 2})
	services := []string{"ecs", "ecr", "logs", "iam", "sts"}
	type signedReq struct {
		r    *http.Request
		body []byte
	}
	work := make([][]signedReq, 8)
	for g := range work {
		for i := range 40 {
			svc := services[(g+i)%len(services)]
			body := []byte(`{"service":"` + svc + `"}`)
			work[g] = append(work[g], signedReq{signed(t, "POST", "/", body, nil, svc, "", creds(testAKID), testNow), body})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(work))
	for _, reqs := range work {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, sr := range reqs {
				if _, err := v.Verify(context.Background(), sr.r, sr.body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestVerifier_SDKSignerOptions proves an S3-style (single-encoded) signature
// does not verify for a service that double-encodes: the two rules really
// differ on paths that need escaping.
func TestVerifier_SDKSignerOptions(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://api.local/stage/a%20b", nil)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
		r, emptyHash, "execute-api", region, testNow, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatal(err)
	}
	_, err = newVerifier(testNow).Verify(context.Background(), r, nil)
	if kindOf(err) != sigv4.KindSignatureMismatch {
		t.Fatalf("Verify = %v, want signature mismatch", err)
	}
	var e *sigv4.Error
	if !errors.As(err, &e) || !strings.Contains(e.CanonicalRequest, "\n/stage/a%2520b\n") {
		t.Errorf("canonical request should double-encode the path: %+v", e)
	}
}

// TestVerifier_DateHeader proves the HTTP Date header stands in for a
// missing X-Amz-Date (signature computed independently, as the SDK always
// sends X-Amz-Date).
func TestVerifier_DateHeader(t *testing.T) {
	const date = "Mon, 01 Jan 2024 00:24:00 GMT"
	canonical := "GET\n/\nAction=ListUsers&Version=2010-05-08\ndate:" + date + "\nhost:iam.local\n\ndate;host\n" + emptyHash
	o := newChunkOracle(testSecret, "20240101T002400Z", "iam", "")
	sig := hex.EncodeToString(hmacSHA256(o.key, "AWS4-HMAC-SHA256\n20240101T002400Z\n"+o.scope+"\n"+sha([]byte(canonical))))
	r, _ := http.NewRequest("GET", "http://iam.local/?Version=2010-05-08&Action=ListUsers", nil)
	r.Header.Set("Date", date)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAKID+"/"+o.scope+", SignedHeaders=date;host, Signature="+sig)
	res, err := newVerifier(testNow).Verify(context.Background(), r, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := time.Date(2024, 1, 1, 0, 24, 0, 0, time.UTC); !res.SigningTime.Equal(want) {
		t.Errorf("SigningTime = %v, want %v", res.SigningTime, want)
	}
}
