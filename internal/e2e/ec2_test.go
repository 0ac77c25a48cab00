// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/testutil"
)

// TestCLI_EC2_InstanceProfiles drives the AWS CLI's EC2 commands against
// the berth binary: a host launched without a profile joins, appears in
// describe-instances, gets ecsInstanceRole associated, and the association
// is listed; a second association is refused as on AWS.
func TestCLI_EC2_InstanceProfiles(t *testing.T) {
	srv := testutil.StartServer(t, t.TempDir(), nil)
	aws := newCLI(t, srv)

	aws.must(nil, "iam", "create-role", "--role-name", "ecsInstanceRole", "--assume-role-policy-document", ec2Trust)
	aws.must(nil, "iam", "create-instance-profile", "--instance-profile-name", "ecsInstanceRole")
	aws.must(nil, "iam", "add-role-to-instance-profile", "--instance-profile-name", "ecsInstanceRole", "--role-name", "ecsInstanceRole")

	type instance struct {
		InstanceId         string
		State              struct{ Name string }
		PrivateIpAddress   string
		IamInstanceProfile *struct{ Arn, Id string }
		Tags               []struct{ Key, Value string }
	}
	var run struct{ Instances []instance }
	aws.must(&run, "ec2", "run-instances", "--count", "1", "--image-id", "ami-berth",
		"--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=cli-host}]")
	if len(run.Instances) != 1 {
		t.Fatalf("run-instances = %+v", run)
	}
	id := run.Instances[0].InstanceId
	var token string
	for _, tg := range run.Instances[0].Tags {
		if tg.Key == "berth:join-token" {
			token = tg.Value
		}
	}
	if token == "" {
		t.Fatalf("run-instances printed no berth:join-token tag: %+v", run.Instances[0].Tags)
	}

	// The host joins with the token.
	body, _ := json.Marshal(map[string]string{"token": token, "hostname": "cli-host", "privateIp": "10.9.8.7"})
	resp, err := http.Post(srv.URL+"/_berth/host/join", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("join: %d", resp.StatusCode)
	}

	var desc struct {
		Reservations []struct{ Instances []instance }
	}
	aws.must(&desc, "ec2", "describe-instances", "--instance-ids", id)
	if len(desc.Reservations) != 1 || len(desc.Reservations[0].Instances) != 1 {
		t.Fatalf("describe-instances = %+v", desc)
	}
	got := desc.Reservations[0].Instances[0]
	if got.State.Name != "running" || got.PrivateIpAddress != "10.9.8.7" || got.IamInstanceProfile != nil {
		t.Fatalf("described instance = %+v, want running at 10.9.8.7 without a profile", got)
	}

	var assoc struct {
		IamInstanceProfileAssociation struct {
			AssociationId, InstanceId, State string
			IamInstanceProfile               struct{ Arn string }
		}
	}
	aws.must(&assoc, "ec2", "associate-iam-instance-profile", "--instance-id", id, "--iam-instance-profile", "Name=ecsInstanceRole")
	a := assoc.IamInstanceProfileAssociation
	if !strings.HasPrefix(a.AssociationId, "iip-assoc-") || a.InstanceId != id || !strings.HasSuffix(a.IamInstanceProfile.Arn, ":instance-profile/ecsInstanceRole") {
		t.Fatalf("associate-iam-instance-profile = %+v", a)
	}
	aws.mustFail("IncorrectState", "ec2", "associate-iam-instance-profile", "--instance-id", id, "--iam-instance-profile", "Name=ecsInstanceRole")

	var list struct {
		IamInstanceProfileAssociations []struct{ AssociationId, InstanceId, State string }
	}
	aws.must(&list, "ec2", "describe-iam-instance-profile-associations", "--filters", "Name=instance-id,Values="+id)
	if len(list.IamInstanceProfileAssociations) != 1 || list.IamInstanceProfileAssociations[0].AssociationId != a.AssociationId ||
		list.IamInstanceProfileAssociations[0].State != "associated" {
		t.Fatalf("describe-iam-instance-profile-associations = %+v", list)
	}
	aws.must(&desc, "ec2", "describe-instances", "--filters", "Name=iam-instance-profile.arn,Values="+a.IamInstanceProfile.Arn)
	if len(desc.Reservations) != 1 || desc.Reservations[0].Instances[0].InstanceId != id {
		t.Fatalf("describe-instances by profile = %+v", desc)
	}
	aws.mustFail("InvalidInstanceID.NotFound", "ec2", "describe-instances", "--instance-ids", "i-0123456789abcdef0")
}
