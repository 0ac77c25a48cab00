// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package agenttest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// NetNS is a network namespace a test created: it has only a loopback
// interface, so nothing run inside it can reach any other address.
type NetNS struct {
	Name string
}

// CreateNetNS creates a network namespace with its loopback up, deleted in
// t.Cleanup. It skips the test when not root or without ip(8).
func CreateNetNS(t testing.TB) *NetNS {
	t.Helper()
	RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip(8) not found: skipping a test that needs a network namespace")
	}
	ns := &NetNS{Name: "berth-test-" + ID()}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace (%v: %s): skipping", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns.Name).Run() })
	if out, err := exec.Command("ip", "-n", ns.Name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up in %s: %v: %s", ns.Name, err, out)
	}
	return ns
}

// Listen opens a TCP listener on 127.0.0.1:0 inside the namespace; the
// test process serves it as usual.
func (ns *NetNS) Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := ns.listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func (ns *NetNS) listen() (net.Listener, error) {
	var ln net.Listener
	var lerr error
	if err := ns.run(func() { ln, lerr = net.Listen("tcp4", "127.0.0.1:0") }); err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, err
	}
	return ln, lerr
}

// Do runs f on an OS thread that has entered the namespace, after checking
// by inode that the thread really is in it: sockets f creates live in the
// namespace, whatever thread later uses them. It fails the test rather
// than run f anywhere else.
func (ns *NetNS) Do(t testing.TB, f func()) {
	t.Helper()
	if err := ns.run(f); err != nil {
		t.Fatal(err)
	}
}

// run runs f on a goroutine locked to a thread in the namespace (see Do)
// and restores the thread's namespace afterwards.
func (ns *NetNS) run(f func()) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		orig, err := os.Open(self)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open("/var/run/netns/" + ns.Name)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := setns(target.Fd()); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("agenttest: %s: %w", ns.Name, err)
			return
		}
		var want, got unix.Stat_t
		err = errors.Join(unix.Fstat(int(target.Fd()), &want), unix.Stat(self, &got))
		if err == nil && want.Ino != got.Ino {
			err = fmt.Errorf("agenttest: thread is in netns inode %d, not %s (%d)", got.Ino, ns.Name, want.Ino)
		}
		if err == nil {
			f()
		}
		if rerr := setns(orig.Fd()); rerr != nil {
			// The thread is stuck in the namespace: keep it locked so the
			// runtime discards it when this goroutine ends.
			errc <- errors.Join(err, fmt.Errorf("agenttest: restoring the network namespace: %w", rerr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

func setns(fd uintptr) error {
	if err := unix.Setns(int(fd), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("agenttest: setns: %w", err)
	}
	return nil
}

// Command returns cmd to run name inside the namespace.
func (ns *NetNS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}
