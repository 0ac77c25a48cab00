// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"
)

// defaultKeyCacheSize bounds the signing-key cache when Config leaves it 0.
const defaultKeyCacheSize = 1024

// signingKey is a derived kSigning with its HMAC pads precomputed, so that
// signing a string costs two SHA-256 blocks plus the message and no
// allocation.
type signingKey struct {
	ipad, opad [sha256.BlockSize]byte
}

func newSigningKey(k []byte) *signingKey {
	var sk signingKey
	// len(k) == sha256.Size < BlockSize: the key is used as is, zero padded.
	copy(sk.ipad[:], k)
	copy(sk.opad[:], k)
	for i := range sk.ipad {
		sk.ipad[i] ^= 0x36
		sk.opad[i] ^= 0x5c
	}
	return &sk
}

// begin starts an HMAC message in buf: it returns buf reset to the inner
// pad, to which the caller appends the message before calling finish.
func (k *signingKey) begin(buf []byte) []byte { return append(buf[:0], k.ipad[:]...) }

// finish returns HMAC-SHA256(k, msg) where buf is begin's result with msg
// appended.
func (k *signingKey) finish(buf []byte) [sha256.Size]byte {
	inner := sha256.Sum256(buf)
	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], k.opad[:])
	copy(outer[sha256.BlockSize:], inner[:])
	return sha256.Sum256(outer[:])
}

// deriveKey computes kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date),
// region), service), "aws4_request").
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	return hmacSum(k, "aws4_request")
}

func hmacSum(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// keyID identifies a signing key. The secret is part of the identity so
// that a rotated or re-issued secret never meets a stale key.
type keyID struct {
	secret, date, region, service string
}

type keyEntry struct {
	id  keyID
	key *signingKey
	ref atomic.Bool // CLOCK reference bit
}

// keyCache is a bounded signing-key cache with CLOCK (second chance)
// eviction: a hit takes only the read lock and sets a bit, so concurrent
// verifications of the same principal do not serialize.
type keyCache struct {
	mu   sync.RWMutex
	m    map[keyID]*keyEntry
	ring []*keyEntry
	hand int
	size int

	misses atomic.Int64 // derivations, for tests and metrics
}

func newKeyCache(size int) *keyCache {
	if size <= 0 {
		size = defaultKeyCacheSize
	}
	return &keyCache{m: make(map[keyID]*keyEntry, size), size: size}
}

// get returns the signing key for id, deriving and caching it on a miss.
// The strings in id may be substrings of request data: they are cloned
// before being kept.
func (c *keyCache) get(id keyID) *signingKey {
	c.mu.RLock()
	e := c.m[id]
	c.mu.RUnlock()
	if e != nil {
		if !e.ref.Load() {
			e.ref.Store(true)
		}
		return e.key
	}
	c.misses.Add(1)
	key := newSigningKey(deriveKey(id.secret, id.date, id.region, id.service))
	id = keyID{
		secret:  strings.Clone(id.secret),
		date:    strings.Clone(id.date),
		region:  strings.Clone(id.region),
		service: strings.Clone(id.service),
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil {
		return e.key
	}
	e = &keyEntry{id: id, key: key}
	if len(c.ring) < c.size {
		c.ring = append(c.ring, e)
	} else {
		for {
			old := c.ring[c.hand]
			if old.ref.Load() {
				old.ref.Store(false)
				c.hand = (c.hand + 1) % len(c.ring)
				continue
			}
			delete(c.m, old.id)
			c.ring[c.hand] = e
			c.hand = (c.hand + 1) % len(c.ring)
			break
		}
	}
	c.m[id] = e
	return key
}
