// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/store/storetest"
)

// newSimService returns a Service whose simulator is the real policy
// engine.
func newSimService(t *testing.T) *Service {
	t.Helper()
	s, err := New(Config{AccountID: testAccount, Clock: func() time.Time { return testNow }},
		Deps{Store: storetest.New(t), Validator: fakeValidator{}, Engine: authz.NewEngine(authz.EngineDeps{})})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// adminDoc is AdministratorAccess as AWS formats it; IAM's simulator
// reports its statement at 3:17–8:6.
const adminDoc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"

func TestStatementSpan(t *testing.T) {
	compact := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`
	spaced := `{"Version":"2012-10-17","Statement":[ {"Effect":"Allow","Action":"*","Resource":"*"} , {"Effect":"Deny","Action":"*","Resource":"*"} ]}`
	single := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	tests := []struct {
		name       string
		doc        string
		stmt       int
		start, end [2]int32
	}{
		{"pretty first statement", adminDoc, 0, [2]int32{3, 17}, [2]int32{8, 6}},
		{"compact first statement", compact, 0, [2]int32{1, 38}, [2]int32{1, 105}},
		{"compact second statement starts at its comma", compact, 1, [2]int32{1, 105}, [2]int32{1, 172}},
		{"spaces around the comma", spaced, 1, [2]int32{1, 85}, [2]int32{1, 133}},
		{"statement object", single, 0, [2]int32{1, 37}, [2]int32{1, 83}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.Parse(tc.doc, policy.KindIdentity)
			if err != nil {
				t.Fatal(err)
			}
			st := p.Statements[tc.stmt]
			start, end := statementSpan(tc.doc, st.Start, st.End)
			got := [2][2]int32{{*start.Line, *start.Column}, {*end.Line, *end.Column}}
			if want := [2][2]int32{tc.start, tc.end}; got != want {
				t.Errorf("span = %v, want %v", got, want)
			}
		})
	}
}

// decisions summarizes results as "action resource decision".
func decisions(results []iamapi.EvaluationResult) []string {
	var out []string
	for _, r := range results {
		out = append(out, *r.EvalActionName+" "+*r.EvalResourceName+" "+*r.EvalDecision)
	}
	return out
}

func TestService_SimulateCustomPolicy(t *testing.T) {
	t.Parallel()
	s := newSimService(t)
	ctx := rootCtx()
	allow := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:GetObject","Resource":"*"}]}`
	cond := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`
	tests := []struct {
		name      string
		in        *iamapi.SimulateCustomPolicyInput
		want      []string
		matched   []string // SourcePolicyId of the first result's matched statements
		missing   []string
		resources int // ResourceSpecificResults of the first result
	}{
		{
			name:    "allowed on the resource",
			in:      &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{allow}, ActionNames: []string{"s3:GetObject", "s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::b/k"}},
			want:    []string{"s3:GetObject arn:aws:s3:::b/k allowed", "s3:PutObject arn:aws:s3:::b/k implicitDeny"},
			matched: []string{"PolicyInputList.1"}, missing: []string{}, resources: 1,
		},
		{
			name:    "NotAction deny",
			in:      &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{allow, deny}, ActionNames: []string{"s3:DeleteObject"}},
			want:    []string{"s3:DeleteObject * explicitDeny"},
			matched: []string{"PolicyInputList.2"}, missing: []string{},
		},
		{
			name:    "condition key missing",
			in:      &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{cond}, ActionNames: []string{"ecs:ListClusters"}},
			want:    []string{"ecs:ListClusters * implicitDeny"},
			matched: []string{}, missing: []string{"aws:RequestedRegion"},
		},
		{
			name: "condition key supplied",
			in: &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{cond}, ActionNames: []string{"ecs:ListClusters"},
				ContextEntries: []iamapi.ContextEntry{{ContextKeyName: str("aws:RequestedRegion"), ContextKeyValues: []string{"eu-west-1"}, ContextKeyType: str("string")}}},
			want:    []string{"ecs:ListClusters * allowed"},
			matched: []string{"PolicyInputList.1"}, missing: []string{},
		},
		{
			name:    "several resources",
			in:      &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{allow}, ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::b/k", "arn:aws:s3:::other/k"}},
			want:    []string{"s3:GetObject arn:aws:s3:::${BucketName}/${ObjectName} implicitDeny"},
			matched: []string{}, missing: []string{}, resources: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.SimulateCustomPolicy(ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, decisions(out.EvaluationResults)); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
			r := out.EvaluationResults[0]
			var matched []string
			for _, m := range r.MatchedStatements {
				matched = append(matched, *m.SourcePolicyId)
				if *m.SourcePolicyType != "IAM Policy" {
					t.Errorf("SourcePolicyType = %q, want IAM Policy", *m.SourcePolicyType)
				}
			}
			if matched == nil {
				matched = []string{}
			}
			if diff := cmp.Diff(tc.matched, matched); diff != "" {
				t.Errorf("matched (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.missing, r.MissingContextValues); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			if len(r.ResourceSpecificResults) != tc.resources {
				t.Errorf("ResourceSpecificResults = %d, want %d", len(r.ResourceSpecificResults), tc.resources)
			}
		})
	}
}

func TestService_SimulateCustomPolicy_PerResource(t *testing.T) {
	t.Parallel()
	s := newSimService(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::good/*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::bad/*"}]}`
	out := must[*iamapi.SimulateCustomPolicyOutput](t)(s.SimulateCustomPolicy(rootCtx(), &iamapi.SimulateCustomPolicyInput{
		PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		ResourceArns: []string{"arn:aws:s3:::good/k", "arn:aws:s3:::bad/k"},
	}))
	r := out.EvaluationResults[0]
	if *r.EvalDecision != "explicitDeny" {
		t.Errorf("EvalDecision = %s, want explicitDeny (one resource denied)", *r.EvalDecision)
	}
	type span struct{ Decision, Start, End string }
	var got []span
	for _, rr := range r.ResourceSpecificResults {
		m := rr.MatchedStatements[0]
		got = append(got, span{*rr.EvalResourceDecision,
			fmtPos(m.StartPosition), fmtPos(m.EndPosition)})
	}
	want := []span{{"allowed", "1:38", "1:113"}, {"explicitDeny", "1:113", "1:187"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("per-resource results (-want +got):\n%s", diff)
	}
}

func fmtPos(p *iamapi.Position) string {
	return itoa(int(*p.Line)) + ":" + itoa(int(*p.Column))
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestService_SimulatePrincipalPolicy(t *testing.T) {
	t.Parallel()
	s := newSimService(t)
	ctx := rootCtx()
	boundary := *must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("boundary"),
		PolicyDocument: str(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ecs:*"],"Resource":"*"}]}`)})).Policy.Arn
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("alice"), PermissionsBoundary: &boundary}))
	must[*iamapi.PutUserPolicyOutput](t)(s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("S3Get"), PolicyDocument: str(allowS3)}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("ops")}))
	must[*iamapi.AttachGroupPolicyOutput](t)(s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: str("ops"), PolicyArn: str("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	must[*iamapi.AddUserToGroupOutput](t)(s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: str("ops"), UserName: str("alice")}))
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("app"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.PutRolePolicyOutput](t)(s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: str("app"), PolicyName: str("all"), PolicyDocument: str(allowAll)}))

	user := "arn:aws:iam::123456789012:user/alice"
	out := must[*iamapi.SimulatePrincipalPolicyOutput](t)(s.SimulatePrincipalPolicy(ctx, &iamapi.SimulatePrincipalPolicyInput{
		PolicySourceArn: &user, ActionNames: []string{"s3:GetObject", "iam:GetRole", "ecs:ListClusters"},
	}))
	want := []string{"s3:GetObject * allowed", "iam:GetRole * implicitDeny", "ecs:ListClusters * implicitDeny"}
	if diff := cmp.Diff(want, decisions(out.EvaluationResults)); diff != "" {
		t.Errorf("user decisions (-want +got):\n%s", diff)
	}
	var ids []string
	for _, m := range out.EvaluationResults[0].MatchedStatements {
		ids = append(ids, *m.SourcePolicyId)
	}
	if diff := cmp.Diff([]string{"user_alice_S3Get", "boundary"}, ids); diff != "" {
		t.Errorf("matched policies (-want +got):\n%s", diff)
	}
	byBoundary := func(r iamapi.EvaluationResult) bool {
		return r.PermissionsBoundaryDecisionDetail != nil && *r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary
	}
	if got := []bool{byBoundary(out.EvaluationResults[0]), byBoundary(out.EvaluationResults[1]), byBoundary(out.EvaluationResults[2])}; !cmp.Equal(got, []bool{true, false, true}) {
		t.Errorf("AllowedByPermissionsBoundary = %v, want [true false true] (the group grants iam:GetRole, the boundary does not)", got)
	}

	// A group's policies.
	out = must[*iamapi.SimulatePrincipalPolicyOutput](t)(s.SimulatePrincipalPolicy(ctx, &iamapi.SimulatePrincipalPolicyInput{
		PolicySourceArn: str("arn:aws:iam::123456789012:group/ops"), ActionNames: []string{"iam:GetRole", "s3:GetObject"},
	}))
	if diff := cmp.Diff([]string{"iam:GetRole * allowed", "s3:GetObject * implicitDeny"}, decisions(out.EvaluationResults)); diff != "" {
		t.Errorf("group decisions (-want +got):\n%s", diff)
	}
	if id := *out.EvaluationResults[0].MatchedStatements[0].SourcePolicyId; id != "IAMReadOnlyAccess" {
		t.Errorf("group's managed policy id = %q, want IAMReadOnlyAccess", id)
	}

	// A boundary in the request replaces the user's own.
	out = must[*iamapi.SimulatePrincipalPolicyOutput](t)(s.SimulatePrincipalPolicy(ctx, &iamapi.SimulatePrincipalPolicyInput{
		PolicySourceArn: &user, ActionNames: []string{"iam:GetRole"},
		PermissionsBoundaryPolicyInputList: []string{allowAll},
	}))
	if diff := cmp.Diff([]string{"iam:GetRole * allowed"}, decisions(out.EvaluationResults)); diff != "" {
		t.Errorf("with a boundary input (-want +got):\n%s", diff)
	}

	// A role's policies, with an extra policy and pagination.
	role := "arn:aws:iam::123456789012:role/app"
	out = must[*iamapi.SimulatePrincipalPolicyOutput](t)(s.SimulatePrincipalPolicy(ctx, &iamapi.SimulatePrincipalPolicyInput{
		PolicySourceArn: &role, ActionNames: []string{"ecs:RunTask", "ec2:RunInstances", "s3:GetObject"}, MaxItems: i32(2),
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`},
	}))
	if diff := cmp.Diff([]string{"ecs:RunTask * allowed", "ec2:RunInstances * explicitDeny"}, decisions(out.EvaluationResults)); diff != "" {
		t.Errorf("role page 1 (-want +got):\n%s", diff)
	}
	if !*out.IsTruncated || out.Marker == nil {
		t.Fatalf("IsTruncated = %v, Marker = %v; want a second page", *out.IsTruncated, out.Marker)
	}
	if id := *out.EvaluationResults[0].MatchedStatements[0].SourcePolicyId; id != "role_app_all" {
		t.Errorf("role inline policy id = %q, want role_app_all", id)
	}
	out = must[*iamapi.SimulatePrincipalPolicyOutput](t)(s.SimulatePrincipalPolicy(ctx, &iamapi.SimulatePrincipalPolicyInput{
		PolicySourceArn: &role, ActionNames: []string{"ecs:RunTask", "ec2:RunInstances", "s3:GetObject"}, MaxItems: i32(2), Marker: out.Marker,
	}))
	if diff := cmp.Diff([]string{"s3:GetObject * allowed"}, decisions(out.EvaluationResults)); diff != "" {
		t.Errorf("role page 2 (-want +got):\n%s", diff)
	}
}

func TestService_Simulate_ResourcePolicy(t *testing.T) {
	t.Parallel()
	s := newSimService(t)
	ctx := rootCtx()
	bucketPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`
	in := &iamapi.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`},
		ActionNames:     []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::shared/k"}, ResourcePolicy: &bucketPolicy,
	}
	_, err := s.SimulateCustomPolicy(ctx, in)
	wantErr(t, err, "InvalidInput", "")

	in.CallerArn = str("arn:aws:iam::123456789012:user/bob")
	out := must[*iamapi.SimulateCustomPolicyOutput](t)(s.SimulateCustomPolicy(ctx, in))
	r := out.EvaluationResults[0]
	if *r.EvalDecision != "allowed" || len(r.MatchedStatements) != 1 || *r.MatchedStatements[0].SourcePolicyId != "ResourcePolicy" {
		t.Fatalf("same account, bucket policy names bob: %s %+v, want allowed by ResourcePolicy", *r.EvalDecision, r.MatchedStatements)
	}

	in.ResourceOwner = str("arn:aws:iam::210987654321:root")
	out = must[*iamapi.SimulateCustomPolicyOutput](t)(s.SimulateCustomPolicy(ctx, in))
	r = out.EvaluationResults[0]
	if *r.EvalDecision != "implicitDeny" {
		t.Errorf("cross-account without an identity allow: %s, want implicitDeny", *r.EvalDecision)
	}
	want := map[string]string{"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}
	if diff := cmp.Diff(want, r.EvalDecisionDetails); diff != "" {
		t.Errorf("EvalDecisionDetails (-want +got):\n%s", diff)
	}
}

func TestService_Simulate_Errors(t *testing.T) {
	t.Parallel()
	s := newSimService(t)
	ctx := rootCtx()
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown user", func() error {
			_, err := s.SimulatePrincipalPolicy(ctx, &iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: str("arn:aws:iam::123456789012:user/nobody"), ActionNames: []string{"s3:GetObject"}})
			return err
		}, "NoSuchEntity"},
		{"source is not an entity", func() error {
			_, err := s.SimulatePrincipalPolicy(ctx, &iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: str("arn:aws:s3:::some-bucket-name"), ActionNames: []string{"s3:GetObject"}})
			return err
		}, "InvalidInput"},
		{"missing action names", func() error {
			_, err := s.SimulateCustomPolicy(ctx, &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{allowAll}})
			return err
		}, "ValidationError"},
		{"malformed policy", func() error {
			_, err := s.SimulateCustomPolicy(ctx, &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Version":"2012-10-17"`}, ActionNames: []string{"s3:GetObject"}})
			return err
		}, "InvalidInput"},
		{"caller is a role", func() error {
			_, err := s.SimulateCustomPolicy(ctx, &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{allowAll}, ActionNames: []string{"s3:GetObject"}, CallerArn: str("arn:aws:iam::123456789012:role/r")})
			return err
		}, "InvalidInput"},
		{"bad context key type", func() error {
			_, err := s.SimulateCustomPolicy(ctx, &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{allowAll}, ActionNames: []string{"s3:GetObject"},
				ContextEntries: []iamapi.ContextEntry{{ContextKeyName: str("aws:username"), ContextKeyType: str("text")}}})
			return err
		}, "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.call(), tc.code, "") })
	}
}

