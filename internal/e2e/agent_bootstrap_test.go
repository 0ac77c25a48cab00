// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/firstrun"
	"github.com/berthdev/berth/internal/testutil"
)

// loopbackEnv is a control plane with the first-run setup and one host
// (RunInstances with the ecsInstanceRole profile) whose agent runs with
// everything on 127.0.0.1 and no packet filter: for agent tests whose
// containers never call the metadata service or the credentials endpoint
// (and tasks are told a loopback credentials endpoint, so no container
// packet can head for 169.254.170.2).
type loopbackEnv struct {
	bin  string
	cp   *testutil.ControlPlane
	root aws.Config
	ecs  *ecs.Client
	iam  *iam.Client
	s3   *s3.Client
	env  []string
}

func newLoopbackEnv(t *testing.T) *loopbackEnv {
	t.Helper()
	cp := testutil.TestControlPlane(t)
	root := cp.RootConfig()
	e := &loopbackEnv{bin: testutil.Binary(t), cp: cp, root: root, ecs: ecs.NewFromConfig(root), iam: iam.NewFromConfig(root),
		s3: s3.NewFromConfig(root, func(o *s3.Options) { o.UsePathStyle = true })}
	token := firstRunInstance(t, root)
	creds := freeAddr(t, "127.0.0.1")
	e.env = []string{"HOME=" + t.TempDir(), "ECS_BACKEND_HOST=" + cp.URL, "ECS_DATADIR=" + filepath.Join(t.TempDir(), "agent"),
		"BERTH_IMDS_ADDR=" + freeAddr(t, "127.0.0.1"), "BERTH_CREDENTIALS_ADDR=" + creds, "BERTH_CREDENTIALS_ENDPOINT=" + creds,
		"BERTH_NETFILTER=false", "BERTH_JOIN_TOKEN=" + token}
	e.env = append(e.env, dockerHostEnv()...)
	return e
}

func (e *loopbackEnv) start(t *testing.T, args ...string) *agentProc {
	return startAgent(t, e.bin, e.env, args...)
}

// waitExit waits for the agent to exit and returns its log.
func (p *agentProc) waitExit(t *testing.T, timeout time.Duration) string {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		var ee interface{ ExitCode() int }
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Errorf("agent exit: %v, want a failure exit code", err)
		}
	case <-time.After(timeout):
		t.Fatalf("the agent still runs after %s; log:\n%s", timeout, p.logText())
	}
	return p.logText()
}

const bootstrapConfig = "# fetched by berth agent --config s3://...\nECS_CLUSTER=from-s3\nECS_INSTANCE_ATTRIBUTES={\"config-source\":\"s3\"}\n"

// TestAgent_ConfigFromS3 drives `berth agent --config s3://cfg/ecs.config`
// as AWS's guide describes the private-bucket ecs.config: without S3
// access the instance role is denied s3:GetObject and the agent does not
// start; with AmazonS3ReadOnlyAccess but a bucket policy denying every
// principal but the account root it is denied too; without that bucket
// policy it starts with the bucket's configuration (its cluster and
// attribute visible in DescribeContainerInstances). BERTH_AGENT_CONFIG
// works as --config.
func TestAgent_ConfigFromS3(t *testing.T) {
	agenttest.Docker(t) // a successful start needs the Docker Engine
	e := newLoopbackEnv(t)
	ctx := context.Background()
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cfg")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfg"), Key: aws.String("ecs.config"), Body: strings.NewReader(bootstrapConfig)}); err != nil {
		t.Fatal(err)
	}
	const object = "s3://cfg/ecs.config"

	t.Run("NoS3Access", func(t *testing.T) {
		log := e.start(t, "--config", object).waitExit(t, 60*time.Second)
		for _, want := range []string{"s3:GetObject on " + object, "AccessDenied", "assumed-role/ecsInstanceRole", "AmazonS3ReadOnlyAccess"} {
			if !strings.Contains(log, want) {
				t.Errorf("agent log lacks %q:\n%s", want, log)
			}
		}
		t.Logf("agent: %s", lineWith(log, "s3:GetObject"))
		if strings.Contains(log, "registered container instance") {
			t.Errorf("the agent registered without its configuration:\n%s", log)
		}
	})

	if _, err := e.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(firstrun.RoleName),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}

	t.Run("BucketPolicyDenies", func(t *testing.T) {
		policy := `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyTheAccountRoot","Effect":"Deny","Principal":"*","Action":"s3:GetObject",` +
			`"Resource":"arn:aws:s3:::cfg/*","Condition":{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::` + testutil.AccountID + `:root"}}}]}`
		if _, err := e.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("cfg"), Policy: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := e.s3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("cfg")}); err != nil {
				t.Fatal(err)
			}
		}()
		if _, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cfg"), Key: aws.String("ecs.config")}); err != nil {
			t.Fatalf("the account root cannot read the object under the bucket policy: %v", err)
		}
		log := e.start(t, "--config", object).waitExit(t, 60*time.Second)
		t.Logf("agent: %s", lineWith(log, "s3:GetObject"))
		if !strings.Contains(log, "s3:GetObject on "+object) || !strings.Contains(log, "AccessDenied") {
			t.Errorf("agent log does not report the denied s3:GetObject on %s:\n%s", object, log)
		}
	})

	t.Run("Allowed", func(t *testing.T) {
		if _, err := e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("from-s3")}); err != nil {
			t.Fatal(err)
		}
		env := append(append([]string{}, e.env...), "BERTH_AGENT_CONFIG="+object)
		a := startAgent(t, e.bin, env)
		a.waitLog(t, 60*time.Second, "agent configuration loaded from S3", "connected to ACS")
		list, err := e.ecs.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("from-s3")})
		if err != nil || len(list.ContainerInstanceArns) != 1 {
			t.Fatalf("container instances of cluster from-s3: %v, %v", list, err)
		}
		out, err := e.ecs.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("from-s3"),
			ContainerInstances: list.ContainerInstanceArns})
		if err != nil || len(out.ContainerInstances) != 1 {
			t.Fatalf("DescribeContainerInstances: %v, %v", out, err)
		}
		found := false
		for _, at := range out.ContainerInstances[0].Attributes {
			found = found || aws.ToString(at.Name) == "config-source" && aws.ToString(at.Value) == "s3"
		}
		if !found {
			t.Errorf("attribute config-source=s3 from the bucket's ECS_INSTANCE_ATTRIBUTES missing: %+v", out.ContainerInstances[0].Attributes)
		}
	})
}

// lineWith returns the first line of text containing sub.
func lineWith(text, sub string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
