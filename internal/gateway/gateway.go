// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package gateway

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/protocol/shape"
	"github.com/berthdev/berth/internal/reqctx"
)

// Codec reads inputs and writes outputs and errors in one AWS protocol.
// internal/protocol provides one per protocol.
type Codec interface {
	DecodeInput(r *http.Request, op *awsapi.Operation, in any) error
	EncodeOutput(w http.ResponseWriter, op *awsapi.Operation, out any, requestID string) error
	EncodeError(w http.ResponseWriter, err *awserr.Error, requestID string)
}

// Router finds the operation of a REST-protocol request (S3).
type Router interface {
	Route(r *http.Request) (*awsapi.Operation, error)
}

// Endpoint is one served service.
type Endpoint struct {
	Def *awsapi.Service
	// API implements Def's generated API interface.
	API   any
	Codec Codec
	// Router is required for REST protocols.
	Router Router
	// Describer names the IAM action and resources of each operation; when
	// nil, API is asked (if it implements Describer), else every operation
	// is authorized as prefix:Operation on "*".
	Describer Describer
}

// Authenticator establishes who signed a request. body is the buffered
// request body, or nil for a streamed one (the authenticator may then wrap
// r.Body to verify the payload as it is read). Errors are *awserr.Error in
// the service's protocol family.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte, def *awsapi.Service) (*principal.Principal, error)
}

// Target is what an operation does in IAM's terms.
type Target struct {
	// Action is "prefix:Action"; empty means the default prefix:Operation.
	Action string
	// Resources are ARNs; empty means "*".
	Resources []string
	// Context holds service condition keys (ecs:cluster, iam:PassedToService...).
	Context map[string][]string
	// Extra are the further checks AWS makes for the same request, e.g.
	// ecs:TagResource when a create call carries tags (tag-on-create), or
	// sts:TagSession when AssumeRole passes session tags. They are asked in
	// order after Action, every one must allow, and the first denial is the
	// request's AccessDenied.
	Extra []Check
}

// Check is one additional authorization a request needs.
type Check struct {
	// Action is "prefix:Action"; its denial message is the one returned.
	Action string
	// OrActions are alternatives: the check passes when Action or any of
	// them is allowed (CloudWatch Logs tags a new log group with either
	// logs:TagResource or logs:TagLogGroup).
	OrActions []string
	// Resources are ARNs; empty means "*".
	Resources []string
	// Context holds the condition keys of this check.
	Context map[string][]string
}

// Describer is implemented by service APIs that name the IAM action and
// resources of their operations. Services that do not implement it are
// authorized as prefix:Operation on "*".
type Describer interface {
	AuthzTarget(ctx context.Context, op string, in any) (Target, error)
}

// Config configures a Gateway.
type Config struct {
	Region    string
	AccountID string
	// MaxBodyBytes bounds buffered (non-streaming) request bodies.
	MaxBodyBytes int64
}

// Deps are a Gateway's collaborators.
type Deps struct {
	Endpoints []Endpoint
	Authn     Authenticator
	Authz     authz.Authorizer
	// Internal serves /_berth/ and /moto-api/ paths, unauthenticated
	// (health, and reset in test mode).
	Internal http.Handler
	// Streams serve long-lived connections that are not API operations
	// (the ECS agent's ACS and TCS websockets).
	Streams []Stream
	Logger  *slog.Logger
	Clock   func() time.Time
}

// Stream is a SigV4-authenticated endpoint outside the operation model:
// requests whose path starts with Prefix are authenticated as Service (an
// empty body) and handed to Handler with the principal and request info in
// their context. The handler authorizes what it serves.
type Stream struct {
	Prefix  string
	Service *awsapi.Service
	Handler http.Handler
}

// Gateway is an http.Handler serving every configured AWS service.
type Gateway struct {
	cfg  Config
	deps Deps

	byTarget  map[string]*Endpoint // awsJson target prefix
	byVersion map[string]*Endpoint // awsQuery API version
	byName    map[string]*Endpoint // signing name and service name
	rest      *Endpoint
}

