// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package controlplane_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/iam/actionmap"
	"github.com/berthdev/berth/internal/testutil"
)

// TestEC2_EveryModelledOperationAnswers sends every operation of the EC2
// model (generated or not) with an empty input, signed by the root. Each
// must map to an IAM action and answer a client error, a success, or 501
// NotImplemented naming the operation; never a 500.
func TestEC2_EveryModelledOperationAnswers(t *testing.T) {
	cp := testutil.TestControlPlane(t)
	id, secret := cp.RootCredentials()
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	def := ec2api.Definition
	names := make([]string, 0, len(def.Operations))
	for n := range def.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if _, ok := actionmap.ForOperation("ec2", name); !ok {
				t.Errorf("ec2:%s has no IAM action", name)
			}
			op := def.Operations[name]
			req := emptyRequest(t, cp.URL, def, op)
			sum := sha256.Sum256([]byte(requestBody(def, op)))
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ec2", testutil.Region, time.Now()); err != nil {
				t.Fatal(err)
			}
			req.RemoteAddr = "127.0.0.1:40000"
			w := httptest.NewRecorder()
			cp.Handler().ServeHTTP(w, req)
			code, msg := errorOf(def, w)
			switch {
			case w.Code == http.StatusNotImplemented:
				if code != "NotImplemented" || !strings.Contains(msg, name) {
					t.Fatalf("501 with %s %q, want NotImplemented naming %s", code, msg, name)
				}
			case w.Code >= 500:
				t.Fatalf("answered %d: %s", w.Code, w.Body.String())
			}
		})
	}
}
