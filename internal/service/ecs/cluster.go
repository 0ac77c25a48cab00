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

// Cluster include values (DescribeClusters).
const (
	includeStatistics = "STATISTICS"
	includeSettings   = "SETTINGS"
	includeTags       = "TAGS"
	includeConfig     = "CONFIGURATIONS"

	settingContainerInsights = "containerInsights"
	maxDescribeClusters      = 100
)

// validName reports whether s is 1..255 letters, digits, hyphens and
// underscores: the rule for cluster, service and family names.
func validName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// knownCluster returns the name of the cluster a reference names, in any
// status, or ClusterNotFoundException when there is none.
func (s *Service) knownCluster(ctx context.Context, ref *string) (string, error) {
	name, ok := s.clusterName(ref)
	if !ok {
		return "", errClusterNotFound()
	}
	if _, err := s.t.clusters.Get(ctx, name); err != nil {
		return "", errClusterNotFound()
	}
	return name, nil
}

// activeCluster returns the ACTIVE cluster a reference names, or
// ClusterNotFoundException.
func (s *Service) activeCluster(ref *string) (store.Record[clusterRec], string, error) {
	name, ok := s.clusterName(ref)
	if !ok {
		return store.Record[clusterRec]{}, "", errClusterNotFound()
	}
	r, err := s.t.clusters.Get(context.Background(), name)
	if err != nil || r.Value.Status != statusActive {
		return store.Record[clusterRec]{}, name, errClusterNotFound()
	}
	return r, name, nil
}

func checkSettings(in []ecsapi.ClusterSetting) ([]settingRec, error) {
	var out []settingRec
	for _, st := range in {
		name, val := deref(st.Name), deref(st.Value)
		if name != settingContainerInsights {
			return nil, invalidParam("Invalid cluster setting name %q.", name)
		}
		switch val {
		case "enabled", "disabled", "enhanced":
		default:
			return nil, invalidParam("Invalid value for %s. Valid values are enabled, disabled and enhanced.", name)
		}
		out = slices.DeleteFunc(out, func(r settingRec) bool { return r.Name == name })
		out = append(out, settingRec{Name: name, Value: val})
	}
	return out, nil
}

