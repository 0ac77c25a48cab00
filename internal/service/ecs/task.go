// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/store"
)

const (
	maxDescribeTasks = 100
	maxReasonLen     = 255
	msgTaskNotFound  = "The referenced task was not found."
)

// taskRefSID resolves a task reference (ARN or id) within the cluster a
// request names to the task's store id.
func (s *Service) taskRefSID(cluster, ref string) (string, bool) {
	c, id, ok := s.childRef(ref, "task")
	if !ok || !isHexID(id) {
		return "", false
	}
	if c != "" && c != cluster {
		return "", false
	}
	return storeID(cluster, id), true
}

// StopTask implements ecsapi.API: the task's desired status becomes
// STOPPED with the given reason (default "Task stopped by user") and stop
// code UserInitiated; the agent stops it and reports STOPPED.
func (s *Service) StopTask(ctx context.Context, in *ecsapi.StopTaskInput) (*ecsapi.StopTaskOutput, error) {
	reason := deref(in.Reason)
	if len(reason) > maxReasonLen {
		return nil, invalidParam("reason must be at most %d characters.", maxReasonLen)
	}
	if reason == "" {
		reason = msgStoppedByUser
	}
	name, err := s.knownCluster(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	sid, ok := s.taskRefSID(name, deref(in.Task))
	if !ok {
		return nil, invalidParam(msgTaskNotFound)
	}
	t, err := s.mutateTask(ctx, sid, stopAs(s, reason, stopUser))
	if isNotFound(err) {
		return nil, invalidParam(msgTaskNotFound)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &ecsapi.StopTaskOutput{Task: s.apiTask(t, true)}, nil
}

// DescribeTasks implements ecsapi.API; unknown tasks are failures[] with
// reason MISSING.
func (s *Service) DescribeTasks(ctx context.Context, in *ecsapi.DescribeTasksInput) (*ecsapi.DescribeTasksOutput, error) {
	if len(in.Tasks) == 0 {
		return nil, invalidParam("Tasks cannot be empty.")
	}
	if len(in.Tasks) > maxDescribeTasks {
		return nil, invalidParam("Tasks can have at most %d items.", maxDescribeTasks)
	}
	name, err := s.knownCluster(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	tags := slices.Contains(in.Include, includeTags)
	out := &ecsapi.DescribeTasksOutput{Tasks: []ecsapi.Task{}}
	out.Failures = describeEach(in.Tasks, func(ref string) (*taskRec, string, bool) {
		sid, ok := s.taskRefSID(name, ref)
		if !ok {
			return nil, "", false
		}
		r, err := s.t.tasks.Get(ctx, sid)
		if err != nil {
			_, id := splitStoreID(sid)
			return nil, s.taskARN(name, id), false
		}
		return r.Value, "", true
	}, func(t *taskRec) { out.Tasks = append(out.Tasks, *s.apiTask(t, tags)) })
	return out, nil
}

// ListTasks implements ecsapi.API. Every filter is served by an index
// keyed on the filter and the desired status (RUNNING by default), so a
// page costs its own size, not the cluster's task count.
func (s *Service) ListTasks(ctx context.Context, in *ecsapi.ListTasksInput) (*ecsapi.ListTasksOutput, error) {
	after, limit, err := pageArgs(in.NextToken, in.MaxResults, maxListResults)
	if err != nil {
		return nil, err
	}
	name, ok := s.clusterName(in.Cluster)
	if !ok {
		return nil, errClusterNotFound()
	}
	if c, err := s.t.clusters.Get(ctx, name); err != nil || c.Value.Status == statusInactive {
		return nil, errClusterNotFound()
	}
	desired := deref(in.DesiredStatus)
	if desired == "" {
		desired = taskRunning
	}
	if !slices.Contains(ecsapi.DesiredStatusValues(), desired) {
		return nil, invalidParam("Invalid desiredStatus %q.", desired)
	}
	out := &ecsapi.ListTasksOutput{TaskArns: []string{}}
	if lt := deref(in.LaunchType); lt != "" && lt != launchTypeEC2 {
		return out, nil
	}
	family, svc, startedBy := deref(in.Family), deref(in.ServiceName), deref(in.StartedBy)
	if svc != "" {
		if _, err := s.t.services.Get(ctx, storeID(name, svc)); err != nil {
			return nil, ecsapi.ErrServiceNotFound(msgServiceNotFound)
		}
	}
	index, key := ixTaskCluster, k(name, desired)
	instID := ""
	if ref := deref(in.ContainerInstance); ref != "" {
		c, id, ok := s.childRef(ref, "container-instance")
		if !ok || c != "" && c != name {
			return out, nil
		}
		instID = id
		index, key = ixTaskInstance, k(id, desired)
	} else if svc != "" {
		index, key = ixTaskService, k(name, svc, desired)
	} else if family != "" {
		index, key = ixTaskFamily, k(name, family, desired)
	} else if startedBy != "" {
		index, key = ixTaskStarted, k(name, startedBy, desired)
	}
	recs, next, err := filterPage(func(p store.Page) ([]store.Record[taskRec], string, error) {
		return s.t.tasks.ListByIndex(ctx, index, key, p)
	}, "", storeIDAfter(name, after), limit, func(r *store.Record[taskRec]) bool {
		t := r.Value
		return t.Cluster == name && (instID == "" || t.Instance == instID) && (svc == "" || t.Service == svc) &&
			(family == "" || t.Family == family) && (startedBy == "" || t.StartedBy == startedBy)
	})
	if err != nil {
		return nil, storeErr(err)
	}
	for _, r := range recs {
		out.TaskArns = append(out.TaskArns, s.taskARN(name, r.Value.ID))
	}
	if next != "" {
		_, id := splitStoreID(next)
		out.NextToken = nextToken(id)
	}
	return out, nil
}

// defOf returns the task definition a task runs; nil if it is gone.
func (s *Service) defOf(t *taskRec) *taskDefRec {
	family, rev, ok := s.taskDefRef(t.Def)
	if !ok {
		return nil
	}
	r, err := s.t.taskDefs.Get(context.Background(), tdID(family, rev))
	if err != nil {
		return nil
	}
	return r.Value
}

// apiTask renders a task.
func (s *Service) apiTask(t *taskRec, tags bool) *ecsapi.Task {
	arn := s.taskARN(t.Cluster, t.ID)
	out := &ecsapi.Task{
		TaskArn:               ptr(arn),
		ClusterArn:            ptr(s.clusterARN(t.Cluster)),
		ContainerInstanceArn:  ptr(s.instanceARN(t.Cluster, t.Instance)),
		TaskDefinitionArn:     ptr(t.Def),
		LastStatus:            ptr(t.Last),
		DesiredStatus:         ptr(t.Desired),
		LaunchType:            ptr(launchTypeEC2),
		Group:                 ptr(t.Group),
		Version:               ptr(t.Version),
		Cpu:                   ptr(strconv.Itoa(t.CPU)),
		Memory:                ptr(strconv.Itoa(t.Mem)),
		CreatedAt:             timePtr(t.Created),
		StartedAt:             timePtr(t.Started),
		StoppingAt:            timePtr(t.Stopping),
		StoppedAt:             timePtr(t.Stopped),
		PullStartedAt:         timePtr(t.PullStarted),
		PullStoppedAt:         timePtr(t.PullStopped),
		ExecutionStoppedAt:    timePtr(t.ExecStopped),
		HealthStatus:          ptr("UNKNOWN"),
		EnableExecuteCommand:  ptr(t.ExecCmd),
		Attachments:           []ecsapi.Attachment{},
		InferenceAccelerators: []ecsapi.InferenceAccelerator{},
	}
	out.AvailabilityZone = optional(t.AZ)
	out.StartedBy = optional(t.StartedBy)
	out.StoppedReason = optional(t.StoppedReason)
	out.StopCode = optional(t.StopCode)
	def := s.defOf(t)
	ov := &ecsapi.TaskOverride{ContainerOverrides: []ecsapi.ContainerOverride{}, InferenceAcceleratorOverrides: []ecsapi.InferenceAcceleratorOverride{}}
	if t.Overrides != nil {
		ov.Cpu, ov.Memory = t.Overrides.Cpu, t.Overrides.Memory
		ov.TaskRoleArn, ov.ExecutionRoleArn = t.Overrides.TaskRoleArn, t.Overrides.ExecutionRoleArn
		ov.EphemeralStorage = t.Overrides.EphemeralStorage
	}
	for _, c := range t.Containers {
		ac := ecsapi.Container{
			ContainerArn:      ptr(s.containerARN(t.Cluster, t.ID, c.ID)),
			TaskArn:           ptr(arn),
			Name:              ptr(c.Name),
			LastStatus:        ptr(c.Last),
			NetworkBindings:   []ecsapi.NetworkBinding{},
			NetworkInterfaces: []ecsapi.NetworkInterface{},
			HealthStatus:      ptr("UNKNOWN"),
			ExitCode:          c.Exit,
		}
		ac.RuntimeId = optional(c.RuntimeID)
		ac.Reason = optional(c.Reason)
		ac.ImageDigest = optional(c.Digest)
		if c.Health != "" {
			ac.HealthStatus = ptr(c.Health)
		}
		for _, b := range c.Bindings {
			nb := ecsapi.NetworkBinding{ContainerPort: ptr(b.CPort), HostPort: ptr(b.HPort), Protocol: ptr(nonEmpty(b.Proto, "tcp"))}
			nb.BindIP = optional(b.IP)
			nb.ContainerPortRange = optional(b.CPortRange)
			nb.HostPortRange = optional(b.HPortRange)
			ac.NetworkBindings = append(ac.NetworkBindings, nb)
		}
		co := ecsapi.ContainerOverride{Name: ptr(c.Name)}
		if t.Overrides != nil {
			for _, o := range t.Overrides.ContainerOverrides {
				if deref(o.Name) == c.Name {
					co = o
				}
			}
		}
		ov.ContainerOverrides = append(ov.ContainerOverrides, co)
		if def != nil {
			for _, d := range def.Def.ContainerDefinitions {
				if deref(d.Name) != c.Name {
					continue
				}
				ac.Image = d.Image
				ac.Cpu = ptr(strconv.Itoa(int(deref32(d.Cpu))))
				if d.Memory != nil {
					ac.Memory = ptr(strconv.Itoa(int(*d.Memory)))
				}
				if d.MemoryReservation != nil {
					ac.MemoryReservation = ptr(strconv.Itoa(int(*d.MemoryReservation)))
				}
			}
		}
		out.Containers = append(out.Containers, ac)
	}
	out.Overrides = ov
	if tags {
		out.Tags = apiTags(t.Tags)
		if out.Tags == nil {
			out.Tags = []ecsapi.Tag{}
		}
	}
	return out
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
