// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package sdkhttp holds an HTTP transport for aws-sdk-go-v2 clients that
// talk to a berth on loopback with retries off: test clients
// (testutil.Config, acstest) and `berth up`'s first-run setup. The agent
// keeps the SDK's default client, whose retryer retries the error below.
//
// smithy-go closes a request's body as soon as the round trip returns
// (transport/http/client.go, ClientHandler.Handle), while net/http's
// write loop may still be finishing the request: against a server that
// answers as fast as a loopback berth does, the write loop then fails on
// the closed body and closes the connection under the response that is
// being read, and a response larger than the transport's read buffer
// (4 KiB) fails with "use of closed network connection" during
// deserialization (aws/aws-sdk-go-v2#1825, #2737; the SDK's default
// retryer retries it, clients with retries off see it). Giving the
// transport its own copy of small request bodies removes the race;
// bodies over MaxCopy (S3 uploads) are streamed as they are.
package sdkhttp
