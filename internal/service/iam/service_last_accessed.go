// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/berthdev/berth/internal/wildcard"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/iam/actionmap"
	"github.com/berthdev/berth/internal/iam/policy"
	"github.com/berthdev/berth/internal/store"
)

// jobRetention is how long a GenerateServiceLastAccessedDetails report can
// be fetched; the store forgets it afterwards (a lease).
const jobRetention = 30 * 24 * time.Hour

// accessJobRec is a completed service last accessed report, keyed by its
// job id.
type accessJobRec struct {
	ID          string             `json:"id"`
	ARN         string             `json:"arn"`
	Granularity string             `json:"granularity"`
	Created     time.Time          `json:"created"`
	Completed   time.Time          `json:"completed"`
	Services    []serviceAccessRec `json:"services"`
}

// serviceAccessRec is one service of a report.
type serviceAccessRec struct {
	Namespace string            `json:"ns"`
	Last      *lastUsedRec      `json:"last,omitempty"`
	Entity    string            `json:"entity,omitempty"` // who made Last
	Total     int32             `json:"total"`
	Actions   []actionAccessRec `json:"actions,omitempty"` // ACTION_LEVEL only
}

type actionAccessRec struct {
	Name   string       `json:"name"`
	Last   *lastUsedRec `json:"last,omitempty"`
	Entity string       `json:"entity,omitempty"`
}

// accessTarget is what a report covers: the policies whose grants list the
// services, and the users and roles whose attempts count.
type accessTarget struct {
	docs     []string
	entities []accessEntityRef
}

type accessEntityRef struct{ id, arn string }

// accessTargetOf resolves the ARN of a user, group, role or managed policy.
func (s *Service) accessTargetOf(ctx context.Context, entityARN string) (*accessTarget, error) {
	a, err := arn.Parse(entityARN)
	if err != nil || a.Service != "iam" {
		return nil, invalidInput("ARN %s is not valid.", entityARN)
	}
	kind, _, _ := strings.Cut(a.Resource, "/")
	t := &accessTarget{}
	switch kind {
	case "user":
		path, name, _ := s.splitEntityARN(entityARN, "user/")
		rec, err := s.t.users.Get(ctx, nameKey(name))
		if err != nil || rec.Value.Path != path || rec.Value.Name != name {
			return nil, noSuchEntity("The user with name %s cannot be found.", name)
		}
		set, err := s.userPolicies(ctx, rec.Value)
		if err != nil {
			return nil, err
		}
		t.docs = documents(set.Identity)
		t.entities = []accessEntityRef{{rec.Value.ID, s.userARN(rec.Value)}}
	case "role":
		r, err := s.roleByARN(ctx, entityARN)
		if err != nil {
			return nil, noSuchEntity("The role with name %s cannot be found.", a.Resource[strings.LastIndexByte(a.Resource, '/')+1:])
		}
		var docs []PolicyDocument
		s.addInline(&docs, s.roleARN(r), r.ID, r.Inline)
		s.addManaged(ctx, &docs, r.Attached)
		t.docs = documents(docs)
		t.entities = []accessEntityRef{{r.ID, s.roleARN(r)}}
	case "group":
		path, name, _ := s.splitEntityARN(entityARN, "group/")
		rec, err := s.t.groups.Get(ctx, nameKey(name))
		if err != nil || rec.Value.Path != path || rec.Value.Name != name {
			return nil, noSuchEntity("The group with name %s cannot be found.", name)
		}
		g := rec.Value
		var docs []PolicyDocument
		s.addInline(&docs, entityARN, g.ID, g.Inline)
		s.addManaged(ctx, &docs, g.Attached)
		t.docs = documents(docs)
		if t.entities, err = s.members(ctx, g.ID); err != nil {
			return nil, err
		}
	case "policy":
		d, ok := s.managedDoc(ctx, entityARN)
		if !ok {
			if _, valid := parsePolicyARN(entityARN); !valid {
				return nil, invalidInput("ARN %s is not valid.", entityARN)
			}
			return nil, noSuchEntity("Policy %s was not found.", entityARN)
		}
		t.docs = []string{d.Document}
		if t.entities, err = s.policyEntities(ctx, d.Source); err != nil {
			return nil, err
		}
	default:
		return nil, invalidInput("ARN %s is not valid.", entityARN)
	}
	return t, nil
}

func documents(docs []PolicyDocument) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Document
	}
	return out
}

// members returns the users of the group with id groupID.
func (s *Service) members(ctx context.Context, groupID string) ([]accessEntityRef, error) {
	users, err := byIndex(ctx, s.t.users, indexGroup, groupID)
	if err != nil {
		return nil, err
	}
	out := make([]accessEntityRef, 0, len(users))
	for _, u := range users {
		out = append(out, accessEntityRef{u.ID, s.userARN(u)})
	}
	return out, nil
}

