// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/shape"
	"github.com/berthdev/berth/internal/protocol/xmlbody"
)

// Codec serves one restXml service. It is immutable and safe for
// concurrent use.
type Codec struct {
	svc         *awsapi.Service
	templates   []*template
	byOp        map[string]*template
	byMethod    map[string][]*template
	bucketHosts bool // templates start with /{Bucket}: accept virtual hosts
}

// New compiles the HTTP bindings of svc's operations. Operations without a
// RequestURI are not routable.
func New(svc *awsapi.Service) *Codec {
	c := &Codec{svc: svc, byOp: map[string]*template{}, byMethod: map[string][]*template{}}
	for _, op := range svc.Operations {
		if op.RequestURI == "" {
			continue
		}
		t := compile(op)
		c.templates = append(c.templates, t)
		c.byOp[op.Name] = t
		c.byMethod[op.HTTPMethod] = append(c.byMethod[op.HTTPMethod], t)
		if len(t.segs) > 0 && t.segs[0].label && t.segs[0].text == "Bucket" {
			c.bucketHosts = true
		}
	}
	return c
}

// Route returns the operation r addresses, by method, path template, query
// keys and required headers (see the precedence rules in route.go), and
// its URI labels by name. No match is MethodNotAllowed (405) when the path
// fits some operation, InvalidURI (400) otherwise.
func (c *Codec) Route(r *http.Request) (*awsapi.Operation, map[string]string, error) {
	t, vals, err := c.route(r)
	if err != nil {
		return nil, nil, err
	}
	labels := make(map[string]string, len(t.labels))
	for name, i := range t.labels {
		labels[name] = vals[i]
	}
	return t.op, labels, nil
}

// ResolveOperation is Route without the labels.
func (c *Codec) ResolveOperation(r *http.Request) (*awsapi.Operation, error) {
	op, _, err := c.Route(r)
	return op, err
}

// DecodeInput fills in, a pointer to op's input structure, from r: URI
// labels (greedy labels keep their slashes; all are URL-decoded), query
// parameters, headers and header-prefix maps (keys lower-cased), and the
// body: a streaming payload member gets r.Body itself (the codec never
// reads it), a blob or string payload the raw body, a structure payload or
// the body members the XML document. Labels, query parameters and
// headers that do not parse are InvalidArgument; bad or incomplete XML,
// values in it that do not parse included, is MalformedXML; a missing
// required label, parameter or header is InvalidRequest (all 400).
func (c *Codec) DecodeInput(r *http.Request, op *awsapi.Operation, in any) error {
	v, t, err := shape.Struct(in)
	if err != nil {
		return awserr.InternalFailure(err)
	}
	var vals []string
	tmpl := c.byOp[op.Name]
	if tmpl != nil {
		vals, _ = tmpl.match(c.segments(r))
	}
	q := r.URL.Query()
	for _, m := range t.Members {
		fv := v.Field(m.Index)
		var err error
		switch m.Location {
		case shape.URI:
			if i, ok := tmpl.label(m.Name); ok && vals != nil {
				err = setText(fv, m, vals[i], shape.ISO8601)
			}
		case shape.Query:
			err = decodeQuery(fv, m, q, tmpl)
		case shape.Header:
			err = decodeHeader(fv, m, r.Header)
		case shape.Headers:
			decodeHeaderMap(fv, m, r.Header)
		}
		if err != nil {
			return err
		}
	}
	if err := c.decodeBody(r, v, t); err != nil {
		return err
	}
	for _, m := range t.Members {
		if _, ok := shape.Present(v.Field(m.Index)); !ok && m.Required && m.Location != shape.Body {
			return awserr.New("InvalidRequest", http.StatusBadRequest, "Missing required parameter %s", m.Name)
		}
	}
	if missing := shape.Missing(v); missing != nil { // then it is in the body
		return malformedXML(errors.New(shape.MissingMessage(missing)))
	}
	return nil
}

func (t *template) label(name string) (int, bool) {
	if t == nil {
		return 0, false
	}
	i, ok := t.labels[name]
	return i, ok
}

