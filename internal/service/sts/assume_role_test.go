// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package sts

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/stsapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/principal"
)

var (
	reAccessKey = regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)
	reSecret    = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

// assumeIn is an AssumeRole input for role name with session "sess",
// adjusted by fns.
func assumeIn(role string, fns ...func(*stsapi.AssumeRoleInput)) *stsapi.AssumeRoleInput {
	in := &stsapi.AssumeRoleInput{RoleArn: ptr(roleARN(role)), RoleSessionName: ptr("sess")}
	if role == "y" {
		in.RoleArn = ptr(arn.IAM(testAccount, "role/team/y"))
	}
	for _, fn := range fns {
		fn(in)
	}
	return in
}

func tags(kv ...string) []stsapi.Tag {
	var out []stsapi.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, stsapi.Tag{Key: ptr(kv[i]), Value: ptr(kv[i+1])})
	}
	return out
}

// session returns the stored session of an AssumeRole answer.
func (e *env) session(t *testing.T, out *stsapi.AssumeRoleOutput) *Session {
	t.Helper()
	sess, err := e.svc.SessionCredential(context.Background(), *out.Credentials.AccessKeyId)
	if err != nil {
		t.Fatalf("SessionCredential: %v", err)
	}
	return sess
}

// assumeRole runs AssumeRole as the gateway does: AuthzTarget (validation
// and the checks), each check decided by the fake judge against the role's
// trust policy, then the handler. The judge stands for the policy engine,
// which the gateway asks with the trust policy as the resource policy; a
// missing role has no trust policy, and callers that may not assume roles
// at all are left to the handler.
func (e *env) assumeRole(ctx context.Context, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error) {
	target, err := e.svc.AuthzTarget(ctx, "AssumeRole", in)
	if err != nil {
		return nil, err
	}
	p := principal.FromContext(ctx)
	if p != nil && (p.Kind == principal.User || p.Kind == principal.AssumedRole) {
		if role, err := e.roles.RoleByARN(ctx, *in.RoleArn); err == nil {
			checks := append([]gateway.Check{{Action: target.Action, Resources: target.Resources, Context: target.Context}}, target.Extra...)
			for _, c := range checks {
				if len(c.Resources) != 1 || c.Resources[0] != role.ARN {
					return nil, fmt.Errorf("check %s on %v, want the role ARN", c.Action, c.Resources)
				}
				d, err := e.judge.AllowAssume(ctx, AssumeRequest{Caller: p, Role: role, Action: c.Action, Context: c.Context})
				if err != nil {
					return nil, err
				}
				if !d.Allowed {
					return nil, accessDenied(ErrAssumeDenied, "%s", denyMessage(p.ARN, c.Action, role.ARN))
				}
			}
		}
	}
	return e.svc.AssumeRole(ctx, in)
}

// assume runs AssumeRole as p and fails t on error.
func (e *env) assume(t *testing.T, p *principal.Principal, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, *Session) {
	t.Helper()
	out, err := e.assumeRole(as(p), in)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return out, e.session(t, out)
}

