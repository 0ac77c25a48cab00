// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"strings"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/store"
)

// Attribute limits ("Amazon ECS container instance attributes": up to 10
// custom attributes per resource; names and values up to 128 characters).
const (
	targetInstance       = "container-instance"
	maxCustomAttributes  = 10
	maxAttributesPerCall = 10
	maxAttributeLen      = 128
)

// builtinAttribute reports whether an attribute is one of ECS's own
// (ecs.*, com.amazonaws.ecs.*), which does not count against the custom
// attribute limit.
func builtinAttribute(name string) bool {
	return strings.HasPrefix(name, "ecs.") || strings.HasPrefix(name, "com.amazonaws.ecs.")
}

// checkAttribute validates an attribute as PutAttributes does: a name of
// letters, digits, hyphens, underscores, slashes, backslashes and periods;
// a value that also allows at signs, colons and inner spaces. lenient
// (registration) only checks lengths, so that whatever the agent
// advertises registers.
func checkAttribute(name string, value *string, strict bool) error {
	if name == "" || len(name) > maxAttributeLen {
		return invalidParam("Attribute names must be between 1 and %d characters.", maxAttributeLen)
	}
	if value != nil && len(*value) > maxAttributeLen {
		return invalidParam("Attribute values must be at most %d characters.", maxAttributeLen)
	}
	if !strict {
		return nil
	}
	for _, c := range name {
		if !isAttrRune(c, false) {
			return invalidParam("Attribute name %q contains an invalid character.", name)
		}
	}
	if value != nil {
		v := *value
		if strings.TrimSpace(v) != v {
			return invalidParam("Attribute value %q must not start or end with whitespace.", v)
		}
		for _, c := range v {
			if !isAttrRune(c, true) {
				return invalidParam("Attribute value %q contains an invalid character.", v)
			}
		}
	}
	return nil
}

func isAttrRune(c rune, value bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '-' || c == '_' || c == '/' || c == '\\' || c == '.':
		return true
	case value && (c == '@' || c == ':' || c == ' '):
		return true
	}
	return false
}

// attrTarget resolves an attribute's target within a cluster.
func (s *Service) attrTarget(cluster string, a ecsapi.Attribute) (string, error) {
	if tt := deref(a.TargetType); tt != "" && tt != targetInstance {
		return "", invalidParam("Invalid targetType %q.", tt)
	}
	ref := deref(a.TargetId)
	if ref == "" {
		return "", invalidParam("Attribute %q must name a targetId.", deref(a.Name))
	}
	_, id, ok := s.instanceRef(cluster, ref)
	if !ok {
		return "", ecsapi.ErrTargetNotFound("Could not find target %s.", ref)
	}
	return id, nil
}

// PutAttributes implements ecsapi.API.
func (s *Service) PutAttributes(ctx context.Context, in *ecsapi.PutAttributesInput) (*ecsapi.PutAttributesOutput, error) {
	return s.changeAttributes(ctx, in.Cluster, in.Attributes, true)
}

// DeleteAttributes implements ecsapi.API.
func (s *Service) DeleteAttributes(ctx context.Context, in *ecsapi.DeleteAttributesInput) (*ecsapi.DeleteAttributesOutput, error) {
	out, err := s.changeAttributes(ctx, in.Cluster, in.Attributes, false)
	if err != nil {
		return nil, err
	}
	return &ecsapi.DeleteAttributesOutput{Attributes: out.Attributes}, nil
}

