// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/store"
)

// The IAM tables. Entity tables are keyed by the lower-case name; access
// keys by id; AWS managed policy usage by the lower-case policy name; the
// account table holds one record, accountID.
const (
	tableUsers    = "iam-users"
	tableGroups   = "iam-groups"
	tableRoles    = "iam-roles"
	tablePolicies = "iam-policies"
	tableAWSUsage = "iam-awspolicyusage"
	tableProfiles = "iam-instanceprofiles"
	tableKeys     = "iam-accesskeys"
	tableAccount  = "iam-account"
	tableAccess   = "iam-lastaccessed" // service last accessed, by entity id
	tableJobs     = "iam-accessjobs"   // GenerateServiceLastAccessedDetails reports
	accountID     = "account"
)

// Secondary indexes.
const (
	indexGroup  = "group"  // users by group id
	indexPolicy = "policy" // users, groups, roles by attached or boundary policy ARN
	indexID     = "id"     // groups by group id
)

// key is the record key of id in table, relative to the store prefix; it
// is where store.Table keeps the record too.
func key(table, id string) string { return table + "/" + id }

// tables are the cached, typed views of the IAM records that serve reads.
// Writes go through txn (raw compare-and-swap on the same keys) and wait
// for the caches to apply them.
type tables struct {
	users    *store.Table[userRec]
	groups   *store.Table[groupRec]
	roles    *store.Table[roleRec]
	policies *store.Table[policyRec]
	awsUsage *store.Table[usageRec]
	profiles *store.Table[profileRec]
	keys     *store.Table[accessKeyRec]
	account  *store.Table[accountRec]
	access   *store.Table[accessRec]
	jobs     *store.Table[accessJobRec]
}

// openTables registers the IAM tables and their indexes on st.
func openTables(ctx context.Context, st *store.Store) (*tables, error) {
	var (
		t   tables
		err error
	)
	open := func(name string, fn func() error) {
		if err == nil {
			if err = fn(); err != nil {
				err = fmt.Errorf("iam: table %s: %w", name, err)
			}
		}
	}
	open(tableUsers, func() (e error) {
		t.users, e = store.NewTable[userRec](ctx, st, tableUsers, store.TableConfig{})
		return e
	})
	open(tableGroups, func() (e error) {
		t.groups, e = store.NewTable[groupRec](ctx, st, tableGroups, store.TableConfig{})
		return e
	})
	open(tableRoles, func() (e error) {
		t.roles, e = store.NewTable[roleRec](ctx, st, tableRoles, store.TableConfig{})
		return e
	})
	open(tablePolicies, func() (e error) {
		t.policies, e = store.NewTable[policyRec](ctx, st, tablePolicies, store.TableConfig{})
		return e
	})
	open(tableAWSUsage, func() (e error) {
		t.awsUsage, e = store.NewTable[usageRec](ctx, st, tableAWSUsage, store.TableConfig{})
		return e
	})
	open(tableProfiles, func() (e error) {
		t.profiles, e = store.NewTable[profileRec](ctx, st, tableProfiles, store.TableConfig{})
		return e
	})
	open(tableKeys, func() (e error) {
		t.keys, e = store.NewTable[accessKeyRec](ctx, st, tableKeys, store.TableConfig{})
		return e
	})
	open(tableAccount, func() (e error) {
		t.account, e = store.NewTable[accountRec](ctx, st, tableAccount, store.TableConfig{})
		return e
	})
	open(tableAccess, func() (e error) {
		t.access, e = store.NewTable[accessRec](ctx, st, tableAccess, store.TableConfig{})
		return e
	})
	open(tableJobs, func() (e error) {
		t.jobs, e = store.NewTable[accessJobRec](ctx, st, tableJobs, store.TableConfig{})
		return e
	})
	open("indexes", func() error {
		if e := t.users.Index(indexGroup, func(u *userRec) []string { return u.Groups }); e != nil {
			return e
		}
		if e := t.users.Index(indexPolicy, func(u *userRec) []string { return policyUses(u.Attached, u.Boundary) }); e != nil {
			return e
		}
		if e := t.groups.Index(indexPolicy, func(g *groupRec) []string { return g.Attached }); e != nil {
			return e
		}
		if e := t.groups.Index(indexID, func(g *groupRec) []string { return []string{g.ID} }); e != nil {
			return e
		}
		return t.roles.Index(indexPolicy, func(r *roleRec) []string { return policyUses(r.Attached, r.Boundary) })
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// get returns the cached record at key (table/id) as a *T of its table,
// with the revision it was written at; ok is false when it is absent.
func (t *tables) get(ctx context.Context, k string) (v any, rev int64, ok bool, err error) {
	table, id, _ := strings.Cut(k, "/")
	switch table {
	case tableUsers:
		return cached(ctx, t.users, id)
	case tableGroups:
		return cached(ctx, t.groups, id)
	case tableRoles:
		return cached(ctx, t.roles, id)
	case tablePolicies:
		return cached(ctx, t.policies, id)
	case tableAWSUsage:
		return cached(ctx, t.awsUsage, id)
	case tableProfiles:
		return cached(ctx, t.profiles, id)
	case tableKeys:
		return cached(ctx, t.keys, id)
	case tableAccount:
		return cached(ctx, t.account, id)
	case tableAccess:
		return cached(ctx, t.access, id)
	case tableJobs:
		return cached(ctx, t.jobs, id)
	}
	return nil, 0, false, fmt.Errorf("iam: key %s is in no table", k)
}

func cached[T any](ctx context.Context, t *store.Table[T], id string) (any, int64, bool, error) {
	r, err := t.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, 0, false, nil
	case err != nil:
		return nil, 0, false, err
	}
	return r.Value, r.Revision, true, nil
}

// policyUses is the index values of an entity's policy uses.
func policyUses(attached []string, boundary string) []string {
	if boundary == "" {
		return attached
	}
	return append(append([]string(nil), attached...), boundary)
}

// values returns the values of recs; they are shared with the cache and
// must not be mutated.
func values[T any](recs []store.Record[T]) []*T {
	out := make([]*T, len(recs))
	for i, r := range recs {
		out[i] = r.Value
	}
	return out
}

// all returns every record of t, in id order, shared with the cache.
func all[T any](ctx context.Context, t *store.Table[T]) ([]*T, error) {
	recs, _, err := t.List(ctx, store.Page{})
	if err != nil {
		return nil, err
	}
	return values(recs), nil
}

// byIndex returns the records of t indexed under value, shared with the
// cache.
func byIndex[T any](ctx context.Context, t *store.Table[T], index, value string) ([]*T, error) {
	recs, err := t.ByIndex(ctx, index, value)
	if err != nil {
		return nil, err
	}
	return values(recs), nil
}

// groupsByID returns the groups with the given ids that exist, shared with
// the cache.
func (s *Service) groupsByID(ctx context.Context, ids []string) ([]*groupRec, error) {
	var out []*groupRec
	for _, id := range ids {
		gs, err := byIndex(ctx, s.t.groups, indexID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, gs...)
	}
	return out, nil
}
