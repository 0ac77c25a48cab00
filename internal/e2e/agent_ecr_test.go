// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/agent/agenttest"
	"github.com/berthdev/berth/internal/firstrun"
)

// rootCLI returns the AWS CLI signed with the control plane's root key,
// skipping the test when the CLI is not installed.
func (e *loopbackEnv) rootCLI(t *testing.T) *cli {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed; .ci/run installs it")
	}
	id, secret := e.cp.RootCredentials()
	return (&cli{t: t, endpoint: e.cp.URL}).as(id, secret)
}

// dockerCLI runs the docker command with its own client configuration
// directory (docker login writes there, not in the user's).
func dockerCLI(t *testing.T, configDir string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+configDir)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestAgent_ECRPull runs tasks whose image lives only in berth's registry:
// it is pushed with docker after `aws ecr get-login-password | docker
// login`, its local tags are removed, and the agent pulls it with an ECR
// token fetched with the instance role; the task reaches RUNNING. With
// ecr:BatchGetImage denied to the instance role, a task of another tag
// stops with CannotPullContainerError naming the action, and so does one
// pulled by an agent whose instance role is denied ecr:GetAuthorizationToken.
func TestAgent_ECRPull(t *testing.T) {
	eng := agenttest.Docker(t)
	e := newLoopbackEnv(t)
	aws_ := e.rootCLI(t)
	ctx := context.Background()
	probe := agenttest.ProbeImage(t, eng)

	var repo struct {
		Repository struct{ RepositoryUri string }
	}
	aws_.must(&repo, "ecr", "create-repository", "--repository-name", "ecr-app")
	uri := repo.Repository.RepositoryUri
	if !strings.HasPrefix(uri, strings.TrimPrefix(e.cp.URL, "http://")+"/") {
		t.Fatalf("repositoryUri %q is not on the control plane's host %s", uri, e.cp.URL)
	}
	password, errs, ok := aws_.run("ecr", "get-login-password")
	if !ok {
		t.Fatalf("aws ecr get-login-password: %s", errs)
	}
	dcfg := t.TempDir()
	host, _, _ := strings.Cut(uri, "/")
	dockerCLI(t, dcfg, strings.TrimSpace(password), "login", "--username", "AWS", "--password-stdin", host)
	for _, tag := range []string{"v1", "v2"} {
		dockerCLI(t, dcfg, "", "tag", probe, uri+":"+tag)
		dockerCLI(t, dcfg, "", "push", uri+":"+tag)
		dockerCLI(t, dcfg, "", "rmi", uri+":"+tag) // the image now lives only in the registry
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", uri+":v1", uri+":v2").Run() })

	register := func(family, image string) {
		t.Helper()
		_, err := e.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
			NetworkMode: ecstypes.NetworkModeBridge, ContainerDefinitions: []ecstypes.ContainerDefinition{{
				Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(64), Essential: aws.Bool(true),
				Command: []string{"serve", "-addr", ":8080"}}}})
		if err != nil {
			t.Fatalf("RegisterTaskDefinition %s: %v", family, err)
		}
	}
	register("ecr-v1", uri+":v1")
	register("ecr-v2", uri+":v2")

	a := e.start(t)
	a.waitLog(t, 60*time.Second, "connected to ACS")

	t.Run("PullWithInstanceRole", func(t *testing.T) {
		arn := runTask(t, e.ecs, "ecr-v1")
		task := waitTask(t, e.ecs, arn, "RUNNING", 120*time.Second)
		removeContainer(t, eng, aws.ToString(task.Containers[0].RuntimeId))
		if !strings.Contains(a.logText(), "ECR authorization token fetched") {
			t.Errorf("the agent did not log fetching an ECR token; log:\n%s", a.logText())
		}
		if _, err := e.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("default"), Task: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
		waitTask(t, e.ecs, arn, "STOPPED", 60*time.Second)
	})

	t.Run("BatchGetImageDenied", func(t *testing.T) {
		deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecr:BatchGetImage","Resource":"*"}]}`
		if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(firstrun.RoleName),
			PolicyName: aws.String("no-batch-get-image"), PolicyDocument: aws.String(deny)}); err != nil {
			t.Fatal(err)
		}
		arn := runTask(t, e.ecs, "ecr-v2")
		task := waitTask(t, e.ecs, arn, "STOPPED", 120*time.Second)
		reason := aws.ToString(task.StoppedReason)
		if len(task.Containers) > 0 && aws.ToString(task.Containers[0].Reason) != "" {
			reason += " | container: " + aws.ToString(task.Containers[0].Reason)
		}
		t.Logf("stopped: %s", reason)
		if !strings.Contains(reason, "CannotPullContainerError") || !strings.Contains(reason, "ecr:BatchGetImage") {
			t.Errorf("stopped reason %q, want CannotPullContainerError naming ecr:BatchGetImage", reason)
		}
	})

	t.Run("GetAuthorizationTokenDenied", func(t *testing.T) {
		a.signal(syscall.SIGKILL) // a new agent has no cached token
		deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecr:GetAuthorizationToken","Resource":"*"}]}`
		if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(firstrun.RoleName),
			PolicyName: aws.String("no-batch-get-image"), PolicyDocument: aws.String(deny)}); err != nil {
			t.Fatal(err)
		}
		a = e.start(t)
		a.waitLog(t, 60*time.Second, "connected to ACS")
		arn := runTask(t, e.ecs, "ecr-v2")
		task := waitTask(t, e.ecs, arn, "STOPPED", 120*time.Second)
		reason := aws.ToString(task.StoppedReason)
		t.Logf("stopped: %s", reason)
		if !strings.HasPrefix(reason, "CannotPullContainerError: ") || !strings.Contains(reason, "not authorized to perform: ecr:GetAuthorizationToken") {
			t.Errorf("stopped reason %q, want CannotPullContainerError naming the denied ecr:GetAuthorizationToken", reason)
		}
	})
}
