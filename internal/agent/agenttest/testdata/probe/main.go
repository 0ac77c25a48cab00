// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Command probe is the program inside berth's test images (FROM scratch,
// static). Subcommands:
//
//	serve -addr :8080 [-term-exit N] [-ignore-term]   HTTP "ok" until SIGTERM
//	exit -code N [-after D]                           exit with N
//	creds                                             print credentials from the SDK default chain (and the task ARN from ECS_CONTAINER_METADATA_URI_V4)
//	get -url U [-timeout D]                           GET U: exit 0 (2xx), 8 (other status), 7 (unreachable)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe serve|exit|creds|get ...")
		os.Exit(2)
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		serve(args)
	case "exit":
		fs := flag.NewFlagSet("exit", flag.ExitOnError)
		code := fs.Int("code", 0, "exit code")
		after := fs.Duration("after", 0, "delay")
		_ = fs.Parse(args)
		time.Sleep(*after)
		fmt.Println("exiting", *code)
		os.Exit(*code)
	case "creds":
		creds()
	case "get":
		get(args)
	default:
		fmt.Fprintln(os.Stderr, "unknown subcommand", os.Args[1])
		os.Exit(2)
	}
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "listen address")
	termExit := fs.Int("term-exit", 0, "exit code on SIGTERM")
	ignore := fs.Bool("ignore-term", false, "ignore SIGTERM")
	_ = fs.Parse(args)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for s := range sig {
			if *ignore {
				fmt.Println("ignoring", s)
				continue
			}
			fmt.Println("terminating on", s)
			os.Exit(*termExit)
		}
	}()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h, _ := os.Hostname()
		fmt.Fprintf(w, "ok %s\n", h)
	})
	fmt.Println("serving on", *addr)
	if err := http.ListenAndServe(*addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func creds() {
	// Never fall back to the instance metadata service from a test
	// container.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(1)
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "retrieve:", err)
		os.Exit(1)
	}
	out := map[string]any{
		"AccessKeyID": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey, "SessionToken": c.SessionToken,
		"Source": c.Source, "Expires": c.Expires.UTC().Format(time.RFC3339),
	}
	// The task metadata endpoint, when the agent gave one.
	if u := os.Getenv("ECS_CONTAINER_METADATA_URI_V4"); u != "" {
		var task struct{ TaskARN, KnownStatus string }
		if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u + "/task"); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&task)
			resp.Body.Close()
			out["TaskARN"], out["MetadataStatus"] = task.TaskARN, resp.StatusCode
		} else {
			out["MetadataError"] = err.Error()
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

func get(args []string) {
	fs := flag.NewFlagSet("get", flag.ExitOnError)
	url := fs.String("url", "", "URL")
	timeout := fs.Duration("timeout", 3*time.Second, "timeout")
	_ = fs.Parse(args)
	c := &http.Client{Timeout: *timeout}
	resp, err := c.Get(*url)
	if err != nil {
		fmt.Println("unreachable:", err)
		os.Exit(7)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Printf("status %d\n%s\n", resp.StatusCode, b)
	if resp.StatusCode/100 != 2 {
		os.Exit(8)
	}
}
