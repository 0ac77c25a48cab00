// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"strconv"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/actionmap"
)

var _ gateway.Describer = (*Service)(nil)

// Condition keys berth sets (Service Authorization Reference, ECS).
const (
	keyCluster            = "ecs:cluster"
	keyContainerInstances = "ecs:container-instances"
	keyTaskDefinition     = "ecs:task-definition"
	keyCapacityProvider   = "ecs:capacity-provider"
	keyExecCmd            = "ecs:enable-execute-command"
	keyManagedTags        = "ecs:enable-ecs-managed-tags"
	keyPropagateTags      = "ecs:propagate-tags"
	keyTaskCPU            = "ecs:task-cpu"
	keyTaskMemory         = "ecs:task-memory"
	keyPrivileged         = "ecs:privileged"
	keyCompat             = "ecs:compute-compatibility"
	keyCreateAction       = "ecs:CreateAction"
)

// AuthzTarget implements gateway.Describer: each ECS operation is
// authorized with its IAM action on the ARNs of the resources it acts on,
// as the Service Authorization Reference lists them (cluster,
// container-instance, task, task-definition, service; "*" for the
// operations with no resource type), with the ecs: condition keys of the
// request, aws:RequestTag/* and aws:TagKeys for the tags it carries, and
// aws:ResourceTag/* (and ecs:ResourceTag/*) when it acts on one existing
// resource that has tags. A create call that carries tags also needs
// ecs:TagResource on the new resource (see tagOnCreate).
//
// The gateway's Target carries one context for all resources, so resource
// tags are supplied only for single-resource requests.
func (s *Service) AuthzTarget(_ context.Context, op string, in any) (gateway.Target, error) {
	action, ok := actionmap.ForOperation("ecs", op)
	if !ok {
		return gateway.Target{}, nil
	}
	d := &describe{s: s, t: gateway.Target{Action: action}}
	d.describe(op, in)
	if len(d.t.Resources) == 1 && d.t.Resources[0] != "*" {
		if tags, ok := s.resourceTags(d.t.Resources[0]); ok {
			for _, t := range tags {
				d.set("aws:ResourceTag/"+t.K, t.V)
				d.set("ecs:ResourceTag/"+t.K, t.V)
			}
		}
	}
	return d.t, nil
}

type describe struct {
	s *Service
	t gateway.Target
}

func (d *describe) res(arns ...string) { d.t.Resources = append(d.t.Resources, arns...) }

func (d *describe) set(key string, vals ...string) {
	if len(vals) == 0 || len(vals) == 1 && vals[0] == "" {
		return
	}
	if d.t.Context == nil {
		d.t.Context = map[string][]string{}
	}
	d.t.Context[key] = vals
}

func (d *describe) setBool(key string, v *bool) {
	if v != nil {
		d.set(key, strconv.FormatBool(*v))
	}
}

// cluster returns the ARN of the cluster a request names ("default" when
// none); a reference that is no cluster ARN is returned as given.
func (d *describe) cluster(ref *string) string {
	name, ok := d.s.clusterName(ref)
	if !ok {
		return deref(ref)
	}
	return d.s.clusterARN(name)
}

func (d *describe) clusterName(ref *string) string {
	name, _ := d.s.clusterName(ref)
	return name
}

// tags sets aws:RequestTag/KEY (an empty value too: the key is then
// present with "") and aws:TagKeys.
func (d *describe) tags(tags []ecsapi.Tag) {
	if len(tags) == 0 {
		return
	}
	if d.t.Context == nil {
		d.t.Context = map[string][]string{}
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		d.t.Context["aws:RequestTag/"+deref(t.Key)] = []string{deref(t.Value)}
		keys = append(keys, deref(t.Key))
	}
	d.t.Context["aws:TagKeys"] = keys
}

// child returns the long ARN of a cluster's child resource referenced by
// name, id or ARN.
func (d *describe) child(cluster, kind, ref string) string {
	c, id, ok := d.s.childRef(ref, kind)
	if !ok {
		return ref
	}
	if c == "" {
		c = cluster
	}
	return d.s.ecsARN(kind + "/" + c + "/" + id)
}

// taskDef returns the ARN of the task definition revision a reference
// resolves to (the latest ACTIVE one for a bare family).
func (d *describe) taskDef(ref string) string {
	if r, ok := d.s.lookupTaskDef(ref); ok {
		return d.s.taskDefARN(r.Value.Family, r.Value.Revision)
	}
	if family, rev, ok := d.s.taskDefRef(ref); ok && rev > 0 {
		return d.s.taskDefARN(family, rev)
	} else if ok {
		return d.s.ecsARN("task-definition/" + family + ":*")
	}
	return ref
}

