// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

func container(name string, mod ...func(*ecsapi.ContainerDefinition)) ecsapi.ContainerDefinition {
	c := ecsapi.ContainerDefinition{Name: ptr(name), Image: ptr("busybox"), Memory: ptr(int32(128))}
	for _, m := range mod {
		m(&c)
	}
	return c
}

func TestService_RegisterTaskDefinition_Validation(t *testing.T) {
	tests := []struct {
		name    string
		in      ecsapi.RegisterTaskDefinitionInput
		code    string
		message string
	}{
		{"ok", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a")}}, "", ""},
		{"no containers", ecsapi.RegisterTaskDefinitionInput{}, "ClientException", "Container list cannot be empty."},
		{"too many containers", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: func() []ecsapi.ContainerDefinition {
			var cs []ecsapi.ContainerDefinition
			for i := range 11 {
				cs = append(cs, container("c"+itoa(i)))
			}
			return cs
		}()}, "ClientException", "Too many containers."},
		{"no image", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) { c.Image = nil })}},
			"ClientException", "Container.image should not be null or empty."},
		{"no memory", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) { c.Memory = nil })}},
			"ClientException", "Invalid setting for container 'a'. At least one of 'memory' or 'memoryReservation' must be specified."},
		{"task memory is enough", ecsapi.RegisterTaskDefinitionInput{Memory: ptr("512"), ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) { c.Memory = nil })}}, "", ""},
		{"container memory above task", ecsapi.RegisterTaskDefinitionInput{Memory: ptr("64"), ContainerDefinitions: []ecsapi.ContainerDefinition{container("a")}},
			"ClientException", "The 'memory' setting for container 'a' is greater than for the task."},
		{"reservations above task", ecsapi.RegisterTaskDefinitionInput{Memory: ptr("100"), ContainerDefinitions: []ecsapi.ContainerDefinition{
			container("a", func(c *ecsapi.ContainerDefinition) { c.Memory, c.MemoryReservation = nil, ptr(int32(60)) }),
			container("b", func(c *ecsapi.ContainerDefinition) { c.Memory, c.MemoryReservation = nil, ptr(int32(60)) }),
		}}, "ClientException", "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'."},
		{"reservation above limit", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) { c.MemoryReservation = ptr(int32(256)) })}},
			"ClientException", ""},
		{"duplicate names", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a"), container("a")}}, "ClientException", ""},
		{"no essential", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) { c.Essential = ptr(false) })}}, "ClientException", ""},
		{"host mode port mismatch", ecsapi.RegisterTaskDefinitionInput{NetworkMode: ptr("host"), ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) {
			c.PortMappings = []ecsapi.PortMapping{{ContainerPort: ptr(int32(80)), HostPort: ptr(int32(8080))}}
		})}}, "ClientException", "When networkMode=host, the containerPort[80] must be the same as the hostPort[8080]"},
		{"bad network mode", ecsapi.RegisterTaskDefinitionInput{NetworkMode: ptr("weird"), ContainerDefinitions: []ecsapi.ContainerDefinition{container("a")}}, "ClientException", ""},
		{"unknown volume", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) {
			c.MountPoints = []ecsapi.MountPoint{{SourceVolume: ptr("data"), ContainerPath: ptr("/data")}}
		})}}, "ClientException", ""},
		{"volume ok", ecsapi.RegisterTaskDefinitionInput{Volumes: []ecsapi.Volume{{Name: ptr("data"), Host: &ecsapi.HostVolumeProperties{SourcePath: ptr("/srv")}}},
			ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) {
				c.MountPoints = []ecsapi.MountPoint{{SourceVolume: ptr("data"), ContainerPath: ptr("/data")}}
			})}}, "", ""},
		{"dependsOn unknown", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) {
			c.DependsOn = []ecsapi.ContainerDependency{{ContainerName: ptr("b"), Condition: ptr("START")}}
		})}}, "ClientException", ""},
		{"dependsOn cycle", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{
			container("a", func(c *ecsapi.ContainerDefinition) {
				c.DependsOn = []ecsapi.ContainerDependency{{ContainerName: ptr("b"), Condition: ptr("START")}}
			}),
			container("b", func(c *ecsapi.ContainerDefinition) {
				c.DependsOn = []ecsapi.ContainerDependency{{ContainerName: ptr("a"), Condition: ptr("START")}}
			}),
		}}, "ClientException", "The dependsOn settings of the task definition form a cycle."},
		{"healthy needs health check", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{
			container("a", func(c *ecsapi.ContainerDefinition) {
				c.DependsOn = []ecsapi.ContainerDependency{{ContainerName: ptr("b"), Condition: ptr("HEALTHY")}}
			}), container("b"),
		}}, "ClientException", ""},
		{"bad health check", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) {
			c.HealthCheck = &ecsapi.HealthCheck{Command: []string{"curl"}}
		})}}, "ClientException", ""},
		{"bad role", ecsapi.RegisterTaskDefinitionInput{TaskRoleArn: ptr("arn:aws:s3:::bucket"), ContainerDefinitions: []ecsapi.ContainerDefinition{container("a")}}, "ClientException", ""},
		{"fargate needs awsvpc", ecsapi.RegisterTaskDefinitionInput{RequiresCompatibilities: []string{"FARGATE"}, ContainerDefinitions: []ecsapi.ContainerDefinition{container("a")}},
			"ClientException", "Fargate only supports network mode 'awsvpc'."},
		{"bad constraint", ecsapi.RegisterTaskDefinitionInput{PlacementConstraints: []ecsapi.TaskDefinitionPlacementConstraint{{Type: ptr("distinctInstance")}},
			ContainerDefinitions: []ecsapi.ContainerDefinition{container("a")}}, "ClientException", ""},
		{"bad log driver", ecsapi.RegisterTaskDefinitionInput{ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) {
			c.LogConfiguration = &ecsapi.LogConfiguration{LogDriver: ptr("nope")}
		})}}, "ClientException", ""},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Family = ptr("fam")
			_, err := e.s.RegisterTaskDefinition(e.ctx, &in)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.code, tc.message)
		})
	}
}

