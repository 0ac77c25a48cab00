// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/store"
)

// RunTask and StartTask limits ("Amazon ECS service quotas").
const (
	maxRunTaskCount       = 10
	maxStartTaskInstances = 10
	maxOverridesLen       = 8192
	maxStartedByLen       = 128
	maxClientTokenLen     = 64
	tokenWait             = 30 * time.Second
	launchTypeEC2         = "EC2"
)

// checkLaunchType accepts the EC2 launch type only.
func checkLaunchType(lt *string, cps []ecsapi.CapacityProviderStrategyItem) error {
	if len(cps) > 0 {
		return invalidParam("Capacity providers are not supported by berth; use the EC2 launch type.")
	}
	if v := deref(lt); v != "" && v != launchTypeEC2 {
		return invalidParam("The %s launch type is not supported by berth; use EC2.", v)
	}
	return nil
}

// runnableTaskDef returns the ACTIVE task definition a launch names.
func (s *Service) runnableTaskDef(ref string) (*taskDefRec, error) {
	r, ok := s.lookupTaskDef(ref)
	if !ok {
		return nil, clientErr(msgTaskDefNotFound)
	}
	if r.Value.Status != statusActive {
		return nil, clientErr("TaskDefinition is inactive")
	}
	return r.Value, nil
}

// newLaunchSpec validates a launch's overrides against its task definition
// and computes what each task reserves.
func (s *Service) newLaunchSpec(cluster string, def *taskDefRec, ov *ecsapi.TaskOverride) (*launchSpec, error) {
	sp := &launchSpec{cluster: cluster, def: def, overrides: ov,
		taskRole: deref(def.Def.TaskRoleArn), execRole: deref(def.Def.ExecutionRoleArn)}
	taskCPU, _ := parseTaskCPU(deref(def.Def.Cpu))
	taskMem, _ := parseTaskMemory(deref(def.Def.Memory))
	byName := map[string]*ecsapi.ContainerOverride{}
	if ov != nil {
		if b, err := json.Marshal(ov); err == nil && len(b) > maxOverridesLen {
			return nil, invalidParam("Container Overrides length must be at most %d", maxOverridesLen)
		}
		for i := range ov.ContainerOverrides {
			co := &ov.ContainerOverrides[i]
			byName[deref(co.Name)] = co
		}
		if v := deref(ov.TaskRoleArn); v != "" {
			if !isRoleARN(v) {
				return nil, invalidParam("Role is not valid: %s", v)
			}
			sp.taskRole = v
		}
		if v := deref(ov.ExecutionRoleArn); v != "" {
			if !isRoleARN(v) {
				return nil, invalidParam("Role is not valid: %s", v)
			}
			sp.execRole = v
		}
		if v := deref(ov.Cpu); v != "" {
			n, ok := parseTaskCPU(v)
			if !ok {
				return nil, invalidParam("Invalid 'cpu' override.")
			}
			taskCPU = n
		}
		if v := deref(ov.Memory); v != "" {
			n, ok := parseTaskMemory(v)
			if !ok {
				return nil, invalidParam("Invalid 'memory' override.")
			}
			taskMem = n
		}
	}
	res := make([]scheduler.ContainerResources, 0, len(def.Def.ContainerDefinitions))
	names := map[string]bool{}
	for _, c := range def.Def.ContainerDefinitions {
		names[deref(c.Name)] = true
		cr := scheduler.ContainerResources{CPU: int(deref32(c.Cpu)), Memory: int(deref32(c.Memory)), MemoryReservation: int(deref32(c.MemoryReservation))}
		if co := byName[deref(c.Name)]; co != nil {
			if co.Cpu != nil {
				cr.CPU = int(*co.Cpu)
			}
			if co.Memory != nil {
				cr.Memory = int(*co.Memory)
			}
			if co.MemoryReservation != nil {
				cr.MemoryReservation = int(*co.MemoryReservation)
			}
		}
		res = append(res, cr)
	}
	for n := range byName {
		if !names[n] {
			return nil, invalidParam("Override for container named %s is not a container in the TaskDefinition.", n)
		}
	}
	sp.cpu, sp.mem = scheduler.TaskResources(taskCPU, taskMem, res)
	return sp, nil
}

