// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/smithy-go"

	agentacs "github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/agent/imds"
	"github.com/berthdev/berth/internal/agent/state"
	"github.com/berthdev/berth/internal/logkey"
)

// loadAWSConfig builds the agent's AWS configuration exactly as an SDK on
// the host would: the default credential chain, with the EC2 metadata
// endpoint set to the agent's own metadata service.
func (a *Agent) loadAWSConfig(ctx context.Context, region, imdsURL string) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region), awsconfig.WithEC2IMDSEndpoint(imdsURL))
	if err != nil {
		return aws.Config{}, fmt.Errorf("agent: aws config: %w", err)
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("agent: the instance role's credentials from the metadata service at %s: %w", imdsURL, err)
	}
	if c.Source != ec2rolecreds.ProviderName {
		a.log.Warn("the agent's credentials do not come from the instance metadata service: AWS_* variables or a shared config profile in its environment take precedence; unset them to act as the instance role", "source", c.Source)
	} else {
		a.log.Info("agent credentials from the instance metadata service", "source", c.Source)
	}
	return cfg, nil
}

// register registers the instance (re-registering the checkpointed one),
// retrying with backoff until it succeeds, ctx ends, or the error is
// terminal.
func (a *Agent) register(ctx context.Context, c *agentacs.Client, db *state.DB, ident imds.Identity, host HostIdentity) (state.Registration, error) {
	s := a.cfg.Settings
	prev, ok, err := db.Registration()
	if err != nil {
		return state.Registration{}, err
	}
	in := agentacs.RegisterInput{
		CPU: int32(runtime.NumCPU() * 1024), MemoryMiB: int32(max(totalMemoryMiB()-s.ReservedMemoryMiB, 0)),
		ReservedPorts: ports(s.ReservedPorts), ReservedUDPPorts: ports(s.ReservedPortsUDP),
		Attributes: attributes(s.InstanceAttributes), Tags: s.InstanceTags,
		InstanceIdentityDocument: string(ident.Document), InstanceIdentityDocumentSignature: ident.Signature,
	}
	if ok && sameCluster(prev.ClusterARN, c.Cluster()) {
		in.ContainerInstanceARN = prev.ContainerInstanceARN
	}
	delay := time.Second
	for {
		reg, err := c.RegisterContainerInstance(ctx, in)
		if err == nil {
			r := state.Registration{ClusterARN: clusterARN(reg.ContainerInstanceARN, c.Cluster()),
				ContainerInstanceARN: reg.ContainerInstanceARN, HostSecretRef: s.HostSecretFile, RegisteredAt: time.Now().UTC()}
			if err := db.PutRegistration(r); err != nil {
				return state.Registration{}, err
			}
			a.log.Info("registered container instance", logkey.Instance, reg.ContainerInstanceARN, "cluster", r.ClusterARN,
				"reregistered", in.ContainerInstanceARN != "")
			return r, nil
		}
		if ctx.Err() != nil {
			return state.Registration{}, ctx.Err()
		}
		if agentacs.IsTerminal(err) {
			if in.ContainerInstanceARN != "" {
				a.log.Warn("re-registration refused; registering as a new container instance", logkey.Err, describe(err))
				in.ContainerInstanceARN = ""
				continue
			}
			return state.Registration{}, fmt.Errorf("agent: registration refused: %s", describe(err))
		}
		var cce *agentacs.CreateClusterError
		if errors.As(err, &cce) && cce.AccessDenied() {
			// The ECS agent exits (code 1) on AccessDenied at registration:
			// retrying cannot help until someone changes the role.
			return state.Registration{}, &MissingPermissionError{Action: "ecs:CreateCluster", Cluster: cce.Cluster, Err: cce.Err}
		}
		a.log.Error("registration failed; will retry", "cluster", c.Cluster(), "retry_in", delay, logkey.Err, describe(err))
		select {
		case <-ctx.Done():
			return state.Registration{}, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// MissingPermissionError is Run's error when the instance role lacks a
// permission the agent cannot work without (ecs:CreateCluster to create
// the default cluster when no cluster is configured).
type MissingPermissionError struct {
	Action  string
	Cluster string
	Err     error
}

func (e *MissingPermissionError) Error() string {
	return fmt.Sprintf("agent: cluster %s does not exist and the instance role may not create it: allow %s to the instance role, "+
		"create the cluster, or set ECS_CLUSTER (--cluster) to an existing cluster (%s)", e.Cluster, e.Action, describe(e.Err))
}

func (e *MissingPermissionError) Unwrap() error { return e.Err }

// describe renders an AWS error as "Code: message", which says which
// permission is missing for AccessDenied.
func describe(err error) string {
	var ae smithy.APIError
	var he *agentacs.HandshakeError
	switch {
	case errors.As(err, &he):
		return he.Type + ": " + he.Message
	case errors.As(err, &ae):
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	case err == nil:
		return ""
	}
	return err.Error()
}

func sameCluster(arn, cluster string) bool {
	return arn != "" && (arn == cluster || strings.HasSuffix(arn, ":cluster/"+cluster))
}

// clusterARN derives the cluster ARN from a container instance ARN
// (arn:aws:ecs:R:A:container-instance/CLUSTER/ID).
func clusterARN(instanceARN, cluster string) string {
	if strings.HasPrefix(cluster, "arn:") {
		return cluster
	}
	prefix, rest, ok := strings.Cut(instanceARN, ":container-instance/")
	if !ok {
		return cluster
	}
	if name, _, ok := strings.Cut(rest, "/"); ok {
		return prefix + ":cluster/" + name
	}
	return prefix + ":cluster/" + cluster
}

func attributes(extra map[string]string) map[string]string {
	attrs := map[string]string{
		"ecs.os-type":          "linux",
		"ecs.os-family":        "LINUX",
		"ecs.cpu-architecture": archName(),
	}
	for _, c := range []string{
		"com.amazonaws.ecs.capability.privileged-container",
		"com.amazonaws.ecs.capability.ecr-auth",
		"com.amazonaws.ecs.capability.task-iam-role",
		"com.amazonaws.ecs.capability.task-iam-role-network-host",
		"com.amazonaws.ecs.capability.logging-driver.json-file",
		"com.amazonaws.ecs.capability.logging-driver.none",
		"com.amazonaws.ecs.capability.logging-driver.awslogs", // shipped by the agent (logship)
		"com.amazonaws.ecs.capability.docker-remote-api.1.44",
		"ecs.capability.execution-role-awslogs",
		"ecs.capability.container-health-check",
		"ecs.capability.container-ordering",
		"ecs.capability.task-cpu-mem-limit",
	} {
		attrs[c] = ""
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return attrs
}

func archName() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

func ports(ps []uint16) []int32 {
	out := make([]int32, 0, len(ps))
	for _, p := range ps {
		out = append(out, int32(p))
	}
	return out
}

// totalMemoryMiB reads MemTotal from /proc/meminfo (0 when unknown).
func totalMemoryMiB() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb / 1024
		}
	}
	return 0
}

// defaultRouteIP is the source address of the default route ("" if none);
// no packet is sent.
func defaultRouteIP() string {
	c, err := net.Dial("udp", "192.0.2.1:9") // TEST-NET-1: only a route lookup
	if err != nil {
		return ""
	}
	defer c.Close()
	if ua, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return ua.IP.String()
	}
	return ""
}

