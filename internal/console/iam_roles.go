// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// roleRow is one row of the roles list.
type roleRow struct {
	Role    iamtypes.Role
	Trusted []string
}

// listAllRoles reads every role (up to maxListed).
func listAllRoles(ctx context.Context, c *iam.Client) ([]iamtypes.Role, error) {
	var out []iamtypes.Role
	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() && len(out) < maxListed {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, pg.Roles...)
	}
	return out, nil
}

// roles is the roles list with search and pagination.
func (c *Console) roles(w http.ResponseWriter, r *http.Request, rq *request) error {
	all, err := listAllRoles(r.Context(), rq.api.iam)
	if err != nil {
		return err
	}
	search := strings.TrimSpace(r.URL.Query().Get("search"))
	found := filter(all, search, func(r iamtypes.Role) string { return aws.ToString(r.RoleName) })
	page, pg := paginate(r, found, c.cfg.PageSize)
	rows := make([]roleRow, 0, len(page))
	for _, role := range page {
		rows = append(rows, roleRow{Role: role, Trusted: trustedEntities(unescapePolicy(aws.ToString(role.AssumeRolePolicyDocument)))})
	}
	v := c.newView(rq, "Roles")
	v.Nav = "iam-roles"
	v.Form = search
	v.Data = struct {
		Rows  []roleRow
		Pager pager
		All   int
	}{rows, pg, len(all)}
	c.render(w, r, http.StatusOK, "roles", v)
	return nil
}

// trustedEntities summarizes a trust policy's principals as the IAM
// console does: "AWS service: ec2", "Account: 123456789012"...
func trustedEntities(doc string) []string {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return nil
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(p.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(p.Statement, &one) != nil {
			return nil
		}
		stmts = append(stmts, one)
	}
	var out []string
	for _, s := range stmts {
		var pr map[string]json.RawMessage
		if json.Unmarshal(s["Principal"], &pr) != nil {
			var star string
			if json.Unmarshal(s["Principal"], &star) == nil && star == "*" {
				out = append(out, "Everyone (*)")
			}
			continue
		}
		for _, kind := range []string{"Service", "AWS", "Federated"} {
			for _, v := range stringOrList(pr[kind]) {
				switch kind {
				case "Service":
					out = append(out, "AWS service: "+strings.TrimSuffix(v, ".amazonaws.com"))
				case "AWS":
					out = append(out, "Account: "+strings.TrimSuffix(strings.TrimPrefix(v, "arn:aws:iam::"), ":root"))
				default:
					out = append(out, "Identity provider: "+v)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func stringOrList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var list []string
	_ = json.Unmarshal(raw, &list)
	return list
}

// section is part of a page whose API call may fail on its own (a user may
// read a role but not list its instance profiles): the error is shown in
// place.
type section[T any] struct {
	Items T
	Error *apiError
}

func sectionOf[T any](items T, err error) section[T] {
	if err != nil {
		return section[T]{Error: asAPIError(err)}
	}
	return section[T]{Items: items}
}

// inlinePolicy is an inline policy with its document.
type inlinePolicy struct {
	Name     string
	Document string
}

// roleData is the role detail page.
type roleData struct {
	Role     *iamtypes.Role
	Tab      string
	Trust    string
	Trusted  []string
	Attached section[[]iamtypes.AttachedPolicy]
	Inline   section[[]inlinePolicy]
	Profiles section[[]iamtypes.InstanceProfile]
}

// role is a role's detail page: summary, Permissions, Trust relationships,
// Tags and instance profiles.
func (c *Console) role(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	ctx := r.Context()
	out, err := rq.api.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return err
	}
	d := roleData{Role: out.Role, Tab: r.URL.Query().Get("tab")}
	if !slices.Contains([]string{"permissions", "trust", "tags", "profiles"}, d.Tab) {
		d.Tab = "permissions"
	}
	d.Trust = prettyJSON(unescapePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument)))
	d.Trusted = trustedEntities(d.Trust)
	switch d.Tab {
	case "permissions":
		d.Attached = sectionOf(listAttached(ctx, rq.api.iam, name))
		d.Inline = sectionOf(listInline(ctx, rq.api.iam, name))
	case "profiles":
		ps, err := rq.api.iam.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
		if err == nil {
			d.Profiles.Items = ps.InstanceProfiles
		}
		d.Profiles.Error = errOrNil(err)
	}
	v := c.newView(rq, aws.ToString(out.Role.RoleName))
	v.Nav = "iam-roles"
	v.Data = d
	c.render(w, r, http.StatusOK, "role", v)
	return nil
}

func errOrNil(err error) *apiError {
	if err == nil {
		return nil
	}
	return asAPIError(err)
}

func listAttached(ctx context.Context, c *iam.Client, role string) ([]iamtypes.AttachedPolicy, error) {
	var out []iamtypes.AttachedPolicy
	p := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, pg.AttachedPolicies...)
	}
	return out, nil
}

func listInline(ctx context.Context, c *iam.Client, role string) ([]inlinePolicy, error) {
	names, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		return nil, err
	}
	var out []inlinePolicy
	for _, n := range names.PolicyNames {
		p, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(n)})
		if err != nil {
			return nil, err
		}
		out = append(out, inlinePolicy{Name: n, Document: prettyJSON(unescapePolicy(aws.ToString(p.PolicyDocument)))})
	}
	return out, nil
}

func roleURL(name, tab string) string {
	u := Prefix + "iam/roles/" + url.PathEscape(name)
	if tab != "" {
		u += "?tab=" + tab
	}
	return u
}

// detach is DetachRolePolicy as the signed-in principal.
func (c *Console) detach(w http.ResponseWriter, r *http.Request, rq *request) error {
	name, arn := r.PathValue("name"), r.PostFormValue("arn")
	if _, err := rq.api.iam.DetachRolePolicy(r.Context(), &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
		return err
	}
	redirect(w, r, roleURL(name, "permissions"), "Policy "+lastSegment(arn)+" detached from "+name+".")
	return nil
}

// trustForm is the trust policy editor's state.
type trustForm struct {
	Role     string
	Document string
}

// trustPage is the "Edit trust relationship" editor.
func (c *Console) trustPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	out, err := rq.api.iam.GetRole(r.Context(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return err
	}
	v := c.newView(rq, "Edit trust relationship: "+name)
	v.Nav = "iam-roles"
	v.Form = trustForm{Role: aws.ToString(out.Role.RoleName), Document: prettyJSON(unescapePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument)))}
	c.render(w, r, http.StatusOK, "trust", v)
	return nil
}

// updateTrust is UpdateAssumeRolePolicy; IAM's validation (the
// MalformedPolicyDocument message) is shown above the editor, which keeps
// the text the user typed.
func (c *Console) updateTrust(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	doc := r.PostFormValue("document")
	_, err := rq.api.iam.UpdateAssumeRolePolicy(r.Context(), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		v := c.newView(rq, "Edit trust relationship: "+name)
		v.Nav = "iam-roles"
		v.Form = trustForm{Role: name, Document: doc}
		v.Error = asAPIError(err)
		c.render(w, r, statusOf(err), "trust", v)
		return nil
	}
	redirect(w, r, roleURL(name, "trust"), "The trust policy of "+name+" was updated.")
	return nil
}
