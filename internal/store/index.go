// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store

import "slices"

// IndexFunc returns the values a record is indexed under, e.g. its cluster
// ARN, or several values for a multi-valued attribute. It must be a pure
// function of the record: the cache calls it again on the old value to
// unindex a record. Returning no values leaves the record out of the index.
type IndexFunc[T any] func(*T) []string

// index maps each value to the ordered set of ids indexed under it. It is
// guarded by its cache's lock.
type index[T any] struct {
	fn      IndexFunc[T]
	buckets map[string]*sortedSet
}

func newIndex[T any](fn IndexFunc[T]) *index[T] {
	return &index[T]{fn: fn, buckets: make(map[string]*sortedSet)}
}

func (ix *index[T]) insert(id string, v *T) {
	for _, k := range ix.fn(v) {
		ix.add(k, id)
	}
}

func (ix *index[T]) remove(id string, v *T) {
	for _, k := range ix.fn(v) {
		ix.del(k, id)
	}
}

// update moves id from the values of old to those of cur, touching only the
// values that changed; most updates (a task's status) change none.
func (ix *index[T]) update(id string, old, cur *T) {
	was, is := ix.fn(old), ix.fn(cur)
	if slices.Equal(was, is) {
		return
	}
	for _, k := range was {
		if !slices.Contains(is, k) {
			ix.del(k, id)
		}
	}
	for _, k := range is {
		ix.add(k, id)
	}
}

func (ix *index[T]) add(k, id string) {
	b := ix.buckets[k]
	if b == nil {
		b = &sortedSet{}
		ix.buckets[k] = b
	}
	b.Insert(id)
}

func (ix *index[T]) del(k, id string) {
	b := ix.buckets[k]
	if b == nil {
		return
	}
	b.Delete(id)
	if b.Len() == 0 {
		delete(ix.buckets, k)
	}
}
