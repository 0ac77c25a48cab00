// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/awsapi/ecsapi"
	"github.com/berthdev/berth/internal/store"
)

// Built-in attributes berth sets on a container instance when the
// registration does not carry them. ECS takes them from EC2; berth takes
// them from the instance identity document when there is one, and
// otherwise sets only the availability zone (REGION + "a") and the OS type
// (linux), so that the default service strategy and the agent's metadata
// have a zone.
const (
	attrAZ       = "ecs.availability-zone"
	attrInstType = "ecs.instance-type"
	attrAMI      = "ecs.ami-id"
	attrArch     = "ecs.cpu-architecture"
	attrOSType   = "ecs.os-type"
)

const (
	maxDescribeInstances = 100
	maxInstanceStates    = 10
	includeHealth        = "CONTAINER_INSTANCE_HEALTH"
)

// identityDoc is what berth reads from an EC2 instance identity document.
type identityDoc struct {
	InstanceID       string `json:"instanceId"`
	InstanceType     string `json:"instanceType"`
	ImageID          string `json:"imageId"`
	AvailabilityZone string `json:"availabilityZone"`
	Architecture     string `json:"architecture"`
}

// applyResources sets an instance's registered resources from
// totalResources.
func applyResources(r *instanceRec, res []ecsapi.Resource) error {
	r.Extra = nil
	for _, x := range res {
		name := deref(x.Name)
		num := func() int {
			switch {
			case x.IntegerValue != nil:
				return int(*x.IntegerValue)
			case x.LongValue != nil:
				return int(*x.LongValue)
			case x.DoubleValue != nil:
				return int(*x.DoubleValue)
			}
			return 0
		}
		ports := func() ([]int, error) {
			var out []int
			for _, p := range x.StringSetValue {
				n, err := strconv.Atoi(p)
				if err != nil || n < 1 || n > 65535 {
					return nil, invalidParam("Invalid port %q in %s.", p, name)
				}
				out = append(out, n)
			}
			slices.Sort(out)
			return slices.Compact(out), nil
		}
		var err error
		switch name {
		case "CPU":
			r.CPU = num()
		case "MEMORY":
			r.Mem = num()
		case "PORTS":
			r.Reserved, err = ports()
		case "PORTS_UDP":
			r.ReservedUDP, err = ports()
		default:
			r.Extra = append(r.Extra, resourceRec{Name: name, Type: deref(x.Type), Int: x.IntegerValue,
				Long: x.LongValue, Double: x.DoubleValue, Set: x.StringSetValue})
		}
		if err != nil {
			return err
		}
	}
	if r.CPU < 0 || r.Mem < 0 {
		return invalidParam("CPU and MEMORY must not be negative.")
	}
	return nil
}

// RegisterContainerInstance implements ecsapi.API. The response echoes
// every attribute sent (the agent exits if one is missing) plus the
// built-in ones. A registration naming containerInstanceArn of an instance
// that is still registered updates it in place (the agent re-registering
// after a restart); one naming an unknown or deregistered instance
// registers a new instance.
func (s *Service) RegisterContainerInstance(ctx context.Context, in *ecsapi.RegisterContainerInstanceInput) (*ecsapi.RegisterContainerInstanceOutput, error) {
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	for _, a := range in.Attributes {
		if err := checkAttribute(deref(a.Name), a.Value, false); err != nil {
			return nil, err
		}
	}
	ec2ID, err := s.verifyIdentity(in)
	if err != nil {
		return nil, err
	}
	token := deref(in.ClientToken)
	for range maxCASRetries {
		cl, name, err := s.activeCluster(in.Cluster)
		if err != nil {
			return nil, err
		}
		if token != "" {
			if r, ok := s.registrationByToken(ctx, name, token); ok {
				return &ecsapi.RegisterContainerInstanceOutput{ContainerInstance: s.apiInstance(r, true, false)}, nil
			}
		}
		rec, rev, err := s.registration(ctx, name, in, ec2ID)
		if err != nil {
			return nil, err
		}
		rec.Tags = mergeTags(rec.Tags, tags)
		if token != "" {
			rec.Token = token
		}
		sid := storeID(name, rec.ID)
		tx := s.st.Txn().Add(s.t.clusters.CheckOp(name, cl.Revision))
		if rev == 0 {
			tx.Add(s.t.instances.CreateOp(sid, rec), s.t.usage.CreateOp(sid, &usageRec{}))
		} else {
			tx.Add(s.t.instances.PutOp(sid, rec, rev))
		}
		if token != "" && rev == 0 {
			tx.Add(s.t.tokens.CreateOp(k("rci", name, token), &tokenRec{Done: true, IDs: []string{rec.ID}, Created: s.now()}))
		}
		_, err = tx.Commit(ctx)
		if err == nil {
			s.view.refresh(sid)
			return &ecsapi.RegisterContainerInstanceOutput{ContainerInstance: s.apiInstance(rec, true, false)}, nil
		}
		if !isConflict(err) {
			return nil, storeErr(err)
		}
		if _, err := s.st.Sync(ctx); err != nil {
			return nil, storeErr(err)
		}
	}
	return nil, storeErr(errf("register container instance: too many conflicts"))
}

