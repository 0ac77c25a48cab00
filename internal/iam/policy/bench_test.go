// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// benchFixture is the policy set shared with the cedar-go comparison in
// bench/cedar (a separate module), so both engines judge the same request
// against the same 10 policies of 10 statements.
var benchFixture = filepath.Join("..", "..", "..", "bench", "cedar", "testdata", "policyset.json")

type fixture struct {
	Principal corpusPrincipal   `json:"principal"`
	Policies  []json.RawMessage `json:"policies"`
	Request   struct {
		Action   string            `json:"action"`
		Resource string            `json:"resource"`
		Context  map[string]string `json:"context"`
	} `json:"request"`
	Expect string `json:"expect"`
}

func loadFixture(tb testing.TB) (*Input, string) {
	tb.Helper()
	b, err := os.ReadFile(benchFixture)
	if err != nil {
		tb.Fatalf("fixture: %v", err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatal(err)
	}
	in := &Input{Action: f.Request.Action, Resource: f.Request.Resource, Context: &Context{}}
	in.Principal = Principal{Type: PrincipalRoleSession, ARN: f.Principal.ARN, Account: f.Principal.Account, RoleARN: f.Principal.RoleARN}
	for _, raw := range f.Policies {
		p, err := Parse(string(raw), KindManaged)
		if err != nil {
			tb.Fatal(err)
		}
		in.Identity = append(in.Identity, Compile(p))
	}
	for k, v := range f.Request.Context {
		in.Context.Set(k, v)
	}
	return in, f.Expect
}

func TestFixture_DecisionAndAllocs(t *testing.T) {
	in, want := loadFixture(t)
	stmts := 0
	for _, c := range in.Identity {
		stmts += len(c.stmts)
	}
	if len(in.Identity) != 10 || stmts != 100 {
		t.Fatalf("fixture has %d policies, %d statements", len(in.Identity), stmts)
	}
	if got := Evaluate(in).Decision.String(); got != want {
		t.Fatalf("decision = %s, want %s", got, want)
	}
	if allocs := testing.AllocsPerRun(200, func() { Evaluate(in) }); allocs != 0 {
		t.Errorf("Evaluate allocates %v times per call", allocs)
	}
}

// BenchmarkEvaluate_10Policies100Statements is the design target: one
// decision for a principal with 10 attached policies totalling 100
// statements, under 2 µs and without allocations.
func BenchmarkEvaluate_10Policies100Statements(b *testing.B) {
	in, _ := loadFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		if Evaluate(in).Decision != Allowed {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkEvaluate_Denied measures the slowest common path: nothing
// matches, so every candidate statement is examined.
func BenchmarkEvaluate_Denied(b *testing.B) {
	in, _ := loadFixture(b)
	in.Resource = "arn:aws:ecs:us-east-1:111122223333:task-definition/other:1"
	b.ReportAllocs()
	for b.Loop() {
		if Evaluate(in).Decision != ImplicitDeny {
			b.Fatal("not denied")
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	in, _ := loadFixture(b)
	p := in.Identity[0].Policy()
	b.ReportAllocs()
	for b.Loop() {
		Compile(p)
	}
}

func BenchmarkParse(b *testing.B) {
	in, _ := loadFixture(b)
	doc := in.Identity[0].Policy().Document
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, KindManaged); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEvaluate_ConcurrentReuse evaluates shared compiled policies from
// several goroutines, each with its own pooled Input, as the gateway does.
// Run with -race.
func TestEvaluate_ConcurrentReuse(t *testing.T) {
	base, _ := loadFixture(t)
	actions := []string{"ecs:RunTask", "ecs:DescribeClusters", "ecr:BatchGetImage", "s3:GetObject", "ECS:SubmitTaskStateChange"}
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			in := &Input{}
			for i := range 200 {
				in.Reset()
				in.Principal, in.Identity, in.Context = base.Principal, base.Identity, base.Context
				in.Action = actions[(g+i)%len(actions)]
				in.Resource = base.Resource
				r := Evaluate(in)
				if in.Action == "ecs:RunTask" && r.Decision != Allowed {
					t.Errorf("RunTask: %v", r.Decision)
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	in := &Input{}
	allocs := testing.AllocsPerRun(100, func() {
		for _, a := range actions {
			in.Reset()
			in.Principal, in.Identity, in.Context = base.Principal, base.Identity, base.Context
			in.Action, in.Resource = a, base.Resource
			Evaluate(in)
		}
	})
	if allocs != 0 {
		t.Errorf("steady-state evaluation with a reused Input allocates %v times", allocs)
	}
}
