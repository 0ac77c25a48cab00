// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package awserr defines the error type every berth service returns and the
// codes shared by all AWS protocols.
//
// A service returns an *Error (usually built by a generated constructor in
// internal/awsapi/<svc>api, or by one of the helpers here) or a domain
// sentinel that is mapped to an *Error in exactly one place, From. The
// protocol codecs call From on every error and serialize only Code, Message
// and HTTPStatus; Err is the cause, logged with the request id and never sent
// to the client.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS error as it travels on the wire.
type Error struct {
	// Code is the AWS error code on the wire, e.g. "ClusterNotFoundException"
	// for awsJson or "NoSuchEntity" for awsQuery.
	Code string
	// Message is safe to show to the client.
	Message string
	// HTTPStatus is the response status (400, 403, 404, 409, 500, 501, 503).
	HTTPStatus int
	// Sender reports a client fault (awsQuery <Type>Sender</Type>); false is
	// a Receiver (server) fault.
	Sender bool
	// Fields are extra members of the error shape serialized next to the
	// message, keyed by their wire name (rarely used).
	Fields map[string]string
	// Err is the cause. It is logged, never serialized.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// WithCause returns a copy of e that carries err as its logged cause.
func (e *Error) WithCause(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// New returns a sender-fault error with the given code, status and message.
func New(code string, status int, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, HTTPStatus: status, Sender: status < 500}
}

// Common codes shared by every protocol.
const (
	CodeAccessDenied               = "AccessDenied"
	CodeAccessDeniedException      = "AccessDeniedException"
	CodeValidationError            = "ValidationError"
	CodeValidationException        = "ValidationException"
	CodeInternalFailure            = "InternalFailure"
	CodeNotImplemented             = "NotImplemented"
	CodeThrottling                 = "ThrottlingException"
	CodeServiceUnavailable         = "ServiceUnavailable"
	CodeInvalidAction              = "InvalidAction"
	CodeUnknownOperation           = "UnknownOperationException"
	CodeSerialization              = "SerializationException"
	CodeMissingAction              = "MissingAction"
	CodeInvalidParameterValue      = "InvalidParameterValue"
	CodeMalformedQueryString       = "MalformedQueryString"
	CodeRequestEntityTooLarge      = "RequestEntityTooLarge"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeExpiredToken               = "ExpiredToken"
	CodeInvalidSignature           = "InvalidSignatureException"
)

// NotImplemented is the answer for an operation that is in the model but
// not served yet.
func NotImplemented(service, op string) *Error {
	return &Error{
		Code:       CodeNotImplemented,
		Message:    fmt.Sprintf("berth does not implement %s.%s yet", service, op),
		HTTPStatus: http.StatusNotImplemented,
	}
}

// InternalFailure hides cause from the client and keeps it for the log.
func InternalFailure(cause error) *Error {
	return &Error{
		Code:       CodeInternalFailure,
		Message:    "We encountered an internal error. Please try again.",
		HTTPStatus: http.StatusInternalServerError,
		Err:        cause,
	}
}

// Validation returns the validation error in the code the protocol family
// uses: ValidationError for awsQuery services (IAM, STS), ValidationException
// for awsJson ones. Callers pass the code their service uses.
func Validation(code, format string, args ...any) *Error {
	return New(code, http.StatusBadRequest, format, args...)
}

// sentinels maps domain sentinel errors to their wire form; see Register.
var sentinels []sentinel

type sentinel struct {
	target error
	conv   func(error) *Error
}

// Register makes From map errors matching target (errors.Is) through conv.
// It is called from package init functions only.
func Register(target error, conv func(error) *Error) {
	sentinels = append(sentinels, sentinel{target, conv})
}

// From turns any error into an *Error: an *Error in the chain is returned
// as is, a registered sentinel is converted, anything else becomes
// InternalFailure with err as the logged cause.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	for _, s := range sentinels {
		if errors.Is(err, s.target) {
			return s.conv(err)
		}
	}
	return InternalFailure(err)
}
