// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Command awsgen generates berth's typed wire layer from the pinned AWS
// service models.
//
// For each service it reads models/apis/<service>/<version>/api-2.json
// (plus an optional overlay models/patches/<service>.json) and writes
// <out>/<service>api/{types_gen.go,ops_gen.go,errors_gen.go}, formatted with
// go/format so the output is byte-stable. The struct-tag contract the
// generated code follows is documented in internal/awsapi/doc.go.
//
// Usage (from internal/awsapi, as its go:generate line does):
//
//	go run ../../tools/awsgen -models ../../models -out . iam sts ecs ecr logs s3 ec2
package main

import (
	"flag"
	"fmt"
	"go/format"
	"log/slog"
	"os"
	"path/filepath"
)

func main() {
	modelsDir := flag.String("models", "models", "directory holding apis/<service>/<version>/api-2.json")
	outDir := flag.String("out", "internal/awsapi", "directory receiving <service>api packages")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: awsgen -models DIR -out DIR SERVICE...")
		os.Exit(2)
	}
	for _, svc := range flag.Args() {
		if err := generate(*modelsDir, *outDir, svc); err != nil {
			slog.Error("awsgen failed", "service", svc, "err", err)
			os.Exit(1)
		}
	}
}

func generate(modelsDir, outDir, svc string) error {
	paths, err := filepath.Glob(filepath.Join(modelsDir, "apis", svc, "*", "api-2.json"))
	if err != nil {
		return err
	}
	if len(paths) != 1 {
		return fmt.Errorf("awsgen: want one model for %s, found %d", svc, len(paths))
	}
	m, err := loadModel(paths[0])
	if err != nil {
		return err
	}
	p, err := loadPatch(filepath.Join(modelsDir, "patches", svc+".json"))
	if err != nil {
		return err
	}
	if err := p.apply(m); err != nil {
		return err
	}
	g := newGenerator(svc, m, p)
	files := map[string]func() ([]byte, error){
		"types_gen.go":  g.types,
		"ops_gen.go":    g.ops,
		"errors_gen.go": g.errors,
	}
	dir := filepath.Join(outDir, svc+"api")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, fn := range files {
		src, err := fn()
		if err != nil {
			return fmt.Errorf("awsgen: %s/%s: %w", svc, name, err)
		}
		out, err := format.Source(src)
		if err != nil {
			return fmt.Errorf("awsgen: format %s/%s: %w\n%s", svc, name, err, src)
		}
		if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
			return err
		}
	}
	slog.Info("generated", "service", svc, "operations", len(m.Operations), "dir", dir)
	return nil
}
