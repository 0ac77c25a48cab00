// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// users is the users list with search and pagination.
func (c *Console) users(w http.ResponseWriter, r *http.Request, rq *request) error {
	var all []iamtypes.User
	p := iam.NewListUsersPaginator(rq.api.iam, &iam.ListUsersInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() && len(all) < maxListed {
		pg, err := p.NextPage(r.Context())
		if err != nil {
			return err
		}
		all = append(all, pg.Users...)
	}
	search := strings.TrimSpace(r.URL.Query().Get("search"))
	page, pg := paginate(r, filter(all, search, func(u iamtypes.User) string { return aws.ToString(u.UserName) }), c.cfg.PageSize)
	v := c.newView(rq, "Users")
	v.Nav = "iam-users"
	v.Form = search
	v.Data = struct {
		Rows  []iamtypes.User
		Pager pager
	}{page, pg}
	c.render(w, r, http.StatusOK, "users", v)
	return nil
}

// accessKey is an access key with its last use.
type accessKey struct {
	Key      iamtypes.AccessKeyMetadata
	LastUsed *time.Time
	Service  string
}

// userData is the user detail page.
type userData struct {
	User     *iamtypes.User
	Login    section[*iamtypes.LoginProfile]
	HasLogin bool
	Keys     section[[]accessKey]
	Attached section[[]iamtypes.AttachedPolicy]
	Groups   section[[]iamtypes.Group]
	NewKey   *iamtypes.AccessKey
}

// user shows a user: console password, access keys, permissions, groups.
func (c *Console) user(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := c.userData(r.Context(), rq, r.PathValue("name"))
	if err != nil {
		return err
	}
	c.renderUser(w, r, rq, d, nil, http.StatusOK)
	return nil
}

func (c *Console) renderUser(w http.ResponseWriter, r *http.Request, rq *request, d *userData, e *apiError, status int) {
	v := c.newView(rq, aws.ToString(d.User.UserName))
	v.Nav = "iam-users"
	v.Data = d
	v.Error = e
	c.render(w, r, status, "user", v)
}

func (c *Console) userData(ctx context.Context, rq *request, name string) (*userData, error) {
	u, err := rq.api.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	d := &userData{User: u.User}
	lp, err := rq.api.iam.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(name)})
	switch {
	case err == nil:
		d.Login.Items, d.HasLogin = lp.LoginProfile, true
	case !isCode(err, "NoSuchEntity"):
		d.Login.Error = asAPIError(err)
	}
	d.Keys = sectionOf(userKeys(ctx, rq.api.iam, name))
	ap, err := rq.api.iam.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name)})
	if err == nil {
		d.Attached.Items = ap.AttachedPolicies
	}
	d.Attached.Error = errOrNil(err)
	gs, err := rq.api.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(name)})
	if err == nil {
		d.Groups.Items = gs.Groups
	}
	d.Groups.Error = errOrNil(err)
	return d, nil
}

func userKeys(ctx context.Context, c *iam.Client, name string) ([]accessKey, error) {
	ks, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	var out []accessKey
	for _, k := range ks.AccessKeyMetadata {
		ak := accessKey{Key: k}
		if lu, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId}); err == nil && lu.AccessKeyLastUsed != nil {
			ak.LastUsed, ak.Service = lu.AccessKeyLastUsed.LastUsedDate, aws.ToString(lu.AccessKeyLastUsed.ServiceName)
		}
		out = append(out, ak)
	}
	return out, nil
}

func userURL(name string) string { return Prefix + "iam/users/" + url.PathEscape(name) }

// setUserPassword creates or updates the user's login profile (its console
// password), checked by IAM against the account password policy.
func (c *Console) setUserPassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	pw := r.PostFormValue("password")
	reset := r.PostFormValue("reset") == "on"
	var err error
	if r.PostFormValue("exists") == "true" {
		_, err = rq.api.iam.UpdateLoginProfile(r.Context(), &iam.UpdateLoginProfileInput{UserName: aws.String(name), Password: aws.String(pw), PasswordResetRequired: aws.Bool(reset)})
	} else {
		_, err = rq.api.iam.CreateLoginProfile(r.Context(), &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String(pw), PasswordResetRequired: reset})
	}
	if err != nil {
		return c.userActionFailed(w, r, rq, name, err)
	}
	redirect(w, r, userURL(name), "The console password of "+name+" was set.")
	return nil
}

// userActionFailed shows the user page with the API's error on top.
func (c *Console) userActionFailed(w http.ResponseWriter, r *http.Request, rq *request, name string, err error) error {
	d, derr := c.userData(r.Context(), rq, name)
	if derr != nil {
		return err
	}
	c.renderUser(w, r, rq, d, asAPIError(err), statusOf(err))
	return nil
}

// createAccessKey creates a key and shows its secret once, on this page.
func (c *Console) createAccessKey(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	k, err := rq.api.iam.CreateAccessKey(r.Context(), &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return c.userActionFailed(w, r, rq, name, err)
	}
	d, err := c.userData(r.Context(), rq, name)
	if err != nil {
		return err
	}
	d.NewKey = k.AccessKey
	c.renderUser(w, r, rq, d, nil, http.StatusOK)
	return nil
}

// updateAccessKey activates, deactivates or deletes a key.
func (c *Console) updateAccessKey(w http.ResponseWriter, r *http.Request, rq *request) error {
	name, id := r.PathValue("name"), r.PathValue("id")
	var err error
	msg := "Access key " + id + " "
	switch op := r.PostFormValue("op"); op {
	case "delete":
		_, err = rq.api.iam.DeleteAccessKey(r.Context(), &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: aws.String(id)})
		msg += "deleted."
	default:
		status := iamtypes.StatusTypeInactive
		if op == "activate" {
			status = iamtypes.StatusTypeActive
		}
		_, err = rq.api.iam.UpdateAccessKey(r.Context(), &iam.UpdateAccessKeyInput{UserName: aws.String(name), AccessKeyId: aws.String(id), Status: status})
		msg += "is now " + strings.ToLower(string(status)) + "."
	}
	if err != nil {
		return c.userActionFailed(w, r, rq, name, err)
	}
	redirect(w, r, userURL(name), msg)
	return nil
}
