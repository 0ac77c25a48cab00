// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/store"
)

// The ECS tables. Every name starts with tablePrefix, so one watch on that
// prefix sees every ECS change (watch.go). Child records are keyed
// "CLUSTER/ID" so a cluster's records are one Page.Prefix away.
const (
	tablePrefix    = "ecs-"
	tableClusters  = "ecs-clusters"  // NAME
	tableInstances = "ecs-instances" // CLUSTER/ID
	tableTasks     = "ecs-tasks"     // CLUSTER/ID
	tableTaskDefs  = "ecs-taskdefs"  // tdID(FAMILY, REVISION)
	tableFamilies  = "ecs-families"  // FAMILY
	tableServices  = "ecs-services"  // CLUSTER/NAME
	tableUsage     = "ecs-usage"     // CLUSTER/ID, what an instance's tasks use
	tableTokens    = "ecs-tokens"    // KIND/CLUSTER/TOKEN
	leaderKey      = "ecs-leader"    // not a table: the controller lease
)

// Secondary indexes. Task indexes that end in "-d" also key on the desired
// status, the one filter ListTasks always applies.
const (
	ixTaskLive     = "live"    // tasks holding resources, by instance store id
	ixTaskCluster  = "cd"      // cluster|desired
	ixTaskInstance = "id"      // instance id|desired
	ixTaskFamily   = "fd"      // cluster|family|desired
	ixTaskService  = "sd"      // cluster|service|desired
	ixTaskStarted  = "bd"      // cluster|startedBy|desired
	ixTaskSvcLive  = "svclive" // cluster|service, tasks holding resources
	ixTaskStopped  = "stopped" // "1" for every STOPPED task
	ixTDStatus     = "status"  // task definitions by status
	ixFamilyActive = "active"  // families: "true" with an ACTIVE revision, else "false"
	ixInstanceEC2  = "ec2"     // cluster|EC2 instance id
	ixServiceAll   = "status"  // services by status
)

// tdID is a task definition's record id: the family, a space (which sorts
// before every character a family may hold, so families list in name
// order) and the zero-padded revision.
func tdID(family string, rev int) string { return fmt.Sprintf("%s %010d", family, rev) }

// k joins index key parts.
func k(parts ...string) string {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, '|')
		}
		b = append(b, p...)
	}
	return string(b)
}

// tables are the cached, typed views of the ECS records.
type tables struct {
	clusters  *store.Table[clusterRec]
	instances *store.Table[instanceRec]
	tasks     *store.Table[taskRec]
	taskDefs  *store.Table[taskDefRec]
	families  *store.Table[familyRec]
	services  *store.Table[serviceRec]
	tokens    *store.Table[tokenRec]
	usage     *store.Table[usageRec]
}

func openTables(ctx context.Context, st *store.Store) (*tables, error) {
	var t tables
	var err error
	wrap := func(name string, e error) error {
		if e != nil && err == nil {
			err = fmt.Errorf("ecs: table %s: %w", name, e)
		}
		return err
	}
	var e error
	t.clusters, e = store.NewTable[clusterRec](ctx, st, tableClusters, store.TableConfig{})
	wrap(tableClusters, e)
	if err == nil {
		t.instances, e = store.NewTable[instanceRec](ctx, st, tableInstances, store.TableConfig{})
		wrap(tableInstances, e)
	}
	if err == nil {
		t.tasks, e = store.NewTable[taskRec](ctx, st, tableTasks, store.TableConfig{})
		wrap(tableTasks, e)
	}
	if err == nil {
		t.taskDefs, e = store.NewTable[taskDefRec](ctx, st, tableTaskDefs, store.TableConfig{})
		wrap(tableTaskDefs, e)
	}
	if err == nil {
		t.families, e = store.NewTable[familyRec](ctx, st, tableFamilies, store.TableConfig{})
		wrap(tableFamilies, e)
	}
	if err == nil {
		t.services, e = store.NewTable[serviceRec](ctx, st, tableServices, store.TableConfig{})
		wrap(tableServices, e)
	}
	if err == nil {
		t.tokens, e = store.NewTable[tokenRec](ctx, st, tableTokens, store.TableConfig{})
		wrap(tableTokens, e)
	}
	if err == nil {
		t.usage, e = store.NewTable[usageRec](ctx, st, tableUsage, store.TableConfig{})
		wrap(tableUsage, e)
	}
	if err != nil {
		return nil, err
	}
	return &t, t.index()
}

