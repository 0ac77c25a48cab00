// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package acs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/logkey"
)

// RegisterInput describes the instance an agent registers.
type RegisterInput struct {
	// ContainerInstanceARN re-registers a known instance (the agent's
	// checkpoint); empty registers a new one.
	ContainerInstanceARN string
	// CPU is in CPU units (1024 per core); MemoryMiB is what tasks may use.
	CPU       int32
	MemoryMiB int32
	// ReservedPorts and ReservedUDPPorts are host ports tasks may not take.
	ReservedPorts    []int32
	ReservedUDPPorts []int32
	// Attributes are the instance's attributes and capabilities (an empty
	// value sends the name only); the answer must echo each of them.
	Attributes map[string]string
	Tags       map[string]string
	// InstanceIdentityDocument and its signature are sent as given ("" when
	// there is no instance metadata).
	InstanceIdentityDocument          string
	InstanceIdentityDocumentSignature string
}

// DefaultReservedPorts are the ports the ECS agent reserves by default.
var DefaultReservedPorts = []int32{22, 2375, 2376, 51678, 51679}

// Registration is the registered instance.
type Registration struct {
	ContainerInstanceARN string
	// AvailabilityZone is the ecs.availability-zone attribute of the answer.
	AvailabilityZone string
	// Attributes are every attribute of the answer.
	Attributes map[string]string
}

// ErrAttributeMismatch means the control plane did not echo an attribute
// the agent sent; the ECS agent treats it as fatal (exit 5).
var ErrAttributeMismatch = errors.New("acs: registered attributes differ from the ones sent")

// CreateClusterError is RegisterContainerInstance's error when the
// default cluster does not exist and creating it failed. Err is the
// CreateCluster error (a smithy.APIError when the control plane answered).
type CreateClusterError struct {
	Cluster string
	Err     error
}

func (e *CreateClusterError) Error() string {
	return "acs: cluster " + e.Cluster + " does not exist and creating it failed: " + e.Err.Error()
}

func (e *CreateClusterError) Unwrap() error { return e.Err }

// AccessDenied reports whether CreateCluster was refused for want of
// permission (AccessDeniedException).
func (e *CreateClusterError) AccessDenied() bool {
	var ae smithy.APIError
	return errors.As(e.Err, &ae) && ae.ErrorCode() == "AccessDeniedException"
}

// RegisterContainerInstance registers the instance in the configured
// cluster. When the cluster is the default one and does not exist, it is
// created (CreateCluster) and registration retried once; a configured
// cluster that is missing is an error.
func (c *Client) RegisterContainerInstance(ctx context.Context, in RegisterInput) (*Registration, error) {
	out, err := c.register(ctx, in)
	if isClusterNotFound(err) && !c.explicitCluster {
		c.log.Info("default cluster not found; creating it")
		if _, cerr := c.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(DefaultCluster)}); cerr != nil {
			return nil, &CreateClusterError{Cluster: DefaultCluster, Err: cerr}
		}
		out, err = c.register(ctx, in)
	}
	if err != nil {
		return nil, fmt.Errorf("acs: register container instance: %w", err)
	}
	ci := out.ContainerInstance
	if ci == nil || aws.ToString(ci.ContainerInstanceArn) == "" {
		return nil, errors.New("acs: register container instance: the answer has no container instance")
	}
	reg := &Registration{ContainerInstanceARN: aws.ToString(ci.ContainerInstanceArn), Attributes: map[string]string{}}
	for _, a := range ci.Attributes {
		reg.Attributes[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	for k, v := range in.Attributes {
		if got, ok := reg.Attributes[k]; !ok || got != v {
			return nil, fmt.Errorf("%w: %s=%q came back as %q", ErrAttributeMismatch, k, v, got)
		}
	}
	reg.AvailabilityZone = reg.Attributes["ecs.availability-zone"]
	c.log.Debug("registered container instance", logkey.Instance, reg.ContainerInstanceARN)
	return reg, nil
}

func (c *Client) register(ctx context.Context, in RegisterInput) (*ecs.RegisterContainerInstanceOutput, error) {
	req := &ecs.RegisterContainerInstanceInput{
		Cluster:                           aws.String(c.cfg.Cluster),
		InstanceIdentityDocument:          aws.String(in.InstanceIdentityDocument),
		InstanceIdentityDocumentSignature: aws.String(in.InstanceIdentityDocumentSignature),
		TotalResources: []types.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: in.CPU},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: in.MemoryMiB},
			{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: portStrings(in.ReservedPorts)},
			{Name: aws.String("PORTS_UDP"), Type: aws.String("STRINGSET"), StringSetValue: portStrings(in.ReservedUDPPorts)},
		},
	}
	if in.ContainerInstanceARN != "" {
		req.ContainerInstanceArn = aws.String(in.ContainerInstanceARN)
	}
	for _, k := range sortedKeys(in.Attributes) {
		a := types.Attribute{Name: aws.String(k)}
		if v := in.Attributes[k]; v != "" {
			a.Value = aws.String(v) // capabilities have a name only
		}
		req.Attributes = append(req.Attributes, a)
	}
	for _, k := range sortedKeys(in.Tags) {
		req.Tags = append(req.Tags, types.Tag{Key: aws.String(k), Value: aws.String(in.Tags[k])})
	}
	return c.ecs.RegisterContainerInstance(ctx, req, withClientToken(newClientToken()))
}

// isClusterNotFound reports the error RegisterContainerInstance returns
// for a missing cluster (by code, or by the message the ECS agent also
// accepts).
func isClusterNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.ErrorCode() == "ClusterNotFoundException" || ae.ErrorMessage() == "Cluster not found."
}

// IsTerminal reports whether a registration error is one the ECS agent
// does not retry (it exits with code 5): invalid parameters, client
// errors and an attribute mismatch.
func IsTerminal(err error) bool {
	if errors.Is(err, ErrAttributeMismatch) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "InvalidParameterException", "ClientException":
			return true
		}
	}
	return false
}

func portStrings(ports []int32) []string {
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		out = append(out, strconv.Itoa(int(p)))
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
