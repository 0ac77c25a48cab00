// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/store"
)

// The ECS service resource (CreateService...); the controller that keeps
// it running is controller.go.

// Service defaults and limits.
const (
	defaultMaxPercent   = 200
	defaultMinHealthy   = 100
	maxTasksPerService  = 5000
	maxDescribeServices = 10
	schedReplica        = "REPLICA"
	deployPrimary       = "PRIMARY"
	deployActive        = "ACTIVE"
	rolloutInProgress   = "IN_PROGRESS"
	rolloutCompleted    = "COMPLETED"
	maxServiceEvents    = 100
)

// serviceRef resolves a service reference (name or ARN) in a cluster.
func (s *Service) serviceRef(cluster, ref string) (string, bool) {
	c, name, ok := s.childRef(ref, "service")
	if !ok || (c != "" && c != cluster) || !validName(name) {
		return "", false
	}
	return storeID(cluster, name), true
}

// deploymentConfig validates a deployment configuration, applied over cur
// (the defaults for a new service).
func deploymentConfig(dc *ecsapi.DeploymentConfiguration, maxPct, minPct int, cb, rb bool) (int, int, bool, bool, error) {
	if dc != nil {
		if dc.MaximumPercent != nil {
			maxPct = int(*dc.MaximumPercent)
		}
		if dc.MinimumHealthyPercent != nil {
			minPct = int(*dc.MinimumHealthyPercent)
		}
		if b := dc.DeploymentCircuitBreaker; b != nil {
			cb, rb = b.Enable != nil && *b.Enable, b.Rollback != nil && *b.Rollback
		}
	}
	if minPct < 0 || minPct > 100 {
		return 0, 0, false, false, invalidParam("minimumHealthyPercent must be between 0 and 100.")
	}
	if maxPct < 100 || maxPct < minPct {
		return 0, 0, false, false, invalidParam("maximumPercent must be at least 100 and at least minimumHealthyPercent.")
	}
	return maxPct, minPct, cb, rb, nil
}

// placementRecs validates a service's placement constraints and strategy
// as the scheduler will apply them.
func placementRecs(pcs []ecsapi.PlacementConstraint, pss []ecsapi.PlacementStrategy) ([]constraintRec, []strategyRec, error) {
	req := &scheduler.Request{Count: 1, Service: "x"}
	var cs []constraintRec
	var ss []strategyRec
	for _, c := range pcs {
		cs = append(cs, constraintRec{Type: deref(c.Type), Expr: deref(c.Expression)})
		req.Constraints = append(req.Constraints, scheduler.Constraint{Type: deref(c.Type), Expression: deref(c.Expression)})
	}
	for _, p := range pss {
		ss = append(ss, strategyRec{Type: deref(p.Type), Field: deref(p.Field)})
		req.Strategies = append(req.Strategies, scheduler.Strategy{Type: deref(p.Type), Field: deref(p.Field)})
	}
	if err := req.Validate(); err != nil {
		return nil, nil, schedulerErr(err)
	}
	return cs, ss, nil
}

