// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Values of x-amz-content-sha256 (or the X-Amz-Content-Sha256 query
// parameter) other than a hex SHA-256 digest of the payload.
const (
	// UnsignedPayload: the payload is not covered by the signature (S3).
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingSignedPayload: aws-chunked body, every chunk signed.
	StreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingSignedPayloadTrailer: aws-chunked body, every chunk and the
	// trailing headers signed.
	StreamingSignedPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// StreamingUnsignedPayloadTrailer: aws-chunked body, unsigned chunks,
	// trailing checksum headers (what aws-sdk-go-v2 sends over TLS).
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// Wire constants of SigV4.
const (
	algorithmHMAC     = "AWS4-HMAC-SHA256"
	amzDateLayout     = "20060102T150405Z"
	scopeTerminator   = "aws4_request"
	emptySHA256       = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	hdrContentSHA256  = "X-Amz-Content-Sha256"
	hdrDecodedLength  = "X-Amz-Decoded-Content-Length"
	hdrSecurityToken  = "X-Amz-Security-Token"
	hdrAmzDate        = "X-Amz-Date"
	hdrTrailer        = "X-Amz-Trailer"
	maxPresignExpires = 7 * 24 * 60 * 60 // seconds
)

// scratch holds the per-verification buffers; it is pooled so a steady-state
// verification allocates nothing for the canonical request.
type scratch struct {
	buf    []byte   // canonical request
	sts    []byte   // HMAC inner pad + string to sign
	qbuf   []byte   // re-encoded query keys and values
	params []qparam // offsets into qbuf
}

// qparam locates one re-encoded query parameter: key qbuf[k0:k1], value
// qbuf[k1:v1].
type qparam struct{ k0, k1, v1 int }

var scratchPool = sync.Pool{New: func() any {
	return &scratch{buf: make([]byte, 0, 1024), sts: make([]byte, 0, 256)}
}}

// appendCanonicalRequest appends the SigV4 canonical request of r:
//
//	METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH
func (s *scratch) appendCanonicalRequest(dst []byte, r *http.Request, a *auth, payloadHash string) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, '\n')
	dst = appendCanonicalURI(dst, r.URL.EscapedPath(), a.service == "s3")
	dst = append(dst, '\n')
	dst = s.appendCanonicalQuery(dst, r.URL.RawQuery, a.presigned)
	dst = append(dst, '\n')
	for rest := a.signedHeaders; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		dst = appendLower(dst, name)
		dst = append(dst, ':')
		dst = appendHeaderValues(dst, r, name)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	dst = appendLower(dst, a.signedHeaders)
	dst = append(dst, '\n')
	return append(dst, payloadHash...)
}

// appendStringToSign appends the string to sign of a request:
//
//	AWS4-HMAC-SHA256 \n AMZ-DATE \n SCOPE \n HEX(SHA256(CANONICAL-REQUEST))
func appendStringToSign(dst []byte, amzDate, scope string, crHash [sha256.Size]byte) []byte {
	dst = append(dst, algorithmHMAC+"\n"...)
	dst = append(dst, amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, scope...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, crHash[:])
}

// appendCanonicalURI appends the canonical URI of the escaped request path.
//
// S3 encodes each path segment once: the path as sent is decoded and
// re-encoded with AWS's URI encoding, so "%2F" inside a key stays encoded
// and sloppy clients that left reserved characters raw still match. Every
// other service normalizes the path (RFC 3986 dot segments) and encodes the
// already-encoded path a second time, as the SDK signers do.
func appendCanonicalURI(dst []byte, escaped string, s3 bool) []byte {
	if escaped == "" {
		return append(dst, '/')
	}
	if !s3 {
		escaped = removeDotSegments(escaped)
	}
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		switch {
		case c == '/':
			dst = append(dst, '/')
		case s3 && c == '%' && i+2 < len(escaped) && isHex(escaped[i+1]) && isHex(escaped[i+2]):
			dst = appendEscaped(dst, unhex(escaped[i+1])<<4|unhex(escaped[i+2]))
			i += 2
		default:
			dst = appendEscaped(dst, c)
		}
	}
	return dst
}

