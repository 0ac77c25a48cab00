// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/store/storetest"
)

func TestNew_Config(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	tests := []struct {
		name string
		cfg  Config
		deps Deps
	}{
		{"no account", Config{}, Deps{Store: st, Roles: fakeRoles{}, Trust: &fakeJudge{}}},
		{"no store", Config{AccountID: testAccount}, Deps{Roles: fakeRoles{}, Trust: &fakeJudge{}}},
		{"no roles", Config{AccountID: testAccount}, Deps{Store: st, Trust: &fakeJudge{}}},
		{"no judge", Config{AccountID: testAccount}, Deps{Store: st, Roles: fakeRoles{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg, tc.deps); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
}

func TestService_Unimplemented_Operations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.svc.GetFederationToken(as(userX), &stsapi.GetFederationTokenInput{Name: ptr("bob")})
	checkErr(t, err, awserr.CodeNotImplemented, http.StatusNotImplemented, "berth does not implement sts.GetFederationToken yet")
}

func TestService_AuthzTarget_Operations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		op      string
		in      any
		want    gateway.Target
		wantErr string
	}{
		{
			name: "AssumeRole names the role and the request context", op: "AssumeRole",
			in: assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.ExternalId = ptr("ext-1") }),
			want: gateway.Target{
				Action:    "sts:AssumeRole",
				Resources: []string{"arn:aws:iam::123456789012:role/team/y"},
				Context:   map[string][]string{"sts:RoleSessionName": {"sess"}, "sts:ExternalId": {"ext-1"}},
			},
		},
		{
			name: "AssumeRole with session tags also needs sts:TagSession", op: "AssumeRole",
			in: assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.ExternalId, in.Tags = ptr("ext-1"), tags("Team", "red") }),
			want: gateway.Target{
				Action:    "sts:AssumeRole",
				Resources: []string{"arn:aws:iam::123456789012:role/team/y"},
				Context: map[string][]string{
					"sts:RoleSessionName": {"sess"}, "sts:ExternalId": {"ext-1"},
					"aws:RequestTag/Team": {"red"}, "aws:TagKeys": {"Team"},
				},
				Extra: []gateway.Check{{
					Action:    "sts:TagSession",
					Resources: []string{"arn:aws:iam::123456789012:role/team/y"},
					Context: map[string][]string{
						"sts:RoleSessionName": {"sess"}, "sts:ExternalId": {"ext-1"},
						"aws:RequestTag/Team": {"red"}, "aws:TagKeys": {"Team"},
					},
				}},
			},
		},
		{
			name: "AssumeRole with a source identity also needs sts:SetSourceIdentity", op: "AssumeRole",
			in: assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.SourceIdentity = ptr("alice") }),
			want: gateway.Target{
				Action:    "sts:AssumeRole",
				Resources: []string{"arn:aws:iam::123456789012:role/team/y"},
				Context:   map[string][]string{"sts:RoleSessionName": {"sess"}, "sts:SourceIdentity": {"alice"}},
				Extra: []gateway.Check{{
					Action:    "sts:SetSourceIdentity",
					Resources: []string{"arn:aws:iam::123456789012:role/team/y"},
					Context:   map[string][]string{"sts:RoleSessionName": {"sess"}, "sts:SourceIdentity": {"alice"}},
				}},
			},
		},
		{
			name: "AssumeRole validation precedes authorization", op: "AssumeRole",
			in:      assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.RoleSessionName = ptr("a") }),
			wantErr: "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
		},
		{name: "GetCallerIdentity uses the default", op: "GetCallerIdentity", in: &stsapi.GetCallerIdentityInput{}},
		{name: "GetSessionToken uses the default", op: "GetSessionToken", in: &stsapi.GetSessionTokenInput{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.AuthzTarget(as(userX), tc.op, tc.in)
			if tc.wantErr != "" {
				checkErr(t, err, awserr.CodeValidationError, http.StatusBadRequest, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	_ = context.Background
}
