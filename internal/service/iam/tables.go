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

	byName map[string]getter // table name → its reader, for get
}

// openTables registers the IAM tables and their indexes on st.
func openTables(ctx context.Context, st *store.Store) (*tables, error) {
	t := tables{byName: map[string]getter{}}
	o := opener{ctx: ctx, st: st, t: &t}
	openTable(&o, tableUsers, &t.users)
	openTable(&o, tableGroups, &t.groups)
	openTable(&o, tableRoles, &t.roles)
	openTable(&o, tablePolicies, &t.policies)
	openTable(&o, tableAWSUsage, &t.awsUsage)
	openTable(&o, tableProfiles, &t.profiles)
	openTable(&o, tableKeys, &t.keys)
	openTable(&o, tableAccount, &t.account)
	openTable(&o, tableAccess, &t.access)
	openTable(&o, tableJobs, &t.jobs)
	if o.err != nil {
		return nil, o.err
	}
	if err := t.indexes(); err != nil {
		return nil, fmt.Errorf("iam: table indexes: %w", err)
	}
	return &t, nil
}

// indexes declares the secondary indexes on the opened tables.
func (t *tables) indexes() error {
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
}

// getter reads the cached record id of one table as a *T of that table,
// with the revision it was written at; ok is false when it is absent.
type getter func(ctx context.Context, id string) (v any, rev int64, ok bool, err error)

// opener opens tables in turn until one fails; err is the first failure.
type opener struct {
	ctx context.Context
	st  *store.Store
	t   *tables
	err error
}

// openTable opens table name into *dst and registers it for tables.get;
// it does nothing once o has failed.
func openTable[T any](o *opener, name string, dst **store.Table[T]) {
	if o.err != nil {
		return
	}
	tbl, err := store.NewTable[T](o.ctx, o.st, name, store.TableConfig{})
	if err != nil {
		o.err = fmt.Errorf("iam: table %s: %w", name, err)
		return
	}
	*dst = tbl
	o.t.byName[name] = func(ctx context.Context, id string) (any, int64, bool, error) {
		r, err := tbl.Get(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, 0, false, nil
		case err != nil:
			return nil, 0, false, err
		}
		return r.Value, r.Revision, true, nil
	}
}

// get returns the cached record at key (table/id) as a *T of its table,
// with the revision it was written at; ok is false when it is absent.
func (t *tables) get(ctx context.Context, k string) (v any, rev int64, ok bool, err error) {
	table, id, _ := strings.Cut(k, "/")
	g, found := t.byName[table]
	if !found {
		return nil, 0, false, fmt.Errorf("iam: key %s is in no table", k)
	}
	return g(ctx, id)
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
