// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"encoding/json"
	"slices"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
)

// Manifest media types ECR accepts in PutImage.
const (
	mtDockerV2     = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList   = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtOCIManifest  = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex     = "application/vnd.oci.image.index.v1+json"
	mtDockerForeig = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
)

var manifestTypes = []string{mtDockerV2, mtDockerList, mtOCIManifest, mtOCIIndex}

// manifest is the part of an image manifest or index PutImage reads.
type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        *descriptor  `json:"config"`
	Layers        []descriptor `json:"layers"`
	Manifests     []descriptor `json:"manifests"`
}

type descriptor struct {
	MediaType string   `json:"mediaType"`
	Digest    string   `json:"digest"`
	Size      int64    `json:"size"`
	URLs      []string `json:"urls"`
}

// parseManifest decodes body and settles its media type: the one given,
// else the manifest's own mediaType field. It refuses what ECR refuses:
// not JSON, a media type it does not store, or a given type that
// contradicts the manifest's.
func parseManifest(body []byte, given string) (manifest, string, error) {
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return m, "", ecrapi.ErrInvalidParameter("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'")
	}
	mt := given
	switch {
	case mt == "" && m.MediaType != "":
		mt = m.MediaType
	case mt == "" && m.SchemaVersion == 2 && len(m.Manifests) > 0:
		mt = mtOCIIndex
	case mt == "" && m.SchemaVersion == 2:
		mt = mtOCIManifest
	case mt != "" && m.MediaType != "" && m.MediaType != mt:
		return m, "", ecrapi.ErrInvalidParameter("Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest media type %s does not match the manifest's mediaType %s'", mt, m.MediaType)
	}
	if !slices.Contains(manifestTypes, mt) || m.SchemaVersion != 2 {
		return m, "", ecrapi.ErrUnsupportedImageType("Unsupported image manifest media type %q (schemaVersion %d)", mt, m.SchemaVersion)
	}
	return m, mt, nil
}

// isIndex reports whether mt is a manifest list or image index.
func isIndex(mt string) bool { return mt == mtDockerList || mt == mtOCIIndex }

// blobs returns the digests of the blobs an image manifest references
// (its config and its layers, foreign layers excepted).
func (m manifest) blobs() []string {
	var out []string
	if m.Config != nil && m.Config.Digest != "" {
		out = append(out, m.Config.Digest)
	}
	for _, l := range m.Layers {
		if l.MediaType == mtDockerForeig || len(l.URLs) > 0 {
			continue
		}
		out = append(out, l.Digest)
	}
	return out
}
