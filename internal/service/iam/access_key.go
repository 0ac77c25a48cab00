// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"log/slog"

	"github.com/berthdev/berth/internal/arn"
	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/logkey"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

// Access key statuses.
const (
	statusActive   = "Active"
	statusInactive = "Inactive"
)

// AccessKeyInfo is a long-term access key as authentication needs it. It
// holds the secret: its String and LogValue redact it, and it must never be
// logged or returned in any other way.
type AccessKeyInfo struct {
	AccessKeyID string
	Secret      string
	// Active is false for a key whose status is Inactive; such a key must
	// not authenticate (AWS answers InvalidClientTokenId).
	Active bool
	// Principal is who the key stands for: Kind User (ARN, UserID, Name,
	// Tags filled) or Kind Root. AccessKeyID is set on it. It is a fresh
	// value the caller owns.
	Principal *principal.Principal
}

// String implements fmt.Stringer without the secret.
func (k AccessKeyInfo) String() string {
	return "AccessKeyInfo{" + k.AccessKeyID + " " + logkey.Redact(k.Secret) + "}"
}

// LogValue implements slog.LogValuer without the secret.
func (k AccessKeyInfo) LogValue() slog.Value {
	return slog.GroupValue(slog.String(logkey.AccessKey, logkey.Redact(k.AccessKeyID)), slog.Bool("active", k.Active))
}

// ErrNotFound is returned (wrapped) by the lookups other packages call
// (AccessKey, RootAccessKey, Role, RoleByARN, InstanceProfile,
// PolicyDocument) when the entity does not exist. It also matches
// store.ErrNotFound.
var ErrNotFound = errors.Join(errors.New("iam: not found"), store.ErrNotFound)

// AccessKey returns the long-term access key accessKeyID: its secret,
// whether it is active, and the principal it belongs to (an IAM user or
// the account root). It reads this replica's cache, so it is cheap enough
// for every request; an unknown key is an error wrapping ErrNotFound.
func (s *Service) AccessKey(ctx context.Context, accessKeyID string) (AccessKeyInfo, error) {
	rec, err := s.t.keys.Get(ctx, accessKeyID)
	if errors.Is(err, store.ErrNotFound) {
		return AccessKeyInfo{}, notFound("access key %s", logkey.Redact(accessKeyID))
	}
	if err != nil {
		return AccessKeyInfo{}, err
	}
	k := rec.Value
	info := AccessKeyInfo{AccessKeyID: k.ID, Secret: k.Secret, Active: k.Status == statusActive}
	if k.Root {
		info.Principal = s.rootPrincipal()
	} else {
		u, err := s.t.users.Get(ctx, nameKey(k.User))
		if errors.Is(err, store.ErrNotFound) {
			return AccessKeyInfo{}, notFound("user %s of access key %s", k.User, logkey.Redact(accessKeyID))
		}
		if err != nil {
			return AccessKeyInfo{}, err
		}
		info.Principal = s.userPrincipal(u.Value)
	}
	info.Principal.AccessKeyID = k.ID
	return info, nil
}

func (s *Service) rootPrincipal() *principal.Principal {
	return &principal.Principal{Kind: principal.Root, AccountID: s.cfg.AccountID, ARN: arn.Root(s.cfg.AccountID), UserID: s.cfg.AccountID}
}

func (s *Service) userPrincipal(u *userRec) *principal.Principal {
	return &principal.Principal{
		Kind: principal.User, AccountID: s.cfg.AccountID, ARN: s.userARN(u),
		UserID: u.ID, Name: u.Name, Tags: tagMap(u.Tags),
	}
}

// keyOwner is whose access keys an operation manages.
type keyOwner struct {
	root bool
	user string // name as the caller gave it (empty for root)
}

func keyOwnerOf(ctx context.Context, userName *string) (keyOwner, error) {
	name, root, err := callerUserName(ctx, userName)
	return keyOwner{root: root, user: name}, err
}

// ownedKeys loads the owner's list of key ids for change; save writes it.
func (s *Service) ownedKeys(tx *txn, o keyOwner) (ids *[]string, userName *string, save func(), err error) {
	if o.root {
		a, err := s.loadAccount(tx)
		if err != nil {
			return nil, nil, nil, err
		}
		return &a.RootKeys, nil, func() { tx.put(key(tableAccount, accountID), a) }, nil
	}
	u, err := loadUser(tx, o.user)
	if err != nil {
		return nil, nil, nil, err
	}
	return &u.AccessKeys, &u.Name, func() { tx.put(userKey(u.Name), u) }, nil
}

