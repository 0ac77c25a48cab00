// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseEvaluate feeds arbitrary documents and requests through the whole
// pipeline. Parse must either return a *ValidationError or a policy that
// compiles and evaluates without panicking, for every policy kind and role.
func FuzzParseEvaluate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var groups []corpusGroup
		if err := json.Unmarshal(b, &groups); err != nil {
			f.Fatal(err)
		}
		for _, g := range groups {
			docs := append(append([]json.RawMessage{}, g.Identity...), g.Session...)
			if g.Resource != nil {
				docs = append(docs, g.Resource)
			}
			for _, d := range docs {
				c := g.Cases[0]
				f.Add(string(d), c.Action, c.Resource, "aws:username", "alice", uint8(len(g.Cases)))
			}
		}
	}
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:username, 'x'}/${*}${?}${$}"}}`, "s3:GetObject", "arn:aws:s3:::x/*?$", "aws:username", "", uint8(0))
	f.Fuzz(func(t *testing.T, doc, action, resource, key, value string, sel uint8) {
		kind := Kind(sel%6) + KindIdentity
		p, err := Parse(doc, kind)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Message == "" {
				t.Fatalf("Parse error %v is not a ValidationError", err)
			}
			return
		}
		c := Compile(p)
		ContextKeys(p)
		ctx := &Context{}
		ctx.Set(key, value)
		ctx.Add(key, resource)
		ctx.Set("aws:SourceIp", value)
		ctx.Set("aws:CurrentTime", value)
		principals := []Principal{
			{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/" + value, Account: "111122223333"},
			{Type: PrincipalRoleSession, ARN: "arn:aws:sts::111122223333:assumed-role/r/" + value, Account: "111122223333", RoleARN: "arn:aws:iam::111122223333:role/r"},
			{Type: PrincipalRoot, ARN: "arn:aws:iam::444455556666:root", Account: "444455556666"},
			{Type: PrincipalService, ARN: value},
			{Type: PrincipalAnonymous},
		}
		for i, pr := range principals {
			in := &Input{Principal: pr, Action: action, Resource: resource, Context: ctx, ResourceAccount: "111122223333"}
			switch {
			case kind == KindResource || kind == KindTrust:
				in.ResourcePolicy = c
				in.Identity = []*Compiled{c}
			case i%2 == 0:
				in.Identity = []*Compiled{c, c}
				in.Boundary = c
			default:
				in.Identity = []*Compiled{c}
				in.Session = []*Compiled{c}
			}
			r := Evaluate(in)
			if r.Decision > ExplicitDeny || r.DecidedBy > TypeSession {
				t.Fatalf("bad result %+v", r)
			}
			if r.Decision == Allowed && AccessDeniedMessage(in, r) != "" {
				t.Fatal("message for an allowed request")
			}
			if r.Decision != Allowed && AccessDeniedMessage(in, r) == "" {
				t.Fatal("no message for a denied request")
			}
		}
	})
}
