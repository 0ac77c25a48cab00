// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSortedSet_Model drives a sortedSet and a plain sorted slice with the
// same random operations, across many chunk splits and removals.
func TestSortedSet_Model(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var s sortedSet
	var model []string
	for i := range 20_000 {
		id := fmt.Sprintf("c%d/t%04d", r.IntN(4), r.IntN(3000))
		j, found := slices.BinarySearch(model, id)
		if r.IntN(3) == 0 {
			if got := s.Delete(id); got != found {
				t.Fatalf("op %d: Delete(%s) = %v, want %v", i, id, got, found)
			}
			if found {
				model = slices.Delete(model, j, j+1)
			}
		} else {
			if got := s.Insert(id); got == found {
				t.Fatalf("op %d: Insert(%s) = %v, want %v", i, id, got, !found)
			}
			if !found {
				model = slices.Insert(model, j, id)
			}
		}
	}
	if s.Len() != len(model) {
		t.Fatalf("Len %d, want %d", s.Len(), len(model))
	}
	var all []string
	s.Ascend("", func(id string) bool { all = append(all, id); return true })
	if d := cmp.Diff(model, all); d != "" {
		t.Fatalf("contents (-want +got):\n%s", d)
	}
	for _, c := range s.chunks {
		if len(c) == 0 || len(c) > chunkMax {
			t.Fatalf("chunk of %d ids", len(c))
		}
	}
	for range 500 {
		p := fmt.Sprintf("c%d/", r.IntN(5))
		after := fmt.Sprintf("c%d/t%04d", r.IntN(5), r.IntN(3000))
		if r.IntN(4) == 0 {
			after = ""
		}
		limit := r.IntN(300)
		gotIDs, more := s.page(p, after, limit)
		var want []string
		wantMore := false
		for _, id := range model {
			if !strings.HasPrefix(id, p) || (after != "" && id <= after) {
				continue
			}
			if limit > 0 && len(want) == limit {
				wantMore = true
				break
			}
			want = append(want, id)
		}
		if d := cmp.Diff(want, gotIDs); d != "" || more != wantMore {
			t.Fatalf("page(%q, %q, %d): more %v want %v (-want +got):\n%s", p, after, limit, more, wantMore, d)
		}
	}
}

func TestSortedSet_Page(t *testing.T) {
	var s sortedSet
	for _, id := range []string{"a/1", "a/2", "a/3", "b/1", "b/2", "c"} {
		s.Insert(id)
	}
	tests := []struct {
		prefix, after string
		limit         int
		want          []string
		wantMore      bool
	}{
		{"", "", 0, []string{"a/1", "a/2", "a/3", "b/1", "b/2", "c"}, false},
		{"", "", 2, []string{"a/1", "a/2"}, true},
		{"", "a/3", 2, []string{"b/1", "b/2"}, true},
		{"", "b/2", 2, []string{"c"}, false},
		{"a/", "", 3, []string{"a/1", "a/2", "a/3"}, false},
		{"b/", "a/9", 0, []string{"b/1", "b/2"}, false},
		{"a/", "b/", 0, nil, false},
		{"z", "", 0, nil, false},
		{"", "c", 0, nil, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q after %q limit %d", tc.prefix, tc.after, tc.limit), func(t *testing.T) {
			got, more := s.page(tc.prefix, tc.after, tc.limit)
			if d := cmp.Diff(tc.want, got); d != "" || more != tc.wantMore {
				t.Errorf("more %v want %v (-want +got):\n%s", more, tc.wantMore, d)
			}
		})
	}
}
