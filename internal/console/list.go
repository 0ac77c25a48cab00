// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxListed bounds how many items a list page reads from an API before
// filtering and paginating (IAM's default role quota is 1,000).
const maxListed = 10000

// pager is the pagination of a list page.
type pager struct {
	Page, Pages, Total int
	// First and Last are the 1-based positions of the page's items.
	First, Last int
	Prev, Next  string // URLs, "" when there is none
}

// paginate returns the page of items the request's "page" parameter asks
// for, size at a time, keeping the other query parameters in the links.
func paginate[T any](r *http.Request, items []T, size int) ([]T, pager) {
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("page"))
	pages := max(1, (len(items)+size-1)/size)
	n = min(max(n, 1), pages)
	lo, hi := (n-1)*size, min(n*size, len(items))
	link := func(p int) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("page", strconv.Itoa(p))
		return r.URL.Path + "?" + q2.Encode()
	}
	pg := pager{Page: n, Pages: pages, Total: len(items), First: lo + 1, Last: hi}
	if len(items) == 0 {
		pg.First = 0
	}
	if n > 1 {
		pg.Prev = link(n - 1)
	}
	if n < pages {
		pg.Next = link(n + 1)
	}
	return items[lo:hi], pg
}

// matches reports whether name contains the search text, ignoring case.
func matches(name, search string) bool {
	return search == "" || strings.Contains(strings.ToLower(name), strings.ToLower(search))
}

// filter keeps the items whose name matches search.
func filter[T any](items []T, search string, name func(T) string) []T {
	if search == "" {
		return items
	}
	out := items[:0:0]
	for _, it := range items {
		if matches(name(it), search) {
			out = append(out, it)
		}
	}
	return out
}
