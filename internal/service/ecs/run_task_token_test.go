// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"fmt"
	"sync"
	"testing"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// TestService_RunTask_ClientTokenConcurrent: client tokens are claimed in
// group commits shared with other writers. Calls racing with one token
// start its tasks once and all answer with them, while calls with other
// tokens committed alongside (some of whose claims lose in the same
// batches) each start their own.
func TestService_RunTask_ClientTokenConcurrent(t *testing.T) {
	e := newEnv(t)
	e.cluster("c1")
	for range 4 {
		e.instance("c1", 4096, 8192)
	}
	e.taskDef("t", 64, 64)
	const same, others = 8, 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	sameTasks := map[string]int{}
	otherTasks := map[string]bool{}
	for i := range same + others {
		wg.Go(func() {
			tok := "shared"
			if i >= same {
				tok = fmt.Sprintf("own-%d", i)
			}
			out, err := e.s.RunTask(e.ctx, &ecsapi.RunTaskInput{Cluster: ptr("c1"), TaskDefinition: ptr("t"), Count: ptr(int32(2)), ClientToken: ptr(tok)})
			if err != nil || len(out.Tasks) != 2 {
				t.Errorf("RunTask %s: %v %+v", tok, err, out)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, tk := range out.Tasks {
				if i < same {
					sameTasks[deref(tk.TaskArn)]++
				} else {
					otherTasks[deref(tk.TaskArn)] = true
				}
			}
		})
	}
	wg.Wait()
	if len(sameTasks) != 2 {
		t.Errorf("calls with one token answered %d distinct tasks, want the same 2: %v", len(sameTasks), sameTasks)
	}
	for arn, n := range sameTasks {
		if n != same {
			t.Errorf("task %s in %d of %d answers", arn, n, same)
		}
	}
	if len(otherTasks) != 2*others {
		t.Errorf("calls with their own tokens started %d tasks, want %d", len(otherTasks), 2*others)
	}
	list := must[*ecsapi.ListTasksOutput](t)(e.s.ListTasks(e.ctx, &ecsapi.ListTasksInput{Cluster: ptr("c1")}))
	if len(list.TaskArns) != 2+2*others {
		t.Errorf("%d tasks in the cluster, want %d", len(list.TaskArns), 2+2*others)
	}
}