func (t *tables) index() error {
	desired := func(fn func(*taskRec) string) store.IndexFunc[taskRec] {
		return func(r *taskRec) []string {
			v := fn(r)
			if v == "" {
				return nil
			}
			return []string{k(v, r.Desired)}
		}
	}
	ixs := []struct {
		name string
		fn   store.IndexFunc[taskRec]
	}{
		{ixTaskLive, func(r *taskRec) []string {
			if !r.live() {
				return nil
			}
			return []string{storeID(r.Cluster, r.Instance)}
		}},
		{ixTaskCluster, desired(func(r *taskRec) string { return r.Cluster })},
		{ixTaskInstance, desired(func(r *taskRec) string { return r.Instance })},
		{ixTaskFamily, desired(func(r *taskRec) string { return k(r.Cluster, r.Family) })},
		{ixTaskService, desired(func(r *taskRec) string {
			if r.Service == "" {
				return ""
			}
			return k(r.Cluster, r.Service)
		})},
		{ixTaskStarted, desired(func(r *taskRec) string {
			if r.StartedBy == "" {
				return ""
			}
			return k(r.Cluster, r.StartedBy)
		})},
		{ixTaskSvcLive, func(r *taskRec) []string {
			if r.Service == "" || !r.live() {
				return nil
			}
			return []string{k(r.Cluster, r.Service)}
		}},
		{ixTaskStopped, func(r *taskRec) []string {
			if r.Last != taskStopped {
				return nil
			}
			return []string{"1"}
		}},
	}
	for _, ix := range ixs {
		if err := t.tasks.Index(ix.name, ix.fn); err != nil {
			return err
		}
	}
	if err := t.taskDefs.Index(ixTDStatus, func(r *taskDefRec) []string { return []string{r.Status} }); err != nil {
		return err
	}
	if err := t.families.Index(ixFamilyActive, func(r *familyRec) []string {
		return []string{strconv.FormatBool(r.Active > 0)}
	}); err != nil {
		return err
	}
	if err := t.services.Index(ixServiceAll, func(r *serviceRec) []string { return []string{r.Status} }); err != nil {
		return err
	}
	return t.instances.Index(ixInstanceEC2, func(r *instanceRec) []string {
		if r.EC2ID == "" {
			return nil
		}
		return []string{k(r.Cluster, r.EC2ID)}
	})
}

// List* calls page with nextToken and maxResults. A token is the opaque
// encoding of the last record id returned; ids are stable, so a token stays
// valid while records come and go.
const (
	maxListResults     = 100
	defaultListResults = 100
	tokenPrefix        = "b1:"
)

// pageArgs validates nextToken and maxResults: maxResults 1..max when set.
func pageArgs(next *string, maxResults *int32, max int) (after string, limit int, err error) {
	limit = defaultListResults
	if max < limit {
		limit = max
	}
	if maxResults != nil {
		if *maxResults < 1 || int(*maxResults) > max {
			return "", 0, invalidParam("maxResults must be between 1 and %d.", max)
		}
		limit = int(*maxResults)
	}
	if t := deref(next); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || !strings.HasPrefix(string(b), tokenPrefix) {
			return "", 0, invalidParam("Invalid nextToken.")
		}
		after = string(b)[len(tokenPrefix):]
	}
	return after, limit, nil
}

// nextToken encodes the marker of the next page; nil when there is none.
func nextToken(after string) *string {
	if after == "" {
		return nil
	}
	t := base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + after))
	return &t
}

// filterPage returns up to limit records of a listing that keep accepts,
// reading pages of the underlying listing in id order after after, and the
// marker of the next page ("" when the listing is exhausted). A page may
// come back short of limit only at the end.
func filterPage[T any](list func(p store.Page) ([]store.Record[T], string, error), prefix, after string,
	limit int, keep func(*store.Record[T]) bool) ([]store.Record[T], string, error) {
	var out []store.Record[T]
	for {
		want := limit - len(out)
		recs, next, err := list(store.Page{Prefix: prefix, After: after, Limit: max(want, 50)})
		if err != nil {
			return nil, "", err
		}
		for i := range recs {
			if keep != nil && !keep(&recs[i]) {
				continue
			}
			out = append(out, recs[i])
			if len(out) == limit {
				// More may follow this record, in this page or the next.
				if i < len(recs)-1 || next != "" {
					return out, recs[i].ID, nil
				}
				return out, "", nil
			}
		}
		if next == "" {
			return out, "", nil
		}
		after = next
	}
}
