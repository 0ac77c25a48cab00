// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/agent/config"
	"github.com/berthdev/berth/internal/agent/docker/dockertest"
	"github.com/berthdev/berth/internal/agent/imds"
	"github.com/berthdev/berth/internal/agent/taskrunner"
	"github.com/berthdev/berth/internal/firstrun"
	"github.com/berthdev/berth/internal/testutil"
)

func TestNew_RequiresEndpoint(t *testing.T) {
	_, err := New(Config{Settings: config.Default()}, Deps{})
	if err == nil || !strings.Contains(err.Error(), "ECS_BACKEND_HOST") {
		t.Fatalf("New without an endpoint = %v, want an error naming ECS_BACKEND_HOST", err)
	}
	s := config.Default()
	s.BackendHost = "http://127.0.0.1:1"
	a, err := New(Config{Settings: s}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if a.cfg.NetfilterComment != DefaultNetfilterComment || a.deps.HTTPClient == nil {
		t.Errorf("defaults not applied: comment %q, client %v", a.cfg.NetfilterComment, a.deps.HTTPClient)
	}
}

// noAWSEnv keeps the test's environment from giving the SDK credentials
// other than the agent's metadata service.
func noAWSEnv(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

// launch creates an instance with profile and returns its join token.
func launch(t *testing.T, cfg aws.Config, profile string) string {
	t.Helper()
	run, err := ec2.NewFromConfig(cfg).RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String("ami-berth"),
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(profile)}})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	for _, tg := range run.Instances[0].Tags {
		if aws.ToString(tg.Key) == "berth:join-token" {
			return aws.ToString(tg.Value)
		}
	}
	t.Fatal("RunInstances returned no join token")
	return ""
}

// localSettings are an agent's settings on loopback with no packet filter.
func localSettings(t *testing.T, endpoint string) config.Config {
	s := config.Default()
	s.BackendHost = endpoint
	s.DataDir = filepath.Join(t.TempDir(), "agent")
	s.HostSecretFile = filepath.Join(s.DataDir, "host-secret")
	s.IMDSAddr = netip.MustParseAddrPort("127.0.0.1:0")
	s.CredentialsAddr = netip.MustParseAddrPort("127.0.0.1:0")
	s.Netfilter = false
	return s
}

// TestRun_RealControlPlane drives Agent.Run (a fake Docker Engine, no
// packet filter) against a real control plane set up as `berth up` does:
// the host joins, registers in the default cluster and connects to ACS;
// its metadata service's iam/info names the instance profile in EC2's
// format (from the control plane's host API); cancelling the context
// ends Run without error.
func TestRun_RealControlPlane(t *testing.T) {
	noAWSEnv(t)
	cp := testutil.TestControlPlane(t)
	root := cp.RootConfig()
	ctx := context.Background()
	rep, err := firstrun.Ensure(ctx, firstrun.FromSDK(iam.NewFromConfig(root), ecs.NewFromConfig(root)))
	if err != nil || !rep.Complete() {
		t.Fatalf("firstrun.Ensure: %v\n%s", err, rep)
	}
	prof, err := iam.NewFromConfig(root).GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(firstrun.ProfileName)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Settings: localSettings(t, cp.URL), JoinToken: launch(t, root, firstrun.ProfileName)},
		Deps{Docker: dockertest.New(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(rctx) }()
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("Run ended before Ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("not Ready after 60s")
	}
	st := a.Status()
	if !strings.HasPrefix(st.InstanceID, "i-") || !strings.HasSuffix(st.ClusterARN, ":cluster/default") ||
		!strings.Contains(st.ContainerInstanceARN, ":container-instance/default/") {
		t.Errorf("Status = %+v", st)
	}

	client := agenttest.LoopbackOnlyClient()
	imdsGet := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, "http://"+st.IMDSAddr+"/latest/api/token", nil)
		req.Header.Set(imds.HeaderTokenTTL, "60")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		req, _ = http.NewRequest(http.MethodGet, "http://"+st.IMDSAddr+path, nil)
		req.Header.Set(imds.HeaderToken, string(tok))
		resp, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := imdsGet("/latest/meta-data/iam/info")
	var info map[string]string
	if err := json.Unmarshal([]byte(body), &info); err != nil || code != 200 {
		t.Fatalf("iam/info: %d %v %s", code, err, body)
	}
	want := map[string]string{"Code": "Success", "LastUpdated": info["LastUpdated"],
		"InstanceProfileArn": aws.ToString(prof.InstanceProfile.Arn), "InstanceProfileId": aws.ToString(prof.InstanceProfile.InstanceProfileId)}
	if d := cmp.Diff(want, info); d != "" || !strings.HasPrefix(info["InstanceProfileId"], "AIPA") {
		t.Errorf("iam/info (-want +got):\n%s", d)
	}
	if code, body := imdsGet("/latest/meta-data/iam/security-credentials/"); code != 200 || body != firstrun.RoleName {
		t.Errorf("security-credentials/ = %d %q, want %s", code, body, firstrun.RoleName)
	}
	if code, body := imdsGet("/latest/meta-data/instance-id"); code != 200 || body != st.InstanceID {
		t.Errorf("instance-id = %d %q, want %s", code, body, st.InstanceID)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of cancel")
	}
}