func keyNotFound(id string) error {
	return noSuchEntity("The Access Key with id %s cannot be found.", id)
}

// CreateAccessKey implements iamapi.API. Without UserName it creates a key
// for the calling user, or for the account root when root calls.
func (s *Service) CreateAccessKey(ctx context.Context, in *iamapi.CreateAccessKeyInput) (*iamapi.CreateAccessKeyOutput, error) {
	var v violations
	v.name("userName", in.UserName, maxExistingUserName)
	if err := v.err(); err != nil {
		return nil, err
	}
	o, err := keyOwnerOf(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	k := &accessKeyRec{ID: newAccessKeyID(), Secret: newSecretAccessKey(), Status: statusActive, Created: s.now(), Root: o.root}
	err = s.update(ctx, func(tx *txn) error {
		ids, userName, save, err := s.ownedKeys(tx, o)
		if err != nil {
			return err
		}
		if len(*ids) >= quotaAccessKeysPerUser {
			return quotaExceeded("AccessKeysPerUser", quotaAccessKeysPerUser)
		}
		k.User = deref(userName)
		*ids = append(*ids, k.ID)
		save()
		tx.put(key(tableKeys, k.ID), k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.AccessKey{AccessKeyId: ptr(k.ID), Status: ptr(k.Status), SecretAccessKey: ptr(k.Secret), CreateDate: ptr(k.Created)}
	if !k.Root {
		out.UserName = ptr(k.User)
	}
	return &iamapi.CreateAccessKeyOutput{AccessKey: out}, nil
}

// ListAccessKeys implements iamapi.API: the keys of a user, of the calling
// user, or of the root when root calls without UserName.
func (s *Service) ListAccessKeys(ctx context.Context, in *iamapi.ListAccessKeysInput) (*iamapi.ListAccessKeysOutput, error) {
	var v violations
	v.name("userName", in.UserName, maxExistingUserName)
	v.page(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	o, err := keyOwnerOf(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	var keys []*accessKeyRec
	err = s.view(ctx, func(tx *txn) error {
		ids, _, _, err := s.ownedKeys(tx, o)
		if err != nil {
			return err
		}
		for _, id := range *ids {
			k, err := getRec[accessKeyRec](tx, key(tableKeys, id))
			if err != nil {
				return err
			}
			if k != nil {
				keys = append(keys, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p, err := paginate(keys, func(k *accessKeyRec) string { return k.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListAccessKeysOutput{AccessKeyMetadata: []iamapi.AccessKeyMetadata{}, IsTruncated: ptr(p.Truncated), Marker: p.Marker}
	for _, k := range p.Items {
		md := iamapi.AccessKeyMetadata{AccessKeyId: ptr(k.ID), Status: ptr(k.Status), CreateDate: ptr(k.Created)}
		if !k.Root {
			md.UserName = ptr(k.User)
		}
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, md)
	}
	return out, nil
}

// modifyKey applies fn to one of the owner's keys in a transaction.
func (s *Service) modifyKey(ctx context.Context, o keyOwner, id string, fn func(tx *txn, ids *[]string, save func(), k *accessKeyRec) error) error {
	return s.update(ctx, func(tx *txn) error {
		ids, _, save, err := s.ownedKeys(tx, o)
		if err != nil {
			return err
		}
		k, err := getRec[accessKeyRec](tx, key(tableKeys, id))
		if err != nil {
			return err
		}
		if k == nil || k.Root != o.root || !o.root && nameKey(k.User) != nameKey(o.user) {
			return keyNotFound(id)
		}
		return fn(tx, ids, save, k)
	})
}

// UpdateAccessKey implements iamapi.API: activate or deactivate a key.
func (s *Service) UpdateAccessKey(ctx context.Context, in *iamapi.UpdateAccessKeyInput) (*iamapi.UpdateAccessKeyOutput, error) {
	var v violations
	v.name("userName", in.UserName, maxExistingUserName)
	v.accessKeyID("accessKeyId", in.AccessKeyId)
	v.required("status", in.Status)
	v.enum("status", in.Status, iamapi.StatusTypeValues())
	if err := v.err(); err != nil {
		return nil, err
	}
	o, err := keyOwnerOf(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.modifyKey(ctx, o, *in.AccessKeyId, func(tx *txn, _ *[]string, _ func(), k *accessKeyRec) error {
		k.Status = *in.Status
		tx.put(key(tableKeys, k.ID), k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAccessKeyOutput{}, nil
}

// DeleteAccessKey implements iamapi.API.
func (s *Service) DeleteAccessKey(ctx context.Context, in *iamapi.DeleteAccessKeyInput) (*iamapi.DeleteAccessKeyOutput, error) {
	var v violations
	v.name("userName", in.UserName, maxExistingUserName)
	v.accessKeyID("accessKeyId", in.AccessKeyId)
	if err := v.err(); err != nil {
		return nil, err
	}
	o, err := keyOwnerOf(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.modifyKey(ctx, o, *in.AccessKeyId, func(tx *txn, ids *[]string, save func(), k *accessKeyRec) error {
		*ids, _ = removeString(*ids, k.ID)
		save()
		tx.del(key(tableKeys, k.ID))
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.lastUsed.forgetKey(*in.AccessKeyId)
	return &iamapi.DeleteAccessKeyOutput{}, nil
}

// GetAccessKeyLastUsed implements iamapi.API. A key never used reports
// ServiceName and Region "N/A" and no date, as IAM does.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, in *iamapi.GetAccessKeyLastUsedInput) (*iamapi.GetAccessKeyLastUsedOutput, error) {
	var v violations
	v.accessKeyID("accessKeyId", in.AccessKeyId)
	if err := v.err(); err != nil {
		return nil, err
	}
	rec, err := s.t.keys.Get(ctx, *in.AccessKeyId)
	if errors.Is(err, store.ErrNotFound) {
		return nil, keyNotFound(*in.AccessKeyId)
	}
	if err != nil {
		return nil, err
	}
	k := rec.Value
	out := &iamapi.GetAccessKeyLastUsedOutput{AccessKeyLastUsed: &iamapi.AccessKeyLastUsed{ServiceName: ptr("N/A"), Region: ptr("N/A")}}
	if !k.Root {
		out.UserName = ptr(k.User)
	}
	if lu := s.lastUsed.key(k.ID, k.LastUsed); lu != nil {
		out.AccessKeyLastUsed = &iamapi.AccessKeyLastUsed{LastUsedDate: ptr(lu.Date), ServiceName: ptr(lu.Service), Region: ptr(lu.Region)}
	}
	return out, nil
}

// EnsureRootAccessKey makes id (with secret) an active access key of the
// account root, if no access key with that id exists; created reports
// whether it was added. The control plane calls it at startup with the key
// it wrote to the credentials file. Root keys are not user keys: users'
// ListAccessKeys never shows them, and the two-key quota does not stop
// this bootstrap.
func (s *Service) EnsureRootAccessKey(ctx context.Context, id, secret string) (created bool, err error) {
	if len(id) < minAccessKeyID || len(id) > maxAccessKeyID || !reWord.MatchString(id) || secret == "" {
		return false, errors.New("iam: root access key id must be 16 to 128 word characters and the secret non-empty")
	}
	err = s.update(ctx, func(tx *txn) error {
		created = false
		k, err := getRec[accessKeyRec](tx, key(tableKeys, id))
		if err != nil || k != nil {
			return err
		}
		a, err := s.loadAccount(tx)
		if err != nil {
			return err
		}
		a.RootKeys = append(a.RootKeys, id)
		tx.put(key(tableAccount, accountID), a)
		tx.put(key(tableKeys, id), &accessKeyRec{ID: id, Secret: secret, Status: statusActive, Created: s.now(), Root: true})
		created = true
		return nil
	})
	return created, err
}

// RootAccessKey returns the account root's first access key; ErrNotFound
// when the root has none.
func (s *Service) RootAccessKey(ctx context.Context) (AccessKeyInfo, error) {
	rec, err := s.t.account.Get(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) || err == nil && len(rec.Value.RootKeys) == 0 {
		return AccessKeyInfo{}, notFound("root access key")
	}
	if err != nil {
		return AccessKeyInfo{}, err
	}
	return s.AccessKey(ctx, rec.Value.RootKeys[0])
}
