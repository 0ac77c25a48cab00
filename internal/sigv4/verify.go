// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxSkew is how far a request's signing time may be from the
// verifier's clock, in either direction, as on AWS.
const DefaultMaxSkew = 15 * time.Minute

// ErrUnknownAccessKey is returned (or wrapped) by a Lookup that does not
// know an access key id; Verify turns it into KindUnknownAccessKey.
var ErrUnknownAccessKey = errors.New("sigv4: unknown access key")

// Lookup finds the credential behind an access key id. It is called once
// per verification and must be safe for concurrent use. It returns an error
// matching ErrUnknownAccessKey for an id it does not know; any other error
// aborts verification and is returned wrapped, unclassified.
type Lookup interface {
	LookupAccessKey(ctx context.Context, accessKeyID string) (Credential, error)
}

// LookupFunc adapts a function to Lookup.
type LookupFunc func(ctx context.Context, accessKeyID string) (Credential, error)

var _ Lookup = LookupFunc(nil)

// LookupAccessKey implements Lookup.
func (f LookupFunc) LookupAccessKey(ctx context.Context, accessKeyID string) (Credential, error) {
	return f(ctx, accessKeyID)
}

// Credential is the secret side of an access key.
type Credential struct {
	// SecretAccessKey signs the requests.
	SecretAccessKey string
	// SessionToken, when set, marks a temporary credential: requests must
	// carry exactly this token. When empty, requests must carry none.
	SessionToken string
	// Expiration, when set, is when a temporary credential stops working.
	Expiration time.Time
	// Principal is opaque to the verifier and returned in Result.
	Principal any
}

// Config configures a Verifier.
type Config struct {
	// Lookup finds credentials. Required.
	Lookup Lookup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSkew bounds |signing time - now|; 0 means DefaultMaxSkew.
	MaxSkew time.Duration
	// KeyCacheSize bounds the derived signing-key cache (one key per
	// secret, day, region and service); 0 means 1024.
	KeyCacheSize int
}

// Verifier verifies SigV4-signed requests. It is safe for concurrent use.
type Verifier struct {
	lookup  Lookup
	now     func() time.Time
	maxSkew time.Duration
	keys    *keyCache
}

// New returns a Verifier. It panics if cfg.Lookup is nil.
func New(cfg Config) *Verifier {
	if cfg.Lookup == nil {
		panic("sigv4: New with nil Lookup")
	}
	v := &Verifier{lookup: cfg.Lookup, now: cfg.Now, maxSkew: cfg.MaxSkew, keys: newKeyCache(cfg.KeyCacheSize)}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxSkew <= 0 {
		v.maxSkew = DefaultMaxSkew
	}
	return v
}

// Result is a verified request's identity and scope. Its strings may share
// memory with the request.
type Result struct {
	AccessKeyID string
	// Region and Service are the credential scope's; the caller checks them
	// against the endpoint it serves.
	Region, Service string
	SigningTime     time.Time
	Presigned       bool
	// SessionToken is the token the request carried ("" for long-term keys).
	SessionToken string
	// Principal is Credential.Principal from the Lookup.
	Principal any
	// SignedHeaders are the lowercase names the signature covers.
	SignedHeaders []string
	// ContentSHA256 is the payload hash the signature covers: a hex digest,
	// UnsignedPayload or one of the Streaming* values.
	ContentSHA256 string
	// Payload is the verified payload whenever Verify holds it in memory:
	// the body argument, or its decoding when it was aws-chunked, or the
	// body Verify had to read to hash it. It is nil when r.Body streams it.
	Payload []byte
}