func (d *describe) describe(op string, in any) {
	switch v := in.(type) {
	case *ecsapi.CreateClusterInput:
		name := deref(v.ClusterName)
		if name == "" {
			name = defaultCluster
		}
		d.res(d.s.clusterARN(name))
		d.tags(v.Tags)
		d.set(keyCapacityProvider, v.CapacityProviders...)
		d.tagOnCreate(op, d.s.clusterARN(name), v.Tags)
	case *ecsapi.DeleteClusterInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.UpdateClusterInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.UpdateClusterSettingsInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.PutClusterCapacityProvidersInput:
		d.res(d.cluster(v.Cluster))
		d.set(keyCapacityProvider, v.CapacityProviders...)
	case *ecsapi.DescribeClustersInput:
		if len(v.Clusters) == 0 {
			d.res(d.s.clusterARN(defaultCluster))
		}
		for _, c := range v.Clusters {
			d.res(d.cluster(&c))
		}
	case *ecsapi.RegisterContainerInstanceInput:
		d.res(d.cluster(v.Cluster))
		d.tags(v.Tags)
		d.tagOnCreate(op, d.s.ecsARN("container-instance/"+d.clusterName(v.Cluster)+"/*"), v.Tags)
	case *ecsapi.DeregisterContainerInstanceInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.ListContainerInstancesInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.ListAttributesInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.SubmitTaskStateChangeInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.SubmitContainerStateChangeInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.SubmitAttachmentStateChangesInput:
		d.res(d.cluster(v.Cluster))
	case *ecsapi.DescribeContainerInstancesInput:
		d.instances(v.Cluster, v.ContainerInstances)
	case *ecsapi.UpdateContainerInstancesStateInput:
		d.instances(v.Cluster, v.ContainerInstances)
	case *ecsapi.UpdateContainerAgentInput:
		d.instances(v.Cluster, []string{deref(v.ContainerInstance)})
	case *ecsapi.PutAttributesInput:
		d.attributes(v.Cluster, v.Attributes)
	case *ecsapi.DeleteAttributesInput:
		d.attributes(v.Cluster, v.Attributes)
	case *ecsapi.ListTasksInput:
		name := d.clusterName(v.Cluster)
		if ref := deref(v.ContainerInstance); ref != "" {
			d.res(d.child(name, "container-instance", ref))
		} else {
			d.res(d.s.ecsARN("container-instance/" + name + "/*"))
		}
		d.set(keyCluster, d.cluster(v.Cluster))
	case *ecsapi.DescribeTasksInput:
		d.tasks(v.Cluster, v.Tasks)
	case *ecsapi.StopTaskInput:
		d.tasks(v.Cluster, []string{deref(v.Task)})
	case *ecsapi.GetTaskProtectionInput:
		d.tasks(v.Cluster, v.Tasks)
	case *ecsapi.UpdateTaskProtectionInput:
		d.tasks(v.Cluster, v.Tasks)
	case *ecsapi.RunTaskInput:
		d.res(d.taskDef(deref(v.TaskDefinition)))
		d.set(keyCluster, d.cluster(v.Cluster))
		d.tags(v.Tags)
		d.setBool(keyExecCmd, v.EnableExecuteCommand)
		for _, c := range v.CapacityProviderStrategy {
			d.set(keyCapacityProvider, deref(c.CapacityProvider))
		}
		d.tagOnCreate(op, d.s.ecsARN("task/"+d.clusterName(v.Cluster)+"/*"), v.Tags)
	case *ecsapi.StartTaskInput:
		d.res(d.taskDef(deref(v.TaskDefinition)))
		d.set(keyCluster, d.cluster(v.Cluster))
		name := d.clusterName(v.Cluster)
		var insts []string
		for _, ref := range v.ContainerInstances {
			insts = append(insts, d.child(name, "container-instance", ref))
		}
		d.set(keyContainerInstances, insts...)
		d.tags(v.Tags)
		d.setBool(keyExecCmd, v.EnableExecuteCommand)
		d.tagOnCreate(op, d.s.ecsARN("task/"+name+"/*"), v.Tags)
	case *ecsapi.RegisterTaskDefinitionInput:
		d.res(d.s.ecsARN("task-definition/" + deref(v.Family) + ":*"))
		d.tags(v.Tags)
		d.registerKeys(v)
		d.tagOnCreate(op, d.s.ecsARN("task-definition/"+deref(v.Family)+":*"), v.Tags)
	case *ecsapi.DeleteTaskDefinitionsInput:
		for _, ref := range v.TaskDefinitions {
			d.res(d.taskDef(ref))
		}
	case *ecsapi.CreateServiceInput:
		name := d.clusterName(v.Cluster)
		d.res(d.s.serviceARN(name, deref(v.ServiceName)))
		d.set(keyCluster, d.cluster(v.Cluster))
		if ref := deref(v.TaskDefinition); ref != "" {
			d.set(keyTaskDefinition, d.taskDef(ref))
		}
		d.tags(v.Tags)
		d.setBool(keyExecCmd, v.EnableExecuteCommand)
		d.setBool(keyManagedTags, v.EnableECSManagedTags)
		d.set(keyPropagateTags, deref(v.PropagateTags))
		for _, c := range v.CapacityProviderStrategy {
			d.set(keyCapacityProvider, deref(c.CapacityProvider))
		}
		d.tagOnCreate(op, d.s.serviceARN(name, deref(v.ServiceName)), v.Tags)
	case *ecsapi.UpdateServiceInput:
		d.res(d.child(d.clusterName(v.Cluster), "service", deref(v.Service)))
		d.set(keyCluster, d.cluster(v.Cluster))
		if ref := deref(v.TaskDefinition); ref != "" {
			d.set(keyTaskDefinition, d.taskDef(ref))
		}
		d.setBool(keyExecCmd, v.EnableExecuteCommand)
		d.setBool(keyManagedTags, v.EnableECSManagedTags)
		d.set(keyPropagateTags, deref(v.PropagateTags))
	case *ecsapi.DeleteServiceInput:
		d.res(d.child(d.clusterName(v.Cluster), "service", deref(v.Service)))
		d.set(keyCluster, d.cluster(v.Cluster))
	case *ecsapi.DescribeServicesInput:
		for _, ref := range v.Services {
			d.res(d.child(d.clusterName(v.Cluster), "service", ref))
		}
		d.set(keyCluster, d.cluster(v.Cluster))
	case *ecsapi.ListServicesInput:
		d.set(keyCluster, d.cluster(v.Cluster))
	case *ecsapi.TagResourceInput:
		d.res(deref(v.ResourceArn))
		d.tags(v.Tags)
	case *ecsapi.UntagResourceInput:
		d.res(deref(v.ResourceArn))
		d.set("aws:TagKeys", v.TagKeys...)
	case *ecsapi.ListTagsForResourceInput:
		d.res(deref(v.ResourceArn))
	}
}

