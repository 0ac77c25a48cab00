// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package state is the agent's checkpoint on disk (a bbolt file in the
// data directory), so that a restarted agent neither kills nor forgets the
// containers it runs:
//
//	registration   cluster ARN, container-instance ARN, host secret reference
//	tasks          task ARN → desired/known status, the task spec (without
//	               secrets), containers → Docker ids and statuses,
//	               credentials ids
//	acs            last ACS sequence number
//	log-positions  task ARN/container → timestamp of the last log line
//	               shipped (logship), to resume after a restart
//
// Nothing secret is stored: credentials ids only (the control plane
// resends credentials after a restart; until then the task endpoint
// answers 503), and a reference (path) to the host secret, never the
// secret itself. Every write is its own bbolt transaction (fsynced), so a
// kill -9 loses at most the write in flight.
package state
