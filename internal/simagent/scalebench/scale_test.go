// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scalebench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/testutil"
)

var (
	flagInstances = flag.Int("scale.instances", 5000, "simulated container instances")
	flagTasks     = flag.Int("scale.tasks", 100000, "tasks to place")
	flagClients   = flag.Int("scale.clients", 16, "concurrent RunTask callers")
	flagCount     = flag.Int("scale.count", 10, "tasks per RunTask call")
	flagInProcess = flag.Bool("scale.inprocess", false, "run the control plane in this process instead of the berth binary (peak memory is then the two together)")
	flagPending   = flag.Bool("scale.pending", true, "report PENDING before RUNNING, as the agent does after pulling")
	flagVerbose   = flag.Bool("scale.v", false, "log progress")
	flagSubmit    = flag.Int("scale.submit", 256, "concurrent state changes of the simulated fleet")
	flagRegister  = flag.Int("scale.register", 64, "concurrent registrations of the simulated fleet")
	flagSimGOGC   = flag.Int("scale.simgogc", 400, "GOGC of this process (the simulator and the RunTask clients) when the control plane runs out of process; 0 keeps the default")
	flagCPGOGC    = flag.String("scale.cpgogc", "", "GOGC of the control plane process (empty: its default)")
)

const (
	rootKey    = "AKIASCALEBENCHROOT01"
	rootSecret = "scale-bench-root-secret-scale-bench-00000"
)

// BenchmarkScale places -scale.tasks tasks on -scale.instances simulated
// instances and reports placements/s, time until all RUNNING, RunTask
// p50/p99, DescribeTasks and ListTasks p99 and peak memory. One iteration
// is one full run against a fresh control plane (the berth binary, built
// once), so run it with -benchtime 1x:
//
//	go test ./internal/simagent/scalebench -run '^$' -bench Scale -benchtime 1x -timeout 2h -args -scale.v
//	go test ./internal/simagent/scalebench -run '^$' -bench Scale -benchtime 1x -args -scale.instances 1000 -scale.tasks 20000
//
// Out of process, this process (the simulator and the RunTask clients)
// runs with GOGC -scale.simgogc (400): it is a load generator sharing the
// machine with the control plane, whose own GOGC is left alone unless
// -scale.cpgogc says otherwise. Profile with -cpuprofile (this process;
// with -scale.inprocess, the control plane too).
func BenchmarkScale(b *testing.B) {
	for i := 0; i < b.N; i++ {
		res := runScale(b, Config{Instances: *flagInstances, Tasks: *flagTasks, Clients: *flagClients, Count: *flagCount,
			SkipPending: !*flagPending, SubmitConcurrency: *flagSubmit, RegisterConcurrency: *flagRegister}, *flagInProcess)
		fmt.Fprintf(os.Stdout, "\n%s\n", res) // b.Log would cut it to ten lines
		b.ReportMetric(res.PlacementsPerSec, "placements/s")
		b.ReportMetric(res.ToRunning.Seconds(), "s-to-running")
		b.ReportMetric(float64(res.RunTaskP50.Microseconds())/1000, "ms-RunTask-p50")
		b.ReportMetric(float64(res.RunTaskP99.Microseconds())/1000, "ms-RunTask-p99")
		b.ReportMetric(float64(res.DescribeTasksP99.Microseconds())/1000, "ms-DescribeTasks-p99")
		b.ReportMetric(float64(res.ListTasksP99.Microseconds())/1000, "ms-ListTasks-p99")
		b.ReportMetric(float64(res.ControlPlanePeakRSS>>20), "MiB-cp-peak")
		b.ReportMetric(float64(res.SimPeakRSS>>20), "MiB-sim-peak")
		if res.Placed > 0 {
			b.ReportMetric(float64(res.ControlPlaneCPU.Microseconds())/float64(res.Placed), "µs-cp-CPU/task")
			b.ReportMetric(float64(res.SimCPU.Microseconds())/float64(res.Placed), "µs-sim-CPU/task")
		}
	}
}

// TestScale_Smoke runs the benchmark small, in process, so CI keeps it
// working.
func TestScale_Smoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the scale smoke run")
	}
	res := runScale(t, Config{Instances: 50, Tasks: 500, Clients: 4, Queries: 20, Timeout: 2 * time.Minute}, true)
	if res.Placed != 500 || res.PlacementsPerSec <= 0 || res.ToRunning <= 0 || res.RunTaskP99 <= 0 || res.DescribeTasksP99 <= 0 || res.ListTasksP99 <= 0 {
		t.Errorf("result:\n%s", res)
	}
}

func runScale(tb testing.TB, cfg Config, inProcess bool) *Result {
	tb.Helper()
	cfg.Region, cfg.AccessKeyID, cfg.Secret = testutil.Region, rootKey, rootSecret
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.ProgressInterval = -1
	if *flagVerbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		cfg.ProgressInterval = 10 * time.Second
	}
	if inProcess {
		tb.Setenv("BERTH_ROOT_ACCESS_KEY_ID", rootKey)
		tb.Setenv("BERTH_ROOT_SECRET_ACCESS_KEY", rootSecret)
		cp := testutil.TestControlPlane(tb)
		cfg.Endpoint = cp.URL
	} else {
		env := []string{"BERTH_ROOT_ACCESS_KEY_ID=" + rootKey, "BERTH_ROOT_SECRET_ACCESS_KEY=" + rootSecret}
		if *flagCPGOGC != "" {
			env = append(env, "GOGC="+*flagCPGOGC)
		}
		p := testutil.StartServer(tb, tb.TempDir(), env, "--log-level", "warn")
		if *flagSimGOGC > 0 {
			// The simulator is a load generator sharing the machine with
			// the control plane: collect its garbage less often.
			defer debug.SetGCPercent(debug.SetGCPercent(*flagSimGOGC))
		}
		cfg.Endpoint, cfg.ControlPlanePID = p.URL, p.Cmd.Process.Pid
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if inProcess {
		res.ControlPlanePeakRSS = res.SimPeakRSS // one process: the two together
		res.ControlPlaneCPU = res.SimCPU
	}
	return res
}
