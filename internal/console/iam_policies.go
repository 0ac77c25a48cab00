// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// policyRow is a managed policy in a list.
type policyRow struct {
	Policy iamtypes.Policy
	AWS    bool // AWS managed, else customer managed
}

func isAWSManaged(arn string) bool { return strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") }

// listAllPolicies reads the managed-policy catalog: AWS managed and the
// account's own.
func listAllPolicies(ctx context.Context, c *iam.Client) ([]policyRow, error) {
	var out []policyRow
	p := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() && len(out) < maxListed {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, pol := range pg.Policies {
			out = append(out, policyRow{Policy: pol, AWS: isAWSManaged(aws.ToString(pol.Arn))})
		}
	}
	return out, nil
}

// policies is the managed policies list with search and pagination.
func (c *Console) policies(w http.ResponseWriter, r *http.Request, rq *request) error {
	all, err := listAllPolicies(r.Context(), rq.api.iam)
	if err != nil {
		return err
	}
	search := strings.TrimSpace(r.URL.Query().Get("search"))
	page, pg := paginate(r, filter(all, search, func(p policyRow) string { return aws.ToString(p.Policy.PolicyName) }), c.cfg.PageSize)
	v := c.newView(rq, "Policies")
	v.Nav = "iam-policies"
	v.Form = search
	v.Data = struct {
		Rows  []policyRow
		Pager pager
	}{page, pg}
	c.render(w, r, http.StatusOK, "policies", v)
	return nil
}

// policyVersion is one version of a policy, with its document.
type policyVersion struct {
	Version  iamtypes.PolicyVersion
	Document string
}

// policy shows a managed policy: summary, the default version's JSON and
// every version (?version= picks the one shown).
func (c *Console) policy(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	arn := r.URL.Query().Get("arn")
	p, err := rq.api.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return err
	}
	vs, err := rq.api.iam.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return err
	}
	want := r.URL.Query().Get("version")
	if want == "" {
		want = aws.ToString(p.Policy.DefaultVersionId)
	}
	shown, err := rq.api.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(want)})
	if err != nil {
		return err
	}
	v := c.newView(rq, aws.ToString(p.Policy.PolicyName))
	v.Nav = "iam-policies"
	v.Data = struct {
		Policy   *iamtypes.Policy
		AWS      bool
		Versions []iamtypes.PolicyVersion
		Shown    policyVersion
	}{p.Policy, isAWSManaged(arn), vs.Versions, policyVersion{*shown.PolicyVersion, prettyJSON(unescapePolicy(aws.ToString(shown.PolicyVersion.Document)))}}
	c.render(w, r, http.StatusOK, "policy", v)
	return nil
}

// attachData is the "Attach policies" page.
type attachData struct {
	Role     string
	Filter   string
	Rows     []policyRow
	Pager    pager
	Attached map[string]bool
}

// attachPage lists the managed-policy catalog with a filter box; the
// policies already attached are shown checked and disabled.
func (c *Console) attachPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := c.attachData(r, rq)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "attach", c.attachView(rq, d))
	return nil
}

func (c *Console) attachView(rq *request, d *attachData) *view {
	v := c.newView(rq, "Attach policies to "+d.Role)
	v.Nav = "iam-roles"
	v.Data = d
	return v
}

func (c *Console) attachData(r *http.Request, rq *request) (*attachData, error) {
	ctx := r.Context()
	name := r.PathValue("name")
	role, err := rq.api.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	all, err := listAllPolicies(ctx, rq.api.iam)
	if err != nil {
		return nil, err
	}
	attached, err := listAttached(ctx, rq.api.iam, name)
	if err != nil {
		return nil, err
	}
	d := &attachData{Role: aws.ToString(role.Role.RoleName), Filter: strings.TrimSpace(r.FormValue("filter")), Attached: map[string]bool{}}
	for _, a := range attached {
		d.Attached[aws.ToString(a.PolicyArn)] = true
	}
	// Long catalogs are paginated; the filter box narrows the whole
	// catalog (server-side, and instantly in the page with the script).
	d.Rows, d.Pager = paginate(r, filter(all, d.Filter, func(p policyRow) string { return aws.ToString(p.Policy.PolicyName) }), 100)
	return d, nil
}

// attach is AttachRolePolicy for each checked policy, as the signed-in
// principal. A refusal (AccessDenied, a quota) is shown on the attach page
// with IAM's message.
func (c *Console) attach(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	if err := r.ParseForm(); err != nil {
		return err
	}
	arns := r.PostForm["arn"]
	var done []string
	for _, arn := range arns {
		_, err := rq.api.iam.AttachRolePolicy(r.Context(), &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)})
		if err != nil {
			d, derr := c.attachData(r, rq)
			if derr != nil {
				return err
			}
			v := c.attachView(rq, d)
			v.Error = asAPIError(err)
			if len(done) > 0 {
				v.Flash = "Attached before the failure: " + strings.Join(done, ", ") + "."
			}
			c.render(w, r, statusOf(err), "attach", v)
			return nil
		}
		done = append(done, lastSegment(arn))
	}
	if len(done) == 0 {
		d, err := c.attachData(r, rq)
		if err != nil {
			return err
		}
		v := c.attachView(rq, d)
		v.Error = &apiError{Message: "Select at least one policy to attach."}
		c.render(w, r, http.StatusBadRequest, "attach", v)
		return nil
	}
	msg := "Policy " + done[0] + " attached to " + name + "."
	if len(done) > 1 {
		msg = "Policies " + strings.Join(done, ", ") + " attached to " + name + "."
	}
	redirect(w, r, roleURL(name, "permissions"), msg)
	return nil
}
