// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecrauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"
)

// APIError is an error answer of the ECR API: its code and message, as
// ECS shows them in a stoppedReason.
type APIError struct {
	Code    string // e.g. AccessDeniedException
	Message string
	Err     error // the SDK's error
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

func (e *APIError) Unwrap() error { return e.Err }

// token is one decoded authorization token.
type token struct {
	username, password string
	serverAddress      string // the proxy endpoint's host
	expiresAt          time.Time
}

// getAuthorizationToken calls ECR GetAuthorizationToken at endpoint in
// region with provider's credentials and decodes the first answer. (The
// token covers every registry the caller may reach, so no registryIds
// are sent: the SDK deprecates them.)
func getAuthorizationToken(ctx context.Context, hc *http.Client, endpoint, region string, provider aws.CredentialsProvider) (token, error) {
	client := ecr.New(ecr.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: provider, HTTPClient: hc})
	out, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return token{}, &APIError{Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Err: err}
		}
		return token{}, fmt.Errorf("ecrauth: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return token{}, errors.New("ecrauth: GetAuthorizationToken returned no authorization data")
	}
	d := out.AuthorizationData[0]
	return decodeToken(aws.ToString(d.AuthorizationToken), aws.ToTime(d.ExpiresAt), aws.ToString(d.ProxyEndpoint))
}

func decodeToken(tok string, expiresAt time.Time, proxy string) (token, error) {
	plain, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return token{}, fmt.Errorf("ecrauth: authorization token is not base64: %w", err)
	}
	user, pass, ok := strings.Cut(string(plain), ":")
	if !ok || user == "" || pass == "" {
		return token{}, errors.New("ecrauth: authorization token is not user:password")
	}
	if expiresAt.IsZero() {
		return token{}, errors.New("ecrauth: authorization token without expiresAt")
	}
	t := token{username: user, password: pass, expiresAt: expiresAt, serverAddress: proxy}
	if u, err := url.Parse(proxy); err == nil && u.Host != "" {
		t.serverAddress = u.Host
	}
	return t, nil
}