// Verify authenticates r, signed in its Authorization header or presigned in
// its query string.
//
// body is the request payload when the caller has buffered it, and is then
// checked against x-amz-content-sha256 (aws-chunked payloads are decoded and
// every chunk verified before Verify returns; use Result.Payload). body ==
// nil means the caller streams: Verify then replaces r.Body with a reader
// that yields the decoded payload and whose Read returns a *Error instead of
// io.EOF if the payload does not hash to the signed digest, a chunk or
// trailer signature or checksum fails, or the length is wrong. Such a
// reader releases data before it is verified: callers must discard what
// they read when Read fails. For aws-chunked payloads Verify also sets
// r.ContentLength to the decoded length (-1 if unknown), removes
// aws-chunked from Content-Encoding and declares the trailers in
// r.Trailer, filled once the reader reaches EOF.
//
// Authentication failures are *Error values (see Kind); map them with
// AWSError. Other errors come from Lookup or from reading r.Body.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Result, error) {
	var a auth
	if e := parseRequest(r, &a); e != nil {
		return nil, e
	}
	cred, err := v.lookup.LookupAccessKey(ctx, a.accessKeyID)
	if err != nil {
		if errors.Is(err, ErrUnknownAccessKey) {
			e := newError(KindUnknownAccessKey, msgS3InvalidKey)
			e.AccessKeyID, e.Presigned = a.accessKeyID, a.presigned
			return nil, e
		}
		return nil, fmt.Errorf("sigv4: look up access key %s: %w", redact(a.accessKeyID), err)
	}
	now := v.now().UTC()
	if e := v.checkCredential(&a, &cred, now); e != nil {
		return nil, e
	}
	if e := v.checkTime(&a, now); e != nil {
		return nil, e
	}
	p, err := choosePayload(r, &a, body)
	if err != nil {
		return nil, err
	}

	key := v.keys.get(keyID{secret: cred.SecretAccessKey, date: a.date, region: a.region, service: a.service})
	sc := scratchPool.Get().(*scratch)
	sc.buf = sc.appendCanonicalRequest(sc.buf[:0], r, &a, p.hash)
	sts := appendStringToSign(key.begin(sc.sts), a.amzDate, a.scope, sha256.Sum256(sc.buf))
	sig := key.finish(sts)
	sc.sts = sts
	var provided [sha256.Size]byte
	if !decodeHex32(a.signature, &provided) || !hmac.Equal(sig[:], provided[:]) {
		e := newError(KindSignatureMismatch, msgSignatureMismatch)
		e.Presigned, e.AccessKeyID, e.SignatureProvided = a.presigned, a.accessKeyID, a.signature
		e.CanonicalRequest, e.StringToSign = string(sc.buf), string(sts[sha256.BlockSize:])
		scratchPool.Put(sc)
		return nil, e
	}
	scratchPool.Put(sc)

	res := &Result{
		AccessKeyID:   a.accessKeyID,
		Region:        a.region,
		Service:       a.service,
		SigningTime:   a.t,
		Presigned:     a.presigned,
		SessionToken:  a.token,
		Principal:     cred.Principal,
		SignedHeaders: strings.Split(a.signedHeaders, ";"),
		ContentSHA256: p.hash,
		Payload:       p.body,
	}
	seed := chunkSeed{key: key, amzDate: a.amzDate, scope: a.scope}
	hex.Encode(seed.sig[:], sig[:])
	if err := p.finish(r, res, &seed); err != nil {
		return nil, err
	}
	return res, nil
}

// checkCredential checks the session token and the credential's expiry.
func (v *Verifier) checkCredential(a *auth, c *Credential, now time.Time) *Error {
	if !constantTimeEqual(a.token, c.SessionToken) {
		e := newError(KindInvalidToken, msgInvalidClientToken)
		e.Presigned, e.AccessKeyID = a.presigned, a.accessKeyID
		return e
	}
	if !c.Expiration.IsZero() && !now.Before(c.Expiration) {
		e := newError(KindExpiredToken, msgExpiredToken)
		e.Presigned, e.AccessKeyID = a.presigned, a.accessKeyID
		return e
	}
	return nil
}

// checkTime enforces the skew window and, for presigned requests,
// X-Amz-Expires (which replaces the window's lower bound when given).
func (v *Verifier) checkTime(a *auth, now time.Time) *Error {
	var e *Error
	switch {
	case a.t.After(now.Add(v.maxSkew)):
		e = newError(KindRequestTimeTooSkewed, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
			a.amzDate, now.Add(v.maxSkew).Format(amzDateLayout), now.Format(amzDateLayout), minutes(v.maxSkew)))
	case a.presigned && a.expires > 0 || a.presigned && a.service == "s3":
		if now.After(a.t.Add(a.expires)) {
			e = newError(KindPresignExpired, "Request has expired")
			e.Expires = a.expires
		}
	case a.t.Before(now.Add(-v.maxSkew)):
		e = newError(KindRequestTimeTooSkewed, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
			a.amzDate, now.Add(-v.maxSkew).Format(amzDateLayout), now.Format(amzDateLayout), minutes(v.maxSkew)))
	}
	if e != nil {
		e.Presigned, e.AccessKeyID = a.presigned, a.accessKeyID
		e.RequestTime, e.ServerTime, e.MaxSkew = a.t, now, v.maxSkew
	}
	return e
}

// minutes formats d as AWS does in skew messages ("15 min").
func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return d.String()
}

// constantTimeEqual compares two strings without an early exit on the
// first differing byte.
func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var d byte
	for i := 0; i < len(a); i++ {
		d |= a[i] ^ b[i]
	}
	return d == 0
}

// redact keeps the last 4 characters of an access key id for logs.
func redact(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return "****" + id[len(id)-4:]
}
