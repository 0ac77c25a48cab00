// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsquery

import (
	"maps"
	"net/http"
	"reflect"
	"slices"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/querycore"
	"github.com/berthdev/berth/internal/protocol/shape"
	"github.com/berthdev/berth/internal/protocol/xmlbody"
)

// dialect is how awsQuery reads a request: a member's key is its XML
// element name, lists and maps nest their items under "member"/"entry"
// unless flattened, and bad input is MalformedInput or ValidationError.
var dialect = querycore.Dialect{
	Key:       func(m *shape.Member, _ reflect.StructTag) string { return m.ElemName() },
	Wrapped:   true,
	Malformed: "MalformedInput",
	UnknownAction: func(svc *awsapi.Service, action string) string {
		return "Could not find operation " + action + " for version " + svc.APIVersion
	},
	Missing: func(paths []string) *awserr.Error {
		return awserr.New(awserr.CodeValidationError, http.StatusBadRequest, "%s", shape.MissingMessage(paths))
	},
}

// Codec serves one awsQuery service. It is immutable and safe for
// concurrent use.
type Codec struct {
	svc *awsapi.Service
	dec *querycore.Decoder
}

// New returns the codec for svc; svc.XMLNamespace becomes the xmlns of
// every response.
func New(svc *awsapi.Service) *Codec {
	return &Codec{svc: svc, dec: querycore.NewDecoder(svc, dialect)}
}

// ResolveOperation returns the operation named by the Action parameter (in
// the form body or the query string). A missing Action is MissingAction,
// an unknown one InvalidAction (both 400).
func (c *Codec) ResolveOperation(r *http.Request) (*awsapi.Operation, error) {
	return c.dec.ResolveOperation(r)
}

// DecodeInput decodes the request's parameters (a form-encoded body, or
// the query string of a GET) into in, a pointer to op's input structure.
// Keys that name no member (Action, Version, signing parameters) are
// ignored. A key structure that does not fit the shape is MalformedInput,
// a value that does not parse InvalidParameterValue, a missing required
// member ValidationError (all 400).
func (c *Codec) DecodeInput(r *http.Request, _ *awsapi.Operation, in any) error {
	return c.dec.DecodeInput(r, in)
}

// EncodeOutput writes out (a pointer to op's output structure, or nil) as
//
//	<OpResponse xmlns="ns"><OpResult>...</OpResult>
//	<ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>
//
// with op.ResultWrapper as the result element. Without a ResultWrapper the
// output's members (usually none) sit directly in <OpResponse>.
func (c *Codec) EncodeOutput(w http.ResponseWriter, op *awsapi.Operation, out any, requestID string) error {
	buf := shape.Buffer()
	defer shape.Release(buf)
	b := *buf
	root := op.Name + "Response"
	b = append(b, '<')
	b = append(b, root...)
	b = querycore.AppendXMLNS(b, c.svc.XMLNamespace)
	b = append(b, '>')
	if out != nil {
		v, _, err := shape.Struct(out)
		if err != nil {
			return err
		}
		if op.ResultWrapper != "" {
			b = xmlbody.AppendStruct(b, op.ResultWrapper, "", v)
		} else {
			b = xmlbody.AppendMembers(b, v)
		}
	}
	b = append(b, "<ResponseMetadata><RequestId>"...)
	b = xmlbody.Escape(b, requestID, false)
	b = append(b, "</RequestId></ResponseMetadata></"...)
	b = append(b, root...)
	b = append(b, '>')
	*buf = b
	querycore.WriteXML(w, http.StatusOK, contentType, requestID, b)
	return nil
}

const contentType = "text/xml"

// EncodeError writes e as
//
//	<ErrorResponse xmlns="ns"><Error><Type>Sender|Receiver</Type>
//	<Code>C</Code><Message>M</Message>...</Error><RequestId>id</RequestId></ErrorResponse>
//
// with e.Fields as extra elements of <Error>, and e's HTTP status.
// aws-sdk-go-v2 matches <Code> against the shapes' awsQueryError codes
// (NoSuchEntity → *types.NoSuchEntityException).
func (c *Codec) EncodeError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	e = shape.OrInternal(e)
	b := make([]byte, 0, 256)
	b = append(b, "<ErrorResponse"...)
	b = querycore.AppendXMLNS(b, c.svc.XMLNamespace)
	b = append(b, "><Error><Type>"...)
	if e.Sender {
		b = append(b, "Sender"...)
	} else {
		b = append(b, "Receiver"...)
	}
	b = append(b, "</Type>"...)
	b = xmlbody.AppendElement(b, "Code", e.Code)
	b = xmlbody.AppendElement(b, "Message", e.Message)
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		if k != "Type" && k != "Code" && k != "Message" {
			b = xmlbody.AppendElement(b, k, e.Fields[k])
		}
	}
	b = append(b, "</Error>"...)
	b = xmlbody.AppendElement(b, "RequestId", requestID)
	b = append(b, "</ErrorResponse>"...)
	querycore.WriteXML(w, shape.Status(e), contentType, requestID, b)
}
