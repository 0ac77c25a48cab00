// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/testutil"
)

// TestServer_ExternalEtcd_Replicas runs two berth servers as replicas on
// one external etcd (a separate process): a write acknowledged by one is
// read from the other, both share the root key, and the survivor keeps
// serving after the other is killed with SIGKILL.
func TestServer_ExternalEtcd_Replicas(t *testing.T) {
	ep := testutil.StartEtcd(t)
	env := []string{"BERTH_ROOT_ACCESS_KEY_ID=AKIAREPLICATEST0001", "BERTH_ROOT_SECRET_ACCESS_KEY=replica-test-secret-key-00000000000000000"}
	a := testutil.StartServer(t, t.TempDir(), env, "--etcd-endpoints", ep)
	b := testutil.StartServer(t, t.TempDir(), env, "--etcd-endpoints", ep)
	ctx := context.Background()
	ca := iam.NewFromConfig(testutil.Config(a.URL, "AKIAREPLICATEST0001", "replica-test-secret-key-00000000000000000", ""))
	cb := iam.NewFromConfig(testutil.Config(b.URL, "AKIAREPLICATEST0001", "replica-test-secret-key-00000000000000000", ""))

	if _, err := ca.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("seen-everywhere")}); err != nil {
		t.Fatalf("CreateUser on replica A: %v", err)
	}
	// Replica B learns of the write through its watch; reads from its cache
	// converge within the watch delay.
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err = cb.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("seen-everywhere")}); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("GetUser on replica B: %v", err)
	}

	// A name taken on one replica is taken on the other: no split brain.
	_, err = cb.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("seen-everywhere")})
	var exists interface{ ErrorCode() string }
	if !errors.As(err, &exists) || exists.ErrorCode() != "EntityAlreadyExists" {
		t.Fatalf("CreateUser of the same name on replica B: %v, want EntityAlreadyExists", err)
	}

	a.Kill()
	if _, err := cb.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("after-a-died")}); err != nil {
		t.Fatalf("replica B after A was killed: %v", err)
	}
}
