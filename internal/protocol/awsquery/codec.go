// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsquery

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/shape"
	"github.com/berthdev/berth/internal/protocol/xmlbody"
)

// Codec serves one awsQuery service. It is immutable and safe for
// concurrent use.
type Codec struct {
	svc *awsapi.Service
}

// New returns the codec for svc; svc.XMLNamespace becomes the xmlns of
// every response.
func New(svc *awsapi.Service) *Codec { return &Codec{svc: svc} }

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
		"Could not find operation %s for version %s", action, c.svc.APIVersion)
}

// DecodeInput decodes the request's parameters (a form-encoded body, or
// the query string of a GET) into in, a pointer to op's input structure.
// Keys that name no member (Action, Version, signing parameters) are
// ignored. A key structure that does not fit the shape is MalformedInput,
// a value that does not parse InvalidParameterValue, a missing required
// member ValidationError (all 400).
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
		return awserr.New(awserr.CodeValidationError, http.StatusBadRequest, "%s", shape.MissingMessage(missing))
	}
	return nil
}

// values returns the merged form body and query string of r, parsing
// them once (r.Form caches the result, as http.Request.ParseForm does). A
// body without a Content-Type is read as a form, as AWS does.
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
	b = c.xmlns(b)
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
	write(w, http.StatusOK, requestID, b)
	return nil
}

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
	b = c.xmlns(b)
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
	write(w, shape.Status(e), requestID, b)
}

func (c *Codec) xmlns(b []byte) []byte {
	if c.svc.XMLNamespace == "" {
		return b
	}
	b = append(b, ` xmlns="`...)
	b = xmlbody.Escape(b, c.svc.XMLNamespace, true)
	return append(b, '"')
}

func write(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if requestID != "" {
		h.Set("X-Amzn-RequestId", requestID)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}
