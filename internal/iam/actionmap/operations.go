// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package actionmap

import "strings"

// operationActions maps operations whose IAM action is not named after
// them, per AWS's "Required permissions for Amazon S3 API operations" page.
// Operations absent from the authorization reference and from this table
// are refused by the mapping test.
var operationActions = map[string]string{
	"s3:CompleteMultipartUpload":                     "s3:PutObject",
	"s3:CopyObject":                                  "s3:PutObject", // plus s3:GetObject on the source, checked by the service
	"s3:CreateMultipartUpload":                       "s3:PutObject",
	"s3:UploadPart":                                  "s3:PutObject",
	"s3:UploadPartCopy":                              "s3:PutObject",
	"s3:ListParts":                                   "s3:ListMultipartUploadParts",
	"s3:ListMultipartUploads":                        "s3:ListBucketMultipartUploads",
	"s3:DeleteObjects":                               "s3:DeleteObject",
	"s3:HeadBucket":                                  "s3:ListBucket",
	"s3:HeadObject":                                  "s3:GetObject",
	"s3:ListBuckets":                                 "s3:ListAllMyBuckets",
	"s3:ListDirectoryBuckets":                        "s3express:ListAllMyDirectoryBuckets",
	"s3:ListObjects":                                 "s3:ListBucket",
	"s3:ListObjectsV2":                               "s3:ListBucket",
	"s3:ListObjectVersions":                          "s3:ListBucketVersions",
	"s3:CreateSession":                               "s3express:CreateSession",
	"s3:SelectObjectContent":                         "s3:GetObject",
	"s3:WriteGetObjectResponse":                      "s3-object-lambda:WriteGetObjectResponse",
	"s3:DeleteBucketCors":                            "s3:PutBucketCORS",
	"s3:DeleteBucketEncryption":                      "s3:PutEncryptionConfiguration",
	"s3:GetBucketEncryption":                         "s3:GetEncryptionConfiguration",
	"s3:PutBucketEncryption":                         "s3:PutEncryptionConfiguration",
	"s3:DeleteBucketLifecycle":                       "s3:PutLifecycleConfiguration",
	"s3:GetBucketLifecycle":                          "s3:GetLifecycleConfiguration",
	"s3:GetBucketLifecycleConfiguration":             "s3:GetLifecycleConfiguration",
	"s3:PutBucketLifecycle":                          "s3:PutLifecycleConfiguration",
	"s3:PutBucketLifecycleConfiguration":             "s3:PutLifecycleConfiguration",
	"s3:DeleteBucketTagging":                         "s3:PutBucketTagging",
	"s3:DeleteBucketReplication":                     "s3:PutReplicationConfiguration",
	"s3:GetBucketReplication":                        "s3:GetReplicationConfiguration",
	"s3:PutBucketReplication":                        "s3:PutReplicationConfiguration",
	"s3:DeleteBucketOwnershipControls":               "s3:PutBucketOwnershipControls",
	"s3:DeletePublicAccessBlock":                     "s3:PutBucketPublicAccessBlock",
	"s3:GetPublicAccessBlock":                        "s3:GetBucketPublicAccessBlock",
	"s3:PutPublicAccessBlock":                        "s3:PutBucketPublicAccessBlock",
	"s3:GetBucketAccelerateConfiguration":            "s3:GetAccelerateConfiguration",
	"s3:PutBucketAccelerateConfiguration":            "s3:PutAccelerateConfiguration",
	"s3:DeleteBucketAnalyticsConfiguration":          "s3:PutAnalyticsConfiguration",
	"s3:GetBucketAnalyticsConfiguration":             "s3:GetAnalyticsConfiguration",
	"s3:ListBucketAnalyticsConfigurations":           "s3:GetAnalyticsConfiguration",
	"s3:PutBucketAnalyticsConfiguration":             "s3:PutAnalyticsConfiguration",
	"s3:DeleteBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
	"s3:GetBucketIntelligentTieringConfiguration":    "s3:GetIntelligentTieringConfiguration",
	"s3:ListBucketIntelligentTieringConfigurations":  "s3:GetIntelligentTieringConfiguration",
	"s3:PutBucketIntelligentTieringConfiguration":    "s3:PutIntelligentTieringConfiguration",
	"s3:DeleteBucketInventoryConfiguration":          "s3:PutInventoryConfiguration",
	"s3:GetBucketInventoryConfiguration":             "s3:GetInventoryConfiguration",
	"s3:ListBucketInventoryConfigurations":           "s3:GetInventoryConfiguration",
	"s3:PutBucketInventoryConfiguration":             "s3:PutInventoryConfiguration",
	"s3:DeleteBucketMetricsConfiguration":            "s3:PutMetricsConfiguration",
	"s3:GetBucketMetricsConfiguration":               "s3:GetMetricsConfiguration",
	"s3:ListBucketMetricsConfigurations":             "s3:GetMetricsConfiguration",
	"s3:PutBucketMetricsConfiguration":               "s3:PutMetricsConfiguration",
	"s3:GetBucketNotificationConfiguration":          "s3:GetBucketNotification",
	"s3:PutBucketNotificationConfiguration":          "s3:PutBucketNotification",
	"s3:GetObjectLockConfiguration":                  "s3:GetBucketObjectLockConfiguration",
	"s3:PutObjectLockConfiguration":                  "s3:PutBucketObjectLockConfiguration",
}

// noPermission lists the actions AWS performs for any authenticated caller,
// whatever its policies say. STS GetCallerIdentity: "No permissions are
// required to perform this operation" (an explicit deny does not stop it);
// GetSessionToken: "You cannot use policies to control authentication
// operations".
var noPermission = map[string]bool{
	"sts:getcalleridentity": true,
	"sts:getsessiontoken":   true,
}

// NoPermissionRequired reports whether action is allowed to every
// authenticated principal regardless of policies.
func NoPermissionRequired(action string) bool {
	return noPermission[strings.ToLower(action)]
}
