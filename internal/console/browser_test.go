// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/berthdev/berth/internal/testutil"
)

// The browser tests walk AWS's "Amazon ECS Container Instance IAM Role"
// page step by step in headless Chromium, then check the result with the
// AWS CLI. Set BERTH_SCREENSHOTS=DIR to keep the screenshots.

const guideTrust = `{ "Version": "2008-10-17", "Statement": [ { "Sid": "", "Effect": "Allow", "Principal": { "Service": "ec2.amazonaws.com" }, "Action": "sts:AssumeRole" } ] }`

// TestBrowser_FirstRun runs the ECS first-run experience on an empty
// server and sees the role, its instance profile and the cluster through
// the AWS CLI.
func TestBrowser_FirstRun(t *testing.T) {
	chromium(t) // skips early when there is no browser
	cp := testutil.TestControlPlane(t)
	b := newTab(t, cp.URL)
	b.signIn("", rootPassword(t, cp))
	b.wantText("main", "Get started with ECS", "ecsInstanceRole")
	b.shot("home-setup-needed")

	b.open("/console/ecs/first-run")
	b.wantText("#steps", "Role ecsInstanceRole", "To create", "Cluster default")
	b.shot("first-run-before")
	b.submit("run-first-run")
	if n := eval[int](b, `document.querySelectorAll('#steps [data-outcome="created"]').length`); n != 5 {
		b.shot("first-run-incomplete")
		t.Fatalf("first run created %d of 5 resources:\n%s", n, b.text("#steps"))
	}
	b.wantText("#join", "ECS_CLUSTER=default", "ECS_BACKEND_HOST="+cp.URL)
	b.shot("first-run-done")

	// (Each AWS CLI run costs seconds of Python start-up: one call per fact.)
	profile := awsCLI(t, cp, "iam", "get-instance-profile", "--instance-profile-name", "ecsInstanceRole")
	if got := dig(profile, "InstanceProfile", "Roles", 0, "RoleName"); got != "ecsInstanceRole" {
		t.Errorf("instance profile holds %v, want ecsInstanceRole", got)
	}
	if got := fmt.Sprint(dig(profile, "InstanceProfile", "Roles", 0, "AssumeRolePolicyDocument", "Statement", 0, "Principal", "Service")); got != "ec2.amazonaws.com" {
		t.Errorf("ecsInstanceRole trusts %s, want ec2.amazonaws.com", got)
	}
	attached := awsCLI(t, cp, "iam", "list-attached-role-policies", "--role-name", "ecsInstanceRole")
	if got := dig(attached, "AttachedPolicies", 0, "PolicyName"); got != "AmazonEC2ContainerServiceforEC2Role" {
		t.Errorf("attached policy %v, want AmazonEC2ContainerServiceforEC2Role", got)
	}
	cluster := awsCLI(t, cp, "ecs", "describe-clusters", "--clusters", "default")
	if got := dig(cluster, "clusters", 0, "status"); got != "ACTIVE" {
		t.Errorf("cluster default status %v, want ACTIVE", got)
	}

	b.open("/console/ecs/clusters")
	b.wantText("#list", "default")
	b.shot("clusters")
	b.open("/console/ecs/clusters/default?tab=instances")
	b.wantText("#instances", "No container instances")
	b.shot("cluster-default-instances")
	b.open("/console/iam/roles/ecsInstanceRole?tab=profiles")
	b.wantText("#profiles", "ecsInstanceRole")
	b.shot("role-instance-profiles")

	// The same page on a phone.
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.open("/console/iam/roles/ecsInstanceRole")
	b.shot("phone-role")
	b.open("/console/ecs/first-run")
	b.shot("phone-first-run")
}

