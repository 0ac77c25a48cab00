// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package targets names, for every operation of a service, the IAM action
// it is authorized as, the ARNs of the resources it touches and the
// service condition keys of the request, as AWS's Service Authorization
// Reference (package actionmap) defines them. Each service has a
// gateway.Describer here, built from the reference plus the few lookups
// that an ARN needs (an IAM entity's path).
package targets
