// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsquery_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/protocol/awsquery"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

const getRoleBody = "Action=GetRole&Version=2010-05-08&RoleName=ecsInstanceRole"

func BenchmarkGetRole_Decode(b *testing.B) {
	svc := iamService()
	codec, op := awsquery.New(svc), svc.Operations["GetRole"]
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	body := []byte(getRoleBody)
	b.ReportAllocs()
	for b.Loop() {
		protocoltest.Rewind(r, body)
		if err := codec.DecodeInput(r, op, new(GetRoleRequest)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetRole_Encode encodes a GetRole answer: a role with a
// timestamp, a policy document, last-used data and three tags.
func BenchmarkGetRole_Encode(b *testing.B) {
	svc := iamService()
	codec, op := awsquery.New(svc), svc.Operations["GetRole"]
	role := testRole()
	role.Description = new(string)
	*role.Description = strings.Repeat("d", 64)
	role.Tags = append(role.Tags, Tag{Key: ptr("env"), Value: ptr("prod")}, Tag{Key: ptr("owner"), Value: ptr("alice")})
	out := &GetRoleResponse{Role: role}
	w := &protocoltest.DiscardWriter{H: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		if err := codec.EncodeOutput(w, op, out, "df37e965-9967-11e1-a4c3-270EXAMPLE04"); err != nil {
			b.Fatal(err)
		}
	}
}