func (s *Service) changeAttributes(ctx context.Context, ref *string, attrs []ecsapi.Attribute, put bool) (*ecsapi.PutAttributesOutput, error) {
	if len(attrs) == 0 || len(attrs) > maxAttributesPerCall {
		return nil, invalidParam("attributes must have between 1 and %d items.", maxAttributesPerCall)
	}
	_, name, err := s.activeCluster(ref)
	if err != nil {
		return nil, err
	}
	byInstance := map[string][]ecsapi.Attribute{}
	var order []string
	for _, a := range attrs {
		if put {
			if err := checkAttribute(deref(a.Name), a.Value, true); err != nil {
				return nil, err
			}
		}
		id, err := s.attrTarget(name, a)
		if err != nil {
			return nil, err
		}
		if _, ok := byInstance[id]; !ok {
			order = append(order, id)
		}
		byInstance[id] = append(byInstance[id], a)
	}
	out := &ecsapi.PutAttributesOutput{Attributes: []ecsapi.Attribute{}}
	for _, id := range order {
		sid := storeID(name, id)
		_, err := s.t.instances.Update(ctx, sid, func(r *instanceRec) error {
			for _, a := range byInstance[id] {
				n := deref(a.Name)
				if !put {
					r.delAttr(n)
					continue
				}
				r.setAttr(n, a.Value)
			}
			custom := 0
			for _, a := range r.Attrs {
				if !builtinAttribute(a.Name) {
					custom++
				}
			}
			if put && custom > maxCustomAttributes {
				return ecsapi.ErrAttributeLimitExceeded("You can apply up to %d custom attributes per resource.", maxCustomAttributes)
			}
			r.Version++
			return nil
		})
		if err != nil {
			return nil, storeErr(err)
		}
		s.view.refresh(sid)
		for _, a := range byInstance[id] {
			a.TargetType = ptr(targetInstance)
			a.TargetId = ptr(s.instanceARN(name, id))
			out.Attributes = append(out.Attributes, a)
		}
	}
	return out, nil
}

// ListAttributes implements ecsapi.API: the attributes of the cluster's
// container instances, optionally only those with a name (and value). The
// page marker is "INSTANCE-ID/ATTRIBUTE-NAME".
func (s *Service) ListAttributes(ctx context.Context, in *ecsapi.ListAttributesInput) (*ecsapi.ListAttributesOutput, error) {
	if deref(in.TargetType) != targetInstance {
		return nil, invalidParam("Invalid targetType %q.", deref(in.TargetType))
	}
	after, limit, err := pageArgs(in.NextToken, in.MaxResults, maxListResults)
	if err != nil {
		return nil, err
	}
	name, value := deref(in.AttributeName), in.AttributeValue
	if value != nil && name == "" {
		return nil, invalidParam("attributeName must be specified with attributeValue.")
	}
	_, cluster, err := s.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	afterInst, afterAttr, _ := strings.Cut(after, "/")
	out := &ecsapi.ListAttributesOutput{Attributes: []ecsapi.Attribute{}}
	var lastInst, lastAttr string
	// emit adds r's matching attributes (after afterName); false when the
	// page is full and more remain.
	emit := func(r *instanceRec, afterName string) bool {
		if r.Status == statusInactive {
			return true
		}
		for _, a := range r.Attrs {
			if a.Name <= afterName && afterName != "" {
				continue
			}
			if name != "" && a.Name != name || value != nil && deref(a.Value) != *value {
				continue
			}
			if len(out.Attributes) == limit {
				out.NextToken = nextToken(lastInst + "/" + lastAttr)
				return false
			}
			out.Attributes = append(out.Attributes, ecsapi.Attribute{Name: ptr(a.Name), Value: a.Value,
				TargetType: ptr(targetInstance), TargetId: ptr(s.instanceARN(cluster, r.ID))})
			lastInst, lastAttr = r.ID, a.Name
		}
		return true
	}
	page := store.Page{Prefix: cluster + "/"}
	if afterInst != "" {
		if r, err := s.t.instances.Get(ctx, storeID(cluster, afterInst)); err == nil && !emit(r.Value, afterAttr) {
			return out, nil
		}
		page.After = storeID(cluster, afterInst)
	}
	for {
		page.Limit = 100
		recs, next, err := s.t.instances.List(ctx, page)
		if err != nil {
			return nil, storeErr(err)
		}
		for _, r := range recs {
			if !emit(r.Value, "") {
				return out, nil
			}
		}
		if next == "" {
			return out, nil
		}
		page.After = next
	}
}
