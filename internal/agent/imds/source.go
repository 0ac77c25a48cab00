// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ErrNoRole means the instance has no instance profile: the metadata
// service then has no iam/ tree.
var ErrNoRole = errors.New("imds: instance has no role")

// Credentials are the instance role's temporary credentials.
type Credentials struct {
	// RoleARN names the role; the metadata path uses its name.
	RoleARN         string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// LastUpdated is when they were issued; zero means when fetched.
	LastUpdated time.Time
	// InstanceProfileARN and InstanceProfileID name the instance profile
	// the role came from (iam/info); empty falls back to
	// Instance.InstanceProfileARN and InstanceProfileID.
	InstanceProfileARN string
	InstanceProfileID  string
}

// RoleName is the last segment of the role ARN's path.
func (c Credentials) RoleName() string {
	return c.RoleARN[strings.LastIndex(c.RoleARN, "/")+1:]
}

// Source supplies the instance role's credentials. It is owned by the
// consumer (the agent fetches them from the control plane).
type Source interface {
	// RoleCredentials returns fresh credentials, or an error matching
	// ErrNoRole when the instance has no role.
	RoleCredentials(ctx context.Context) (Credentials, error)
}

// Identity is a signed instance identity document.
type Identity struct {
	// Document is the JSON document exactly as signed.
	Document []byte
	// Signature is the base64 signature served at .../signature.
	Signature string
	// PKCS7 is the base64 PKCS#7 signature served at .../pkcs7.
	PKCS7 string
}

// IdentitySource is an optional ability of a Source: a signed instance
// identity document issued by the control plane. Without it the service
// serves a document built from Config.Instance and no signatures.
type IdentitySource interface {
	Identity(ctx context.Context) (Identity, error)
}

// CredentialGetter returns the credentials to serve; Refresher is one.
type CredentialGetter interface {
	Get(ctx context.Context) (Credentials, error)
}

// Clock is the time source of Refresher and Server; nil means the real
// clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
