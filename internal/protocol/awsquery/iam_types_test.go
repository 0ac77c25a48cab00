// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsquery_test

import (
	"time"

	"github.com/berthdev/berth/internal/awsapi"
)

// The IAM and STS shapes CreateRole, GetRole and GetCallerIdentity need,
// declared as tools/awsgen will emit them (internal/awsapi's tag contract)
// after the pinned models. Test-only: the codec tests must not depend on
// generated packages.

func queryOp(name string, in, out func() any) *awsapi.Operation {
	return &awsapi.Operation{Name: name, HTTPMethod: "POST", RequestURI: "/", ResultWrapper: name + "Result",
		NewInput: in, NewOutput: out}
}

// iamService is the IAM descriptor over the declared operations.
func iamService() *awsapi.Service {
	return &awsapi.Service{
		Name: "iam", ServiceID: "IAM", Protocol: awsapi.ProtocolQuery, APIVersion: "2010-05-08",
		XMLNamespace: "https://iam.amazonaws.com/doc/2010-05-08/", EndpointPrefix: "iam",
		Operations: map[string]*awsapi.Operation{
			"CreateRole": queryOp("CreateRole", func() any { return new(CreateRoleRequest) },
				func() any { return new(CreateRoleResponse) }),
			"GetRole": queryOp("GetRole", func() any { return new(GetRoleRequest) },
				func() any { return new(GetRoleResponse) }),
		},
	}
}

// stsService is the STS descriptor over GetCallerIdentity.
func stsService() *awsapi.Service {
	return &awsapi.Service{
		Name: "sts", ServiceID: "STS", Protocol: awsapi.ProtocolQuery, APIVersion: "2011-06-15",
		XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/", EndpointPrefix: "sts",
		Operations: map[string]*awsapi.Operation{
			"GetCallerIdentity": queryOp("GetCallerIdentity", func() any { return new(GetCallerIdentityRequest) },
				func() any { return new(GetCallerIdentityResponse) }),
		},
	}
}

type CreateRoleRequest struct {
	_                        struct{} `type:"structure"`
	Path                     *string  `locationName:"Path" type:"string"`
	RoleName                 *string  `locationName:"RoleName" type:"string" required:"true"`
	AssumeRolePolicyDocument *string  `locationName:"AssumeRolePolicyDocument" type:"string" required:"true"`
	Description              *string  `locationName:"Description" type:"string"`
	MaxSessionDuration       *int32   `locationName:"MaxSessionDuration" type:"integer"`
	PermissionsBoundary      *string  `locationName:"PermissionsBoundary" type:"string"`
	Tags                     []Tag    `locationName:"Tags" type:"list"`
}

type Tag struct {
	_     struct{} `type:"structure"`
	Key   *string  `locationName:"Key" type:"string" required:"true"`
	Value *string  `locationName:"Value" type:"string" required:"true"`
}

type CreateRoleResponse struct {
	_    struct{} `type:"structure"`
	Role *Role    `locationName:"Role" type:"structure" required:"true"`
}

type Role struct {
	_                        struct{}                     `type:"structure"`
	Path                     *string                      `locationName:"Path" type:"string" required:"true"`
	RoleName                 *string                      `locationName:"RoleName" type:"string" required:"true"`
	RoleId                   *string                      `locationName:"RoleId" type:"string" required:"true"`
	Arn                      *string                      `locationName:"Arn" type:"string" required:"true"`
	CreateDate               *time.Time                   `locationName:"CreateDate" type:"timestamp" required:"true"`
	AssumeRolePolicyDocument *string                      `locationName:"AssumeRolePolicyDocument" type:"string"`
	Description              *string                      `locationName:"Description" type:"string"`
	MaxSessionDuration       *int32                       `locationName:"MaxSessionDuration" type:"integer"`
	PermissionsBoundary      *AttachedPermissionsBoundary `locationName:"PermissionsBoundary" type:"structure"`
	Tags                     []Tag                        `locationName:"Tags" type:"list"`
	RoleLastUsed             *RoleLastUsed                `locationName:"RoleLastUsed" type:"structure"`
}

type AttachedPermissionsBoundary struct {
	_                       struct{} `type:"structure"`
	PermissionsBoundaryType *string  `locationName:"PermissionsBoundaryType" type:"string" enum:"PermissionsBoundaryAttachmentType"`
	PermissionsBoundaryArn  *string  `locationName:"PermissionsBoundaryArn" type:"string"`
}

type RoleLastUsed struct {
	_            struct{}   `type:"structure"`
	LastUsedDate *time.Time `locationName:"LastUsedDate" type:"timestamp"`
	Region       *string    `locationName:"Region" type:"string"`
}

type GetRoleRequest struct {
	_        struct{} `type:"structure"`
	RoleName *string  `locationName:"RoleName" type:"string" required:"true"`
}

type GetRoleResponse struct {
	_    struct{} `type:"structure"`
	Role *Role    `locationName:"Role" type:"structure" required:"true"`
}

type GetCallerIdentityRequest struct {
	_ struct{} `type:"structure"`
}

type GetCallerIdentityResponse struct {
	_       struct{} `type:"structure"`
	UserId  *string  `locationName:"UserId" type:"string"`
	Account *string  `locationName:"Account" type:"string"`
	Arn     *string  `locationName:"Arn" type:"string"`
}
