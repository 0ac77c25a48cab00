// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/berthdev/berth/internal/principal"
	"github.com/distribution/distribution/v3/registry/api/errcode"
	v2 "github.com/distribution/distribution/v3/registry/api/v2"
	"github.com/gorilla/mux"
	"github.com/opencontainers/go-digest"
)

// accessHandler authenticates and authorizes every registry request before
// distribution's app sees it:
//
//	Basic credentials ──▶ Guard.Authenticate ──▶ route (distribution's own router)
//	   │ none/bad: 401 + challenge           │
//	   ▼                                     ▼
//	ecr: action for method+route ──▶ Guard.Authorize ──▶ Guard.Repository
//	   │ none: 405 UNSUPPORTED     │ 403 DENIED / 404     │ 404 NAME_UNKNOWN
//	   ▼                                                  ▼
//	manifest PUT by tag: tag lock + immutability check ──▶ distribution app
//
// The catalog, and the tag list of a repository with nothing stored, are
// answered here. Distribution's app is configured with the "berth" access
// controller, which admits only requests this handler stamped.
type accessHandler struct {
	reg  *Registry
	next http.Handler
}

// The ecr: actions of registry requests.
const (
	actBatchGetImage        = "ecr:BatchGetImage"
	actGetDownloadURL       = "ecr:GetDownloadUrlForLayer"
	actCheckLayer           = "ecr:BatchCheckLayerAvailability"
	actInitiateLayerUpload  = "ecr:InitiateLayerUpload"
	actUploadLayerPart      = "ecr:UploadLayerPart"
	actCompleteLayerUpload  = "ecr:CompleteLayerUpload"
	actPutImage             = "ecr:PutImage"
	actBatchDeleteImage     = "ecr:BatchDeleteImage"
	actListImages           = "ecr:ListImages"
	actDescribeRepositories = "ecr:DescribeRepositories"
)

// action maps a request (its route and method) to the ecr: action it needs.
// ok is false for a method the route does not serve. The base route needs
// no action ("").
func action(route, method string) (act string, ok bool) {
	get := method == http.MethodGet || method == http.MethodHead
	switch route {
	case v2.RouteNameBase:
		return "", get
	case v2.RouteNameCatalog:
		return actDescribeRepositories, method == http.MethodGet
	case v2.RouteNameTags:
		return actListImages, method == http.MethodGet
	case v2.RouteNameManifest:
		switch method {
		case http.MethodGet, http.MethodHead:
			return actBatchGetImage, true
		case http.MethodPut:
			return actPutImage, true
		case http.MethodDelete:
			return actBatchDeleteImage, true
		}
	case v2.RouteNameBlob:
		switch method {
		case http.MethodGet:
			return actGetDownloadURL, true
		case http.MethodHead:
			return actCheckLayer, true
		}
	case v2.RouteNameBlobUpload:
		return actInitiateLayerUpload, method == http.MethodPost
	case v2.RouteNameBlobUploadChunk:
		switch method {
		case http.MethodPatch, http.MethodGet, http.MethodDelete:
			return actUploadLayerPart, true
		case http.MethodPut:
			return actCompleteLayerUpload, true
		}
	}
	return "", false
}

// admittedKey marks a request context this handler authorized; its value
// is the principal's ARN.
type admittedKey struct{}

func (h *accessHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	user, pass, ok := req.BasicAuth()
	if !ok {
		challenge(w, "authentication required")
		return
	}
	ctx, err := h.reg.guard.Authenticate(req.Context(), user, pass)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			challenge(w, "Your authorization token is invalid or has expired.")
			return
		}
		h.internal(w, req, "authenticate", err)
		return
	}
	var match mux.RouteMatch
	if !v2.Router().Match(req, &match) || match.Route == nil {
		// No registry route: distribution's router answers 404 and runs
		// no handler.
		h.next.ServeHTTP(w, req)
		return
	}
	route := match.Route.GetName()
	act, ok := action(route, req.Method)
	if !ok {
		writeError(w, errcode.ErrorCodeUnsupported.WithMessage("the registry does not serve "+req.Method+" "+req.URL.Path))
		return
	}
	name := match.Vars["name"]
	p := principal.FromContext(ctx)
	arn := ""
	if p != nil {
		arn = p.ARN
	}
	ctx = context.WithValue(ctx, admittedKey{}, arn)
	req = req.WithContext(ctx)

	switch route {
	case v2.RouteNameBase:
		h.next.ServeHTTP(w, req)
		return
	case v2.RouteNameCatalog:
		h.serveCatalog(w, req)
		return
	}

	info, ok := h.check(w, req, act, name)
	if !ok {
		return
	}
	switch {
	case route == v2.RouteNameBlobUpload && req.URL.Query().Get("mount") != "":
		h.checkMount(req)
	case route == v2.RouteNameTags:
		if h.serveEmptyTags(w, req, name) {
			return
		}
	case route == v2.RouteNameManifest && req.Method == http.MethodPut:
		h.putManifest(w, req, name, info.ImmutableTags, match.Vars["reference"])
		return
	}
	h.next.ServeHTTP(w, req)
}

