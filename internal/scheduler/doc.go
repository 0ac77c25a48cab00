// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package scheduler is berth's Amazon ECS task placement: pure functions
// over a read-only State (no store, no HTTP, no clock) that decide which
// container instances take a request's tasks and which host ports they get,
// and report failures[] the way RunTask does. Committing is the caller's:
// every Placement names the instance and the revision (Version) it was
// computed against, so the ECS service commits with a compare-and-swap per
// instance, and Scheduler.Process re-places whatever lost a race.
//
//	Request ──► Validate/compile ──► filter ──► rank ──► place one task ─┐
//	 (strategies,   (constraints      (status, agent,   (strategy chain,  │
//	  constraints,   parsed once,      attributes, CPU,  ties at random)  │
//	  ports...)      cached)           memory, ports,        ▲            │
//	                                   memberOf, distinct)   └─ in-flight ┘
//	                                                            view, per task
//	Placements + Failures ──► Planner.SubmitPlan (CAS on Version)
//	                             └─ rejected? ──► place again on fresher State
//
// ECS semantics, with the documentation they follow:
//
//   - Filtering follows "Amazon ECS task placement": instances with the
//     CPU, memory and ports the task needs, then the constraints. An
//     instance that is not ACTIVE, or whose agent is disconnected, takes no
//     task. Each instance that cannot take a task is reported once with its
//     first failing reason: the status (INACTIVE, DRAINING...), AGENT,
//     ATTRIBUTE (requiresAttributes), RESOURCE:CPU, RESOURCE:MEMORY,
//     RESOURCE:PORTS, RESOURCE:PORTS_UDP, "MemberOf placement constraint
//     unsatisfied." or "DistinctInstance placement constraint unsatisfied."
//     ("Amazon ECS API failure reasons"; the constraint messages as ECS
//     returns them). PlaceOn, for StartTask, adds MISSING.
//   - Strategies ("Use strategies to define Amazon ECS task placement"):
//     binpack on cpu or memory takes the instance with the least remaining
//     amount; spread on instanceId/host or attribute:<name> balances the
//     request's task group (a service's tasks are group service:<name>,
//     standalone tasks family:<family> unless named; "Group related Amazon
//     ECS tasks") across the field's values, counting tasks already
//     running (an instance without the attribute counts as the value "");
//     random draws uniformly. A chain applies its strategies in
//     order, each breaking the previous one's ties; remaining ties are
//     broken at random. Without strategies, a service's tasks spread on
//     attribute:ecs.availability-zone and standalone tasks are random.
//   - Constraints ("Amazon ECS task placement constraints"):
//     distinctInstance keeps each task of the group on its own instance
//     (tasks already running included); memberOf takes a cluster query
//     expression ("Cluster query language"), see ParseQuery, whose Query
//     also serves ListContainerInstances' filter. A condition on a missing
//     attribute is false except for !exists, as the guide's
//     "attribute:stack != prod" example implies.
//   - Resources: the task-level cpu and memory, or the containers' sums
//     (TaskResources). Bridge mode maps hostPort 0 to a dynamic port from
//     the instance's ephemeral range (DefaultDynamicPorts), host mode uses
//     the container port, awsvpc and none use no host port.
//
// Within one call, tasks see the earlier tasks' CPU, memory, ports, group
// membership and runningTasksCount, so count=10 never overcommits and
// memberOf(runningTasksCount == 0) puts one task per empty instance.
//
// Scale: chains with spread examine every instance once per call (O(n)),
// keep only the Count best candidates of each cell when a binpack or
// instanceId spread ranks them (a cell is a combination of spread attribute
// values; placing Count tasks never needs more), and then pay
// O(cells + log Count) per task; binpack and random examine a random sample
// of DefaultSampleSize feasible instances, widening it only when it fills
// up. Candidate storage is pooled across calls.
// Not modelled: GPUs, ENI limits (RESOURCE:ENI), LOCATION, capacity
// providers, containerPortRange mappings.
//
// Example, placing three tasks of a service and committing them:
//
//	req := &scheduler.Request{
//		Cluster: clusterARN, Count: 3, CPU: 256, Memory: 512,
//		PortMappings: []scheduler.PortMapping{{ContainerName: "web", ContainerPort: 80}},
//		Strategies: []scheduler.Strategy{
//			{Type: scheduler.StrategySpread, Field: "attribute:ecs.availability-zone"},
//			{Type: scheduler.StrategyBinpack, Field: scheduler.FieldMemory},
//		},
//		Service: "web",
//	}
//	if err := req.Validate(); err != nil {
//		var ipe *scheduler.InvalidParameterError
//		if errors.As(err, &ipe) {
//			return ecsapi.ErrInvalidParameter("%s", ipe.Message)
//		}
//		return err
//	}
//	s, _ := scheduler.New(scheduler.Config{}, scheduler.Deps{Planner: committer})
//	res, err := s.Process(ctx, scheduler.Eval{State: cache, Request: req})
//	// res.Placements: one per task, with its instance, revision and ports;
//	// res.Failures: RunTask's failures[] for the tasks that did not fit.
package scheduler
