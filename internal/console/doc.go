// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package console is berth's web console: server-rendered HTML pages for
// IAM (roles, policies, users) and ECS (the first-run setup, clusters,
// instances, tasks, services, task definitions, task logs), served at
// /console/ on the control plane's port.
//
// The console holds no power of its own. Signing in (an IAM user's login
// profile password, or the account root's password) mints temporary
// credentials for that very principal through Identity; every page and
// every button is then an AWS API call signed with those credentials and
// sent through the gateway's own http.Handler in process, so
// authentication, authorization, validation and error messages are
// exactly those the AWS CLI gets:
//
//	browser ──cookie──▶ Console ──session──▶ aws-sdk-go-v2 client (SigV4, session token)
//	                                            │ in-process transport
//	                                            ▼
//	                                     gateway: authn → authz → service
//
// Credentials stay on the server, in a SessionStore keyed by a hash of
// the session cookie; the browser holds only the cookie (HttpOnly,
// SameSite=Lax, expiring) and a per-session CSRF token that every form
// posts back. Sign-out deletes the session everywhere the store reaches.
//
// Pages are html/template with auto-escaping and a strict
// Content-Security-Policy (no inline scripts or handlers); one small
// JavaScript file, embedded with the stylesheet, localizes <time>
// elements, filters tables and refreshes live views from the console's
// JSON endpoints (/console/api/...), which call the APIs as the signed-in
// principal too. Nothing is fetched from the internet and there is no
// build step.
package console
