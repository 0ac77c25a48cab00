// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Command whoami is the program of the agent end-to-end test's image (FROM
// scratch, static): with aws-sdk-go-v2's unmodified default credential
// chain (in a task: the container credentials endpoint the agent
// announces) it calls sts:GetCallerIdentity at AWS_ENDPOINT_URL, prints
// {"Arn": ...} (or {"Error": ...}), then waits for SIGTERM and exits 0.
package main

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	// Never fall back to the instance metadata service from a test container.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	out := map[string]string{}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err == nil {
		var id *sts.GetCallerIdentityOutput
		if id, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
			out["Arn"] = aws.ToString(id.Arn)
		}
	}
	cancel()
	if err != nil {
		out["Error"] = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
	<-sig
	os.Exit(0)
}