// removeDotSegments applies RFC 3986 section 5.2.4 to an absolute path.
func removeDotSegments(p string) string {
	if !strings.Contains(p, "/.") || p[0] != '/' {
		return p
	}
	segs := strings.Split(p[1:], "/")
	out := segs[:0]
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
			continue
		}
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/")
}

// appendCanonicalQuery appends the canonical query string: every name and
// value decoded then URI-encoded, sorted by encoded name then value, with
// X-Amz-Signature left out of presigned requests.
func (s *scratch) appendCanonicalQuery(dst []byte, raw string, presigned bool) []byte {
	if raw == "" {
		return dst
	}
	s.qbuf, s.params = s.qbuf[:0], s.params[:0]
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k0 := len(s.qbuf)
		s.qbuf = appendReencoded(s.qbuf, k)
		k1 := len(s.qbuf)
		if presigned && string(s.qbuf[k0:k1]) == "X-Amz-Signature" {
			s.qbuf = s.qbuf[:k0]
			continue
		}
		s.qbuf = appendReencoded(s.qbuf, v)
		s.params = append(s.params, qparam{k0, k1, len(s.qbuf)})
	}
	q := s.qbuf
	slices.SortFunc(s.params, func(a, b qparam) int {
		if c := bytes.Compare(q[a.k0:a.k1], q[b.k0:b.k1]); c != 0 {
			return c
		}
		return bytes.Compare(q[a.k1:a.v1], q[b.k1:b.v1])
	})
	for i, p := range s.params {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, q[p.k0:p.k1]...)
		dst = append(dst, '=')
		dst = append(dst, q[p.k1:p.v1]...)
	}
	return dst
}

// appendReencoded decodes a query component ("%XX", "+" as space) and
// appends its AWS URI encoding. A malformed escape is taken literally.
func appendReencoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		dst = appendEscaped(dst, c)
	}
	return dst
}

// appendHeaderValues appends the canonical value of the signed header name:
// all values joined with ",", each trimmed with inner runs of spaces folded.
func appendHeaderValues(dst []byte, r *http.Request, name string) []byte {
	if strings.EqualFold(name, "host") {
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		return appendTrimmed(dst, host)
	}
	var vals []string
	if len(name) <= 64 {
		var kb [64]byte
		vals = r.Header[string(appendCanonicalKey(kb[:0], name))]
	} else {
		vals = r.Header[http.CanonicalHeaderKey(name)]
	}
	if vals == nil {
		switch {
		case strings.EqualFold(name, "content-length") && r.ContentLength >= 0:
			return strconv.AppendInt(dst, r.ContentLength, 10)
		case strings.EqualFold(name, "transfer-encoding"):
			vals = r.TransferEncoding
		}
	}
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendTrimmed(dst, v)
	}
	return dst
}

// appendCanonicalKey appends the MIME canonical form of a header name
// ("x-amz-date" → "X-Amz-Date").
func appendCanonicalKey(dst []byte, name string) []byte {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

// appendTrimmed appends v without leading and trailing whitespace and with
// every run of spaces folded into one.
func appendTrimmed(dst []byte, v string) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

// appendEscaped appends c, percent-encoded unless it is unreserved
// (A-Z a-z 0-9 - _ . ~), as AWS's UriEncode does.
func appendEscaped(dst []byte, c byte) []byte {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~' {
		return append(dst, c)
	}
	return append(dst, '%', upperHex[c>>4], upperHex[c&15])
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// decodeHex32 decodes a 64-digit hex string (either case) into out.
func decodeHex32(s string, out *[sha256.Size]byte) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range out {
		hi, lo := s[2*i], s[2*i+1]
		if !isHex(hi) || !isHex(lo) {
			return false
		}
		out[i] = unhex(hi)<<4 | unhex(lo)
	}
	return true
}