// policyEntities returns the users and roles a managed policy is attached
// to, directly or (for users) through a group.
func (s *Service) policyEntities(ctx context.Context, policyARN string) ([]accessEntityRef, error) {
	var out []accessEntityRef
	seen := map[string]bool{}
	add := func(e accessEntityRef) {
		if !seen[e.id] {
			seen[e.id] = true
			out = append(out, e)
		}
	}
	users, err := byIndex(ctx, s.t.users, indexPolicy, policyARN)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if slices.Contains(u.Attached, policyARN) {
			add(accessEntityRef{u.ID, s.userARN(u)})
		}
	}
	roles, err := byIndex(ctx, s.t.roles, indexPolicy, policyARN)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if slices.Contains(r.Attached, policyARN) {
			add(accessEntityRef{r.ID, s.roleARN(r)})
		}
	}
	groups, err := byIndex(ctx, s.t.groups, indexPolicy, policyARN)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		ms, err := s.members(ctx, g.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			add(m)
		}
	}
	return out, nil
}

// report lists every service the target's policies grant with the latest
// attempt any of its entities made, per service and (ACTION_LEVEL) per
// granted action, in ServiceName order.
func (s *Service) report(ctx context.Context, t *accessTarget, actionLevel bool) ([]serviceAccessRec, error) {
	uses := make([]*accessRec, len(t.entities))
	for i, e := range t.entities {
		a, err := s.accessOf(ctx, e.id)
		if err != nil {
			return nil, err
		}
		uses[i] = a
	}
	var out []serviceAccessRec
	for ns, actions := range grants(t.docs) {
		svc := serviceAccessRec{Namespace: ns}
		for i, a := range uses {
			if lu, ok := a.Services[ns]; ok {
				svc.Total++
				if svc.Last == nil || lu.Date.After(svc.Last.Date) {
					svc.Last, svc.Entity = &lu, t.entities[i].arn
				}
			}
		}
		if actionLevel {
			svc.Actions = []actionAccessRec{}
			for _, name := range actions {
				act := actionAccessRec{Name: name}
				for i, a := range uses {
					if lu, ok := a.Actions[ns+":"+name]; ok && (act.Last == nil || lu.Date.After(act.Last.Date)) {
						act.Last, act.Entity = &lu, t.entities[i].arn
					}
				}
				svc.Actions = append(svc.Actions, act)
			}
		}
		out = append(out, svc)
	}
	slices.SortFunc(out, func(a, b serviceAccessRec) int {
		return strings.Compare(serviceNames[a.Namespace], serviceNames[b.Namespace])
	})
	return out, nil
}

// newJobID returns a random UUID (version 4), the shape of IAM's job ids.
func newJobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// GenerateServiceLastAccessedDetails implements iamapi.API. The report is
// built at once, so the job is COMPLETED when this returns; it stays
// available for jobRetention.
func (s *Service) GenerateServiceLastAccessedDetails(ctx context.Context, in *iamapi.GenerateServiceLastAccessedDetailsInput) (*iamapi.GenerateServiceLastAccessedDetailsOutput, error) {
	var v violations
	v.requiredARN("arn", in.Arn)
	v.enum("granularity", in.Granularity, iamapi.AccessAdvisorUsageGranularityTypeValues())
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := s.accessTargetOf(ctx, *in.Arn)
	if err != nil {
		return nil, err
	}
	job := &accessJobRec{ID: newJobID(), ARN: *in.Arn, Granularity: deref(in.Granularity), Created: s.cfg.Clock().UTC()}
	if job.Granularity == "" {
		job.Granularity = iamapi.AccessAdvisorUsageGranularityTypeServiceLevel
	}
	if job.Services, err = s.report(ctx, t, job.Granularity == iamapi.AccessAdvisorUsageGranularityTypeActionLevel); err != nil {
		return nil, err
	}
	job.Completed = s.cfg.Clock().UTC()
	lease, err := s.kv.Grant(ctx, jobRetention)
	if err != nil {
		return nil, fmt.Errorf("iam: report lease: %w", err)
	}
	rev, err := s.st.Txn().Add(s.t.jobs.CreateOp(job.ID, job).WithLease(lease)).Commit(ctx)
	if err != nil {
		return nil, fmt.Errorf("iam: store report: %w", err)
	}
	if err := s.waitFor(ctx, rev); err != nil {
		return nil, err
	}
	return &iamapi.GenerateServiceLastAccessedDetailsOutput{JobId: &job.ID}, nil
}

