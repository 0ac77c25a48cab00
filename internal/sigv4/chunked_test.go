// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/sigv4"
)

// AWS's published chunked-upload example ("Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks", Example:
// PUT Object): 66560 bytes of 'a' in a 65536-byte chunk, a 1024-byte chunk
// and the final empty chunk, signed on 20130524 with the documentation key.
const (
	awsSeedSig   = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	awsChunk1Sig = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
	awsChunk2Sig = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
	awsFinalSig  = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
	// The AWS Common Runtime's chunk-signer test continues the same example
	// with trailers first:1st, second:2nd, third:3rd.
	crtTrailerSig = "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c"
	awsDate       = "20130524T000000Z"
)

var awsExampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

// crc64NVME is CRC-64/NVME for Go's reflected crc64.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// TestVerifier_ChunkOracleGolden pins the test's independent chunk signer
// to AWS's published chunk signatures and the CRT's trailer signature, and
// the CRC-64/NVME table to the algorithm's check value, so the streaming
// tests below rest on AWS's numbers, not on the package's own logic.
func TestVerifier_ChunkOracleGolden(t *testing.T) {
	o := newChunkOracle(docSecret, awsDate, "s3", awsSeedSig)
	got := []string{
		o.chunk(bytes.Repeat([]byte("a"), 65536)),
		o.chunk(bytes.Repeat([]byte("a"), 1024)),
		o.chunk(nil),
		o.trailer("first:1st", "second:2nd", "third:3rd"),
	}
	if diff := cmp.Diff([]string{awsChunk1Sig, awsChunk2Sig, awsFinalSig, crtTrailerSig}, got); diff != "" {
		t.Errorf("chunk signatures (-want +got):\n%s", diff)
	}
	if got := crc64.Checksum([]byte("123456789"), crc64NVME); got != 0xae8b14860a799888 {
		t.Errorf("CRC-64/NVME check value = %#x", got)
	}
}

// awsExampleRequest is AWS's published request, byte for byte; sep is the
// separator between Authorization components.
func awsExampleRequest(sep string, body []byte) *http.Request {
	r := httptest.NewRequest("PUT", "/examplebucket/chunkObject.txt", bytes.NewReader(body))
	r.Host = "s3.amazonaws.com"
	r.Header.Set("X-Amz-Date", awsDate)
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingSignedPayload)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docAKID+"/20130524/us-east-1/s3/aws4_request"+sep+
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class"+
		sep+"Signature="+awsSeedSig)
	return r
}

func awsExampleBody() []byte {
	sigs := []string{awsChunk1Sig, awsChunk2Sig, awsFinalSig}
	return chunkedBody(bytes.Repeat([]byte("a"), 66560), 65536, func([]byte) string {
		s := sigs[0]
		sigs = sigs[1:]
		return s
	})
}

// TestVerifier_StreamingAWSExample verifies AWS's published streaming PUT
// as a golden test: the seed signature, every chunk signature and the
// decoded length, streamed (body == nil) and buffered; a tampered chunk,
// signature, length or framing fails.
func TestVerifier_StreamingAWSExample(t *testing.T) {
	full := append(awsExampleBody(), "\r\n"...)
	if len(full) != 66824 {
		t.Fatalf("example body is %d bytes, AWS says 66824", len(full))
	}
	tests := []struct {
		name     string
		sep      string
		tamper   func([]byte) []byte
		buffered bool
		kind     sigv4.Kind
	}{
		{name: "streamed", sep: ","},
		{name: "streamed, comma-space separators", sep: ", "},
		{name: "buffered", sep: ",", buffered: true},
		{name: "tampered second chunk", sep: ",", kind: sigv4.KindSignatureMismatch,
			tamper: func(b []byte) []byte { b[len(b)-200] = 'b'; return b }},
		{name: "tampered second chunk, buffered", sep: ",", buffered: true, kind: sigv4.KindSignatureMismatch,
			tamper: func(b []byte) []byte { b[len(b)-200] = 'b'; return b }},
		{name: "tampered first chunk signature", sep: ",", kind: sigv4.KindSignatureMismatch,
			tamper: func(b []byte) []byte { return bytes.Replace(b, []byte(awsChunk1Sig), []byte(awsChunk2Sig), 1) }},
		{name: "chunk longer than declared", sep: ",", kind: sigv4.KindMalformedPayload,
			tamper: func(b []byte) []byte { return bytes.Replace(b, []byte("400;"), []byte("3ff;"), 1) }},
		{name: "truncated", sep: ",", kind: sigv4.KindMalformedPayload,
			tamper: func(b []byte) []byte { return b[:40000] }},
		{name: "final chunk missing", sep: ",", kind: sigv4.KindMalformedPayload,
			tamper: func(b []byte) []byte { return b[:len(b)-88] }},
		{name: "data after the final chunk", sep: ",", kind: sigv4.KindMalformedPayload,
			tamper: func(b []byte) []byte { return append(b, "extra"...) }},
	}
	v := newVerifier(awsExampleTime.Add(time.Minute))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Clone(full)
			if tc.tamper != nil {
				body = tc.tamper(body)
			}
			r := awsExampleRequest(tc.sep, body)
			var got []byte
			var err error
			if tc.buffered {
				var res *sigv4.Result
				if res, err = v.Verify(context.Background(), r, body); err == nil {
					got = res.Payload
				}
			} else {
				if _, err = v.Verify(context.Background(), r, nil); err != nil {
					t.Fatalf("Verify: %v", err) // the seed signature covers headers only
				}
				got, err = io.ReadAll(r.Body)
			}
			if kindOf(err) != tc.kind {
				t.Fatalf("error = %v, want kind %v", err, tc.kind)
			}
			if tc.kind != 0 {
				return
			}
			if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) {
				t.Errorf("decoded %d bytes, want 66560 'a'", len(got))
			}
			if r.ContentLength != 66560 || r.Header.Get("Content-Encoding") != "" {
				t.Errorf("request not rewritten for the decoded payload: length %d, encoding %q",
					r.ContentLength, r.Header.Get("Content-Encoding"))
			}
		})
	}
}