func TestService_AssumeRole_Success(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, sess := e.assume(t, userX, assumeIn("y"))

	c := out.Credentials
	if !reAccessKey.MatchString(*c.AccessKeyId) {
		t.Errorf("AccessKeyId = %q, want ASIA + 16 of [A-Z2-7]", *c.AccessKeyId)
	}
	if !reSecret.MatchString(*c.SecretAccessKey) {
		t.Errorf("SecretAccessKey = %q, want 40 of [A-Za-z0-9+/]", *c.SecretAccessKey)
	}
	if n := len(*c.SessionToken); n < 400 {
		t.Errorf("len(SessionToken) = %d, want ≥ 400", n)
	}
	wantOut := &stsapi.AssumeRoleOutput{
		Credentials: c,
		AssumedRoleUser: &stsapi.AssumedRoleUser{
			AssumedRoleId: ptr("AROAYEXAMPLEROLE0001:sess"),
			Arn:           ptr("arn:aws:sts::123456789012:assumed-role/y/sess"),
		},
	}
	if diff := cmp.Diff(wantOut, out, cmpopts.IgnoreUnexported(stsapi.AssumeRoleOutput{}, stsapi.AssumedRoleUser{}, stsapi.Credentials{})); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if want := testStart.Add(time.Hour); !c.Expiration.Equal(want) {
		t.Errorf("Expiration = %v, want %v", c.Expiration, want)
	}

	want := &Session{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    *c.SessionToken,
		Expiration:      testStart.Add(time.Hour),
		Principal: &principal.Principal{
			Kind:           principal.AssumedRole,
			AccountID:      testAccount,
			ARN:            "arn:aws:sts::123456789012:assumed-role/y/sess",
			UserID:         "AROAYEXAMPLEROLE0001:sess",
			Name:           "y",
			RoleARN:        "arn:aws:iam::123456789012:role/team/y",
			SessionName:    "sess",
			AccessKeyID:    *c.AccessKeyId,
			Tags:           map[string]string{"Project": "berth", "Env": "dev"},
			TokenIssueTime: testStart,
		},
	}
	if diff := cmp.Diff(want, sess); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if !sess.TokenMatches(*c.SessionToken) || sess.TokenMatches(*c.SessionToken+"x") {
		t.Error("TokenMatches does not match exactly the issued token")
	}

	// The trust policy was asked about sts:AssumeRole with the request context.
	wantReqs := []AssumeRequest{{
		Caller: userX, Role: e.roles["y"], Action: ActionAssumeRole,
		Context: map[string][]string{"sts:RoleSessionName": {"sess"}},
	}}
	if diff := cmp.Diff(wantReqs, e.judge.requests()); diff != "" {
		t.Errorf("trust requests (-want +got):\n%s", diff)
	}
}

func TestService_AssumeRole_Denied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		ctx     context.Context
		in      *stsapi.AssumeRoleInput
		message string // judge's message
		code    string
		status  int
		want    string
	}{
		{
			name: "trust policy denies", ctx: as(userX), in: assumeIn("noaccess"),
			code: awserr.CodeAccessDenied, status: http.StatusForbidden,
			want: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/noaccess",
		},
		{
			name: "missing role answers like a denial", ctx: as(userX), in: assumeIn("nosuchrole"),
			code: awserr.CodeAccessDenied, status: http.StatusForbidden,
			want: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/nosuchrole",
		},
		{
			name: "root may not assume roles", ctx: as(rootPrincipal), in: assumeIn("y"),
			code: awserr.CodeAccessDenied, status: http.StatusForbidden, want: "Roles may not be assumed by root accounts.",
		},
		{
			name: "no principal", ctx: context.Background(), in: assumeIn("y"),
			code: awserr.CodeMissingAuthenticationToken, status: http.StatusForbidden, want: "Request is missing Authentication Token",
		},
		{
			name: "external id missing", ctx: as(userX), in: assumeIn("ext"),
			code: awserr.CodeAccessDenied, status: http.StatusForbidden,
			want: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/ext",
		},
		{
			name: "external id wrong", ctx: as(userX), in: assumeIn("ext", func(in *stsapi.AssumeRoleInput) { in.ExternalId = ptr("secret-2") }),
			code: awserr.CodeAccessDenied, status: http.StatusForbidden,
			want: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/ext",
		},
		{
			name: "session tags need sts:TagSession", ctx: as(userX),
			in:   assumeIn("notag", func(in *stsapi.AssumeRoleInput) { in.Tags = tags("k", "v") }),
			code: awserr.CodeAccessDenied, status: http.StatusForbidden,
			want: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:TagSession on resource: arn:aws:iam::123456789012:role/notag",
		},
		{
			name: "source identity needs sts:SetSourceIdentity", ctx: as(userX),
			in:   assumeIn("notag", func(in *stsapi.AssumeRoleInput) { in.SourceIdentity = ptr("alice") }),
			code: awserr.CodeAccessDenied, status: http.StatusForbidden,
			want: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:SetSourceIdentity on resource: arn:aws:iam::123456789012:role/notag",
		},
		{
			name: "MFA is not supported", ctx: as(userX),
			in: assumeIn("y", func(in *stsapi.AssumeRoleInput) {
				in.SerialNumber, in.TokenCode = ptr("arn:aws:iam::123456789012:mfa/x"), ptr("123456")
			}),
			code: awserr.CodeAccessDenied, status: http.StatusForbidden, want: "MultiFactorAuthentication failed with invalid MFA one time pass code.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.judge.message = tc.message
			t.Cleanup(func() { e.judge.message = "" })
			_, err := e.assumeRole(tc.ctx, tc.in)
			checkErr(t, err, tc.code, tc.status, tc.want)
		})
	}

	t.Run("external id matches", func(t *testing.T) {
		e.assume(t, userX, assumeIn("ext", func(in *stsapi.AssumeRoleInput) { in.ExternalId = ptr("secret-1") }))
	})
	t.Run("missing role wraps the sentinels", func(t *testing.T) {
		_, err := e.assumeRole(as(userX), assumeIn("nosuchrole"))
		if !errors.Is(err, ErrAssumeDenied) || !errors.Is(err, ErrRoleNotFound) {
			t.Errorf("error %v does not wrap ErrAssumeDenied and ErrRoleNotFound", err)
		}
	})
}

