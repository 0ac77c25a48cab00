// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package cedarbench

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/cedar-policy/cedar-go"
)

type statement struct {
	Effect    string                                `json:"Effect"`
	Action    stringOrList                          `json:"Action"`
	Resource  stringOrList                          `json:"Resource"`
	Condition map[string]map[string]json.RawMessage `json:"Condition"`
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*s = many
	return err
}

type fixture struct {
	Policies []struct {
		Statement []statement `json:"Statement"`
	} `json:"policies"`
	Request struct {
		Action   string            `json:"action"`
		Resource string            `json:"resource"`
		Context  map[string]string `json:"context"`
	} `json:"request"`
	Expect string `json:"expect"`
}

// ipKeys are the context keys compared with IpAddress: they are passed to
// Cedar as ipaddr values.
var ipKeys = map[string]bool{"aws:sourceip": true}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// translate renders one IAM statement as a Cedar policy.
func translate(st statement) (string, error) {
	effect := "permit"
	if st.Effect == "Deny" {
		effect = "forbid"
	}
	var conds []string
	scope := "action"
	exact := true
	for _, a := range st.Action {
		exact = exact && !strings.ContainsAny(a, "*?")
	}
	if exact {
		var uids []string
		for _, a := range st.Action {
			uids = append(uids, "Action::"+quote(strings.ToLower(a)))
		}
		scope = "action in [" + strings.Join(uids, ", ") + "]"
	} else {
		var ors []string
		for _, a := range st.Action {
			ors = append(ors, "context.action like "+quote(strings.ToLower(a)))
		}
		conds = append(conds, "("+strings.Join(ors, " || ")+")")
	}
	if len(st.Resource) > 0 && st.Resource[0] != "*" {
		var ors []string
		for _, r := range st.Resource {
			ors = append(ors, "context.resource like "+quote(r))
		}
		conds = append(conds, "("+strings.Join(ors, " || ")+")")
	}
	ops := make([]string, 0, len(st.Condition))
	for op := range st.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		for key, raw := range st.Condition[op] {
			var vals stringOrList
			if err := json.Unmarshal(raw, &vals); err != nil {
				return "", err
			}
			k := strings.ToLower(key)
			attr := "context[" + quote(k) + "]"
			has := "context has " + quote(k)
			var ors []string
			for _, v := range vals {
				switch op {
				case "StringEquals", "StringNotEquals", "Bool":
					ors = append(ors, attr+" == "+quote(v))
				case "StringLike":
					ors = append(ors, attr+" like "+quote(v))
				case "IpAddress":
					ors = append(ors, attr+".isInRange(ip("+quote(v)+"))")
				default:
					return "", fmt.Errorf("operator %s not translated", op)
				}
			}
			any := "(" + strings.Join(ors, " || ") + ")"
			if op == "StringNotEquals" {
				conds = append(conds, "(!("+has+") || !"+any+")")
			} else {
				conds = append(conds, "("+has+" && "+any+")")
			}
		}
	}
	when := ""
	if len(conds) > 0 {
		when = " when { " + strings.Join(conds, " && ") + " }"
	}
	return fmt.Sprintf("%s (principal, %s, resource)%s;", effect, scope, when), nil
}

func load(tb testing.TB) (*cedar.PolicySet, cedar.Request, string) {
	tb.Helper()
	b, err := os.ReadFile("testdata/policyset.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatal(err)
	}
	var src strings.Builder
	n := 0
	for _, p := range f.Policies {
		for _, st := range p.Statement {
			c, err := translate(st)
			if err != nil {
				tb.Fatal(err)
			}
			src.WriteString(c + "\n")
			n++
		}
	}
	if n != 100 {
		tb.Fatalf("translated %d statements, want 100", n)
	}
	ps, err := cedar.NewPolicySetFromBytes("policyset.cedar", []byte(src.String()))
	if err != nil {
		tb.Fatalf("%v\n%s", err, src.String())
	}
	rec := cedar.RecordMap{
		"action":   cedar.String(strings.ToLower(f.Request.Action)),
		"resource": cedar.String(f.Request.Resource),
	}
	for k, v := range f.Request.Context {
		k = strings.ToLower(k)
		if ipKeys[k] {
			a, err := netip.ParseAddr(v)
			if err != nil {
				tb.Fatal(err)
			}
			rec[cedar.String(k)] = cedar.IPAddr(netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		rec[cedar.String(k)] = cedar.String(v)
	}
	req := cedar.Request{
		Principal: cedar.NewEntityUID("Principal", cedar.String("arn:aws:sts::111122223333:assumed-role/deployer/ci")),
		Action:    cedar.NewEntityUID("Action", cedar.String(strings.ToLower(f.Request.Action))),
		Resource:  cedar.NewEntityUID("Resource", cedar.String(f.Request.Resource)),
		Context:   cedar.NewRecord(rec),
	}
	return ps, req, f.Expect
}

func TestCedar_SameDecision(t *testing.T) {
	ps, req, want := load(t)
	got, diag := cedar.Authorize(ps, cedar.EntityMap{}, req)
	if len(diag.Errors) > 0 {
		t.Fatalf("cedar errors: %v", diag.Errors)
	}
	if (got == cedar.Allow) != (want == "allowed") {
		t.Fatalf("cedar decision %v, fixture expects %s", got, want)
	}
	t.Logf("cedar: %v by %d policies", got, len(diag.Reasons))
}

// BenchmarkCedar_10Policies100Statements is the cedar-go counterpart of
// internal/iam/policy's BenchmarkEvaluate_10Policies100Statements.
func BenchmarkCedar_10Policies100Statements(b *testing.B) {
	ps, req, _ := load(b)
	entities := cedar.EntityMap{}
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := cedar.Authorize(ps, entities, req); d != cedar.Allow {
			b.Fatal("not allowed")
		}
	}
}
