// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
)

// Instance states and their EC2 codes.
const (
	statePending    = "pending"
	stateRunning    = "running"
	stateTerminated = "terminated"
)

var stateCodes = map[string]int32{
	statePending: 0, stateRunning: 16, "shutting-down": 32, stateTerminated: 48, "stopping": 64, "stopped": 80,
}

// Association states.
const (
	assocAssociating    = "associating"
	assocAssociated     = "associated"
	assocDisassociating = "disassociating"
)

// instanceRec is a host as an EC2 instance. Secrets are kept only as
// SHA-256 hashes.
type instanceRec struct {
	ID            string    `json:"id"`
	ReservationID string    `json:"reservationId"`
	State         string    `json:"state"`
	LaunchTime    time.Time `json:"launchTime"`
	Zone          string    `json:"zone"`
	ImageID       string    `json:"imageId"`
	InstanceType  string    `json:"instanceType"`
	ClientToken   string    `json:"clientToken,omitempty"`
	LaunchIndex   int32     `json:"launchIndex"`
	Tags          []tagRec  `json:"tags,omitempty"`
	Assoc         *assocRec `json:"assoc,omitempty"`

	// JoinHash is the hash of the join token's secret until the host
	// joins; JoinExpires bounds its use.
	JoinHash    string    `json:"joinHash,omitempty"`
	JoinExpires time.Time `json:"joinExpires,omitzero"`
	// SecretHash is the hash of the host secret issued at join.
	SecretHash string    `json:"secretHash,omitempty"`
	Joined     time.Time `json:"joined,omitzero"`
	// Reported by the host at join.
	Hostname     string `json:"hostname,omitempty"`
	PrivateIP    string `json:"privateIp,omitempty"`
	Architecture string `json:"architecture,omitempty"`
}

// assocRec is an instance's IAM instance profile association.
type assocRec struct {
	ID         string    `json:"id"`
	ProfileARN string    `json:"profileArn"`
	ProfileID  string    `json:"profileId"`
	State      string    `json:"state"`
	Time       time.Time `json:"time"`
}

type tagRec struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Clone deep-copies the record for store.Table.Update.
func (r *instanceRec) Clone() *instanceRec {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	if r.Assoc != nil {
		a := *r.Assoc
		c.Assoc = &a
	}
	return &c
}

func (r *instanceRec) tag(key string) (string, bool) {
	for _, t := range r.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

func state(name string) *ec2api.InstanceState {
	return &ec2api.InstanceState{Code: aws.Int32(stateCodes[name]), Name: aws.String(name)}
}

// toInstance renders the record as DescribeInstances shows it.
func (s *Service) toInstance(r *instanceRec) ec2api.Instance {
	in := ec2api.Instance{
		InstanceId:            aws.String(r.ID),
		ImageId:               aws.String(r.ImageID),
		InstanceType:          aws.String(r.InstanceType),
		AmiLaunchIndex:        aws.Int32(r.LaunchIndex),
		LaunchTime:            aws.Time(r.LaunchTime),
		State:                 state(r.State),
		StateTransitionReason: aws.String(""),
		Placement:             &ec2api.Placement{AvailabilityZone: aws.String(r.Zone), Tenancy: aws.String("default")},
		Monitoring:            &ec2api.Monitoring{State: aws.String("disabled")},
		Architecture:          aws.String(firstNonEmpty(r.Architecture, "x86_64")),
		PlatformDetails:       aws.String("Linux/UNIX"),
		Hypervisor:            aws.String("xen"),
		RootDeviceType:        aws.String("ebs"),
		VirtualizationType:    aws.String("hvm"),
	}
	if r.ClientToken != "" {
		in.ClientToken = aws.String(r.ClientToken)
	}
	if r.PrivateIP != "" {
		in.PrivateIpAddress = aws.String(r.PrivateIP)
	}
	if r.Hostname != "" {
		in.PrivateDnsName = aws.String(r.Hostname)
	}
	if r.Assoc != nil {
		in.IamInstanceProfile = &ec2api.IamInstanceProfile{Arn: aws.String(r.Assoc.ProfileARN), Id: aws.String(r.Assoc.ProfileID)}
	}
	for _, t := range r.Tags {
		in.Tags = append(in.Tags, ec2api.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return in
}

func toAssociation(instanceID string, a *assocRec, state string) *ec2api.IamInstanceProfileAssociation {
	return &ec2api.IamInstanceProfileAssociation{
		AssociationId:      aws.String(a.ID),
		InstanceId:         aws.String(instanceID),
		IamInstanceProfile: &ec2api.IamInstanceProfile{Arn: aws.String(a.ProfileARN), Id: aws.String(a.ProfileID)},
		State:              aws.String(state),
		Timestamp:          aws.Time(a.Time),
	}
}

// keyRec is the identity document signing key, shared by every replica.
type keyRec struct {
	// PKCS8 is the DER private key (ECDSA P-256), base64.
	PKCS8   string    `json:"pkcs8"`
	Created time.Time `json:"created"`
}

// hexID returns prefix plus 17 random hex digits: i-…, r-…, iip-assoc-….
func hexID(prefix string) string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])[:17]
}

// newSecret returns 32 random bytes, base64url-encoded without padding.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashSecret is the stored form of a secret.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// secretMatches compares a presented secret with a stored hash in
// constant time. An empty hash matches nothing.
func secretMatches(hash, secret string) bool {
	if hash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(hashSecret(secret))) == 1
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
