// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package iam

import (
	"context"
	"errors"
	"net/http"

	"github.com/berthdev/berth/internal/awsapi/iamapi"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/principal"
	"github.com/berthdev/berth/internal/store"
)

func loginNotFound(user string) error {
	return noSuchEntity("Login Profile for User %s cannot be found.", user)
}

func toLoginProfile(u *userRec) *iamapi.LoginProfile {
	return &iamapi.LoginProfile{UserName: ptr(u.Name), CreateDate: ptr(u.Login.Created), PasswordResetRequired: ptr(u.Login.ResetRequired)}
}

// password validates a password member against the model (without echoing
// it, as AWS does for sensitive members).
func (v *violations) password(field string, pw *string) {
	if pw == nil {
		return
	}
	n := len([]rune(*pw))
	if n < 1 {
		v.add(field, nil, "Member must have length greater than or equal to 1")
	}
	if n > maxPassword {
		v.add(field, nil, "Member must have length less than or equal to 128")
	}
	v.runes(field, pw, false, isDocumentRune, patPassword)
}

// passwordPolicy returns the account's password policy, nil if none.
func (s *Service) passwordPolicy(tx *txn) (*passwordPolicyRec, error) {
	a, err := getRec[accountRec](tx, key(tableAccount, accountID))
	if err != nil || a == nil {
		return nil, err
	}
	return a.PasswordPolicy, nil
}

// CreateLoginProfile implements iamapi.API: a console password for a user,
// checked against the account password policy and stored as a salted hash.
func (s *Service) CreateLoginProfile(ctx context.Context, in *iamapi.CreateLoginProfileInput) (*iamapi.CreateLoginProfileOutput, error) {
	var v violations
	v.requiredName("userName", in.UserName, maxUserName)
	v.required("password", in.Password)
	v.password("password", in.Password)
	if err := v.err(); err != nil {
		return nil, err
	}
	hash := hashPassword(*in.Password)
	u, err := s.modifyUser(ctx, *in.UserName, func(tx *txn, u *userRec) error {
		if u.Login != nil {
			return alreadyExists("Login Profile for user %s already exists.", u.Name)
		}
		pp, err := s.passwordPolicy(tx)
		if err != nil {
			return err
		}
		if err := checkPassword(pp, *in.Password); err != nil {
			return err
		}
		u.Login = &loginRec{Hash: hash, Created: s.now(), ResetRequired: deref(in.PasswordResetRequired)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateLoginProfileOutput{LoginProfile: toLoginProfile(u)}, nil
}

// GetLoginProfile implements iamapi.API.
func (s *Service) GetLoginProfile(ctx context.Context, in *iamapi.GetLoginProfileInput) (*iamapi.GetLoginProfileOutput, error) {
	if err := requireName("userName", in.UserName, maxUserName); err != nil {
		return nil, err
	}
	var u *userRec
	if err := s.view(ctx, func(tx *txn) (err error) { u, err = loadUser(tx, *in.UserName); return err }); err != nil {
		return nil, err
	}
	if u.Login == nil {
		return nil, loginNotFound(u.Name)
	}
	return &iamapi.GetLoginProfileOutput{LoginProfile: toLoginProfile(u)}, nil
}

// UpdateLoginProfile implements iamapi.API: a new password and/or the
// reset flag.
func (s *Service) UpdateLoginProfile(ctx context.Context, in *iamapi.UpdateLoginProfileInput) (*iamapi.UpdateLoginProfileOutput, error) {
	var v violations
	v.requiredName("userName", in.UserName, maxUserName)
	v.password("password", in.Password)
	if err := v.err(); err != nil {
		return nil, err
	}
	var hash string
	if in.Password != nil {
		hash = hashPassword(*in.Password)
	}
	_, err := s.modifyUser(ctx, *in.UserName, func(tx *txn, u *userRec) error {
		if u.Login == nil {
			return loginNotFound(u.Name)
		}
		if in.Password != nil {
			pp, err := s.passwordPolicy(tx)
			if err != nil {
				return err
			}
			if err := checkPassword(pp, *in.Password); err != nil {
				return err
			}
			u.Login.Hash = hash
		}
		if in.PasswordResetRequired != nil {
			u.Login.ResetRequired = *in.PasswordResetRequired
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateLoginProfileOutput{}, nil
}

// DeleteLoginProfile implements iamapi.API.
func (s *Service) DeleteLoginProfile(ctx context.Context, in *iamapi.DeleteLoginProfileInput) (*iamapi.DeleteLoginProfileOutput, error) {
	if err := requireName("userName", in.UserName, maxUserName); err != nil {
		return nil, err
	}
	_, err := s.modifyUser(ctx, *in.UserName, func(_ *txn, u *userRec) error {
		if u.Login == nil {
			return loginNotFound(u.Name)
		}
		u.Login = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteLoginProfileOutput{}, nil
}

// ChangePassword implements iamapi.API: the calling IAM user changes its
// own console password, proving the old one.
func (s *Service) ChangePassword(ctx context.Context, in *iamapi.ChangePasswordInput) (*iamapi.ChangePasswordOutput, error) {
	var v violations
	v.required("oldPassword", in.OldPassword)
	v.password("oldPassword", in.OldPassword)
	v.required("newPassword", in.NewPassword)
	v.password("newPassword", in.NewPassword)
	if err := v.err(); err != nil {
		return nil, err
	}
	p := principal.FromContext(ctx)
	if p == nil || p.Kind != principal.User {
		return nil, iamapi.ErrInvalidUserType("Only IAM users can change their own password.")
	}
	hash := hashPassword(*in.NewPassword)
	_, err := s.modifyUser(ctx, p.Name, func(tx *txn, u *userRec) error {
		if u.Login == nil {
			return loginNotFound(u.Name)
		}
		if !checkPasswordHash(u.Login.Hash, *in.OldPassword) {
			return awserr.New(awserr.CodeAccessDenied, http.StatusForbidden, "The old password was incorrect.")
		}
		pp, err := s.passwordPolicy(tx)
		if err != nil {
			return err
		}
		if err := checkPassword(pp, *in.NewPassword); err != nil {
			return err
		}
		u.Login.Hash = hash
		u.Login.ResetRequired = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ChangePasswordOutput{}, nil
}

// CheckPassword reports whether password is userName's console password,
// for a console sign-in; a user without a login profile has none. An
// unknown user is an error wrapping ErrNotFound.
func (s *Service) CheckPassword(ctx context.Context, userName, password string) (bool, error) {
	rec, err := s.t.users.Get(ctx, nameKey(userName))
	if errors.Is(err, store.ErrNotFound) {
		return false, notFound("user %s", userName)
	}
	if err != nil {
		return false, err
	}
	u := rec.Value
	return u.Login != nil && checkPasswordHash(u.Login.Hash, password), nil
}
