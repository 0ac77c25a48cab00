// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/agent/imds"
	"github.com/berthdev/berth/internal/store"
)

// ErrInvalidIdentity is wrapped by VerifyIdentityDocument for a document
// whose signature does not verify or that names no live instance of this
// account and region.
var ErrInvalidIdentity = errors.New("ec2: invalid instance identity document")

// identityKeyID is the key record's id in the keys table.
const identityKeyID = "identity"

// signer holds the identity signing key: ECDSA P-256 over SHA-256, created
// once and kept in the store so every replica signs and verifies alike.
type signer struct{ key *ecdsa.PrivateKey }

// identitySigner returns the signing key, loading or creating it on first
// use. Replicas racing to create it converge on the one stored first.
func (s *Service) identitySigner(ctx context.Context) (*signer, error) {
	s.signerMu.Lock()
	defer s.signerMu.Unlock()
	if s.signer != nil {
		return s.signer, nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		rec, err := s.keys.Get(ctx, identityKeyID)
		if err == nil {
			der, err := base64.StdEncoding.DecodeString(rec.Value.PKCS8)
			if err != nil {
				return nil, fmt.Errorf("ec2: identity key: %w", err)
			}
			k, err := x509.ParsePKCS8PrivateKey(der)
			key, ok := k.(*ecdsa.PrivateKey)
			if err != nil || !ok {
				return nil, fmt.Errorf("ec2: identity key is not an ECDSA key: %v", err)
			}
			s.signer = &signer{key: key}
			return s.signer, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		_, err = s.keys.Create(ctx, identityKeyID, &keyRec{PKCS8: base64.StdEncoding.EncodeToString(der), Created: s.now()})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("ec2: store identity key: %w", err)
		}
	}
	return nil, errors.New("ec2: identity key could not be loaded")
}

// IdentityDocument returns the instance identity document of a running
// instance, exactly as a host's metadata service serves it at
// /latest/dynamic/instance-identity/document, and its signature
// (/latest/dynamic/instance-identity/signature): base64 of an ASN.1 ECDSA
// P-256 signature over the SHA-256 of the document's bytes.
func (s *Service) IdentityDocument(ctx context.Context, instanceID string) (doc, signature string, err error) {
	rec, err := s.instance(ctx, instanceID)
	if err != nil {
		return "", "", err
	}
	r := rec.Value
	b := imds.IdentityDocument(imds.Instance{
		AccountID: s.cfg.AccountID, Architecture: r.Architecture, AvailabilityZone: r.Zone,
		ImageID: r.ImageID, InstanceID: r.ID, InstanceType: r.InstanceType,
		PendingTime: r.LaunchTime, LocalIPv4: r.PrivateIP, Region: s.cfg.Region,
	})
	sg, err := s.identitySigner(ctx)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(b)
	sig, err := ecdsa.SignASN1(rand.Reader, sg.key, sum[:])
	if err != nil {
		return "", "", err
	}
	return string(b), base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyIdentityDocument checks an instance identity document and its
// signature as IdentityDocument made them, for RegisterContainerInstance:
// the signature must verify with this control plane's key, the document
// must name this account and region, and its instance must exist and not
// be terminated. It returns the instance id; errors wrap
// ErrInvalidIdentity (or are store failures). It is safe for concurrent
// use and needs no context: the key is loaded once, instances are read
// from this replica's cache.
func (s *Service) VerifyIdentityDocument(doc, signature string) (instanceID string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sg, err := s.identitySigner(ctx)
	if err != nil {
		return "", err
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return "", fmt.Errorf("%w: signature is not base64", ErrInvalidIdentity)
	}
	sum := sha256.Sum256([]byte(doc))
	if !ecdsa.VerifyASN1(&sg.key.PublicKey, sum[:], sig) {
		return "", fmt.Errorf("%w: signature does not verify", ErrInvalidIdentity)
	}
	// The fields checked here; imds.IdentityDocument renders the rest.
	var d struct {
		AccountID  string `json:"accountId"`
		InstanceID string `json:"instanceId"`
		Region     string `json:"region"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidIdentity, err)
	}
	if d.AccountID != s.cfg.AccountID || d.Region != s.cfg.Region {
		return "", fmt.Errorf("%w: document is for account %s in %s", ErrInvalidIdentity, d.AccountID, d.Region)
	}
	rec, err := s.instances.Get(ctx, d.InstanceID)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: instance %s does not exist", ErrInvalidIdentity, d.InstanceID)
	}
	if err != nil {
		return "", err
	}
	if rec.Value.State == stateTerminated {
		return "", fmt.Errorf("%w: instance %s is terminated", ErrInvalidIdentity, d.InstanceID)
	}
	return d.InstanceID, nil
}

// IdentityPublicKey returns the PEM public key identity documents are
// signed with, for verifiers outside the control plane.
func (s *Service) IdentityPublicKey(ctx context.Context) (string, error) {
	sg, err := s.identitySigner(ctx)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&sg.key.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}
