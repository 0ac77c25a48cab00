// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusGroup is a set of policies and the requests judged against them.
// The corpus lives in testdata/*.json; each group cites the AWS
// documentation page its policies come from.
type corpusGroup struct {
	Name         string            `json:"name"`
	Source       string            `json:"source"`
	Version      string            `json:"version"` // applied to policies written without Version
	Identity     []json.RawMessage `json:"identity"`
	Boundary     json.RawMessage   `json:"boundary"`
	Session      []json.RawMessage `json:"session"`
	HasSession   bool              `json:"hasSession"` // session policies present even if empty
	Resource     json.RawMessage   `json:"resource"`
	ResourceKind string            `json:"resourceKind"`
	Principal    *corpusPrincipal  `json:"principal"`
	Cases        []corpusCase      `json:"cases"`
}

type corpusPrincipal struct {
	Type    string `json:"type"`
	ARN     string `json:"arn"`
	Account string `json:"account"`
	RoleARN string `json:"roleArn"`
	UserARN string `json:"userArn"`
}

type corpusCase struct {
	Name            string                     `json:"name"`
	Principal       *corpusPrincipal           `json:"principal"`
	Action          string                     `json:"action"`
	Resource        string                     `json:"resource"`
	ResourceAccount string                     `json:"resourceAccount"`
	Context         map[string]json.RawMessage `json:"context"`
	Expect          string                     `json:"expect"`
	By              string                     `json:"by"`
	Matched         []string                   `json:"matched"`
	Missing         []string                   `json:"missing"`
	Message         string                     `json:"message"`
}

var defaultPrincipal = corpusPrincipal{Type: "User", ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"}

func (p corpusPrincipal) principal(t *testing.T) Principal {
	types := map[string]PrincipalType{"Anonymous": PrincipalAnonymous, "Root": PrincipalRoot, "User": PrincipalUser,
		"RoleSession": PrincipalRoleSession, "FederatedUser": PrincipalFederatedUser, "Service": PrincipalService, "WebIdentity": PrincipalWebIdentity}
	typ, ok := types[p.Type]
	if !ok {
		t.Fatalf("unknown principal type %q", p.Type)
	}
	return Principal{Type: typ, ARN: p.ARN, Account: p.Account, RoleARN: p.RoleARN, UserARN: p.UserARN}
}

func mustCompile(t testing.TB, raw json.RawMessage, kind Kind, version string) *Compiled {
	t.Helper()
	doc := string(raw)
	if version != "" && !strings.Contains(doc, `"Version"`) {
		doc = `{"Version":"` + version + `",` + strings.TrimPrefix(strings.TrimSpace(doc), "{")
	}
	p, err := Parse(doc, kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return Compile(p)
}

func loadCorpus(t *testing.T) map[string][]corpusGroup {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	out := map[string][]corpusGroup{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var groups []corpusGroup
		if err := json.Unmarshal(b, &groups); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = groups
	}
	return out
}

func TestCorpus(t *testing.T) {
	total := 0
	for file, groups := range loadCorpus(t) {
		for _, g := range groups {
			if g.Source == "" {
				t.Errorf("%s: group %q has no source", file, g.Name)
			}
			for _, c := range g.Cases {
				total++
				t.Run(file+"/"+g.Name+"/"+c.Name, func(t *testing.T) { runCase(t, g, c) })
			}
		}
	}
	t.Logf("corpus: %d cases", total)
}

func runCase(t *testing.T, g corpusGroup, c corpusCase) {
	in := &Input{}
	for _, raw := range g.Identity {
		in.Identity = append(in.Identity, mustCompile(t, raw, KindIdentity, g.Version))
	}
	if g.Boundary != nil {
		in.Boundary = mustCompile(t, g.Boundary, KindBoundary, g.Version)
	}
	if g.HasSession || g.Session != nil {
		in.Session = []*Compiled{}
	}
	for _, raw := range g.Session {
		in.Session = append(in.Session, mustCompile(t, raw, KindSession, g.Version))
	}
	if g.Resource != nil {
		kind := KindResource
		if g.ResourceKind == "Trust" {
			kind = KindTrust
		}
		in.ResourcePolicy = mustCompile(t, g.Resource, kind, g.Version)
	}
	p := defaultPrincipal
	if g.Principal != nil {
		p = *g.Principal
	}
	if c.Principal != nil {
		p = *c.Principal
	}
	in.Principal = p.principal(t)
	in.Action, in.Resource, in.ResourceAccount = c.Action, c.Resource, c.ResourceAccount
	if in.Resource == "" {
		in.Resource = "*"
	}
	ctx := &Context{}
	for k, raw := range c.Context {
		var many []string
		if err := json.Unmarshal(raw, &many); err == nil {
			ctx.Set(k, many...)
			continue
		}
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			t.Fatalf("context %s: %v", k, err)
		}
		ctx.Set(k, one)
	}
	in.Context = ctx
	r := Evaluate(in)
	if got := r.Decision.String(); got != c.Expect {
		t.Fatalf("decision = %s (by %s, matched %v), want %s", got, r.DecidedBy, r.Matched, c.Expect)
	}
	if c.By != "" {
		if got := shortType(r.DecidedBy); got != c.By {
			t.Errorf("decided by %s, want %s", got, c.By)
		}
	}
	if c.Matched != nil {
		got := []string{}
		for _, m := range r.Matched {
			got = append(got, fmt.Sprintf("%s:%d:%d", shortType(m.Type), m.Policy, m.Statement))
		}
		if diff := cmp.Diff(c.Matched, got); diff != "" {
			t.Errorf("matched statements (-want +got):\n%s", diff)
		}
	}
	if c.Missing != nil {
		if diff := cmp.Diff(c.Missing, append([]string{}, r.MissingContextKeys...)); diff != "" {
			t.Errorf("missing keys (-want +got):\n%s", diff)
		}
	}
	if c.Message != "" {
		if got := AccessDeniedMessage(in, r); got != c.Message {
			t.Errorf("message = %q\nwant      %q", got, c.Message)
		}
	}
}

func shortType(t PolicyType) string {
	return [...]string{"none", "identity", "resource", "boundary", "session"}[t]
}
