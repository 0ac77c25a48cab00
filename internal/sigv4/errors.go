// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/berthdev/berth/internal/awserr"
)

// Kind classifies an authentication failure independently of the wire
// protocol; AWSError turns it into the code the protocol family uses.
type Kind int

// The failure kinds. The zero Kind is not used.
const (
	// KindMissingAuthentication: the request carries neither an
	// Authorization header nor presigned query parameters.
	KindMissingAuthentication Kind = iota + 1
	// KindIncompleteSignature: the Authorization header or the presigned
	// query is malformed (missing Credential/SignedHeaders/Signature, bad
	// scope, unsupported algorithm, bad or missing date, host not signed).
	KindIncompleteSignature
	// KindUnknownAccessKey: Lookup does not know the access key id.
	KindUnknownAccessKey
	// KindInvalidToken: the session token is missing, unexpected or not the
	// one issued with the access key.
	KindInvalidToken
	// KindExpiredToken: the temporary credential has expired.
	KindExpiredToken
	// KindSignatureMismatch: the request, a chunk or the trailer signature
	// does not match.
	KindSignatureMismatch
	// KindRequestTimeTooSkewed: the signing time is further than the
	// maximum skew from the verifier's clock.
	KindRequestTimeTooSkewed
	// KindPresignExpired: the presigned URL's X-Amz-Expires has elapsed.
	KindPresignExpired
	// KindPayloadHashMismatch: the payload does not hash to the
	// x-amz-content-sha256 the client signed.
	KindPayloadHashMismatch
	// KindMissingPayloadHash: an S3 request with a body lacks
	// x-amz-content-sha256, or the value is not allowed for the service.
	KindMissingPayloadHash
	// KindMalformedPayload: an aws-chunked body is not well formed, is
	// truncated, has undeclared trailers or does not have the declared
	// x-amz-decoded-content-length.
	KindMalformedPayload
	// KindChecksumMismatch: an x-amz-checksum-* trailer does not match the
	// decoded payload.
	KindChecksumMismatch
)

var kindNames = [...]string{
	KindMissingAuthentication: "missing authentication",
	KindIncompleteSignature:   "incomplete signature",
	KindUnknownAccessKey:      "unknown access key",
	KindInvalidToken:          "invalid security token",
	KindExpiredToken:          "expired security token",
	KindSignatureMismatch:     "signature mismatch",
	KindRequestTimeTooSkewed:  "request time too skewed",
	KindPresignExpired:        "presigned request expired",
	KindPayloadHashMismatch:   "payload hash mismatch",
	KindMissingPayloadHash:    "missing payload hash",
	KindMalformedPayload:      "malformed payload",
	KindChecksumMismatch:      "checksum mismatch",
}

// String returns a lowercase description of k.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is an authentication failure. Verify returns it (never wrapped), and
// the readers Verify installs on r.Body return it from Read. Message is safe
// to show to the client; the other fields carry what AWS puts in its S3
// error members and are empty when they do not apply.
type Error struct {
	Kind    Kind
	Message string

	// Presigned reports that the failing request used query-string
	// authentication (S3 answers with different codes).
	Presigned bool
	// AccessKeyID is the access key id the request claimed, if parsed.
	AccessKeyID string
	// RequestTime and ServerTime are set for skew and presign expiry.
	RequestTime, ServerTime time.Time
	// MaxSkew is the allowed skew (KindRequestTimeTooSkewed).
	MaxSkew time.Duration
	// Expires is the presigned validity (KindPresignExpired).
	Expires time.Duration
	// CanonicalRequest, StringToSign and SignatureProvided describe a
	// KindSignatureMismatch of the request signature.
	CanonicalRequest, StringToSign, SignatureProvided string
	// ClientSHA256 and ComputedSHA256 describe a KindPayloadHashMismatch.
	ClientSHA256, ComputedSHA256 string
}

// Error implements error.
func (e *Error) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

// Is reports whether target is an *Error of the same Kind, so that
// errors.Is(err, &sigv4.Error{Kind: sigv4.KindSignatureMismatch}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

