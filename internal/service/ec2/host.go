// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/berthdev/berth/internal/store"
)

// ErrInvalidJoinToken is returned by Join for a token that is malformed,
// unknown, already used, expired, or whose instance was terminated. The
// cases are not told apart, so a token cannot be probed.
var ErrInvalidJoinToken = errors.New("ec2: invalid, used or expired join token")

// ErrBadJoinRequest is wrapped by Join when what the host reports is
// malformed (a private IP that does not parse).
var ErrBadJoinRequest = errors.New("ec2: bad join request")

// ErrHostUnauthorized is returned by AuthenticateHost when the instance id
// and host secret do not name a running instance.
var ErrHostUnauthorized = errors.New("ec2: host authentication failed")

// JoinRequest is what a host presents to become its instance.
type JoinRequest struct {
	// Token is the join token from RunInstances: "i-….SECRET".
	Token string
	// Hostname, PrivateIP and Architecture are reported by the host.
	Hostname     string
	PrivateIP    string
	Architecture string
}

// JoinResult is what a host keeps in its data dir after joining.
type JoinResult struct {
	InstanceID string
	// HostSecret authenticates the host from now on. Only its hash is
	// stored; it cannot be recovered, only replaced by a new instance.
	HostSecret       string
	Region           string
	AccountID        string
	AvailabilityZone string
}

// Join consumes a join token: the pending instance it was issued for
// becomes running, records what the host reports, and gets a fresh host
// secret. The token works once: the consume is a compare-and-swap on the
// instance record, so of two concurrent joins exactly one succeeds.
func (s *Service) Join(ctx context.Context, req JoinRequest) (*JoinResult, error) {
	id, secret, ok := strings.Cut(req.Token, ".")
	if !ok || !validInstanceID(id) || secret == "" {
		return nil, ErrInvalidJoinToken
	}
	if req.PrivateIP != "" {
		if _, err := netip.ParseAddr(req.PrivateIP); err != nil {
			return nil, fmt.Errorf("%w: privateIp %q: %w", ErrBadJoinRequest, req.PrivateIP, err)
		}
	}
	hostSecret := newSecret()
	now := s.now()
	rec, err := s.instances.Update(ctx, id, func(r *instanceRec) error {
		if r.State != statePending || !now.Before(r.JoinExpires) || !secretMatches(r.JoinHash, secret) {
			return errRaced{ErrInvalidJoinToken}
		}
		r.State, r.Joined = stateRunning, now
		r.JoinHash, r.SecretHash = "", hashSecret(hostSecret)
		r.Hostname, r.PrivateIP = req.Hostname, req.PrivateIP
		r.Architecture = architecture(req.Architecture)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrInvalidJoinToken) {
		return nil, ErrInvalidJoinToken
	}
	if err != nil {
		return nil, fmt.Errorf("ec2: join %s: %w", id, err)
	}
	s.log.Info("host joined", "instance", id, "hostname", req.Hostname, "privateIp", req.PrivateIP)
	return &JoinResult{InstanceID: id, HostSecret: hostSecret, Region: s.cfg.Region, AccountID: s.cfg.AccountID,
		AvailabilityZone: rec.Value.Zone}, nil
}

// architecture maps Go's GOARCH names to EC2's.
func architecture(a string) string {
	switch a {
	case "", "amd64", "x86_64":
		return "x86_64"
	case "arm64", "aarch64":
		return "arm64"
	}
	return a
}

// Host is an authenticated host and its current instance profile.
type Host struct {
	InstanceID string
	// AssociationID, ProfileARN and ProfileID are empty when no profile is
	// associated.
	AssociationID string
	ProfileARN    string
	ProfileID     string
}

// AuthenticateHost checks a host's instance id and secret (in constant
// time) and returns the instance's current profile association. Only a
// running instance authenticates; a terminated one has no secret left.
func (s *Service) AuthenticateHost(ctx context.Context, instanceID, secret string) (*Host, error) {
	if !validInstanceID(instanceID) || secret == "" {
		return nil, ErrHostUnauthorized
	}
	rec, err := s.instances.Get(ctx, instanceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrHostUnauthorized
	}
	if err != nil {
		return nil, err
	}
	r := rec.Value
	if r.State != stateRunning || !secretMatches(r.SecretHash, secret) {
		return nil, ErrHostUnauthorized
	}
	h := &Host{InstanceID: r.ID}
	if r.Assoc != nil {
		h.AssociationID, h.ProfileARN, h.ProfileID = r.Assoc.ID, r.Assoc.ProfileARN, r.Assoc.ProfileID
	}
	return h, nil
}