// CreateCluster implements ecsapi.API. Creating a cluster that exists and
// is ACTIVE returns it unchanged, as ECS does.
func (s *Service) CreateCluster(ctx context.Context, in *ecsapi.CreateClusterInput) (*ecsapi.CreateClusterOutput, error) {
	name := deref(in.ClusterName)
	if name == "" {
		name = defaultCluster
	}
	if !validName(name) {
		return nil, invalidParam("Invalid cluster name. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	settings, err := checkSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	if len(in.CapacityProviders) > 0 || len(in.DefaultCapacityProviderStrategy) > 0 {
		return nil, invalidParam("Capacity providers are not supported by berth.")
	}
	if settings == nil {
		settings = []settingRec{{Name: settingContainerInsights, Value: "disabled"}}
	}
	rec := &clusterRec{Name: name, Status: statusActive, Created: s.now(), Tags: tags, Settings: settings,
		Configuration: in.Configuration}
	if in.ServiceConnectDefaults != nil {
		rec.Namespace = deref(in.ServiceConnectDefaults.Namespace)
	}
	for range maxCASRetries {
		cur, err := s.t.clusters.Get(ctx, name)
		switch {
		case err == nil && cur.Value.Status == statusActive:
			return &ecsapi.CreateClusterOutput{Cluster: s.apiCluster(cur.Value, []string{includeSettings, includeTags, includeConfig})}, nil
		case err == nil:
			_, err = s.t.clusters.Put(ctx, name, rec, cur.Revision)
		case isNotFound(err):
			_, err = s.t.clusters.Create(ctx, name, rec)
		}
		if err == nil {
			return &ecsapi.CreateClusterOutput{Cluster: s.apiCluster(rec, []string{includeSettings, includeTags, includeConfig})}, nil
		}
		if !isConflict(err) {
			return nil, storeErr(err)
		}
	}
	return nil, storeErr(errf("create cluster %s: too many conflicts", name))
}

// clusterCounts are the counts DescribeClusters reports.
type clusterCounts struct {
	instances, running, pending, services, draining int
}

func (s *Service) countCluster(name string) clusterCounts {
	var c clusterCounts
	ctx := context.Background()
	insts, _, _ := s.t.instances.List(ctx, store.Page{Prefix: name + "/"})
	for _, r := range insts {
		if r.Value.Status == statusInactive {
			continue
		}
		c.instances++
		running, pending := s.instanceTaskCounts(r.Value)
		c.running += running
		c.pending += pending
	}
	svcs, _, _ := s.t.services.List(ctx, store.Page{Prefix: name + "/"})
	for _, r := range svcs {
		switch r.Value.Status {
		case statusActive:
			c.services++
		case statusDraining:
			c.draining++
		}
	}
	return c
}

// apiCluster renders a cluster with the includes asked for.
func (s *Service) apiCluster(r *clusterRec, include []string) *ecsapi.Cluster {
	out := &ecsapi.Cluster{
		ClusterArn:                      ptr(s.clusterARN(r.Name)),
		ClusterName:                     ptr(r.Name),
		Status:                          ptr(r.Status),
		CapacityProviders:               []string{},
		DefaultCapacityProviderStrategy: []ecsapi.CapacityProviderStrategyItem{},
	}
	if r.Status == statusDeprovisioned {
		out.Status = ptr(statusActive)
	}
	c := s.countCluster(r.Name)
	if r.Status == statusInactive {
		c = clusterCounts{}
	}
	out.RegisteredContainerInstancesCount = ptr(int32(c.instances))
	out.RunningTasksCount = ptr(int32(c.running))
	out.PendingTasksCount = ptr(int32(c.pending))
	out.ActiveServicesCount = ptr(int32(c.services))
	out.Statistics = []ecsapi.KeyValuePair{}
	if slices.Contains(include, includeStatistics) {
		stat := func(k string, v int) ecsapi.KeyValuePair {
			return ecsapi.KeyValuePair{Name: ptr(k), Value: ptr(strconv.Itoa(v))}
		}
		out.Statistics = []ecsapi.KeyValuePair{
			stat("runningEC2TasksCount", c.running),
			stat("runningFargateTasksCount", 0),
			stat("pendingEC2TasksCount", c.pending),
			stat("pendingFargateTasksCount", 0),
			stat("runningExternalTasksCount", 0),
			stat("pendingExternalTasksCount", 0),
			stat("activeEC2ServiceCount", c.services),
			stat("activeFargateServiceCount", 0),
			stat("drainingEC2ServiceCount", c.draining),
			stat("drainingFargateServiceCount", 0),
		}
	}
	if slices.Contains(include, includeTags) {
		out.Tags = apiTags(r.Tags)
		if out.Tags == nil {
			out.Tags = []ecsapi.Tag{}
		}
	}
	if slices.Contains(include, includeSettings) {
		for _, st := range r.Settings {
			out.Settings = append(out.Settings, ecsapi.ClusterSetting{Name: ptr(st.Name), Value: ptr(st.Value)})
		}
	}
	if slices.Contains(include, includeConfig) {
		out.Configuration = r.Configuration
	}
	if r.Namespace != "" {
		out.ServiceConnectDefaults = &ecsapi.ClusterServiceConnectDefaults{Namespace: ptr(r.Namespace)}
	}
	return out
}

// DescribeClusters implements ecsapi.API.
func (s *Service) DescribeClusters(ctx context.Context, in *ecsapi.DescribeClustersInput) (*ecsapi.DescribeClustersOutput, error) {
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{defaultCluster}
	}
	if len(refs) > maxDescribeClusters {
		return nil, invalidParam("clusters can have at most %d items.", maxDescribeClusters)
	}
	out := &ecsapi.DescribeClustersOutput{Clusters: []ecsapi.Cluster{}}
	out.Failures = describeEach(refs, func(ref string) (*clusterRec, string, bool) {
		name, ok := s.clusterName(&ref)
		if !ok {
			return nil, "", false
		}
		r, err := s.t.clusters.Get(ctx, name)
		if err != nil {
			return nil, s.clusterARN(name), false
		}
		return r.Value, "", true
	}, func(c *clusterRec) { out.Clusters = append(out.Clusters, *s.apiCluster(c, in.Include)) })
	return out, nil
}

// ListClusters implements ecsapi.API.
func (s *Service) ListClusters(ctx context.Context, in *ecsapi.ListClustersInput) (*ecsapi.ListClustersOutput, error) {
	after, limit, err := pageArgs(in.NextToken, in.MaxResults, maxListResults)
	if err != nil {
		return nil, err
	}
	recs, next, err := filterPage(func(p store.Page) ([]store.Record[clusterRec], string, error) {
		return s.t.clusters.List(ctx, p)
	}, "", after, limit, func(r *store.Record[clusterRec]) bool { return r.Value.Status != statusInactive })
	if err != nil {
		return nil, storeErr(err)
	}
	out := &ecsapi.ListClustersOutput{ClusterArns: make([]string, 0, len(recs)), NextToken: nextToken(next)}
	for _, r := range recs {
		out.ClusterArns = append(out.ClusterArns, s.clusterARN(r.ID))
	}
	return out, nil
}

