// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"
)

// MaxTokenTTL is the longest session token lifetime EC2 allows.
const MaxTokenTTL = 6 * time.Hour

// tokens mints and checks stateless session tokens: the expiry in Unix
// seconds and a truncated HMAC-SHA256 of it under a per-process key.
type tokens struct {
	key [32]byte
}

func newTokens() (*tokens, error) {
	t := &tokens{}
	if _, err := rand.Read(t.key[:]); err != nil {
		return nil, fmt.Errorf("imds: token key: %w", err)
	}
	return t, nil
}

const tokenLen = 8 + 24 // expiry + MAC

func (t *tokens) mac(exp []byte) []byte {
	m := hmac.New(sha256.New, t.key[:])
	m.Write(exp)
	return m.Sum(nil)[:tokenLen-8]
}

// mint returns a token valid from now for ttl.
func (t *tokens) mint(now time.Time, ttl time.Duration) string {
	var b [tokenLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.Add(ttl).Unix()))
	copy(b[8:], t.mac(b[:8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// valid reports whether tok was minted here and has not expired at now.
func (t *tokens) valid(tok string, now time.Time) bool {
	var b [tokenLen]byte
	if base64.RawURLEncoding.DecodedLen(len(tok)) != tokenLen {
		return false
	}
	if n, err := base64.RawURLEncoding.Decode(b[:], []byte(tok)); err != nil || n != tokenLen {
		return false
	}
	if !hmac.Equal(b[8:], t.mac(b[:8])) {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(b[:8]))
	return now.Unix() < exp
}
