// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/store"
)

// killAfter is how many acknowledged writes the parent waits for before it
// kills the writer.
const killAfter = 150

// TestStore_KillDurability runs a writer in a child process, SIGKILLs it in
// the middle of a stream of writes, reopens its data dir and checks that
// every write the child acknowledged survived, atomically.
func TestStore_KillDurability(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envKill+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	acks := make(map[string]int64) // id → acknowledged revision
	last := -1                     // highest acknowledged sequence number
	r := bufio.NewReader(stdout)
	killed := false
	for {
		line, err := r.ReadString('\n')
		if err != nil { // EOF after the kill; a partial last line is not an ack
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		var seq int
		var id string
		var rev int64
		if _, err := fmt.Sscanf(line, "ACK %d %s %d\n", &seq, &id, &rev); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		acks[id], last = rev, seq
		if len(acks) == killAfter && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup, no flush
				t.Fatal(err)
			}
			killed = true
		}
	}
	if !killed {
		t.Fatalf("writer exited after %d acks, before the kill", len(acks))
	}
	werr := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
		t.Fatalf("writer was not killed by a signal: %v", werr)
	}
	t.Logf("writer killed after %d acknowledged transactions", len(acks))

	s := openStore(t, store.Config{DataDir: dir})
	ctx := testCtx(t)
	records := newTable[task](t, s, "records", store.TableConfig{})
	counter := newTable[task](t, s, "counter", store.TableConfig{})
	for id, rev := range acks {
		got, err := records.Get(ctx, id)
		if err != nil {
			t.Errorf("acknowledged write %s at revision %d lost: %v", id, rev, err)
			continue
		}
		if got.Revision != rev {
			t.Errorf("record %s at revision %d, acknowledged at %d", id, got.Revision, rev)
		}
	}
	// Each transaction created record i and set the counter to i: the
	// counter names the last committed transaction, which may be one past
	// the last ack, and records 0..counter all exist.
	c, err := counter.Get(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.Value.N != last && c.Value.N != last+1 {
		t.Errorf("counter %d, last acknowledged %d", c.Value.N, last)
	}
	all, _, err := records.List(ctx, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != c.Value.N+1 {
		t.Errorf("%d records for counter %d: a transaction was torn", len(all), c.Value.N)
	}
}

// runKillChild is the writer: transactions that each create record i and
// set the counter to i, acknowledging each on stdout once committed, until
// it is killed.
func runKillChild(dir string) int {
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DataDir: dir, Logger: testLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		return 1
	}
	records, err := store.NewTable[task](ctx, s, "records", store.TableConfig{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		return 1
	}
	counter, err := store.NewTable[task](ctx, s, "counter", store.TableConfig{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		return 1
	}
	var crev int64
	deadline := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(deadline); i++ {
		id := fmt.Sprintf("r%06d", i)
		put := counter.PutOp("c", &task{N: i}, crev)
		if i == 0 {
			put = counter.CreateOp("c", &task{N: 0})
		}
		rev, err := s.Txn().Add(records.CreateOp(id, &task{N: i}), put).Commit(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			return 1
		}
		crev = rev
		// One write(2) per line, so the parent never sees half an ack.
		os.Stdout.WriteString(strings.Join([]string{"ACK", fmt.Sprint(i), id, fmt.Sprint(rev)}, " ") + "\n")
	}
	return 1 // not killed in time
}