// streamSpec describes a self-built aws-chunked upload.
type streamSpec struct {
	mode     string
	chunk    int
	trailers []string // "name:value"
	declare  string   // x-amz-trailer; defaults to the trailer names
	noLength bool     // leave out x-amz-decoded-content-length
	length   int      // x-amz-decoded-content-length override
	tamper   func([]byte) []byte
}

// streamingRequest signs the headers with the SDK signer (the seed), then
// encodes payload with the oracle's chunk and trailer signatures.
func streamingRequest(t testing.TB, s streamSpec, payload []byte, c aws.Credentials, at time.Time) *http.Request {
	t.Helper()
	hdr := http.Header{"Content-Encoding": {"aws-chunked"}}
	if !s.noLength {
		n := len(payload)
		if s.length != 0 {
			n = s.length
		}
		hdr.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(n))
	}
	if s.declare == "" {
		var names []string
		for _, tr := range s.trailers {
			names = append(names, strings.SplitN(tr, ":", 2)[0])
		}
		s.declare = strings.Join(names, ",")
	}
	if s.declare != "" {
		hdr.Set("X-Amz-Trailer", s.declare)
	}
	r := signed(t, "PUT", "/bucket/stream.bin", nil, hdr, "s3", s.mode, c, at)
	seed := r.Header.Get("Authorization")
	seed = seed[strings.LastIndex(seed, "=")+1:]
	o := newChunkOracle(c.SecretAccessKey, at.UTC().Format("20060102T150405Z"), "s3", seed)
	var sign func([]byte) string
	if s.mode != sigv4.StreamingUnsignedPayloadTrailer {
		sign = o.chunk
	}
	body := chunkedBody(payload, s.chunk, sign)
	for _, tr := range s.trailers {
		body = append(body, tr+"\r\n"...)
	}
	if s.mode == sigv4.StreamingSignedPayloadTrailer {
		body = append(body, "x-amz-trailer-signature:"+o.trailer(s.trailers...)+"\r\n"...)
	}
	body = append(body, "\r\n"...)
	if s.tamper != nil {
		body = s.tamper(body)
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return r
}

