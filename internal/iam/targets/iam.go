// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package targets

import (
	"context"
	"strings"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/gateway"
	"github.com/berthdev/berth/internal/iam/actionmap"
	"github.com/berthdev/berth/internal/principal"
)

// EntityPaths finds the path of an IAM entity, since IAM resource ARNs
// carry it (arn:aws:iam::ACCOUNT:role/PATH/NAME). kind is "role", "user",
// "group" or "instance-profile"; ok is false when the entity does not
// exist, and the ARN is then formed with path "/" as AWS does.
type EntityPaths interface {
	EntityPath(ctx context.Context, kind, name string) (path string, ok bool)
}

// ResourceTags finds the tags of an IAM resource by ARN (a role, user,
// instance profile or customer managed policy), for aws:ResourceTag/*; ok
// is false when the resource does not exist.
type ResourceTags interface {
	ResourceTags(ctx context.Context, resourceARN string) (tags map[string]string, ok bool)
}

// IAM describes IAM's operations.
type IAM struct {
	Account string
	Paths   EntityPaths
	// Tags finds resource tags; when nil, Paths is used if it implements
	// ResourceTags.
	Tags ResourceTags
}

var _ gateway.Describer = IAM{}

// iamEntityField names, for each IAM resource type, the input field that
// names the resource.
var iamEntityField = map[string]string{
	"role":             "RoleName",
	"user":             "UserName",
	"group":            "GroupName",
	"instance-profile": "InstanceProfileName",
}

// iamARNFields names, for operations that name their entity by ARN, the
// input field that holds it: the entity is the resource they act on.
var iamARNFields = map[string]string{
	"SimulatePrincipalPolicy":            "PolicySourceArn",
	"GetContextKeysForPrincipalPolicy":   "PolicySourceArn",
	"GenerateServiceLastAccessedDetails": "Arn",
}

// iamTagKinds are the IAM resource types whose tags are aws:ResourceTag/*
// (Service Authorization Reference); roles and users also give
// iam:ResourceTag/*.
var iamTagKinds = map[string]bool{"role": true, "user": true, "instance-profile": true, "policy": true}

// iamTagOnCreate names, for the create operations that take Tags, the
// tagging action AWS also authorizes when the request carries tags (tag-on-
// create: creating a tagged role needs iam:CreateRole and iam:TagRole).
var iamTagOnCreate = map[string]string{
	"CreateRole":                  "iam:TagRole",
	"CreateUser":                  "iam:TagUser",
	"CreatePolicy":                "iam:TagPolicy",
	"CreateInstanceProfile":       "iam:TagInstanceProfile",
	"CreateOpenIDConnectProvider": "iam:TagOpenIDConnectProvider",
	"CreateSAMLProvider":          "iam:TagSAMLProvider",
	"CreateVirtualMFADevice":      "iam:TagMFADevice",
	"UploadServerCertificate":     "iam:TagServerCertificate",
}

// iamListKinds gives the resource AWS names when it denies a List call that
// has no resource type: the entity kind's ARN with the path prefix.
var iamListKinds = map[string]string{
	"ListRoles":            "role",
	"ListUsers":            "user",
	"ListGroups":           "group",
	"ListPolicies":         "policy",
	"ListInstanceProfiles": "instance-profile",
}

