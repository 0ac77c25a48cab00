// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Root key berth is started with (BERTH_ROOT_ACCESS_KEY_ID and
// BERTH_ROOT_SECRET_ACCESS_KEY); only setup uses it.
const (
	rootKeyID  = "AKIAMOTOBENCHROOT001"
	rootSecret = "motobench-root-secret-key-0000000000000000"
)

// server is one running server process.
type server struct {
	name string
	url  string
	cmd  *exec.Cmd
	log  string // path of its combined stdout and stderr
	done chan error
}

// safeEnv keeps every AWS SDK, ours or moto's botocore, away from the
// instance metadata service.
var safeEnv = []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_CONTAINER_CREDENTIALS_FULL_URI=", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="}

// freeAddr returns a 127.0.0.1 address with a port free at the time of the call.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs argv with env added to this process's environment, its output
// to dir/name.log, and waits until ready answers true.
func start(ctx context.Context, name, dir, url string, env []string, ready func(*http.Response) bool, argv ...string) (*server, error) {
	logPath := filepath.Join(dir, name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), safeEnv...), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, url: url, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); lf.Close() }()
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("%s exited before it was ready (%v); log %s:\n%s", name, err, logPath, tail(logPath))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := probe.Get(url + readyPath(name))
		if err == nil {
			ok := ready(resp)
			resp.Body.Close()
			if ok {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not ready after 90s; log %s:\n%s", name, logPath, tail(logPath))
		}
	}
}

func readyPath(name string) string {
	if name == "berth" {
		return "/_berth/health"
	}
	return "/moto-api/"
}

// startBerth runs `bin server` on a free 127.0.0.1 port with a data dir
// under dir.
func startBerth(ctx context.Context, bin, dir string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := []string{"BERTH_ROOT_ACCESS_KEY_ID=" + rootKeyID, "BERTH_ROOT_SECRET_ACCESS_KEY=" + rootSecret}
	return start(ctx, "berth", dir, "http://"+addr, env, func(r *http.Response) bool { return r.StatusCode == http.StatusOK },
		bin, "server", "--data-dir", filepath.Join(dir, "berth-data"), "--listen", addr)
}

// startMoto runs moto's server with python on a free 127.0.0.1 port.
// noAuth, when not negative, is INITIAL_NO_AUTH_ACTION_COUNT: moto
// authenticates and authorizes every action after the first noAuth.
func startMoto(ctx context.Context, python, dir string, noAuth int) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	env := []string{"AWS_ACCESS_KEY_ID=motobench", "AWS_SECRET_ACCESS_KEY=motobench", "AWS_DEFAULT_REGION=" + region}
	if noAuth >= 0 {
		env = append(env, "INITIAL_NO_AUTH_ACTION_COUNT="+strconv.Itoa(noAuth))
	}
	return start(ctx, "moto", dir, "http://"+addr, env, func(r *http.Response) bool { return r.StatusCode < 500 },
		python, "-m", "moto.server", "-H", host, "-p", port)
}

// stop ends the server with SIGTERM, then SIGKILL after 10 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// cpuTime returns the user+system CPU time the process has used, all its
// threads together, from /proc/PID/stat (clock ticks of 1/100 s, Linux's
// USER_HZ).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state); utime is field 14
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg returns the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// tail returns the last 2 KiB of a log file.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2048 {
		b = b[len(b)-2048:]
	}
	return string(b)
}
