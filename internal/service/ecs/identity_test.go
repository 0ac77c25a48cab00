// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// fakeIdentity verifies documents the way the EC2 service does, with a
// fixed table: doc → signature → instance id.
type fakeIdentity struct {
	docs  map[string]string // document → its valid signature
	ids   map[string]string // document → instance id
	fail  error             // returned for every document when set
	calls int
}

func (f *fakeIdentity) VerifyIdentityDocument(doc, sig string) (string, error) {
	f.calls++
	if f.fail != nil {
		return "", f.fail
	}
	if want, ok := f.docs[doc]; !ok || want != sig {
		return "", fmt.Errorf("%w: signature does not verify", ErrInvalidIdentity)
	}
	return f.ids[doc], nil
}

func withIdentity(v IdentityVerifier) envOpt { return func(_ *Config, d *Deps) { d.Identity = v } }

func TestService_RegisterContainerInstance_IdentityDocument(t *testing.T) {
	good := agentRegistration("c1")
	doc := deref(good.InstanceIdentityDocument)
	fake := &fakeIdentity{docs: map[string]string{doc: "c2ln"}, ids: map[string]string{doc: "i-0123456789abcdef0"}}
	tests := []struct {
		name     string
		mod      func(*ecsapi.RegisterContainerInstanceInput)
		require  bool
		fail     error
		wantCode string
		wantMsg  string
	}{
		{name: "valid document", mod: func(*ecsapi.RegisterContainerInstanceInput) {}},
		{name: "bad signature", mod: func(in *ecsapi.RegisterContainerInstanceInput) {
			in.InstanceIdentityDocumentSignature = ptr("Zm9yZ2Vk")
		},
			wantCode: "ClientException", wantMsg: msgInvalidIdentity},
		{name: "document without signature", mod: func(in *ecsapi.RegisterContainerInstanceInput) { in.InstanceIdentityDocumentSignature = nil },
			wantCode: "ClientException", wantMsg: msgInvalidIdentity},
		{name: "tampered document", mod: func(in *ecsapi.RegisterContainerInstanceInput) {
			in.InstanceIdentityDocument = ptr(`{"instanceId":"i-0fffffffffffffff0","region":"us-east-1"}`)
		}, wantCode: "ClientException", wantMsg: msgInvalidIdentity},
		{name: "signature without document", mod: func(in *ecsapi.RegisterContainerInstanceInput) { in.InstanceIdentityDocument = nil },
			wantCode: "ClientException", wantMsg: msgInvalidIdentity},
		{name: "no document accepted by default", mod: func(in *ecsapi.RegisterContainerInstanceInput) {
			in.InstanceIdentityDocument, in.InstanceIdentityDocumentSignature = nil, nil
		}},
		{name: "no document refused when required", require: true, mod: func(in *ecsapi.RegisterContainerInstanceInput) {
			in.InstanceIdentityDocument, in.InstanceIdentityDocumentSignature = nil, nil
		}, wantCode: "ClientException", wantMsg: msgIdentityRequired},
		{name: "verifier failure is a server error", fail: errors.New("store down"), mod: func(*ecsapi.RegisterContainerInstanceInput) {},
			wantCode: "ServerException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake.fail = tc.fail
			e := newEnv(t, withIdentity(fake), func(c *Config, _ *Deps) { c.RequireIdentityDocument = tc.require })
			e.cluster("c1")
			in := agentRegistration("c1")
			tc.mod(in)
			out, err := e.s.RegisterContainerInstance(e.ctx, in)
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode, tc.wantMsg)
				list := must[*ecsapi.ListContainerInstancesOutput](t)(e.s.ListContainerInstances(e.ctx, &ecsapi.ListContainerInstancesInput{Cluster: ptr("c1")}))
				if len(list.ContainerInstanceArns) != 0 {
					t.Errorf("a refused registration registered %v", list.ContainerInstanceArns)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.InstanceIdentityDocument != nil && deref(out.ContainerInstance.Ec2InstanceId) != "i-0123456789abcdef0" {
				t.Errorf("ec2InstanceId = %s, want the verified document's", deref(out.ContainerInstance.Ec2InstanceId))
			}
		})
	}
	if fake.calls == 0 {
		t.Error("the verifier was never asked")
	}
}

// TestService_RegisterContainerInstance_ClientToken: the agent retries a
// registration with the same clientToken and gets the same instance; a
// new token registers another.
func TestService_RegisterContainerInstance_ClientToken(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	in := agentRegistration("c1")
	in.ClientToken = ptr("5f6a2c7e-1b2d-4c3e-8f9a-0b1c2d3e4f50")
	first := must[*ecsapi.RegisterContainerInstanceOutput](t)(e.s.RegisterContainerInstance(e.ctx, in))
	again := must[*ecsapi.RegisterContainerInstanceOutput](t)(e.s.RegisterContainerInstance(e.ctx, in))
	if a, b := deref(first.ContainerInstance.ContainerInstanceArn), deref(again.ContainerInstance.ContainerInstanceArn); a != b {
		t.Errorf("a retried registration registered %s besides %s", b, a)
	}
	in.ClientToken = ptr("another")
	other := must[*ecsapi.RegisterContainerInstanceOutput](t)(e.s.RegisterContainerInstance(e.ctx, in))
	if deref(other.ContainerInstance.ContainerInstanceArn) == deref(first.ContainerInstance.ContainerInstanceArn) {
		t.Error("a new clientToken returned the earlier instance")
	}
	list := must[*ecsapi.ListContainerInstancesOutput](t)(e.s.ListContainerInstances(e.ctx, &ecsapi.ListContainerInstancesInput{Cluster: ptr("c1")}))
	if len(list.ContainerInstanceArns) != 2 {
		t.Errorf("%d instances registered, want 2", len(list.ContainerInstanceArns))
	}
}
