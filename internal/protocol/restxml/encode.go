// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml

import (
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/shape"
	"github.com/berthdev/berth/internal/protocol/xmlbody"
)

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// EncodeOutput writes out (a pointer to op's output structure, or nil):
// the statusCode member as the status (default: op.ResponseCode, the
// model's success code such as DeleteObject's 204, else 200; a 204 with a
// body becomes 200), header and header-prefix members as headers, and the
// body: a streaming payload is copied from its io.Reader (closed
// afterwards when it is an io.Closer) with a Content-Length when the
// output or the reader tells it; a blob or string payload is written as
// is; a structure payload, or the body members, as an XML document whose
// root element and xmlns come from the `_` tags (the payload member's
// locationName for a payload), falling back to "<Operation>Result" and the
// service namespace.
//
// An error returned before anything was written leaves the response to
// the caller; an error while copying a stream is returned after the
// status line went out, for the caller to log.
func (c *Codec) EncodeOutput(w http.ResponseWriter, op *awsapi.Operation, out any, requestID string) error {
	h := w.Header()
	if requestID != "" {
		h.Set("X-Amz-Request-Id", requestID)
	}
	if out == nil {
		w.WriteHeader(successStatus(op))
		return nil
	}
	v, t, err := shape.Struct(out)
	if err != nil {
		return err
	}
	var stream io.Reader
	if p := t.Payload; p != nil && p.Type.Kind == shape.Stream {
		if fv, ok := shape.Present(v.Field(p.Index)); ok {
			stream, _ = fv.Interface().(io.Reader) // Kind Stream: an io.Reader
		}
	}
	if closer, ok := stream.(io.Closer); ok {
		defer closer.Close()
	}
	status := successStatus(op)
	for _, m := range t.Members {
		fv, ok := shape.Present(v.Field(m.Index))
		if !ok {
			continue
		}
		switch m.Location {
		case shape.StatusCode:
			if m.Type.Kind == shape.Integer && fv.Int() > 0 {
				status = int(fv.Int())
			}
		case shape.Header:
			if s, ok := headerText(fv, m); ok {
				h.Set(m.Name, s)
			}
		case shape.Headers:
			for _, k := range fv.MapKeys() {
				if ev, ok := shape.Present(fv.MapIndex(k)); ok && ev.Kind() == reflect.String {
					h.Set(m.Name+k.String(), ev.String())
				}
			}
		}
	}
	if stream != nil {
		if status == http.StatusOK && h.Get("Content-Range") != "" {
			status = http.StatusPartialContent // S3 GetObject with Range; the model has no status member
		}
		return writeStream(w, status, stream)
	}
	buf := shape.Buffer()
	defer shape.Release(buf)
	body := c.body((*buf)[:0], op, v, t)
	if body == nil {
		w.WriteHeader(status)
		return nil
	}
	if status == http.StatusNoContent {
		status = http.StatusOK // a body cannot go with a 204
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/xml")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
	return nil
}

// successStatus is the status of op's successful responses: the model's
// http.responseCode when it gives one, else 200.
func successStatus(op *awsapi.Operation) int {
	if op != nil && op.ResponseCode > 0 {
		return op.ResponseCode
	}
	return http.StatusOK
}

// body appends the non-streaming response body of v to b, or returns nil
// when there is none.
func (c *Codec) body(b []byte, op *awsapi.Operation, v reflect.Value, t *shape.Type) []byte {
	p := t.Payload
	if p == nil {
		if !t.HasBody() {
			return nil
		}
		b = append(b, xmlDecl...)
		root, ns := or(t.Name, op.Name+"Result"), or(t.XMLNS, c.svc.XMLNamespace)
		if m := t.Member(root); m != nil && len(t.Members) == 1 && m.Type.Kind == shape.String {
			// S3's GetBucketLocation: the root element is the one member's
			// element, <LocationConstraint>region</LocationConstraint>.
			b = append(b, "<"+root+` xmlns="`+ns+`">`...)
			if fv, ok := shape.Present(v.Field(m.Index)); ok {
				b = xmlbody.Escape(b, fv.String(), false)
			}
			return append(b, "</"+root+">"...)
		}
		return xmlbody.AppendStruct(b, root, ns, v)
	}
	fv, ok := shape.Present(v.Field(p.Index))
	if !ok {
		return nil
	}
	switch p.Type.Kind {
	case shape.Blob:
		return fv.Bytes()
	case shape.String:
		return []byte(fv.String())
	case shape.Structure:
		ns := or(p.XMLNS, or(p.Type.XMLNS, c.svc.XMLNamespace))
		b = append(b, xmlDecl...)
		return xmlbody.AppendStruct(b, p.Name, ns, fv)
	}
	return nil
}

func writeStream(w http.ResponseWriter, status int, r io.Reader) error {
	h := w.Header()
	if h.Get("Content-Length") == "" {
		switch s := r.(type) {
		case interface{ Len() int }:
			h.Set("Content-Length", strconv.Itoa(s.Len()))
		case interface{ Size() int64 }:
			h.Set("Content-Length", strconv.FormatInt(s.Size(), 10))
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/octet-stream")
	}
	w.WriteHeader(status)
	if status == http.StatusNoContent || status == http.StatusNotModified {
		return nil
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("restxml: copy streaming payload: %w", err)
	}
	return nil
}

// headerText formats a header member: timestamps as RFC 822 unless the
// member says otherwise, blobs and jsonvalue members in base64, lists
// comma-separated.
func headerText(v reflect.Value, m *shape.Member) (string, bool) {
	k := m.Type.Kind
	switch {
	case k == shape.List && m.Type.Elem.Kind.Scalar():
		parts := make([]string, 0, v.Len())
		for i := range v.Len() {
			if iv, ok := shape.Present(v.Index(i)); ok {
				parts = append(parts, string(shape.AppendText(nil, iv, m.Type.Elem.Kind, m.Time.Or(shape.RFC822))))
			}
		}
		return strings.Join(parts, ","), true
	case !k.Scalar():
		return "", false
	case m.JSONValue && k == shape.String:
		return base64.StdEncoding.EncodeToString([]byte(v.String())), true
	}
	return string(shape.AppendText(nil, v, k, m.Time.Or(shape.RFC822))), true
}

// EncodeError writes e as S3 does:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<Error><Code>NoSuchKey</Code><Message>...</Message><Key>k</Key><RequestId>id</RequestId></Error>
//
// with e.Fields (BucketName, Key, Resource, ArgumentName...) between
// Message and RequestId, and e's status. For a HEAD request net/http
// drops the body, which is what S3 sends: status and headers only.
func (c *Codec) EncodeError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	e = shape.OrInternal(e)
	b := append(make([]byte, 0, 256), xmlDecl...)
	b = append(b, "<Error>"...)
	b = xmlbody.AppendElement(b, "Code", e.Code)
	b = xmlbody.AppendElement(b, "Message", e.Message)
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		if k != "Code" && k != "Message" && k != "RequestId" {
			b = xmlbody.AppendElement(b, k, e.Fields[k])
		}
	}
	b = xmlbody.AppendElement(b, "RequestId", requestID)
	b = append(b, "</Error>"...)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	if requestID != "" {
		h.Set("X-Amz-Request-Id", requestID)
	}
	w.WriteHeader(shape.Status(e))
	_, _ = w.Write(b) // a failed write means the client went away
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
