// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/agent/imds"
)

// HostAPIError is an error answer of the control plane's host API
// (/_berth/host/...): {"code", "message"}.
type HostAPIError struct {
	Status  int
	Code    string
	Message string
}

func (e *HostAPIError) Error() string {
	return fmt.Sprintf("agent: host API: %d %s: %s", e.Status, e.Code, e.Message)
}

// HostIdentity is what the agent keeps after joining: who the host is and
// the secret it proves that with. It is stored as JSON with mode 0600 in
// the host secret file and never logged.
type HostIdentity struct {
	InstanceID       string `json:"instanceId"`
	HostSecret       string `json:"hostSecret"`
	Region           string `json:"region"`
	AccountID        string `json:"accountId"`
	AvailabilityZone string `json:"availabilityZone"`
}

// HostAPI is a client of the control plane's host API. As the
// imds.Source (and imds.IdentitySource) of the metadata service it
// fetches the instance role's credentials and the signed identity
// document with the host secret.
type HostAPI struct {
	// Endpoint is the control plane's base URL (ECS_BACKEND_HOST).
	Endpoint string
	// Host authenticates credentials and identity requests.
	Host   HostIdentity
	Client *http.Client
}

var (
	_ imds.Source         = (*HostAPI)(nil)
	_ imds.IdentitySource = (*HostAPI)(nil)
)

// JoinRequest is what a host sends to join with its one-time token.
type JoinRequest struct {
	Token        string `json:"token"`
	Hostname     string `json:"hostname,omitempty"`
	PrivateIP    string `json:"privateIp,omitempty"`
	Architecture string `json:"architecture,omitempty"`
}

// Join spends a join token (from RunInstances' berth:join-token tag) and
// returns the host's identity with its secret.
func (h *HostAPI) Join(ctx context.Context, req JoinRequest) (HostIdentity, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return HostIdentity{}, fmt.Errorf("agent: join: %w", err)
	}
	var out HostIdentity
	if err := h.do(ctx, http.MethodPost, "join", body, false, &out); err != nil {
		return HostIdentity{}, err
	}
	if out.InstanceID == "" || out.HostSecret == "" {
		return HostIdentity{}, errors.New("agent: join: the answer has no instance id or host secret")
	}
	return out, nil
}

// RoleCredentials implements imds.Source.
func (h *HostAPI) RoleCredentials(ctx context.Context) (imds.Credentials, error) {
	var out struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string `json:"SecretAccessKey"`
		Token           string `json:"Token"`
		Expiration      string `json:"Expiration"`
		LastUpdated     string `json:"LastUpdated"`
		RoleARN         string `json:"RoleArn"`
		ProfileARN      string `json:"InstanceProfileArn"`
		ProfileID       string `json:"InstanceProfileId"`
	}
	err := h.do(ctx, http.MethodGet, "credentials", nil, true, &out)
	var he *HostAPIError
	if errors.As(err, &he) && he.Status == http.StatusNotFound && he.Code == "NoInstanceProfile" {
		return imds.Credentials{}, fmt.Errorf("%w: %s", imds.ErrNoRole, he.Message)
	}
	if err != nil {
		return imds.Credentials{}, err
	}
	exp, err := time.Parse(time.RFC3339, out.Expiration)
	if err != nil {
		return imds.Credentials{}, fmt.Errorf("agent: host credentials: expiration %q: %w", out.Expiration, err)
	}
	last, _ := time.Parse(time.RFC3339, out.LastUpdated)
	return imds.Credentials{RoleARN: out.RoleARN, AccessKeyID: out.AccessKeyID, SecretAccessKey: out.SecretAccessKey,
		SessionToken: out.Token, Expiration: exp, LastUpdated: last, InstanceProfileARN: out.ProfileARN, InstanceProfileID: out.ProfileID}, nil
}

// Identity implements imds.IdentitySource.
func (h *HostAPI) Identity(ctx context.Context) (imds.Identity, error) {
	var out struct {
		Document  string `json:"document"`
		Signature string `json:"signature"`
	}
	if err := h.do(ctx, http.MethodGet, "identity", nil, true, &out); err != nil {
		return imds.Identity{}, err
	}
	return imds.Identity{Document: []byte(out.Document), Signature: out.Signature}, nil
}

func (h *HostAPI) do(ctx context.Context, method, path string, body []byte, auth bool, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(h.Endpoint, "/")+"/_berth/host/"+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("agent: host API %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+h.Host.InstanceID+"."+h.Host.HostSecret)
	}
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("agent: host API %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("agent: host API %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		he := &HostAPIError{Status: resp.StatusCode}
		var e struct{ Code, Message string }
		if json.Unmarshal(raw, &e) == nil {
			he.Code, he.Message = e.Code, e.Message
		}
		if he.Code == "" {
			he.Code, he.Message = http.StatusText(resp.StatusCode), "unexpected answer from "+req.URL.Path
		}
		return he
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("agent: host API %s: %w", path, err)
	}
	return nil
}

// LoadHostIdentity reads the host secret file; ok is false when it does
// not exist (the host has not joined yet).
func LoadHostIdentity(path string) (id HostIdentity, ok bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return HostIdentity{}, false, nil
	}
	if err != nil {
		return HostIdentity{}, false, fmt.Errorf("agent: host secret: %w", err)
	}
	if err := json.Unmarshal(raw, &id); err != nil || id.InstanceID == "" || id.HostSecret == "" {
		return HostIdentity{}, false, fmt.Errorf("agent: host secret file %s is corrupt; remove it and join again with a new token", path)
	}
	return id, true, nil
}

// SaveHostIdentity writes the host secret file with mode 0600 (atomically,
// so a crash never leaves half a secret).
func SaveHostIdentity(path string, id HostIdentity) error {
	raw, err := json.Marshal(id)
	if err != nil {
		return fmt.Errorf("agent: host secret: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("agent: host secret: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("agent: host secret: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("agent: host secret: %w", err)
	}
	return nil
}
