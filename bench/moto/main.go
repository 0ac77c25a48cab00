// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout)
	stop()
	os.Exit(code)
}

type options struct {
	berth, python    string
	ops              string
	clients          []int
	warmup, duration time.Duration
	motoAuth, keep   bool
}

func runMain(ctx context.Context, args []string, out io.Writer) int {
	var o options
	fs := flag.NewFlagSet("motobench", flag.ContinueOnError)
	fs.StringVar(&o.berth, "berth", "", "path of the berth `binary` (go build -o ... ./cmd/berth)")
	fs.StringVar(&o.python, "python", "python3", "`python` with moto installed")
	fs.StringVar(&o.ops, "ops", "iam:GetRole,ecs:DescribeClusters,ecs:ListTasks", "comma-separated `operations` to measure")
	clients := fs.String("clients", "1,16", "comma-separated concurrent `client counts`")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up `time` per run, not measured")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured `time` per run")
	fs.BoolVar(&o.motoAuth, "moto-auth", false, "start moto with INITIAL_NO_AUTH_ACTION_COUNT so it verifies signatures and evaluates IAM policies too")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (server logs, berth data)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, c := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "motobench: bad -clients %q\n", *clients)
			return 2
		}
		o.clients = append(o.clients, n)
	}
	if o.berth == "" {
		fmt.Fprintln(os.Stderr, "motobench: -berth is required")
		return 2
	}
	ops, err := pickOps(o.ops)
	if err != nil {
		fmt.Fprintln(os.Stderr, "motobench:", err)
		return 2
	}
	motoVersion, err := exec.CommandContext(ctx, o.python, "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		fmt.Fprintf(out, "motobench: moto is not installed for %s (%v): nothing to compare against; skipping.\n", o.python, err)
		return 0
	}
	if err := bench(ctx, o, ops, strings.TrimSpace(string(motoVersion)), out); err != nil {
		fmt.Fprintln(os.Stderr, "motobench:", err)
		return 1
	}
	return 0
}

func bench(ctx context.Context, o options, ops []op, motoVersion string, out io.Writer) error {
	dir, err := os.MkdirTemp("", "motobench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(out, "# temporary directory (kept):", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	berthVersion, _ := exec.CommandContext(ctx, o.berth, "version").Output()

	b, err := startBerth(ctx, o.berth, dir)
	if err != nil {
		return err
	}
	defer b.stop()
	noAuth := -1
	if o.motoAuth {
		noAuth = setupCalls
	}
	m, err := startMoto(ctx, o.python, dir, noAuth)
	if err != nil {
		return err
	}
	defer m.stop()

	bKey, err := setup(ctx, newConfig(b.url, rootKeyID, rootSecret))
	if err != nil {
		return fmt.Errorf("berth setup: %w", err)
	}
	mKey, err := setup(ctx, newConfig(m.url, "AKIAMOTOBENCHADMIN01", "motobench-admin-secret"))
	if err != nil {
		return fmt.Errorf("moto setup: %w", err)
	}
	if err := errors.Join(check(ctx, ops, b, bKey), check(ctx, ops, m, mKey)); err != nil {
		return err
	}

	fmt.Fprintf(out, "# berth %s (pid %d, %s) vs moto %s server (pid %d, %s)\n", firstLine(berthVersion), b.cmd.Process.Pid, b.url, motoVersion, m.cmd.Process.Pid, m.url)
	fmt.Fprintf(out, "# machine: %d CPUs, %s/%s, load generator %s GOMAXPROCS=%d, separate processes for berth, moto and the load generator\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "# berth: every call SigV4-verified and authorized by the IAM policy engine as IAM user %s (access key + customer managed policy, not root)\n", userName)
	if o.motoAuth {
		fmt.Fprintf(out, "# moto: INITIAL_NO_AUTH_ACTION_COUNT=%d: moto verifies the signature and evaluates the same user's policy (moto's own checks)\n", setupCalls)
	} else {
		fmt.Fprintln(out, "# moto: default settings: it verifies NO signature and evaluates NO policy (a call with any key succeeds)")
	}
	fmt.Fprintf(out, "# auth probe, berth: %s\n", authProbe(ctx, b, bKey))
	fmt.Fprintf(out, "# auth probe, moto:  %s\n", authProbe(ctx, m, mKey))
	fmt.Fprintf(out, "# each client: its own aws-sdk-go-v2 clients and TCP connection, no retries; warm-up %s, measured %s per run\n", o.warmup, o.duration)
	fmt.Fprintf(out, "# CPU columns: CPU ms per 1000 calls, all threads of the process; load: /proc/loadavg before -> after the measured run\n")
	fmt.Fprintf(out, "%-21s %4s %-6s %8s %10s %8s %8s %8s %5s %9s %9s  %s\n",
		"operation", "conc", "server", "calls", "calls/s", "p50 ms", "p99 ms", "p99.9 ms", "errs", "srvCPU", "genCPU", "load")
	var rows []result
	for _, op := range ops {
		for _, n := range o.clients {
			for _, pair := range []struct {
				s *server
				k key
			}{{b, bKey}, {m, mKey}} {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r := run(ctx, op, pair.s, pair.k, n, o.warmup, o.duration)
				rows = append(rows, r)
				fmt.Fprintf(out, "%-21s %4d %-6s %8d %10.1f %8s %8s %8s %5d %9.1f %9.1f  %s -> %s\n",
					r.op, r.clients, r.server, r.calls, r.rate(), ms(r.p50), ms(r.p99), ms(r.p999), r.errors,
					perKCall(r.serverCPU, r.calls), perKCall(r.loadCPU, r.calls), r.loadBefore, r.load)
				if r.firstErr != nil {
					fmt.Fprintf(out, "#   first error: %v\n", r.firstErr)
				}
			}
		}
	}
	fmt.Fprintln(out, "# berth/moto ratios (throughput: higher is better for berth; p99: lower is better for berth)")
	for i := 0; i+1 < len(rows); i += 2 {
		br, mr := rows[i], rows[i+1]
		verdict := ""
		if br.clients == 16 {
			verdict = fmt.Sprintf("; targets: >100x %s, p99 < 5 ms %s", yes(br.rate() > 100*mr.rate()), yes(br.p99 < 5*time.Millisecond))
		}
		fmt.Fprintf(out, "%-21s %4d  throughput %6.1fx  p99 moto/berth %6.1fx  server CPU/call moto/berth %6.1fx%s\n",
			br.op, br.clients, br.rate()/mr.rate(), float64(mr.p99)/float64(br.p99),
			perKCall(mr.serverCPU, mr.calls)/perKCall(br.serverCPU, br.calls), verdict)
	}
	return nil
}

func yes(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if s == "" {
		return "(version unknown)"
	}
	return s
}
