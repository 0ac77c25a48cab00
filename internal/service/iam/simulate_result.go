// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"github.com/berthdev/berth/internal/wildcard"

	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/iam/actionmap"
	"github.com/berthdev/berth/internal/iam/authz"
	"github.com/berthdev/berth/internal/iam/policy"
)

// The keys of EvalDecisionDetails in a cross-account simulation: each
// account's side of the decision.
const (
	detailIdentity = "IAM Policy"
	detailResource = "Resource Policy"
)

// simulate evaluates every action of sim on every resource and returns a
// page of results, one per action. With one resource (or none: "*") the
// result describes it; with several, the result is named after the
// action's resource type and ResourceSpecificResults hold each resource's
// decision, as IAM's simulator reports them.
func (s *Service) simulate(ctx context.Context, sim *simulation, marker *string, maxItems *int32) ([]iamapi.EvaluationResult, bool, *string, error) {
	if s.engine == nil {
		return nil, false, nil, iamapi.ErrPolicyEvaluation("The policy simulator is not available.")
	}
	idx := make([]int, len(sim.actions))
	for i := range idx {
		idx[i] = i
	}
	p, err := paginate(idx, func(i int) string { return fmt.Sprintf("%04d", i) }, marker, maxItems)
	if err != nil {
		return nil, false, nil, err
	}
	resources := sim.resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	out := []iamapi.EvaluationResult{}
	for _, i := range p.Items {
		action := sim.actions[i]
		rsrs := make([]iamapi.ResourceSpecificResult, 0, len(resources))
		for _, res := range resources {
			r, err := s.engine.Simulate(ctx, s.authzSimulation(sim, action, res))
			if err != nil {
				return nil, false, nil, iamapi.ErrPolicyEvaluation("%s", err.Error()).WithCause(err)
			}
			rsrs = append(rsrs, s.resourceResult(sim, res, r))
		}
		out = append(out, evaluationResult(action, resources, rsrs, sim.resources != nil))
	}
	return out, p.Truncated, p.Marker, nil
}

// authzSimulation is the engine's question for one action and resource.
func (s *Service) authzSimulation(sim *simulation, action, resource string) *authz.Simulation {
	as := &authz.Simulation{Caller: sim.caller, ResourceOwner: sim.owner, Action: action, Resource: resource, Context: sim.context}
	for _, p := range sim.identity {
		as.Identity = append(as.Identity, p.document(policy.KindIdentity))
	}
	if sim.boundary != nil {
		d := sim.boundary.document(policy.KindBoundary)
		as.Boundary = &d
	}
	if sim.resource != nil {
		d := sim.resource.document(policy.KindResource)
		as.ResourcePolicy = &d
	}
	return as
}

// resourceResult renders one resource's decision.
func (s *Service) resourceResult(sim *simulation, res string, r authz.SimulationResult) iamapi.ResourceSpecificResult {
	out := iamapi.ResourceSpecificResult{
		EvalResourceName:     ptr(res),
		EvalResourceDecision: ptr(r.Decision.String()),
		MatchedStatements:    []iamapi.Statement{},
		MissingContextValues: append([]string{}, r.MissingContextKeys...),
	}
	for _, m := range r.Matched {
		var p *simPolicy
		switch m.Type {
		case policy.TypeIdentity:
			if m.Policy < len(sim.identity) {
				p = &sim.identity[m.Policy]
			}
		case policy.TypeBoundary:
			p = sim.boundary
		case policy.TypeResource:
			p = sim.resource
		}
		if p == nil {
			continue
		}
		start, end := statementSpan(p.doc, m.Start, m.End)
		out.MatchedStatements = append(out.MatchedStatements, iamapi.Statement{
			SourcePolicyId: ptr(p.id), SourcePolicyType: ptr(p.typ), StartPosition: &start, EndPosition: &end,
		})
	}
	if r.AllowedByBoundary != nil {
		out.PermissionsBoundaryDecisionDetail = &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: ptr(*r.AllowedByBoundary)}
	}
	if res != "*" {
		out.EvalDecisionDetails = map[string]string{}
		if r.CrossAccount {
			out.EvalDecisionDetails[detailIdentity] = r.IdentityDecision.String()
			out.EvalDecisionDetails[detailResource] = r.ResourceDecision.String()
		}
	}
	return out
}

