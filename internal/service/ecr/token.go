// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

// ErrBadToken is wrapped by Authenticate for every credential it refuses:
// malformed, forged, expired, or of an access key that no longer works.
var ErrBadToken = errors.New("ecr: invalid or expired authorization token")

// tokenVersion prefixes every password this package mints.
const tokenVersion = "b1"

// GetAuthorizationToken returns a docker login token for this registry,
// good for TokenLifetime (12 h) and never beyond the caller's own
// temporary credentials.
func (s *Service) GetAuthorizationToken(ctx context.Context, in *ecrapi.GetAuthorizationTokenInput) (*ecrapi.GetAuthorizationTokenOutput, error) {
	for _, id := range in.RegistryIds {
		if err := s.registryID(&id); err != nil {
			return nil, err
		}
	}
	p := principal.FromContext(ctx)
	if p == nil || p.AccessKeyID == "" {
		return nil, ecrapi.ErrInvalidParameter("GetAuthorizationToken needs a request signed with an access key")
	}
	exp := s.now().Add(s.cfg.TokenLifetime).Truncate(time.Second)
	cred, err := s.deps.Keys.AccessKey(ctx, p.AccessKeyID)
	if err != nil {
		return nil, fmt.Errorf("ecr: access key of the caller: %w", err)
	}
	if !cred.Expiration.IsZero() && cred.Expiration.Before(exp) {
		exp = cred.Expiration.UTC().Truncate(time.Second)
	}
	pw, err := s.mintPassword(ctx, p.AccessKeyID, exp)
	if err != nil {
		return nil, err
	}
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + pw))
	return &ecrapi.GetAuthorizationTokenOutput{AuthorizationData: []ecrapi.AuthorizationData{{
		AuthorizationToken: ptr(token),
		ExpiresAt:          ptr(exp),
		ProxyEndpoint:      ptr("http://" + s.RegistryHost()),
	}}}, nil
}

// Authenticate checks docker login credentials (user AWS, the password of
// an authorization token) and returns the principal behind them now. Every
// refusal wraps ErrBadToken; store failures are returned as they are.
func (s *Service) Authenticate(ctx context.Context, username, password string) (*principal.Principal, error) {
	if username != "AWS" {
		return nil, fmt.Errorf("%w: user name %q, want AWS", ErrBadToken, username)
	}
	keyID, exp, err := s.verifyPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !now.Before(exp) {
		return nil, fmt.Errorf("%w: expired at %s", ErrBadToken, exp.Format(time.RFC3339))
	}
	cred, err := s.deps.Keys.AccessKey(ctx, keyID)
	if errors.Is(err, ErrUnknownAccessKey) {
		return nil, fmt.Errorf("%w: access key %s no longer works", ErrBadToken, logkey.Redact(keyID))
	}
	if err != nil {
		return nil, err
	}
	if cred.Principal == nil {
		return nil, fmt.Errorf("%w: access key %s has no principal", ErrBadToken, logkey.Redact(keyID))
	}
	if !cred.Expiration.IsZero() && !now.Before(cred.Expiration) {
		return nil, fmt.Errorf("%w: the session of access key %s has expired", ErrBadToken, logkey.Redact(keyID))
	}
	return cred.Principal, nil
}

// mintPassword returns "b1.PAYLOAD.MAC" for keyID valid until exp.
func (s *Service) mintPassword(ctx context.Context, keyID string, exp time.Time) (string, error) {
	key, err := s.keys.get(ctx)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(keyID + "|" + strconv.FormatInt(exp.Unix(), 10)))
	return tokenVersion + "." + payload + "." + mac(key, payload), nil
}

// verifyPassword checks a password's form and MAC and returns its access
// key and expiry.
func (s *Service) verifyPassword(ctx context.Context, pw string) (string, time.Time, error) {
	parts := strings.Split(pw, ".")
	if len(parts) != 3 || parts[0] != tokenVersion {
		return "", time.Time{}, fmt.Errorf("%w: malformed password", ErrBadToken)
	}
	key, err := s.keys.get(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	if !hmac.Equal([]byte(mac(key, parts[1])), []byte(parts[2])) {
		return "", time.Time{}, fmt.Errorf("%w: bad signature", ErrBadToken)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: malformed payload", ErrBadToken)
	}
	keyID, expText, ok := strings.Cut(string(raw), "|")
	exp, err := strconv.ParseInt(expText, 10, 64)
	if !ok || keyID == "" || err != nil {
		return "", time.Time{}, fmt.Errorf("%w: malformed payload", ErrBadToken)
	}
	return keyID, time.Unix(exp, 0).UTC(), nil
}

func mac(key []byte, payload string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("ecr-token:" + payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// tokenKeys holds the per-account token key, created in the store by the
// first replica that needs it and cached once read.
type tokenKeys struct {
	st *store.Store

	mu  sync.Mutex
	key []byte
}

func (k *tokenKeys) get(ctx context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil {
		return k.key, nil
	}
	key, err := k.st.Secret(ctx, "ecr/token-key")
	if err != nil {
		return nil, fmt.Errorf("ecr: token key: %w", err)
	}
	k.key = key
	return key, nil
}
