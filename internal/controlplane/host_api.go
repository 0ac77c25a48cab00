// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/logkey"
	ec2svc "github.com/berthdev/berth/internal/service/ec2"
	stssvc "github.com/berthdev/berth/internal/service/sts"
)

// HostCredentialsDuration is the lifetime of the instance role credentials
// the host API vends; a changed or removed profile, or a trust policy that
// no longer allows ec2.amazonaws.com, takes effect at the next refresh.
const HostCredentialsDuration = time.Hour

// The host API: how a host joins and then gets its identity and its
// instance profile's credentials. It lives in the gateway's unauthenticated
// /_berth/ space and authenticates hosts itself. Every answer is JSON;
// errors are {"code": "...", "message": "..."}.
//
//	POST /_berth/host/join
//	  {"token": "i-….SECRET", "hostname": "h", "privateIp": "10.0.0.5", "architecture": "amd64"}
//	  200 {"instanceId", "hostSecret", "region", "accountId", "availabilityZone"}
//	  401 InvalidJoinToken (unknown, used, expired)      400 BadRequest (no token, bad privateIp)
//
//	GET /_berth/host/credentials     Authorization: Bearer <instanceId>.<hostSecret>
//	  200 {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId", "SecretAccessKey", "Token",
//	       "Expiration", "LastUpdated", "InstanceId", "InstanceProfileArn",
//	       "InstanceProfileId", "RoleArn", "RoleName"}
//	  401 Unauthorized   404 NoInstanceProfile | InstanceProfileNotFound | NoRoleInInstanceProfile | RoleNotFound
//	  403 TrustPolicyDenied (the role's trust policy does not allow ec2.amazonaws.com)
//
//	GET /_berth/host/identity        Authorization: Bearer <instanceId>.<hostSecret>
//	  200 {"document": "<the JSON document, verbatim>", "signature": "<base64>"}
//
//	GET /_berth/host/identity-key    (public, like AWS's published certificates)
//	  200 {"algorithm": "ECDSA-P256-SHA256", "publicKey": "<PEM>"}
//
// The first 200 fields are what a metadata service needs for
// iam/security-credentials/ROLE (Code…Expiration) and iam/info
// (InstanceProfileArn, InstanceProfileId).
type hostAPI struct {
	ec2      *ec2svc.Service
	profiles ec2svc.Profiles
	roles    roleAssumer
	log      *slog.Logger
	clock    func() time.Time
}

// roleAssumer mints a role's credentials as a service principal (STS).
type roleAssumer interface {
	AssumeRoleAsService(ctx context.Context, servicePrincipal, roleARN, sessionName string, d time.Duration) (*stssvc.Credentials, error)
}

const hostPrefix = "/_berth/host/"