func (s *Service) registrationByToken(ctx context.Context, cluster, token string) (*instanceRec, bool) {
	t, err := s.t.tokens.Get(ctx, k("rci", cluster, token))
	if err != nil || len(t.Value.IDs) == 0 {
		return nil, false
	}
	r, err := s.t.instances.Get(ctx, storeID(cluster, t.Value.IDs[0]))
	if err != nil {
		return nil, false
	}
	return r.Value, true
}

// Messages of identity document refusals. The first is the one ECS
// answers the Amazon ECS agent with for a document it cannot verify.
const (
	msgInvalidIdentity  = "The identity document and identity document signature were not valid."
	msgIdentityRequired = "An instance identity document and its signature are required to register a container instance."
)

// verifyIdentity checks the registration's instance identity document and
// returns the EC2 instance id it proves ("" when the registration carries
// no document and none is required, or no verifier is configured).
//
// As on ECS, a document that is present must verify: a bad signature, a
// document of another account or region, or one of an instance that does
// not exist is refused with a ClientException, and so is a signature
// without a document. A registration without a document (the Amazon ECS
// agent's ECS_NO_IID, berth sim-agents) is accepted unless
// Config.RequireIdentityDocument is set.
func (s *Service) verifyIdentity(in *ecsapi.RegisterContainerInstanceInput) (string, error) {
	doc, sig := deref(in.InstanceIdentityDocument), deref(in.InstanceIdentityDocumentSignature)
	if doc == "" {
		if sig != "" {
			return "", clientErr(msgInvalidIdentity)
		}
		if s.cfg.RequireIdentityDocument {
			return "", clientErr(msgIdentityRequired)
		}
		return "", nil
	}
	if s.identity == nil {
		return "", nil
	}
	id, err := s.identity.VerifyIdentityDocument(doc, sig)
	if errors.Is(err, ErrInvalidIdentity) {
		s.log.Info("container instance registration refused: invalid identity document", "reason", err.Error())
		return "", ecsapi.ErrClient(msgInvalidIdentity).WithCause(err)
	}
	if err != nil {
		return "", storeErr(err)
	}
	return id, nil
}

// registration builds the instance record a registration writes: a copy
// of the registered instance it re-registers (rev its revision), or a new
// one (rev 0). ec2ID is the instance id a verified identity document
// proved, or "".
func (s *Service) registration(ctx context.Context, cluster string, in *ecsapi.RegisterContainerInstanceInput, ec2ID string) (*instanceRec, int64, error) {
	var rec *instanceRec
	var rev int64
	if ref := deref(in.ContainerInstanceArn); ref != "" {
		c, id, ok := s.childRef(ref, "container-instance")
		if !ok || (c != "" && c != cluster) {
			return nil, 0, invalidParam("Invalid containerInstanceArn %q.", ref)
		}
		if cur, err := s.t.instances.Get(ctx, storeID(cluster, id)); err == nil && cur.Value.Status != statusInactive {
			rec, rev = cur.Value.Clone(), cur.Revision
			rec.Version++
		}
	}
	if rec == nil {
		rec = &instanceRec{ID: newID(), Cluster: cluster, Status: statusActive, Version: 1, Registered: s.now()}
	}
	if err := applyResources(rec, in.TotalResources); err != nil {
		return nil, 0, err
	}
	if vi := in.VersionInfo; vi != nil {
		rec.Agent = &versionRec{Agent: deref(vi.AgentVersion), Hash: deref(vi.AgentHash), Docker: deref(vi.DockerVersion)}
	}
	for _, a := range in.Attributes {
		rec.setAttr(deref(a.Name), a.Value)
	}
	var doc identityDoc
	if iid := deref(in.InstanceIdentityDocument); iid != "" {
		rec.IID, rec.IIDSignature = iid, deref(in.InstanceIdentityDocumentSignature)
		_ = json.Unmarshal([]byte(iid), &doc) // a document berth cannot read still registers
	}
	switch {
	case ec2ID != "":
		rec.EC2ID = ec2ID
	case doc.InstanceID != "":
		rec.EC2ID = doc.InstanceID
	case rec.EC2ID == "":
		rec.EC2ID = "i-" + newID()[:17]
	}
	az := doc.AvailabilityZone
	if az == "" {
		az = s.cfg.Region + "a"
	}
	for _, b := range []struct{ name, value string }{
		{attrAZ, az}, {attrInstType, doc.InstanceType}, {attrAMI, doc.ImageID},
		{attrArch, doc.Architecture}, {attrOSType, "linux"},
	} {
		if _, ok := rec.attr(b.name); !ok && b.value != "" {
			rec.setAttr(b.name, ptr(b.value))
		}
	}
	return rec, rev, nil
}

