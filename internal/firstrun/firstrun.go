// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package firstrun

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// What the first run creates.
const (
	RoleName    = "ecsInstanceRole"
	ProfileName = "ecsInstanceRole"
	PolicyARN   = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
	ClusterName = "default"
	// TrustPolicy lets the EC2 service assume the role, as AWS's ECS guide
	// shows it.
	TrustPolicy = `{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	// RoleDescription is the created role's description.
	RoleDescription = "Allows EC2 instances in an ECS cluster to access ECS (the container instance role)."
)

// Roles is the part of the IAM API the role steps call.
type Roles interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, opts ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, opts ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
}

// Profiles is the part of the IAM API the instance profile steps call.
type Profiles interface {
	GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, opts ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
	CreateInstanceProfile(ctx context.Context, in *iam.CreateInstanceProfileInput, opts ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error)
	AddRoleToInstanceProfile(ctx context.Context, in *iam.AddRoleToInstanceProfileInput, opts ...func(*iam.Options)) (*iam.AddRoleToInstanceProfileOutput, error)
}

// Clusters is the part of the ECS API the cluster step calls.
type Clusters interface {
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, opts ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	CreateCluster(ctx context.Context, in *ecs.CreateClusterInput, opts ...func(*ecs.Options)) (*ecs.CreateClusterOutput, error)
}

var (
	_ Roles    = (*iam.Client)(nil)
	_ Profiles = (*iam.Client)(nil)
	_ Clusters = (*ecs.Client)(nil)
)

// Clients are the API clients the setup calls, signed as the caller.
type Clients struct {
	Roles    Roles
	Profiles Profiles
	Clusters Clusters
}

// FromSDK returns Clients over aws-sdk-go-v2's IAM and ECS clients.
func FromSDK(i *iam.Client, e *ecs.Client) Clients {
	return Clients{Roles: i, Profiles: i, Clusters: e}
}

// Outcome is what happened to one step.
type Outcome string

// Outcomes.
const (
	Created Outcome = "created" // Ensure made it
	Existed Outcome = "existed" // it was already there
	Missing Outcome = "missing" // Inspect: not there yet
	NotDone Outcome = "not-done"
	Failed  Outcome = "failed"
)

// Step names.
const (
	StepRole        = "role"
	StepPolicy      = "policy"
	StepProfile     = "profile"
	StepProfileRole = "profile-role"
	StepCluster     = "cluster"
)

// Step is one step of the setup and its outcome.
type Step struct {
	// Name is one of the Step* constants.
	Name string
	// Title says what the step makes, e.g. "Role ecsInstanceRole".
	Title   string
	Outcome Outcome
	// Code and Message are the AWS error of a failed or not-done step.
	Code    string
	Message string
	// Warning notes something the user should look at on an existing
	// resource (a trust policy that does not let EC2 assume the role).
	Warning string
}

// OK reports whether the step's resource is in place.
func (s Step) OK() bool { return s.Outcome == Created || s.Outcome == Existed }

// Report is the outcome of every step, in order.
type Report struct {
	Steps []Step
}

// Complete reports whether every step's resource is in place.
func (r Report) Complete() bool {
	for _, s := range r.Steps {
		if !s.OK() {
			return false
		}
	}
	return len(r.Steps) > 0
}

// Step returns the step named name.
func (r Report) Step(name string) (Step, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Step{}, false
}

// String summarizes the report, one line per step, for logs and `berth up`.
func (r Report) String() string {
	var b strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%-9s %s", s.Outcome, s.Title)
		if s.Code != "" {
			fmt.Fprintf(&b, ": %s: %s", s.Code, s.Message)
		}
		if s.Warning != "" {
			fmt.Fprintf(&b, " (warning: %s)", s.Warning)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ErrIncomplete is returned (wrapped, with every failed step's AWS error)
// by Ensure when a step failed.
var ErrIncomplete = errors.New("firstrun: setup incomplete")

// Ensure performs every step that is not done yet and reports them all.
// It is idempotent: a second run reports everything as existed. A step
// refused by the API (AccessDenied, a quota) is Failed with AWS's code and
// message, and the steps that depend on it are NotDone; the error then
// wraps ErrIncomplete. A service that answers NotImplemented makes its
// step NotDone without an error. Other errors (the context ending, a
// transport failure) are returned as they are.
func Ensure(ctx context.Context, c Clients) (Report, error) {
	return run(ctx, c, true)
}

// Inspect reports which resources of the setup exist, changing nothing:
// each step is Existed, Missing, or Failed/NotDone when it could not be
// checked.
func Inspect(ctx context.Context, c Clients) (Report, error) {
	return run(ctx, c, false)
}

// apiError returns err's AWS code and message, if it is an AWS error.
func apiError(err error) (code, msg string, ok bool) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage(), true
	}
	return "", "", false
}

func isCode(err error, code string) bool {
	c, _, ok := apiError(err)
	return ok && c == code
}
