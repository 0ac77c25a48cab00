// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/sigv4"
)

// routed is where a request goes.
type routed struct {
	ep *Endpoint
	op *awsapi.Operation
	// body is the buffered body for awsJson and awsQuery; nil for REST
	// requests, whose bodies stream.
	body []byte
	// region is the SigV4 credential scope's region, when signed.
	region string
}

// route picks the service and operation: awsJson by X-Amz-Target, awsQuery
// by Action and Version, REST by method and path. The SigV4 credential
// scope's service name settles which family a request belongs to when the
// request itself is ambiguous.
func (g *Gateway) route(r *http.Request) (routed, error) {
	scopeSvc, scopeRegion := credentialScope(r)
	rt := routed{region: scopeRegion}

	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, opName, ok := strings.Cut(target, ".")
		ep := g.byTarget[prefix]
		if !ok || ep == nil {
			return rt, awserr.New(awserr.CodeUnknownOperation, http.StatusBadRequest, "")
		}
		rt.ep = ep
		op := ep.Def.Operations[opName]
		if op == nil {
			return rt, awserr.New(awserr.CodeUnknownOperation, http.StatusBadRequest, "")
		}
		rt.op = op
		body, err := g.readBody(r)
		if err != nil {
			return rt, err
		}
		rt.body = body
		return rt, nil
	}

	scoped := g.byName[scopeSvc]
	if isQuery(r) && (scoped == nil || scoped.Def.Protocol == awsapi.ProtocolQuery || scoped.Def.Protocol == awsapi.ProtocolEC2) {
		return g.routeQuery(r, rt, scoped)
	}
	if g.rest != nil && (scoped == nil || scoped == g.rest) {
		rt.ep = g.rest
		op, err := g.rest.Router.Route(r)
		if err != nil {
			return rt, err
		}
		rt.op = op
		return rt, nil
	}
	if scoped != nil {
		rt.ep = scoped
	}
	return rt, awserr.New(awserr.CodeUnknownOperation, http.StatusBadRequest, "berth could not route this request to an AWS service")
}

// isQuery reports whether r looks like an awsQuery request: a form POST or
// a GET carrying Action.
func isQuery(r *http.Request) bool {
	if r.Method == http.MethodPost {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return mt == "application/x-www-form-urlencoded"
	}
	return r.Method == http.MethodGet && r.URL.Query().Get("Action") != ""
}

func (g *Gateway) routeQuery(r *http.Request, rt routed, scoped *Endpoint) (routed, error) {
	var form url.Values
	if r.Method == http.MethodPost {
		body, err := g.readBody(r)
		if err != nil {
			return rt, err
		}
		rt.body = body
		form, err = url.ParseQuery(string(body))
		if err != nil {
			return rt, awserr.New(awserr.CodeMalformedQueryString, http.StatusBadRequest, "%s", err.Error())
		}
	} else {
		rt.body = []byte{}
		form = r.URL.Query()
	}
	version, action := form.Get("Version"), form.Get("Action")
	ep := scoped
	if ep == nil {
		ep = g.byVersion[version]
	}
	if ep == nil {
		return rt, awserr.New(awserr.CodeInvalidAction, http.StatusBadRequest, "Could not find operation %s for version %s", action, version)
	}
	rt.ep = ep
	if action == "" {
		return rt, awserr.New(awserr.CodeMissingAction, http.StatusBadRequest, "Missing Action")
	}
	op := ep.Def.Operations[action]
	if op == nil {
		return rt, awserr.New(awserr.CodeInvalidAction, http.StatusBadRequest, "Could not find operation %s for version %s", action, version)
	}
	rt.op = op
	return rt, nil
}

func (g *Gateway) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return []byte{}, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, g.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, awserr.New(awserr.CodeSerialization, http.StatusBadRequest, "could not read the request body").WithCause(err)
	}
	if int64(len(b)) > g.cfg.MaxBodyBytes {
		return nil, awserr.New(awserr.CodeRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "Request body is larger than %d bytes", g.cfg.MaxBodyBytes)
	}
	return b, nil
}

// credentialScope returns the service and region of a SigV4 credential
// scope in the Authorization header or a presigned query, or "" when the
// request carries none (sigv4.ParseScope does the parsing; verification is
// the authenticator's).
func credentialScope(r *http.Request) (service, region string) {
	sc, err := sigv4.ParseScope(r)
	if err != nil {
		return "", ""
	}
	return sc.Service, sc.Region
}

// fallbackCodec writes errors for requests that matched no service, in the
// awsJson shape (the most common family of clients probing an endpoint).
type fallbackCodec struct{}

func (fallbackCodec) DecodeInput(*http.Request, *awsapi.Operation, any) error {
	return errors.New("gateway: no codec")
}

func (fallbackCodec) EncodeOutput(http.ResponseWriter, *awsapi.Operation, any, string) error {
	return errors.New("gateway: no codec")
}

func (fallbackCodec) EncodeError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.HTTPStatus)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}