func newError(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Family is an AWS protocol family; the same failure has a different code,
// status and message in each.
type Family int

// The protocol families berth serves.
const (
	// FamilyQuery is awsQuery (IAM, STS).
	FamilyQuery Family = iota + 1
	// FamilyJSON is awsJson1_0/1_1 (ECS, ECR, CloudWatch Logs).
	FamilyJSON
	// FamilyS3 is S3's restXml.
	FamilyS3
)

// AWS messages, verbatim.
const (
	msgInvalidClientToken = "The security token included in the request is invalid."
	msgSignatureMismatch  = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgExpiredToken     = "The security token included in the request is expired"
	msgMissingAuthQuery = "Request is missing Authentication Token"
	msgMissingAuthJSON  = "Missing Authentication Token"
	msgS3InvalidKey     = "The AWS Access Key Id you provided does not exist in our records."
	msgS3Signature      = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgS3Skewed         = "The difference between the request time and the current time is too large."
	msgS3SHA256         = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgS3ExpiredToken   = "The provided token has expired."
	msgS3InvalidToken   = "The provided token is malformed or otherwise invalid."
	msgS3AccessDenied   = "Access Denied"
	msgS3MissingSHA256  = "Missing required header for this request: x-amz-content-sha256"
	s3TimeLayout        = "2006-01-02T15:04:05Z"
)

// awsJson codes that awserr does not define.
const (
	codeIncompleteSigExc = "IncompleteSignatureException"
	codeMissingAuthExc   = "MissingAuthenticationTokenException"
	codeExpiredTokenExc  = "ExpiredTokenException"
)

// AWSError maps err to the wire error of family f. It is the only place
// where authentication failures become protocol errors. A *Error anywhere
// in err's chain is mapped by Kind (the *Error is kept as the logged cause);
// any other error goes through awserr.From (a Lookup failure thus becomes
// InternalFailure unless its sentinel is registered). nil maps to nil.
func AWSError(err error, f Family) *awserr.Error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return awserr.From(err)
	}
	var out *awserr.Error
	switch f {
	case FamilyS3:
		out = s3Error(e)
	case FamilyJSON:
		out = jsonError(e)
	default:
		out = queryError(e)
	}
	out.Err = e
	return out
}

func queryError(e *Error) *awserr.Error {
	switch e.Kind {
	case KindMissingAuthentication:
		return wire(awserr.CodeMissingAuthenticationToken, http.StatusForbidden, msgMissingAuthQuery)
	case KindUnknownAccessKey, KindInvalidToken:
		return wire(awserr.CodeInvalidClientTokenID, http.StatusForbidden, msgInvalidClientToken)
	case KindExpiredToken:
		return wire(awserr.CodeExpiredToken, http.StatusForbidden, msgExpiredToken)
	case KindSignatureMismatch, KindPayloadHashMismatch:
		return wire(awserr.CodeSignatureDoesNotMatch, http.StatusForbidden, msgSignatureMismatch)
	case KindRequestTimeTooSkewed, KindPresignExpired:
		return wire(awserr.CodeSignatureDoesNotMatch, http.StatusForbidden, e.Message)
	case KindMalformedPayload, KindChecksumMismatch:
		return wire(awserr.CodeValidationError, http.StatusBadRequest, e.Message)
	default: // KindIncompleteSignature, KindMissingPayloadHash
		return wire(awserr.CodeIncompleteSignature, http.StatusBadRequest, e.Message)
	}
}

