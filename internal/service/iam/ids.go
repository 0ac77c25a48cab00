// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/berthdev/berth/internal/arn"
)

// The unique-id prefixes AWS gives each kind of IAM entity.
const (
	prefixUser            = "AIDA"
	prefixRole            = "AROA"
	prefixGroup           = "AGPA"
	prefixPolicy          = "ANPA"
	prefixInstanceProfile = "AIPA"
	prefixAccessKey       = "AKIA"
)

// newID returns prefix and 17 characters of [A-Z2-7] (21 in all), the shape
// of AWS's user, role, group, policy and instance profile ids.
func newID(prefix string) string {
	// rand.Text is 26 characters of the RFC 4648 base32 alphabet.
	return prefix + rand.Text()[:17]
}

// newAccessKeyID returns "AKIA" and 16 characters of [A-Z2-7] (20 in all),
// the shape of a long-term access key id.
func newAccessKeyID() string {
	return prefixAccessKey + rand.Text()[:16]
}

// newSecretAccessKey returns 40 characters of [A-Za-z0-9+/], like AWS
// secrets: 30 random bytes in standard base64.
func newSecretAccessKey() string {
	var b [30]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b[:])
}

// entityARN returns arn:aws:iam::ACCOUNT:KIND/PATH/NAME for an entity whose
// path is "/" or "/a/b/".
func entityARN(account, kind, path, name string) string {
	return arn.IAM(account, kind+path+name)
}

// awsAccount is the account part of AWS managed policy ARNs.
const awsAccount = "aws"

// policyRef is a managed policy ARN taken apart.
type policyRef struct {
	Account string // 12 digits, or "aws" for AWS managed policies
	Path    string
	Name    string
}

// parsePolicyARN splits arn:aws:iam::ACCOUNT:policy/PATH/NAME. ok is false
// for anything that is not a well-formed managed policy ARN.
func parsePolicyARN(s string) (ref policyRef, ok bool) {
	a, err := arn.Parse(s)
	if err != nil || a.Partition != arn.Partition || a.Service != "iam" || a.Region != "" {
		return policyRef{}, false
	}
	if a.AccountID != awsAccount && !arn.IsAccountID(a.AccountID) {
		return policyRef{}, false
	}
	rest, found := strings.CutPrefix(a.Resource, "policy/")
	if !found {
		return policyRef{}, false
	}
	i := strings.LastIndexByte(rest, '/')
	path, name := "/"+rest[:i+1], rest[i+1:]
	if !reName.MatchString(name) || len(name) > maxPolicyName || !rePolicyPath.MatchString(path) {
		return policyRef{}, false
	}
	return policyRef{Account: a.AccountID, Path: path, Name: name}, true
}
