// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/arn"
)

// managedFS holds the AWS managed policy documents berth ships; see
// managed/README.md for their source and licence.
//
//go:embed managed/*.json managed/README.md
var managedFS embed.FS

// awsPolicy is one AWS managed policy of the catalog. Its per-account
// usage (attachment counts) lives in the store, not here.
type awsPolicy struct {
	Name      string
	Path      string
	ARN       string
	ID        string // a stable ANPA… id derived from the ARN
	VersionID string // the default (and only served) version
	Document  string // the default version's JSON, 4-space indented
	Created   time.Time
	Updated   time.Time
}

// catalog is the AWS managed policies, immutable after load.
type catalog struct {
	byName map[string]*awsPolicy // by lower-case name
	sorted []*awsPolicy          // by lower-case name
}

// managedFile is the data format of managed/*.json.
type managedFile struct {
	Name       string          `json:"name"`
	ARN        string          `json:"arn"`
	Version    string          `json:"version"`
	CreateDate string          `json:"createdate"`
	UpdateDate string          `json:"updatedate"`
	Document   json.RawMessage `json:"document"`
}

// administratorAccess is AWS's AdministratorAccess policy, which the data
// snapshot lacks; its README gives the document and version. The date is
// the day AWS introduced its first managed policies.
var administratorAccess = managedFile{
	Name:       "AdministratorAccess",
	ARN:        "arn:aws:iam::aws:policy/AdministratorAccess",
	Version:    "v1",
	CreateDate: "2015-02-06T18:39:46+00:00",
	UpdateDate: "2015-02-06T18:39:46+00:00",
	Document:   json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
}

// loadCatalog parses the embedded managed policy files.
func loadCatalog() (*catalog, error) {
	files, err := fs.Glob(managedFS, "managed/*.json")
	if err != nil {
		return nil, fmt.Errorf("iam: managed policies: %w", err)
	}
	c := &catalog{byName: map[string]*awsPolicy{}}
	add := func(f managedFile) error {
		p, err := f.policy()
		if err != nil {
			return err
		}
		key := nameKey(p.Name)
		if _, dup := c.byName[key]; dup {
			return fmt.Errorf("iam: managed policy %s defined twice", p.Name)
		}
		c.byName[key] = p
		c.sorted = append(c.sorted, p)
		return nil
	}
	for _, name := range files {
		b, err := managedFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("iam: managed policies: %w", err)
		}
		var f managedFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("iam: managed policy %s: %w", name, err)
		}
		if err := add(f); err != nil {
			return nil, err
		}
	}
	if _, ok := c.byName[nameKey(administratorAccess.Name)]; !ok {
		if err := add(administratorAccess); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(c.sorted, func(a, b *awsPolicy) int { return strings.Compare(nameKey(a.Name), nameKey(b.Name)) })
	return c, nil
}

func (f managedFile) policy() (*awsPolicy, error) {
	ref, ok := parsePolicyARN(f.ARN)
	if !ok || ref.Account != awsAccount || ref.Name != f.Name {
		return nil, fmt.Errorf("iam: managed policy %s: bad ARN %q", f.Name, f.ARN)
	}
	if !reVersionID.MatchString(f.Version) {
		return nil, fmt.Errorf("iam: managed policy %s: bad version %q", f.Name, f.Version)
	}
	created, err := time.Parse(time.RFC3339, f.CreateDate)
	if err != nil {
		return nil, fmt.Errorf("iam: managed policy %s: %w", f.Name, err)
	}
	updated, err := time.Parse(time.RFC3339, f.UpdateDate)
	if err != nil {
		return nil, fmt.Errorf("iam: managed policy %s: %w", f.Name, err)
	}
	var doc bytes.Buffer
	if err := json.Indent(&doc, f.Document, "", "    "); err != nil {
		return nil, fmt.Errorf("iam: managed policy %s: %w", f.Name, err)
	}
	sum := sha256.Sum256([]byte(f.ARN))
	id := prefixPolicy + base32.StdEncoding.EncodeToString(sum[:])[:17]
	return &awsPolicy{
		Name: f.Name, Path: ref.Path, ARN: f.ARN, ID: id, VersionID: f.Version,
		Document: doc.String(), Created: created.UTC(), Updated: updated.UTC(),
	}, nil
}

// lookup returns the AWS managed policy named by ref, or nil.
func (c *catalog) lookup(ref policyRef) *awsPolicy {
	if ref.Account != awsAccount {
		return nil
	}
	p := c.byName[nameKey(ref.Name)]
	if p == nil || p.Path != ref.Path || p.Name != ref.Name {
		return nil
	}
	return p
}

// isAWSManagedARN reports whether s names a policy in the aws account.
func isAWSManagedARN(s string) bool {
	return strings.HasPrefix(s, "arn:"+arn.Partition+":iam::"+awsAccount+":policy/")
}