// New returns a Gateway.
func New(cfg Config, deps Deps) (*Gateway, error) {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 20 << 20
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Authn == nil || deps.Authz == nil {
		return nil, errors.New("gateway: Authn and Authz are required")
	}
	g := &Gateway{cfg: cfg, deps: deps, byTarget: map[string]*Endpoint{}, byVersion: map[string]*Endpoint{}, byName: map[string]*Endpoint{}}
	for i := range deps.Endpoints {
		ep := &deps.Endpoints[i]
		g.byName[ep.Def.Name] = ep
		g.byName[ep.Def.SigningName] = ep
		switch ep.Def.Protocol {
		case awsapi.ProtocolJSON:
			g.byTarget[ep.Def.TargetPrefix] = ep
		case awsapi.ProtocolQuery, awsapi.ProtocolEC2:
			g.byVersion[ep.Def.APIVersion] = ep
		case awsapi.ProtocolRestXML, awsapi.ProtocolRestJSON:
			if ep.Router == nil {
				return nil, fmt.Errorf("gateway: REST service %s needs a Router", ep.Def.Name)
			}
			g.rest = ep
		}
	}
	return g, nil
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.deps.Internal != nil && (strings.HasPrefix(r.URL.Path, "/_berth/") || strings.HasPrefix(r.URL.Path, "/moto-api/")) {
		g.deps.Internal.ServeHTTP(w, r)
		return
	}
	start := g.deps.Clock()
	info := &reqctx.Info{
		RequestID: newRequestID(),
		Region:    g.cfg.Region,
		SourceIP:  sourceIP(r),
		Secure:    r.TLS != nil,
		Host:      r.Host,
		Time:      start,
	}
	w.Header().Set("x-amzn-RequestId", info.RequestID)
	w.Header().Set("x-amz-request-id", info.RequestID)
	sw := &statusWriter{ResponseWriter: w}
	var ep *Endpoint
	defer func() {
		if v := recover(); v != nil {
			err := awserr.InternalFailure(fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			g.fail(sw, r, ep, info, err)
		}
	}()
	for i := range g.deps.Streams {
		if st := &g.deps.Streams[i]; strings.HasPrefix(r.URL.Path, st.Prefix) {
			if err := g.serveStream(sw, r, info, st); err != nil {
				g.fail(sw, r, g.byName[st.Service.Name], info, err)
			}
			return
		}
	}
	ep, err := g.serve(sw, r, info)
	if err != nil {
		g.fail(sw, r, ep, info, err)
		return
	}
	g.deps.Logger.Debug("request",
		logkey.RequestID, info.RequestID, logkey.Service, info.Service, logkey.Operation, info.Operation,
		logkey.Status, sw.status, logkey.Duration, g.deps.Clock().Sub(start))
}

// fail writes err in the protocol of ep (awsJson when unknown) and logs it.
func (g *Gateway) fail(w *statusWriter, r *http.Request, ep *Endpoint, info *reqctx.Info, err error) {
	ae := awserr.From(err)
	level := slog.LevelDebug
	if ae.HTTPStatus >= 500 {
		level = slog.LevelError
	}
	g.deps.Logger.Log(r.Context(), level, "request failed",
		logkey.RequestID, info.RequestID, logkey.Service, info.Service, logkey.Operation, info.Operation,
		logkey.Code, ae.Code, logkey.Status, ae.HTTPStatus, logkey.Err, ae.Err)
	if w.wrote {
		return
	}
	codec := Codec(fallbackCodec{})
	if ep != nil {
		codec = ep.Codec
	}
	codec.EncodeError(w, ae, info.RequestID)
}

// serve runs the chain for one request. It returns the endpoint it routed
// to (nil if none) so errors are written in that endpoint's protocol.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, info *reqctx.Info) (*Endpoint, error) {
	rt, err := g.route(r)
	if err != nil {
		return rt.ep, err
	}
	ep, op := rt.ep, rt.op
	info.Service, info.Operation = ep.Def.Name, op.Name
	if rt.region != "" {
		info.Region = rt.region
	}

	p, err := g.deps.Authn.Authenticate(r, rt.body, ep.Def)
	if err != nil {
		return ep, err
	}
	if rt.body != nil {
		r.Body = shape.NewBufferedBody(rt.body)
	}
	ctx := principal.NewContext(reqctx.With(r.Context(), info), p)
	r = r.WithContext(ctx)

	in := op.NewInput()
	if err := ep.Codec.DecodeInput(r, op, in); err != nil {
		return ep, err
	}
	if err := g.authorize(ctx, ep, op, p, in); err != nil {
		return ep, err
	}
	out, err := op.Invoke(ctx, ep.API, in)
	if err != nil {
		return ep, err
	}
	if out == nil {
		out = op.NewOutput()
	}
	return ep, ep.Codec.EncodeOutput(w, op, out, info.RequestID)
}

// serveStream authenticates a stream request and hands it over.
func (g *Gateway) serveStream(w http.ResponseWriter, r *http.Request, info *reqctx.Info, st *Stream) error {
	info.Service, info.Operation = st.Service.Name, st.Prefix
	if _, region := credentialScope(r); region != "" {
		info.Region = region
	}
	p, err := g.deps.Authn.Authenticate(r, []byte{}, st.Service)
	if err != nil {
		return err
	}
	ctx := principal.NewContext(reqctx.With(r.Context(), info), p)
	st.Handler.ServeHTTP(w, r.WithContext(ctx))
	return nil
}

// statusWriter records the status written, for logs and to avoid writing an
// error after a response has started.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming responses flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets websocket upgrades through the wrapper.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("gateway: connection cannot be hijacked")
	}
	w.status, w.wrote = http.StatusSwitchingProtocols, true
	return h.Hijack()
}

// Unwrap supports http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
