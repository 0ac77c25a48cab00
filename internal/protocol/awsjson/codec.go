// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsjson

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/shape"
)

// Codec serves one awsJson service. It is immutable and safe for
// concurrent use.
type Codec struct {
	svc         *awsapi.Service
	contentType string
}

// New returns the codec for svc, whose JSONVersion ("1.0" or "1.1",
// default "1.1") selects the Content-Type it answers with.
func New(svc *awsapi.Service) *Codec {
	v := svc.JSONVersion
	if v == "" {
		v = "1.1"
	}
	return &Codec{svc: svc, contentType: "application/x-amz-json-" + v}
}

// ResolveOperation returns the operation named by the X-Amz-Target header,
// "<TargetPrefix>.<Operation>". An unknown or missing target is an
// UnknownOperationException (400).
func (c *Codec) ResolveOperation(r *http.Request) (*awsapi.Operation, error) {
	target := r.Header.Get("X-Amz-Target")
	i := strings.LastIndexByte(target, '.')
	prefix, name := target[:max(i, 0)], target[i+1:]
	ok := i > 0 && (c.svc.TargetPrefix == "" || prefix == c.svc.TargetPrefix)
	if op := c.svc.Operations[name]; ok && op != nil {
		return op, nil
	}
	return nil, awserr.New(awserr.CodeUnknownOperation, http.StatusBadRequest,
		"The requested operation %q is not recognized by this service", target)
}

// DecodeInput decodes the JSON body of r into in, a pointer to op's input
// structure. An empty body is {}. Unknown members are ignored. Malformed
// JSON and values of the wrong type are SerializationException; missing
// required members are ValidationException (both 400).
func (c *Codec) DecodeInput(r *http.Request, op *awsapi.Operation, in any) error {
	v, _, err := shape.Struct(in)
	if err != nil {
		return awserr.InternalFailure(err)
	}
	body, aerr := shape.ReadBody(r)
	if aerr != nil {
		return aerr
	}
	if err := decodeBody(body, v); err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			return awserr.New(awserr.CodeSerialization, http.StatusBadRequest, "%s", de.Error())
		}
		return awserr.InternalFailure(err)
	}
	if missing := shape.Missing(v); missing != nil {
		return awserr.New(awserr.CodeValidationException, http.StatusBadRequest, "%s", shape.MissingMessage(missing))
	}
	return nil
}

// EncodeOutput writes out (a pointer to op's output structure, or nil for
// an empty one) as a 200 JSON response; nil members are omitted. Nothing is
// written when it returns an error, so the caller can still answer with
// EncodeError.
func (c *Codec) EncodeOutput(w http.ResponseWriter, op *awsapi.Operation, out any, requestID string) error {
	buf := shape.Buffer()
	defer shape.Release(buf)
	body := append(*buf, "{}"...)
	if out != nil {
		v, t, err := shape.Struct(out)
		if err != nil {
			return err
		}
		if body, err = appendStruct((*buf)[:0], v, t); err != nil {
			return err
		}
	}
	*buf = body
	c.write(w, http.StatusOK, requestID, body)
	return nil
}

// EncodeError writes e as awsJson does: its status, the X-Amzn-ErrorType
// header and {"__type":"Code","message":"..."} plus e.Fields. Both
// aws-sdk-go-v2 and botocore take the code from the header first, then
// from __type (after any "namespace#"), and match it against the modelled
// error shape names, so Code must be the shape name.
func (c *Codec) EncodeError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	e = shape.OrInternal(e)
	b := make([]byte, 0, 128)
	b = append(b, `{"__type":`...)
	b = appendString(b, e.Code)
	if e.Message != "" {
		b = append(b, `,"message":`...)
		b = appendString(b, e.Message)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		if k == "__type" || k == "message" {
			continue
		}
		b = append(b, ',')
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, e.Fields[k])
	}
	b = append(b, '}')
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	c.write(w, shape.Status(e), requestID, b)
}

func (c *Codec) write(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", c.contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if requestID != "" {
		h.Set("X-Amzn-RequestId", requestID)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}