// UpdateCluster implements ecsapi.API.
func (s *Service) UpdateCluster(ctx context.Context, in *ecsapi.UpdateClusterInput) (*ecsapi.UpdateClusterOutput, error) {
	settings, err := checkSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	r, err := s.updateCluster(ctx, in.Cluster, func(c *clusterRec) {
		for _, st := range settings {
			c.Settings = slices.DeleteFunc(c.Settings, func(x settingRec) bool { return x.Name == st.Name })
			c.Settings = append(c.Settings, st)
		}
		if in.Configuration != nil {
			c.Configuration = in.Configuration
		}
		if in.ServiceConnectDefaults != nil {
			c.Namespace = deref(in.ServiceConnectDefaults.Namespace)
		}
	})
	if err != nil {
		return nil, err
	}
	return &ecsapi.UpdateClusterOutput{Cluster: s.apiCluster(r, []string{includeSettings, includeConfig})}, nil
}

// UpdateClusterSettings implements ecsapi.API.
func (s *Service) UpdateClusterSettings(ctx context.Context, in *ecsapi.UpdateClusterSettingsInput) (*ecsapi.UpdateClusterSettingsOutput, error) {
	settings, err := checkSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	r, err := s.updateCluster(ctx, in.Cluster, func(c *clusterRec) {
		for _, st := range settings {
			c.Settings = slices.DeleteFunc(c.Settings, func(x settingRec) bool { return x.Name == st.Name })
			c.Settings = append(c.Settings, st)
		}
	})
	if err != nil {
		return nil, err
	}
	return &ecsapi.UpdateClusterSettingsOutput{Cluster: s.apiCluster(r, []string{includeSettings})}, nil
}

func (s *Service) updateCluster(ctx context.Context, ref *string, fn func(*clusterRec)) (*clusterRec, error) {
	name, ok := s.clusterName(ref)
	if !ok {
		return nil, errClusterNotFound()
	}
	r, err := s.t.clusters.Update(ctx, name, func(c *clusterRec) error {
		if c.Status != statusActive {
			return errClusterNotFound()
		}
		fn(c)
		return nil
	})
	if isNotFound(err) {
		return nil, errClusterNotFound()
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return r.Value, nil
}

// DeleteCluster implements ecsapi.API. It is refused while the cluster has
// registered (ACTIVE or DRAINING) container instances, ACTIVE or DRAINING
// services, or tasks not yet STOPPED.
//
// Deletion is two-phase so that a concurrent registration, on any replica,
// cannot slip in: the cluster first becomes DEPROVISIONING (registrations
// and new services compare the cluster record's revision, so those in
// flight fail and later ones see it is not ACTIVE), then, after a Sync
// that makes every earlier write visible, the checks run and the cluster
// becomes INACTIVE, or ACTIVE again if a check fails.
func (s *Service) DeleteCluster(ctx context.Context, in *ecsapi.DeleteClusterInput) (*ecsapi.DeleteClusterOutput, error) {
	name, ok := s.clusterName(in.Cluster)
	if !ok {
		return nil, errClusterNotFound()
	}
	var prev string
	_, err := s.t.clusters.Update(ctx, name, func(c *clusterRec) error {
		if c.Status != statusActive {
			return errClusterNotFound()
		}
		prev = c.Status
		c.Status = statusDeprovisioned
		return nil
	})
	if isNotFound(err) {
		return nil, errClusterNotFound()
	}
	if err != nil {
		return nil, storeErr(err)
	}
	refusal := s.deleteRefusal(ctx, name)
	r, err := s.t.clusters.Update(ctx, name, func(c *clusterRec) error {
		if refusal != nil {
			c.Status = prev
			return nil
		}
		c.Status = statusInactive
		c.Deleted = s.now()
		return nil
	})
	if err != nil {
		return nil, storeErr(err)
	}
	if refusal != nil {
		return nil, refusal
	}
	return &ecsapi.DeleteClusterOutput{Cluster: s.apiCluster(r.Value, []string{includeSettings, includeTags})}, nil
}

// deleteRefusal returns the error DeleteCluster answers while something
// remains in the cluster, after making every acknowledged write visible.
func (s *Service) deleteRefusal(ctx context.Context, name string) error {
	if _, err := s.st.Sync(ctx); err != nil {
		return storeErr(err)
	}
	insts, _, err := s.t.instances.List(ctx, store.Page{Prefix: name + "/"})
	if err != nil {
		return storeErr(err)
	}
	for _, r := range insts {
		if r.Value.Status != statusInactive {
			return ecsapi.ErrClusterContainsContainerInstances(msgClusterHasInstance)
		}
	}
	svcs, _, err := s.t.services.List(ctx, store.Page{Prefix: name + "/"})
	if err != nil {
		return storeErr(err)
	}
	for _, r := range svcs {
		if r.Value.Status != statusInactive {
			return ecsapi.ErrClusterContainsServices(msgClusterHasServices)
		}
	}
	for _, d := range []string{taskRunning, taskStopped} {
		recs, _, err := s.t.tasks.ListByIndex(ctx, ixTaskCluster, k(name, d), store.Page{})
		if err != nil {
			return storeErr(err)
		}
		for _, t := range recs {
			if t.Value.Last != taskStopped {
				return ecsapi.ErrClusterContainsTasks(msgClusterHasTasks)
			}
		}
	}
	return nil
}