func deref32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// checkPassRole asks for iam:PassRole on the roles a launch passes to
// ecs-tasks.amazonaws.com.
func (s *Service) checkPassRole(ctx context.Context, roles ...string) error {
	if s.pass == nil {
		return nil
	}
	for _, r := range roles {
		if r == "" {
			continue
		}
		ok, msg, err := s.pass.CheckPassRole(ctx, r)
		if err != nil {
			return storeErr(err)
		}
		if !ok {
			return ecsapi.ErrAccessDenied("%s", msg)
		}
	}
	return nil
}

// request builds the scheduler request of a launch.
func (s *Service) request(sp *launchSpec, count int, pcs []ecsapi.PlacementConstraint, pss []ecsapi.PlacementStrategy) (*scheduler.Request, error) {
	def := sp.def.Def
	req := &scheduler.Request{
		Cluster: sp.cluster, Count: count, CPU: sp.cpu, Memory: sp.mem,
		NetworkMode: deref(def.NetworkMode), Group: sp.group, Family: sp.def.Family,
		Service: sp.service, StartedBy: sp.startedBy,
	}
	for _, c := range def.ContainerDefinitions {
		for _, pm := range c.PortMappings {
			if pm.ContainerPort == nil {
				continue // containerPortRange mappings take no placement port
			}
			req.PortMappings = append(req.PortMappings, scheduler.PortMapping{ContainerName: deref(c.Name),
				ContainerPort: int(*pm.ContainerPort), HostPort: int(deref32(pm.HostPort)), Protocol: deref(pm.Protocol)})
		}
	}
	for _, a := range def.RequiresAttributes {
		req.RequiredAttributes = append(req.RequiredAttributes, scheduler.Attribute{Name: deref(a.Name), Value: deref(a.Value)})
	}
	for _, c := range def.PlacementConstraints {
		req.Constraints = append(req.Constraints, scheduler.Constraint{Type: deref(c.Type), Expression: deref(c.Expression)})
	}
	for _, c := range pcs {
		req.Constraints = append(req.Constraints, scheduler.Constraint{Type: deref(c.Type), Expression: deref(c.Expression)})
	}
	for _, p := range pss {
		req.Strategies = append(req.Strategies, scheduler.Strategy{Type: deref(p.Type), Field: deref(p.Field)})
	}
	if err := req.Validate(); err != nil {
		return nil, schedulerErr(err)
	}
	sp.group = req.TaskGroup()
	req.Group = sp.group
	return req, nil
}

// launchTags returns a launch's tags, with the task definition's when
// propagateTags is TASK_DEFINITION.
func launchTags(in []ecsapi.Tag, propagate *string, def *taskDefRec) ([]tagRec, error) {
	tags, err := checkTags(in)
	if err != nil {
		return nil, err
	}
	switch p := deref(propagate); p {
	case "", "NONE":
	case "TASK_DEFINITION":
		var merged []tagRec
		merged = mergeTags(merged, def.Tags)
		tags = mergeTags(merged, tags)
	case "SERVICE":
		return nil, invalidParam("The specified propagateTags value SERVICE is only valid for tasks started by a service.")
	default:
		return nil, invalidParam("Invalid propagateTags %q.", p)
	}
	if len(tags) > maxTags {
		return nil, invalidParam("Too many tags. A resource can have up to %d tags.", maxTags)
	}
	return tags, nil
}

