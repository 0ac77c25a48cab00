// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The rows below are what the ECS pages show and what the live JSON
// endpoints refresh: each row's fields() are the texts of the page's
// elements marked data-field="KIND.ID.FIELD".

// live is the JSON a live view polls: the text of each field, and the row
// keys, whose change (a task started, an instance joined, a new service
// event) tells the page to offer a reload.
type live struct {
	Fields map[string]string `json:"fields"`
	Rows   []string          `json:"rows"`
}

func newLive() *live { return &live{Fields: map[string]string{}, Rows: []string{}} }

// row adds a row key, "KIND:ID", matching the page's data-row attributes.
func (l *live) row(kind, id string) { l.Rows = append(l.Rows, kind+":"+id) }

func (l *live) set(kind, id, field, value string) { l.Fields[kind+"."+id+"."+field] = value }

// instanceRow is a container instance.
type instanceRow struct {
	ID, ARN, EC2, Status, Agent string
	Connected                   bool
	CPU, Memory                 string // "remaining / registered"
	Running, Pending            int32
	Registered                  *time.Time
}

func toInstanceRow(ci ecstypes.ContainerInstance) instanceRow {
	r := instanceRow{
		ARN: aws.ToString(ci.ContainerInstanceArn), EC2: aws.ToString(ci.Ec2InstanceId), Status: aws.ToString(ci.Status),
		Connected: ci.AgentConnected, Running: ci.RunningTasksCount, Pending: ci.PendingTasksCount, Registered: ci.RegisteredAt,
	}
	r.ID = lastSegment(r.ARN)
	if ci.VersionInfo != nil {
		r.Agent = aws.ToString(ci.VersionInfo.AgentVersion)
	}
	res := func(list []ecstypes.Resource, name string) int32 {
		for _, x := range list {
			if aws.ToString(x.Name) == name {
				return x.IntegerValue
			}
		}
		return 0
	}
	r.CPU = fmt.Sprintf("%d / %d", res(ci.RemainingResources, "CPU"), res(ci.RegisteredResources, "CPU"))
	r.Memory = fmt.Sprintf("%d / %d MiB", res(ci.RemainingResources, "MEMORY"), res(ci.RegisteredResources, "MEMORY"))
	return r
}

func (r instanceRow) fields(l *live) {
	l.row("inst", r.ID)
	l.set("inst", r.ID, "status", r.Status)
	l.set("inst", r.ID, "agent", connected(r.Connected))
	l.set("inst", r.ID, "cpu", r.CPU)
	l.set("inst", r.ID, "memory", r.Memory)
	l.set("inst", r.ID, "running", fmt.Sprint(r.Running))
	l.set("inst", r.ID, "pending", fmt.Sprint(r.Pending))
}

func connected(b bool) string {
	if b {
		return "connected"
	}
	return "disconnected"
}

// containerRow is a task's container.
type containerRow struct {
	Name, Status, Image, Reason, Exit string
	Bindings                          []string
}

// taskRow is a task.
type taskRow struct {
	ID, ARN, Cluster, TaskDef, Last, Desired, Group, Instance, StoppedReason string
	Started, Stopped, Created                                                *time.Time
	Containers                                                               []containerRow
}

func toTaskRow(t ecstypes.Task) taskRow {
	r := taskRow{
		ARN: aws.ToString(t.TaskArn), TaskDef: aws.ToString(t.TaskDefinitionArn), Last: aws.ToString(t.LastStatus),
		Desired: aws.ToString(t.DesiredStatus), Group: aws.ToString(t.Group), Instance: lastSegment(aws.ToString(t.ContainerInstanceArn)),
		StoppedReason: aws.ToString(t.StoppedReason), Started: t.StartedAt, Stopped: t.StoppedAt, Created: t.CreatedAt,
		Cluster: lastSegment(aws.ToString(t.ClusterArn)),
	}
	r.ID = lastSegment(r.ARN)
	for _, c := range t.Containers {
		cr := containerRow{Name: aws.ToString(c.Name), Status: aws.ToString(c.LastStatus), Image: aws.ToString(c.Image), Reason: aws.ToString(c.Reason), Exit: "—"}
		if c.ExitCode != nil {
			cr.Exit = fmt.Sprint(*c.ExitCode)
		}
		for _, b := range c.NetworkBindings {
			cr.Bindings = append(cr.Bindings, fmt.Sprintf("%s:%d → %d/%s", aws.ToString(b.BindIP), aws.ToInt32(b.HostPort), aws.ToInt32(b.ContainerPort), b.Protocol))
		}
		r.Containers = append(r.Containers, cr)
	}
	return r
}

