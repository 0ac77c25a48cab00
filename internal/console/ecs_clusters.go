// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// clusters lists the clusters with their counts.
func (c *Console) clusters(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var arns []string
	p := ecs.NewListClustersPaginator(rq.api.ecs, &ecs.ListClustersInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() && len(arns) < maxListed {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		arns = append(arns, pg.ClusterArns...)
	}
	search := strings.TrimSpace(r.URL.Query().Get("search"))
	page, pg := paginate(r, filter(arns, search, lastSegment), c.cfg.PageSize)
	var rows []ecstypes.Cluster
	for i := 0; i < len(page); i += 100 {
		d, err := rq.api.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: page[i:min(i+100, len(page))]})
		if err != nil {
			return err
		}
		rows = append(rows, d.Clusters...)
	}
	v := c.newView(rq, "Clusters")
	v.Nav = "ecs-clusters"
	v.Form = search
	v.Data = struct {
		Rows  []ecstypes.Cluster
		Pager pager
	}{rows, pg}
	c.render(w, r, http.StatusOK, "clusters", v)
	return nil
}

// clusterData is the cluster page: the cluster and the rows of one tab.
type clusterData struct {
	Cluster   ecstypes.Cluster
	Name, Tab string
	// Status filters the tasks tab: RUNNING or STOPPED.
	Status    string
	Instances []instanceRow
	Tasks     []taskRow
	Services  []serviceRow
	Pager     pager
}

var clusterTabs = []string{"services", "tasks", "instances"}

// clusterData reads the cluster and the page of rows its tab shows.
func (c *Console) clusterData(ctx context.Context, r *http.Request, rq *request) (*clusterData, error) {
	name := r.PathValue("cluster")
	q := r.URL.Query()
	d := &clusterData{Name: name, Tab: q.Get("tab"), Status: q.Get("status")}
	if !slices.Contains(clusterTabs, d.Tab) {
		d.Tab = "services"
	}
	if d.Status != "STOPPED" {
		d.Status = "RUNNING"
	}
	out, err := rq.api.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
	if err != nil {
		return nil, err
	}
	if len(out.Clusters) == 0 {
		msg := "The cluster " + name + " does not exist."
		if len(out.Failures) > 0 {
			msg = aws.ToString(out.Failures[0].Reason) + ": " + name
		}
		return nil, &notFoundError{msg}
	}
	d.Cluster = out.Clusters[0]
	var arns []string
	switch d.Tab {
	case "instances":
		p := ecs.NewListContainerInstancesPaginator(rq.api.ecs, &ecs.ListContainerInstancesInput{Cluster: aws.String(name)})
		for p.HasMorePages() && len(arns) < maxListed {
			pg, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			arns = append(arns, pg.ContainerInstanceArns...)
		}
		arns, d.Pager = paginate(r, arns, c.cfg.PageSize)
		d.Instances, err = describeInstances(ctx, rq.api.ecs, name, arns)
	case "tasks":
		p := ecs.NewListTasksPaginator(rq.api.ecs, &ecs.ListTasksInput{Cluster: aws.String(name), DesiredStatus: ecstypes.DesiredStatus(d.Status)})
		for p.HasMorePages() && len(arns) < maxListed {
			pg, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			arns = append(arns, pg.TaskArns...)
		}
		arns, d.Pager = paginate(r, arns, c.cfg.PageSize)
		d.Tasks, err = describeTasks(ctx, rq.api.ecs, name, arns)
	default:
		p := ecs.NewListServicesPaginator(rq.api.ecs, &ecs.ListServicesInput{Cluster: aws.String(name)})
		for p.HasMorePages() && len(arns) < maxListed {
			pg, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			arns = append(arns, pg.ServiceArns...)
		}
		arns, d.Pager = paginate(r, arns, c.cfg.PageSize)
		d.Services, err = describeServices(ctx, rq.api.ecs, name, arns)
	}
	return d, err
}

// notFoundError is a console-side "not found" (an ECS Describe* failure
// entry rather than an API error).
type notFoundError struct{ msg string }

var _ smithy.APIError = (*notFoundError)(nil)