// RunTask implements ecsapi.API for the EC2 launch type: it places count
// tasks (at most 10) with the scheduler and returns them PENDING, with
// failures[] for those that found no instance. A clientToken makes the
// call idempotent: a retry with the same token and parameters returns the
// same tasks.
func (s *Service) RunTask(ctx context.Context, in *ecsapi.RunTaskInput) (*ecsapi.RunTaskOutput, error) {
	count := 1
	if in.Count != nil {
		count = int(*in.Count)
	}
	if count < 1 || count > maxRunTaskCount {
		return nil, invalidParam("Count must be between 1 and %d.", maxRunTaskCount)
	}
	if err := checkLaunchType(in.LaunchType, in.CapacityProviderStrategy); err != nil {
		return nil, err
	}
	if len(deref(in.StartedBy)) > maxStartedByLen {
		return nil, invalidParam("startedBy must be at most %d characters.", maxStartedByLen)
	}
	if len(deref(in.ClientToken)) > maxClientTokenLen {
		return nil, invalidParam("clientToken must be at most %d characters.", maxClientTokenLen)
	}
	_, cluster, err := s.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	def, err := s.runnableTaskDef(deref(in.TaskDefinition))
	if err != nil {
		return nil, err
	}
	sp, err := s.newLaunchSpec(cluster, def, in.Overrides)
	if err != nil {
		return nil, err
	}
	sp.startedBy, sp.group = deref(in.StartedBy), deref(in.Group)
	sp.execCmd = in.EnableExecuteCommand != nil && *in.EnableExecuteCommand
	if sp.tags, err = launchTags(in.Tags, in.PropagateTags, def); err != nil {
		return nil, err
	}
	req, err := s.request(sp, count, in.PlacementConstraints, in.PlacementStrategy)
	if err != nil {
		return nil, err
	}
	if err := s.checkPassRole(ctx, sp.taskRole, sp.execRole); err != nil {
		return nil, err
	}
	if len(s.view.Instances(cluster)) == 0 {
		return nil, invalidParam(msgNoInstances)
	}
	var tok *idemToken
	if t := deref(in.ClientToken); t != "" {
		var prior *ecsapi.RunTaskOutput
		tok, prior, err = s.beginToken(ctx, k("run", cluster, t), in, cluster)
		if err != nil || prior != nil {
			return prior, err
		}
	}
	res, made, err := s.placeTasks(ctx, sp, req)
	out := &ecsapi.RunTaskOutput{Tasks: []ecsapi.Task{}, Failures: []ecsapi.Failure{}}
	for _, t := range made {
		out.Tasks = append(out.Tasks, *s.apiTask(t, true))
	}
	switch {
	case errors.Is(err, scheduler.ErrConflict):
		for range count - len(made) {
			out.Failures = append(out.Failures, ecsapi.Failure{Reason: ptr("CONFLICT"),
				Detail: ptr("placement kept conflicting with concurrent changes; retry")})
		}
	case err != nil:
		var ipe *scheduler.InvalidParameterError
		if errors.As(err, &ipe) {
			return nil, invalidParam("%s", ipe.Message)
		}
		if len(made) == 0 {
			tok.abandon(ctx)
			return nil, storeErr(err)
		}
	default:
		for _, f := range res.Failures {
			out.Failures = append(out.Failures, apiFailure(f))
		}
	}
	tok.finish(ctx, made, out.Failures)
	return out, nil
}

func apiFailure(f scheduler.Failure) ecsapi.Failure {
	out := ecsapi.Failure{Reason: ptr(f.Reason)}
	if f.ARN != "" {
		out.Arn = ptr(f.ARN)
	}
	if f.Detail != "" {
		out.Detail = ptr(f.Detail)
	}
	return out
}

