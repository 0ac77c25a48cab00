// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package hygiene

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// goFiles returns the non-generated Go files under internal/, cmd/ and tools/.
func goFiles(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	var files []string
	for _, dir := range []string{"internal", "cmd", "tools"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".go") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return files
}

func TestRepo_PackageDocInDocGo(t *testing.T) {
	pkgs := map[string][]string{} // dir → files with a package doc
	seen := map[string]bool{}
	for _, f := range goFiles(t) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		dir := filepath.Dir(f)
		seen[dir] = true
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if af.Doc != nil && strings.HasPrefix(af.Doc.Text(), "Package ") || af.Doc != nil && strings.HasPrefix(af.Doc.Text(), "Command ") {
			pkgs[dir] = append(pkgs[dir], filepath.Base(f))
		}
	}
	for dir := range seen {
		docs := pkgs[dir]
		if len(docs) != 1 {
			t.Errorf("%s: want exactly one package doc, found it in %v", dir, docs)
		}
	}
}

func TestRepo_SPDXHeader(t *testing.T) {
	for _, f := range goFiles(t) {
		if strings.HasSuffix(f, "_gen.go") {
			continue
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Scan()
		first := sc.Text()
		fh.Close()
		if !strings.HasPrefix(first, "// SPDX-License-Identifier: ") {
			t.Errorf("%s: first line %q is not an SPDX header", f, first)
		}
	}
}

func TestRepo_FileSizeBudget(t *testing.T) {
	for _, f := range goFiles(t) {
		if strings.HasSuffix(f, "_gen.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		limit := 800
		if strings.HasSuffix(f, "_test.go") {
			limit = 1200
		}
		if n := strings.Count(string(b), "\n"); n > limit {
			t.Errorf("%s: %d lines, over the %d-line budget: split it by concept", f, n, limit)
		}
	}
}

// TestRepo_AgentDeps keeps the agent a client of the control plane: it may
// reach it only over the wire.
func TestRepo_AgentDeps(t *testing.T) {
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "internal", "agent")); os.IsNotExist(err) {
		t.Skip("internal/agent does not exist yet; nothing to check")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/berthdev/berth/internal/agent/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deny := []string{"internal/controlplane", "internal/store", "internal/service/", "internal/gateway"}
	for _, dep := range strings.Fields(string(out)) {
		for _, d := range deny {
			if strings.Contains(dep, "github.com/berthdev/berth/"+d) {
				t.Errorf("the agent imports %s", dep)
			}
		}
	}
}
