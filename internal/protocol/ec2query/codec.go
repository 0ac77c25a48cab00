// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2query

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/shape"
	"github.com/berthdev/berth/internal/protocol/xmlbody"
)

// Protocol is the model's metadata.protocol value this codec serves.
const Protocol = awsapi.ProtocolEC2

// Codec serves one EC2-protocol service. It is immutable and safe for
// concurrent use.
type Codec struct {
	svc   *awsapi.Service
	xmlns string
}

// New returns the codec for svc. svc.XMLNamespace, with the trailing "/"
// EC2 responses carry, becomes the xmlns of every response.
func New(svc *awsapi.Service) *Codec {
	ns := svc.XMLNamespace
	if ns != "" && !strings.HasSuffix(ns, "/") {
		ns += "/"
	}
	return &Codec{svc: svc, xmlns: ns}
}

// ResolveOperation returns the operation named by the Action parameter (in
// the form body or the query string). A missing Action is MissingAction,
// an unknown one InvalidAction (both 400).
func (c *Codec) ResolveOperation(r *http.Request) (*awsapi.Operation, error) {
	form, err := values(r)
	if err != nil {
		return nil, err
	}
	action := form.Get("Action")
	if action == "" {
		return nil, awserr.New(awserr.CodeMissingAction, http.StatusBadRequest,
			"The request must contain the parameter Action")
	}
	if op := c.svc.Operations[action]; op != nil {
		return op, nil
	}
	return nil, awserr.New(awserr.CodeInvalidAction, http.StatusBadRequest,
		"The action %s is not valid for this web service.", action)
}

// DecodeInput decodes the request's parameters into in, a pointer to op's
// input structure. Keys that name no member (Action, Version, signing
// parameters, members of a newer model) are ignored. A key structure that
// does not fit the shape is InvalidParameter, a value that does not parse
// InvalidParameterValue, a missing required member MissingParameter (all
// 400).
func (c *Codec) DecodeInput(r *http.Request, op *awsapi.Operation, in any) error {
	v, t, err := shape.Struct(in)
	if err != nil {
		return awserr.InternalFailure(err)
	}
	form, err := values(r)
	if err != nil {
		return err
	}
	if err := decodeStruct(tree(form), v, t, ""); err != nil {
		var f *fault
		if errors.As(err, &f) {
			return awserr.New(f.code, http.StatusBadRequest, "%s", f.msg)
		}
		return awserr.InternalFailure(err)
	}
	if missing := shape.Missing(v); missing != nil {
		return awserr.New(codeMissingParameter, http.StatusBadRequest,
			"The request must contain the parameter %s", queryPath(missing[0]))
	}
	return nil
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

// values returns the merged form body and query string of r, parsing them
// once (r.Form caches the result). A body without a Content-Type is read
// as a form, as AWS does.
func values(r *http.Request) (url.Values, error) {
	if r.Form != nil {
		return r.Form, nil
	}
	bad := func(err error) error {
		return awserr.New(awserr.CodeMalformedQueryString, http.StatusBadRequest,
			"The request parameters could not be parsed").WithCause(err)
	}
	form := url.Values{}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if ct := r.Header.Get("Content-Type"); ct != "" && !isForm(ct) {
			return nil, awserr.New("UnsupportedMediaType", http.StatusUnsupportedMediaType,
				"Content-Type %q is not supported, use application/x-www-form-urlencoded", ct)
		}
		body, aerr := shape.ReadBody(r)
		if aerr != nil {
			return nil, aerr
		}
		var err error
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, bad(err)
		}
	}
	if r.URL.RawQuery != "" {
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, bad(err)
		}
		for k, vs := range query {
			form[k] = append(form[k], vs...)
		}
	}
	r.PostForm, r.Form = form, form
	return form, nil
}

func isForm(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")
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
	if c.xmlns != "" {
		b = append(b, ` xmlns="`...)
		b = xmlbody.Escape(b, c.xmlns, true)
		b = append(b, '"')
	}
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
	write(w, http.StatusOK, requestID, b)
	return nil
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

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
	write(w, status, requestID, b)
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

func write(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if requestID != "" {
		h.Set("X-Amzn-RequestId", requestID)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}
