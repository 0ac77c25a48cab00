// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package protocol

import (
	"net/http"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/awsjson"
	"github.com/berthdev/berth/internal/protocol/awsquery"
	"github.com/berthdev/berth/internal/protocol/ec2query"
	"github.com/berthdev/berth/internal/protocol/restxml"
)

// Codec converts between HTTP and one service's generated types. Codecs
// are immutable after construction and safe for concurrent use.
type Codec interface {
	// DecodeInput fills in, a pointer to a zero value from op.NewInput,
	// from r. It returns an *awserr.Error: a client fault with the
	// protocol's code (SerializationException, MalformedInput,
	// MalformedXML...), or InternalFailure if in is not a contract struct.
	DecodeInput(r *http.Request, op *awsapi.Operation, in any) error
	// EncodeOutput writes out, a pointer to op's output struct (nil for an
	// empty one), as a successful response. If it returns an error before
	// writing anything the caller may still call EncodeError.
	EncodeOutput(w http.ResponseWriter, op *awsapi.Operation, out any, requestID string) error
	// EncodeError writes err in the protocol's error shape with its
	// status. A nil err is written as InternalFailure.
	EncodeError(w http.ResponseWriter, err *awserr.Error, requestID string)
}

// Resolver is implemented by every codec here: it names the operation a
// request addresses (X-Amz-Target, Action, or the REST route). Its errors
// are *awserr.Error (UnknownOperationException, InvalidAction,
// MethodNotAllowed...).
type Resolver interface {
	ResolveOperation(r *http.Request) (*awsapi.Operation, error)
}

var (
	_ Codec    = (*awsjson.Codec)(nil)
	_ Codec    = (*awsquery.Codec)(nil)
	_ Codec    = (*restxml.Codec)(nil)
	_ Resolver = (*awsjson.Codec)(nil)
	_ Resolver = (*awsquery.Codec)(nil)
	_ Resolver = (*restxml.Codec)(nil)
)

// For returns the codec for svc's protocol, built once per call (call it
// once per service at wiring time). It returns nil for a protocol berth has
// no codec for yet (rest-json).
func For(svc *awsapi.Service) Codec {
	switch svc.Protocol {
	case awsapi.ProtocolJSON:
		return awsjson.New(svc)
	case awsapi.ProtocolQuery:
		return awsquery.New(svc)
	case awsapi.ProtocolRestXML:
		return restxml.New(svc)
	case ec2query.Protocol:
		return ec2query.New(svc)
	}
	return nil
}
