// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package awsapi

//go:generate go run ../../tools/awsgen -models ../../models -out . iam sts ecs ecr logs s3 ec2