// instanceRef resolves a container instance reference within a cluster to
// its record.
func (s *Service) instanceRef(cluster, ref string) (store.Record[instanceRec], string, bool) {
	c, id, ok := s.childRef(ref, "container-instance")
	if !ok || (c != "" && c != cluster) {
		return store.Record[instanceRec]{}, "", false
	}
	r, err := s.t.instances.Get(context.Background(), storeID(cluster, id))
	if err != nil {
		return store.Record[instanceRec]{}, id, false
	}
	return r, id, true
}

// DeregisterContainerInstance implements ecsapi.API. The instance becomes
// INACTIVE and stays describable for the retention period. With force, its
// tasks that are not yet STOPPED are stopped (desired and last status
// STOPPED, resources released); without, an instance with such tasks is
// refused.
func (s *Service) DeregisterContainerInstance(ctx context.Context, in *ecsapi.DeregisterContainerInstanceInput) (*ecsapi.DeregisterContainerInstanceOutput, error) {
	name, err := s.knownCluster(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	cur, id, ok := s.instanceRef(name, deref(in.ContainerInstance))
	if !ok {
		return nil, invalidParam("Container instance not found: %s", deref(in.ContainerInstance))
	}
	force := in.Force != nil && *in.Force
	sid := storeID(name, id)
	r, err := s.deregister(ctx, sid, force)
	if err != nil {
		return nil, err
	}
	s.view.refresh(sid)
	if cur.Value.Status != statusInactive {
		if err := s.stopInstanceTasks(ctx, name, id, msgInstanceForced); err != nil {
			return nil, err
		}
	}
	s.watchers.notify(id)
	return &ecsapi.DeregisterContainerInstanceOutput{ContainerInstance: s.apiInstance(r, true, false)}, nil
}

// deregister makes an instance INACTIVE. Without force it compares the
// usage record it found empty, so a task placed meanwhile (on any
// replica) makes it try again and refuse.
func (s *Service) deregister(ctx context.Context, sid string, force bool) (*instanceRec, error) {
	for range maxCASRetries {
		cur, err := s.t.instances.Get(ctx, sid)
		if err != nil {
			return nil, storeErr(err)
		}
		if cur.Value.Status == statusInactive {
			return cur.Value, nil
		}
		u, err := s.t.usage.Get(ctx, sid)
		if err != nil && !isNotFound(err) {
			return nil, storeErr(err)
		}
		tx := s.st.Txn()
		if err == nil {
			if !force && u.Value.Live > 0 {
				return nil, invalidParam("Found running tasks on the instance.")
			}
			tx.Add(s.t.usage.CheckOp(sid, u.Revision))
		}
		r := cur.Value.Clone()
		r.Status, r.Connected, r.Deregistered = statusInactive, false, s.now()
		r.Version++
		_, err = tx.Add(s.t.instances.PutOp(sid, r, cur.Revision)).Commit(ctx)
		if err == nil {
			return r, nil
		}
		if !isConflict(err) {
			return nil, storeErr(err)
		}
		if _, err := s.st.Sync(ctx); err != nil {
			return nil, storeErr(err)
		}
	}
	return nil, storeErr(errf("deregister %s: too many conflicts", sid))
}

// UpdateContainerInstancesState implements ecsapi.API. DRAINING stops
// placing tasks on the instances and makes the service controller replace
// their service tasks elsewhere; ACTIVE returns them to service.
func (s *Service) UpdateContainerInstancesState(ctx context.Context, in *ecsapi.UpdateContainerInstancesStateInput) (*ecsapi.UpdateContainerInstancesStateOutput, error) {
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > maxInstanceStates {
		return nil, invalidParam("containerInstances must have between 1 and %d items.", maxInstanceStates)
	}
	status := deref(in.Status)
	if status != statusActive && status != statusDraining {
		return nil, invalidParam("Container instances status should be one of [ACTIVE,DRAINING]")
	}
	_, name, err := s.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &ecsapi.UpdateContainerInstancesStateOutput{ContainerInstances: []ecsapi.ContainerInstance{}, Failures: []ecsapi.Failure{}}
	for _, ref := range in.ContainerInstances {
		cur, id, ok := s.instanceRef(name, ref)
		if !ok {
			arn := ref
			if id != "" {
				arn = s.instanceARN(name, id)
			}
			out.Failures = append(out.Failures, ecsapi.Failure{Arn: ptr(arn), Reason: ptr(reasonMissing)})
			continue
		}
		if cur.Value.Status == statusInactive {
			out.Failures = append(out.Failures, ecsapi.Failure{Arn: ptr(s.instanceARN(name, id)), Reason: ptr(reasonInactive)})
			continue
		}
		sid := storeID(name, id)
		r, err := s.t.instances.Update(ctx, sid, func(r *instanceRec) error {
			if r.Status != status && r.Status != statusInactive {
				r.Status = status
				r.Version++
			}
			return nil
		})
		if err != nil {
			return nil, storeErr(err)
		}
		s.view.refresh(sid)
		if status == statusDraining {
			s.ctl.kickAll()
		}
		out.ContainerInstances = append(out.ContainerInstances, *s.apiInstance(r.Value, false, false))
	}
	return out, nil
}