// TestRun_NoCreateCluster: with no cluster configured, no default cluster
// and an instance role without ecs:CreateCluster, Run returns (it does not
// retry forever, nor hang) a *MissingPermissionError naming the action.
func TestRun_NoCreateCluster(t *testing.T) {
	noAWSEnv(t)
	cp := testutil.TestControlPlane(t)
	root := cp.RootConfig()
	ctx := context.Background()
	ic := iam.NewFromConfig(root)
	const name = "agentNoCreate"
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(firstrun.TrustPolicy)}))
	must(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("agent"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:RegisterContainerInstance","ecs:DiscoverPollEndpoint","ecs:Poll","ecs:StartTelemetrySession","ecs:Submit*"],"Resource":"*"}]}`)}))
	must(ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}))
	must(ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(name)}))

	a, err := New(Config{Settings: localSettings(t, cp.URL), JoinToken: launch(t, root, name)}, Deps{Docker: dockertest.New(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Run still running after 60s; want it to return the missing permission")
	}
	var mp *MissingPermissionError
	if !errors.As(err, &mp) || mp.Action != "ecs:CreateCluster" || mp.Cluster != "default" {
		t.Fatalf("Run = %v, want a MissingPermissionError for ecs:CreateCluster", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("Run's error does not wrap the AccessDeniedException: %v", err)
	}
	for _, s := range []string{"ecs:CreateCluster", "ECS_CLUSTER", "AccessDeniedException"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err.Error(), s)
		}
	}
}

// TestHostAPI_RoleCredentials reads the host API's credentials answer,
// including the instance profile for iam/info, and maps its errors.
func TestHostAPI_RoleCredentials(t *testing.T) {
	var status int
	var body string
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.URL.Path != "/_berth/host/credentials" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	h := &HostAPI{Endpoint: srv.URL + "/", Host: HostIdentity{InstanceID: "i-1", HostSecret: "s3cr3t"}, Client: agenttest.LoopbackOnlyClient()}
	ctx := context.Background()

	status, body = 200, `{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIA1","SecretAccessKey":"sk","Token":"tok",
		"Expiration":"2030-01-01T01:00:00Z","LastUpdated":"2030-01-01T00:00:00Z","InstanceId":"i-1",
		"InstanceProfileArn":"arn:aws:iam::000000000000:instance-profile/p","InstanceProfileId":"AIPAP","RoleArn":"arn:aws:iam::000000000000:role/r","RoleName":"r"}`
	got, err := h.RoleCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := imds.Credentials{RoleARN: "arn:aws:iam::000000000000:role/r", AccessKeyID: "ASIA1", SecretAccessKey: "sk", SessionToken: "tok",
		Expiration: time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC), LastUpdated: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		InstanceProfileARN: "arn:aws:iam::000000000000:instance-profile/p", InstanceProfileID: "AIPAP"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("RoleCredentials (-want +got):\n%s", d)
	}
	if auth != "Bearer i-1.s3cr3t" {
		t.Errorf("Authorization = %q", auth)
	}

	status, body = 404, `{"code":"NoInstanceProfile","message":"instance i-1 has no IAM instance profile associated"}`
	if _, err := h.RoleCredentials(ctx); !errors.Is(err, imds.ErrNoRole) {
		t.Errorf("NoInstanceProfile → %v, want ErrNoRole", err)
	}
	status, body = 403, `{"code":"TrustPolicyDenied","message":"no"}`
	var he *HostAPIError
	if _, err := h.RoleCredentials(ctx); !errors.As(err, &he) || he.Status != 403 || he.Code != "TrustPolicyDenied" {
		t.Errorf("403 → %v, want HostAPIError TrustPolicyDenied", err)
	}
	status, body = 502, `<html>bad gateway</html>`
	if _, err := h.RoleCredentials(ctx); !errors.As(err, &he) || he.Status != 502 || he.Code != "Bad Gateway" {
		t.Errorf("502 → %v, want HostAPIError Bad Gateway", err)
	}
	status, body = 200, `{"AccessKeyId":"A","Expiration":"tomorrow"}`
	if _, err := h.RoleCredentials(ctx); err == nil || !strings.Contains(err.Error(), "expiration") {
		t.Errorf("bad expiration → %v, want an error", err)
	}
}