func TestService_GetContextKeys(t *testing.T) {
	t.Parallel()
	s := newSimService(t)
	ctx := rootCtx()
	withKeys := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	custom := must[*iamapi.GetContextKeysForCustomPolicyOutput](t)(s.GetContextKeysForCustomPolicy(ctx, &iamapi.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{withKeys}}))
	if diff := cmp.Diff([]string{"aws:SourceIp", "aws:username"}, custom.ContextKeyNames); diff != "" {
		t.Errorf("custom keys (-want +got):\n%s", diff)
	}
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("carol")}))
	must[*iamapi.PutUserPolicyOutput](t)(s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: str("carol"), PolicyName: str("p"), PolicyDocument: &withKeys}))
	principal := must[*iamapi.GetContextKeysForPrincipalPolicyOutput](t)(s.GetContextKeysForPrincipalPolicy(ctx, &iamapi.GetContextKeysForPrincipalPolicyInput{
		PolicySourceArn: str("arn:aws:iam::123456789012:user/carol"),
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`},
	}))
	if diff := cmp.Diff([]string{"aws:SourceIp", "aws:username", "aws:MultiFactorAuthPresent"}, principal.ContextKeyNames); diff != "" {
		t.Errorf("principal keys (-want +got):\n%s", diff)
	}
	_, err := s.GetContextKeysForPrincipalPolicy(ctx, &iamapi.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: str("arn:aws:iam::123456789012:role/none")})
	wantErr(t, err, "NoSuchEntity", "")
}