// CreateService implements ecsapi.API for the REPLICA and DAEMON
// (daemon.go) scheduling strategies and the ECS (rolling update)
// deployment controller.
func (s *Service) CreateService(ctx context.Context, in *ecsapi.CreateServiceInput) (*ecsapi.CreateServiceOutput, error) {
	name := deref(in.ServiceName)
	if !validName(name) {
		return nil, invalidParam("Invalid service name. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")
	}
	if err := checkLaunchType(in.LaunchType, in.CapacityProviderStrategy); err != nil {
		return nil, err
	}
	if dc := in.DeploymentController; dc != nil && deref(dc.Type) != "ECS" {
		return nil, invalidParam("The %s deployment controller is not supported by berth.", deref(dc.Type))
	}
	sched := nonEmpty(deref(in.SchedulingStrategy), schedReplica)
	if !slices.Contains(ecsapi.SchedulingStrategyValues(), sched) {
		return nil, invalidParam("Invalid schedulingStrategy %q.", sched)
	}
	daemon := sched == schedDaemon
	switch {
	case daemon && in.DesiredCount != nil:
		return nil, invalidParam(msgDaemonDesired)
	case daemon && len(in.PlacementStrategy) > 0:
		return nil, invalidParam(msgDaemonStrategies)
	}
	desired := int(deref32(in.DesiredCount))
	if desired < 0 || desired > maxTasksPerService {
		return nil, invalidParam("desiredCount must be between 0 and %d.", maxTasksPerService)
	}
	defMax, defMin := defaultMaxPercent, defaultMinHealthy
	if daemon {
		defMax, defMin = daemonMaxPercent, daemonMinHealthy
	}
	maxPct, minPct, cb, rb, err := deploymentConfig(in.DeploymentConfiguration, defMax, defMin, false, false)
	if err != nil {
		return nil, err
	}
	cs, ss, err := placementRecs(in.PlacementConstraints, in.PlacementStrategy)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	if p := deref(in.PropagateTags); p != "" && !slices.Contains(ecsapi.PropagateTagsValues(), p) {
		return nil, invalidParam("Invalid propagateTags %q.", p)
	}
	cl, cluster, err := s.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	def, err := s.runnableTaskDef(deref(in.TaskDefinition))
	if err != nil {
		return nil, err
	}
	if err := s.checkPassRole(ctx, deref(def.Def.TaskRoleArn), deref(def.Def.ExecutionRoleArn)); err != nil {
		return nil, err
	}
	if daemon {
		desired = len(s.daemonInstances(cluster, deref(def.Def.TaskDefinitionArn), cs))
	}
	now := s.now()
	rec := &serviceRec{
		Name: name, Cluster: cluster, Status: statusActive, Desired: desired, TaskDef: deref(def.Def.TaskDefinitionArn),
		Created: now, LaunchType: launchTypeEC2, Scheduling: sched,
		MaxPercent: maxPct, MinHealthy: minPct, CircuitBreaker: cb, Rollback: rb,
		Constraints: cs, Strategy: ss, Tags: tags, ManagedTags: in.EnableECSManagedTags != nil && *in.EnableECSManagedTags,
		Propagate: deref(in.PropagateTags), ExecCmd: in.EnableExecuteCommand != nil && *in.EnableExecuteCommand,
		GracePeriod: in.HealthCheckGracePeriodSeconds, Role: deref(in.Role), ClientToken: deref(in.ClientToken),
	}
	if len(in.LoadBalancers) > 0 {
		rec.LoadBalancer, _ = json.Marshal(in.LoadBalancers)
	}
	if p := principal.FromContext(ctx); p != nil {
		rec.CreatedBy = p.ARN
	}
	rec.Deployments = []deploymentRec{s.newDeployment(rec.TaskDef, desired, now)}
	sid := storeID(cluster, name)
	for range maxCASRetries {
		cur, err := s.t.services.Get(ctx, sid)
		tx := s.st.Txn().Add(s.t.clusters.CheckOp(cluster, cl.Revision))
		switch {
		case err == nil && cur.Value.Status != statusInactive:
			if rec.ClientToken != "" && cur.Value.ClientToken == rec.ClientToken {
				return &ecsapi.CreateServiceOutput{Service: s.apiService(cur.Value, false)}, nil
			}
			return nil, invalidParam(msgServiceNotIdem)
		case err == nil:
			tx.Add(s.t.services.PutOp(sid, rec, cur.Revision))
		case isNotFound(err):
			tx.Add(s.t.services.CreateOp(sid, rec))
		default:
			return nil, storeErr(err)
		}
		_, err = tx.Commit(ctx)
		if err == nil {
			s.ctl.kick(sid)
			return &ecsapi.CreateServiceOutput{Service: s.apiService(rec, true)}, nil
		}
		if !isConflict(err) {
			return nil, storeErr(err)
		}
		if _, err := s.st.Sync(ctx); err != nil {
			return nil, storeErr(err)
		}
		if cl, _, err = s.activeCluster(in.Cluster); err != nil {
			return nil, err
		}
	}
	return nil, storeErr(errf("create service %s: too many conflicts", name))
}

func (s *Service) newDeployment(taskDef string, desired int, now time.Time) deploymentRec {
	id := newDeploymentID()
	return deploymentRec{ID: id, Status: deployPrimary, TaskDef: taskDef, Desired: desired,
		Created: now, Updated: now, Rollout: rolloutInProgress, RolloutWhy: "ECS deployment " + id + " in progress.",
		LaunchType: launchTypeEC2}
}

