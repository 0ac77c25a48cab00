// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"net/http"

	"github.com/berthdev/berth/internal/firstrun"
)

// home is the console's start page. When the first-run setup is not done
// (no instance role or no default cluster) it says so and links to it.
func (c *Console) home(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := firstrun.Inspect(r.Context(), firstrun.FromSDK(rq.api.iam, rq.api.ecs))
	v := c.newView(rq, "Console home")
	v.Data = struct {
		Report   firstrun.Report
		Checked  bool
		Complete bool
	}{rep, err == nil, rep.Complete()}
	c.render(w, r, http.StatusOK, "home", v)
	return nil
}

// firstRunData is the first-run page.
type firstRunData struct {
	Report firstrun.Report
	// Ran is true after the setup ran (else Report is Inspect's).
	Ran  bool
	Join string
}

// firstRunPage shows what the first-run setup would do, and how to join a
// host.
func (c *Console) firstRunPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := firstrun.Inspect(r.Context(), firstrun.FromSDK(rq.api.iam, rq.api.ecs))
	if err != nil && len(rep.Steps) == 0 {
		return err
	}
	c.renderFirstRun(w, r, rq, firstRunData{Report: rep}, http.StatusOK)
	return nil
}

// firstRun performs the setup as the signed-in principal: every step is an
// API call that IAM authorizes, so a user without the permissions sees
// which step was refused and why.
func (c *Console) firstRun(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := firstrun.Ensure(r.Context(), firstrun.FromSDK(rq.api.iam, rq.api.ecs))
	if err != nil && len(rep.Steps) == 0 {
		return err
	}
	status := http.StatusOK
	if err != nil {
		status = http.StatusForbidden
		for _, s := range rep.Steps {
			if s.Outcome == firstrun.Failed && s.Code != "AccessDenied" && s.Code != "AccessDeniedException" {
				status = http.StatusBadRequest
			}
		}
	}
	c.renderFirstRun(w, r, rq, firstRunData{Report: rep, Ran: true}, status)
	return nil
}

func (c *Console) renderFirstRun(w http.ResponseWriter, r *http.Request, rq *request, d firstRunData, status int) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	d.Join = firstrun.JoinHost(scheme+"://"+r.Host, firstrun.ClusterName)
	v := c.newView(rq, "Get started with ECS")
	v.Nav = "ecs-first-run"
	v.Data = d
	c.render(w, r, status, "firstrun", v)
}