func (r taskRow) fields(l *live) {
	l.row("task", r.ID)
	l.set("task", r.ID, "last", r.Last)
	l.set("task", r.ID, "desired", r.Desired)
	for _, c := range r.Containers {
		k := r.ID + "." + c.Name
		l.set("ctr", k, "status", c.Status)
		l.set("ctr", k, "exit", c.Exit)
		l.set("ctr", k, "bindings", strings.Join(c.Bindings, ", "))
	}
}

// serviceRow is a service.
type serviceRow struct {
	Name, ARN, Status, TaskDef     string
	Desired, Running, Pending      int32
	Events                         []ecstypes.ServiceEvent
	Deployments                    []ecstypes.Deployment
	Created                        *time.Time
	LaunchType, SchedulingStrategy string
	PlacementStrategy, RoleARN     string
}

func toServiceRow(s ecstypes.Service) serviceRow {
	r := serviceRow{
		Name: aws.ToString(s.ServiceName), ARN: aws.ToString(s.ServiceArn), Status: aws.ToString(s.Status), TaskDef: aws.ToString(s.TaskDefinition),
		Desired: s.DesiredCount, Running: s.RunningCount, Pending: s.PendingCount, Events: s.Events, Deployments: s.Deployments,
		Created: s.CreatedAt, LaunchType: string(s.LaunchType), SchedulingStrategy: string(s.SchedulingStrategy), RoleARN: aws.ToString(s.RoleArn),
	}
	for _, p := range s.PlacementStrategy {
		r.PlacementStrategy += string(p.Type) + "(" + aws.ToString(p.Field) + ") "
	}
	return r
}

func (r serviceRow) fields(l *live) {
	l.row("svc", r.Name)
	l.set("svc", r.Name, "status", r.Status)
	l.set("svc", r.Name, "desired", fmt.Sprint(r.Desired))
	l.set("svc", r.Name, "running", fmt.Sprint(r.Running))
	l.set("svc", r.Name, "pending", fmt.Sprint(r.Pending))
	if len(r.Events) > 0 {
		l.row("evt", aws.ToString(r.Events[0].Id))
	}
}

// describeTasks describes task ARNs in batches of 100.
func describeTasks(ctx context.Context, c *ecs.Client, cluster string, arns []string) ([]taskRow, error) {
	var out []taskRow
	for i := 0; i < len(arns); i += 100 {
		d, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns[i:min(i+100, len(arns))]})
		if err != nil {
			return nil, err
		}
		for _, t := range d.Tasks {
			out = append(out, toTaskRow(t))
		}
	}
	return out, nil
}

// describeInstances describes container instance ARNs in batches of 100.
func describeInstances(ctx context.Context, c *ecs.Client, cluster string, arns []string) ([]instanceRow, error) {
	var out []instanceRow
	for i := 0; i < len(arns); i += 100 {
		d, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: arns[i:min(i+100, len(arns))]})
		if err != nil {
			return nil, err
		}
		for _, ci := range d.ContainerInstances {
			out = append(out, toInstanceRow(ci))
		}
	}
	return out, nil
}

// describeServices describes services in batches of 10.
func describeServices(ctx context.Context, c *ecs.Client, cluster string, arns []string) ([]serviceRow, error) {
	var out []serviceRow
	for i := 0; i < len(arns); i += 10 {
		d, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: arns[i:min(i+10, len(arns))]})
		if err != nil {
			return nil, err
		}
		for _, s := range d.Services {
			out = append(out, toServiceRow(s))
		}
	}
	return out, nil
}
