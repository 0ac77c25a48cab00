// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package simagent_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/acs/acstest"
	"github.com/berthdev/berth/internal/agent/acs"
	"github.com/berthdev/berth/internal/simagent"
	"github.com/berthdev/berth/internal/testutil"
	"github.com/berthdev/berth/internal/testutil/poll"
)

// TestFleet_ControlPlane_RunTask: 50 simulated instances register with a
// real control plane, 100 tasks placed by concurrent RunTask calls
// (count=10) reach RUNNING with host ports, spread over the AZs, and a
// stopped task reports its exit code.
func TestFleet_ControlPlane_RunTask(t *testing.T) {
	const instances, calls, count = 50, 10, 10
	cp := testutil.TestControlPlane(t)
	ctx, cancel := context.WithCancel(context.Background())
	api := ecs.NewFromConfig(cp.RootConfig())
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("sim")}); err != nil {
		t.Fatal(err)
	}
	f, err := simagent.New(simagent.Config{
		Endpoint: cp.URL, Cluster: "sim", Count: instances, AZs: []string{"us-east-1a", "us-east-1b"},
		StopExitCode: 143, ProgressInterval: -1,
		Session: acs.SessionConfig{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
	}, simagent.Deps{AWS: cp.RootConfig(), Logger: acstest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, "every instance connected", func() bool { s := f.Stats(); return s.Connected == instances })
	waitFor(t, "every agent is connected in ECS", func() bool {
		out, err := api.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("sim"), Filter: aws.String("agentConnected == true")})
		return err == nil && len(out.ContainerInstanceArns) == instances
	})

	if _, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), ContainerDefinitions: []ecstypes.ContainerDefinition{{
		Name: aws.String("web"), Image: aws.String("busybox"), Cpu: 64, Memory: aws.Int32(64), Essential: aws.Bool(true),
		PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}},
	}}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var tasks []string
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := api.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("sim"), TaskDefinition: aws.String("web"), Count: aws.Int32(count),
				PlacementStrategy: []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeSpread, Field: aws.String("attribute:ecs.availability-zone")}}})
			if err != nil || len(out.Failures) > 0 {
				t.Errorf("RunTask: %v %+v", err, out)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, tk := range out.Tasks {
				tasks = append(tasks, aws.ToString(tk.TaskArn))
			}
		}()
	}
	wg.Wait()
	if len(tasks) != calls*count {
		t.Fatalf("%d tasks placed, want %d", len(tasks), calls*count)
	}
	waitFor(t, "every task RUNNING", func() bool { return f.Stats().TasksRunning == calls*count })
	azs := map[string]int{}
	for i := 0; i < len(tasks); i += 100 {
		out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("sim"), Tasks: tasks[i:min(i+100, len(tasks))]})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range out.Tasks {
			nb := tk.Containers[0].NetworkBindings
			if aws.ToString(tk.LastStatus) != "RUNNING" || len(nb) != 1 || aws.ToInt32(nb[0].HostPort) == 0 {
				t.Errorf("task %s: %s, bindings %+v", aws.ToString(tk.TaskArn), aws.ToString(tk.LastStatus), nb)
			}
			azs[aws.ToString(tk.AvailabilityZone)]++
		}
	}
	// Each call spreads its own tasks evenly; calls racing on the same
	// snapshot re-place what lost a CAS against fresher state, so across
	// concurrent calls the balance is close, not exact (as on ECS).
	if a, b := azs["us-east-1a"], azs["us-east-1b"]; a+b != calls*count || a-b > 10 || b-a > 10 {
		t.Errorf("tasks per AZ = %v, want %d split within 10 of even", azs, calls*count)
	}

	if _, err := api.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("sim"), Task: aws.String(tasks[0])}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stopped task is STOPPED with its exit code", func() bool {
		out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("sim"), Tasks: tasks[:1]})
		return err == nil && len(out.Tasks) == 1 && aws.ToString(out.Tasks[0].LastStatus) == "STOPPED" &&
			aws.ToInt32(out.Tasks[0].Containers[0].ExitCode) == 143
	})
	if s := f.Stats(); s.SubmitErrors != 0 || s.RegisterErrors != 0 {
		t.Errorf("stats = %+v, want no errors", s)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 60*time.Second, what, cond)
}
