// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
)

func TestService_GetSessionToken_Durations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name     string
		caller   *principal.Principal
		duration int32 // 0: not given
		want     time.Duration
		wantErr  string
	}{
		{name: "user default 12 hours", caller: userX, want: 12 * time.Hour},
		{name: "user minimum", caller: userX, duration: 900, want: 15 * time.Minute},
		{name: "user maximum 36 hours", caller: userX, duration: 129600, want: 36 * time.Hour},
		{name: "user above maximum", caller: userX, duration: 129601,
			wantErr: "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"},
		{name: "user below minimum", caller: userX, duration: 899,
			wantErr: "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{name: "root default one hour", caller: rootPrincipal, want: time.Hour},
		{name: "root capped at one hour", caller: rootPrincipal, duration: 7200, want: time.Hour},
		{name: "root below one hour", caller: rootPrincipal, duration: 1800, want: 30 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &stsapi.GetSessionTokenInput{}
			if tc.duration != 0 {
				in.DurationSeconds = &tc.duration
			}
			out, err := e.svc.GetSessionToken(as(tc.caller), in)
			if tc.wantErr != "" {
				checkErr(t, err, awserr.CodeValidationError, http.StatusBadRequest, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("GetSessionToken: %v", err)
			}
			if got := out.Credentials.Expiration.Sub(testStart); got != tc.want {
				t.Errorf("session lasts %v, want %v", got, tc.want)
			}
		})
	}
}

func TestService_GetSessionToken_Principal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, caller := range []*principal.Principal{userX, rootPrincipal} {
		t.Run(caller.Kind.String(), func(t *testing.T) {
			out, err := e.svc.GetSessionToken(as(caller), &stsapi.GetSessionTokenInput{})
			if err != nil {
				t.Fatalf("GetSessionToken: %v", err)
			}
			c := out.Credentials
			if !reAccessKey.MatchString(*c.AccessKeyId) || !reSecret.MatchString(*c.SecretAccessKey) {
				t.Errorf("credentials %q / %q not in AWS formats", *c.AccessKeyId, *c.SecretAccessKey)
			}
			sess, err := e.svc.SessionCredential(context.Background(), *c.AccessKeyId)
			if err != nil {
				t.Fatal(err)
			}
			want := &principal.Principal{
				Kind: caller.Kind, AccountID: caller.AccountID, ARN: caller.ARN, UserID: caller.UserID,
				Name: caller.Name, Tags: caller.Tags, AccessKeyID: *c.AccessKeyId, TokenIssueTime: testStart,
			}
			if diff := cmp.Diff(want, sess.Principal); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
			// The session answers GetCallerIdentity as the same identity.
			id, err := e.svc.GetCallerIdentity(as(sess.Principal), &stsapi.GetCallerIdentityInput{})
			if err != nil || *id.Arn != caller.ARN || *id.UserId != caller.UserID {
				t.Errorf("GetCallerIdentity = %v, %v; want %s %s", id, err, caller.ARN, caller.UserID)
			}
		})
	}
}

func TestService_GetSessionToken_Denied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, ySess := e.assume(t, userX, assumeIn("y"))
	gst, err := e.svc.GetSessionToken(as(userX), &stsapi.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	userSess, err := e.svc.SessionCredential(context.Background(), *gst.Credentials.AccessKeyId)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		ctx    context.Context
		in     *stsapi.GetSessionTokenInput
		code   string
		status int
		want   string
	}{
		{"role session", as(ySess.Principal), &stsapi.GetSessionTokenInput{},
			awserr.CodeAccessDenied, http.StatusForbidden, "Cannot call GetSessionToken with session credentials"},
		{"session token session", as(userSess.Principal), &stsapi.GetSessionTokenInput{},
			awserr.CodeAccessDenied, http.StatusForbidden, "Cannot call GetSessionToken with session credentials"},
		{"no principal", context.Background(), &stsapi.GetSessionTokenInput{},
			awserr.CodeMissingAuthenticationToken, http.StatusForbidden, "Request is missing Authentication Token"},
		{"MFA is not supported", as(userX), &stsapi.GetSessionTokenInput{SerialNumber: ptr("arn:aws:iam::123456789012:mfa/x"), TokenCode: ptr("123456")},
			awserr.CodeAccessDenied, http.StatusForbidden, "MultiFactorAuthentication failed with invalid MFA one time pass code."},
		{"token code not digits", as(userX), &stsapi.GetSessionTokenInput{TokenCode: ptr("12345a")},
			awserr.CodeValidationError, http.StatusBadRequest,
			`1 validation error detected: Value '12345a' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.GetSessionToken(tc.ctx, tc.in)
			checkErr(t, err, tc.code, tc.status, tc.want)
		})
	}
}
