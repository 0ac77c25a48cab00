// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
)

func TestService_AssumeRoleAsService_Success(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name     string
		service  string
		role     string
		session  string
		duration time.Duration
		want     time.Duration
	}{
		{"instance profile", "ec2.amazonaws.com", "ec2", "i-0123456789abcdef0", 6 * time.Hour, 6 * time.Hour},
		{"task role default duration", "ecs-tasks.amazonaws.com", "task", "3f6c0a0d5b1e4e0c9a2f8b7d6e5c4b3a", 0, time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.judge.reset()
			role := e.roles[tc.role]
			c, err := e.svc.AssumeRoleAsService(context.Background(), tc.service, role.ARN, tc.session, tc.duration)
			if err != nil {
				t.Fatalf("AssumeRoleAsService: %v", err)
			}
			if !reAccessKey.MatchString(c.AccessKeyID) || !reSecret.MatchString(c.SecretAccessKey) || len(c.SessionToken) < 400 {
				t.Errorf("credentials not in AWS formats: %q %q (token %d chars)", c.AccessKeyID, c.SecretAccessKey, len(c.SessionToken))
			}
			wantARN := "arn:aws:sts::123456789012:assumed-role/" + tc.role + "/" + tc.session
			wantID := role.RoleID + ":" + tc.session
			if c.AssumedRoleARN != wantARN || c.AssumedRoleID != wantID || c.RoleARN != role.ARN {
				t.Errorf("identity = %s %s %s, want %s %s %s", c.AssumedRoleARN, c.AssumedRoleID, c.RoleARN, wantARN, wantID, role.ARN)
			}
			if got := c.Expiration.Sub(testStart); got != tc.want {
				t.Errorf("lasts %v, want %v", got, tc.want)
			}
			sess, err := e.svc.SessionCredential(context.Background(), c.AccessKeyID)
			if err != nil {
				t.Fatal(err)
			}
			wantP := &principal.Principal{
				Kind: principal.AssumedRole, AccountID: testAccount, ARN: wantARN, UserID: wantID, Name: tc.role,
				RoleARN: role.ARN, SessionName: tc.session, AccessKeyID: c.AccessKeyID, Tags: role.Tags, TokenIssueTime: testStart,
			}
			if diff := cmp.Diff(wantP, sess.Principal); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
			wantReq := []AssumeRequest{{Service: tc.service, Role: role, Action: ActionAssumeRole, Context: map[string][]string{
				"sts:RoleSessionName": {tc.session}, "aws:SourceAccount": {testAccount},
			}}}
			if diff := cmp.Diff(wantReq, e.judge.requests()); diff != "" {
				t.Errorf("trust requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestService_AssumeRoleAsService_Errors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name     string
		service  string
		role     string
		session  string
		duration time.Duration
		code     string
		status   int
		want     string
		is       []error
	}{
		{name: "trust names another service", service: "ecs-tasks.amazonaws.com", role: roleARN("ec2"), session: "t1",
			code: awserr.CodeAccessDenied, status: http.StatusForbidden,
			want: "User: ecs-tasks.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/ec2",
			is:   []error{ErrAssumeDenied}},
		{name: "users cannot be named as services", service: "ec2.amazonaws.com", role: roleARN("y"), session: "i-1",
			code: awserr.CodeAccessDenied, status: http.StatusForbidden, is: []error{ErrAssumeDenied}},
		{name: "missing role", service: "ec2.amazonaws.com", role: roleARN("gone"), session: "i-1",
			code: awserr.CodeAccessDenied, status: http.StatusForbidden, is: []error{ErrAssumeDenied, ErrRoleNotFound}},
		{name: "no service principal", role: roleARN("ec2"), session: "i-1",
			code: awserr.CodeValidationError, status: http.StatusBadRequest},
		{name: "bad session name", service: "ec2.amazonaws.com", role: roleARN("ec2"), session: "i 1",
			code: awserr.CodeValidationError, status: http.StatusBadRequest},
		{name: "too short", service: "ec2.amazonaws.com", role: roleARN("ec2"), session: "i-1", duration: 10 * time.Minute,
			code: awserr.CodeValidationError, status: http.StatusBadRequest},
		{name: "too long", service: "ec2.amazonaws.com", role: roleARN("ec2"), session: "i-1", duration: 13 * time.Hour,
			code: awserr.CodeValidationError, status: http.StatusBadRequest},
		{name: "not an arn", service: "ec2.amazonaws.com", role: "role/ec2-but-no-arn-prefix", session: "i-1",
			code: awserr.CodeValidationError, status: http.StatusBadRequest, want: "role/ec2-but-no-arn-prefix is invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.AssumeRoleAsService(context.Background(), tc.service, tc.role, tc.session, tc.duration)
			checkErr(t, err, tc.code, tc.status, tc.want)
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("error %v does not wrap %v", err, target)
				}
			}
		})
	}
}
