// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2query

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/querycore"
	"github.com/berthdev/berth/internal/protocol/shape"
	"github.com/berthdev/berth/internal/protocol/xmlbody"
)

// Protocol is the model's metadata.protocol value this codec serves.
const Protocol = awsapi.ProtocolEC2

// dialect is how EC2 reads a request: a member's key is its queryName tag,
// else its wire name with the first letter upper-cased; every list and map
// is numbered directly under its key; bad input is InvalidParameter or
// MissingParameter.
var dialect = querycore.Dialect{
	Key: func(m *shape.Member, tag reflect.StructTag) string {
		if k := tag.Get("queryName"); k != "" {
			return k
		}
		return upperFirst(m.Name)
	},
	Wrapped:   false,
	Malformed: codeInvalidParameter,
	UnknownAction: func(_ *awsapi.Service, action string) string {
		return "The action " + action + " is not valid for this web service."
	},
	Missing: func(paths []string) *awserr.Error {
		return awserr.New(codeMissingParameter, http.StatusBadRequest,
			"The request must contain the parameter %s", queryPath(paths[0]))
	},
}

// Codec serves one EC2-protocol service. It is immutable and safe for
// concurrent use.
type Codec struct {
	dec   *querycore.Decoder
	xmlns string
}

// New returns the codec for svc. svc.XMLNamespace, with the trailing "/"
// EC2 responses carry, becomes the xmlns of every response.
func New(svc *awsapi.Service) *Codec {
	ns := svc.XMLNamespace
	if ns != "" && !strings.HasSuffix(ns, "/") {
		ns += "/"
	}
	return &Codec{dec: querycore.NewDecoder(svc, dialect), xmlns: ns}
}

// ResolveOperation returns the operation named by the Action parameter (in
// the form body or the query string). A missing Action is MissingAction,
// an unknown one InvalidAction (both 400).
func (c *Codec) ResolveOperation(r *http.Request) (*awsapi.Operation, error) {
	return c.dec.ResolveOperation(r)
}

// DecodeInput decodes the request's parameters into in, a pointer to op's
// input structure. Keys that name no member (Action, Version, signing
// parameters, members of a newer model) are ignored. A key structure that
// does not fit the shape is InvalidParameter, a value that does not parse
// InvalidParameterValue, a missing required member MissingParameter (all
// 400).
func (c *Codec) DecodeInput(r *http.Request, _ *awsapi.Operation, in any) error {
	return c.dec.DecodeInput(r, in)
}

// queryPath turns a Missing path ("iamInstanceProfile.name") into the
// query key a client would have sent ("IamInstanceProfile.Name").
func queryPath(p string) string {
	segs := strings.Split(p, ".")
	for i, s := range segs {
		segs[i] = upperFirst(s)
	}
	return strings.Join(segs, ".")
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// EncodeOutput writes out (a pointer to op's output structure, or nil) as
//
//	<OpResponse xmlns="ns"><requestId>id</requestId>members...</OpResponse>
func (c *Codec) EncodeOutput(w http.ResponseWriter, op *awsapi.Operation, out any, requestID string) error {
	buf := shape.Buffer()
	defer shape.Release(buf)
	b := *buf
	root := op.Name + "Response"
	b = append(b, xmlHeader...)
	b = append(b, '<')
	b = append(b, root...)
	b = querycore.AppendXMLNS(b, c.xmlns)
	b = append(b, '>')
	b = xmlbody.AppendElement(b, "requestId", requestID)
	if out != nil {
		v, _, err := shape.Struct(out)
		if err != nil {
			return err
		}
		b = xmlbody.AppendMembers(b, v)
	}
	b = append(b, "</"...)
	b = append(b, root...)
	b = append(b, '>')
	*buf = b
	querycore.WriteXML(w, http.StatusOK, contentType, requestID, b)
	return nil
}

const (
	xmlHeader   = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	contentType = "text/xml;charset=UTF-8"
)

// EncodeError writes e as
//
//	<Response><Errors><Error><Code>C</Code><Message>M</Message></Error></Errors>
//	<RequestID>id</RequestID></Response>
//
// with e's HTTP status, after translating the generic codes EC2 spells
// its own way (see the package doc). aws-sdk-go-v2 and botocore read Code
// and Message from exactly this shape.
func (c *Codec) EncodeError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	code, status, msg := translate(shape.OrInternal(e))
	b := make([]byte, 0, 256)
	b = append(b, xmlHeader...)
	b = append(b, "<Response><Errors><Error>"...)
	b = xmlbody.AppendElement(b, "Code", code)
	b = xmlbody.AppendElement(b, "Message", msg)
	b = append(b, "</Error></Errors>"...)
	b = xmlbody.AppendElement(b, "RequestID", requestID)
	b = append(b, "</Response>"...)
	querycore.WriteXML(w, status, contentType, requestID, b)
}

// The EC2 spellings of generic codes.
const (
	codeUnauthorizedOperation = "UnauthorizedOperation"
	codeAuthFailure           = "AuthFailure"
	codeRequestExpired        = "RequestExpired"
	codeMissingParameter      = "MissingParameter"
	codeInvalidParameter      = "InvalidParameter"
)

// translate returns the code, status and message EC2 answers e with.
func translate(e *awserr.Error) (code string, status int, msg string) {
	code, status, msg = e.Code, shape.Status(e), e.Message
	switch code {
	case awserr.CodeAccessDenied, awserr.CodeAccessDeniedException:
		const prefix = "You are not authorized to perform this operation."
		if !strings.HasPrefix(msg, prefix) {
			msg = strings.TrimSpace(prefix + " " + msg)
		}
		return codeUnauthorizedOperation, http.StatusForbidden, msg
	case awserr.CodeInvalidClientTokenID, awserr.CodeUnrecognizedClient,
		awserr.CodeSignatureDoesNotMatch, awserr.CodeInvalidSignature:
		return codeAuthFailure, http.StatusUnauthorized, "AWS was not able to validate the provided access credentials"
	case awserr.CodeExpiredToken, awserr.CodeExpiredToken + "Exception":
		return codeRequestExpired, http.StatusBadRequest, "Request has expired."
	case awserr.CodeValidationError, awserr.CodeValidationException:
		return codeInvalidParameter, status, msg
	}
	return code, status, msg
}