// check authorizes act on repository name and looks the repository up;
// on failure it has written the response.
func (h *accessHandler) check(w http.ResponseWriter, req *http.Request, act, name string) (RepositoryInfo, bool) {
	ctx := req.Context()
	if err := h.reg.guard.Authorize(ctx, act, name); err != nil {
		h.guardError(w, req, act, name, err)
		return RepositoryInfo{}, false
	}
	info, err := h.reg.guard.Repository(ctx, name)
	if err != nil {
		h.guardError(w, req, act, name, err)
		return RepositoryInfo{}, false
	}
	return info, true
}

// checkMount keeps a cross-repository mount only when the caller may read
// the source repository; otherwise it drops the mount parameters and the
// request starts a plain upload, as the distribution spec allows.
func (h *accessHandler) checkMount(req *http.Request) {
	q := req.URL.Query()
	from := q.Get("from")
	ok := from != "" && h.reg.guard.Authorize(req.Context(), actGetDownloadURL, from) == nil
	if ok {
		_, err := h.reg.guard.Repository(req.Context(), from)
		ok = err == nil
	}
	if !ok {
		q.Del("mount")
		q.Del("from")
		req.URL.RawQuery = q.Encode()
		req.Form = nil
	}
}

// putManifest checks tag immutability under the tag's lock (the same lock
// and check as PutManifest) and lets distribution store the manifest.
func (h *accessHandler) putManifest(w http.ResponseWriter, req *http.Request, name string, immutable bool, ref string) {
	if _, err := digest.Parse(ref); err == nil {
		h.next.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxManifestSize+1))
	if err != nil {
		writeError(w, errcode.ErrorCodeManifestInvalid.WithDetail("reading the manifest failed"))
		return
	}
	if len(body) > maxManifestSize {
		writeError(w, errcode.ErrorCodeManifestInvalid.WithMessage(fmt.Sprintf("manifest larger than %d bytes", maxManifestSize)))
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))

	unlock := h.reg.locks.Lock(tagKey(name, ref))
	defer unlock()
	if immutable {
		rep, err := h.reg.repository(req.Context(), name)
		if err != nil {
			h.internal(w, req, "open repository", err)
			return
		}
		if err := checkImmutable(req.Context(), rep, ref, digest.FromBytes(body)); err != nil {
			if errors.Is(err, ErrTagImmutable) {
				writeError(w, errcode.ErrorCodeTagInvalid.WithMessage(immutableMessage(ref, name)))
				return
			}
			h.internal(w, req, "check tag", err)
			return
		}
	}
	h.next.ServeHTTP(w, req)
}

// guardError answers a refusal of the Guard.
func (h *accessHandler) guardError(w http.ResponseWriter, req *http.Request, act, name string, err error) {
	switch {
	case errors.Is(err, ErrRepositoryNotFound):
		account := ""
		if p := principal.FromContext(req.Context()); p != nil {
			account = p.AccountID
		}
		writeError(w, errcode.ErrorCodeNameUnknown.WithMessage(
			fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", name, account)))
	case errors.Is(err, ErrDenied):
		writeError(w, errcode.ErrorCodeDenied.WithMessage(deniedMessage(act, name, err)))
	default:
		h.internal(w, req, "authorize", err)
	}
}

// deniedMessage is the Guard's message without the sentinel's prefix,
// or a generic one when it does not name the action.
func deniedMessage(act, name string, err error) string {
	msg := strings.TrimPrefix(err.Error(), ErrDenied.Error())
	msg = strings.TrimSpace(strings.TrimPrefix(msg, ":"))
	if !strings.Contains(msg, act) {
		msg = fmt.Sprintf("not authorized to perform: %s on repository %s", act, name)
	}
	return msg
}

func (h *accessHandler) internal(w http.ResponseWriter, req *http.Request, what string, err error) {
	h.reg.log.ErrorContext(req.Context(), "registry: "+what+" failed", "method", req.Method, "path", req.URL.Path, "err", err)
	writeError(w, errcode.ErrorCodeUnknown.WithMessage("internal error"))
}

// challenge answers 401 with the Basic challenge docker login expects.
func challenge(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="berth"`)
	writeError(w, errcode.ErrorCodeUnauthorized.WithMessage(msg))
}

// writeError writes the registry API's JSON error body with the code's
// HTTP status.
func writeError(w http.ResponseWriter, err errcode.Error) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	_ = errcode.ServeJSON(w, err)
}