// wrap serves the host API's paths and hands every other request to next.
func (h *hostAPI) wrap(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+hostPrefix+"join", h.join)
	mux.HandleFunc("GET "+hostPrefix+"credentials", h.credentials)
	mux.HandleFunc("GET "+hostPrefix+"identity", h.identity)
	mux.HandleFunc("GET "+hostPrefix+"identity-key", h.identityKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, hostPrefix) {
			mux.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type joinRequest struct {
	Token        string `json:"token"`
	Hostname     string `json:"hostname"`
	PrivateIP    string `json:"privateIp"`
	Architecture string `json:"architecture"`
}

type joinResponse struct {
	InstanceID       string `json:"instanceId"`
	HostSecret       string `json:"hostSecret"`
	Region           string `json:"region"`
	AccountID        string `json:"accountId"`
	AvailabilityZone string `json:"availabilityZone"`
}

func (h *hostAPI) join(w http.ResponseWriter, r *http.Request) {
	var req joinRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.Token == "" {
		hostError(w, http.StatusBadRequest, "BadRequest", "the body must be JSON with a token")
		return
	}
	res, err := h.ec2.Join(r.Context(), ec2svc.JoinRequest{Token: req.Token, Hostname: req.Hostname,
		PrivateIP: req.PrivateIP, Architecture: req.Architecture})
	switch {
	case errors.Is(err, ec2svc.ErrInvalidJoinToken):
		hostError(w, http.StatusUnauthorized, "InvalidJoinToken", "the join token is invalid, expired or already used")
		return
	case errors.Is(err, ec2svc.ErrBadJoinRequest):
		hostError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, joinResponse{InstanceID: res.InstanceID, HostSecret: res.HostSecret,
		Region: res.Region, AccountID: res.AccountID, AvailabilityZone: res.AvailabilityZone})
}

type hostCredentials struct {
	Code               string `json:"Code"`
	Type               string `json:"Type"`
	AccessKeyID        string `json:"AccessKeyId"`
	SecretAccessKey    string `json:"SecretAccessKey"`
	Token              string `json:"Token"`
	Expiration         string `json:"Expiration"`
	LastUpdated        string `json:"LastUpdated"`
	InstanceID         string `json:"InstanceId"`
	InstanceProfileARN string `json:"InstanceProfileArn"`
	InstanceProfileID  string `json:"InstanceProfileId"`
	RoleARN            string `json:"RoleArn"`
	RoleName           string `json:"RoleName"`
}

func (h *hostAPI) credentials(w http.ResponseWriter, r *http.Request) {
	host, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if host.ProfileARN == "" {
		hostError(w, http.StatusNotFound, "NoInstanceProfile", "instance "+host.InstanceID+" has no IAM instance profile associated")
		return
	}
	prof, err := h.profiles.InstanceProfileByARN(ctx, host.ProfileARN)
	switch {
	case errors.Is(err, ec2svc.ErrProfileNotFound) || (err == nil && prof.ID != host.ProfileID):
		hostError(w, http.StatusNotFound, "InstanceProfileNotFound", "the instance profile "+host.ProfileARN+" associated with "+host.InstanceID+" no longer exists")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	case prof.RoleARN == "":
		hostError(w, http.StatusNotFound, "NoRoleInInstanceProfile", "the instance profile "+prof.ARN+" holds no role")
		return
	}
	creds, err := h.roles.AssumeRoleAsService(ctx, ec2svc.ServicePrincipal, prof.RoleARN, host.InstanceID, HostCredentialsDuration)
	switch {
	case errors.Is(err, stssvc.ErrRoleNotFound):
		hostError(w, http.StatusNotFound, "RoleNotFound", "the role "+prof.RoleARN+" of instance profile "+prof.ARN+" does not exist")
		return
	case errors.Is(err, stssvc.ErrAssumeDenied):
		hostError(w, http.StatusForbidden, "TrustPolicyDenied", "the trust policy of role "+prof.RoleARN+
			" does not allow the service principal "+ec2svc.ServicePrincipal+" to call sts:AssumeRole; "+
			"add it to the role's assume-role policy to use the role in an instance profile")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, hostCredentials{
		Code: "Success", Type: "AWS-HMAC", AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
		Token: creds.SessionToken, Expiration: creds.Expiration.UTC().Format(time.RFC3339),
		LastUpdated: h.clock().UTC().Format(time.RFC3339), InstanceID: host.InstanceID,
		InstanceProfileARN: prof.ARN, InstanceProfileID: prof.ID, RoleARN: prof.RoleARN, RoleName: prof.RoleName,
	})
}

func (h *hostAPI) identity(w http.ResponseWriter, r *http.Request) {
	host, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	doc, sig, err := h.ec2.IdentityDocument(r.Context(), host.InstanceID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"document": doc, "signature": sig})
}

func (h *hostAPI) identityKey(w http.ResponseWriter, r *http.Request) {
	key, err := h.ec2.IdentityPublicKey(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"algorithm": "ECDSA-P256-SHA256", "publicKey": key})
}

// authenticate checks "Authorization: Bearer <instanceId>.<hostSecret>"
// and answers 401 when it fails. The secret is never logged.
func (h *hostAPI) authenticate(w http.ResponseWriter, r *http.Request) (*ec2svc.Host, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	id, secret, ok2 := strings.Cut(token, ".")
	if ok && ok2 {
		host, err := h.ec2.AuthenticateHost(r.Context(), id, secret)
		if err == nil {
			return host, true
		}
		if !errors.Is(err, ec2svc.ErrHostUnauthorized) {
			h.fail(w, r, err)
			return nil, false
		}
	}
	hostError(w, http.StatusUnauthorized, "Unauthorized", "host authentication failed: send Authorization: Bearer <instanceId>.<hostSecret> of a running instance")
	return nil, false
}

func (h *hostAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("host API request failed", "path", r.URL.Path, logkey.Err, err)
	hostError(w, http.StatusInternalServerError, "InternalFailure", "the control plane could not answer; see its log")
}

func hostError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write means the host went away
}