// instanceFromDocument fills the metadata service's instance description
// from the signed identity document.
func instanceFromDocument(doc []byte, host HostIdentity, region string) imds.Instance {
	var d struct {
		InstanceID       string    `json:"instanceId"`
		ImageID          string    `json:"imageId"`
		InstanceType     string    `json:"instanceType"`
		PrivateIP        string    `json:"privateIp"`
		Region           string    `json:"region"`
		AvailabilityZone string    `json:"availabilityZone"`
		AccountID        string    `json:"accountId"`
		Architecture     string    `json:"architecture"`
		PendingTime      time.Time `json:"pendingTime"`
	}
	_ = json.Unmarshal(doc, &d) // a partial document still describes what it can
	inst := imds.Instance{InstanceID: d.InstanceID, ImageID: d.ImageID, InstanceType: d.InstanceType, LocalIPv4: d.PrivateIP,
		Region: d.Region, AvailabilityZone: d.AvailabilityZone, AccountID: d.AccountID, Architecture: d.Architecture, PendingTime: d.PendingTime}
	if inst.InstanceID == "" {
		inst.InstanceID = host.InstanceID
	}
	if inst.Region == "" {
		inst.Region = region
	}
	if inst.AvailabilityZone == "" {
		inst.AvailabilityZone = host.AvailabilityZone
	}
	if inst.AccountID == "" {
		inst.AccountID = host.AccountID
	}
	inst.Hostname, _ = os.Hostname()
	return inst
}
