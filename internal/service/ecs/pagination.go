// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"encoding/base64"
	"strings"

	"github.com/berthdev/berth/internal/store"
)

// List* calls page with nextToken and maxResults. A token is the opaque
// encoding of the last record id returned; ids are stable, so a token stays
// valid while records come and go.
const (
	maxListResults     = 100
	defaultListResults = 100
	tokenPrefix        = "b1:"
)

// pageArgs validates nextToken and maxResults: maxResults 1..max when set.
func pageArgs(next *string, maxResults *int32, max int) (after string, limit int, err error) {
	limit = defaultListResults
	if max < limit {
		limit = max
	}
	if maxResults != nil {
		if *maxResults < 1 || int(*maxResults) > max {
			return "", 0, invalidParam("maxResults must be between 1 and %d.", max)
		}
		limit = int(*maxResults)
	}
	if t := deref(next); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || !strings.HasPrefix(string(b), tokenPrefix) {
			return "", 0, invalidParam("Invalid nextToken.")
		}
		after = string(b)[len(tokenPrefix):]
	}
	return after, limit, nil
}

// nextToken encodes the marker of the next page; nil when there is none.
func nextToken(after string) *string {
	if after == "" {
		return nil
	}
	t := base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + after))
	return &t
}

// filterPage returns up to limit records of a listing that keep accepts,
// reading pages of the underlying listing in id order after after, and the
// marker of the next page ("" when the listing is exhausted). A page may
// come back short of limit only at the end.
func filterPage[T any](list func(p store.Page) ([]store.Record[T], string, error), prefix, after string,
	limit int, keep func(*store.Record[T]) bool) ([]store.Record[T], string, error) {
	var out []store.Record[T]
	for {
		want := limit - len(out)
		recs, next, err := list(store.Page{Prefix: prefix, After: after, Limit: max(want, 50)})
		if err != nil {
			return nil, "", err
		}
		for i := range recs {
			if keep != nil && !keep(&recs[i]) {
				continue
			}
			out = append(out, recs[i])
			if len(out) == limit {
				// More may follow this record, in this page or the next.
				if i < len(recs)-1 || next != "" {
					return out, recs[i].ID, nil
				}
				return out, "", nil
			}
		}
		if next == "" {
			return out, "", nil
		}
		after = next
	}
}
