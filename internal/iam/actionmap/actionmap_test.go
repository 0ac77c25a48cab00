// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package actionmap

import (
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/awsapi"
	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awsapi/logsapi"
	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/awsapi/stsapi"
)

// TestForOperation_EveryModelledOperation proves every operation of every
// served model maps to an IAM action that the authorization reference
// knows, so no operation can reach a handler unauthorized for want of a
// mapping.
func TestForOperation_EveryModelledOperation(t *testing.T) {
	for _, def := range []*awsapi.Service{ec2api.Definition, iamapi.Definition, stsapi.Definition, ecsapi.Definition, ecrapi.Definition, logsapi.Definition, s3api.Definition} {
		for name := range def.Operations {
			action, ok := ForOperation(def.SigningName, name)
			if !ok {
				t.Errorf("%s:%s has no IAM action", def.SigningName, name)
				continue
			}
			prefix, act, _ := strings.Cut(action, ":")
			if prefix == "s3express" || prefix == "s3-object-lambda" {
				continue // actions of sibling services the data set does not carry
			}
			if _, ok := Lookup(prefix, act); !ok {
				t.Errorf("%s:%s maps to %s, which the authorization reference does not list", def.SigningName, name, action)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		prefix, name string
		wantName     string
		wantRes      string
	}{
		{"ecs", "poll", "Poll", "container-instance"},
		{"ECS", "StartTelemetrySession", "StartTelemetrySession", "container-instance"},
		{"iam", "passrole", "PassRole", "role"},
		{"sts", "AssumeRole", "AssumeRole", "role"},
	}
	for _, tc := range tests {
		t.Run(tc.prefix+":"+tc.name, func(t *testing.T) {
			a, ok := Lookup(tc.prefix, tc.name)
			if !ok {
				t.Fatal("not found")
			}
			if a.Name != tc.wantName {
				t.Errorf("Name = %q, want %q", a.Name, tc.wantName)
			}
			found := false
			for _, r := range a.ResourceTypes {
				found = found || r.Name == tc.wantRes
			}
			if !found {
				t.Errorf("resource types %+v lack %q", a.ResourceTypes, tc.wantRes)
			}
		})
	}
}

func TestFill(t *testing.T) {
	tpl, ok := ResourceARN("ecs", "cluster")
	if !ok {
		t.Fatal("ecs cluster resource type missing")
	}
	got, ok := Fill(tpl, map[string]string{"Partition": "aws", "Region": "us-east-1", "Account": "123456789012", "ClusterName": "default"})
	if !ok || got != "arn:aws:ecs:us-east-1:123456789012:cluster/default" {
		t.Fatalf("Fill = %q, %v", got, ok)
	}
	if _, ok := Fill(tpl, map[string]string{"Partition": "aws"}); ok {
		t.Fatal("Fill with missing variables reported ok")
	}
}

func TestKeyType(t *testing.T) {
	if typ, ok := KeyType("ecs:cluster"); !ok || typ != "ARN" {
		t.Fatalf("KeyType(ecs:cluster) = %q, %v; want ARN", typ, ok)
	}
}