func constraintsAPI(cs []constraintRec) []ecsapi.PlacementConstraint {
	out := make([]ecsapi.PlacementConstraint, 0, len(cs))
	for _, c := range cs {
		out = append(out, ecsapi.PlacementConstraint{Type: ptr(c.Type), Expression: optional(c.Expr)})
	}
	return out
}

func strategyAPI(ss []strategyRec) []ecsapi.PlacementStrategy {
	out := make([]ecsapi.PlacementStrategy, 0, len(ss))
	for _, st := range ss {
		out = append(out, ecsapi.PlacementStrategy{Type: ptr(st.Type), Field: optional(st.Field)})
	}
	return out
}

// UpdateService implements ecsapi.API: desired count, deployment
// configuration and placement change in place; a new task definition or
// forceNewDeployment starts a new PRIMARY deployment that the controller
// rolls out within minimumHealthyPercent and maximumPercent.
func (s *Service) UpdateService(ctx context.Context, in *ecsapi.UpdateServiceInput) (*ecsapi.UpdateServiceOutput, error) {
	if err := checkLaunchType(nil, in.CapacityProviderStrategy); err != nil {
		return nil, err
	}
	if in.DesiredCount != nil && (*in.DesiredCount < 0 || *in.DesiredCount > maxTasksPerService) {
		return nil, invalidParam("desiredCount must be between 0 and %d.", maxTasksPerService)
	}
	_, cluster, err := s.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	sid, ok := s.serviceRef(cluster, deref(in.Service))
	if !ok {
		return nil, ecsapi.ErrServiceNotFound(msgServiceNotFound)
	}
	var def *taskDefRec
	if ref := deref(in.TaskDefinition); ref != "" {
		if def, err = s.runnableTaskDef(ref); err != nil {
			return nil, err
		}
		if err := s.checkPassRole(ctx, deref(def.Def.TaskRoleArn), deref(def.Def.ExecutionRoleArn)); err != nil {
			return nil, err
		}
	}
	var cs []constraintRec
	var ss []strategyRec
	if in.PlacementConstraints != nil || in.PlacementStrategy != nil {
		if cs, ss, err = placementRecs(in.PlacementConstraints, in.PlacementStrategy); err != nil {
			return nil, err
		}
	}
	force := in.ForceNewDeployment != nil && *in.ForceNewDeployment
	r, err := s.t.services.Update(ctx, sid, func(r *serviceRec) error {
		if r.Status != statusActive {
			return ecsapi.ErrServiceNotActive(msgServiceNotActive)
		}
		if r.Scheduling == schedDaemon {
			switch {
			case in.DesiredCount != nil:
				return invalidParam(msgDaemonDesired)
			case len(in.PlacementStrategy) > 0:
				return invalidParam(msgDaemonStrategies)
			}
		}
		var err error
		if r.MaxPercent, r.MinHealthy, r.CircuitBreaker, r.Rollback, err = deploymentConfig(in.DeploymentConfiguration,
			r.MaxPercent, r.MinHealthy, r.CircuitBreaker, r.Rollback); err != nil {
			return err
		}
		if in.DesiredCount != nil {
			r.Desired = int(*in.DesiredCount)
		}
		if in.PlacementConstraints != nil {
			r.Constraints = cs
		}
		if in.PlacementStrategy != nil {
			r.Strategy = ss
		}
		if in.EnableExecuteCommand != nil {
			r.ExecCmd = *in.EnableExecuteCommand
		}
		if in.EnableECSManagedTags != nil {
			r.ManagedTags = *in.EnableECSManagedTags
		}
		if in.PropagateTags != nil {
			r.Propagate = *in.PropagateTags
		}
		if in.HealthCheckGracePeriodSeconds != nil {
			r.GracePeriod = in.HealthCheckGracePeriodSeconds
		}
		now := s.now()
		if def != nil && deref(def.Def.TaskDefinitionArn) != r.TaskDef || force {
			if def != nil {
				r.TaskDef = deref(def.Def.TaskDefinitionArn)
			}
			for i := range r.Deployments {
				r.Deployments[i].Status = deployActive
				r.Deployments[i].Updated = now
			}
			r.Deployments = append([]deploymentRec{s.newDeployment(r.TaskDef, r.Desired, now)}, r.Deployments...)
		}
		if len(r.Deployments) > 0 {
			r.Deployments[0].Desired = r.Desired
			r.Deployments[0].Updated = now
		}
		return nil
	})
	if isNotFound(err) {
		return nil, ecsapi.ErrServiceNotFound(msgServiceNotFound)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	s.ctl.kick(sid)
	return &ecsapi.UpdateServiceOutput{Service: s.apiService(r.Value, false)}, nil
}

// DeleteService implements ecsapi.API. A REPLICA service scaled above 0
// is refused unless force (a DAEMON service has no desired count to
// scale); the service becomes DRAINING (desired 0), the
// controller stops its tasks, and it becomes INACTIVE once none remain.
func (s *Service) DeleteService(ctx context.Context, in *ecsapi.DeleteServiceInput) (*ecsapi.DeleteServiceOutput, error) {
	name, err := s.knownCluster(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	sid, ok := s.serviceRef(name, deref(in.Service))
	if !ok {
		return nil, ecsapi.ErrServiceNotFound(msgServiceNotFound)
	}
	force := in.Force != nil && *in.Force
	r, err := s.t.services.Update(ctx, sid, func(r *serviceRec) error {
		switch {
		case r.Status == statusInactive:
			return ecsapi.ErrServiceNotActive(msgServiceNotActive)
		case r.Status == statusDraining:
			return nil
		case r.Desired > 0 && !force && r.Scheduling != schedDaemon:
			return invalidParam("The service cannot be stopped while it is scaled above 0.")
		}
		r.Status, r.Desired = statusDraining, 0
		for i := range r.Deployments {
			r.Deployments[i].Desired = 0
		}
		return nil
	})
	if isNotFound(err) {
		return nil, ecsapi.ErrServiceNotFound(msgServiceNotFound)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	s.ctl.kick(sid)
	return &ecsapi.DeleteServiceOutput{Service: s.apiService(r.Value, false)}, nil
}

// DescribeServices implements ecsapi.API.
func (s *Service) DescribeServices(ctx context.Context, in *ecsapi.DescribeServicesInput) (*ecsapi.DescribeServicesOutput, error) {
	if len(in.Services) == 0 || len(in.Services) > maxDescribeServices {
		return nil, invalidParam("services must have between 1 and %d items.", maxDescribeServices)
	}
	name, err := s.knownCluster(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	tags := slices.Contains(in.Include, includeTags)
	out := &ecsapi.DescribeServicesOutput{Services: []ecsapi.Service{}}
	out.Failures = describeEach(in.Services, func(ref string) (*serviceRec, string, bool) {
		sid, ok := s.serviceRef(name, ref)
		if !ok {
			return nil, "", false
		}
		r, err := s.t.services.Get(ctx, sid)
		if err != nil {
			_, n := splitStoreID(sid)
			return nil, s.serviceARN(name, n), false
		}
		return r.Value, "", true
	}, func(v *serviceRec) { out.Services = append(out.Services, *s.apiService(v, tags)) })
	return out, nil
}

// ListServices implements ecsapi.API: the cluster's ACTIVE and DRAINING
// services.
func (s *Service) ListServices(ctx context.Context, in *ecsapi.ListServicesInput) (*ecsapi.ListServicesOutput, error) {
	after, limit, err := pageArgs(in.NextToken, in.MaxResults, maxListResults)
	if err != nil {
		return nil, err
	}
	_, name, err := s.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &ecsapi.ListServicesOutput{ServiceArns: []string{}}
	if lt := deref(in.LaunchType); lt != "" && lt != launchTypeEC2 {
		return out, nil
	}
	st := deref(in.SchedulingStrategy)
	recs, next, err := filterPage(func(p store.Page) ([]store.Record[serviceRec], string, error) {
		return s.t.services.List(ctx, p)
	}, name+"/", storeIDAfter(name, after), limit, func(r *store.Record[serviceRec]) bool {
		return r.Value.Status != statusInactive && (st == "" || st == nonEmpty(r.Value.Scheduling, schedReplica))
	})
	if err != nil {
		return nil, storeErr(err)
	}
	for _, r := range recs {
		out.ServiceArns = append(out.ServiceArns, s.serviceARN(name, r.Value.Name))
	}
	if next != "" {
		_, n := splitStoreID(next)
		out.NextToken = nextToken(n)
	}
	return out, nil
}

// serviceCounts counts a service's tasks by deployment: running (last
// status RUNNING) and pending (not yet RUNNING, desired RUNNING).
type serviceCounts struct {
	running, pending int
	byDep            map[string][2]int
}

func (s *Service) countService(cluster, name string) serviceCounts {
	c := serviceCounts{byDep: map[string][2]int{}}
	recs, _, _ := s.t.tasks.ListByIndex(context.Background(), ixTaskSvcLive, k(cluster, name), store.Page{})
	for _, r := range recs {
		t := r.Value
		n := c.byDep[t.Deployment]
		switch {
		case t.Last == taskRunning:
			c.running++
			n[0]++
		case t.Last != taskStopped && t.Desired == taskRunning:
			c.pending++
			n[1]++
		}
		c.byDep[t.Deployment] = n
	}
	return c
}

// apiService renders a service.
func (s *Service) apiService(r *serviceRec, tags bool) *ecsapi.Service {
	counts := s.countService(r.Cluster, r.Name)
	out := &ecsapi.Service{
		ServiceArn:        ptr(s.serviceARN(r.Cluster, r.Name)),
		ServiceName:       ptr(r.Name),
		ClusterArn:        ptr(s.clusterARN(r.Cluster)),
		LoadBalancers:     []ecsapi.LoadBalancer{},
		ServiceRegistries: []ecsapi.ServiceRegistry{},
		Status:            ptr(r.Status),
		DesiredCount:      ptr(int32(r.Desired)),
		RunningCount:      ptr(int32(counts.running)),
		PendingCount:      ptr(int32(counts.pending)),
		LaunchType:        ptr(launchTypeEC2),
		TaskDefinition:    ptr(r.TaskDef),
		DeploymentConfiguration: &ecsapi.DeploymentConfiguration{
			DeploymentCircuitBreaker: &ecsapi.DeploymentCircuitBreaker{Enable: ptr(r.CircuitBreaker), Rollback: ptr(r.Rollback)},
			MaximumPercent:           ptr(int32(r.MaxPercent)),
			MinimumHealthyPercent:    ptr(int32(r.MinHealthy)),
		},
		Deployments:          []ecsapi.Deployment{},
		Events:               []ecsapi.ServiceEvent{},
		CreatedAt:            timePtr(r.Created),
		PlacementConstraints: []ecsapi.PlacementConstraint{},
		PlacementStrategy:    []ecsapi.PlacementStrategy{},
		SchedulingStrategy:   ptr(r.Scheduling),
		DeploymentController: &ecsapi.DeploymentController{Type: ptr("ECS")},
		EnableECSManagedTags: ptr(r.ManagedTags),
		PropagateTags:        ptr(nonEmpty(r.Propagate, "NONE")),
		EnableExecuteCommand: ptr(r.ExecCmd),
	}
	if len(r.LoadBalancer) > 0 {
		_ = json.Unmarshal(r.LoadBalancer, &out.LoadBalancers)
	}
	out.CreatedBy = optional(r.CreatedBy)
	out.RoleArn = optional(r.Role)
	if r.GracePeriod != nil {
		out.HealthCheckGracePeriodSeconds = r.GracePeriod
	}
	out.PlacementConstraints = constraintsAPI(r.Constraints)
	out.PlacementStrategy = strategyAPI(r.Strategy)
	for _, d := range r.Deployments {
		n := counts.byDep[d.ID]
		ad := ecsapi.Deployment{
			Id: ptr(d.ID), Status: ptr(d.Status), TaskDefinition: ptr(d.TaskDef),
			DesiredCount: ptr(int32(d.Desired)), RunningCount: ptr(int32(n[0])), PendingCount: ptr(int32(n[1])),
			FailedTasks: ptr(int32(d.Failed)), CreatedAt: timePtr(d.Created), UpdatedAt: timePtr(d.Updated),
			LaunchType: ptr(launchTypeEC2), RolloutState: ptr(d.Rollout), RolloutStateReason: optional(d.RolloutWhy),
		}
		out.Deployments = append(out.Deployments, ad)
	}
	for _, e := range r.Events {
		out.Events = append(out.Events, ecsapi.ServiceEvent{Id: ptr(e.ID), CreatedAt: ptr(e.At), Message: ptr(e.Msg)})
	}
	if tags {
		out.Tags = apiTags(r.Tags)
		if out.Tags == nil {
			out.Tags = []ecsapi.Tag{}
		}
	}
	return out
}
