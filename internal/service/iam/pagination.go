// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"encoding/base64"
	"slices"
	"strings"
)

// defaultMaxItems is the page size of a List operation called without
// MaxItems, as in IAM.
const defaultMaxItems = 100

// pageOf is one page of a listing.
type pageOf[T any] struct {
	Items []T
	// Truncated reports that more items follow; Marker then resumes after
	// the last item of this page.
	Truncated bool
	Marker    *string
}

// paginate sorts items by key and returns the page after marker. Markers are
// opaque to clients: the base64 of the last returned key, so a page resumes
// correctly even when items were added or removed in between. keys must be
// unique.
func paginate[T any](items []T, key func(T) string, marker *string, maxItems *int32) (pageOf[T], error) {
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if marker != nil {
		after, err := base64.RawURLEncoding.DecodeString(*marker)
		if err != nil {
			return pageOf[T]{}, validationError("Invalid Marker.")
		}
		start, _ = slices.BinarySearchFunc(items, string(after), func(it T, k string) int {
			return strings.Compare(key(it), k)
		})
		if start < len(items) && key(items[start]) == string(after) {
			start++
		}
	}
	n := defaultMaxItems
	if maxItems != nil {
		n = int(*maxItems)
	}
	end := min(start+n, len(items))
	p := pageOf[T]{Items: items[start:end]}
	if end < len(items) {
		p.Truncated = true
		m := base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
		p.Marker = &m
	}
	return p, nil
}

// nameKey is the sort and marker key of a named entity: IAM names are
// unique without regard to case, and listings are in name order.
func nameKey(name string) string { return strings.ToLower(name) }

// hasPathPrefix reports whether path starts with prefix; a nil prefix
// matches every path.
func hasPathPrefix(path string, prefix *string) bool {
	return prefix == nil || strings.HasPrefix(path, *prefix)
}