// StartTask implements ecsapi.API: one task on each named container
// instance (at most 10), with failures[] for those that cannot take it.
func (s *Service) StartTask(ctx context.Context, in *ecsapi.StartTaskInput) (*ecsapi.StartTaskOutput, error) {
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > maxStartTaskInstances {
		return nil, invalidParam("containerInstances must have between 1 and %d items.", maxStartTaskInstances)
	}
	if len(deref(in.StartedBy)) > maxStartedByLen {
		return nil, invalidParam("startedBy must be at most %d characters.", maxStartedByLen)
	}
	_, cluster, err := s.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	def, err := s.runnableTaskDef(deref(in.TaskDefinition))
	if err != nil {
		return nil, err
	}
	sp, err := s.newLaunchSpec(cluster, def, in.Overrides)
	if err != nil {
		return nil, err
	}
	sp.startedBy, sp.group = deref(in.StartedBy), deref(in.Group)
	sp.execCmd = in.EnableExecuteCommand != nil && *in.EnableExecuteCommand
	if sp.tags, err = launchTags(in.Tags, in.PropagateTags, def); err != nil {
		return nil, err
	}
	req, err := s.request(sp, 1, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := s.checkPassRole(ctx, sp.taskRole, sp.execRole); err != nil {
		return nil, err
	}
	made, fails, err := s.placeOn(ctx, sp, req, in.ContainerInstances)
	if err != nil && len(made) == 0 {
		return nil, err
	}
	out := &ecsapi.StartTaskOutput{Tasks: []ecsapi.Task{}, Failures: []ecsapi.Failure{}}
	for _, t := range made {
		out.Tasks = append(out.Tasks, *s.apiTask(t, true))
	}
	for _, f := range fails {
		out.Failures = append(out.Failures, apiFailure(f))
	}
	return out, nil
}

// idemToken is an in-flight idempotent RunTask.
type idemToken struct {
	s   *Service
	key string
	rec tokenRec
}

// beginToken claims a client token. If a call with the token already
// completed, it returns that call's result (the tasks as they are now); if
// one is in flight, it waits for it. Reusing a token with other parameters
// is refused.
func (s *Service) beginToken(ctx context.Context, key string, in *ecsapi.RunTaskInput, cluster string) (*idemToken, *ecsapi.RunTaskOutput, error) {
	c := *in
	c.ClientToken = nil
	b, _ := json.Marshal(&c)
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	tok := &idemToken{s: s, key: key, rec: tokenRec{Hash: hash, Created: s.now()}}
	// The claim rides in a group commit (batch.go) with concurrent
	// writes: the SDKs send a token with every RunTask.
	err := s.batch.commit(ctx, &unit{ops: []store.Op{s.t.tokens.CreateOp(key, &tok.rec)},
		keys: []recKey{{tableTokens, key}}})[0]
	if err == nil {
		return tok, nil, nil
	}
	if !errors.Is(err, store.ErrExists) {
		return nil, nil, storeErr(err)
	}
	deadline := time.Now().Add(tokenWait)
	for {
		r, err := s.t.tokens.Get(ctx, key)
		if err != nil {
			return nil, nil, storeErr(err)
		}
		if r.Value.Hash != hash {
			return nil, nil, invalidParam("The clientToken has already been used with different parameters.")
		}
		if r.Value.Done {
			return nil, s.priorRun(ctx, cluster, r.Value), nil
		}
		if time.Now().After(deadline) {
			return nil, nil, ecsapi.ErrServer("A request with this clientToken is still in progress.")
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *Service) priorRun(ctx context.Context, cluster string, r *tokenRec) *ecsapi.RunTaskOutput {
	out := &ecsapi.RunTaskOutput{Tasks: []ecsapi.Task{}, Failures: []ecsapi.Failure{}}
	for _, id := range r.IDs {
		if t, err := s.t.tasks.Get(ctx, storeID(cluster, id)); err == nil {
			out.Tasks = append(out.Tasks, *s.apiTask(t.Value, true))
		}
	}
	for _, f := range r.Fails {
		fl := ecsapi.Failure{Reason: ptr(f.Reason)}
		if f.ARN != "" {
			fl.Arn = ptr(f.ARN)
		}
		if f.Detail != "" {
			fl.Detail = ptr(f.Detail)
		}
		out.Failures = append(out.Failures, fl)
	}
	return out
}

// finish records the result of the call that claimed the token.
func (t *idemToken) finish(ctx context.Context, made []*taskRec, fails []ecsapi.Failure) {
	if t == nil {
		return
	}
	t.rec.Done = true
	for _, m := range made {
		t.rec.IDs = append(t.rec.IDs, m.ID)
	}
	for _, f := range fails {
		t.rec.Fails = append(t.rec.Fails, failRec{ARN: deref(f.Arn), Reason: deref(f.Reason), Detail: deref(f.Detail)})
	}
	un := &unit{ops: []store.Op{t.s.t.tokens.PutOp(t.key, &t.rec, 0)}, keys: []recKey{{tableTokens, t.key}}}
	if err := t.s.batch.commit(context.WithoutCancel(ctx), un)[0]; err != nil {
		t.s.log.Warn("ecs: record client token", "err", err)
	}
}

// abandon releases a token whose call failed without effect, so a retry
// runs again.
func (t *idemToken) abandon(ctx context.Context) {
	if t == nil {
		return
	}
	_, _ = t.s.t.tokens.Delete(context.WithoutCancel(ctx), t.key, 0)
}
