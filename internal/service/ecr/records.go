// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"context"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// The ECR tables (see doc.go).
const (
	tableRepos   = "ecr-repositories" // NAME
	tableUploads = "ecr-uploads"      // UPLOAD-ID
)

// repoRec is a repository. Records are shared with the cache: never
// mutate one read from a table.
type repoRec struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Mutability is MUTABLE or IMMUTABLE.
	Mutability string `json:"mutability"`
	ScanOnPush bool   `json:"scanOnPush,omitempty"`
	// EncryptionType is AES256 or KMS; KMSKey is the key of KMS.
	EncryptionType string   `json:"encryptionType"`
	KMSKey         string   `json:"kmsKey,omitempty"`
	Tags           []tagRec `json:"tags,omitempty"`
	// Policy is the repository policy as the client sent it and
	// PolicyHash a digest of it that names its compiled form.
	Policy     string `json:"policy,omitempty"`
	PolicyHash string `json:"policyHash,omitempty"`
	// Lifecycle is the lifecycle policy text (stored, not evaluated).
	Lifecycle string `json:"lifecycle,omitempty"`
}

// tagRec is one resource tag; a repository keeps them in insertion order.
type tagRec struct {
	K string `json:"k"`
	V string `json:"v"`
}

// uploadRec is a layer upload in progress.
type uploadRec struct {
	Repo string `json:"repo"`
	// Received is the number of bytes uploaded so far.
	Received int64     `json:"received"`
	Created  time.Time `json:"created"`
}

type tables struct {
	repos   *store.Table[repoRec]
	uploads *store.Table[uploadRec]
}

func openTables(ctx context.Context, st *store.Store) (*tables, error) {
	var t tables
	var err error
	if t.repos, err = store.NewTable[repoRec](ctx, st, tableRepos, store.TableConfig{}); err != nil {
		return nil, fmt.Errorf("ecr: %w", err)
	}
	if t.uploads, err = store.NewTable[uploadRec](ctx, st, tableUploads, store.TableConfig{}); err != nil {
		return nil, fmt.Errorf("ecr: %w", err)
	}
	return &t, nil
}
