// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// RootPasswordFile is the file, in the data directory beside the root's
// credentials, that holds a generated or supplied root password.
const RootPasswordFile = "root-password"

// RootPasswordEnv supplies the root password on first start.
const RootPasswordEnv = "BERTH_ROOT_PASSWORD"

// ErrNoRootPassword is returned by HashStore.RootPasswordHash when none is
// stored.
var ErrNoRootPassword = errors.New("console: no root password")

// HashStore keeps the root password's hash where every replica reads it.
type HashStore interface {
	// RootPasswordHash returns the stored hash; ErrNoRootPassword (wrapped)
	// when there is none.
	RootPasswordHash(ctx context.Context) (string, error)
	// CreateRootPasswordHash stores hash unless one is stored already, and
	// reports whether it did.
	CreateRootPasswordHash(ctx context.Context, hash string) (bool, error)
}

// RootPassword is the account root's console password. Its hash lives in a
// HashStore, so replicas and restarts agree; the password itself is known
// only at first start (from BERTH_ROOT_PASSWORD or generated) and is
// written then to DATA_DIR/root-password, mode 0600.
type RootPassword struct {
	store HashStore
	mu    sync.Mutex
	hash  string // the last hash seen, to restore after a test-mode reset
}

// NewRootPassword returns a RootPassword kept in store.
func NewRootPassword(store HashStore) *RootPassword { return &RootPassword{store: store} }

// Ensure makes sure a root password exists. On first start (no hash in the
// store) it takes password, or generates one when it is empty, stores its
// hash and writes it to dataDir/root-password (mode 0600); created reports
// that. Later starts leave both alone.
func (p *RootPassword) Ensure(ctx context.Context, dataDir, password string) (created bool, err error) {
	h, err := p.store.RootPasswordHash(ctx)
	if err == nil {
		p.remember(h)
		return false, nil
	}
	if !errors.Is(err, ErrNoRootPassword) {
		return false, err
	}
	if password == "" {
		password = generatePassword()
	} else if len(password) < 8 {
		return false, fmt.Errorf("console: %s must be at least 8 characters", RootPasswordEnv)
	}
	h = hashPassword(password)
	created, err = p.store.CreateRootPasswordHash(ctx, h)
	if err != nil {
		return false, err
	}
	if !created { // another replica got there first
		if h, err = p.store.RootPasswordHash(ctx); err != nil {
			return false, err
		}
		p.remember(h)
		return false, nil
	}
	p.remember(h)
	return true, writeSecretFile(filepath.Join(dataDir, RootPasswordFile), password+"\n")
}

func (p *RootPassword) remember(h string) {
	p.mu.Lock()
	p.hash = h
	p.mu.Unlock()
}

// Check reports whether password is the root password. A store wiped by
// a test-mode reset gets the known hash back, as the root key does.
func (p *RootPassword) Check(ctx context.Context, password string) (bool, error) {
	h, err := p.store.RootPasswordHash(ctx)
	if errors.Is(err, ErrNoRootPassword) {
		p.mu.Lock()
		h = p.hash
		p.mu.Unlock()
		if h == "" {
			return false, nil
		}
		if _, err := p.store.CreateRootPasswordHash(ctx, h); err != nil {
			return false, err
		}
		return p.Check(ctx, password)
	}
	if err != nil {
		return false, err
	}
	return checkPasswordHash(h, password), nil
}

// Argon2id parameters: OWASP's minimum (19 MiB, 2 passes), as IAM uses
// for login profiles.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

func hashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	sum := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(sum))
}

func checkPasswordHash(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var th uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, th, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// generatePassword returns 20 random characters from an unambiguous
// alphabet (about 115 bits).
func generatePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[randIndex(len(alphabet))]
	}
	return string(b)
}

// randIndex is a uniform random index below n (rejection sampling).
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		_, _ = rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// writeSecretFile writes content to path, mode 0600, atomically.
func writeSecretFile(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".root-password-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