func jsonError(e *Error) *awserr.Error {
	switch e.Kind {
	case KindMissingAuthentication:
		return wire(codeMissingAuthExc, http.StatusBadRequest, msgMissingAuthJSON)
	case KindUnknownAccessKey, KindInvalidToken:
		return wire(awserr.CodeUnrecognizedClient, http.StatusBadRequest, msgInvalidClientToken)
	case KindExpiredToken:
		return wire(codeExpiredTokenExc, http.StatusBadRequest, msgExpiredToken)
	case KindSignatureMismatch, KindPayloadHashMismatch:
		return wire(awserr.CodeInvalidSignature, http.StatusBadRequest, msgSignatureMismatch)
	case KindRequestTimeTooSkewed, KindPresignExpired:
		return wire(awserr.CodeInvalidSignature, http.StatusBadRequest, e.Message)
	case KindMalformedPayload, KindChecksumMismatch:
		return wire(awserr.CodeValidationException, http.StatusBadRequest, e.Message)
	default:
		return wire(codeIncompleteSigExc, http.StatusBadRequest, e.Message)
	}
}

func s3Error(e *Error) *awserr.Error {
	var out *awserr.Error
	switch e.Kind {
	case KindMissingAuthentication:
		out = wire(awserr.CodeAccessDenied, http.StatusForbidden, msgS3AccessDenied)
	case KindIncompleteSignature:
		if e.Presigned {
			out = wire("AuthorizationQueryParametersError", http.StatusBadRequest, e.Message)
		} else {
			out = wire("AuthorizationHeaderMalformed", http.StatusBadRequest, e.Message)
		}
	case KindUnknownAccessKey:
		out = wire("InvalidAccessKeyId", http.StatusForbidden, msgS3InvalidKey)
		out.Fields = map[string]string{"AWSAccessKeyId": e.AccessKeyID}
	case KindInvalidToken:
		out = wire("InvalidToken", http.StatusBadRequest, msgS3InvalidToken)
	case KindExpiredToken:
		out = wire(awserr.CodeExpiredToken, http.StatusBadRequest, msgS3ExpiredToken)
	case KindSignatureMismatch:
		out = wire(awserr.CodeSignatureDoesNotMatch, http.StatusForbidden, msgS3Signature)
		if e.StringToSign != "" {
			out.Fields = map[string]string{
				"AWSAccessKeyId":    e.AccessKeyID,
				"StringToSign":      e.StringToSign,
				"SignatureProvided": e.SignatureProvided,
				"CanonicalRequest":  e.CanonicalRequest,
			}
		}
	case KindRequestTimeTooSkewed:
		out = wire("RequestTimeTooSkewed", http.StatusForbidden, msgS3Skewed)
		out.Fields = map[string]string{
			"RequestTime":                e.RequestTime.UTC().Format(http.TimeFormat),
			"ServerTime":                 e.ServerTime.UTC().Format(s3TimeLayout),
			"MaxAllowedSkewMilliseconds": strconv.FormatInt(e.MaxSkew.Milliseconds(), 10),
		}
	case KindPresignExpired:
		out = wire(awserr.CodeAccessDenied, http.StatusForbidden, "Request has expired")
		out.Fields = map[string]string{
			"X-Amz-Expires": strconv.FormatInt(int64(e.Expires/time.Second), 10),
			"Expires":       e.RequestTime.Add(e.Expires).UTC().Format(s3TimeLayout),
			"ServerTime":    e.ServerTime.UTC().Format(s3TimeLayout),
		}
	case KindPayloadHashMismatch:
		out = wire("XAmzContentSHA256Mismatch", http.StatusBadRequest, msgS3SHA256)
		out.Fields = map[string]string{
			"ClientComputedContentSHA256": e.ClientSHA256,
			"S3ComputedContentSHA256":     e.ComputedSHA256,
		}
	case KindMissingPayloadHash:
		if e.ClientSHA256 != "" {
			out = wire("InvalidArgument", http.StatusBadRequest, e.Message)
		} else {
			out = wire("InvalidRequest", http.StatusBadRequest, msgS3MissingSHA256)
		}
	case KindChecksumMismatch:
		out = wire("BadDigest", http.StatusBadRequest, e.Message)
	default: // KindMalformedPayload
		out = wire("IncompleteBody", http.StatusBadRequest, e.Message)
	}
	return out
}

// wire builds a client-fault wire error; msg is taken literally.
func wire(code string, status int, msg string) *awserr.Error {
	return &awserr.Error{Code: code, Message: msg, HTTPStatus: status, Sender: true}
}
