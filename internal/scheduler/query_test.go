// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package scheduler_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/scheduler"
)

func TestParseQuery_Canonical(t *testing.T) {
	tests := []struct{ expr, want string }{
		// The ECS Developer Guide's examples.
		{"attribute:ecs.instance-type == t2.small", "attribute:ecs.instance-type == t2.small"},
		{"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"},
		{"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
			"(attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d)"},
		{"task:group == service:production", "task:group == service:production"},
		{"not(task:group == database)", "not(task:group == database)"},
		{"runningTasksCount == 1", "runningTasksCount == 1"},
		{"agentVersion < 1.14.5", "agentVersion < 1.14.5"},
		{"registeredAt < 2018-02-13", "registeredAt < 2018-02-13"},
		{"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", "ec2InstanceId in [i-abcd1234, i-wxyx7890]"},
		// Spelled-out operators, symbols, precedence, quoting.
		{"attribute:a equals x && attribute:b not_equals y || attribute:c greater_than 3",
			"((attribute:a == x and attribute:b != y) or attribute:c > 3)"},
		{"attribute:a exists or (attribute:b !exists and attribute:c not_exists)",
			"(attribute:a exists or (attribute:b !exists and attribute:c !exists))"},
		{"attribute:a !in [x] AND NOT attribute:b !~ 'a b'", "(attribute:a !in [x] and not(attribute:b !~ 'a b'))"},
		{"!attribute:a matches \"it's\"", "not(attribute:a =~ \"it's\")"},
		{"registeredAt >= 2018-06-18T22:28:28+00:00", "registeredAt >= 2018-06-18T22:28:28+00:00"},
		{"agentConnected == true", "agentConnected == true"},
		{"attribute:x <= 10 or attribute:x less_than_equal 2 or attribute:x >= 1 or attribute:x less_than 0",
			"(((attribute:x <= 10 or attribute:x <= 2) or attribute:x >= 1) or attribute:x < 0)"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			q, err := scheduler.ParseQuery(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			again, err := scheduler.ParseQuery(q.String())
			if err != nil || again.String() != q.String() {
				t.Errorf("round trip: %v, %v", again, err)
			}
		})
	}
}

func TestParseQuery_Invalid(t *testing.T) {
	tests := []struct {
		expr   string
		offset int
	}{
		{"", 0},
		{"attribute:x ==", 14},
		{"attribute: == x", 0},
		{"color == red", 0},
		{"attribute:x = y", 12},
		{"attribute:x == y and", 20},
		{"(attribute:x == y", 17},
		{"attribute:x in x", 15},
		{"attribute:x in [a b]", 18},
		{"attribute:x == 'open", 15},
		{"runningTasksCount == many", 25},
		{"runningTasksCount =~ 1", 18},
		{"agentVersion == latest", 22},
		{"registeredAt > yesterday", 24},
		{"agentConnected == maybe", 23},
		{"ec2InstanceId > i-1", 14},
		{"attribute:x =~ '('", 18},
		{"attribute:x == y)", 16},
		{strings.Repeat("(", 150) + "attribute:x exists" + strings.Repeat(")", 150), 101},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := scheduler.ParseQuery(tc.expr)
			var ipe *scheduler.InvalidParameterError
			if !errors.As(err, &ipe) {
				t.Fatalf("err = %v, want an InvalidParameterError", err)
			}
			if ipe.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%s)", ipe.Offset, tc.offset, ipe.Message)
			}
		})
	}
	if _, err := scheduler.ParseQuery("attribute:x exists" + strings.Repeat(" ", scheduler.MaxExpressionLength)); err == nil {
		t.Error("an expression over the length limit parsed")
	}
}

func TestQuery_Match(t *testing.T) {
	inst := &scheduler.Instance{
		ID:                "arn:aws:ecs:us-east-1:111122223333:container-instance/default/1",
		EC2InstanceID:     "i-abcd1234",
		Status:            scheduler.StatusActive,
		AgentConnected:    true,
		AgentVersion:      "1.14.5",
		RegisteredAt:      time.Date(2018, 6, 18, 22, 28, 28, 0, time.UTC),
		RunningTasksCount: 2,
		Attributes: map[string]string{
			"ecs.instance-type":     "t2.small",
			"ecs.availability-zone": "us-east-1a",
			"stack":                 "prod",
			"slots":                 "12",
			"flag":                  "",
		},
		Groups: map[string]int{"service:web": 2, "database": 0},
	}
	tests := []struct {
		expr string
		want bool
	}{
		{"attribute:ecs.instance-type == t2.small", true},
		{"attribute:ecs.instance-type equals t2.micro", false},
		{"attribute:stack != dev", true},
		{"attribute:missing != dev", false}, // != needs the attribute
		{"not(attribute:missing == dev)", true},
		{"attribute:slots > 9", true}, // numeric, not "12" < "9"
		{"attribute:slots >= 12", true},
		{"attribute:slots < 12", false},
		{"attribute:slots <= 11", false},
		{"attribute:stack > prim", true}, // strings compare as strings
		{"attribute:flag exists", true},
		{"attribute:missing exists", false},
		{"attribute:missing !exists", true},
		{"attribute:flag not_exists", false},
		{"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", true},
		{"attribute:ecs.availability-zone not_in [us-east-1a]", false},
		{"attribute:ecs.instance-type =~ t2.*", true},
		{"attribute:ecs.instance-type =~ t2", false}, // whole-value match, as Java's matches()
		{"attribute:ecs.instance-type !~ m5.*", true},
		{"ec2InstanceId == i-abcd1234", true},
		{"ec2InstanceId in ['i-0', 'i-abcd1234']", true},
		{"ec2InstanceId =~ i-.*", true},
		{"agentConnected == true", true},
		{"agentConnected != true", false},
		{"agentConnected in [FALSE]", false},
		{"agentVersion == 1.14.5", true},
		{"agentVersion < 1.14.10", true}, // numeric per part
		{"agentVersion > 1.9", true},
		{"agentVersion <= 1.14", false},
		{"agentVersion >= 1.14.5.0", true},
		{"registeredAt == 2018-06-18", true}, // a date compares by day
		{"registeredAt < 2018-06-19", true},
		{"registeredAt > 2018-06-18T22:28:27Z", true},
		{"registeredAt <= 2018-06-18T22:28:27", false},
		{"registeredAt != 2018-06-18T22:28:28+00:00", false},
		{"runningTasksCount == 2", true},
		{"runningTasksCount > 2", false},
		{"runningTasksCount != 0", true},
		{"task:group == service:web", true},
		{"task:group == database", false}, // zero tasks: not running
		{"task:group != database", true},
		{"task:group in [a, service:web]", true},
		{"task:group not_in [service:web]", false},
		{"task:group =~ service:.*", true},
		{"task:group !~ service:.*", false},
		{"task:group exists", true},
		{"task:group !exists", false},
		{"attribute:stack == prod and (runningTasksCount == 0 or agentConnected == true)", true},
		{"attribute:stack == dev || ! agentConnected == false", true},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			q, err := scheduler.ParseQuery(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Match(inst); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}