// tagOnCreate adds the check AWS makes when a create call carries tags
// ("Grant permission to tag resources on creation", ECS developer guide):
// ecs:TagResource on the new resource with the request's tags and
// ecs:CreateAction naming the operation. Without tags there is none.
func (d *describe) tagOnCreate(op, resource string, tags []ecsapi.Tag) {
	if len(tags) == 0 {
		return
	}
	c := make(map[string][]string, len(tags)+2)
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		c["aws:RequestTag/"+deref(t.Key)] = []string{deref(t.Value)}
		keys = append(keys, deref(t.Key))
	}
	c["aws:TagKeys"] = keys
	c[keyCreateAction] = []string{op}
	d.t.Extra = append(d.t.Extra, gateway.Check{Action: "ecs:TagResource", Resources: []string{resource}, Context: c})
}

func (d *describe) instances(cluster *string, refs []string) {
	name := d.clusterName(cluster)
	for _, ref := range refs {
		d.res(d.child(name, "container-instance", ref))
	}
	d.set(keyCluster, d.cluster(cluster))
}

func (d *describe) tasks(cluster *string, refs []string) {
	name := d.clusterName(cluster)
	for _, ref := range refs {
		d.res(d.child(name, "task", ref))
	}
	d.set(keyCluster, d.cluster(cluster))
}

func (d *describe) attributes(cluster *string, attrs []ecsapi.Attribute) {
	name := d.clusterName(cluster)
	seen := map[string]bool{}
	for _, a := range attrs {
		arn := d.child(name, "container-instance", deref(a.TargetId))
		if !seen[arn] {
			seen[arn] = true
			d.res(arn)
		}
	}
	d.set(keyCluster, d.cluster(cluster))
}

// registerKeys sets RegisterTaskDefinition's condition keys.
func (d *describe) registerKeys(v *ecsapi.RegisterTaskDefinitionInput) {
	if n, ok := parseTaskCPU(deref(v.Cpu)); ok && n > 0 {
		d.set(keyTaskCPU, strconv.Itoa(n))
	}
	if n, ok := parseTaskMemory(deref(v.Memory)); ok && n > 0 {
		d.set(keyTaskMemory, strconv.Itoa(n))
	}
	priv := false
	for _, c := range v.ContainerDefinitions {
		priv = priv || c.Privileged != nil && *c.Privileged
	}
	d.set(keyPrivileged, strconv.FormatBool(priv))
	d.set(keyCompat, v.RequiresCompatibilities...)
}
