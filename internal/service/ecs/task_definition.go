// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

const maxDeleteTaskDefs = 10

// parseFamilyRev splits "family:revision" (revision 0 when absent).
func parseFamilyRev(s string) (family string, rev int, ok bool) {
	family, r, has := strings.Cut(s, ":")
	if !validName(family) {
		return "", 0, false
	}
	if !has {
		return family, 0, true
	}
	n, err := strconv.Atoi(r)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return family, n, true
}

// taskDefRef parses a task definition reference: a family, family:revision
// or a task definition ARN. rev is 0 for the latest ACTIVE revision.
func (s *Service) taskDefRef(ref string) (family string, rev int, ok bool) {
	if strings.HasPrefix(ref, "arn:") {
		kind, rest, ok := s.parseECSARN(ref)
		if !ok || kind != "task-definition" {
			return "", 0, false
		}
		ref = rest
	}
	return parseFamilyRev(ref)
}

// lookupTaskDef returns the task definition a reference names: the given
// revision in any status, or the family's latest ACTIVE revision.
func (s *Service) lookupTaskDef(ref string) (store.Record[taskDefRec], bool) {
	family, rev, ok := s.taskDefRef(ref)
	if !ok {
		return store.Record[taskDefRec]{}, false
	}
	ctx := context.Background()
	if rev == 0 {
		f, err := s.t.families.Get(ctx, family)
		if err != nil || f.Value.LatestActive == 0 {
			return store.Record[taskDefRec]{}, false
		}
		rev = f.Value.LatestActive
	}
	r, err := s.t.taskDefs.Get(ctx, tdID(family, rev))
	return r, err == nil
}

// RegisterTaskDefinition implements ecsapi.API.
func (s *Service) RegisterTaskDefinition(ctx context.Context, in *ecsapi.RegisterTaskDefinitionInput) (*ecsapi.RegisterTaskDefinitionOutput, error) {
	td, err := validateTaskDef(in)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	if b, err := json.Marshal(in); err == nil && len(b) > maxTaskDefSize {
		return nil, clientErr("Task definition size exceeds the maximum of %d bytes.", maxTaskDefSize)
	}
	family := deref(in.Family)
	if p := principal.FromContext(ctx); p != nil && p.ARN != "" {
		td.RegisteredBy = ptr(p.ARN)
	}
	for range maxCASRetries {
		f, err := s.t.families.Get(ctx, family)
		var fam familyRec
		var frev int64
		switch {
		case err == nil:
			fam, frev = *f.Value, f.Revision
		case isNotFound(err):
			fam = familyRec{Name: family}
		default:
			return nil, storeErr(err)
		}
		rev := fam.Latest + 1
		def := *td
		def.TaskDefinitionArn = ptr(s.taskDefARN(family, rev))
		def.Revision = ptr(int32(rev))
		def.Status = ptr(statusActive)
		def.RegisteredAt = ptr(s.now())
		rec := &taskDefRec{Family: family, Revision: rev, Status: statusActive, Tags: tags, Def: &def}
		fam.Latest, fam.LatestActive, fam.Active = rev, rev, fam.Active+1
		tx := s.st.Txn().Add(s.t.taskDefs.CreateOp(tdID(family, rev), rec))
		if frev == 0 {
			tx.Add(s.t.families.CreateOp(family, &fam))
		} else {
			tx.Add(s.t.families.PutOp(family, &fam, frev))
		}
		_, err = tx.Commit(ctx)
		if err == nil {
			return &ecsapi.RegisterTaskDefinitionOutput{TaskDefinition: &def, Tags: apiTags(tags)}, nil
		}
		if !isConflict(err) {
			return nil, storeErr(err)
		}
		if _, err := s.st.Sync(ctx); err != nil {
			return nil, storeErr(err)
		}
	}
	return nil, storeErr(errf("register task definition %s: too many conflicts", family))
}

// DescribeTaskDefinition implements ecsapi.API.
func (s *Service) DescribeTaskDefinition(_ context.Context, in *ecsapi.DescribeTaskDefinitionInput) (*ecsapi.DescribeTaskDefinitionOutput, error) {
	r, ok := s.lookupTaskDef(deref(in.TaskDefinition))
	if !ok {
		return nil, clientErr(msgTaskDefNotFound)
	}
	out := &ecsapi.DescribeTaskDefinitionOutput{TaskDefinition: r.Value.apiDef()}
	if slices.Contains(in.Include, includeTags) {
		out.Tags = apiTags(r.Value.Tags)
		if out.Tags == nil {
			out.Tags = []ecsapi.Tag{}
		}
	}
	return out, nil
}