func (c *Codec) decodeBody(r *http.Request, v reflect.Value, t *shape.Type) error {
	if p := t.Payload; p != nil && p.Type.Kind == shape.Stream {
		body := r.Body
		if body == nil {
			body = http.NoBody
		}
		v.Field(p.Index).Set(reflect.ValueOf(body))
		return nil
	}
	if t.Payload == nil && !t.HasBody() {
		return nil
	}
	body, aerr := shape.ReadBody(r)
	if aerr != nil {
		return aerr
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	target := v
	if p := t.Payload; p != nil {
		fv := v.Field(p.Index)
		switch p.Type.Kind {
		case shape.Blob:
			fv.SetBytes(body)
			return nil
		case shape.String:
			shape.Alloc(fv).SetString(string(body))
			return nil
		case shape.Structure:
			target = fv
		default:
			return nil
		}
	}
	// Syntax errors and values that do not parse are both a document that
	// does not validate against the schema, as S3 words it.
	if err := xmlbody.Decode(bytes.NewReader(body), target); err != nil && !errors.Is(err, xmlbody.ErrEmpty) {
		return malformedXML(err)
	}
	return nil
}

func decodeQuery(fv reflect.Value, m *shape.Member, q url.Values, tmpl *template) error {
	switch m.Type.Kind {
	case shape.Map: // every parameter no other member or the template binds
		mv := shape.Alloc(fv)
		list := m.Type.Elem.Kind == shape.List
		for k, vs := range q {
			if tmpl.binds(k) || len(vs) == 0 {
				continue
			}
			if mv.IsNil() {
				mv.Set(reflect.MakeMap(mv.Type()))
			}
			val := reflect.ValueOf(vs[0])
			if list {
				val = reflect.ValueOf(vs)
			}
			mv.SetMapIndex(reflect.ValueOf(k).Convert(mv.Type().Key()), val.Convert(mv.Type().Elem()))
		}
		return nil
	case shape.List:
		vs, ok := q[m.Name]
		if !ok {
			return nil
		}
		return setList(fv, m, vs)
	}
	if vs, ok := q[m.Name]; ok && len(vs) > 0 {
		return setText(fv, m, vs[0], shape.ISO8601)
	}
	return nil
}

// binds reports whether the query key k belongs to a member or literal.
func (t *template) binds(k string) bool { return t != nil && t.bound[k] }

func decodeHeader(fv reflect.Value, m *shape.Member, h http.Header) error {
	vs := h.Values(m.Name)
	if len(vs) == 0 {
		return nil
	}
	if m.Type.Kind == shape.List {
		var items []string
		for _, v := range vs {
			for item := range strings.SplitSeq(v, ",") {
				items = append(items, strings.TrimSpace(item))
			}
		}
		return setList(fv, m, items)
	}
	s := strings.TrimSpace(vs[0])
	if m.JSONValue {
		b, err := shape.DecodeBase64(s)
		if err != nil {
			return invalidArgument(m.Name, s, err)
		}
		if m.Type.Kind == shape.Document {
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				return invalidArgument(m.Name, s, err)
			}
			fv.Set(reflect.ValueOf(&doc).Elem())
			return nil
		}
		s = string(b)
	}
	return setText(fv, m, s, shape.RFC822)
}

func decodeHeaderMap(fv reflect.Value, m *shape.Member, h http.Header) {
	prefix := strings.ToLower(m.Name)
	for k, vs := range h {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, prefix) || len(vs) == 0 {
			continue
		}
		mv := shape.Alloc(fv)
		if mv.IsNil() {
			mv.Set(reflect.MakeMap(mv.Type()))
		}
		key := reflect.ValueOf(lk[len(prefix):]).Convert(mv.Type().Key())
		mv.SetMapIndex(key, reflect.ValueOf(strings.TrimSpace(vs[0])).Convert(mv.Type().Elem()))
	}
}

func setList(fv reflect.Value, m *shape.Member, items []string) error {
	s := shape.Alloc(fv)
	out := reflect.MakeSlice(s.Type(), len(items), len(items))
	for i, item := range items {
		if err := shape.SetText(shape.Alloc(out.Index(i)), m.Type.Elem.Kind, item, m.Time.Or(shape.ISO8601)); err != nil {
			return invalidArgument(m.Name, item, err)
		}
	}
	s.Set(out)
	return nil
}

func setText(fv reflect.Value, m *shape.Member, s string, def shape.TimeFormat) error {
	if !m.Type.Kind.Scalar() {
		return nil
	}
	if err := shape.SetText(shape.Alloc(fv), m.Type.Kind, s, m.Time.Or(def)); err != nil {
		return invalidArgument(m.Name, s, err)
	}
	return nil
}

func invalidArgument(name, value string, cause error) *awserr.Error {
	e := awserr.New("InvalidArgument", http.StatusBadRequest, "Invalid value for argument %s", name).WithCause(cause)
	e.Fields = map[string]string{"ArgumentName": name}
	if value != "" {
		e.Fields["ArgumentValue"] = value
	}
	return e
}

func malformedXML(cause error) *awserr.Error {
	return awserr.New("MalformedXML", http.StatusBadRequest,
		"The XML you provided was not well-formed or did not validate against our published schema").WithCause(cause)
}
