// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/berthdev/berth/internal/logkey"
)

// credentialsResponse is the body containers and SDKs read.
type credentialsResponse struct {
	RoleArn         string `json:"RoleArn"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
}

func (s *Server) credentialsV1(w http.ResponseWriter, r *http.Request) {
	s.credentials(w, r, "CredentialsV1Request", r.URL.Query().Get("id"))
}

func (s *Server) credentialsV2(w http.ResponseWriter, r *http.Request) {
	s.credentials(w, r, "CredentialsV2Request", strings.TrimSuffix(r.PathValue("id"), "/"))
}

func (s *Server) credentials(w http.ResponseWriter, r *http.Request, prefix, id string) {
	if id == "" {
		writeError(w, http.StatusBadRequest, "NoIdInRequest", prefix+": No Credential ID in the request")
		return
	}
	src, _ := remoteAddr(r)
	e, ok := s.deps.Credentials.Get(id)
	if !ok {
		writeError(w, http.StatusBadRequest, "InvalidIdInRequest", prefix+": Credentials not found")
		return
	}
	if !s.mayRead(r.Context(), src, e.TaskARN, e.RoleType) {
		s.log.Warn("refused credentials to a source outside the task",
			logkey.TaskARN, e.TaskARN, "credentials_id", logkey.Redact(id), logkey.Addr, src.String())
		writeError(w, http.StatusBadRequest, "InvalidIdInRequest", prefix+": Credentials not found")
		return
	}
	if e.Credentials.Pending() {
		writeError(w, http.StatusServiceUnavailable, "CredentialsUninitialized", prefix+": Credentials uninitialized for ID")
		return
	}
	c := e.Credentials
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.Debug("served credentials", logkey.TaskARN, e.TaskARN, logkey.AccessKey, logkey.Redact(c.AccessKeyID))
	}
	writeJSON(w, http.StatusOK, credentialsResponse{
		RoleArn: c.RoleARN, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		Token: c.SessionToken, Expiration: c.Expiration,
	})
}