// GetServiceLastAccessedDetails implements iamapi.API.
func (s *Service) GetServiceLastAccessedDetails(ctx context.Context, in *iamapi.GetServiceLastAccessedDetailsInput) (*iamapi.GetServiceLastAccessedDetailsOutput, error) {
	var v violations
	v.required("jobId", in.JobId)
	v.str("jobId", in.JobId, 36, 36, nil, "")
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	rec, err := s.t.jobs.Get(ctx, *in.JobId)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noSuchEntity("Job with id %s does not exist.", *in.JobId)
	}
	if err != nil {
		return nil, err
	}
	job := rec.Value
	idx := make([]int, len(job.Services))
	for i := range idx {
		idx[i] = i
	}
	p, err := paginate(idx, func(i int) string { return fmt.Sprintf("%06d", i) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetServiceLastAccessedDetailsOutput{
		JobStatus:            ptr(iamapi.JobStatusTypeCompleted),
		JobType:              ptr(job.Granularity),
		JobCreationDate:      ptr(job.Created),
		JobCompletionDate:    ptr(job.Completed),
		ServicesLastAccessed: []iamapi.ServiceLastAccessed{},
		IsTruncated:          ptr(p.Truncated),
		Marker:               p.Marker,
	}
	for _, i := range p.Items {
		out.ServicesLastAccessed = append(out.ServicesLastAccessed, toServiceLastAccessed(job.Services[i]))
	}
	return out, nil
}

func toServiceLastAccessed(r serviceAccessRec) iamapi.ServiceLastAccessed {
	out := iamapi.ServiceLastAccessed{
		ServiceName:                ptr(serviceNames[r.Namespace]),
		ServiceNamespace:           ptr(r.Namespace),
		TotalAuthenticatedEntities: ptr(r.Total),
	}
	if r.Last != nil {
		out.LastAuthenticated, out.LastAuthenticatedEntity, out.LastAuthenticatedRegion = ptr(r.Last.Date), ptr(r.Entity), ptr(r.Last.Region)
	}
	if r.Actions != nil {
		out.TrackedActionsLastAccessed = []iamapi.TrackedActionLastAccessed{}
		for _, a := range r.Actions {
			t := iamapi.TrackedActionLastAccessed{ActionName: ptr(a.Name)}
			if a.Last != nil {
				t.LastAccessedTime, t.LastAccessedEntity, t.LastAccessedRegion = ptr(a.Last.Date), ptr(a.Entity), ptr(a.Last.Region)
			}
			out.TrackedActionsLastAccessed = append(out.TrackedActionsLastAccessed, t)
		}
	}
	return out
}

// serviceNames are the services berth serves, by namespace, with the names
// IAM gives them in ServicesLastAccessed.
var serviceNames = map[string]string{
	"ec2":  "Amazon EC2",
	"ecr":  "Amazon Elastic Container Registry",
	"ecs":  "Amazon Elastic Container Service",
	"iam":  "AWS Identity and Access Management",
	"logs": "Amazon CloudWatch Logs",
	"s3":   "Amazon Simple Storage Service",
	"sts":  "AWS Security Token Service",
}

// grants returns, for each service of serviceNames that some Allow
// statement of docs grants, the names of the actions it grants (in the
// Service Authorization Reference's spelling, sorted): the actions an
// Action pattern matches, or for NotAction every action no pattern
// matches. Documents that do not parse grant nothing.
func grants(docs []string) map[string][]string {
	granted := map[string]map[string]bool{}
	for _, doc := range docs {
		p, err := policy.Parse(doc, policy.KindIdentity)
		if err != nil {
			continue
		}
		for _, st := range p.Statements {
			if st.Effect != policy.Allow {
				continue
			}
			for ns := range serviceNames {
				grantStatement(granted, ns, st.Actions, st.NotAction)
			}
		}
	}
	out := make(map[string][]string, len(granted))
	for ns, acts := range granted {
		names := make([]string, 0, len(acts))
		for a := range acts {
			names = append(names, a)
		}
		slices.Sort(names)
		out[ns] = names
	}
	return out
}

// grantStatement adds the actions of service ns that a statement's Action
// (or NotAction) patterns grant.
func grantStatement(granted map[string]map[string]bool, ns string, patterns []string, not bool) {
	// Only the patterns whose service part can match ns matter.
	var acts []string
	for _, p := range patterns {
		svc, act, ok := strings.Cut(p, ":")
		if p == "*" {
			svc, act, ok = "*", "*", true
		}
		if ok && wildcard.Match(strings.ToLower(svc), ns) {
			acts = append(acts, strings.ToLower(act))
		}
	}
	if len(acts) == 0 && !not {
		return
	}
	for _, name := range actionmap.Actions(ns) {
		lower := strings.ToLower(name)
		matched := slices.ContainsFunc(acts, func(a string) bool { return wildcard.Match(a, lower) })
		if matched == not {
			continue
		}
		if granted[ns] == nil {
			granted[ns] = map[string]bool{}
		}
		granted[ns][name] = true
	}
}
