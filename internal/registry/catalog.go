// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/registry/api/errcode"
)

// maxCatalogEntries caps one catalog page, as distribution does by default.
const maxCatalogEntries = 1000

// serveCatalog answers GET /v2/_catalog with the stored repositories the
// caller may describe (ecr:DescribeRepositories on each) and that exist in
// ECR, paginated with n and last and a Link header like distribution's.
func (h *accessHandler) serveCatalog(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	limit := maxCatalogEntries
	if s := q.Get("n"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeError(w, errcode.ErrorCodePaginationNumberInvalid.WithDetail(map[string]string{"n": s}))
			return
		}
		limit = min(n, maxCatalogEntries)
	}
	last := q.Get("last")
	names, err := h.reg.storedRepositories(req)
	if err != nil {
		h.internal(w, req, "list repositories", err)
		return
	}
	ctx := req.Context()
	visible := make([]string, 0, limit)
	more := false
	for _, name := range names {
		if name <= last && last != "" {
			continue
		}
		if h.reg.guard.Authorize(ctx, actDescribeRepositories, name) != nil {
			continue
		}
		if _, err := h.reg.guard.Repository(ctx, name); err != nil {
			continue
		}
		if len(visible) == limit {
			more = true
			break
		}
		visible = append(visible, name)
	}
	if more && len(visible) > 0 {
		v := url.Values{"n": {strconv.Itoa(limit)}, "last": {visible[len(visible)-1]}}
		w.Header().Set("Link", fmt.Sprintf(`</v2/_catalog?%s>; rel="next"`, v.Encode()))
	}
	writeJSON(w, map[string][]string{"repositories": visible})
}

// storedRepositories lists every repository with something stored, sorted.
func (r *Registry) storedRepositories(req *http.Request) ([]string, error) {
	ctx := req.Context()
	var all []string
	buf := make([]string, 100)
	last := ""
	for {
		n, err := r.ns.Repositories(ctx, buf, last)
		all = append(all, buf[:n]...)
		if n > 0 {
			last = buf[n-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if isPathNotFound(err) {
				break
			}
			return nil, fmt.Errorf("registry: list repositories: %w", err)
		}
		if n == 0 {
			break
		}
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// serveEmptyTags answers the tag list of a repository that exists in ECR
// but has nothing stored (distribution would say NAME_UNKNOWN). It reports
// whether it answered.
func (h *accessHandler) serveEmptyTags(w http.ResponseWriter, req *http.Request, name string) bool {
	rep, err := h.reg.repository(req.Context(), name)
	if err != nil {
		return false
	}
	_, err = rep.Tags(req.Context()).All(req.Context())
	var unknown distribution.ErrRepositoryUnknown
	if !errors.As(err, &unknown) {
		return false
	}
	writeJSON(w, map[string]any{"name": name, "tags": []string{}})
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
