// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/berthdev/berth/internal/testutil"
)

func TestServer_CredentialsFile(t *testing.T) {
	t.Setenv("BERTH_ROOT_ACCESS_KEY_ID", "AKIATESTROOTKEY00001")
	t.Setenv("BERTH_ROOT_SECRET_ACCESS_KEY", "test-secret-key-for-the-root-user-0000001")
	cp := testutil.TestControlPlane(t)
	path := filepath.Join(cp.DataDir, "credentials")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode = %v, want 0600", st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "[berth]\naws_access_key_id = AKIATESTROOTKEY00001\naws_secret_access_key = test-secret-key-for-the-root-user-0000001\n"
	if !strings.HasPrefix(string(b), want) {
		t.Errorf("credentials file = %q, want prefix %q", b, want)
	}
	out, err := sts.NewFromConfig(cp.RootConfig()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::123456789012:root"; got != want {
		t.Errorf("root ARN = %q, want %q", got, want)
	}
}

func TestServer_Health(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	resp, err := http.Get(cp.URL + "/_berth/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health = %d, want 200", resp.StatusCode)
	}
}

// apiError returns the smithy API error in err and the HTTP status.
func apiError(t *testing.T, err error) (smithy.APIError, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an API error", err)
	}
	status := 0
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae, status
}

// newUser creates an IAM user without policies and returns a
// configuration signed with its access key.
func newUser(t *testing.T, cp *testutil.ControlPlane, name string) aws.Config {
	t.Helper()
	return cp.User(t, name, "")
}

func TestServer_UserWithoutPoliciesIsDenied(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	ctx := context.Background()
	alice := newUser(t, cp, "alice")

	id, err := sts.NewFromConfig(alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity as alice: %v", err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:iam::123456789012:user/alice"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}

	_, err = iam.NewFromConfig(alice).ListRoles(ctx, &iam.ListRolesInput{})
	ae, status := apiError(t, err)
	if ae.ErrorCode() != "AccessDenied" || status != http.StatusForbidden {
		t.Fatalf("ListRoles as alice: %s (HTTP %d), want AccessDenied (403)", ae.ErrorCode(), status)
	}
	want := "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/ because no identity-based policy allows the iam:ListRoles action"
	if ae.ErrorMessage() != want {
		t.Errorf("message = %q\nwant      %q", ae.ErrorMessage(), want)
	}

	// The denial changed nothing: a denied CreateRole creates no role.
	_, err = iam.NewFromConfig(alice).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("sneaky"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if ae, _ := apiError(t, err); ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("CreateRole as alice: %v, want AccessDenied", err)
	}
	_, err = iam.NewFromConfig(cp.RootConfig()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("sneaky")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("GetRole after denied CreateRole: %v, want NoSuchEntityException", err)
	}
}

func TestServer_UnimplementedOperation(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	// Capacity providers belong to EC2 Auto Scaling, which berth does not run.
	_, err := ecs.NewFromConfig(cp.RootConfig()).CreateCapacityProvider(context.Background(), &ecs.CreateCapacityProviderInput{
		Name: aws.String("cp"), AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/asg")}})
	ae, status := apiError(t, err)
	if ae.ErrorCode() != "NotImplemented" || status != http.StatusNotImplemented {
		t.Fatalf("CreateCapacityProvider: %s (HTTP %d), want NotImplemented (501)", ae.ErrorCode(), status)
	}
	if !strings.Contains(ae.ErrorMessage(), "CreateCapacityProvider") {
		t.Errorf("message %q does not name the operation", ae.ErrorMessage())
	}
}

func TestServer_AuthenticationFailures(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	id, _ := cp.RootCredentials()
	tests := []struct {
		name     string
		cfg      aws.Config
		call     func(aws.Config) error
		wantCode string
		wantHTTP int
	}{
		{"query wrong secret", testutil.Config(cp.URL, id, "wrong-secret-0000000000000000000000000000", ""),
			func(c aws.Config) error {
				_, err := iam.NewFromConfig(c).ListRoles(context.Background(), &iam.ListRolesInput{})
				return err
			},
			"SignatureDoesNotMatch", http.StatusForbidden},
		{"query unknown key", testutil.Config(cp.URL, "AKIAUNKNOWNKEY000000", "whatever-secret-000000000000000000000000", ""),
			func(c aws.Config) error {
				_, err := iam.NewFromConfig(c).ListRoles(context.Background(), &iam.ListRolesInput{})
				return err
			},
			"InvalidClientTokenId", http.StatusForbidden},
		{"json wrong secret", testutil.Config(cp.URL, id, "wrong-secret-0000000000000000000000000000", ""),
			func(c aws.Config) error {
				_, err := ecs.NewFromConfig(c).ListClusters(context.Background(), &ecs.ListClustersInput{})
				return err
			},
			"InvalidSignatureException", http.StatusBadRequest},
		{"json unknown key", testutil.Config(cp.URL, "AKIAUNKNOWNKEY000000", "whatever-secret-000000000000000000000000", ""),
			func(c aws.Config) error {
				_, err := ecs.NewFromConfig(c).ListClusters(context.Background(), &ecs.ListClustersInput{})
				return err
			},
			"UnrecognizedClientException", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ae, status := apiError(t, tc.call(tc.cfg))
			if ae.ErrorCode() != tc.wantCode || status != tc.wantHTTP {
				t.Fatalf("got %s (HTTP %d), want %s (%d)", ae.ErrorCode(), status, tc.wantCode, tc.wantHTTP)
			}
		})
	}
}

func TestServer_Restart_KeepsState(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	cp := testutil.TestControlPlane(t, testutil.WithDataDir(dir))
	id, secret := cp.RootCredentials()
	if _, err := iam.NewFromConfig(cp.RootConfig()).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("kept"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if err := cp.Close(ctx); err != nil {
		t.Fatal(err)
	}
	cp2 := testutil.TestControlPlane(t, testutil.WithDataDir(dir))
	id2, secret2 := cp2.RootCredentials()
	if id2 != id || secret2 != secret {
		t.Fatalf("root key changed across restart: %s → %s", id, id2)
	}
	if _, err := iam.NewFromConfig(cp2.RootConfig()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("kept")}); err != nil {
		t.Fatalf("GetRole after restart: %v", err)
	}
}

func TestServer_Reset(t *testing.T) {
	cp := testutil.TestControlPlane(t, testutil.WithTestMode())
	ctx := context.Background()
	c := iam.NewFromConfig(cp.RootConfig())
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/_berth/reset", "/moto-api/reset"} {
		resp, err := http.Post(cp.URL+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s = %d", path, resp.StatusCode)
		}
	}
	_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("gone")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("GetUser after reset: %v, want NoSuchEntityException", err)
	}
	// The root key survives the reset: the call above was signed with it.
}

func TestServer_ResetRefusedWithoutTestMode(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	resp, err := http.Post(cp.URL+"/_berth/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("reset without --test-mode = %d, want 403", resp.StatusCode)
	}
}
