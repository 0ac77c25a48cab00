// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
)

type payloadMode int

const (
	modeHex             payloadMode = iota // a hex SHA-256 digest
	modeUnsigned                           // UNSIGNED-PAYLOAD
	modeSigned                             // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
	modeSignedTrailer                      // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
	modeUnsignedTrailer                    // STREAMING-UNSIGNED-PAYLOAD-TRAILER
)

// payload is how a request's body is covered by its signature.
type payload struct {
	mode  payloadMode
	hash  string // the canonical request's payload hash
	body  []byte // the raw body when held in memory
	check bool   // hash is a client-claimed digest still to be checked
	want  [sha256.Size]byte
}

// choosePayload decides the canonical payload hash of r before the
// signature is checked. It reads r.Body only for a non-S3 request streamed
// without any x-amz-content-sha256, whose hash must be computed.
func choosePayload(r *http.Request, a *auth, body []byte) (payload, error) {
	s3 := a.service == "s3"
	p := payload{hash: a.contentSHA256, body: body}
	switch a.contentSHA256 {
	case "":
		switch {
		case a.presigned && s3:
			p.hash, p.mode = UnsignedPayload, modeUnsigned
			return p, nil
		case body == nil && noBody(r):
			p.hash = emptySHA256
			return p, nil
		case body == nil && s3:
			return p, payloadError(KindMissingPayloadHash, msgS3MissingSHA256, a)
		case body == nil:
			b, err := io.ReadAll(r.Body)
			if err != nil {
				return p, fmt.Errorf("sigv4: read body: %w", err)
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			p.body = b
		}
		sum := sha256.Sum256(p.body)
		var digest [2 * sha256.Size]byte
		hex.Encode(digest[:], sum[:])
		p.hash = string(digest[:])
		return p, nil
	case UnsignedPayload:
		p.mode = modeUnsigned
	case StreamingSignedPayload:
		p.mode = modeSigned
	case StreamingSignedPayloadTrailer:
		p.mode = modeSignedTrailer
	case StreamingUnsignedPayloadTrailer:
		p.mode = modeUnsignedTrailer
	default:
		if !decodeHex32(a.contentSHA256, &p.want) {
			e := payloadError(KindMissingPayloadHash, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "+
				"STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.", a)
			e.ClientSHA256 = a.contentSHA256
			return p, e
		}
		p.check = true
		return p, nil
	}
	if !s3 {
		e := payloadError(KindMissingPayloadHash, "x-amz-content-sha256 must be the hex SHA-256 of the payload "+
			"for service '"+a.service+"', not '"+a.contentSHA256+"'.", a)
		e.ClientSHA256 = a.contentSHA256
		return p, e
	}
	return p, nil
}

// finish runs once the signature has verified: it checks a buffered body
// against the claimed digest, or installs the verifying reader on r.Body, or
// decodes a buffered aws-chunked body.
func (p *payload) finish(r *http.Request, res *Result, seed *chunkSeed) error {
	switch p.mode {
	case modeUnsigned:
		return nil
	case modeHex:
		if !p.check {
			return nil
		}
		if p.body == nil && noBody(r) {
			p.body = []byte{}
		}
		if p.body != nil {
			if sum := sha256.Sum256(p.body); sum != p.want {
				return hashMismatch(p.hash, sum[:], res)
			}
			return nil
		}
		r.Body = &hashReader{src: r.Body, h: sha256.New(), want: p.want, claimed: p.hash, res: res}
		return nil
	}
	src := r.Body
	if p.body != nil {
		src = io.NopCloser(bytes.NewReader(p.body))
	}
	cr, err := newChunkedReader(r, p.mode, seed, src)
	if err != nil {
		err.Presigned, err.AccessKeyID = res.Presigned, res.AccessKeyID
		return err
	}
	if p.body == nil {
		r.Body = cr
		return nil
	}
	decoded, rerr := io.ReadAll(cr)
	if rerr != nil {
		return rerr
	}
	res.Payload = decoded
	return nil
}

func payloadError(k Kind, msg string, a *auth) *Error {
	e := newError(k, msg)
	e.Presigned, e.AccessKeyID = a.presigned, a.accessKeyID
	return e
}

func hashMismatch(claimed string, sum []byte, res *Result) *Error {
	e := newError(KindPayloadHashMismatch, msgS3SHA256)
	e.Presigned, e.AccessKeyID = res.Presigned, res.AccessKeyID
	e.ClientSHA256, e.ComputedSHA256 = claimed, hex.EncodeToString(sum)
	return e
}

// noBody reports whether r is known to have an empty body.
func noBody(r *http.Request) bool {
	return r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
}

// hashReader passes a streamed body through and fails the read that hits
// EOF if the body does not hash to the signed digest.
type hashReader struct {
	src     io.ReadCloser
	h       hash.Hash
	want    [sha256.Size]byte
	claimed string
	res     *Result
	err     error
}

var _ io.ReadCloser = (*hashReader)(nil)

func (hr *hashReader) Read(p []byte) (int, error) {
	if hr.err != nil {
		return 0, hr.err
	}
	n, err := hr.src.Read(p)
	hr.h.Write(p[:n])
	if err == io.EOF {
		var sum [sha256.Size]byte
		if hr.h.Sum(sum[:0]); sum != hr.want {
			err = hashMismatch(hr.claimed, sum[:], hr.res)
		}
	}
	if err != nil {
		hr.err = err
	}
	return n, err
}

func (hr *hashReader) Close() error { return hr.src.Close() }