func TestHostIdentity_SaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "host-secret")
	if _, ok, err := LoadHostIdentity(path); ok || err != nil {
		t.Fatalf("missing file: ok %v err %v, want not joined", ok, err)
	}
	id := HostIdentity{InstanceID: "i-1", HostSecret: "s", Region: "us-east-1", AccountID: "000000000000", AvailabilityZone: "us-east-1a"}
	if err := SaveHostIdentity(path, id); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("host secret file mode %v (%v), want 0600", fi.Mode(), err)
	}
	got, ok, err := LoadHostIdentity(path)
	if err != nil || !ok || got != id {
		t.Fatalf("Load = %+v %v %v", got, ok, err)
	}
	if err := os.WriteFile(path, []byte(`{"instanceId":"i-1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadHostIdentity(path); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("secret without a secret: %v, want corrupt", err)
	}
}

func TestHelpers(t *testing.T) {
	const ci = "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/abc"
	for _, c := range []struct{ ci, cluster, want string }{
		{ci, "prod", "arn:aws:ecs:us-east-1:000000000000:cluster/prod"},
		{ci, "arn:aws:ecs:us-east-1:000000000000:cluster/prod", "arn:aws:ecs:us-east-1:000000000000:cluster/prod"},
		{"arn:aws:ecs:us-east-1:000000000000:container-instance/abc", "default", "arn:aws:ecs:us-east-1:000000000000:cluster/default"},
		{"garbage", "default", "default"},
	} {
		if got := clusterARN(c.ci, c.cluster); got != c.want {
			t.Errorf("clusterARN(%q, %q) = %q, want %q", c.ci, c.cluster, got, c.want)
		}
	}
	if !sameCluster("arn:aws:ecs:r:a:cluster/prod", "prod") || sameCluster("arn:aws:ecs:r:a:cluster/prod2", "prod") || sameCluster("", "prod") {
		t.Error("sameCluster")
	}
	s := config.Default()
	if got := metadataEndpoint(s); got != "169.254.170.2" {
		t.Errorf("metadataEndpoint = %q", got)
	}
	s.CredentialsEndpoint = netip.MustParseAddrPort("172.17.0.1:51679")
	if got := metadataEndpoint(s); got != "172.17.0.1:51679" {
		t.Errorf("metadataEndpoint = %q", got)
	}
	attrs := attributes(map[string]string{"stack": "prod"})
	if attrs["stack"] != "prod" || attrs["ecs.os-type"] != "linux" {
		t.Errorf("attributes = %v", attrs)
	}
	if _, ok := attrs["ecs.capability.container-health-check"]; !ok {
		t.Error("attributes lack the health check capability")
	}
	if describe(nil) != "" || describe(errors.New("x")) != "x" {
		t.Error("describe")
	}
	if got := describe(&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no ecs:Poll"}); got != "AccessDeniedException: no ecs:Poll" {
		t.Errorf("describe(API error) = %q", got)
	}
	inst := instanceFromDocument([]byte(`{"instanceId":"i-doc","privateIp":"10.0.0.5"}`), HostIdentity{InstanceID: "i-host", AccountID: "1", AvailabilityZone: "az"}, "r")
	if inst.InstanceID != "i-doc" || inst.LocalIPv4 != "10.0.0.5" || inst.Region != "r" || inst.AccountID != "1" || inst.AvailabilityZone != "az" {
		t.Errorf("instanceFromDocument = %+v", inst)
	}
	if inst := instanceFromDocument([]byte("not json"), HostIdentity{InstanceID: "i-host"}, "r"); inst.InstanceID != "i-host" {
		t.Errorf("instanceFromDocument(bad) = %+v", inst)
	}
}

// Loopback, unspecified, non-link-local and already-local addresses need
// no ip command (none is run: a missing ip(8) would fail them otherwise).
func TestLocalIMDSAddr_NothingToDo(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no ip(8): running it would fail
	a := &Agent{base: quiet}
	for _, s := range []string{"127.0.0.1", "0.0.0.0", "10.1.2.3", "::1"} {
		if err := a.localIMDSAddr(context.Background(), netip.MustParseAddr(s)); err != nil {
			t.Errorf("localIMDSAddr(%s) = %v, want nothing to do", s, err)
		}
	}
}

func TestToACS(t *testing.T) {
	code := 3
	got := toACS(taskrunner.StateChange{TaskARN: "t", Status: "STOPPED", Reason: "r", Containers: []taskrunner.ContainerChange{{
		Name: "app", RuntimeID: "d", Status: "STOPPED", ExitCode: &code,
		NetworkBindings: []taskrunner.NetworkBinding{{BindIP: "0.0.0.0", ContainerPort: 8080, HostPort: 32768, Protocol: "tcp"}}}}})
	if len(got.Containers) != 1 || got.Containers[0].ExitCode == nil || *got.Containers[0].ExitCode != 3 ||
		got.Containers[0].NetworkBindings[0].HostPort != 32768 || got.Status != "STOPPED" {
		t.Errorf("toACS = %+v", got)
	}
}

func TestMissingPermissionError(t *testing.T) {
	inner := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform ecs:CreateCluster"}
	err := error(&MissingPermissionError{Action: "ecs:CreateCluster", Cluster: "default", Err: inner})
	if !errors.Is(err, inner) {
		t.Error("does not unwrap to the API error")
	}
	want := "agent: cluster default does not exist and the instance role may not create it: allow ecs:CreateCluster to the instance role, " +
		"create the cluster, or set ECS_CLUSTER (--cluster) to an existing cluster (AccessDeniedException: not authorized to perform ecs:CreateCluster)"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
}
