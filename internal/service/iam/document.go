// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"unicode"
)

// PolicyKind says which grammar a policy document must follow.
type PolicyKind int

// The kinds of policy document IAM stores.
const (
	// Identity is a managed or inline permissions policy: no Principal.
	Identity PolicyKind = iota + 1
	// Trust is a role's trust (assume-role) policy: Principal required.
	Trust
	// Boundary is a managed policy used as a permissions boundary; IAM
	// validates it as an identity policy.
	Boundary
)

// String names k.
func (k PolicyKind) String() string {
	switch k {
	case Identity:
		return "identity"
	case Trust:
		return "trust"
	case Boundary:
		return "boundary"
	default:
		return "unknown"
	}
}

// PolicyValidator checks a policy document at write time. Validate returns
// nil for an acceptable document; any error's message becomes the message
// of the MalformedPolicyDocument error IAM returns (an *awserr.Error is
// returned as is). doc is the decoded JSON text. Implementations must be
// safe for concurrent use.
type PolicyValidator interface {
	Validate(doc string, kind PolicyKind) error
}

// decodeDocument returns the JSON text of a policy document as a client
// sent it. IAM accepts documents URL-encoded (as its own responses carry
// them): a document that does not start with "{" is percent-decoded, and
// if that does not give JSON, query-decoded ('+' as space). Anything else
// is returned unchanged for the validator to reject.
func decodeDocument(doc string) string {
	trimmed := strings.TrimLeftFunc(doc, unicode.IsSpace)
	if strings.HasPrefix(trimmed, "{") || !strings.Contains(doc, "%") {
		return doc
	}
	if d, err := url.PathUnescape(doc); err == nil && json.Valid([]byte(d)) {
		return d
	}
	if d, err := url.QueryUnescape(doc); err == nil && json.Valid([]byte(d)) {
		return d
	}
	return doc
}

// encodeDocument URL-encodes a policy document the way IAM returns it in
// GetRole, GetPolicyVersion, Get*Policy and friends: every byte except the
// RFC 3986 unreserved characters as %XX. The AWS CLI and boto3 decode it;
// SDK users call url.QueryUnescape.
func encodeDocument(doc string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// encodedPtr returns a pointer to the URL-encoded form of doc.
func encodedPtr(doc string) *string {
	e := encodeDocument(doc)
	return &e
}

// documentSize is a policy's size as IAM counts it against its quotas: the
// number of characters that are not white space.
func documentSize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// contentHash is a short, stable digest of doc for cache keys.
func contentHash(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:12])
}