func TestService_RegisterTaskDefinition_Defaults(t *testing.T) {
	e := newEnv(t)
	out := must[*ecsapi.RegisterTaskDefinitionOutput](t)(e.s.RegisterTaskDefinition(e.ctx, &ecsapi.RegisterTaskDefinitionInput{
		Family:           ptr("web"),
		TaskRoleArn:      ptr("arn:aws:iam::123456789012:role/app"),
		ExecutionRoleArn: ptr("arn:aws:iam::123456789012:role/exec"),
		ContainerDefinitions: []ecsapi.ContainerDefinition{container("a", func(c *ecsapi.ContainerDefinition) {
			c.PortMappings = []ecsapi.PortMapping{{ContainerPort: ptr(int32(80))}}
			c.LogConfiguration = &ecsapi.LogConfiguration{LogDriver: ptr("awslogs"), Options: map[string]string{"awslogs-group": "g"}}
			c.HealthCheck = &ecsapi.HealthCheck{Command: []string{"CMD-SHELL", "true"}}
		})},
	}))
	td := out.TaskDefinition
	if deref(td.TaskDefinitionArn) != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1" || *td.Revision != 1 || deref(td.Status) != "ACTIVE" {
		t.Errorf("ARN %s revision %d status %s", deref(td.TaskDefinitionArn), *td.Revision, deref(td.Status))
	}
	c := td.ContainerDefinitions[0]
	if !*c.Essential || *c.Cpu != 0 || *c.PortMappings[0].HostPort != 0 || deref(c.PortMappings[0].Protocol) != "tcp" {
		t.Errorf("defaults: essential %v cpu %d hostPort %d protocol %s", *c.Essential, *c.Cpu, *c.PortMappings[0].HostPort, deref(c.PortMappings[0].Protocol))
	}
	if hc := c.HealthCheck; *hc.Interval != 30 || *hc.Timeout != 5 || *hc.Retries != 3 || *hc.StartPeriod != 0 {
		t.Errorf("health check defaults %+v", hc)
	}
	var req []string
	for _, a := range td.RequiresAttributes {
		req = append(req, deref(a.Name))
	}
	want := []string{"com.amazonaws.ecs.capability.logging-driver.awslogs", "com.amazonaws.ecs.capability.task-iam-role",
		"ecs.capability.container-health-check", "ecs.capability.execution-role-awslogs"}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Errorf("requiresAttributes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"EXTERNAL", "EC2"}, td.Compatibilities); diff != "" {
		t.Errorf("compatibilities (-want +got):\n%s", diff)
	}
	if deref(td.RegisteredBy) != "arn:aws:iam::123456789012:root" || td.RegisteredAt == nil {
		t.Errorf("registeredBy %s at %v", deref(td.RegisteredBy), td.RegisteredAt)
	}
}

