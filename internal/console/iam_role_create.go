// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// useCase is a trusted AWS service use case of the create-role wizard, as
// the IAM console offers them.
type useCase struct {
	ID, Service, Label, Description string
	// Principal is the service principal the trust policy allows.
	Principal string
	// Policies are the managed policies the use case preselects.
	Policies []string
}

// Managed policies the wizard's use cases preselect.
const (
	policyECSForEC2  = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
	policyECSService = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole"
)

var useCases = []useCase{
	{ID: "ec2", Service: "EC2", Label: "EC2", Description: "Allows EC2 instances to call AWS services on your behalf.", Principal: "ec2.amazonaws.com"},
	{ID: "ecs-ec2", Service: "Elastic Container Service", Label: "EC2 Role for Elastic Container Service",
		Description: "Allows EC2 instances in an ECS cluster to access ECS: the container instance role (ecsInstanceRole).",
		Principal:   "ec2.amazonaws.com", Policies: []string{policyECSForEC2}},
	{ID: "ecs-tasks", Service: "Elastic Container Service", Label: "Elastic Container Service Task",
		Description: "Allows ECS tasks to call AWS services on your behalf: task roles and task execution roles.",
		Principal:   "ecs-tasks.amazonaws.com"},
	{ID: "ecs", Service: "Elastic Container Service", Label: "Elastic Container Service",
		Description: "Allows ECS to create and manage AWS resources on your behalf.",
		Principal:   "ecs.amazonaws.com", Policies: []string{policyECSService}},
}

func findUseCase(id string) *useCase {
	i := slices.IndexFunc(useCases, func(u useCase) bool { return u.ID == id })
	if i < 0 {
		return nil
	}
	return &useCases[i]
}

// wizard is the create-role wizard's state, carried from step to step in
// the form itself.
type wizard struct {
	Step        string // trust, permissions, name, review
	Entity      string // service, account, custom
	UseCase     string
	Account     string
	Custom      string
	Policies    []string
	Name        string
	Description string
	Tags        string // one Key=Value per line
	Filter      string
}

// wizardSteps are the wizard's steps in order.
var wizardSteps = []string{"trust", "permissions", "name", "review"}

// wizardData is what a wizard page shows beside the form state.
type wizardData struct {
	UseCases []useCase
	Catalog  []policyRow
	Selected map[string]bool
	Trust    string
	Tags     []iamtypes.Tag
	Steps    []string
	Index    int
}

func (c *Console) createRolePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	wz := &wizard{Step: "trust", Entity: "service", UseCase: r.URL.Query().Get("usecase"), Account: c.cfg.AccountID}
	return c.renderWizard(w, r, rq, wz, nil, http.StatusOK)
}

// createRole moves the wizard a step (action next or back) or, on the
// review step, creates the role and attaches its policies.
func (c *Console) createRole(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	wz := &wizard{
		Step: f.Get("step"), Entity: f.Get("entity"), UseCase: f.Get("usecase"), Account: strings.TrimSpace(f.Get("account")),
		Custom: f.Get("custom"), Policies: f["policy"], Name: strings.TrimSpace(f.Get("name")),
		Description: f.Get("description"), Tags: f.Get("tags"), Filter: f.Get("filter"),
	}
	i := slices.Index(wizardSteps, wz.Step)
	if i < 0 {
		wz.Step, i = "trust", 0
	}
	switch f.Get("action") {
	case "back":
		wz.Step = wizardSteps[max(i-1, 0)]
		return c.renderWizard(w, r, rq, wz, nil, http.StatusOK)
	case "create":
		return c.finishWizard(w, r, rq, wz)
	}
	if msg := wz.check(); msg != "" {
		return c.renderWizard(w, r, rq, wz, &apiError{Code: "ValidationError", Message: msg}, http.StatusBadRequest)
	}
	if wz.Step == "trust" {
		if u := findUseCase(wz.UseCase); u != nil && wz.Entity == "service" {
			for _, p := range u.Policies {
				if !slices.Contains(wz.Policies, p) {
					wz.Policies = append(wz.Policies, p)
				}
			}
		}
	}
	wz.Step = wizardSteps[min(i+1, len(wizardSteps)-1)]
	return c.renderWizard(w, r, rq, wz, nil, http.StatusOK)
}

var reAccount = regexp.MustCompile(`^\d{12}$`)

