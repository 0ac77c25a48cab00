// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecs

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/berthdev/berth/internal/arn"
)

// ECS resource ARNs, in the "new" (long) format that carries the cluster
// name: arn:aws:ecs:REGION:ACCOUNT:KIND/... .
//
//	cluster/NAME
//	container-instance/CLUSTER/ID   (ID: 32 lower-case hex digits)
//	task/CLUSTER/ID                 (ID: 32 lower-case hex digits)
//	container/CLUSTER/TASKID/UUID
//	task-definition/FAMILY:REVISION
//	service/CLUSTER/NAME

// defaultCluster is the cluster every operation uses when the request names
// none.
const defaultCluster = "default"

func (s *Service) ecsARN(resource string) string {
	return arn.New("ecs", s.cfg.Region, s.cfg.AccountID, resource)
}

// ecsARN2 is ecsARN(kind + "/" + a + "/" + b) built in one allocation:
// task and instance ARNs are rendered for every task of every answer.
func (s *Service) ecsARN2(kind, a, b string) string {
	return "arn:" + arn.Partition + ":ecs:" + s.cfg.Region + ":" + s.cfg.AccountID + ":" + kind + "/" + a + "/" + b
}

func (s *Service) clusterARN(name string) string { return s.ecsARN("cluster/" + name) }

func (s *Service) instanceARN(cluster, id string) string {
	return s.ecsARN2("container-instance", cluster, id)
}

func (s *Service) taskARN(cluster, id string) string { return s.ecsARN2("task", cluster, id) }

func (s *Service) containerARN(cluster, taskID, id string) string {
	return s.ecsARN("container/" + cluster + "/" + taskID + "/" + id)
}

func (s *Service) taskDefARN(family string, rev int) string {
	return s.ecsARN("task-definition/" + family + ":" + itoa(rev))
}

func (s *Service) serviceARN(cluster, name string) string {
	return s.ecsARN("service/" + cluster + "/" + name)
}

// newID returns 32 random lower-case hex digits, the id of ECS tasks and
// container instances.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newUUID returns a random RFC 4122 version 4 UUID, the id of containers
// and service events.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newDeploymentID returns "ecs-svc/" and 19 random digits, the shape of
// ECS deployment ids.
func newDeploymentID() string {
	var b [19]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return "ecs-svc/" + string(b[:])
}

// parseECSARN splits an ECS ARN of this account into its resource kind and
// the rest ("cluster", "name"). ok is false for anything else.
func (s *Service) parseECSARN(str string) (kind, rest string, ok bool) {
	a, err := arn.Parse(str)
	if err != nil || a.Service != "ecs" {
		return "", "", false
	}
	if a.AccountID != s.cfg.AccountID {
		return "", "", false
	}
	kind, rest, ok = strings.Cut(a.Resource, "/")
	return kind, rest, ok
}

// clusterName resolves a cluster reference, a name or an ARN, to the
// cluster's name; "default" when empty. ok is false for an ARN that cannot
// name a cluster of this account and region.
func (s *Service) clusterName(ref *string) (string, bool) {
	r := deref(ref)
	if r == "" {
		return defaultCluster, true
	}
	if !strings.HasPrefix(r, "arn:") {
		return r, true
	}
	kind, name, ok := s.parseECSARN(r)
	if !ok || kind != "cluster" || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// childRef resolves a reference to a cluster's child resource (container
// instance, task, service) given as an ARN of kind, in the long format
// KIND/CLUSTER/ID or the old KIND/ID, or as a bare id or name. It returns
// the cluster named by the ARN ("" when the reference does not name one)
// and the id. ok is false for a malformed ARN.
func (s *Service) childRef(ref, kind string) (cluster, id string, ok bool) {
	if !strings.HasPrefix(ref, "arn:") {
		return "", ref, ref != "" && !strings.Contains(ref, "/")
	}
	k, rest, ok := s.parseECSARN(ref)
	if !ok || k != kind || rest == "" {
		return "", "", false
	}
	if c, i, two := strings.Cut(rest, "/"); two {
		if c == "" || i == "" || strings.Contains(i, "/") {
			return "", "", false
		}
		return c, i, true
	}
	return "", rest, true
}

// isHexID reports whether id has the shape of a task or container instance
// id.
func isHexID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// storeID is a child record's id in its table: "CLUSTER/ID".
func storeID(cluster, id string) string { return cluster + "/" + id }

// splitStoreID is the inverse of storeID.
func splitStoreID(sid string) (cluster, id string) {
	cluster, id, _ = strings.Cut(sid, "/")
	return cluster, id
}
