// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package creds

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// metadata returns the handler of one metadata path: what is "container",
// "task", "stats" or "task-stats"; version is "v3" or "v4".
func (s *Server) metadata(version, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		eid := r.PathValue("eid")
		task, name, ok := s.deps.Registry.Endpoint(eid)
		src, _ := remoteAddr(r)
		if !ok || !s.mayRead(r.Context(), src, task.TaskARN, "") {
			writeError(w, http.StatusNotFound, "NotFound", "unable to find the task for endpoint id")
			return
		}
		if version == "v3" {
			task = task.v3()
		}
		var self *ContainerMetadata
		for i := range task.Containers {
			if task.Containers[i].Name == name {
				self = &task.Containers[i]
			}
		}
		switch what {
		case "container":
			if self == nil {
				writeError(w, http.StatusNotFound, "NotFound", "unable to find the container for endpoint id")
				return
			}
			writeJSON(w, http.StatusOK, self)
		case "task":
			writeJSON(w, http.StatusOK, task)
		case "stats":
			if self == nil {
				writeError(w, http.StatusNotFound, "NotFound", "unable to find the container for endpoint id")
				return
			}
			writeJSON(w, http.StatusOK, s.stats(r, self.DockerID))
		case "task-stats":
			out := map[string]json.RawMessage{}
			for _, c := range task.Containers {
				if c.DockerID != "" {
					out[c.DockerID] = s.stats(r, c.DockerID)
				}
			}
			writeJSON(w, http.StatusOK, out)
		}
	}
}

// stats returns the Docker stats of a container, or {} when unavailable.
func (s *Server) stats(r *http.Request, dockerID string) json.RawMessage {
	if s.deps.Stats == nil || dockerID == "" {
		return json.RawMessage("{}")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	b, err := s.deps.Stats.ContainerStats(ctx, dockerID)
	if err != nil || !json.Valid(b) {
		return json.RawMessage("{}")
	}
	return b
}
