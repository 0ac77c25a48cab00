// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ec2_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ec2api"
	"github.com/berthdev/berth/internal/service/ec2"
)

func TestHost_JoinWorksOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids, tokens := f.run(t, 1, "web")
	const racers = 8
	var wg sync.WaitGroup
	results := make([]error, racers)
	secrets := make([]string, racers)
	for i := range racers {
		wg.Go(func() {
			res, err := f.svc.Join(ctx, ec2.JoinRequest{Token: tokens[0], Hostname: "h", PrivateIP: "10.1.2.3"})
			results[i] = err
			if err == nil {
				secrets[i] = res.HostSecret
			}
		})
	}
	wg.Wait()
	won := 0
	var secret string
	for i, err := range results {
		switch {
		case err == nil:
			won++
			secret = secrets[i]
		case !errors.Is(err, ec2.ErrInvalidJoinToken):
			t.Errorf("join %d: %v, want ErrInvalidJoinToken", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d joins succeeded with one token, want exactly 1", won)
	}
	host, err := f.svc.AuthenticateHost(ctx, ids[0], secret)
	if err != nil {
		t.Fatalf("AuthenticateHost: %v", err)
	}
	if diff := cmp.Diff(&ec2.Host{InstanceID: ids[0], AssociationID: host.AssociationID, ProfileARN: profileARN("web"), ProfileID: "AIPAWEB"}, host); diff != "" || !strings.HasPrefix(host.AssociationID, "iip-assoc-") {
		t.Errorf("host (-want +got):\n%s", diff)
	}
	out, err := f.svc.DescribeInstances(ctx, &ec2api.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	if i := out.Reservations[0].Instances[0]; *i.State.Name != "running" || aws.ToString(i.PrivateIpAddress) != "10.1.2.3" || aws.ToString(i.PrivateDnsName) != "h" {
		t.Errorf("joined instance = %+v", i)
	}
}

func TestHost_JoinRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids, tokens := f.run(t, 3, "")
	_, secret, _ := strings.Cut(tokens[0], ".")
	f.clock.Advance(ec2.DefaultJoinTokenTTL + time.Second)
	tests := []struct {
		name  string
		token string
	}{
		{"expired", tokens[1]},
		{"wrong secret", ids[0] + ".not-the-secret"},
		{"secret of another instance", ids[2] + "." + secret},
		{"no instance id", secret},
		{"unknown instance", "i-0000000000000000f." + secret},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.svc.Join(ctx, ec2.JoinRequest{Token: tc.token}); !errors.Is(err, ec2.ErrInvalidJoinToken) {
				t.Errorf("Join = %v, want ErrInvalidJoinToken", err)
			}
		})
	}
}

func TestHost_JoinBadPrivateIP(t *testing.T) {
	f := newFixture(t)
	_, tokens := f.run(t, 1, "")
	_, err := f.svc.Join(context.Background(), ec2.JoinRequest{Token: tokens[0], PrivateIP: "not-an-ip"})
	if !errors.Is(err, ec2.ErrBadJoinRequest) {
		t.Fatalf("Join = %v, want ErrBadJoinRequest", err)
	}
	f.join(t, tokens[0]) // the token was not spent
}

func TestHost_Authenticate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids, tokens := f.run(t, 2, "")
	res := f.join(t, tokens[0])
	tests := []struct {
		name, id, secret string
		ok               bool
	}{
		{"right secret", res.InstanceID, res.HostSecret, true},
		{"wrong secret", res.InstanceID, res.HostSecret + "x", false},
		{"join token is not the host secret", res.InstanceID, strings.SplitN(tokens[0], ".", 2)[1], false},
		{"pending instance", ids[1], res.HostSecret, false},
		{"empty secret", res.InstanceID, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.AuthenticateHost(ctx, tc.id, tc.secret)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ec2.ErrHostUnauthorized)) {
				t.Errorf("AuthenticateHost = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestHost_IdentityDocument(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids, tokens := f.run(t, 2, "web")
	res := f.join(t, tokens[0])
	doc, sig, err := f.svc.IdentityDocument(ctx, res.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"accountId": account, "architecture": "x86_64", "availabilityZone": "us-east-1a", "billingProducts": nil,
		"devpayProductCodes": nil, "marketplaceProductCodes": nil, "imageId": ec2.ImageID, "instanceId": res.InstanceID,
		"instanceType": ec2.InstanceType, "kernelId": nil, "pendingTime": "2024-05-06T07:08:09Z", "privateIp": "10.0.0.5",
		"ramdiskId": nil, "region": region, "version": "2017-09-30",
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("document (-want +got):\n%s", diff)
	}
	other, otherSig, err := f.svc.IdentityDocument(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, sig string
		wantID         string
	}{
		{"valid", doc, sig, res.InstanceID},
		{"tampered document", strings.Replace(doc, res.InstanceID, ids[1], 1), sig, ""},
		{"signature of another document", doc, otherSig, ""},
		{"signature not base64", doc, "%%%", ""},
		{"empty", "", "", ""},
		{"other valid document", other, otherSig, ids[1]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := f.svc.VerifyIdentityDocument(tc.doc, tc.sig)
			if tc.wantID != "" {
				if err != nil || id != tc.wantID {
					t.Fatalf("VerifyIdentityDocument = %q, %v; want %s", id, err, tc.wantID)
				}
				return
			}
			if !errors.Is(err, ec2.ErrInvalidIdentity) {
				t.Fatalf("VerifyIdentityDocument = %q, %v; want ErrInvalidIdentity", id, err)
			}
		})
	}
	if _, err := f.svc.TerminateInstances(ctx, &ec2api.TerminateInstancesInput{InstanceIds: []string{res.InstanceID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.VerifyIdentityDocument(doc, sig); !errors.Is(err, ec2.ErrInvalidIdentity) {
		t.Errorf("the document of a terminated instance verifies: %v", err)
	}
	if pem, err := f.svc.IdentityPublicKey(ctx); err != nil || !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("IdentityPublicKey = %q, %v", pem, err)
	}
}
