// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/console"
	"github.com/berthdev/berth/internal/testutil"
)

const (
	ecsForEC2  = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
	iamRead    = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
	ec2Trust   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	userPasswd = "Reader-passw0rd!"
)

// rootPassword reads the root's console password the server wrote at
// first start.
func rootPassword(t *testing.T, cp *testutil.ControlPlane) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cp.DataDir, console.RootPasswordFile))
	if err != nil {
		t.Fatalf("reading the root password file: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request and returns the response with its body read.
func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// post submits a form as a same-origin browser does.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of a page's forms.
func csrf(t *testing.T, page string) string {
	t.Helper()
	m := reCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in page:\n%s", page)
	}
	return m[1]
}

// signIn signs in (user "" = root) and returns the session's CSRF token.
func (b *browser) signIn(user, password string) string {
	b.t.Helper()
	_, page := b.get("/console/signin")
	form := url.Values{"csrf": {csrf(b.t, page)}, "account": {testutil.AccountID}, "password": {password}, "kind": {"user"}, "username": {user}}
	if user == "" {
		form.Set("kind", "root")
	}
	resp, body := b.post("/console/signin", form)
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign-in as %q: status %d, want 303\n%s", user, resp.StatusCode, body)
	}
	_, home := b.get("/console/")
	return csrf(b.t, home)
}

// newUser creates an IAM user with a console password and the managed
// policies given, as the root.
func newUser(t *testing.T, cp *testutil.ControlPlane, name string, reset bool, policies ...string) {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(cp.RootConfig())
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String(userPasswd), PasswordResetRequired: reset}); err != nil {
		t.Fatal(err)
	}
	for _, p := range policies {
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
}

// newRole creates a role trusted by EC2, as the root.
func newRole(t *testing.T, cp *testutil.ControlPlane, name string) {
	t.Helper()
	c := iam.NewFromConfig(cp.RootConfig())
	if _, err := c.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(ec2Trust)}); err != nil {
		t.Fatal(err)
	}
}

// attachedTo lists the managed policy ARNs attached to a role.
func attachedTo(t *testing.T, cp *testutil.ControlPlane, role string) []string {
	t.Helper()
	out, err := iam.NewFromConfig(cp.RootConfig()).ListAttachedRolePolicies(context.Background(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, p := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}

// allowChangePassword gives a user an inline policy allowing it to change
// its own password (what AWS's IAMUserChangePassword policy allows).
func allowChangePassword(t *testing.T, cp *testutil.ControlPlane, user string) {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword","iam:GetAccountPasswordPolicy"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	_, err := iam.NewFromConfig(cp.RootConfig()).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{
		UserName: aws.String(user), PolicyName: aws.String("change-password"), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
}
