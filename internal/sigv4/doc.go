// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package sigv4 verifies AWS Signature Version 4 on the server side: the
// Authorization header form, presigned query strings, and S3's payload
// variants (a signed hex digest, UNSIGNED-PAYLOAD, and the aws-chunked
// STREAMING-* encodings with chunk signatures and trailing checksums).
//
// It is pure: it knows nothing of the store or the HTTP server. The caller
// supplies a Lookup from access key id to Credential and gets back a Result
// carrying the Credential's opaque Principal.
//
// Flow of Verify:
//
//	Authorization header ─┐                         ┌─ KindMissingAuthentication
//	X-Amz-* query ────────┴─ parse ─────────────────┼─ KindIncompleteSignature
//	                           │                    │
//	                     Lookup(akid) ──────────────┼─ KindUnknownAccessKey
//	                           │                    │
//	                 session token, expiry ─────────┼─ KindInvalidToken, KindExpiredToken
//	                           │                    │
//	              skew window / X-Amz-Expires ──────┼─ KindRequestTimeTooSkewed, KindPresignExpired
//	                           │                    │
//	   payload hash (claimed, computed or literal) ─┼─ KindMissingPayloadHash
//	                           │                    │
//	 canonical request → string to sign → HMAC ─────┼─ KindSignatureMismatch
//	    (signing key from a bounded cache)          │
//	                           │                    │
//	   buffered body: check digest / decode chunks ─┼─ KindPayloadHashMismatch, chunk kinds
//	   streamed body: wrap r.Body (errors from Read)┘
//
// Usage in the gateway:
//
//	v := sigv4.New(sigv4.Config{Lookup: keys})
//	scope, err := sigv4.ParseScope(r) // route on scope.Service
//	...
//	res, err := v.Verify(ctx, r, body) // body == nil for S3 object uploads
//	if err != nil {
//		return sigv4.AWSError(err, sigv4.FamilyJSON)
//	}
//	principal := res.Principal
//
// Failures are *Error values classified by Kind; AWSError is the one place
// that turns them into the code, status and message of a protocol family
// (awsQuery, awsJson or S3's restXml), since AWS answers the same failure
// differently in each.
package sigv4