func b64(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// TestVerifier_StreamingModes proves the three STREAMING-* modes decode and
// verify end to end (seed from the SDK signer, chunks and trailers from the
// oracle), that trailers land in r.Trailer with their checksums verified,
// and that each kind of tampering is caught.
func TestVerifier_StreamingModes(t *testing.T) {
	at := testNow.Add(-time.Minute)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 2500) // 40000 bytes
	crc32c := "x-amz-checksum-crc32c:" + b64(binary.BigEndian.AppendUint32(nil,
		crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli))))
	crc64nvme := "x-amz-checksum-crc64nvme:" + b64(binary.BigEndian.AppendUint64(nil, crc64.Checksum(payload, crc64NVME)))
	flip := func(at int) func([]byte) []byte { return func(b []byte) []byte { b[at] ^= 1; return b } }

	tests := []struct {
		name    string
		spec    streamSpec
		akid    string
		kind    sigv4.Kind
		trailer http.Header
	}{
		{name: "signed chunks", spec: streamSpec{mode: sigv4.StreamingSignedPayload, chunk: 8192}},
		{name: "signed chunks, temporary credentials", akid: tempAKID,
			spec: streamSpec{mode: sigv4.StreamingSignedPayload, chunk: 16384}},
		{name: "signed chunks and trailer", spec: streamSpec{mode: sigv4.StreamingSignedPayloadTrailer, chunk: 8192,
			trailers: []string{crc32c}}, trailer: http.Header{"X-Amz-Checksum-Crc32c": {crc32c[len("x-amz-checksum-crc32c:"):]}}},
		{name: "unsigned chunks, checksum trailer", spec: streamSpec{mode: sigv4.StreamingUnsignedPayloadTrailer, chunk: 65536,
			trailers: []string{crc64nvme}}, trailer: http.Header{"X-Amz-Checksum-Crc64nvme": {crc64nvme[len("x-amz-checksum-crc64nvme:"):]}}},
		{name: "unsigned trailer without decoded length", spec: streamSpec{mode: sigv4.StreamingUnsignedPayloadTrailer,
			chunk: 4096, trailers: []string{crc32c}, noLength: true},
			trailer: http.Header{"X-Amz-Checksum-Crc32c": {crc32c[len("x-amz-checksum-crc32c:"):]}}},
		{name: "tampered chunk data", kind: sigv4.KindSignatureMismatch,
			spec: streamSpec{mode: sigv4.StreamingSignedPayload, chunk: 8192, tamper: flip(20000)}},
		{name: "chunks swapped", kind: sigv4.KindSignatureMismatch, spec: streamSpec{mode: sigv4.StreamingSignedPayload, chunk: 8192,
			tamper: func(b []byte) []byte {
				n := len("2000;chunk-signature=") + 64 + 2 + 8192 + 2
				out := append(bytes.Clone(b[n:2*n]), b[:n]...)
				return append(out, b[2*n:]...)
			}}},
		{name: "tampered signed trailer", kind: sigv4.KindSignatureMismatch,
			spec: streamSpec{mode: sigv4.StreamingSignedPayloadTrailer, chunk: 8192, trailers: []string{crc32c},
				tamper: func(b []byte) []byte { return bytes.Replace(b, []byte("crc32c:"), []byte("crc32c:A"), 1) }}},
		{name: "signed trailer without its signature", kind: sigv4.KindSignatureMismatch,
			spec: streamSpec{mode: sigv4.StreamingSignedPayloadTrailer, chunk: 8192, trailers: []string{crc32c},
				tamper: func(b []byte) []byte {
					i := bytes.Index(b, []byte("x-amz-trailer-signature"))
					return append(b[:i], "\r\n"...)
				}}},
		{name: "unsigned chunk data corrupted, checksum catches it", kind: sigv4.KindChecksumMismatch,
			spec: streamSpec{mode: sigv4.StreamingUnsignedPayloadTrailer, chunk: 65536, trailers: []string{crc64nvme},
				tamper: flip(30000)}},
		{name: "undeclared trailer", kind: sigv4.KindMalformedPayload,
			spec: streamSpec{mode: sigv4.StreamingUnsignedPayloadTrailer, chunk: 65536, trailers: []string{crc64nvme},
				declare: "x-amz-checksum-crc32"}},
		{name: "declared length too long", kind: sigv4.KindMalformedPayload,
			spec: streamSpec{mode: sigv4.StreamingSignedPayload, chunk: 8192, length: 40001}},
		{name: "declared length too short", kind: sigv4.KindMalformedPayload,
			spec: streamSpec{mode: sigv4.StreamingSignedPayload, chunk: 8192, length: 39999}},
		{name: "bad chunk size", kind: sigv4.KindMalformedPayload,
			spec: streamSpec{mode: sigv4.StreamingUnsignedPayloadTrailer, chunk: 65536, trailers: []string{crc64nvme},
				tamper: func(b []byte) []byte { b[0] = 'x'; return b }}},
	}
	v := newVerifier(testNow)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			akid := tc.akid
			if akid == "" {
				akid = testAKID
			}
			r := streamingRequest(t, tc.spec, payload, creds(akid), at)
			res, err := v.Verify(context.Background(), r, nil)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := io.ReadAll(r.Body)
			if kindOf(err) != tc.kind {
				t.Fatalf("read error = %v, want kind %v", err, tc.kind)
			}
			if tc.kind != 0 {
				if _, again := r.Body.Read(make([]byte, 1)); !errors.Is(again, err) {
					t.Errorf("error is not sticky: %v then %v", err, again)
				}
				return
			}
			if !bytes.Equal(got, payload) {
				t.Errorf("decoded %d bytes, want the %d-byte payload", len(got), len(payload))
			}
			if diff := cmp.Diff(tc.trailer, r.Trailer); diff != "" {
				t.Errorf("r.Trailer (-want +got):\n%s", diff)
			}
			if res.ContentSHA256 != tc.spec.mode || res.Payload != nil {
				t.Errorf("Result: ContentSHA256 %q, Payload %d bytes", res.ContentSHA256, len(res.Payload))
			}
		})
	}
}