func TestService_TaskDefinition_Revisions(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		e.taskDef("web", 0, 64)
	}
	e.taskDef("api", 0, 64)
	e.taskDef("web-admin", 0, 64)
	desc := func(ref string) *ecsapi.TaskDefinition {
		return must[*ecsapi.DescribeTaskDefinitionOutput](t)(e.s.DescribeTaskDefinition(e.ctx, &ecsapi.DescribeTaskDefinitionInput{TaskDefinition: ptr(ref)})).TaskDefinition
	}
	if *desc("web").Revision != 3 || *desc("web:2").Revision != 2 {
		t.Error("latest/revision lookup")
	}
	must[*ecsapi.DeregisterTaskDefinitionOutput](t)(e.s.DeregisterTaskDefinition(e.ctx, &ecsapi.DeregisterTaskDefinitionInput{TaskDefinition: ptr("web:3")}))
	if *desc("web").Revision != 2 {
		t.Errorf("latest ACTIVE after deregistering 3 = %d, want 2", *desc("web").Revision)
	}
	if d := desc("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"); deref(d.Status) != "INACTIVE" {
		t.Errorf("web:3 status %s", deref(d.Status))
	}
	_, err := e.s.DescribeTaskDefinition(e.ctx, &ecsapi.DescribeTaskDefinitionInput{TaskDefinition: ptr("nope")})
	wantCode(t, err, "ClientException", "Unable to describe task definition.")
	_, err = e.s.RunTask(e.ctx, &ecsapi.RunTaskInput{TaskDefinition: ptr("web:3")})
	wantCode(t, err, "ClusterNotFoundException", "")

	arn := func(s string) string { return "arn:aws:ecs:us-east-1:123456789012:task-definition/" + s }
	tests := []struct {
		name string
		in   ecsapi.ListTaskDefinitionsInput
		want []string
	}{
		{"active", ecsapi.ListTaskDefinitionsInput{}, []string{arn("api:1"), arn("web:1"), arn("web:2"), arn("web-admin:1")}},
		{"family", ecsapi.ListTaskDefinitionsInput{FamilyPrefix: ptr("web")}, []string{arn("web:1"), arn("web:2")}},
		{"desc", ecsapi.ListTaskDefinitionsInput{FamilyPrefix: ptr("web"), Sort: ptr("DESC")}, []string{arn("web:2"), arn("web:1")}},
		{"inactive", ecsapi.ListTaskDefinitionsInput{Status: ptr("INACTIVE")}, []string{arn("web:3")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			var next *string
			for {
				in := tc.in
				in.MaxResults, in.NextToken = ptr(int32(1)), next
				out := must[*ecsapi.ListTaskDefinitionsOutput](t)(e.s.ListTaskDefinitions(e.ctx, &in))
				got = append(got, out.TaskDefinitionArns...)
				if next = out.NextToken; next == nil {
					break
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	fams := must[*ecsapi.ListTaskDefinitionFamiliesOutput](t)(e.s.ListTaskDefinitionFamilies(e.ctx, &ecsapi.ListTaskDefinitionFamiliesInput{FamilyPrefix: ptr("web")}))
	if diff := cmp.Diff([]string{"web", "web-admin"}, fams.Families); diff != "" {
		t.Errorf("families (-want +got):\n%s", diff)
	}
	must[*ecsapi.DeregisterTaskDefinitionOutput](t)(e.s.DeregisterTaskDefinition(e.ctx, &ecsapi.DeregisterTaskDefinitionInput{TaskDefinition: ptr("api:1")}))
	fams = must[*ecsapi.ListTaskDefinitionFamiliesOutput](t)(e.s.ListTaskDefinitionFamilies(e.ctx, &ecsapi.ListTaskDefinitionFamiliesInput{Status: ptr("INACTIVE")}))
	if diff := cmp.Diff([]string{"api"}, fams.Families); diff != "" {
		t.Errorf("inactive families (-want +got):\n%s", diff)
	}
	del := must[*ecsapi.DeleteTaskDefinitionsOutput](t)(e.s.DeleteTaskDefinitions(e.ctx, &ecsapi.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"api:1", "web:1"}}))
	if len(del.TaskDefinitions) != 1 || deref(del.TaskDefinitions[0].Status) != "DELETE_IN_PROGRESS" || len(del.Failures) != 1 {
		t.Errorf("DeleteTaskDefinitions = %+v", del)
	}
	if err := e.s.collect(e.ctx); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.DescribeTaskDefinition(e.ctx, &ecsapi.DescribeTaskDefinitionInput{TaskDefinition: ptr("api:1")})
	wantCode(t, err, "ClientException", "")
}