// apiDef returns a copy of the definition with its current status: the
// stored Def is shared and its status is set at registration.
func (r *taskDefRec) apiDef() *ecsapi.TaskDefinition {
	d := *r.Def
	d.Status = ptr(r.Status)
	return &d
}

// ListTaskDefinitions implements ecsapi.API. familyPrefix is a whole
// family name, as in ECS; status defaults to ACTIVE; sort ASC lists by
// family, then revision.
func (s *Service) ListTaskDefinitions(ctx context.Context, in *ecsapi.ListTaskDefinitionsInput) (*ecsapi.ListTaskDefinitionsOutput, error) {
	after, limit, err := pageArgs(in.NextToken, in.MaxResults, maxListResults)
	if err != nil {
		return nil, err
	}
	status := deref(in.Status)
	if status == "" {
		status = statusActive
	}
	if !slices.Contains(ecsapi.TaskDefinitionStatusValues(), status) {
		return nil, invalidParam("Invalid status %q.", status)
	}
	prefix := ""
	if f := deref(in.FamilyPrefix); f != "" {
		prefix = f + " "
	}
	recs, _, err := s.t.taskDefs.ListByIndex(ctx, ixTDStatus, status, store.Page{Prefix: prefix})
	if err != nil {
		return nil, storeErr(err)
	}
	if deref(in.Sort) == "DESC" {
		slices.Reverse(recs)
	} else if s := deref(in.Sort); s != "" && s != "ASC" {
		return nil, invalidParam("Invalid sort %q.", s)
	}
	start := 0
	if after != "" {
		start = slices.IndexFunc(recs, func(r store.Record[taskDefRec]) bool { return r.ID == after }) + 1
		if start == 0 { // the marker's revision changed status: find its place
			desc := deref(in.Sort) == "DESC"
			start = len(recs)
			for i, r := range recs {
				if (!desc && r.ID > after) || (desc && r.ID < after) {
					start = i
					break
				}
			}
		}
	}
	out := &ecsapi.ListTaskDefinitionsOutput{TaskDefinitionArns: []string{}}
	for i := start; i < len(recs) && len(out.TaskDefinitionArns) < limit; i++ {
		out.TaskDefinitionArns = append(out.TaskDefinitionArns, s.taskDefARN(recs[i].Value.Family, recs[i].Value.Revision))
		if len(out.TaskDefinitionArns) == limit && i < len(recs)-1 {
			out.NextToken = nextToken(recs[i].ID)
		}
	}
	return out, nil
}

// ListTaskDefinitionFamilies implements ecsapi.API. status ACTIVE lists
// families with an ACTIVE revision, INACTIVE those without; by default
// (or ALL) both.
func (s *Service) ListTaskDefinitionFamilies(ctx context.Context, in *ecsapi.ListTaskDefinitionFamiliesInput) (*ecsapi.ListTaskDefinitionFamiliesOutput, error) {
	after, limit, err := pageArgs(in.NextToken, in.MaxResults, maxListResults)
	if err != nil {
		return nil, err
	}
	prefix := deref(in.FamilyPrefix)
	list := func(p store.Page) ([]store.Record[familyRec], string, error) { return s.t.families.List(ctx, p) }
	switch st := deref(in.Status); st {
	case "", "ALL":
	case statusActive, statusInactive:
		val := strconv.FormatBool(st == statusActive)
		list = func(p store.Page) ([]store.Record[familyRec], string, error) {
			return s.t.families.ListByIndex(ctx, ixFamilyActive, val, p)
		}
	default:
		return nil, invalidParam("Invalid status %q.", st)
	}
	recs, next, err := filterPage(list, prefix, after, limit, nil)
	if err != nil {
		return nil, storeErr(err)
	}
	out := &ecsapi.ListTaskDefinitionFamiliesOutput{Families: make([]string, 0, len(recs)), NextToken: nextToken(next)}
	for _, r := range recs {
		out.Families = append(out.Families, r.ID)
	}
	return out, nil
}

