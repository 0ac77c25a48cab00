// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/agentapi"
	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/reqctx"
)

// ECS fakes the ECS operations an agent calls. The cluster "test" exists
// from the start. It is safe for concurrent use.
type ECS struct {
	ecsapi.Unimplemented
	b *Backend

	mu            sync.Mutex
	clusters      map[string]bool
	registrations []*ecsapi.RegisterContainerInstanceInput
	changes       []*ecsapi.SubmitTaskStateChangeInput
	containers    []*ecsapi.SubmitContainerStateChangeInput
	dropAttribute string
}

func newECS(b *Backend) *ECS {
	return &ECS{b: b, clusters: map[string]bool{"test": true}}
}

// ClusterARN returns the ARN of a cluster of the plane.
func ClusterARN(name string) string {
	return arn.New("ecs", Region, Account, "cluster/"+name)
}

func clusterName(c *string) string {
	name := aws.ToString(c)
	if name == "" {
		return "default"
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 && strings.HasPrefix(name, "arn:") {
		return name[i+1:]
	}
	return name
}

// CreateCluster implements ecsapi.API.
func (e *ECS) CreateCluster(_ context.Context, in *ecsapi.CreateClusterInput) (*ecsapi.CreateClusterOutput, error) {
	name := clusterName(in.ClusterName)
	e.mu.Lock()
	e.clusters[name] = true
	e.mu.Unlock()
	return &ecsapi.CreateClusterOutput{Cluster: &ecsapi.Cluster{ClusterArn: aws.String(ClusterARN(name)), ClusterName: aws.String(name), Status: aws.String("ACTIVE")}}, nil
}

// RegisterContainerInstance implements ecsapi.API: a new instance echoes
// the attributes sent (but DropAttribute's).
func (e *ECS) RegisterContainerInstance(_ context.Context, in *ecsapi.RegisterContainerInstanceInput) (*ecsapi.RegisterContainerInstanceOutput, error) {
	name := clusterName(in.Cluster)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.clusters[name] {
		return nil, ecsapi.ErrClusterNotFound("Cluster not found.")
	}
	e.registrations = append(e.registrations, in)
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	instARN := aws.ToString(in.ContainerInstanceArn)
	if instARN == "" {
		instARN = arn.New("ecs", Region, Account, "container-instance/"+name+"/"+hex.EncodeToString(id))
	}
	e.b.Activate(instARN, ClusterARN(name))
	ci := &ecsapi.ContainerInstance{ContainerInstanceArn: aws.String(instARN), Status: aws.String("ACTIVE"), RegisteredResources: in.TotalResources}
	for _, a := range in.Attributes {
		if aws.ToString(a.Name) != e.dropAttribute {
			ci.Attributes = append(ci.Attributes, a)
		}
	}
	return &ecsapi.RegisterContainerInstanceOutput{ContainerInstance: ci}, nil
}

// DiscoverPollEndpoint implements ecsapi.API: /acs and /tcs on the host
// the agent called.
func (e *ECS) DiscoverPollEndpoint(ctx context.Context, _ *ecsapi.DiscoverPollEndpointInput) (*ecsapi.DiscoverPollEndpointOutput, error) {
	host := "http://" + reqctx.From(ctx).Host
	return &ecsapi.DiscoverPollEndpointOutput{Endpoint: aws.String(host + "/acs"), TelemetryEndpoint: aws.String(host + "/tcs")}, nil
}

// SubmitTaskStateChange implements ecsapi.API: it records the change and
// sets the task's last status in the Backend.
func (e *ECS) SubmitTaskStateChange(_ context.Context, in *ecsapi.SubmitTaskStateChangeInput) (*ecsapi.SubmitTaskStateChangeOutput, error) {
	e.mu.Lock()
	e.changes = append(e.changes, in)
	e.mu.Unlock()
	if inst := e.b.instanceOf(aws.ToString(in.Task)); inst != "" {
		e.b.UpdateTask(inst, aws.ToString(in.Task), func(t *agentapi.Task) { t.LastStatus = aws.ToString(in.Status) })
	}
	return &ecsapi.SubmitTaskStateChangeOutput{Acknowledgment: aws.String("ACK")}, nil
}

// SubmitContainerStateChange implements ecsapi.API.
func (e *ECS) SubmitContainerStateChange(_ context.Context, in *ecsapi.SubmitContainerStateChangeInput) (*ecsapi.SubmitContainerStateChangeOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.containers = append(e.containers, in)
	return &ecsapi.SubmitContainerStateChangeOutput{Acknowledgment: aws.String("ACK")}, nil
}

// SubmitAttachmentStateChanges implements ecsapi.API.
func (e *ECS) SubmitAttachmentStateChanges(context.Context, *ecsapi.SubmitAttachmentStateChangesInput) (*ecsapi.SubmitAttachmentStateChangesOutput, error) {
	return &ecsapi.SubmitAttachmentStateChangesOutput{Acknowledgment: aws.String("ACK")}, nil
}

// SetDropAttribute makes registrations leave an attribute out of the answer.
func (e *ECS) SetDropAttribute(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropAttribute = name
}

// ClusterExists reports whether a cluster was created.
func (e *ECS) ClusterExists(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clusters[name]
}

// Registrations returns the registrations received.
func (e *ECS) Registrations() []*ecsapi.RegisterContainerInstanceInput {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*ecsapi.RegisterContainerInstanceInput(nil), e.registrations...)
}

// Changes returns the task state changes received.
func (e *ECS) Changes() []*ecsapi.SubmitTaskStateChangeInput {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*ecsapi.SubmitTaskStateChangeInput(nil), e.changes...)
}

// ContainerChanges returns the container state changes received.
func (e *ECS) ContainerChanges() []*ecsapi.SubmitContainerStateChangeInput {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*ecsapi.SubmitContainerStateChangeInput(nil), e.containers...)
}

// instanceOf returns the instance a task is placed on, or "".
func (b *Backend) instanceOf(taskARN string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for inst, ts := range b.tasks {
		for _, t := range ts {
			if t.TaskARN == taskARN {
				return inst
			}
		}
	}
	return ""
}
