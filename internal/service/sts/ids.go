// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// Temporary access key ids start with ASIA, long-term ones with AKIA.
const tempKeyPrefix = "ASIA"

// sessionTokenBytes is the entropy in a session token. AWS tokens are
// several hundred characters and clients must not assume a size; 384 bytes
// encode to 512 characters.
const sessionTokenBytes = 384

// newAccessKeyID returns "ASIA" and 16 characters of [A-Z2-7], the
// alphabet AWS key ids use, from crypto/rand.
func newAccessKeyID() string {
	// rand.Text is 26 characters of the RFC 4648 base32 alphabet.
	return tempKeyPrefix + rand.Text()[:16]
}

// newSecretAccessKey returns 40 characters of [A-Za-z0-9+/], like AWS
// secrets: 30 random bytes in standard base64.
func newSecretAccessKey() string {
	var b [30]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b[:])
}

// newSessionToken returns an opaque, long random token. It carries no
// meaning: the session record holds everything the token stands for.
func newSessionToken() string {
	b := make([]byte, sessionTokenBytes)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// isTemporaryKeyID reports whether id looks like a temporary key id.
func isTemporaryKeyID(id string) bool { return strings.HasPrefix(id, tempKeyPrefix) }
