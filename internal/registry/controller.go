// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package registry

import (
	"net/http"

	"github.com/distribution/distribution/v3/registry/auth"
)

// accessControllerName is the distribution access controller berth
// registers. It does no authentication of its own: it admits the requests
// accessHandler authorized (their context carries admittedKey) and
// challenges every other, so distribution's app is never open even if it
// were reached without the wrapper.
const accessControllerName = "berth"

func init() {
	if err := auth.Register(accessControllerName, func(map[string]any) (auth.AccessController, error) {
		return admitController{}, nil
	}); err != nil {
		panic(err)
	}
}

type admitController struct{}

func (admitController) Authorized(req *http.Request, _ ...auth.Access) (*auth.Grant, error) {
	arn, ok := req.Context().Value(admittedKey{}).(string)
	if !ok {
		return nil, basicChallenge{}
	}
	return &auth.Grant{User: auth.UserInfo{Name: arn}}, nil
}

// basicChallenge is distribution's 401 for a request that bypassed
// accessHandler.
type basicChallenge struct{}

func (basicChallenge) Error() string { return "registry: request not authorized by berth" }

func (basicChallenge) SetHeaders(_ *http.Request, w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="berth"`)
}
