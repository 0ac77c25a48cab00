// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
)

func TestService_GetCallerIdentity_Principals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, ySess := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.RoleSessionName = ptr("alice@example.com") }))
	rootNoID := &principal.Principal{Kind: principal.Root, AccountID: testAccount, ARN: arn.Root(testAccount)}
	tests := []struct {
		name   string
		caller *principal.Principal
		want   *stsapi.GetCallerIdentityOutput
	}{
		{"root", rootPrincipal, &stsapi.GetCallerIdentityOutput{
			Account: ptr(testAccount), Arn: ptr("arn:aws:iam::123456789012:root"), UserId: ptr(testAccount)}},
		{"root without user id", rootNoID, &stsapi.GetCallerIdentityOutput{
			Account: ptr(testAccount), Arn: ptr("arn:aws:iam::123456789012:root"), UserId: ptr(testAccount)}},
		{"user", userX, &stsapi.GetCallerIdentityOutput{
			Account: ptr(testAccount), Arn: ptr("arn:aws:iam::123456789012:user/x"), UserId: ptr("AIDAXEXAMPLEUSER0001")}},
		{"role session", ySess.Principal, &stsapi.GetCallerIdentityOutput{
			Account: ptr(testAccount), Arn: ptr("arn:aws:sts::123456789012:assumed-role/y/alice@example.com"),
			UserId: ptr("AROAYEXAMPLEROLE0001:alice@example.com")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.GetCallerIdentity(as(tc.caller), &stsapi.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(stsapi.GetCallerIdentityOutput{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("anonymous", func(t *testing.T) {
		_, err := e.svc.GetCallerIdentity(context.Background(), &stsapi.GetCallerIdentityInput{})
		checkErr(t, err, awserr.CodeMissingAuthenticationToken, http.StatusForbidden, "")
	})
}

func TestService_GetAccessKeyInfo_Keys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, _ := e.assume(t, userX, assumeIn("y"))
	tests := []struct {
		name    string
		key     *string
		want    string
		wantErr string
	}{
		{name: "long-term key", key: ptr("AKIAIOSFODNN7EXAMPLE"), want: testAccount},
		{name: "issued session key", key: out.Credentials.AccessKeyId, want: testAccount},
		{name: "unknown session key", key: ptr("ASIAUNKNOWNKEY000001"), want: testAccount},
		{name: "missing", wantErr: "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null"},
		{name: "short", key: ptr("AKIA"), wantErr: "1 validation error detected: Value 'AKIA' at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16"},
		{name: "characters", key: ptr("AKIA-NOT-A-KEY-0001"), wantErr: `1 validation error detected: Value 'AKIA-NOT-A-KEY-0001' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w]*`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.GetAccessKeyInfo(as(userX), &stsapi.GetAccessKeyInfoInput{AccessKeyId: tc.key})
			if tc.wantErr != "" {
				checkErr(t, err, awserr.CodeValidationError, http.StatusBadRequest, tc.wantErr)
				return
			}
			if err != nil || *got.Account != tc.want {
				t.Fatalf("GetAccessKeyInfo = %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}