func TestService_AssumeRole_Validation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	longPolicy := `{"Version":"2012-10-17","Statement":[]}` + strings.Repeat(" ", 2048)
	var manyArns []stsapi.PolicyDescriptorType
	for i := range 11 {
		manyArns = append(manyArns, stsapi.PolicyDescriptorType{Arn: ptr(fmt.Sprintf("arn:aws:iam::123456789012:policy/p%d", i))})
	}
	var manyTags []string
	for i := range 51 {
		manyTags = append(manyTags, fmt.Sprintf("k%d", i), "v")
	}
	const vErr = awserr.CodeValidationError
	const ipv = awserr.CodeInvalidParameterValue
	tests := []struct {
		name string
		fn   func(*stsapi.AssumeRoleInput)
		code string
		want string
	}{
		{"role arn missing", func(in *stsapi.AssumeRoleInput) { in.RoleArn = nil }, vErr,
			"1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{"role arn short", func(in *stsapi.AssumeRoleInput) { in.RoleArn = ptr("arn:aws:iam::1:r") }, vErr,
			"1 validation error detected: Value 'arn:aws:iam::1:r' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"role arn not an arn", func(in *stsapi.AssumeRoleInput) { in.RoleArn = ptr("this-is-not-an-arn-at-all") }, vErr,
			"this-is-not-an-arn-at-all is invalid"},
		{"session name missing", func(in *stsapi.AssumeRoleInput) { in.RoleSessionName = nil }, vErr,
			"1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"},
		{"session name short", func(in *stsapi.AssumeRoleInput) { in.RoleSessionName = ptr("a") }, vErr,
			"1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"session name long", func(in *stsapi.AssumeRoleInput) { in.RoleSessionName = ptr(strings.Repeat("s", 65)) }, vErr,
			"1 validation error detected: Value '" + strings.Repeat("s", 65) + "' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"session name characters", func(in *stsapi.AssumeRoleInput) { in.RoleSessionName = ptr("my session") }, vErr,
			`1 validation error detected: Value 'my session' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"duration below 900", func(in *stsapi.AssumeRoleInput) { in.DurationSeconds = ptr[int32](899) }, vErr,
			"1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"duration above 43200", func(in *stsapi.AssumeRoleInput) { in.DurationSeconds = ptr[int32](43201) }, vErr,
			"1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"external id short", func(in *stsapi.AssumeRoleInput) { in.ExternalId = ptr("e") }, vErr,
			"1 validation error detected: Value 'e' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"external id long", func(in *stsapi.AssumeRoleInput) { in.ExternalId = ptr(strings.Repeat("e", 1225)) }, vErr,
			"1 validation error detected: Value '" + strings.Repeat("e", 1225) + "' at 'externalId' failed to satisfy constraint: Member must have length less than or equal to 1224"},
		{"external id characters", func(in *stsapi.AssumeRoleInput) { in.ExternalId = ptr("a b") }, vErr,
			`1 validation error detected: Value 'a b' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*`},
		{"policy too long", func(in *stsapi.AssumeRoleInput) { in.Policy = ptr(longPolicy) }, vErr,
			"1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"policy characters", func(in *stsapi.AssumeRoleInput) { in.Policy = ptr(`{"Sid":"☃"}`) }, vErr,
			`1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`},
		{"more than 10 policy arns", func(in *stsapi.AssumeRoleInput) { in.PolicyArns = manyArns }, vErr,
			"1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10"},
		{"more than 50 tags", func(in *stsapi.AssumeRoleInput) { in.Tags = tags(manyTags...) }, vErr,
			"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"tag key characters", func(in *stsapi.AssumeRoleInput) { in.Tags = tags("bad#key", "v") }, vErr,
			`1 validation error detected: Value 'bad#key' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"tag value too long", func(in *stsapi.AssumeRoleInput) { in.Tags = tags("k", strings.Repeat("v", 257)) }, vErr,
			"1 validation error detected: Value '" + strings.Repeat("v", 257) + "' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"source identity short", func(in *stsapi.AssumeRoleInput) { in.SourceIdentity = ptr("a") }, vErr,
			"1 validation error detected: Value 'a' at 'sourceIdentity' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"token code short", func(in *stsapi.AssumeRoleInput) { in.TokenCode = ptr("12345") }, vErr,
			"1 validation error detected: Value '12345' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6"},
		{"two errors", func(in *stsapi.AssumeRoleInput) { in.RoleSessionName, in.DurationSeconds = ptr("a"), ptr[int32](100) }, vErr,
			"2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
				"Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"duplicate tag keys", func(in *stsapi.AssumeRoleInput) { in.Tags = tags("Team", "a", "team", "b") }, ipv,
			"Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"transitive key not in tags", func(in *stsapi.AssumeRoleInput) {
			in.Tags, in.TransitiveTagKeys = tags("Team", "a"), []string{"Other"}
		}, ipv, "The specified transitive tag key must be included in the requested tags."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.assumeRole(as(userX), assumeIn("y", tc.fn))
			status := http.StatusBadRequest
			checkErr(t, err, tc.code, status, tc.want)
		})
	}
}