// check validates the current step before moving on; IAM validates the
// rest when the role is created.
func (wz *wizard) check() string {
	switch wz.Step {
	case "trust":
		switch wz.Entity {
		case "service":
			if findUseCase(wz.UseCase) == nil {
				return "Choose a use case for the AWS service that will use this role."
			}
		case "account":
			if !reAccount.MatchString(wz.Account) {
				return "Enter a 12-digit AWS account ID."
			}
		case "custom":
			if strings.TrimSpace(wz.Custom) == "" {
				return "Enter a custom trust policy."
			}
		default:
			return "Choose a trusted entity type."
		}
	case "name":
		if wz.Name == "" {
			return "Enter a role name."
		}
		if _, msg := parseTags(wz.Tags); msg != "" {
			return msg
		}
	}
	return ""
}

// trust is the trust policy the wizard's choices make.
func (wz *wizard) trust() string {
	var principal map[string]string
	switch wz.Entity {
	case "custom":
		return wz.Custom
	case "account":
		principal = map[string]string{"AWS": "arn:aws:iam::" + wz.Account + ":root"}
	default:
		u := findUseCase(wz.UseCase)
		if u == nil {
			return ""
		}
		principal = map[string]string{"Service": u.Principal}
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole",
	}}}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}

// parseTags reads "Key=Value" lines.
func parseTags(s string) ([]iamtypes.Tag, string) {
	var out []iamtypes.Tag
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, "Write each tag as Key=Value on its own line."
		}
		out = append(out, iamtypes.Tag{Key: aws.String(strings.TrimSpace(k)), Value: aws.String(strings.TrimSpace(v))})
	}
	return out, ""
}

func (c *Console) renderWizard(w http.ResponseWriter, r *http.Request, rq *request, wz *wizard, e *apiError, status int) error {
	d := wizardData{UseCases: useCases, Selected: map[string]bool{}, Trust: prettyJSON(wz.trust()), Steps: wizardSteps, Index: slices.Index(wizardSteps, wz.Step)}
	for _, p := range wz.Policies {
		d.Selected[p] = true
	}
	d.Tags, _ = parseTags(wz.Tags)
	if wz.Step == "permissions" || wz.Step == "review" {
		all, err := listAllPolicies(r.Context(), rq.api.iam)
		if err != nil {
			return err
		}
		if wz.Step == "review" {
			all = slices.DeleteFunc(all, func(p policyRow) bool { return !d.Selected[aws.ToString(p.Policy.Arn)] })
		}
		d.Catalog = all
	}
	v := c.newView(rq, "Create role")
	v.Nav = "iam-roles"
	v.Form = wz
	v.Data = d
	v.Error = e
	c.render(w, r, status, "create_role", v)
	return nil
}

// finishWizard creates the role, then attaches the chosen policies, as the
// signed-in principal.
func (c *Console) finishWizard(w http.ResponseWriter, r *http.Request, rq *request, wz *wizard) error {
	tags, msg := parseTags(wz.Tags)
	if msg != "" {
		wz.Step = "name"
		return c.renderWizard(w, r, rq, wz, &apiError{Code: "ValidationError", Message: msg}, http.StatusBadRequest)
	}
	in := &iam.CreateRoleInput{RoleName: aws.String(wz.Name), AssumeRolePolicyDocument: aws.String(wz.trust()), Tags: tags}
	if d := strings.TrimSpace(wz.Description); d != "" {
		in.Description = aws.String(d)
	}
	wz.Step = "review"
	if _, err := rq.api.iam.CreateRole(r.Context(), in); err != nil {
		return c.renderWizard(w, r, rq, wz, asAPIError(err), statusOf(err))
	}
	for _, arn := range wz.Policies {
		if _, err := rq.api.iam.AttachRolePolicy(r.Context(), &iam.AttachRolePolicyInput{RoleName: aws.String(wz.Name), PolicyArn: aws.String(arn)}); err != nil {
			e := asAPIError(err)
			e.Message = "The role " + wz.Name + " was created, but attaching " + lastSegment(arn) + " failed: " + e.Message
			v := c.newView(rq, "Role created with errors")
			v.Error = e
			v.Form = roleURL(wz.Name, "permissions")
			c.render(w, r, statusOf(err), "error", v)
			return nil
		}
	}
	redirect(w, r, roleURL(wz.Name, "permissions"), "Role "+wz.Name+" created.")
	return nil
}
