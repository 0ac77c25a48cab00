// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package arn parses and formats Amazon Resource Names.
package arn

import (
	"fmt"
	"strings"
)

// ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// String formats a.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// Parse splits s into its six parts.
func Parse(s string) (ARN, error) {
	// Five cuts rather than strings.SplitN: the same parts without
	// allocating, as ARNs are parsed on every request.
	var parts [6]string
	rest := s
	for i := range 5 {
		p, r, ok := strings.Cut(rest, ":")
		if !ok {
			return ARN{}, fmt.Errorf("arn: invalid ARN %q", s)
		}
		parts[i], rest = p, r
	}
	parts[5] = rest
	if parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return ARN{}, fmt.Errorf("arn: invalid ARN %q", s)
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}, nil
}

// IsARN reports whether s looks like an ARN.
func IsARN(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// Partition is the partition berth serves.
const Partition = "aws"

// IAM returns an IAM ARN (global: no region) for resource in account.
func IAM(account, resource string) string {
	return ARN{Partition: Partition, Service: "iam", AccountID: account, Resource: resource}.String()
}

// Root returns the ARN of account's root user.
func Root(account string) string { return IAM(account, "root") }

// New returns arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE.
func New(service, region, account, resource string) string {
	return ARN{Partition: Partition, Service: service, Region: region, AccountID: account, Resource: resource}.String()
}

// IsAccountID reports whether s is an AWS account id: twelve decimal
// digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