// evaluationResult summarizes an action's per-resource results. listed
// reports that the request named its resources (ResourceArns), which
// makes IAM return the per-resource results too.
func evaluationResult(action string, resources []string, rsrs []iamapi.ResourceSpecificResult, listed bool) iamapi.EvaluationResult {
	out := iamapi.EvaluationResult{EvalActionName: ptr(action), MatchedStatements: []iamapi.Statement{}, MissingContextValues: []string{}}
	if len(rsrs) == 1 {
		r := rsrs[0]
		out.EvalResourceName, out.EvalDecision = r.EvalResourceName, r.EvalResourceDecision
		out.MatchedStatements = r.MatchedStatements
		out.EvalDecisionDetails = r.EvalDecisionDetails
		out.PermissionsBoundaryDecisionDetail = r.PermissionsBoundaryDecisionDetail
		if resources[0] == "*" {
			out.MissingContextValues = r.MissingContextValues // IAM lists them here only for "*"
		}
		if listed {
			out.ResourceSpecificResults = rsrs
		}
		return out
	}
	decision := policy.Allowed.String()
	allowedByBoundary, haveBoundary := true, false
	for _, r := range rsrs {
		switch d := *r.EvalResourceDecision; {
		case d == policy.ExplicitDeny.String():
			decision = d
		case d == policy.ImplicitDeny.String() && decision == policy.Allowed.String():
			decision = d
		}
		if b := r.PermissionsBoundaryDecisionDetail; b != nil {
			haveBoundary = true
			allowedByBoundary = allowedByBoundary && *b.AllowedByPermissionsBoundary
		}
	}
	out.EvalResourceName, out.EvalDecision = ptr(resourcePattern(action, resources[0])), &decision
	out.EvalDecisionDetails = map[string]string{}
	if haveBoundary {
		out.PermissionsBoundaryDecisionDetail = &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: &allowedByBoundary}
	}
	out.ResourceSpecificResults = rsrs
	return out
}

// resourcePattern names the resources an action acts on as IAM's
// simulator does when several are simulated: the ARN template of the
// action's resource type that the first resource matches (else its
// required one), with the partition filled in and any region; "*" for an
// action without resource types.
func resourcePattern(action, first string) string {
	prefix, name, _ := strings.Cut(action, ":")
	prefix = strings.ToLower(prefix)
	a, ok := actionmap.Lookup(prefix, name)
	if !ok {
		return "*"
	}
	var chosen, required string
	for _, rt := range a.ResourceTypes {
		tmpl, ok := actionmap.ResourceARN(prefix, rt.Name)
		if !ok {
			continue
		}
		if rt.Required && required == "" {
			required = tmpl
		}
		if chosen == "" && wildcard.Match(templateGlob.ReplaceAllString(tmpl, "*"), first) {
			chosen = tmpl
		}
	}
	if chosen == "" {
		chosen = required
	}
	if chosen == "" {
		return "*"
	}
	return strings.NewReplacer("${Partition}", "aws", "${Region}", "*").Replace(chosen)
}

// templateGlob matches the placeholders of an ARN template.
var templateGlob = regexp.MustCompile(`\$\{[^}]*\}`)

// statementSpan converts the engine's statement position (its braces)
// into the span IAM's simulator reports: from just after the token that
// precedes the statement (the list's "[", or the previous statement's
// "}", skipping the comma between) to just after the closing "}".
func statementSpan(doc string, start, end policy.Position) (iamapi.Position, iamapi.Position) {
	endPos := iamapi.Position{Line: ptr(int32(end.Line)), Column: ptr(int32(end.Column + 1))}
	off := offsetOf(doc, start)
	if off < 0 {
		return iamapi.Position{Line: ptr(int32(start.Line)), Column: ptr(int32(start.Column))}, endPos
	}
	i := skipSpaceBack(doc, off-1)
	if i >= 0 && doc[i] == ',' {
		i = skipSpaceBack(doc, i-1)
	}
	line, col := positionOf(doc, i+1)
	return iamapi.Position{Line: ptr(int32(line)), Column: ptr(int32(col))}, endPos
}

func skipSpaceBack(doc string, i int) int {
	for i >= 0 && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i--
	}
	return i
}

// offsetOf returns the byte offset of a 1-based line and character
// column, or -1.
func offsetOf(doc string, p policy.Position) int {
	line, col := 1, 1
	for i, r := range doc {
		if line == p.Line && col == p.Column {
			return i
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return -1
}

// positionOf returns the 1-based line and character column of offset off.
func positionOf(doc string, off int) (line, col int) {
	line = 1 + strings.Count(doc[:off], "\n")
	lineStart := strings.LastIndexByte(doc[:off], '\n') + 1
	return line, 1 + utf8.RuneCountInString(doc[lineStart:off])
}