// AuthzTarget implements gateway.Describer. A create call that carries tags
// also needs the tagging action of the new entity (iamTagOnCreate).
func (d IAM) AuthzTarget(ctx context.Context, op string, in any) (gateway.Target, error) {
	action, ok := actionmap.ForOperation("iam", op)
	if !ok {
		return gateway.Target{}, nil
	}
	t := gateway.Target{Action: action}
	a, _ := actionmap.Lookup("iam", op)
	if kind, ok := iamListKinds[op]; ok {
		t.Resources = []string{arn.IAM(d.Account, kind+"/"+strings.TrimPrefix(str(in, "PathPrefix"), "/"))}
	} else if f, ok := iamARNFields[op]; ok {
		if res := str(in, f); res != "" {
			t.Resources = []string{res}
		}
	} else if a != nil {
		for _, rt := range a.ResourceTypes {
			if res := d.resource(ctx, rt.Name, op, in); res != "" {
				t.Resources = append(t.Resources, res)
				if rt.Required {
					break // one named resource per operation, as IAM's actions act on one entity
				}
			}
		}
	}
	t.Context = d.context(op, in)
	if len(t.Resources) == 1 {
		t.Context = d.resourceTags(ctx, t.Context, t.Resources[0])
	}
	if tagAction, ok := iamTagOnCreate[op]; ok {
		if pairs := tags(in, "Tags"); len(pairs) > 0 {
			t.Extra = []gateway.Check{{Action: tagAction, Resources: t.Resources, Context: tagContext(nil, pairs, nil)}}
		}
	}
	return t, nil
}

// resourceTags adds aws:ResourceTag/KEY (and for roles and users
// iam:ResourceTag/KEY) for the tags the resource carries.
func (d IAM) resourceTags(ctx context.Context, c map[string][]string, res string) map[string][]string {
	lookup := d.Tags
	if lookup == nil {
		lookup, _ = d.Paths.(ResourceTags)
	}
	_, rest, isIAM := strings.Cut(res, ":iam::")
	_, resource, _ := strings.Cut(rest, ":")
	kind, _, _ := strings.Cut(resource, "/")
	if lookup == nil || !isIAM || !iamTagKinds[kind] {
		return c
	}
	tags, ok := lookup.ResourceTags(ctx, res)
	if !ok || len(tags) == 0 {
		return c
	}
	if c == nil {
		c = make(map[string][]string, len(tags))
	}
	for k, v := range tags {
		c["aws:ResourceTag/"+k] = []string{v}
		if kind == "role" || kind == "user" {
			c["iam:ResourceTag/"+k] = []string{v}
		}
	}
	return c
}

// resource forms the ARN of a resource of type rt that op's input names.
func (d IAM) resource(ctx context.Context, rt, op string, in any) string {
	switch rt {
	case "policy":
		if p := str(in, "PolicyArn"); p != "" {
			return p
		}
		if name := str(in, "PolicyName"); name != "" && op == "CreatePolicy" {
			return arn.IAM(d.Account, "policy"+normPath(str(in, "Path"))+name)
		}
		return ""
	case "role", "user", "group", "instance-profile":
		name := str(in, iamEntityField[rt])
		if name == "" && rt == "user" {
			// Operations on "the calling user" (ListAccessKeys,
			// CreateAccessKey, ChangePassword...) act on the caller.
			if p := principal.FromContext(ctx); p != nil && (p.Kind == principal.User || p.Kind == principal.Root) {
				return p.ARN
			}
			return ""
		}
		if name == "" {
			return ""
		}
		path := normPath(str(in, "Path"))
		if d.Paths != nil {
			if p, ok := d.Paths.EntityPath(ctx, rt, name); ok {
				path = p
			}
		}
		return arn.IAM(d.Account, rt+path+name)
	}
	return ""
}

// context returns the IAM condition keys of the request.
func (d IAM) context(op string, in any) map[string][]string {
	var ctx map[string][]string
	set := func(k, v string) {
		if v == "" {
			return
		}
		if ctx == nil {
			ctx = map[string][]string{}
		}
		ctx[k] = []string{v}
	}
	if strings.HasPrefix(op, "Attach") || strings.HasPrefix(op, "Detach") ||
		op == "PutRolePermissionsBoundary" || op == "PutUserPermissionsBoundary" {
		set("iam:PolicyARN", str(in, "PolicyArn"))
	}
	set("iam:PermissionsBoundary", str(in, "PermissionsBoundary"))
	return tagContext(ctx, tags(in, "Tags"), strs(in, "TagKeys"))
}

// normPath returns an IAM path ("/" or "/a/b/"), defaulting to "/".
func normPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
