// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler_test

import (
	"testing"
	"time"

	"github.com/berthdev/berth/internal/scheduler"
)

// FuzzParseQuery checks that the parser never panics, that what it accepts
// prints to a canonical form that parses back to the same form, and that
// evaluating an accepted expression never panics.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"attribute:ecs.instance-type == t2.small",
		"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
		"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
		"not(task:group == database)",
		"runningTasksCount == 1 || agentVersion < 1.14.5",
		"registeredAt < 2018-02-13 && !agentConnected == false",
		"ec2InstanceId in ['i-abcd1234', \"i-wxyx7890\"]",
		"(attribute:a exists or attribute:b !exists) and attribute:c not_in [x]",
		"attribute:x !~ '(a|b)+'",
	} {
		f.Add(seed)
	}
	inst := &scheduler.Instance{
		EC2InstanceID: "i-abcd1234", AgentConnected: true, AgentVersion: "1.2.3",
		RegisteredAt: time.Unix(1e9, 0), RunningTasksCount: 1,
		Attributes: map[string]string{"a": "1", "ecs.instance-type": "t2.small"},
		Groups:     map[string]int{"database": 1},
	}
	f.Fuzz(func(t *testing.T, expr string) {
		q, err := scheduler.ParseQuery(expr)
		if err != nil {
			return
		}
		canon := q.String()
		again, err := scheduler.ParseQuery(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, expr, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form is not stable: %q → %q", canon, again.String())
		}
		if q.Match(inst) != again.Match(inst) {
			t.Fatalf("%q and its canonical form %q disagree", expr, canon)
		}
	})
}
