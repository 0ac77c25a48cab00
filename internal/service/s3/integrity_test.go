// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/berthdev/berth/internal/testutil"
)

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func hmacSHA(k []byte, m string) []byte {
	h := hmac.New(sha256.New, k)
	io.WriteString(h, m)
	return h.Sum(nil)
}

// upload describes a hand-signed PutObject.
type upload struct {
	name string
	// mode is the x-amz-content-sha256 value: a hex digest (the body's
	// unless claim is set), or a STREAMING-* mode.
	mode    string
	claim   string            // a wrong digest to claim
	headers map[string]string // extra signed headers
	trailer string            // "name:value" for the trailer modes
	tamper  func([]byte) []byte
}

// send signs and sends a PutObject of payload at path, building an
// aws-chunked body (64 KiB chunks) for the streaming modes.
func (u upload) send(t *testing.T, cp *testutil.ControlPlane, path string, payload []byte) *http.Response {
	t.Helper()
	id, secret := cp.RootCredentials()
	now := time.Now().UTC()
	req, _ := http.NewRequest(http.MethodPut, cp.URL+path, nil)
	for k, v := range u.headers {
		req.Header.Set(k, v)
	}
	hash := u.mode
	if hash == "" {
		hash = hexSHA(payload)
		if u.claim != "" {
			hash = u.claim
		}
	}
	streaming := strings.HasPrefix(u.mode, "STREAMING-")
	if streaming {
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(payload)))
		if u.trailer != "" {
			req.Header.Set("X-Amz-Trailer", strings.SplitN(u.trailer, ":", 2)[0])
		}
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", testutil.Region, now); err != nil {
		t.Fatal(err)
	}
	body := payload
	if streaming {
		auth := req.Header.Get("Authorization")
		prev := auth[strings.LastIndex(auth, "=")+1:]
		date := now.Format("20060102T150405Z")
		key := []byte("AWS4" + secret)
		for _, m := range []string{date[:8], testutil.Region, "s3", "aws4_request"} {
			key = hmacSHA(key, m)
		}
		scope := date[:8] + "/" + testutil.Region + "/s3/aws4_request"
		sign := func(kind, last string) string {
			prev = hex.EncodeToString(hmacSHA(key, kind+"\n"+date+"\n"+scope+"\n"+prev+"\n"+last))
			return prev
		}
		signed := u.mode != "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
		var b bytes.Buffer
		for rest := payload; ; {
			c := rest[:min(64<<10, len(rest))]
			rest = rest[len(c):]
			fmt.Fprintf(&b, "%x", len(c))
			if signed {
				b.WriteString(";chunk-signature=" + sign("AWS4-HMAC-SHA256-PAYLOAD", hexSHA(nil)+"\n"+hexSHA(c)))
			}
			b.WriteString("\r\n")
			if len(c) == 0 {
				break
			}
			b.Write(c)
			b.WriteString("\r\n")
		}
		if u.trailer != "" {
			b.WriteString(u.trailer + "\r\n")
			if signed {
				b.WriteString("x-amz-trailer-signature:" + sign("AWS4-HMAC-SHA256-TRAILER", hexSHA([]byte(u.trailer+"\n"))) + "\r\n")
			}
		}
		b.WriteString("\r\n")
		body = b.Bytes()
	}
	if u.tamper != nil {
		body = u.tamper(bytes.Clone(body))
	}
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// blobFiles counts the files under DATA_DIR/blobs: committed blobs and
// temporary files alike.
func blobFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func crc32b64(b []byte) string {
	var s [4]byte
	v := crc32.ChecksumIEEE(b)
	s[0], s[1], s[2], s[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestService_UploadIntegrity: an upload whose signature, payload hash,
// chunk signature or checksum fails is refused and leaves no object and
// no blob behind; the aws-chunked modes the SDKs and CLIs use succeed.
func TestService_UploadIntegrity(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	c := pathClient(cp.RootConfig())
	must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("integrity")}))(t)
	payload := bytes.Repeat([]byte("berth-integrity-"), 20000) // 320 KB, several chunks
	md := md5.Sum(payload)
	flip := func(b []byte) []byte { b[len(b)/2] ^= 1; return b }
	tests := []struct {
		u      upload
		status int
		code   string
	}{
		{upload{name: "signed digest"}, 200, ""},
		{upload{name: "content-md5", headers: map[string]string{"Content-Md5": base64.StdEncoding.EncodeToString(md[:])}}, 200, ""},
		{upload{name: "crc32 header", headers: map[string]string{"X-Amz-Checksum-Crc32": crc32b64(payload)}}, 200, ""},
		{upload{name: "unsigned payload", mode: "UNSIGNED-PAYLOAD"}, 200, ""},
		{upload{name: "signed chunks", mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}, 200, ""},
		{upload{name: "signed chunks with trailer", mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
			trailer: "x-amz-checksum-crc32:" + crc32b64(payload)}, 200, ""},
		{upload{name: "unsigned chunks with trailer", mode: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			trailer: "x-amz-checksum-crc32:" + crc32b64(payload)}, 200, ""},

		{upload{name: "body differs from signed digest", tamper: flip}, 400, "XAmzContentSHA256Mismatch"},
		{upload{name: "wrong claimed digest", claim: hexSHA([]byte("other"))}, 400, "XAmzContentSHA256Mismatch"},
		{upload{name: "content-md5 mismatch", headers: map[string]string{"Content-Md5": base64.StdEncoding.EncodeToString(make([]byte, 16))}},
			400, "BadDigest"},
		{upload{name: "content-md5 malformed", headers: map[string]string{"Content-Md5": "not-md5"}}, 400, "InvalidDigest"},
		{upload{name: "crc32 header mismatch", headers: map[string]string{"X-Amz-Checksum-Crc32": crc32b64([]byte("x"))}}, 400, "BadDigest"},
		{upload{name: "tampered chunk", mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", tamper: flip}, 403, "SignatureDoesNotMatch"},
		{upload{name: "wrong trailing checksum", mode: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			trailer: "x-amz-checksum-crc32:" + crc32b64([]byte("x"))}, 400, "BadDigest"},
	}
	for i, tc := range tests {
		t.Run(tc.u.name, func(t *testing.T) {
			key := fmt.Sprintf("obj-%d", i)
			before := blobFiles(t, cp.DataDir)
			resp := tc.u.send(t, cp, "/integrity/"+key, payload)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.code) {
				t.Fatalf("status %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("integrity"), Key: aws.String(key)})
			after := blobFiles(t, cp.DataDir)
			if tc.status != 200 {
				wantError(t, err, "NotFound", 404)
				if after != before {
					t.Errorf("blob files %d → %d after a refused upload", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := must(c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("integrity"), Key: aws.String(key)}))(t)
			n, gotMD5, _ := hashOf(t, got.Body)
			got.Body.Close()
			if n != int64(len(payload)) || gotMD5 != hex.EncodeToString(md[:]) || trimQuotes(got.ETag) != gotMD5 {
				t.Errorf("stored %d bytes md5 %s etag %s", n, gotMD5, aws.ToString(got.ETag))
			}
		})
	}
}