func TestService_AssumeRole_Duration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name     string
		role     string
		duration int32 // 0: not given
		want     time.Duration
		wantErr  string
	}{
		{name: "default is one hour", role: "y", want: time.Hour},
		{name: "minimum", role: "y", duration: 900, want: 15 * time.Minute},
		{name: "role maximum", role: "y", duration: 7200, want: 2 * time.Hour},
		{name: "above role maximum", role: "y", duration: 7201,
			wantErr: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{name: "unset maximum means one hour", role: "default-max", duration: 3600, want: time.Hour},
		{name: "above unset maximum", role: "default-max", duration: 3601,
			wantErr: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := assumeIn(tc.role)
			if tc.duration != 0 {
				in.DurationSeconds = &tc.duration
			}
			out, err := e.assumeRole(as(userX), in)
			if tc.wantErr != "" {
				checkErr(t, err, awserr.CodeValidationError, http.StatusBadRequest, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			if got := out.Credentials.Expiration.Sub(testStart); got != tc.want {
				t.Errorf("session lasts %v, want %v", got, tc.want)
			}
		})
	}
}

func TestService_AssumeRole_RoleChaining(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, ySess := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.DurationSeconds = ptr[int32](7200) }))
	gst, err := e.svc.GetSessionToken(as(userX), &stsapi.GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	userSess, err := e.svc.SessionCredential(context.Background(), *gst.Credentials.AccessKeyId)
	if err != nil {
		t.Fatal(err)
	}
	const chainErr = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
	tests := []struct {
		name     string
		caller   *principal.Principal
		duration int32
		want     time.Duration
		wantErr  string
	}{
		{name: "role session default", caller: ySess.Principal, want: time.Hour},
		{name: "role session one hour", caller: ySess.Principal, duration: 3600, want: time.Hour},
		{name: "role session above one hour", caller: ySess.Principal, duration: 3601, wantErr: chainErr},
		{name: "GetSessionToken session above one hour", caller: userSess.Principal, duration: 7200, wantErr: chainErr},
		{name: "long-term user is not capped", caller: userX, duration: 7200, want: 2 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := assumeIn("chain")
			if tc.duration != 0 {
				in.DurationSeconds = &tc.duration
			}
			out, err := e.assumeRole(as(tc.caller), in)
			if tc.wantErr != "" {
				checkErr(t, err, awserr.CodeValidationError, http.StatusBadRequest, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			if got := out.Credentials.Expiration.Sub(testStart); got != tc.want {
				t.Errorf("session lasts %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("chained session ARN names the new role", func(t *testing.T) {
		out, _ := e.assume(t, ySess.Principal, assumeIn("chain", func(in *stsapi.AssumeRoleInput) { in.RoleSessionName = ptr("hop2") }))
		if got, want := *out.AssumedRoleUser.Arn, "arn:aws:sts::123456789012:assumed-role/chain/hop2"; got != want {
			t.Errorf("Arn = %s, want %s", got, want)
		}
	})
}

func TestService_AssumeRole_SessionPolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inline := `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "ecs:List*", "Resource": "*"}]
}`
	readonly := arn.IAM(testAccount, "policy/readonly")
	awsRO := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	readonlyDoc, _ := e.policies.PolicyDocument(context.Background(), readonly)
	awsRODoc, _ := e.policies.PolicyDocument(context.Background(), awsRO)

	out, sess := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) {
		in.Policy = &inline
		in.PolicyArns = []stsapi.PolicyDescriptorType{{Arn: &readonly}, {Arn: &awsRO}}
	}))
	// Changing a managed policy later does not change the session.
	e.policies.set(readonly, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if diff := cmp.Diff([]string{inline, readonlyDoc, awsRODoc}, sess.Principal.SessionPolicies); diff != "" {
		t.Errorf("SessionPolicies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{readonly, awsRO}, sess.Principal.SessionPolicyARNs); diff != "" {
		t.Errorf("SessionPolicyARNs (-want +got):\n%s", diff)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize < 1 || *out.PackedPolicySize > 100 {
		t.Errorf("PackedPolicySize = %v, want 1..100", out.PackedPolicySize)
	}
	sess2, err := e.svc.SessionCredential(context.Background(), sess.AccessKeyID)
	if err != nil || sess2.Principal.SessionPolicies[1] != readonlyDoc {
		t.Errorf("stored session policies changed with the managed policy: %v", err)
	}

	// Random tag text does not compress: 50 long tags overflow the budget.
	rnd := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	randText := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(b)
	}
	var big []string
	for range 50 {
		big = append(big, randText(128), randText(256))
	}

	tests := []struct {
		name   string
		fn     func(*stsapi.AssumeRoleInput)
		code   string
		prefix string
	}{
		{"unknown policy arn", func(in *stsapi.AssumeRoleInput) {
			in.PolicyArns = []stsapi.PolicyDescriptorType{{Arn: ptr("arn:aws:iam::123456789012:policy/nope")}}
		}, awserr.CodeInvalidParameterValue, "Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable."},
		{"policy arn not an arn", func(in *stsapi.AssumeRoleInput) {
			in.PolicyArns = []stsapi.PolicyDescriptorType{{Arn: ptr("policy/not-an-arn-at-all")}}
		}, awserr.CodeValidationError, "policy/not-an-arn-at-all is invalid"},
		{"malformed inline policy", func(in *stsapi.AssumeRoleInput) { in.Policy = ptr(`{"Version":`) },
			stsapi.CodeMalformedPolicyDocument, "The policy is not in the valid JSON format."},
		{"inline policy not an object", func(in *stsapi.AssumeRoleInput) { in.Policy = ptr(`["a"]`) },
			stsapi.CodeMalformedPolicyDocument, "The policy is not in the valid JSON format."},
		{"packed size over 100%", func(in *stsapi.AssumeRoleInput) { in.Tags = tags(big...) },
			stsapi.CodePackedPolicyTooLarge, "Packed policy consumes "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.assumeRole(as(userX), assumeIn("y", tc.fn))
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.HTTPStatus != http.StatusBadRequest || !strings.HasPrefix(ae.Message, tc.prefix) {
				t.Fatalf("error = %v, want %s %q…", err, tc.code, tc.prefix)
			}
		})
	}
	t.Run("no session policy and no tags: no packed size", func(t *testing.T) {
		out, _ := e.assume(t, userX, assumeIn("y"))
		if out.PackedPolicySize != nil {
			t.Errorf("PackedPolicySize = %d, want none", *out.PackedPolicySize)
		}
	})
}

func TestService_AssumeRole_Tags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, ySess := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) {
		in.Tags = tags("project", "override", "Team", "red", "Cost", "42")
		in.TransitiveTagKeys = []string{"team"}
	}))
	t.Run("session tags override role tags ignoring case", func(t *testing.T) {
		want := map[string]string{"project": "override", "Env": "dev", "Team": "red", "Cost": "42"}
		if diff := cmp.Diff(want, ySess.Principal.Tags); diff != "" {
			t.Errorf("Tags (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"Team"}, ySess.TransitiveTagKeys); diff != "" {
			t.Errorf("TransitiveTagKeys (-want +got):\n%s", diff)
		}
		if out.PackedPolicySize == nil {
			t.Error("PackedPolicySize missing with session tags")
		}
	})
	t.Run("trust policy sees tags and sts:TagSession", func(t *testing.T) {
		reqs := e.judge.requests()
		var actions []string
		for _, r := range reqs {
			actions = append(actions, r.Action)
		}
		if diff := cmp.Diff([]string{ActionAssumeRole, ActionTagSession}, actions); diff != "" {
			t.Errorf("actions judged (-want +got):\n%s", diff)
		}
		wantCtx := map[string][]string{
			"sts:RoleSessionName":    {"sess"},
			"aws:RequestTag/project": {"override"},
			"aws:RequestTag/Team":    {"red"},
			"aws:RequestTag/Cost":    {"42"},
			"aws:TagKeys":            {"project", "Team", "Cost"},
			"sts:TransitiveTagKeys":  {"team"},
		}
		if diff := cmp.Diff(wantCtx, reqs[0].Context); diff != "" {
			t.Errorf("context (-want +got):\n%s", diff)
		}
	})
	t.Run("transitive tags pass down a role chain", func(t *testing.T) {
		e.judge.reset()
		_, chained := e.assume(t, ySess.Principal, assumeIn("chain", func(in *stsapi.AssumeRoleInput) { in.Tags = tags("Stage", "2") }))
		want := map[string]string{"Tier": "2", "Team": "red", "Stage": "2"}
		if diff := cmp.Diff(want, chained.Principal.Tags); diff != "" {
			t.Errorf("Tags (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"Team"}, chained.TransitiveTagKeys); diff != "" {
			t.Errorf("TransitiveTagKeys (-want +got):\n%s", diff)
		}
		if reqs := e.judge.requests(); len(reqs) != 2 || reqs[1].Action != ActionTagSession {
			t.Errorf("judged %d requests, want sts:AssumeRole and sts:TagSession", len(reqs))
		}
	})
	t.Run("inherited transitive tags alone need sts:TagSession", func(t *testing.T) {
		e.judge.reset()
		e.assume(t, ySess.Principal, assumeIn("chain"))
		if reqs := e.judge.requests(); len(reqs) != 2 || reqs[1].Action != ActionTagSession {
			t.Errorf("judged %v, want sts:AssumeRole and sts:TagSession", reqs)
		}
	})
	t.Run("a transitive tag cannot be overridden", func(t *testing.T) {
		_, err := e.assumeRole(as(ySess.Principal), assumeIn("chain", func(in *stsapi.AssumeRoleInput) { in.Tags = tags("TEAM", "blue") }))
		checkErr(t, err, awserr.CodeInvalidParameterValue, http.StatusBadRequest,
			"One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
	})
}

func TestService_AssumeRole_SourceIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, ySess := e.assume(t, userX, assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.SourceIdentity = ptr("alice") }))
	if out.SourceIdentity == nil || *out.SourceIdentity != "alice" || ySess.Principal.SourceIdentity != "alice" {
		t.Fatalf("source identity not set: output %v, principal %q", out.SourceIdentity, ySess.Principal.SourceIdentity)
	}
	if got := e.judge.requests(); len(got) != 2 || got[1].Action != ActionSetSourceIdentity || got[0].Context["sts:SourceIdentity"][0] != "alice" {
		t.Errorf("trust requests = %+v, want sts:AssumeRole and sts:SetSourceIdentity with sts:SourceIdentity", got)
	}
	tests := []struct {
		name    string
		source  *string
		wantErr bool
	}{
		{name: "inherited along the chain"},
		{name: "same value again", source: ptr("alice")},
		{name: "cannot change", source: ptr("bob"), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.judge.reset()
			out, err := e.assumeRole(as(ySess.Principal), assumeIn("chain", func(in *stsapi.AssumeRoleInput) { in.SourceIdentity = tc.source }))
			if tc.wantErr {
				checkErr(t, err, awserr.CodeAccessDenied, http.StatusForbidden,
					"User: arn:aws:sts::123456789012:assumed-role/y/sess is not authorized to perform: sts:SetSourceIdentity on resource: arn:aws:iam::123456789012:role/chain")
				return
			}
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			if out.SourceIdentity == nil || *out.SourceIdentity != "alice" {
				t.Errorf("SourceIdentity = %v, want alice", out.SourceIdentity)
			}
			if got := e.judge.requests()[0].Context["aws:SourceIdentity"]; !cmp.Equal(got, []string{"alice"}) {
				t.Errorf("aws:SourceIdentity = %v, want [alice]", got)
			}
		})
	}
}

// TestService_AssumeRole_TrustJudgedOnce checks that the handler leaves
// the role's trust policy to the gateway (AuthzTarget's checks), so a
// caller's AssumeRole evaluates it once per action, not twice.
func TestService_AssumeRole_TrustJudgedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := assumeIn("y", func(in *stsapi.AssumeRoleInput) { in.Tags = tags("k", "v"); in.SourceIdentity = ptr("alice") })
	if _, err := e.svc.AssumeRole(as(userX), in); err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if reqs := e.judge.requests(); len(reqs) != 0 {
		t.Errorf("the handler judged the trust policy %d times, want 0 (the gateway does)", len(reqs))
	}
	if _, err := e.assumeRole(as(userX), in); err != nil {
		t.Fatalf("AssumeRole through the checks: %v", err)
	}
	var actions []string
	for _, r := range e.judge.requests() {
		actions = append(actions, r.Action)
	}
	if diff := cmp.Diff([]string{ActionAssumeRole, ActionTagSession, ActionSetSourceIdentity}, actions); diff != "" {
		t.Errorf("actions judged (-want +got):\n%s", diff)
	}
}
