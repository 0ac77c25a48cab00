// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

const (
	region      = "us-east-1"
	roleName    = "bench"
	clusterName = "bench"
	userName    = "motobench-reader"
	policyName  = "motobench-read"
	trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// setupCalls is how many actions setup makes before the user's key exists:
// moto with -moto-auth leaves exactly these unauthenticated.
const setupCalls = 6

// readerPolicy is the user's customer managed policy, next to statements
// that do not match, as a real least-privilege policy would be. iam:GetRole
// is allowed on the role's ARN; the ECS reads on "*", because moto (with
// -moto-auth) authorizes ECS actions against resource "*" only.
func readerPolicy(roleARN, clusterARN string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Sid":"ReadBenchRole","Effect":"Allow","Action":["iam:GetRole","iam:ListRoleTags","iam:ListAttachedRolePolicies"],"Resource":%q},
{"Sid":"ListBenchServices","Effect":"Allow","Action":["ecs:ListServices","ecs:DescribeServices"],"Resource":%q},
{"Sid":"ReadECS","Effect":"Allow","Action":["ecs:DescribeClusters","ecs:ListTasks","ecs:DescribeTasks"],"Resource":"*"},
{"Sid":"NoWrites","Effect":"Deny","Action":["iam:Delete*","iam:Put*","iam:Update*","ecs:Delete*"],"Resource":"*"}]}`, roleARN, clusterARN)
}

// newConfig returns an SDK configuration for url with a static key, its own
// HTTP transport (so each client has its own connection), no proxy and no
// retries: every measured call is exactly one request.
func newConfig(url, keyID, secret string) aws.Config {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(url),
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(keyID, secret, "")),
		HTTPClient:   &http.Client{Transport: tr, Timeout: 60 * time.Second},
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// key is an access key.
type key struct{ id, secret string }

// setup creates, with adminCfg, the role and cluster the measured calls read
// and an IAM user allowed to read them by a customer managed policy, and
// returns that user's new access key.
func setup(ctx context.Context, adminCfg aws.Config) (key, error) {
	im, ec := iam.NewFromConfig(adminCfg), ecs.NewFromConfig(adminCfg)
	role, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	if err != nil {
		return key{}, fmt.Errorf("CreateRole: %w", err)
	}
	cl, err := ec.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(clusterName)})
	if err != nil {
		return key{}, fmt.Errorf("CreateCluster: %w", err)
	}
	pol, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName:     aws.String(policyName),
		PolicyDocument: aws.String(readerPolicy(aws.ToString(role.Role.Arn), aws.ToString(cl.Cluster.ClusterArn))),
	})
	if err != nil {
		return key{}, fmt.Errorf("CreatePolicy: %w", err)
	}
	if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(userName)}); err != nil {
		return key{}, fmt.Errorf("CreateUser: %w", err)
	}
	if _, err := im.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(userName), PolicyArn: pol.Policy.Arn}); err != nil {
		return key{}, fmt.Errorf("AttachUserPolicy: %w", err)
	}
	k, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(userName)})
	if err != nil {
		return key{}, fmt.Errorf("CreateAccessKey: %w", err)
	}
	return key{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)}, nil
}

// op is one measured call made with a client's own SDK clients.
type op struct {
	name string
	call func(context.Context, *clients) error
}

// clients are one simulated client's SDK clients, sharing one transport.
type clients struct {
	iam *iam.Client
	ecs *ecs.Client
}

func newClients(cfg aws.Config) *clients {
	return &clients{iam: iam.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg)}
}

var allOps = []op{
	{"iam:GetRole", func(ctx context.Context, c *clients) error {
		out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
		if err == nil && aws.ToString(out.Role.RoleName) != roleName {
			err = fmt.Errorf("GetRole returned role %q", aws.ToString(out.Role.RoleName))
		}
		return err
	}},
	{"ecs:DescribeClusters", func(ctx context.Context, c *clients) error {
		out, err := c.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{clusterName}})
		if err == nil && (len(out.Clusters) != 1 || len(out.Failures) != 0) {
			err = fmt.Errorf("DescribeClusters returned %d clusters, %d failures", len(out.Clusters), len(out.Failures))
		}
		return err
	}},
	{"ecs:ListTasks", func(ctx context.Context, c *clients) error {
		_, err := c.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(clusterName)})
		return err
	}},
}

// pickOps returns the operations named in a comma-separated list.
func pickOps(list string) ([]op, error) {
	var out []op
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, o := range allOps {
			if strings.EqualFold(o.name, n) {
				out = append(out, o)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown operation %q (have iam:GetRole, ecs:DescribeClusters, ecs:ListTasks)", n)
		}
	}
	return out, nil
}

// authProbe reports whether srv rejects a call signed with a wrong secret
// and denies the user an action its policy does not allow (iam:ListUsers):
// the evidence that the measured calls are authenticated and authorized.
func authProbe(ctx context.Context, srv *server, k key) string {
	bad := newClients(newConfig(srv.url, k.id, k.secret+"x"))
	defer closeIdle(bad)
	_, errSig := bad.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	good := newClients(newConfig(srv.url, k.id, k.secret))
	defer closeIdle(good)
	_, errDeny := good.iam.ListUsers(ctx, &iam.ListUsersInput{})
	return fmt.Sprintf("wrong secret: %s; iam:ListUsers (not in the policy): %s", outcome(errSig), outcome(errDeny))
}

func outcome(err error) string {
	var ae smithy.APIError
	switch {
	case err == nil:
		return "ALLOWED"
	case errors.As(err, &ae):
		return "rejected " + ae.ErrorCode()
	default:
		return "failed (" + err.Error() + ")"
	}
}
