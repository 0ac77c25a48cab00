// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package actionmap is AWS's Service Authorization Reference as data: every
// IAM action of the services berth serves, with its resource types (and
// their ARN templates) and condition keys, plus the operation → action
// mapping for the operations whose action is not named after them (S3).
//
// The data under data/ comes from the iam-data-go project (MIT licence;
// see data/README.md) and is embedded in the binary.
package actionmap
