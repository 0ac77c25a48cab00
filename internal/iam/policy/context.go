// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"strings"
	"unicode/utf8"
)

// Common global condition keys, as AWS spells them. Lookups ignore case, so
// these are conveniences, not requirements.
const (
	KeyPrincipalArn           = "aws:PrincipalArn"
	KeyPrincipalAccount       = "aws:PrincipalAccount"
	KeyPrincipalType          = "aws:PrincipalType"
	KeyUserID                 = "aws:userid"
	KeyUsername               = "aws:username"
	KeySourceIP               = "aws:SourceIp"
	KeySecureTransport        = "aws:SecureTransport"
	KeyCurrentTime            = "aws:CurrentTime"
	KeyEpochTime              = "aws:EpochTime"
	KeyRequestedRegion        = "aws:RequestedRegion"
	KeyMultiFactorAuthPresent = "aws:MultiFactorAuthPresent"
	KeyTokenIssueTime         = "aws:TokenIssueTime"
	KeyViaAWSService          = "aws:ViaAWSService"
	KeyCalledVia              = "aws:CalledVia"
	KeyTagKeys                = "aws:TagKeys"
	KeyPrincipalTagPrefix     = "aws:PrincipalTag/"
	KeyRequestTagPrefix       = "aws:RequestTag/"
	KeyResourceTagPrefix      = "aws:ResourceTag/"
	KeyExternalID             = "sts:ExternalId"
	KeyPassedToService        = "iam:PassedToService"
)

// Context is the request context: condition keys and their values. Keys are
// case-insensitive (they are lower-cased on insert); values keep their case.
// A key may have several values (aws:TagKeys, aws:CalledVia, ...).
//
// A Context is a reusable buffer: after the first few requests Set and Add
// allocate nothing, so the gateway can keep Contexts in a sync.Pool and Reset
// them between requests. A Context is not safe for concurrent mutation;
// Evaluate only reads it.
type Context struct {
	keys []byte // lower-cased keys, back to back
	ents []ctxEntry
	vals []string
}

type ctxEntry struct {
	k0, k1 int32 // key bytes in keys
	v0, v1 int32 // values in vals
}

// Reset empties the context, keeping its buffers.
func (c *Context) Reset() {
	c.keys = c.keys[:0]
	c.ents = c.ents[:0]
	clear(c.vals) // drop references to the old strings
	c.vals = c.vals[:0]
}

// Set gives key exactly the values given, replacing any earlier values. Set
// with no values records the key as present with an empty set of values.
func (c *Context) Set(key string, values ...string) {
	i := c.find(key)
	if i < 0 {
		i = c.insert(key)
	}
	e := &c.ents[i]
	e.v0 = int32(len(c.vals))
	c.vals = append(c.vals, values...)
	e.v1 = int32(len(c.vals))
}

// Add appends one value to key, creating the key if needed.
func (c *Context) Add(key, value string) {
	i := c.find(key)
	if i < 0 {
		i = c.insert(key)
		e := &c.ents[i]
		e.v0, e.v1 = int32(len(c.vals)), int32(len(c.vals))
	}
	e := &c.ents[i]
	if int(e.v1) != len(c.vals) { // not at the end: move the values there
		n := int32(len(c.vals))
		c.vals = append(c.vals, c.vals[e.v0:e.v1]...)
		e.v0, e.v1 = n, int32(len(c.vals))
	}
	c.vals = append(c.vals, value)
	e.v1++
}

// Delete removes key.
func (c *Context) Delete(key string) {
	if i := c.find(key); i >= 0 {
		c.ents = append(c.ents[:i], c.ents[i+1:]...)
	}
}

// Lookup returns key's values and whether the key is present.
func (c *Context) Lookup(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	i := c.find(key)
	if i < 0 {
		return nil, false
	}
	e := c.ents[i]
	return c.vals[e.v0:e.v1], true
}

// Len returns the number of keys.
func (c *Context) Len() int { return len(c.ents) }

// Keys returns the (lower-cased) keys in insertion order. It allocates; it
// is meant for tests and diagnostics.
func (c *Context) Keys() []string {
	out := make([]string, len(c.ents))
	for i, e := range c.ents {
		out[i] = string(c.keys[e.k0:e.k1])
	}
	return out
}

// single returns the value of a single-valued key. Keys with several values
// cannot be used as policy variables.
func (c *Context) single(key string) (string, bool) {
	vs, ok := c.Lookup(key)
	if !ok || len(vs) != 1 {
		return "", false
	}
	return vs[0], true
}

func (c *Context) insert(key string) int {
	k0 := len(c.keys)
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			c.keys = append(c.keys, strings.ToLower(key[i:])...)
			break
		}
		c.keys = append(c.keys, lowerASCII(key[i]))
	}
	c.ents = append(c.ents, ctxEntry{k0: int32(k0), k1: int32(len(c.keys))})
	return len(c.ents) - 1
}

// find returns the index of key's entry or -1. Stored keys are lower case;
// key may be in any case.
func (c *Context) find(key string) int {
	for i, e := range c.ents {
		k := c.keys[e.k0:e.k1]
		if len(k) == len(key) && keyEqual(k, key) {
			return i
		}
	}
	return -1
}

func keyEqual(stored []byte, key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= utf8.RuneSelf {
			return string(stored[i:]) == strings.ToLower(key[i:])
		}
		if stored[i] != lowerASCII(c) {
			return false
		}
	}
	return true
}
