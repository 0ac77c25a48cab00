// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/testutil"
)

// apiError returns the AWS error and HTTP status of an SDK call's error.
func apiError(t *testing.T, err error) (smithy.APIError, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want an AWS API error", err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae, status
}

func wantAPIError(t *testing.T, err error, code string, status int, message string) {
	t.Helper()
	ae, got := apiError(t, err)
	if ae.ErrorCode() != code || got != status || (message != "" && ae.ErrorMessage() != message) {
		t.Fatalf("error = %s (HTTP %d) %q\nwant    %s (HTTP %d) %q", ae.ErrorCode(), got, ae.ErrorMessage(), code, status, message)
	}
}

// TestService_SDK_RoundTrip drives STS through the whole control plane
// (SigV4, routing, awsQuery codec, authorization, IAM-backed roles) with
// the real aws-sdk-go-v2 client.
func TestService_SDK_RoundTrip(t *testing.T) {
	t.Parallel()
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := cp.RootConfig()
	iamc := iam.NewFromConfig(root)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// AWS requires no permission for sts:GetSessionToken; the gateway's
	// action map may not know that yet, so alice is granted it too.
	const allowAssume = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:GetSessionToken","sts:GetAccessKeyInfo"],"Resource":"*"}]}`
	must(iamc.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("app"), Path: aws.String("/svc/"), MaxSessionDuration: aws.Int32(7200),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`),
	}))
	must(iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("assume"), PolicyDocument: aws.String(allowAssume)}))
	must(iamc.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("locked"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	}))
	must(iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	must(iamc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("assume"), PolicyDocument: aws.String(allowAssume)}))
	key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	alice := sts.NewFromConfig(testutil.Config(cp.URL, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
	appARN := "arn:aws:iam::123456789012:role/svc/app"
	reKey := regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)

	t.Run("root GetCallerIdentity", func(t *testing.T) {
		id, err := sts.NewFromConfig(root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(id.Arn) != "arn:aws:iam::123456789012:root" || aws.ToString(id.UserId) != "123456789012" || aws.ToString(id.Account) != "123456789012" {
			t.Errorf("identity = %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
		}
	})
	t.Run("root may not assume roles", func(t *testing.T) {
		_, err := sts.NewFromConfig(root).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(appARN), RoleSessionName: aws.String("s0")})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden, "Roles may not be assumed by root accounts.")
	})

	var creds *ststypes.Credentials
	t.Run("user assumes role", func(t *testing.T) {
		start := time.Now()
		out, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(appARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200),
			Tags: []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("red")}},
		})
		if err != nil {
			t.Fatalf("AssumeRole: %v", err)
		}
		creds = out.Credentials
		if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::123456789012:assumed-role/app/s1" {
			t.Errorf("Arn = %s", got)
		}
		if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":s1") {
			t.Errorf("AssumedRoleId = %s, want AROA…:s1", id)
		}
		if !reKey.MatchString(aws.ToString(creds.AccessKeyId)) || len(aws.ToString(creds.SecretAccessKey)) != 40 {
			t.Errorf("credentials %s / %s not in AWS formats", aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey))
		}
		if d := creds.Expiration.Sub(start); d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
			t.Errorf("credentials last %v, want 2h", d)
		}
		if out.PackedPolicySize == nil {
			t.Error("PackedPolicySize missing with session tags")
		}
	})
	if creds == nil {
		t.FailNow()
	}
	session := sts.NewFromConfig(testutil.Config(cp.URL, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken)))

	t.Run("session signs requests", func(t *testing.T) {
		id, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(id.Arn) != "arn:aws:sts::123456789012:assumed-role/app/s1" || !strings.HasSuffix(aws.ToString(id.UserId), ":s1") {
			t.Errorf("identity = %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId))
		}
	})
	t.Run("role chaining is capped at one hour", func(t *testing.T) {
		_, err := session.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(appARN), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200)})
		wantAPIError(t, err, "ValidationError", http.StatusBadRequest, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		if _, err := session.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(appARN), RoleSessionName: aws.String("s2")}); err != nil {
			t.Errorf("chained AssumeRole for one hour: %v", err)
		}
	})
	t.Run("session with a wrong token is refused", func(t *testing.T) {
		bad := sts.NewFromConfig(testutil.Config(cp.URL, aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), "not-the-token"))
		if _, err := bad.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
			t.Error("GetCallerIdentity with a wrong session token succeeded")
		}
	})

	tests := []struct {
		name   string
		in     *sts.AssumeRoleInput
		code   string
		status int
		want   string // "" skips the message check
	}{
		{"trust policy denies", &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/locked"), RoleSessionName: aws.String("s0")},
			"AccessDenied", http.StatusForbidden, ""},
		{"missing role", &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/nope"), RoleSessionName: aws.String("s0")},
			"AccessDenied", http.StatusForbidden, "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/nope"},
		{"invalid session name", &sts.AssumeRoleInput{RoleArn: aws.String(appARN), RoleSessionName: aws.String("bad name")},
			"ValidationError", http.StatusBadRequest,
			`1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"above MaxSessionDuration", &sts.AssumeRoleInput{RoleArn: aws.String(appARN), RoleSessionName: aws.String("s0"), DurationSeconds: aws.Int32(7201)},
			"ValidationError", http.StatusBadRequest, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := alice.AssumeRole(ctx, tc.in)
			wantAPIError(t, err, tc.code, tc.status, tc.want)
		})
	}

	t.Run("GetSessionToken", func(t *testing.T) {
		out, err := alice.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
		if err != nil {
			t.Fatalf("GetSessionToken: %v", err)
		}
		c := out.Credentials
		userSession := sts.NewFromConfig(testutil.Config(cp.URL, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
		id, err := userSession.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/alice" {
			t.Errorf("Arn = %s, want alice", aws.ToString(id.Arn))
		}
		_, err = userSession.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden, "Cannot call GetSessionToken with session credentials")
	})
	t.Run("GetAccessKeyInfo", func(t *testing.T) {
		out, err := alice.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: creds.AccessKeyId})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != "123456789012" {
			t.Errorf("Account = %s", aws.ToString(out.Account))
		}
	})
}