func (e *notFoundError) Error() string                 { return e.msg }
func (e *notFoundError) ErrorCode() string             { return "NotFound" }
func (e *notFoundError) ErrorMessage() string          { return e.msg }
func (e *notFoundError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// cluster is a cluster's page: counts, and its services, tasks or
// instances (one tab at a time), refreshed live by the script.
func (c *Console) cluster(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := c.clusterData(r.Context(), r, rq)
	if err != nil {
		return err
	}
	v := c.newView(rq, "Cluster "+d.Name)
	v.Nav = "ecs-clusters"
	v.Data = d
	c.render(w, r, http.StatusOK, "cluster", v)
	return nil
}

// apiCluster is the live JSON of the cluster page.
func (c *Console) apiCluster(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := c.clusterData(r.Context(), r, rq)
	if err != nil {
		return err
	}
	l := newLive()
	cl := d.Cluster
	for k, v := range map[string]int32{"instances": cl.RegisteredContainerInstancesCount, "running": cl.RunningTasksCount,
		"pending": cl.PendingTasksCount, "services": cl.ActiveServicesCount} {
		l.set("cluster", d.Name, k, itoa(v))
	}
	l.set("cluster", d.Name, "status", aws.ToString(cl.Status))
	for _, x := range d.Instances {
		x.fields(l)
	}
	for _, x := range d.Tasks {
		x.fields(l)
	}
	for _, x := range d.Services {
		x.fields(l)
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// taskData is the task page.
type taskData struct {
	Cluster string
	Task    taskRow
	// Logs maps a container name to whether it logs with awslogs.
	Logs map[string]bool
}

func (c *Console) taskData(ctx context.Context, r *http.Request, rq *request) (*taskData, *ecstypes.TaskDefinition, error) {
	cluster, id := r.PathValue("cluster"), r.PathValue("task")
	rows, err := describeTasks(ctx, rq.api.ecs, cluster, []string{id})
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, &notFoundError{"The task " + id + " does not exist in cluster " + cluster + "."}
	}
	d := &taskData{Cluster: cluster, Task: rows[0], Logs: map[string]bool{}}
	td, err := rq.api.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(d.Task.TaskDef)})
	if err != nil {
		return d, nil, nil // the task shows without its definition's details
	}
	for _, cd := range td.TaskDefinition.ContainerDefinitions {
		if lc := cd.LogConfiguration; lc != nil && lc.LogDriver == ecstypes.LogDriverAwslogs {
			d.Logs[aws.ToString(cd.Name)] = true
		}
	}
	return d, td.TaskDefinition, nil
}

// task is a task's page: status, containers with exit codes and network
// bindings, a stop button and links to container logs.
func (c *Console) task(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := c.taskData(r.Context(), r, rq)
	if err != nil {
		return err
	}
	v := c.newView(rq, "Task "+d.Task.ID)
	v.Nav = "ecs-clusters"
	v.Data = d
	c.render(w, r, http.StatusOK, "task", v)
	return nil
}

func (c *Console) apiTask(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := c.taskData(r.Context(), r, rq)
	if err != nil {
		return err
	}
	l := newLive()
	d.Task.fields(l)
	writeJSON(w, http.StatusOK, l)
	return nil
}

// stopTask is StopTask as the signed-in principal.
func (c *Console) stopTask(w http.ResponseWriter, r *http.Request, rq *request) error {
	cluster, id := r.PathValue("cluster"), r.PathValue("task")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		reason = "Stopped from the berth console by " + rq.sess.Who.ARN
	}
	if _, err := rq.api.ecs.StopTask(r.Context(), &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(id), Reason: aws.String(reason)}); err != nil {
		return err
	}
	redirect(w, r, taskURL(cluster, id), "Task "+id+" is stopping.")
	return nil
}

func taskURL(cluster, id string) string {
	return Prefix + "ecs/clusters/" + url.PathEscape(cluster) + "/tasks/" + url.PathEscape(id)
}

// service is a service's page: counts, deployments and events.
func (c *Console) service(w http.ResponseWriter, r *http.Request, rq *request) error {
	cluster, name := r.PathValue("cluster"), r.PathValue("service")
	rows, err := describeServices(r.Context(), rq.api.ecs, cluster, []string{name})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return &notFoundError{"The service " + name + " does not exist in cluster " + cluster + "."}
	}
	s := rows[0]
	events, pg := paginate(r, s.Events, 25)
	v := c.newView(rq, "Service "+s.Name)
	v.Nav = "ecs-clusters"
	v.Data = struct {
		Cluster string
		Service serviceRow
		Events  []ecstypes.ServiceEvent
		Pager   pager
	}{cluster, s, events, pg}
	c.render(w, r, http.StatusOK, "service", v)
	return nil
}

func itoa(i int32) string { return strconv.FormatInt(int64(i), 10) }
