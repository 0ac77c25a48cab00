// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import (
	"slices"
	"strings"
)

// chunkMax bounds a chunk of a sortedSet; a full chunk splits in two. It
// trades the cost of a memmove on insert (at most chunkMax strings) against
// the number of chunks to binary-search.
const chunkMax = 512

// sortedSet is an ordered set of ids: a list of sorted chunks, every id of
// chunk i less than every id of chunk i+1, no chunk empty. Insert and
// delete cost O(log n + chunkMax); ascending from a position costs
// O(log n) plus the ids visited. It backs the cache's id order and every
// index bucket, so a page of 100 out of 100k is a binary search and a copy.
// Not safe for concurrent use; the cache guards it.
type sortedSet struct {
	chunks [][]string
	n      int
}

func (s *sortedSet) Len() int { return s.n }

// chunkFor returns the index of the first chunk whose last id is >= id,
// or len(chunks) if id is greater than every id.
func (s *sortedSet) chunkFor(id string) int {
	i, _ := slices.BinarySearchFunc(s.chunks, id, func(c []string, id string) int {
		return strings.Compare(c[len(c)-1], id)
	})
	return i
}

// Insert adds id; false if it was present.
func (s *sortedSet) Insert(id string) bool {
	if len(s.chunks) == 0 {
		s.chunks = [][]string{{id}}
		s.n = 1
		return true
	}
	i := s.chunkFor(id)
	if i == len(s.chunks) {
		i-- // greater than all: append to the last chunk
	}
	c := s.chunks[i]
	j, found := slices.BinarySearch(c, id)
	if found {
		return false
	}
	c = slices.Insert(c, j, id)
	if len(c) > chunkMax {
		half := len(c) / 2
		right := slices.Clone(c[half:])
		left := slices.Clip(c[:half])
		s.chunks = slices.Insert(s.chunks, i+1, right)
		c = left
	}
	s.chunks[i] = c
	s.n++
	return true
}

// Delete removes id; false if it was absent.
func (s *sortedSet) Delete(id string) bool {
	i := s.chunkFor(id)
	if i == len(s.chunks) {
		return false
	}
	c := s.chunks[i]
	j, found := slices.BinarySearch(c, id)
	if !found {
		return false
	}
	c = slices.Delete(c, j, j+1)
	if len(c) == 0 {
		s.chunks = slices.Delete(s.chunks, i, i+1)
	} else {
		s.chunks[i] = c
	}
	s.n--
	return true
}

// Ascend calls fn for every id >= from in ascending order until fn returns
// false.
func (s *sortedSet) Ascend(from string, fn func(id string) bool) {
	i := s.chunkFor(from)
	if i == len(s.chunks) {
		return
	}
	j, _ := slices.BinarySearch(s.chunks[i], from)
	for ; i < len(s.chunks); i, j = i+1, 0 {
		for _, id := range s.chunks[i][j:] {
			if !fn(id) {
				return
			}
		}
	}
}

// page returns up to limit ids (0 = no limit) that start with prefix and
// sort after the id after, and whether more such ids follow.
func (s *sortedSet) page(prefix, after string, limit int) (ids []string, more bool) {
	from := prefix
	if after != "" && after >= from {
		from = after + "\x00" // smallest id greater than after
	}
	s.Ascend(from, func(id string) bool {
		if !strings.HasPrefix(id, prefix) {
			return false
		}
		if limit > 0 && len(ids) == limit {
			more = true
			return false
		}
		ids = append(ids, id)
		return true
	})
	return ids, more
}
