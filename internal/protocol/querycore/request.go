// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package querycore

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/shape"
)

// Dialect holds the rules in which the query protocols differ when they
// read a request. Every field must be set.
type Dialect struct {
	// Key returns the query key of member m, whose struct field carries
	// tag. It is called once per member and cached.
	Key func(m *shape.Member, tag reflect.StructTag) string
	// Wrapped lists and maps nest their items under a segment:
	// Name.member.1 (the member's Item), Name.entry.1.key. Flattened
	// members, and every list and map when Wrapped is false, number them
	// directly: Name.1, Name.1.key. A client that leaves a wrapper segment
	// out is tolerated.
	Wrapped bool
	// Malformed is the code of a key structure that does not fit the shape
	// (a value where a list is expected, a list index that is no number).
	Malformed string
	// UnknownAction returns the message of InvalidAction for an Action
	// that names no operation of svc.
	UnknownAction func(svc *awsapi.Service, action string) string
	// Missing returns the error for required members left out; paths are
	// as shape.Missing reports them.
	Missing func(paths []string) *awserr.Error
}

// Decoder reads one service's requests in a dialect. It is safe for
// concurrent use.
type Decoder struct {
	svc     *awsapi.Service
	dialect Dialect
	keys    sync.Map // reflect.Type of a struct → []string, by member index
}

// NewDecoder returns the decoder for svc's requests in dialect d.
func NewDecoder(svc *awsapi.Service, d Dialect) *Decoder {
	return &Decoder{svc: svc, dialect: d}
}

// ResolveOperation returns the operation named by the Action parameter (in
// the form body or the query string). A missing Action is MissingAction,
// an unknown one InvalidAction with the dialect's message (both 400).
func (d *Decoder) ResolveOperation(r *http.Request) (*awsapi.Operation, error) {
	form, err := Values(r)
	if err != nil {
		return nil, err
	}
	action := form.Get("Action")
	if action == "" {
		return nil, awserr.New(awserr.CodeMissingAction, http.StatusBadRequest,
			"The request must contain the parameter Action")
	}
	if op := d.svc.Operations[action]; op != nil {
		return op, nil
	}
	return nil, awserr.New(awserr.CodeInvalidAction, http.StatusBadRequest,
		"%s", d.dialect.UnknownAction(d.svc, action))
}

// DecodeInput decodes the request's parameters into in, a pointer to an
// operation's input structure. Keys that name no member (Action, Version,
// signing parameters, members of a newer model) are ignored. A key
// structure that does not fit the shape is the dialect's Malformed code, a
// value that does not parse InvalidParameterValue (both 400), a missing
// required member the dialect's Missing error.
func (d *Decoder) DecodeInput(r *http.Request, in any) error {
	v, t, err := shape.Struct(in)
	if err != nil {
		return awserr.InternalFailure(err)
	}
	form, err := Values(r)
	if err != nil {
		return err
	}
	if err := d.decodeStruct(tree(form), v, t, ""); err != nil {
		var f *fault
		if errors.As(err, &f) {
			return awserr.New(f.code, http.StatusBadRequest, "%s", f.msg)
		}
		return awserr.InternalFailure(err)
	}
	if missing := shape.Missing(v); missing != nil {
		return d.dialect.Missing(missing)
	}
	return nil
}

// Values returns the merged form body and query string of r, parsing them
// once (r.Form caches the result, as http.Request.ParseForm does). A body
// without a Content-Type is read as a form, as AWS does; another
// Content-Type is UnsupportedMediaType (415), an unparsable form
// MalformedQueryString (400).
func Values(r *http.Request) (url.Values, error) {
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
