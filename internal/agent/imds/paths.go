// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package imds

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/logkey"
)

// staticLeaves returns the meta-data/ leaves that do not depend on the
// role, by path under meta-data/.
func staticLeaves(in Instance) map[string]string {
	m := map[string]string{
		"ami-id":                      in.ImageID,
		"hostname":                    in.Hostname,
		"local-hostname":              in.Hostname,
		"instance-id":                 in.InstanceID,
		"instance-type":               in.InstanceType,
		"local-ipv4":                  in.LocalIPv4,
		"mac":                         in.MAC,
		"placement/region":            in.Region,
		"placement/availability-zone": in.AvailabilityZone,
		"services/domain":             "amazonaws.com",
		"services/partition":          "aws",
	}
	if in.MAC != "" {
		p := "network/interfaces/macs/" + in.MAC + "/"
		m[p+"mac"] = in.MAC
		m[p+"device-number"] = "0"
		m[p+"local-ipv4s"] = in.LocalIPv4
		m[p+"vpc-id"] = in.VPCID
		m[p+"subnet-id"] = in.SubnetID
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

// listing returns the entries of directory dir (under meta-data/, "" for
// its root) in leaves: names, with a trailing / for subdirectories.
func listing(leaves map[string]string, dir string) []string {
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	seen := map[string]bool{}
	for k := range leaves {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if head, _, deeper := strings.Cut(rest, "/"); deeper {
			seen[head+"/"] = true
		} else {
			seen[rest] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lookup resolves a path below the version (e.g. "meta-data/iam/info").
func (s *Server) lookup(ctx context.Context, rest string) (string, int) {
	switch {
	case rest == "":
		return "dynamic\nmeta-data", http.StatusOK
	case rest == "dynamic":
		return "instance-identity/", http.StatusOK
	case strings.HasPrefix(rest, "dynamic/instance-identity"):
		return s.identity(ctx, strings.Trim(strings.TrimPrefix(rest, "dynamic/instance-identity"), "/"))
	case rest == "meta-data" || strings.HasPrefix(rest, "meta-data/"):
	default:
		return "", http.StatusNotFound
	}
	sub := strings.Trim(strings.TrimPrefix(rest, "meta-data"), "/")
	if sub == "iam" || strings.HasPrefix(sub, "iam/") {
		return s.iam(ctx, sub)
	}
	if v, ok := s.static[sub]; ok {
		return v, http.StatusOK
	}
	entries := listing(s.static, sub)
	if len(entries) == 0 {
		return "", http.StatusNotFound
	}
	if sub == "" {
		if _, ok, _ := s.credentials(ctx); ok {
			entries = append(entries, "iam/")
			sort.Strings(entries)
		}
	}
	return strings.Join(entries, "\n"), http.StatusOK
}

const imdsTime = "2006-01-02T15:04:05Z"

type iamInfo struct {
	Code               string
	LastUpdated        string
	InstanceProfileArn string
	InstanceProfileId  string //nolint:revive // EC2's field name
}

type roleCredentials struct {
	Code            string
	LastUpdated     string
	Type            string
	AccessKeyId     string //nolint:revive // EC2's field name
	SecretAccessKey string
	Token           string
	Expiration      string
}

func (s *Server) iam(ctx context.Context, sub string) (string, int) {
	c, ok, status := s.credentials(ctx)
	if !ok {
		return "", status
	}
	var v any
	switch sub {
	case "iam":
		return "info\nsecurity-credentials/", http.StatusOK
	case "iam/security-credentials":
		return c.RoleName(), http.StatusOK
	case "iam/info":
		info := iamInfo{Code: "Success", LastUpdated: c.LastUpdated.UTC().Format(imdsTime),
			InstanceProfileArn: c.InstanceProfileARN, InstanceProfileId: c.InstanceProfileID}
		if info.InstanceProfileArn == "" {
			info.InstanceProfileArn, info.InstanceProfileId = s.cfg.Instance.InstanceProfileARN, s.cfg.Instance.InstanceProfileID
		}
		v = info
	case "iam/security-credentials/" + c.RoleName():
		v = roleCredentials{
			Code: "Success", LastUpdated: c.LastUpdated.UTC().Format(imdsTime), Type: "AWS-HMAC",
			AccessKeyId: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Token: c.SessionToken,
			Expiration: c.Expiration.UTC().Format(imdsTime),
		}
	default:
		return "", http.StatusNotFound
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", http.StatusInternalServerError
	}
	return string(b), http.StatusOK
}

// identityDocument is the EC2 instance identity document.
type identityDocument struct {
	AccountID               string   `json:"accountId"`
	Architecture            string   `json:"architecture"`
	AvailabilityZone        string   `json:"availabilityZone"`
	BillingProducts         []string `json:"billingProducts"`
	DevpayProductCodes      []string `json:"devpayProductCodes"`
	MarketplaceProductCodes []string `json:"marketplaceProductCodes"`
	ImageID                 string   `json:"imageId"`
	InstanceID              string   `json:"instanceId"`
	InstanceType            string   `json:"instanceType"`
	KernelID                *string  `json:"kernelId"`
	PendingTime             string   `json:"pendingTime"`
	PrivateIP               string   `json:"privateIp"`
	RamdiskID               *string  `json:"ramdiskId"`
	Region                  string   `json:"region"`
	Version                 string   `json:"version"`
}

// IdentityDocument renders the instance identity document of in, in EC2's
// format (version 2017-09-30). A control plane that signs documents can
// use it to produce the exact bytes it signs.
func IdentityDocument(in Instance) []byte {
	arch := in.Architecture
	if arch == "" {
		arch = "x86_64"
	}
	var pending string
	if !in.PendingTime.IsZero() {
		pending = in.PendingTime.UTC().Format(imdsTime)
	}
	b, _ := json.MarshalIndent(identityDocument{
		AccountID: in.AccountID, Architecture: arch, AvailabilityZone: in.AvailabilityZone,
		ImageID: in.ImageID, InstanceID: in.InstanceID, InstanceType: in.InstanceType,
		PendingTime: pending, PrivateIP: in.LocalIPv4, Region: in.Region, Version: "2017-09-30",
	}, "", "  ")
	return b
}

// identity serves dynamic/instance-identity/<leaf>.
func (s *Server) identity(ctx context.Context, leaf string) (string, int) {
	id, signed := s.signedIdentity(ctx)
	switch {
	case leaf == "" && signed:
		return "document\npkcs7\nsignature", http.StatusOK
	case leaf == "":
		return "document", http.StatusOK
	case leaf == "document" && signed:
		return string(id.Document), http.StatusOK
	case leaf == "document":
		return string(IdentityDocument(s.cfg.Instance)), http.StatusOK
	case leaf == "signature" && signed:
		return id.Signature, http.StatusOK
	case leaf == "pkcs7" && signed:
		return id.PKCS7, http.StatusOK
	}
	return "", http.StatusNotFound
}

// signedIdentity returns the Identity from the IdentitySource, fetched once
// and then cached; signed is false without a source or while it fails.
func (s *Server) signedIdentity(ctx context.Context) (Identity, bool) {
	if s.deps.Identity == nil {
		return Identity{}, false
	}
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if s.id != nil {
		return *s.id, true
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	id, err := s.deps.Identity.Identity(ctx)
	if err != nil || len(id.Document) == 0 {
		s.log.Warn("no signed identity document", logkey.Err, err)
		return Identity{}, false
	}
	s.id = &id
	return id, true
}
