// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import "sync"

// keyedMutex serializes work on one key (a repository's tag, an upload)
// while leaving other keys free. Entries are dropped when unused.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// Lock locks key and returns its unlock function.
func (k *keyedMutex) Lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyedEntry)
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()

	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// tagKey and uploadKey name the locks of a tag and of an upload.
func tagKey(repo, tag string) string   { return "tag\x00" + repo + "\x00" + tag }
func uploadKey(repo, id string) string { return "upload\x00" + repo + "\x00" + id }
