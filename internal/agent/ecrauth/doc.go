// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package ecrauth resolves the registry credentials of an image pull for
// the task runner (taskrunner.AuthResolver): for a container whose
// registryAuthentication is of type "ecr" it calls ECR's
// GetAuthorizationToken and hands Docker the decoded user name and
// password.
//
//	RegistryAuth(task, container)
//	   │ key = registry id | region | endpoint | credentials
//	   ├─ cached token, more than Margin before expiresAt ─► docker.RegistryAuth
//	   ├─ a fetch for the key in flight ─► wait for it (concurrent pulls share one call)
//	   └─ GetAuthorizationToken (aws-sdk-go-v2 service/ecr, the ECRAuthData
//	      region, BaseEndpoint = endpointOverride)
//	         with the instance role's credentials (the agent's own
//	         aws.CredentialsProvider, which reads the metadata service), or,
//	         when useExecutionRole is set, the task's execution-role
//	         credentials (Task.ExecutionRoleCredentials)
//
// The cache key names the credentials used (the instance role's ARN, or
// the execution credentials id), so a task never receives a token fetched
// with another task's execution role. Tokens are reused until Margin
// (default 15 minutes) before their expiresAt; a token that expires
// sooner than that is used for the pull it was fetched for and not kept.
// Failed fetches are not cached.
//
// Errors name the call and the identity, keeping the service's error code
// and message (for a denial, "AccessDeniedException: User: ... is not
// authorized to perform: ecr:GetAuthorizationToken ..."), so the task's
// stoppedReason reads as ECS reports it:
// "CannotPullContainerError: registry authentication: ecr:GetAuthorizationToken
// as the instance role: AccessDeniedException: ...".
package ecrauth
