// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package firstrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// runner performs or inspects the steps, collecting the report.
type runner struct {
	c        Clients
	apply    bool
	rep      Report
	failures []error
}

func run(ctx context.Context, c Clients, apply bool) (Report, error) {
	r := &runner{c: c, apply: apply}
	for _, step := range []func(context.Context) error{r.role, r.policy, r.profile, r.profileRole, r.cluster} {
		if err := step(ctx); err != nil {
			return r.rep, err
		}
	}
	if len(r.failures) > 0 {
		return r.rep, fmt.Errorf("%w: %w", ErrIncomplete, errors.Join(r.failures...))
	}
	return r.rep, nil
}

// add appends st, recording err (if any) on it: an AWS error becomes the
// step's outcome; any other error aborts the run.
func (r *runner) add(st Step, err error) error {
	if err != nil {
		code, msg, ok := apiError(err)
		if !ok {
			return fmt.Errorf("firstrun: %s: %w", st.Title, err)
		}
		st.Code, st.Message = code, msg
		st.Outcome = Failed
		if code == "NotImplemented" {
			st.Outcome = NotDone
		} else {
			r.failures = append(r.failures, fmt.Errorf("%s: %s: %s", st.Title, code, msg))
		}
	}
	r.rep.Steps = append(r.rep.Steps, st)
	return nil
}

// blocked records a step that cannot be done (or checked) because an
// earlier one is not in place.
func (r *runner) blocked(st Step, on string) {
	st.Outcome = NotDone
	if !r.apply {
		st.Outcome = Missing
	}
	st.Message = "Needs " + on + " first."
	r.rep.Steps = append(r.rep.Steps, st)
}

func (r *runner) ok(name string) bool {
	s, found := r.rep.Step(name)
	return found && s.OK()
}

func (r *runner) role(ctx context.Context) error {
	st := Step{Name: StepRole, Title: "Role " + RoleName}
	out, err := r.c.Roles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(RoleName)})
	switch {
	case err == nil:
		st.Outcome = Existed
		if !trustsEC2(aws.ToString(out.Role.AssumeRolePolicyDocument)) {
			st.Warning = "its trust policy does not let ec2.amazonaws.com assume it; container instances cannot get its credentials"
		}
		return r.add(st, nil)
	case !isCode(err, "NoSuchEntity"):
		return r.add(st, err)
	case !r.apply:
		st.Outcome = Missing
		return r.add(st, nil)
	}
	_, err = r.c.Roles.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(RoleName), AssumeRolePolicyDocument: aws.String(TrustPolicy), Description: aws.String(RoleDescription),
	})
	st.Outcome = Created
	if isCode(err, "EntityAlreadyExists") {
		st.Outcome, err = Existed, nil
	}
	return r.add(st, err)
}

func (r *runner) policy(ctx context.Context) error {
	st := Step{Name: StepPolicy, Title: "Policy AmazonEC2ContainerServiceforEC2Role attached to " + RoleName}
	if !r.ok(StepRole) {
		r.blocked(st, "the role")
		return nil
	}
	attached, err := r.attached(ctx)
	switch {
	case err != nil:
		return r.add(st, err)
	case attached:
		st.Outcome = Existed
		return r.add(st, nil)
	case !r.apply:
		st.Outcome = Missing
		return r.add(st, nil)
	}
	_, err = r.c.Roles.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(RoleName), PolicyArn: aws.String(PolicyARN)})
	st.Outcome = Created
	return r.add(st, err)
}

func (r *runner) attached(ctx context.Context) (bool, error) {
	in := &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(RoleName)}
	for {
		out, err := r.c.Roles.ListAttachedRolePolicies(ctx, in)
		if err != nil {
			return false, err
		}
		for _, p := range out.AttachedPolicies {
			if aws.ToString(p.PolicyArn) == PolicyARN {
				return true, nil
			}
		}
		if !out.IsTruncated || out.Marker == nil {
			return false, nil
		}
		in.Marker = out.Marker
	}
}

func (r *runner) profile(ctx context.Context) error {
	st := Step{Name: StepProfile, Title: "Instance profile " + ProfileName}
	_, err := r.c.Profiles.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(ProfileName)})
	switch {
	case err == nil:
		st.Outcome = Existed
		return r.add(st, nil)
	case !isCode(err, "NoSuchEntity"):
		return r.add(st, err)
	case !r.apply:
		st.Outcome = Missing
		return r.add(st, nil)
	}
	_, err = r.c.Profiles.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(ProfileName)})
	st.Outcome = Created
	if isCode(err, "EntityAlreadyExists") {
		st.Outcome, err = Existed, nil
	}
	return r.add(st, err)
}

func (r *runner) profileRole(ctx context.Context) error {
	st := Step{Name: StepProfileRole, Title: "Role " + RoleName + " in instance profile " + ProfileName}
	if !r.ok(StepRole) || !r.ok(StepProfile) {
		r.blocked(st, "the role and the instance profile")
		return nil
	}
	out, err := r.c.Profiles.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(ProfileName)})
	if err != nil {
		return r.add(st, err)
	}
	var names []string
	for _, role := range out.InstanceProfile.Roles {
		names = append(names, aws.ToString(role.RoleName))
	}
	switch {
	case slices.Contains(names, RoleName):
		st.Outcome = Existed
		return r.add(st, nil)
	case len(names) > 0:
		// An instance profile holds one role; replacing it is the user's call.
		st.Outcome, st.Code = Failed, "LimitExceeded"
		st.Message = "The instance profile already holds role " + names[0] + "; remove it first to use " + RoleName + "."
		r.failures = append(r.failures, errors.New(st.Title+": "+st.Message))
		r.rep.Steps = append(r.rep.Steps, st)
		return nil
	case !r.apply:
		st.Outcome = Missing
		return r.add(st, nil)
	}
	_, err = r.c.Profiles.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(ProfileName), RoleName: aws.String(RoleName)})
	st.Outcome = Created
	return r.add(st, err)
}

func (r *runner) cluster(ctx context.Context) error {
	st := Step{Name: StepCluster, Title: "Cluster " + ClusterName}
	out, err := r.c.Clusters.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{ClusterName}})
	if err != nil {
		return r.add(st, err)
	}
	if slices.ContainsFunc(out.Clusters, func(c ecstypes.Cluster) bool { return aws.ToString(c.Status) == "ACTIVE" }) {
		st.Outcome = Existed
		return r.add(st, nil)
	}
	if !r.apply {
		st.Outcome = Missing
		return r.add(st, nil)
	}
	_, err = r.c.Clusters.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(ClusterName)})
	st.Outcome = Created
	return r.add(st, err)
}

// trustsEC2 reports whether a trust policy (possibly URL-encoded, as IAM
// returns it) allows ec2.amazonaws.com to sts:AssumeRole.
func trustsEC2(doc string) bool {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(p.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(p.Statement, &one) != nil {
			return false
		}
		stmts = []map[string]json.RawMessage{one}
	}
	for _, s := range stmts {
		var effect string
		_ = json.Unmarshal(s["Effect"], &effect)
		var pr struct{ Service json.RawMessage }
		if effect != "Allow" || json.Unmarshal(s["Principal"], &pr) != nil {
			continue
		}
		if slices.Contains(stringList(pr.Service), "ec2.amazonaws.com") && slices.ContainsFunc(stringList(s["Action"]), func(a string) bool {
			return a == "sts:AssumeRole" || a == "sts:*" || a == "*"
		}) {
			return true
		}
	}
	return false
}

// stringList decodes a JSON string or list of strings.
func stringList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var list []string
	_ = json.Unmarshal(raw, &list)
	return list
}
