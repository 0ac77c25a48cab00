// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// TaskStateChange is a task's transition as SubmitTaskStateChange reports
// it, with the changes of its containers batched in.
type TaskStateChange struct {
	TaskARN string
	// Status is PENDING, RUNNING or STOPPED.
	Status string
	// Reason is cut to 1024 characters.
	Reason             string
	PullStartedAt      time.Time
	PullStoppedAt      time.Time
	ExecutionStoppedAt time.Time
	Containers         []ContainerStateChange
}

// ContainerStateChange is one container's state.
type ContainerStateChange struct {
	Name        string
	RuntimeID   string
	ImageDigest string
	// Status is PENDING, RUNNING or STOPPED.
	Status          string
	ExitCode        *int32
	Reason          string
	NetworkBindings []NetworkBinding
}

// NetworkBinding is a container port published on the host.
type NetworkBinding struct {
	BindIP        string
	ContainerPort int32
	HostPort      int32
	// Protocol is tcp or udp.
	Protocol string
}

const maxReason = 1024

// SubmitTaskStateChange reports a task transition in the configured
// cluster.
func (c *Client) SubmitTaskStateChange(ctx context.Context, ch TaskStateChange) error {
	in := &ecs.SubmitTaskStateChangeInput{
		Cluster:            aws.String(c.cfg.Cluster),
		Task:               aws.String(ch.TaskARN),
		Status:             aws.String(ch.Status),
		Reason:             optional(truncate(ch.Reason)),
		PullStartedAt:      optionalTime(ch.PullStartedAt),
		PullStoppedAt:      optionalTime(ch.PullStoppedAt),
		ExecutionStoppedAt: optionalTime(ch.ExecutionStoppedAt),
	}
	for _, cc := range ch.Containers {
		in.Containers = append(in.Containers, types.ContainerStateChange{
			ContainerName:   aws.String(cc.Name),
			RuntimeId:       optional(cc.RuntimeID),
			ImageDigest:     optional(cc.ImageDigest),
			Status:          aws.String(cc.Status),
			ExitCode:        cc.ExitCode,
			Reason:          optional(truncate(cc.Reason)),
			NetworkBindings: bindings(cc.NetworkBindings),
		})
	}
	if _, err := c.ecs.SubmitTaskStateChange(ctx, in); err != nil {
		return fmt.Errorf("acs: submit task state change: %w", err)
	}
	return nil
}

// SubmitContainerStateChange reports one container's transition (the
// ECS agent's legacy path; state changes normally travel batched in
// SubmitTaskStateChange).
func (c *Client) SubmitContainerStateChange(ctx context.Context, taskARN string, cc ContainerStateChange) error {
	in := &ecs.SubmitContainerStateChangeInput{
		Cluster:         aws.String(c.cfg.Cluster),
		Task:            aws.String(taskARN),
		ContainerName:   aws.String(cc.Name),
		RuntimeId:       optional(cc.RuntimeID),
		Status:          aws.String(cc.Status),
		ExitCode:        cc.ExitCode,
		Reason:          optional(truncate(cc.Reason)),
		NetworkBindings: bindings(cc.NetworkBindings),
	}
	if _, err := c.ecs.SubmitContainerStateChange(ctx, in); err != nil {
		return fmt.Errorf("acs: submit container state change: %w", err)
	}
	return nil
}

// SubmitAttachmentStateChanges reports instance-level attachments
// (attachment ARN → status).
func (c *Client) SubmitAttachmentStateChanges(ctx context.Context, attachments map[string]string) error {
	in := &ecs.SubmitAttachmentStateChangesInput{Cluster: aws.String(c.cfg.Cluster)}
	for _, a := range sortedKeys(attachments) {
		in.Attachments = append(in.Attachments, types.AttachmentStateChange{AttachmentArn: aws.String(a), Status: aws.String(attachments[a])})
	}
	if _, err := c.ecs.SubmitAttachmentStateChanges(ctx, in); err != nil {
		return fmt.Errorf("acs: submit attachment state changes: %w", err)
	}
	return nil
}

// IsInvalidParameter reports an InvalidParameterException: the ECS agent
// drops such a state change instead of retrying it.
func IsInvalidParameter(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "InvalidParameterException"
}

func bindings(nbs []NetworkBinding) []types.NetworkBinding {
	var out []types.NetworkBinding
	for _, nb := range nbs {
		proto := types.TransportProtocolTcp
		if nb.Protocol == "udp" {
			proto = types.TransportProtocolUdp
		}
		out = append(out, types.NetworkBinding{
			BindIP:        aws.String(nb.BindIP),
			ContainerPort: aws.Int32(nb.ContainerPort),
			HostPort:      aws.Int32(nb.HostPort),
			Protocol:      proto,
		})
	}
	return out
}

func truncate(s string) string {
	if len(s) > maxReason {
		return s[:maxReason]
	}
	return s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
