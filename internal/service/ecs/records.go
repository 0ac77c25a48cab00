// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
)

// The persisted records. JSON keys are short and empty fields omitted:
// instance and task records are rewritten on every placement and state
// change, and every replica decodes every write.

// Statuses, as ECS spells them.
const (
	statusActive        = "ACTIVE"
	statusInactive      = "INACTIVE"
	statusDraining      = "DRAINING"
	statusDeprovisioned = "DEPROVISIONING" // a cluster between the two phases of DeleteCluster

	taskPending = "PENDING"
	taskRunning = "RUNNING"
	taskStopped = "STOPPED"

	tdDeleteInProgress = "DELETE_IN_PROGRESS"
)

// tagRec is a resource tag.
type tagRec struct {
	K string `json:"k"`
	V string `json:"v"`
}

// attrRec is a container instance attribute; a nil Value is an attribute
// without a value (the agent's capabilities).
type attrRec struct {
	Name  string  `json:"n"`
	Value *string `json:"v,omitempty"`
}

// clusterRec is a cluster, keyed by its name.
type clusterRec struct {
	Name    string    `json:"name"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	// Deleted is when DeleteCluster made the cluster INACTIVE.
	Deleted           time.Time                    `json:"deleted,omitzero"`
	Tags              []tagRec                     `json:"tags,omitempty"`
	Settings          []settingRec                 `json:"settings,omitempty"`
	Configuration     *ecsapi.ClusterConfiguration `json:"cfg,omitempty"`
	CapacityProviders []string                     `json:"cps,omitempty"`
	Namespace         string                       `json:"ns,omitempty"`
}

type settingRec struct {
	Name  string `json:"n"`
	Value string `json:"v"`
}

// resourceRec is a registered resource other than CPU, MEMORY, PORTS and
// PORTS_UDP (NEURON_CORES, GPU...), kept to echo it back.
type resourceRec struct {
	Name   string   `json:"n"`
	Type   string   `json:"t"`
	Int    *int32   `json:"i,omitempty"`
	Long   *int64   `json:"l,omitempty"`
	Double *float64 `json:"d,omitempty"`
	Set    []string `json:"s,omitempty"`
}

// versionRec is the agent's versionInfo.
type versionRec struct {
	Agent  string `json:"a,omitempty"`
	Hash   string `json:"h,omitempty"`
	Docker string `json:"d,omitempty"`
}

// instanceRec is a container instance's registration, keyed "CLUSTER/ID":
// what the agent registered, its status, agent connection, attributes and
// tags. What its tasks use is the separate usageRec, so the hot path
// (placements, stops) rewrites a small record and not the agent's forty
// attributes.
type instanceRec struct {
	ID           string      `json:"id"`
	Cluster      string      `json:"c"`
	EC2ID        string      `json:"ec2"`
	Status       string      `json:"s"`
	StatusReason string      `json:"sr,omitempty"`
	Connected    bool        `json:"ac,omitempty"`
	ConnGen      int64       `json:"cg,omitempty"` // agent connection generation (agent_backend.go)
	Version      int64       `json:"ver"`          // ECS's version: +1 on every change
	Agent        *versionRec `json:"vi,omitempty"`

	// Registered resources.
	CPU         int           `json:"cpu"`
	Mem         int           `json:"mem"`
	Reserved    []int         `json:"rp,omitempty"`  // PORTS
	ReservedUDP []int         `json:"rpu,omitempty"` // PORTS_UDP
	Extra       []resourceRec `json:"xr,omitempty"`

	Attrs        []attrRec `json:"a,omitempty"` // sorted by name
	Tags         []tagRec  `json:"tags,omitempty"`
	Registered   time.Time `json:"rt"`
	Deregistered time.Time `json:"dt,omitzero"`
	IID          string    `json:"iid,omitempty"`
	IIDSignature string    `json:"iids,omitempty"`
	Token        string    `json:"tok,omitempty"`
}

// Clone returns a deep copy; store.Table.Update uses it.
func (r *instanceRec) Clone() *instanceRec {
	c := *r
	if r.Agent != nil {
		a := *r.Agent
		c.Agent = &a
	}
	c.Reserved = slices.Clone(r.Reserved)
	c.ReservedUDP = slices.Clone(r.ReservedUDP)
	c.Extra = slices.Clone(r.Extra)
	c.Attrs = slices.Clone(r.Attrs)
	c.Tags = slices.Clone(r.Tags)
	return &c
}

// usageRec is what the tasks of a container instance that are not yet
// STOPPED use, keyed like the instance. Placement reads it instead of
// summing tasks, and every placement commits with a compare-and-swap on it
// (and a check of the instance record), so concurrent placements never
// overcommit the instance.
type usageRec struct {
	CPU      int   `json:"cpu,omitempty"`
	Mem      int   `json:"mem,omitempty"`
	Ports    []int `json:"p,omitempty"` // TCP host ports, sorted
	UDPPorts []int `json:"u,omitempty"` // UDP host ports, sorted
	// Live counts the tasks not yet STOPPED (PENDING or RUNNING). Which
	// of them are RUNNING is read from the tasks when described, so that
	// a task's PENDING→RUNNING transition writes only the task and never
	// conflicts with placements on its instance.
	Live   int            `json:"live,omitempty"`
	Groups map[string]int `json:"g,omitempty"` // task group → tasks
}

// Clone returns a deep copy.
func (u *usageRec) Clone() *usageRec {
	c := *u
	c.Ports = slices.Clone(u.Ports)
	c.UDPPorts = slices.Clone(u.UDPPorts)
	c.Groups = maps.Clone(u.Groups)
	return &c
}

// attr returns the value of attribute name.
func (r *instanceRec) attr(name string) (string, bool) {
	i, ok := slices.BinarySearchFunc(r.Attrs, name, func(a attrRec, n string) int {
		return cmpString(a.Name, n)
	})
	if !ok {
		return "", false
	}
	return deref(r.Attrs[i].Value), true
}

// setAttr sets or adds an attribute, keeping Attrs sorted.
func (r *instanceRec) setAttr(name string, value *string) {
	i, ok := slices.BinarySearchFunc(r.Attrs, name, func(a attrRec, n string) int {
		return cmpString(a.Name, n)
	})
	if ok {
		r.Attrs[i].Value = value
		return
	}
	r.Attrs = slices.Insert(r.Attrs, i, attrRec{Name: name, Value: value})
}

// delAttr removes an attribute; false if absent.
func (r *instanceRec) delAttr(name string) bool {
	i, ok := slices.BinarySearchFunc(r.Attrs, name, func(a attrRec, n string) int {
		return cmpString(a.Name, n)
	})
	if ok {
		r.Attrs = slices.Delete(r.Attrs, i, i+1)
	}
	return ok
}

// portRec is a host port the scheduler reserved for a task's port mapping.
type portRec struct {
	Container string `json:"c"`
	CPort     int    `json:"cp"`
	HPort     int    `json:"hp"`
	Proto     string `json:"p,omitempty"` // "" = tcp
}

// bindingRec is a network binding the agent reported.
type bindingRec struct {
	IP         string `json:"ip,omitempty"`
	CPort      int32  `json:"cp,omitempty"`
	HPort      int32  `json:"hp,omitempty"`
	Proto      string `json:"p,omitempty"`
	CPortRange string `json:"cpr,omitempty"`
	HPortRange string `json:"hpr,omitempty"`
}

// containerRec is a task's container with what the agent reported.
type containerRec struct {
	Name      string       `json:"n"`
	ID        string       `json:"id"` // the container ARN's UUID
	RuntimeID string       `json:"rid,omitempty"`
	Last      string       `json:"ls,omitempty"`
	Exit      *int32       `json:"exit,omitempty"`
	Reason    string       `json:"r,omitempty"`
	Digest    string       `json:"dg,omitempty"`
	Bindings  []bindingRec `json:"nb,omitempty"`
	Health    string       `json:"h,omitempty"`
}

// taskRec is a task, keyed "CLUSTER/ID".
type taskRec struct {
	ID         string `json:"id"`
	Cluster    string `json:"c"`
	Instance   string `json:"i"`  // container instance id
	Def        string `json:"td"` // task definition ARN
	Family     string `json:"f"`
	Group      string `json:"g"`
	StartedBy  string `json:"sb,omitempty"`
	Service    string `json:"svc,omitempty"` // the service's name, for its tasks
	Deployment string `json:"dep,omitempty"` // the service deployment that started it
	Desired    string `json:"ds"`
	Last       string `json:"ls"`
	Version    int64  `json:"v"`
	AZ         string `json:"az,omitempty"`

	CPU   int       `json:"cpu"`
	Mem   int       `json:"mem"`
	Ports []portRec `json:"p,omitempty"`
	// Released means its CPU, memory and ports were returned to the
	// instance (it reached STOPPED).
	Released bool `json:"rel,omitempty"`

	Containers []containerRec       `json:"ct"`
	Overrides  *ecsapi.TaskOverride `json:"o,omitempty"`
	TaskRole   string               `json:"tr,omitempty"`
	ExecRole   string               `json:"er,omitempty"`
	Tags       []tagRec             `json:"tags,omitempty"`
	ExecCmd    bool                 `json:"exec,omitempty"`

	Created       time.Time `json:"ca"`
	Started       time.Time `json:"sa,omitzero"`
	Stopping      time.Time `json:"sga,omitzero"`
	Stopped       time.Time `json:"soa,omitzero"`
	PullStarted   time.Time `json:"psa,omitzero"`
	PullStopped   time.Time `json:"pso,omitzero"`
	ExecStopped   time.Time `json:"eso,omitzero"`
	StoppedReason string    `json:"sr,omitempty"`
	StopCode      string    `json:"sc,omitempty"`
}

// Clone returns a deep copy.
func (t *taskRec) Clone() *taskRec {
	c := *t
	c.Ports = slices.Clone(t.Ports)
	c.Containers = make([]containerRec, len(t.Containers))
	for i, ct := range t.Containers {
		ct.Bindings = slices.Clone(ct.Bindings)
		if ct.Exit != nil {
			e := *ct.Exit
			ct.Exit = &e
		}
		c.Containers[i] = ct
	}
	c.Tags = slices.Clone(t.Tags)
	return &c
}

// live reports whether the task still holds resources on its instance.
func (t *taskRec) live() bool { return !t.Released }

// familyRec is a task definition family, keyed by its name.
type familyRec struct {
	Name string `json:"name"`
	// Latest is the highest revision ever registered; the next is Latest+1.
	Latest int `json:"latest"`
	// LatestActive is the highest ACTIVE revision, 0 if none.
	LatestActive int `json:"latestActive"`
	// Active counts the ACTIVE revisions.
	Active int `json:"active"`
}

// serviceRec is a service, keyed "CLUSTER/NAME".
type serviceRec struct {
	Name       string    `json:"name"`
	Cluster    string    `json:"c"`
	Status     string    `json:"status"` // ACTIVE, DRAINING, INACTIVE
	Desired    int       `json:"desired"`
	TaskDef    string    `json:"td"`
	Created    time.Time `json:"created"`
	CreatedBy  string    `json:"createdBy,omitempty"`
	Deleted    time.Time `json:"deleted,omitzero"`
	LaunchType string    `json:"lt,omitempty"`
	Scheduling string    `json:"sched"` // REPLICA or DAEMON

	MaxPercent     int  `json:"maxPct"`
	MinHealthy     int  `json:"minPct"`
	CircuitBreaker bool `json:"cb,omitempty"`
	Rollback       bool `json:"rb,omitempty"`

	Constraints  []constraintRec `json:"pc,omitempty"`
	Strategy     []strategyRec   `json:"ps,omitempty"`
	Tags         []tagRec        `json:"tags,omitempty"`
	ManagedTags  bool            `json:"mtags,omitempty"`
	Propagate    string          `json:"prop,omitempty"`
	ExecCmd      bool            `json:"exec,omitempty"`
	GracePeriod  *int32          `json:"grace,omitempty"`
	Role         string          `json:"role,omitempty"`
	ClientToken  string          `json:"tok,omitempty"`
	Controller   string          `json:"ctl,omitempty"`
	LoadBalancer []byte          `json:"lb,omitempty"` // unused by EC2 placement; kept as given

	Deployments []deploymentRec `json:"deps"`
	Events      []eventRec      `json:"events,omitempty"` // newest first
}

// Clone returns a deep copy.
func (r *serviceRec) Clone() *serviceRec {
	c := *r
	c.Constraints = slices.Clone(r.Constraints)
	c.Strategy = slices.Clone(r.Strategy)
	c.Tags = slices.Clone(r.Tags)
	c.Deployments = slices.Clone(r.Deployments)
	c.Events = slices.Clone(r.Events)
	return &c
}

type constraintRec struct {
	Type string `json:"t"`
	Expr string `json:"e,omitempty"`
}

type strategyRec struct {
	Type  string `json:"t"`
	Field string `json:"f,omitempty"`
}

// deploymentRec is one deployment of a service: PRIMARY (the newest) or
// ACTIVE (older ones still draining).
type deploymentRec struct {
	ID         string    `json:"id"`
	Status     string    `json:"s"`
	TaskDef    string    `json:"td"`
	Desired    int       `json:"d"`
	Failed     int       `json:"f,omitempty"`
	Created    time.Time `json:"ca"`
	Updated    time.Time `json:"ua"`
	Rollout    string    `json:"ro"`
	RolloutWhy string    `json:"rr,omitempty"`
	LaunchType string    `json:"lt,omitempty"`
}

// eventRec is a service event.
type eventRec struct {
	ID  string    `json:"id"`
	At  time.Time `json:"at"`
	Msg string    `json:"m"`
}

// tokenRec remembers an idempotent request by its client token: the hash
// of its parameters and, once done, what it created.
type tokenRec struct {
	Hash    string    `json:"h"`
	Done    bool      `json:"done,omitempty"`
	IDs     []string  `json:"ids,omitempty"`
	Fails   []failRec `json:"fails,omitempty"`
	Created time.Time `json:"ca"`
}

type failRec struct {
	ARN    string `json:"a,omitempty"`
	Reason string `json:"r"`
	Detail string `json:"d,omitempty"`
}

// taskDefRec is a task definition revision, keyed tdID(family, revision).
// Def is the revision as DescribeTaskDefinition returns it; it is decoded
// once by each replica's cache and then shared read-only (agent payloads,
// Describe), so nobody may modify it.
type taskDefRec struct {
	Family   string
	Revision int
	Status   string
	Tags     []tagRec
	Def      *ecsapi.TaskDefinition
}

// taskDefJSON is taskDefRec's stored form. The definition is encoded
// without its null members: the generated shapes have no omitempty tags and
// a container definition has some fifty optional fields.
type taskDefJSON struct {
	Family   string          `json:"family"`
	Revision int             `json:"rev"`
	Status   string          `json:"status"`
	Tags     []tagRec        `json:"tags,omitempty"`
	Def      json.RawMessage `json:"def"`
}

// MarshalJSON implements json.Marshaler.
func (r *taskDefRec) MarshalJSON() ([]byte, error) {
	def, err := compactJSON(r.Def)
	if err != nil {
		return nil, err
	}
	return json.Marshal(taskDefJSON{Family: r.Family, Revision: r.Revision, Status: r.Status, Tags: r.Tags, Def: def})
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *taskDefRec) UnmarshalJSON(b []byte) error {
	var j taskDefJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	def := new(ecsapi.TaskDefinition)
	if len(j.Def) > 0 {
		if err := json.Unmarshal(j.Def, def); err != nil {
			return fmt.Errorf("ecs: decode task definition: %w", err)
		}
	}
	*r = taskDefRec{Family: j.Family, Revision: j.Revision, Status: j.Status, Tags: j.Tags, Def: def}
	return nil
}

// Clone returns a copy whose Def is a deep copy.
func (r *taskDefRec) Clone() *taskDefRec {
	b, err := r.MarshalJSON()
	if err != nil {
		c := *r
		return &c
	}
	c := new(taskDefRec)
	if err := c.UnmarshalJSON(b); err != nil {
		cp := *r
		return &cp
	}
	return c
}

// compactJSON encodes v as JSON without null object members.
func compactJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return nil, err
	}
	return json.Marshal(dropNulls(tree))
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			t[k] = dropNulls(e)
		}
	case []any:
		for i, e := range t {
			t[i] = dropNulls(e)
		}
	}
	return v
}
