// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awserr"
)

func TestService_AttachPolicy(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	must[*iamapi.CreateUserOutput](t)(s.CreateUser(ctx, &iamapi.CreateUserInput{UserName: str("u")}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("g")}))
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust)}))
	arn := *must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("p"), Path: str("/x/"), PolicyDocument: str(allowS3)})).Policy.Arn

	attach := []func(string) error{
		func(a string) error {
			_, err := s.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyInput{UserName: str("u"), PolicyArn: &a})
			return err
		},
		func(a string) error {
			_, err := s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: str("g"), PolicyArn: &a})
			return err
		},
		func(a string) error {
			_, err := s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: &a})
			return err
		},
	}
	for _, f := range attach {
		for range 2 { // attaching twice is a no-op
			if err := f(arn); err != nil {
				t.Fatal(err)
			}
		}
		if err := f(ec2RoleARN); err != nil {
			t.Fatal(err)
		}
	}
	p := must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: &arn})).Policy
	if *p.AttachmentCount != 3 {
		t.Errorf("AttachmentCount = %d, want 3", *p.AttachmentCount)
	}
	p = must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: str(ec2RoleARN)})).Policy
	if *p.AttachmentCount != 3 {
		t.Errorf("AWS policy AttachmentCount = %d, want 3", *p.AttachmentCount)
	}

	ap := must[*iamapi.ListAttachedRolePoliciesOutput](t)(s.ListAttachedRolePolicies(ctx, &iamapi.ListAttachedRolePoliciesInput{RoleName: str("r")}))
	want := []iamapi.AttachedPolicy{
		{PolicyName: str("AmazonEC2ContainerServiceforEC2Role"), PolicyArn: str(ec2RoleARN)},
		{PolicyName: str("p"), PolicyArn: &arn},
	}
	if d := cmp.Diff(want, ap.AttachedPolicies); d != "" {
		t.Errorf("ListAttachedRolePolicies (-want +got):\n%s", d)
	}
	up := must[*iamapi.ListAttachedUserPoliciesOutput](t)(s.ListAttachedUserPolicies(ctx, &iamapi.ListAttachedUserPoliciesInput{UserName: str("u"), PathPrefix: str("/x/")}))
	if d := cmp.Diff(want[1:], up.AttachedPolicies); d != "" {
		t.Errorf("ListAttachedUserPolicies /x/ (-want +got):\n%s", d)
	}
	gp := must[*iamapi.ListAttachedGroupPoliciesOutput](t)(s.ListAttachedGroupPolicies(ctx, &iamapi.ListAttachedGroupPoliciesInput{GroupName: str("g"), MaxItems: i32(1)}))
	if len(gp.AttachedPolicies) != 1 || !*gp.IsTruncated {
		t.Errorf("ListAttachedGroupPolicies page = %v", gp)
	}

	ents := must[*iamapi.ListEntitiesForPolicyOutput](t)(s.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: &arn}))
	if len(ents.PolicyUsers) != 1 || len(ents.PolicyGroups) != 1 || len(ents.PolicyRoles) != 1 || *ents.PolicyRoles[0].RoleName != "r" {
		t.Errorf("entities = %+v", ents)
	}
	ents = must[*iamapi.ListEntitiesForPolicyOutput](t)(s.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: &arn, EntityFilter: str("Role")}))
	if len(ents.PolicyUsers) != 0 || len(ents.PolicyRoles) != 1 {
		t.Errorf("role entities = %+v", ents)
	}
	// Paging across kinds: groups, then roles, then users.
	var seen []string
	var marker *string
	for {
		e := must[*iamapi.ListEntitiesForPolicyOutput](t)(s.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: str(ec2RoleARN), MaxItems: i32(1), Marker: marker}))
		for _, g := range e.PolicyGroups {
			seen = append(seen, "g:"+*g.GroupName)
		}
		for _, r := range e.PolicyRoles {
			seen = append(seen, "r:"+*r.RoleName)
		}
		for _, u := range e.PolicyUsers {
			seen = append(seen, "u:"+*u.UserName)
		}
		if !*e.IsTruncated {
			break
		}
		marker = e.Marker
	}
	if d := cmp.Diff([]string{"g:g", "r:r", "u:u"}, seen); d != "" {
		t.Errorf("paged entities (-want +got):\n%s", d)
	}

	// Errors.
	_, err := s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: str(policyARN("nope"))})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable.")
	_, err = s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: str("arn:aws:iam::999999999999:policy/x/p")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "")
	_, err = s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("nope"), PolicyArn: &arn})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "The role with name nope cannot be found.")
	_, err = s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: str("arn:aws:iam::aws:policy/a/b c")})
	wantErr(t, err, iamapi.CodeInvalidInput, "ARN arn:aws:iam::aws:policy/a/b c is not valid.")
	_, err = s.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyInput{UserName: str("u"), PolicyArn: str("arn:aws:iam::aws:policy/AmazonS3FullAccess")})
	wantErr(t, err, iamapi.CodeNoSuchEntity, "Policy arn:aws:iam::aws:policy/AmazonS3FullAccess was not found.")

	for _, f := range []func() error{
		func() error {
			_, err := s.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyInput{UserName: str("u"), PolicyArn: &arn})
			return err
		},
		func() error {
			_, err := s.DetachGroupPolicy(ctx, &iamapi.DetachGroupPolicyInput{GroupName: str("g"), PolicyArn: &arn})
			return err
		},
		func() error {
			_, err := s.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyInput{RoleName: str("r"), PolicyArn: &arn})
			return err
		},
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	p = must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: &arn})).Policy
	if *p.AttachmentCount != 0 {
		t.Errorf("AttachmentCount after detach = %d", *p.AttachmentCount)
	}
}

