// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse_ValidationMessages(t *testing.T) {
	const stmt = `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string // "" means valid
	}{
		{"valid identity", KindIdentity, `{"Version":"2012-10-17","Statement":{` + stmt + `}}`, ""},
		{"statement array", KindIdentity, `{"Version":"2012-10-17","Statement":[{` + stmt + `},{` + stmt + `}]}`, ""},
		{"version 2008 inline", KindIdentity, `{"Version":"2008-10-17","Statement":{` + stmt + `}}`, ""},
		{"no version inline", KindIdentity, `{"Statement":{` + stmt + `}}`, ""},
		{"id allowed", KindIdentity, `{"Version":"2012-10-17","Id":"x","Statement":{` + stmt + `}}`, ""},
		{"not json", KindIdentity, `{"Version":`, msgSyntax},
		{"trailing garbage", KindIdentity, `{"Statement":{` + stmt + `}} x`, msgSyntax},
		{"not an object", KindIdentity, `[]`, msgSyntax},
		{"missing statement", KindIdentity, `{"Version":"2012-10-17"}`, msgSyntax},
		{"empty statement list", KindIdentity, `{"Version":"2012-10-17","Statement":[]}`, msgSyntax},
		{"unknown top-level field", KindIdentity, `{"Version":"2012-10-17","Foo":1,"Statement":{` + stmt + `}}`, msgSyntax},
		{"unknown version", KindIdentity, `{"Version":"2020-01-01","Statement":{` + stmt + `}}`, msgSyntax},
		{"unknown statement field", KindIdentity, `{"Statement":{` + stmt + `,"Foo":"x"}}`, msgSyntax},
		{"duplicate key", KindIdentity, `{"Statement":{` + stmt + `,"Effect":"Deny"}}`, msgSyntax},
		{"missing effect", KindIdentity, `{"Statement":{"Action":"s3:*","Resource":"*"}}`, msgSyntax},
		{"invalid effect", KindIdentity, `{"Statement":{"Effect":"Permit","Action":"s3:*","Resource":"*"}}`, msgSyntax},
		{"effect wrong case", KindIdentity, `{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`, msgLegacy},
		{"action and notaction", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}}`, msgSyntax},
		{"action not a string", KindIdentity, `{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`, msgSyntax},
		{"condition value object", KindIdentity, `{"Statement":{` + stmt + `,"Condition":{"StringEquals":{"aws:username":{"a":1}}}}}`, msgSyntax},
		{"unknown operator", KindIdentity, `{"Statement":{` + stmt + `,"Condition":{"StringSortOf":{"aws:username":"a"}}}}`, msgSyntax},
		{"unknown operator with empty body", KindIdentity, `{"Statement":{` + stmt + `,"Condition":{"StringSortOf":{}}}}`, ""},
		{"bad date is a legacy failure", KindIdentity, `{"Statement":{` + stmt + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}}}`, msgLegacy},
		{"short ARN with double colon", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3::b"}}`, msgLegacy},
		{"managed needs 2012", KindManaged, `{"Statement":{` + stmt + `}}`, msgVersion},
		{"managed 2008", KindManaged, `{"Version":"2008-10-17","Statement":{` + stmt + `}}`, msgVersion},
		{"managed 2012", KindManaged, `{"Version":"2012-10-17","Statement":{` + stmt + `}}`, ""},
		{"missing action", KindIdentity, `{"Statement":{"Effect":"Allow","Resource":"*"}}`, msgNoActions},
		{"empty action list", KindIdentity, `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, msgNoActions},
		{"missing resource", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*"}}`, msgNoResources},
		{"empty resource list", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":[]}}`, msgNoResources},
		{"resource not an ARN", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"my-bucket"}}`, `Resource my-bucket must be in ARN format or "*".`},
		{"bad partition", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:foo:s3:::b"}}`, `Partition "foo" is not valid for resource "arn:foo:s3:::b".`},
		{"no vendor in resource", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws"}}`, msgVendorRegex},
		{"iam resource with region", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:111122223333:user/x"}}`, "IAM resource arn:aws:iam:us-east-1:111122223333:user/x cannot contain region information."},
		{"s3 resource with region", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-east-1::b"}}`, "Resource arn:aws:s3:us-east-1::b can not contain region information."},
		{"iam resource path", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:thing/x"}}`, msgIAMResourcePrefix},
		{"action without vendor", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, msgVendor},
		{"action with two colons", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}}`, msgOneColon},
		{"wildcard vendor", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"*:Untag*","Resource":"*"}}`, msgVendorWildcard},
		{"invalid vendor", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s_3:Get","Resource":"*"}}`, "Vendor s_3 is not valid"},
		{"condition key without vendor", KindIdentity, `{"Statement":{` + stmt + `,"Condition":{"Bool":{"SecureTransport":"true"}}}}`, msgVendor},
		{"sid not alphanumeric", KindIdentity, `{"Statement":{"Sid":"my-sid",` + stmt + `}}`, msgSidAlnum},
		{"sid duplicated", KindIdentity, `{"Statement":[{"Sid":"A",` + stmt + `},{"Sid":"A",` + stmt + `}]}`, msgSidUnique},
		{"resource policy sid with spaces", KindResource, `{"Statement":{"Sid":"Allow all","Principal":"*",` + stmt + `}}`, ""},
		{"identity with principal", KindIdentity, `{"Statement":{"Principal":{"AWS":"111122223333"},` + stmt + `}}`, msgNoPrincipalAllow},
		{"boundary with principal", KindBoundary, `{"Version":"2012-10-17","Statement":{"NotPrincipal":{"AWS":"111122223333"},` + stmt + `}}`, msgNoPrincipalAllow},
		{"session with principal", KindSession, `{"Statement":{"Principal":"*",` + stmt + `}}`, msgNoPrincipalAllow},
		{"resource without principal", KindResource, `{"Statement":{` + stmt + `}}`, msgResourceNoPrinc},
		{"trust without principal", KindTrust, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, msgTrustNoPrincipal},
		{"trust with resource", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}`, "Has prohibited field Resource"},
		{"trust with notresource", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","NotResource":"*"}}`, "Has prohibited field NotResource"},
		{"valid trust", KindTrust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"],"AWS":["111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/path/r","arn:aws:sts::111122223333:assumed-role/r/s","arn:aws:iam::111122223333:user/u"],"Federated":"cognito-identity.amazonaws.com"},"Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`, ""},
		{"principal star string", KindResource, `{"Statement":{"Principal":"*",` + stmt + `}}`, ""},
		{"principal other string", KindResource, `{"Statement":{"Principal":"bob",` + stmt + `}}`, "Invalid principal in policy"},
		{"principal short account", KindResource, `{"Statement":{"Principal":{"AWS":"arn:aws:iam::12345:user/x"},` + stmt + `}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::12345:user/x"`},
		{"principal partial wildcard", KindResource, `{"Statement":{"Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},` + stmt + `}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"`},
		{"principal bad service", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"Service":"amazonaws.com"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "SERVICE":"amazonaws.com"`},
		{"principal unknown type", KindResource, `{"Statement":{"Principal":{"Group":"admins"},` + stmt + `}}`, `Invalid principal in policy: "GROUP":"admins"`},
		{"assumed role needs a session", KindResource, `{"Statement":{"Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/r"},` + stmt + `}}`, `Invalid principal in policy: "AWS":"arn:aws:sts::111122223333:assumed-role/r"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc, tc.kind)
			got := ""
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("error %v is not a *ValidationError", err)
				}
				got = ve.Message
			}
			if got != tc.want {
				t.Errorf("message = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParse_StatementPositions(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\n      \"Sid\": \"B\",\n      \"Effect\": \"Deny\",\n      \"Action\": \"s3:Delete*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"
	p, err := Parse(doc, KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	got := [][2]Position{}
	for _, s := range p.Statements {
		got = append(got, [2]Position{s.Start, s.End})
	}
	want := [][2]Position{
		{{Line: 4, Column: 5}, {Line: 4, Column: 70}},
		{{Line: 5, Column: 5}, {Line: 10, Column: 5}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	c := Compile(p)
	ctx := &Context{}
	in := &Input{Principal: Principal{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/a", Account: "111122223333"},
		Identity: []*Compiled{c}, Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k", Context: ctx}
	r := Evaluate(in)
	if r.Decision != ExplicitDeny || len(r.Matched) != 1 || r.Matched[0].Sid != "B" || r.Matched[0].Start != (Position{5, 5}) || r.Matched[0].End != (Position{10, 5}) {
		t.Errorf("result = %+v", r)
	}
}

func TestSize(t *testing.T) {
	if got := Size("{ \"Version\" :\n\t\"2012-10-17\" }"); got != len(`{"Version":"2012-10-17"}`) {
		t.Errorf("Size = %d", got)
	}
}

func TestContextKeys(t *testing.T) {
	p, err := Parse(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringEquals":{"aws:PrincipalTag/Team":"${aws:PrincipalTag/Team}"},"Bool":{"aws:SecureTransport":"true"}}},
	  {"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"AWS:SourceIp":"10.0.0.0/8"}}}]}`, KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	old, err := Parse(`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:userid}","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`, KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	got := ContextKeys(p, old)
	want := []string{"aws:PrincipalTag/Team", "aws:SecureTransport", "aws:username", "AWS:SourceIp"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ContextKeys (-want +got):\n%s", diff)
	}
}

func TestContext_SetAddLookupReset(t *testing.T) {
	c := &Context{}
	c.Set("AWS:SourceIp", "10.0.0.1")
	c.Add("aws:TagKeys", "a")
	c.Set("aws:username", "alice")
	c.Add("AWS:TAGKEYS", "b")
	c.Set("aws:CalledVia")
	tests := []struct {
		key  string
		want []string
		ok   bool
	}{
		{"aws:sourceip", []string{"10.0.0.1"}, true},
		{"aws:tagkeys", []string{"a", "b"}, true},
		{"aws:calledvia", []string{}, true},
		{"aws:userid", nil, false},
	}
	for _, tc := range tests {
		got, ok := c.Lookup(tc.key)
		if ok != tc.ok || !cmp.Equal(append([]string{}, got...), append([]string{}, tc.want...)) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	c.Set("aws:sourceip", "10.0.0.2")
	if v, _ := c.Lookup("aws:SourceIP"); len(v) != 1 || v[0] != "10.0.0.2" {
		t.Errorf("after Set: %v", v)
	}
	c.Delete("aws:username")
	if _, ok := c.Lookup("aws:username"); ok {
		t.Error("Delete left the key")
	}
	c.Reset()
	if c.Len() != 0 {
		t.Errorf("Reset left %d keys", c.Len())
	}
	allocs := testing.AllocsPerRun(100, func() {
		c.Reset()
		c.Set("aws:SourceIp", "10.0.0.1")
		c.Set("aws:PrincipalTag/Team", "web")
		c.Add("aws:TagKeys", "x")
		c.Add("aws:TagKeys", "y")
	})
	if allocs != 0 {
		t.Errorf("steady-state Context use allocates %v times", allocs)
	}
}

func TestAccessDeniedMessage(t *testing.T) {
	in := &Input{Principal: Principal{ARN: "arn:aws:iam::123456789012:user/JohnDoe"}, Action: "codedeploy:ListDeployments",
		Resource: "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:*"}
	const pre = "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codedeploy:ListDeployments on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* "
	tests := []struct {
		r    Result
		want string
	}{
		{Result{Decision: Allowed}, ""},
		{Result{Decision: ExplicitDeny, DecidedBy: TypeIdentity}, pre + "with an explicit deny in an identity-based policy"},
		{Result{Decision: ExplicitDeny, DecidedBy: TypeResource}, pre + "with an explicit deny in a resource-based policy"},
		{Result{Decision: ExplicitDeny, DecidedBy: TypeBoundary}, pre + "with an explicit deny in a permissions boundary"},
		{Result{Decision: ExplicitDeny, DecidedBy: TypeSession}, pre + "with an explicit deny in a session policy"},
		{Result{Decision: ImplicitDeny, DecidedBy: TypeIdentity}, pre + "because no identity-based policy allows the codedeploy:ListDeployments action"},
		{Result{Decision: ImplicitDeny, DecidedBy: TypeResource}, pre + "because no resource-based policy allows the codedeploy:ListDeployments action"},
		{Result{Decision: ImplicitDeny, DecidedBy: TypeBoundary}, pre + "because no permissions boundary allows the codedeploy:ListDeployments action"},
		{Result{Decision: ImplicitDeny, DecidedBy: TypeSession}, pre + "because no session policy allows the codedeploy:ListDeployments action"},
	}
	for _, tc := range tests {
		if got := AccessDeniedMessage(in, tc.r); got != tc.want {
			t.Errorf("%v/%v: got %q\nwant %q", tc.r.Decision, tc.r.DecidedBy, got, tc.want)
		}
	}
}