// TestVerifier_StreamingHexDigest proves a streamed body with a signed hex
// digest is checked at EOF: intact it reads through, tampered the read that
// reaches EOF fails with the digest mismatch.
func TestVerifier_StreamingHexDigest(t *testing.T) {
	payload := []byte("object body for a hex digest")
	tests := []struct {
		name string
		send []byte
		kind sigv4.Kind
	}{
		{name: "intact", send: payload},
		{name: "tampered", send: []byte("object body for a hex digesT"), kind: sigv4.KindPayloadHashMismatch},
		{name: "shorter", send: payload[:10], kind: sigv4.KindPayloadHashMismatch},
	}
	v := newVerifier(testNow)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signed(t, "PUT", "/bucket/key", payload, nil, "s3", sha(payload), creds(testAKID), testNow)
			r.Body = io.NopCloser(bytes.NewReader(tc.send))
			if _, err := v.Verify(context.Background(), r, nil); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := io.ReadAll(r.Body)
			if kindOf(err) != tc.kind {
				t.Fatalf("read error = %v, want kind %v", err, tc.kind)
			}
			if tc.kind == 0 && !bytes.Equal(got, payload) {
				t.Errorf("read %q", got)
			}
		})
	}
}

// TestVerifier_AWSPublishedVectors verifies the S3 examples AWS publishes
// with the SigV4 documentation ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk" and
// "Authenticating Requests: Using Query Parameters"), byte for byte, so
// the canonical request is pinned to AWS's own numbers and not only to
// the SDK signer.
func TestVerifier_AWSPublishedVectors(t *testing.T) {
	const host = "examplebucket.s3.amazonaws.com"
	welcome := []byte("Welcome to Amazon S3.")
	authz := func(signedHeaders, sig string) string {
		return "AWS4-HMAC-SHA256 Credential=" + docAKID + "/20130524/us-east-1/s3/aws4_request,SignedHeaders=" +
			signedHeaders + ",Signature=" + sig
	}
	tests := []struct {
		name   string
		method string
		target string
		hdr    map[string]string
		body   []byte
	}{
		{name: "GET Object", method: "GET", target: "/test.txt", hdr: map[string]string{
			"Range": "bytes=0-9", "X-Amz-Content-Sha256": emptyHash, "X-Amz-Date": awsDate,
			"Authorization": authz("host;range;x-amz-content-sha256;x-amz-date",
				"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")}},
		{name: "PUT Object", method: "PUT", target: "/test%24file.text", body: welcome, hdr: map[string]string{
			"Date": "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Date": awsDate, "X-Amz-Storage-Class": "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256": sha(welcome),
			"Authorization": authz("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
				"98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")}},
		{name: "GET Bucket lifecycle", method: "GET", target: "/?lifecycle", hdr: map[string]string{
			"X-Amz-Content-Sha256": emptyHash, "X-Amz-Date": awsDate,
			"Authorization": authz("host;x-amz-content-sha256;x-amz-date",
				"fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")}},
		{name: "GET Bucket, query out of order", method: "GET", target: "/?prefix=J&max-keys=2", hdr: map[string]string{
			"X-Amz-Content-Sha256": emptyHash, "X-Amz-Date": awsDate,
			"Authorization": authz("host;x-amz-content-sha256;x-amz-date",
				"34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")}},
		{name: "presigned GET Object", method: "GET", target: "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
			"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z" +
			"&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
			"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"},
	}
	v := newVerifier(awsExampleTime.Add(10 * time.Minute))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, tamper := range []bool{false, true} {
				r := httptest.NewRequest(tc.method, tc.target, bytes.NewReader(tc.body))
				r.Host = host
				for k, val := range tc.hdr {
					r.Header.Set(k, val)
				}
				if tamper {
					r.Host = "otherbucket.s3.amazonaws.com"
				}
				res, err := v.Verify(context.Background(), r, tc.body)
				if tamper {
					if kindOf(err) != sigv4.KindSignatureMismatch {
						t.Errorf("tampered host: error = %v, want signature mismatch", err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.AccessKeyID != docAKID || !res.SigningTime.Equal(awsExampleTime) {
					t.Errorf("Result = %+v", res)
				}
			}
		})
	}
}