// DeregisterTaskDefinition implements ecsapi.API: the revision becomes
// INACTIVE; running tasks and services that use it are unaffected.
func (s *Service) DeregisterTaskDefinition(ctx context.Context, in *ecsapi.DeregisterTaskDefinitionInput) (*ecsapi.DeregisterTaskDefinitionOutput, error) {
	family, rev, ok := s.taskDefRef(deref(in.TaskDefinition))
	if !ok || rev == 0 {
		return nil, clientErr("The specified task definition does not exist or does not name a revision.")
	}
	r, err := s.setTaskDefStatus(ctx, family, rev, statusInactive)
	if err != nil {
		return nil, err
	}
	return &ecsapi.DeregisterTaskDefinitionOutput{TaskDefinition: r.apiDef()}, nil
}

// DeleteTaskDefinitions implements ecsapi.API: INACTIVE revisions become
// DELETE_IN_PROGRESS; the collector deletes each once no task or service
// uses it.
func (s *Service) DeleteTaskDefinitions(ctx context.Context, in *ecsapi.DeleteTaskDefinitionsInput) (*ecsapi.DeleteTaskDefinitionsOutput, error) {
	if len(in.TaskDefinitions) == 0 || len(in.TaskDefinitions) > maxDeleteTaskDefs {
		return nil, invalidParam("taskDefinitions must have between 1 and %d items.", maxDeleteTaskDefs)
	}
	out := &ecsapi.DeleteTaskDefinitionsOutput{TaskDefinitions: []ecsapi.TaskDefinition{}, Failures: []ecsapi.Failure{}}
	for _, ref := range in.TaskDefinitions {
		family, rev, ok := s.taskDefRef(ref)
		if !ok || rev == 0 {
			out.Failures = append(out.Failures, ecsapi.Failure{Arn: ptr(ref), Reason: ptr("The specified task definition identifier is invalid. Specify a valid name or ARN and try again.")})
			continue
		}
		cur, err := s.t.taskDefs.Get(ctx, tdID(family, rev))
		if err != nil {
			out.Failures = append(out.Failures, ecsapi.Failure{Arn: ptr(s.taskDefARN(family, rev)), Reason: ptr("The specified task definition does not exist. Specify a valid account, family, revision and try again.")})
			continue
		}
		if cur.Value.Status == statusActive {
			out.Failures = append(out.Failures, ecsapi.Failure{Arn: ptr(s.taskDefARN(family, rev)), Reason: ptr("The specified task definition is still in ACTIVE status. Please deregister the target and try again.")})
			continue
		}
		r, err := s.setTaskDefStatus(ctx, family, rev, tdDeleteInProgress)
		if err != nil {
			return nil, err
		}
		out.TaskDefinitions = append(out.TaskDefinitions, *r.apiDef())
	}
	return out, nil
}

// setTaskDefStatus moves a revision to status, keeping the family's
// counts, with compare-and-swap on both records.
func (s *Service) setTaskDefStatus(ctx context.Context, family string, rev int, status string) (*taskDefRec, error) {
	id := tdID(family, rev)
	for range maxCASRetries {
		cur, err := s.t.taskDefs.Get(ctx, id)
		if err != nil {
			return nil, clientErr(msgTaskDefNotFound)
		}
		if cur.Value.Status == status || cur.Value.Status == tdDeleteInProgress {
			return cur.Value, nil
		}
		f, err := s.t.families.Get(ctx, family)
		if err != nil {
			return nil, storeErr(err)
		}
		next := *cur.Value
		next.Status = status
		fam := *f.Value
		if cur.Value.Status == statusActive {
			fam.Active--
			if fam.LatestActive == rev {
				fam.LatestActive = s.latestActiveBelow(ctx, family, rev)
			}
		}
		_, err = s.st.Txn().
			Add(s.t.taskDefs.PutOp(id, &next, cur.Revision)).
			Add(s.t.families.PutOp(family, &fam, f.Revision)).
			Commit(ctx)
		if err == nil {
			return &next, nil
		}
		if !isConflict(err) {
			return nil, storeErr(err)
		}
		if _, err := s.st.Sync(ctx); err != nil {
			return nil, storeErr(err)
		}
	}
	return nil, storeErr(errf("task definition %s:%d: too many conflicts", family, rev))
}

// latestActiveBelow returns the family's highest ACTIVE revision below
// rev, 0 if none.
func (s *Service) latestActiveBelow(ctx context.Context, family string, rev int) int {
	recs, _, err := s.t.taskDefs.ListByIndex(ctx, ixTDStatus, statusActive, store.Page{Prefix: family + " "})
	if err != nil {
		return 0
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Value.Revision < rev {
			return recs[i].Value.Revision
		}
	}
	return 0
}