func TestService_AttachPolicy_Quota(t *testing.T) {
	t.Parallel()
	s := newTestService(t, func(c *Config) { c.Quotas.PoliciesPerGroup = 3 })
	ctx := context.Background()
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("r"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.CreateGroupOutput](t)(s.CreateGroup(ctx, &iamapi.CreateGroupInput{GroupName: str("g")}))
	var arns []string
	for i := range 11 {
		arns = append(arns, *must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str(fmt.Sprintf("p%d", i)), PolicyDocument: str(allowS3)})).Policy.Arn)
	}
	for _, a := range arns[:10] {
		must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: &a}))
	}
	_, err := s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("r"), PolicyArn: &arns[10]})
	wantErr(t, err, iamapi.CodeLimitExceeded, "Cannot exceed quota for PoliciesPerRole: 10")
	for _, a := range arns[:3] {
		must[*iamapi.AttachGroupPolicyOutput](t)(s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: str("g"), PolicyArn: &a}))
	}
	_, err = s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: str("g"), PolicyArn: &arns[3]})
	wantErr(t, err, iamapi.CodeLimitExceeded, "Cannot exceed quota for PoliciesPerGroup: 3")
	sum := must[*iamapi.GetAccountSummaryOutput](t)(s.GetAccountSummary(ctx, &iamapi.GetAccountSummaryInput{})).SummaryMap
	if sum["AttachedPoliciesPerGroupQuota"] != 3 || sum["AttachedPoliciesPerRoleQuota"] != 10 || sum["Policies"] != 11 || sum["Roles"] != 1 || sum["Groups"] != 1 {
		t.Errorf("summary = %v", sum)
	}
}

// TestService_AttachPolicy_Concurrent races attaches and detaches of one
// policy on many roles, and a DeletePolicy that must lose (an anchor role
// keeps the policy attached), and checks the count equals the attachments
// that exist.
func TestService_AttachPolicy_Concurrent(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	const roles = 12
	arn := *must[*iamapi.CreatePolicyOutput](t)(s.CreatePolicy(ctx, &iamapi.CreatePolicyInput{PolicyName: str("shared"), PolicyDocument: str(allowS3)})).Policy.Arn
	for i := range roles {
		must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str(fmt.Sprintf("r%d", i)), AssumeRolePolicyDocument: str(ec2Trust)}))
	}
	must[*iamapi.CreateRoleOutput](t)(s.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: str("anchor"), AssumeRolePolicyDocument: str(ec2Trust)}))
	must[*iamapi.AttachRolePolicyOutput](t)(s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: str("anchor"), PolicyArn: &arn}))
	var wg sync.WaitGroup
	errs := make(chan error, roles*3+1)
	for i := range roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := str(fmt.Sprintf("r%d", i))
			for round := range 3 {
				if _, err := s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: name, PolicyArn: &arn}); err != nil {
					errs <- err
					return
				}
				if round < 2 || i%2 == 0 { // odd roles stay attached
					if _, err := s.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyInput{RoleName: name, PolicyArn: &arn}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := s.DeletePolicy(ctx, &iamapi.DeletePolicyInput{PolicyArn: &arn}); !isCode(err, iamapi.CodeDeleteConflict) {
			errs <- fmt.Errorf("DeletePolicy = %v, want DeleteConflict", err)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p := must[*iamapi.GetPolicyOutput](t)(s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: &arn})).Policy
	ents := must[*iamapi.ListEntitiesForPolicyOutput](t)(s.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: &arn}))
	if want := roles/2 + 1; int(*p.AttachmentCount) != want || len(ents.PolicyRoles) != want {
		t.Errorf("AttachmentCount = %d, entities = %d, want %d", *p.AttachmentCount, len(ents.PolicyRoles), want)
	}
}

func isCode(err error, code string) bool {
	var ae *awserr.Error
	return errors.As(err, &ae) && ae.Code == code
}
