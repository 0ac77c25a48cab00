// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/scheduler"
	"github.com/berthdev/berth/internal/store"
)

// DescribeContainerInstances implements ecsapi.API.
func (s *Service) DescribeContainerInstances(ctx context.Context, in *ecsapi.DescribeContainerInstancesInput) (*ecsapi.DescribeContainerInstancesOutput, error) {
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > maxDescribeInstances {
		return nil, invalidParam("containerInstances must have between 1 and %d items.", maxDescribeInstances)
	}
	name, err := s.knownCluster(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	tags, health := slices.Contains(in.Include, includeTags), slices.Contains(in.Include, includeHealth)
	out := &ecsapi.DescribeContainerInstancesOutput{ContainerInstances: []ecsapi.ContainerInstance{}}
	out.Failures = describeEach(in.ContainerInstances, func(ref string) (*instanceRec, string, bool) {
		r, id, ok := s.instanceRef(name, ref)
		if !ok {
			if id != "" {
				return nil, s.instanceARN(name, id), false
			}
			return nil, "", false
		}
		return r.Value, "", true
	}, func(v *instanceRec) {
		out.ContainerInstances = append(out.ContainerInstances, *s.apiInstance(v, tags, health))
	})
	return out, nil
}

// ListContainerInstances implements ecsapi.API. filter is a cluster query
// language expression; status defaults to every status but INACTIVE.
func (s *Service) ListContainerInstances(ctx context.Context, in *ecsapi.ListContainerInstancesInput) (*ecsapi.ListContainerInstancesOutput, error) {
	after, limit, err := pageArgs(in.NextToken, in.MaxResults, maxListResults)
	if err != nil {
		return nil, err
	}
	_, name, err := s.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	var q *scheduler.Query
	if f := strings.TrimSpace(deref(in.Filter)); f != "" {
		if q, err = scheduler.ParseQuery(f); err != nil {
			return nil, schedulerErr(err)
		}
	}
	status := deref(in.Status)
	recs, next, err := filterPage(func(p store.Page) ([]store.Record[instanceRec], string, error) {
		return s.t.instances.List(ctx, p)
	}, name+"/", storeIDAfter(name, after), limit, func(r *store.Record[instanceRec]) bool {
		if status == "" && r.Value.Status == statusInactive || status != "" && r.Value.Status != status {
			return false
		}
		return q == nil || q.Match(s.queryInstance(r))
	})
	if err != nil {
		return nil, storeErr(err)
	}
	out := &ecsapi.ListContainerInstancesOutput{ContainerInstanceArns: make([]string, 0, len(recs))}
	for _, r := range recs {
		out.ContainerInstanceArns = append(out.ContainerInstanceArns, s.instanceARN(name, r.Value.ID))
	}
	if next != "" {
		_, id := splitStoreID(next)
		out.NextToken = nextToken(id)
	}
	return out, nil
}

// queryInstance is an instance in the form cluster queries read: the
// placement view's when it is current, else converted.
func (s *Service) queryInstance(r *store.Record[instanceRec]) *scheduler.Instance {
	if inst, rev, ok := s.view.get(r.ID); ok && rev == r.Revision {
		return inst
	}
	u, err := s.t.usage.Get(context.Background(), r.ID)
	if err != nil {
		return schedInstance(s, r.Value, &usageRec{}, 0, nil)
	}
	return schedInstance(s, r.Value, u.Value, u.Revision, nil)
}

// storeIDAfter turns a page marker holding a child id into a store id.
func storeIDAfter(cluster, after string) string {
	if after == "" {
		return ""
	}
	return storeID(cluster, after)
}

// instanceTaskCounts counts an instance's tasks that are RUNNING and
// those not yet (ECS's runningTasksCount and pendingTasksCount).
func (s *Service) instanceTaskCounts(r *instanceRec) (running, pending int) {
	if s.usageOf(r).Live == 0 {
		return 0, 0
	}
	recs, _, _ := s.t.tasks.ListByIndex(context.Background(), ixTaskLive, storeID(r.Cluster, r.ID), store.Page{})
	for _, t := range recs {
		switch t.Value.Last {
		case taskRunning:
			running++
		case taskStopped:
		default:
			pending++
		}
	}
	return running, pending
}

// usageOf returns what an instance's tasks use (nothing if unknown).
func (s *Service) usageOf(r *instanceRec) *usageRec {
	u, err := s.t.usage.Get(context.Background(), storeID(r.Cluster, r.ID))
	if err != nil {
		return &usageRec{}
	}
	return u.Value
}

// apiInstance renders a container instance.
func (s *Service) apiInstance(r *instanceRec, tags, health bool) *ecsapi.ContainerInstance {
	res := func(name string, v int) ecsapi.Resource {
		return ecsapi.Resource{Name: ptr(name), Type: ptr("INTEGER"), IntegerValue: ptr(int32(v)),
			DoubleValue: ptr(0.0), LongValue: ptr(int64(0))}
	}
	set := func(name string, ports ...[]int) ecsapi.Resource {
		var all []int
		for _, p := range ports {
			all = append(all, p...)
		}
		sort.Ints(all)
		all = slices.Compact(all)
		ss := make([]string, len(all))
		for i, p := range all {
			ss[i] = strconv.Itoa(p)
		}
		return ecsapi.Resource{Name: ptr(name), Type: ptr("STRINGSET"), StringSetValue: ss,
			DoubleValue: ptr(0.0), LongValue: ptr(int64(0)), IntegerValue: ptr(int32(0))}
	}
	extra := make([]ecsapi.Resource, 0, len(r.Extra))
	for _, x := range r.Extra {
		extra = append(extra, ecsapi.Resource{Name: ptr(x.Name), Type: ptr(x.Type), IntegerValue: x.Int,
			LongValue: x.Long, DoubleValue: x.Double, StringSetValue: x.Set})
	}
	out := &ecsapi.ContainerInstance{
		ContainerInstanceArn: ptr(s.instanceARN(r.Cluster, r.ID)),
		Ec2InstanceId:        ptr(r.EC2ID),
		Version:              ptr(r.Version),
		Status:               ptr(r.Status),
		AgentConnected:       ptr(r.Connected),
		RegisteredAt:         timePtr(r.Registered),
		Attachments:          []ecsapi.Attachment{},
		RegisteredResources: append([]ecsapi.Resource{res("CPU", r.CPU), res("MEMORY", r.Mem),
			set("PORTS", r.Reserved), set("PORTS_UDP", r.ReservedUDP)}, extra...),
	}
	u := s.usageOf(r)
	out.RemainingResources = append([]ecsapi.Resource{res("CPU", r.CPU-u.CPU), res("MEMORY", r.Mem-u.Mem),
		set("PORTS", r.Reserved, u.Ports), set("PORTS_UDP", r.ReservedUDP, u.UDPPorts)}, extra...)
	running, pending := s.instanceTaskCounts(r)
	out.RunningTasksCount, out.PendingTasksCount = ptr(int32(running)), ptr(int32(pending))
	out.StatusReason = optional(r.StatusReason)
	if r.Agent != nil {
		out.VersionInfo = &ecsapi.VersionInfo{AgentVersion: ptr(r.Agent.Agent), AgentHash: ptr(r.Agent.Hash), DockerVersion: ptr(r.Agent.Docker)}
	} else {
		out.VersionInfo = &ecsapi.VersionInfo{}
	}
	out.Attributes = make([]ecsapi.Attribute, len(r.Attrs))
	for i, a := range r.Attrs {
		out.Attributes[i] = ecsapi.Attribute{Name: ptr(a.Name), Value: a.Value}
	}
	if tags {
		out.Tags = apiTags(r.Tags)
		if out.Tags == nil {
			out.Tags = []ecsapi.Tag{}
		}
	}
	if health {
		st := "OK"
		if !r.Connected {
			st = "INSUFFICIENT_DATA"
		}
		out.HealthStatus = &ecsapi.ContainerInstanceHealthStatus{OverallStatus: ptr(st), Details: []ecsapi.InstanceHealthCheckResult{}}
	}
	return out
}