// TestBrowser_CheckInstanceRole follows "To check for the ecsInstanceRole
// in the IAM console", "Adding Amazon S3 Read-only Access" and the trust
// relationship check, on a role that exists without its policy; then a
// user who may only read IAM tries the same attach.
func TestBrowser_CheckInstanceRole(t *testing.T) {
	chromium(t) // skips early when there is no browser
	cp := testutil.TestControlPlane(t)
	newRole(t, cp, "ecsInstanceRole")
	newRole(t, cp, "someOtherRole")
	newUser(t, cp, "reader", false, iamRead)
	b := newTab(t, cp.URL)
	b.signIn("", rootPassword(t, cp))

	// Roles; search the list for ecsInstanceRole; select it.
	b.open("/console/iam/roles")
	b.do("search", chromedp.SendKeys(chromedp.ID("search"), "ecsInstance"))
	if n := eval[int](b, `document.querySelectorAll('#list tbody tr[data-name]:not([hidden])').length`); n != 1 {
		t.Errorf("filtering the roles list shows %d rows, want 1", n)
	}
	b.shot("roles-search")
	b.do("open the role", chromedp.Click(chromedp.CSS(`#list a[href$="/ecsInstanceRole"]`)), chromedp.WaitVisible(chromedp.ID("attach-policies")))
	b.wantText("#attached", "No managed policies are attached")
	b.shot("role-permissions-empty")

	// Attach policies; filter; check AmazonEC2ContainerServiceforEC2Role.
	attach := func(filter, policy string) {
		b.do("open attach", chromedp.Click(chromedp.ID("attach-policies")), chromedp.WaitVisible(chromedp.ID("filter")))
		b.do("filter", chromedp.SendKeys(chromedp.ID("filter"), filter))
		visible := eval[[]string](b, `[...document.querySelectorAll('#catalog tbody tr[data-name]:not([hidden])')].map(r => r.dataset.name)`)
		if len(visible) == 0 || !strings.Contains(strings.Join(visible, ","), policy) {
			t.Fatalf("filter %q shows %v, want %s among them", filter, visible, policy)
		}
		b.shot("attach-filter-" + filter)
		b.do("check "+policy, chromedp.Click(chromedp.ID("p-"+policy)))
		b.submit("attach-submit")
		b.wantText(".flash", policy, "attached")
		b.wantText("#attached", policy)
	}
	attach("AmazonEC2ContainerServiceforEC2Role", "AmazonEC2ContainerServiceforEC2Role")
	b.shot("role-permissions-attached")
	attach("S3", "AmazonS3ReadOnlyAccess")
	b.shot("role-permissions-s3")

	// Trust relationships; edit; a malformed policy is refused with IAM's
	// message; the guide's policy is saved.
	b.do("trust tab", chromedp.Click(chromedp.ID("tab-trust")), chromedp.WaitVisible(chromedp.ID("trust-policy")))
	b.wantText("#trust-policy", "ec2.amazonaws.com")
	b.shot("role-trust")
	b.do("edit trust", chromedp.Click(chromedp.ID("edit-trust")), chromedp.WaitVisible(chromedp.ID("document")))
	b.do("malformed policy", chromedp.SetValue(chromedp.ID("document"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`))
	b.submit("update-trust")
	b.wantText(".alert", "MalformedPolicyDocument")
	b.shot("trust-malformed-refused")
	b.do("guide's policy", chromedp.SetValue(chromedp.ID("document"), guideTrust))
	b.submit("update-trust")
	b.wantText("#trust-policy", "2008-10-17", "ec2.amazonaws.com")
	b.shot("trust-updated")

	role := awsCLI(t, cp, "iam", "get-role", "--role-name", "ecsInstanceRole")
	if got := dig(role, "Role", "AssumeRolePolicyDocument", "Version"); got != "2008-10-17" {
		t.Errorf("trust policy version %v, want 2008-10-17", got)
	}
	attached := awsCLI(t, cp, "iam", "list-attached-role-policies", "--role-name", "ecsInstanceRole")
	if n := len(dig(attached, "AttachedPolicies").([]any)); n != 2 {
		t.Errorf("%d attached policies, want 2: %v", n, attached)
	}

	// The reader's user page: console password and access keys.
	b.open("/console/iam/users/reader")
	b.do("create an access key", chromedp.Click(chromedp.CSS(`form[action$="/keys"] button`)), chromedp.WaitVisible(chromedp.CSS(".card.secret")))
	b.wantText(".card.secret", "AKIA", "Secret access key")
	b.shot("user-access-key")
	b.open("/console/iam/policies?search=ECS")
	b.shot("policies-search")

	// A user without iam:AttachRolePolicy sees the attach fail with
	// AccessDenied, on the attach page, and nothing changes.
	b.signOut()
	b.signIn("reader", userPasswd)
	b.open("/console/iam/roles/someOtherRole/attach?filter=" + url.QueryEscape("AmazonEC2ContainerServiceforEC2Role"))
	b.do("check", chromedp.Click(chromedp.ID("p-AmazonEC2ContainerServiceforEC2Role")))
	b.submit("attach-submit")
	b.wantText(".alert", "AccessDenied", "user/reader is not authorized to perform: iam:AttachRolePolicy")
	b.shot("attach-denied")
	if got := attachedTo(t, cp, "someOtherRole"); len(got) != 0 {
		t.Errorf("a denied attach attached %v", got)
	}
}

// TestBrowser_CreateRoleWizard follows "To create the ecsInstanceRole IAM
// role for your container instances".
func TestBrowser_CreateRoleWizard(t *testing.T) {
	chromium(t) // skips early when there is no browser
	cp := testutil.TestControlPlane(t)
	b := newTab(t, cp.URL)
	b.signIn("", rootPassword(t, cp))
	b.open("/console/iam/roles?search=ecsInstanceRole")
	b.wantText("#list", "No roles match")
	b.shot("roles-none")

	b.do("create role", chromedp.Click(chromedp.ID("create-role")), chromedp.WaitVisible(chromedp.ID("wizard")))
	b.do("use case", chromedp.Click(chromedp.ID("usecase-ecs-ec2")))
	b.shot("wizard-trusted-entity")
	b.submit("wizard-next")
	if !eval[bool](b, `document.getElementById('p-AmazonEC2ContainerServiceforEC2Role').checked`) {
		t.Error("the use case did not select AmazonEC2ContainerServiceforEC2Role")
	}
	b.shot("wizard-permissions")
	b.submit("wizard-next")
	b.do("name", chromedp.SendKeys(chromedp.ID("name"), "ecsInstanceRole"),
		chromedp.SendKeys(chromedp.ID("description"), "Container instance role"),
		chromedp.SendKeys(chromedp.ID("tags"), "team=platform"))
	b.shot("wizard-name")
	b.submit("wizard-next")
	b.wantText("main", "ecsInstanceRole", "AmazonEC2ContainerServiceforEC2Role", "ec2.amazonaws.com", "team = platform")
	b.shot("wizard-review")
	b.submit("wizard-create")
	b.wantText(".flash", "Role ecsInstanceRole created")
	b.wantText("#attached", "AmazonEC2ContainerServiceforEC2Role")
	b.shot("role-created")

	role := awsCLI(t, cp, "iam", "get-role", "--role-name", "ecsInstanceRole")
	if got := dig(role, "Role", "Description"); got != "Container instance role" {
		t.Errorf("description %v", got)
	}
	if got := dig(role, "Role", "AssumeRolePolicyDocument", "Statement", 0, "Principal", "Service"); got != "ec2.amazonaws.com" {
		t.Errorf("trusted service %v, want ec2.amazonaws.com", got)
	}
	if got := dig(role, "Role", "Tags", 0, "Value"); got != "platform" {
		t.Errorf("tag team = %v, want platform", got)
	}
	attached := awsCLI(t, cp, "iam", "list-attached-role-policies", "--role-name", "ecsInstanceRole")
	if got := dig(attached, "AttachedPolicies", 0, "PolicyName"); got != "AmazonEC2ContainerServiceforEC2Role" {
		t.Errorf("attached %v", got)
	}
	b.open("/console/iam/policy?arn=" + url.QueryEscape(ecsForEC2))
	b.wantText("#policy-document", "ecs:RegisterContainerInstance")
	b.shot("policy-json")
}
