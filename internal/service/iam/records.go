// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"slices"
	"time"
)

// The persisted records. Each entity table is keyed by the lower-case name
// (IAM names are unique without regard to case), so creating an entity is
// a create-if-absent on its key and needs no separate uniqueness check.
// Records reference each other by key; the relation that must stay
// consistent under concurrency is always written on both sides in one
// transaction (see txn.go), so a delete that checks one side conflicts with
// an attach that changed it.

// userRec is an IAM user with its inline policies, attachments, group
// memberships, access key ids and login profile.
type userRec struct {
	Name       string      `json:"name"`
	Path       string      `json:"path"`
	ID         string      `json:"id"`
	Created    time.Time   `json:"created"`
	Tags       []tagRec    `json:"tags,omitempty"`
	Boundary   string      `json:"boundary,omitempty"` // managed policy ARN
	Attached   []string    `json:"attached,omitempty"` // managed policy ARNs, in attach order
	Inline     []inlineRec `json:"inline,omitempty"`
	Groups     []string    `json:"groups,omitempty"`      // group ids
	AccessKeys []string    `json:"access_keys,omitempty"` // access key ids
	Login      *loginRec   `json:"login,omitempty"`
	PwLastUsed *time.Time  `json:"pw_last_used,omitempty"`
}

// groupRec is an IAM group. Members counts the users whose Groups name it;
// every membership change writes it, which serializes DeleteGroup against
// AddUserToGroup.
type groupRec struct {
	Name     string      `json:"name"`
	Path     string      `json:"path"`
	ID       string      `json:"id"`
	Created  time.Time   `json:"created"`
	Attached []string    `json:"attached,omitempty"`
	Inline   []inlineRec `json:"inline,omitempty"`
	Members  int         `json:"members,omitempty"`
}

// roleRec is an IAM role. Profiles lists the keys of the instance profiles
// that hold it.
type roleRec struct {
	Name        string       `json:"name"`
	Path        string       `json:"path"`
	ID          string       `json:"id"`
	Created     time.Time    `json:"created"`
	Trust       string       `json:"trust"` // decoded JSON
	Description *string      `json:"description,omitempty"`
	MaxSession  int32        `json:"max_session"`
	Tags        []tagRec     `json:"tags,omitempty"`
	Boundary    string       `json:"boundary,omitempty"`
	Attached    []string     `json:"attached,omitempty"`
	Inline      []inlineRec  `json:"inline,omitempty"`
	Profiles    []string     `json:"profiles,omitempty"`
	LastUsed    *lastUsedRec `json:"last_used,omitempty"`
}

// policyRec is a customer managed policy with its versions.
type policyRec struct {
	Name        string       `json:"name"`
	Path        string       `json:"path"`
	ID          string       `json:"id"`
	ARN         string       `json:"arn"`
	Description *string      `json:"description,omitempty"`
	Created     time.Time    `json:"created"`
	Updated     time.Time    `json:"updated"`
	Default     string       `json:"default"` // default version id
	NextVersion int          `json:"next_version"`
	Versions    []versionRec `json:"versions"` // in creation order
	Tags        []tagRec     `json:"tags,omitempty"`
	usageRec
}

// usageRec counts how a managed policy is used in the account. For
// customer managed policies it is part of policyRec; for AWS managed
// policies it is a record of its own, keyed by the policy ARN.
type usageRec struct {
	Attachments int `json:"attachments,omitempty"`
	Boundaries  int `json:"boundaries,omitempty"`
}

type versionRec struct {
	ID       string    `json:"id"`
	Document string    `json:"document"` // decoded JSON
	Created  time.Time `json:"created"`
}

// profileRec is an instance profile; Roles are role keys (at most one).
type profileRec struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Roles   []string  `json:"roles,omitempty"`
	Tags    []tagRec  `json:"tags,omitempty"`
}

// accessKeyRec is a long-term access key, keyed by its id. Root keys have
// Root set and no user.
type accessKeyRec struct {
	ID       string       `json:"id"`
	Secret   string       `json:"secret"`
	Status   string       `json:"status"`
	Created  time.Time    `json:"created"`
	User     string       `json:"user,omitempty"` // the owner's user name
	Root     bool         `json:"root,omitempty"`
	LastUsed *lastUsedRec `json:"last_used,omitempty"`
}

// accountRec holds the account-wide settings: the password policy and the
// ids of the root's access keys.
type accountRec struct {
	Created        time.Time          `json:"created"`
	PasswordPolicy *passwordPolicyRec `json:"password_policy,omitempty"`
	RootKeys       []string           `json:"root_keys,omitempty"`
}

type passwordPolicyRec struct {
	MinLength      int32 `json:"min_length"`
	RequireSymbols bool  `json:"require_symbols,omitempty"`
	RequireNumbers bool  `json:"require_numbers,omitempty"`
	RequireUpper   bool  `json:"require_upper,omitempty"`
	RequireLower   bool  `json:"require_lower,omitempty"`
	AllowChange    bool  `json:"allow_change,omitempty"`
	MaxAge         int32 `json:"max_age,omitempty"`
	ReusePrevent   int32 `json:"reuse_prevent,omitempty"`
	HardExpiry     bool  `json:"hard_expiry,omitempty"`
}

type loginRec struct {
	Hash          string    `json:"hash"` // see password.go
	Created       time.Time `json:"created"`
	ResetRequired bool      `json:"reset_required,omitempty"`
}

type inlineRec struct {
	Name     string `json:"name"`
	Document string `json:"document"` // decoded JSON
}

type tagRec struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type lastUsedRec struct {
	Date    time.Time `json:"date"`
	Service string    `json:"service,omitempty"`
	Region  string    `json:"region,omitempty"`
}

// inlineIndex returns the index of the inline policy named name, or -1.
func inlineIndex(list []inlineRec, name string) int {
	return slices.IndexFunc(list, func(p inlineRec) bool { return p.Name == name })
}

// removeString returns list without s and whether it was there.
func removeString(list []string, s string) ([]string, bool) {
	i := slices.Index(list, s)
	if i < 0 {
		return list, false
	}
	return slices.Delete(slices.Clone(list), i, i+1), true
}
