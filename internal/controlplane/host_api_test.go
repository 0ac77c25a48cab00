// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/berthdev/berth/internal/testutil"
)

const (
	ec2TrustDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	tasksTrustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	launchPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:RunInstances","ec2:Describe*"],"Resource":"*"}]}`
	passPolicy    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/ecsInstanceRole",
		"Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}`
)

// hostClient speaks the host API as a host's agent would.
type hostClient struct {
	t    *testing.T
	base string
}

// do sends a request and decodes the JSON answer into v; it returns the
// status and the error code of an error answer.
func (h hostClient) do(method, path, bearer string, body, v any) (int, string) {
	h.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		h.t.Fatalf("%s %s: %d, body is not JSON: %v", method, path, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		_ = json.Unmarshal(raw, &e)
		return resp.StatusCode, e.Code
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			h.t.Fatal(err)
		}
	}
	return resp.StatusCode, ""
}

type hostCreds struct {
	Code, Type, AccessKeyId, SecretAccessKey, Token, Expiration          string
	InstanceId, InstanceProfileArn, InstanceProfileId, RoleArn, RoleName string
}

// TestHost_InstanceRoleLifecycle runs the whole story of a host through the
// control plane: launch with PassRole, join once, credentials only while
// the trust policy allows EC2, profile changes at the next refresh, and a
// signed identity document.
func TestHost_InstanceRoleLifecycle(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	root := iam.NewFromConfig(cp.RootConfig())
	rootEC2 := ec2.NewFromConfig(cp.RootConfig())
	for _, r := range []struct{ role, trust string }{{"ecsInstanceRole", ec2TrustDoc}, {"batchRole", ec2TrustDoc}} {
		if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.role), AssumeRolePolicyDocument: aws.String(r.trust)}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(r.role)}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(r.role), RoleName: aws.String(r.role)}); err != nil {
			t.Fatal(err)
		}
	}

	// A launcher allowed ec2:RunInstances but not iam:PassRole is refused.
	launcher := ec2.NewFromConfig(newUser(t, cp, "launcher"))
	putPolicy := func(name, doc string) {
		if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("launcher"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	runIn := &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("ecsInstanceRole")},
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("host-a")}}}}}
	_, err := launcher.RunInstances(ctx, runIn)
	if ae, status := apiError(t, err); ae.ErrorCode() != "UnauthorizedOperation" || status != http.StatusForbidden {
		t.Fatalf("RunInstances without ec2:RunInstances: %v, want UnauthorizedOperation", err)
	}
	putPolicy("launch", launchPolicy)
	_, err = launcher.RunInstances(ctx, runIn)
	ae, status := apiError(t, err)
	if ae.ErrorCode() != "UnauthorizedOperation" || status != http.StatusForbidden ||
		!strings.Contains(ae.ErrorMessage(), "is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/ecsInstanceRole") {
		t.Fatalf("RunInstances without iam:PassRole: %v, want UnauthorizedOperation naming iam:PassRole", err)
	}
	putPolicy("pass", passPolicy)
	run, err := launcher.RunInstances(ctx, runIn)
	if err != nil {
		t.Fatalf("RunInstances with iam:PassRole: %v", err)
	}
	inst := run.Instances[0]
	id := aws.ToString(inst.InstanceId)
	var token string
	for _, tg := range inst.Tags {
		if aws.ToString(tg.Key) == "berth:join-token" {
			token = aws.ToString(tg.Value)
		}
	}
	if token == "" || inst.State.Name != ec2types.InstanceStateNamePending {
		t.Fatalf("RunInstances = %+v, want a pending instance with a join token tag", inst)
	}

	// DescribeInstances shows it, without the token.
	d, err := launcher.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("tag:Name"), Values: []string{"host-a"}}}})
	if err != nil || len(d.Reservations) != 1 || len(d.Reservations[0].Instances) != 1 {
		t.Fatalf("DescribeInstances = %+v, %v", d, err)
	}
	described := d.Reservations[0].Instances[0]
	if aws.ToString(described.InstanceId) != id || !strings.HasSuffix(aws.ToString(described.IamInstanceProfile.Arn), ":instance-profile/ecsInstanceRole") || len(described.Tags) != 1 {
		t.Errorf("described instance = %+v", described)
	}

	// The token joins once.
	host := hostClient{t: t, base: cp.URL}
	var joined struct{ InstanceId, HostSecret, Region, AccountId, AvailabilityZone string }
	join := map[string]string{"token": token, "hostname": "host-a.local", "privateIp": "10.0.0.7", "architecture": "arm64"}
	if st, code := host.do("POST", "/_berth/host/join", "", join, &joined); st != http.StatusOK {
		t.Fatalf("join: %d %s", st, code)
	}
	if joined.InstanceId != id || len(joined.HostSecret) < 40 || joined.Region != testutil.Region || joined.AccountId != testutil.AccountID {
		t.Fatalf("join answer = %+v", joined)
	}
	if st, code := host.do("POST", "/_berth/host/join", "", join, nil); st != http.StatusUnauthorized || code != "InvalidJoinToken" {
		t.Fatalf("second join: %d %s, want 401 InvalidJoinToken", st, code)
	}
	bearer := id + "." + joined.HostSecret

	credentials := func() (hostCreds, int, string) {
		var c hostCreds
		st, code := host.do("GET", "/_berth/host/credentials", bearer, nil, &c)
		return c, st, code
	}
	// Credentials of the profile's role, usable against the control plane.
	c, st, code := credentials()
	if st != http.StatusOK || c.RoleName != "ecsInstanceRole" || c.Code != "Success" || c.InstanceId != id ||
		!strings.HasSuffix(c.InstanceProfileArn, ":instance-profile/ecsInstanceRole") || !strings.HasPrefix(c.InstanceProfileId, "AIPA") {
		t.Fatalf("credentials = %+v, %d %s", c, st, code)
	}
	if exp, err := time.Parse(time.RFC3339, c.Expiration); err != nil || time.Until(exp) < 50*time.Minute {
		t.Errorf("Expiration = %q, %v", c.Expiration, err)
	}
	who, err := sts.NewFromConfig(testutil.Config(cp.URL, c.AccessKeyId, c.SecretAccessKey, c.Token)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::123456789012:assumed-role/ecsInstanceRole/"+id {
		t.Fatalf("GetCallerIdentity with the host's credentials = %v, %v", who, err)
	}
	if st, code := host.do("GET", "/_berth/host/credentials", id+".wrong", nil, nil); st != http.StatusUnauthorized || code != "Unauthorized" {
		t.Errorf("credentials with a wrong secret: %d %s", st, code)
	}

	// Refused while the trust policy does not allow ec2.amazonaws.com.
	setTrust := func(doc string) {
		if _, err := root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ecsInstanceRole"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	setTrust(tasksTrustDoc)
	if _, st, code := credentials(); st != http.StatusForbidden || code != "TrustPolicyDenied" {
		t.Fatalf("credentials with a trust policy without EC2: %d %s, want 403 TrustPolicyDenied", st, code)
	}
	setTrust(ec2TrustDoc)
	if _, st, _ := credentials(); st != http.StatusOK {
		t.Fatalf("credentials after restoring the trust policy: %d", st)
	}

	// Replace and disassociate change what the next refresh returns.
	assocs, err := rootEC2.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}}})
	if err != nil || len(assocs.IamInstanceProfileAssociations) != 1 {
		t.Fatalf("DescribeIamInstanceProfileAssociations = %+v, %v", assocs, err)
	}
	rep, err := rootEC2.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId:      assocs.IamInstanceProfileAssociations[0].AssociationId,
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("batchRole")}})
	if err != nil {
		t.Fatalf("ReplaceIamInstanceProfileAssociation: %v", err)
	}
	if c, st, _ := credentials(); st != http.StatusOK || c.RoleName != "batchRole" {
		t.Fatalf("credentials after Replace = %+v, %d; want batchRole", c, st)
	}
	if _, err := rootEC2.DisassociateIamInstanceProfile(ctx, &ec2.DisassociateIamInstanceProfileInput{AssociationId: rep.IamInstanceProfileAssociation.AssociationId}); err != nil {
		t.Fatal(err)
	}
	if _, st, code := credentials(); st != http.StatusNotFound || code != "NoInstanceProfile" {
		t.Fatalf("credentials after Disassociate: %d %s, want 404 NoInstanceProfile", st, code)
	}

	// The identity document verifies with the published key; a tampered one does not.
	var ident struct{ Document, Signature string }
	if st, code := host.do("GET", "/_berth/host/identity", bearer, nil, &ident); st != http.StatusOK {
		t.Fatalf("identity: %d %s", st, code)
	}
	var doc struct{ InstanceId, PrivateIp, Architecture, Region, Version string }
	if err := json.Unmarshal([]byte(ident.Document), &doc); err != nil || doc.InstanceId != id || doc.PrivateIp != "10.0.0.7" ||
		doc.Architecture != "arm64" || doc.Version != "2017-09-30" {
		t.Fatalf("identity document = %s, %v", ident.Document, err)
	}
	var key struct{ Algorithm, PublicKey string }
	if st, _ := host.do("GET", "/_berth/host/identity-key", "", nil, &key); st != http.StatusOK {
		t.Fatalf("identity-key: %d", st)
	}
	verify := func(document string) bool {
		blk, _ := pem.Decode([]byte(key.PublicKey))
		pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := base64.StdEncoding.DecodeString(ident.Signature)
		sum := sha256.Sum256([]byte(document))
		return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), sum[:], sig)
	}
	if !verify(ident.Document) {
		t.Error("the identity document's signature does not verify")
	}
	if verify(strings.Replace(ident.Document, "10.0.0.7", "10.0.0.8", 1)) {
		t.Error("a tampered identity document verifies")
	}

	// A terminated host is locked out.
	if _, err := rootEC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if _, st, code := credentials(); st != http.StatusUnauthorized {
		t.Fatalf("credentials after terminate: %d %s, want 401", st, code)
	}
}

// TestEC2_UnmodelledOperationAnswersNotImplemented checks that an EC2
// operation outside the generated allow-list is recognised and refused
// with 501 NotImplemented naming it.
func TestEC2_UnmodelledOperationAnswersNotImplemented(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	_, err := ec2.NewFromConfig(cp.RootConfig()).DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	ae, status := apiError(t, err)
	if ae.ErrorCode() != "NotImplemented" || status != http.StatusNotImplemented || !strings.Contains(ae.ErrorMessage(), "DescribeVpcs") {
		t.Fatalf("DescribeVpcs: %v (%d), want 501 NotImplemented", err, status)
	}
	regions, err := ec2.NewFromConfig(cp.RootConfig()).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	if err != nil || len(regions.Regions) != 1 || aws.ToString(regions.Regions[0].RegionName) != testutil.Region {
		t.Fatalf("DescribeRegions = %+v, %v", regions, err)
	}
}
