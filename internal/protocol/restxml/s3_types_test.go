// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml_test

import (
	"io"
	"time"

	"github.com/berthdev/berth/internal/awsapi"
)

// The S3 shapes PutObject, GetObject, HeadObject and ListObjectsV2 need,
// declared as tools/awsgen will emit them (internal/awsapi's tag contract)
// after the pinned model, plus the root element name S3 answers
// ListObjectsV2 with (ListBucketResult), which the model leaves out.
// Test-only: the codec tests must not depend on generated packages.

// s3Service is the S3 descriptor over the declared operations.
func s3Service() *awsapi.Service {
	op := func(name, method, uri string, in, out func() any) *awsapi.Operation {
		return &awsapi.Operation{Name: name, HTTPMethod: method, RequestURI: uri, NewInput: in, NewOutput: out}
	}
	return &awsapi.Service{
		Name: "s3", ServiceID: "S3", Protocol: awsapi.ProtocolRestXML, APIVersion: "2006-03-01",
		XMLNamespace: "http://s3.amazonaws.com/doc/2006-03-01/", EndpointPrefix: "s3",
		Operations: map[string]*awsapi.Operation{
			"PutObject": op("PutObject", "PUT", "/{Bucket}/{Key+}",
				func() any { return new(PutObjectRequest) }, func() any { return new(PutObjectOutput) }),
			"GetObject": op("GetObject", "GET", "/{Bucket}/{Key+}",
				func() any { return new(GetObjectRequest) }, func() any { return new(GetObjectOutput) }),
			"HeadObject": op("HeadObject", "HEAD", "/{Bucket}/{Key+}",
				func() any { return new(HeadObjectRequest) }, func() any { return new(HeadObjectOutput) }),
			"ListObjectsV2": op("ListObjectsV2", "GET", "/{Bucket}?list-type=2",
				func() any { return new(ListObjectsV2Request) }, func() any { return new(ListObjectsV2Output) }),
			"GetBucketLocation": op("GetBucketLocation", "GET", "/{Bucket}?location",
				func() any { return new(GetBucketLocationRequest) }, func() any { return new(GetBucketLocationOutput) }),
		},
	}
}

type GetBucketLocationRequest struct {
	_      struct{} `type:"structure"`
	Bucket *string  `location:"uri" locationName:"Bucket" type:"string" required:"true"`
}

type GetBucketLocationOutput struct {
	_                  struct{} `type:"structure" locationName:"LocationConstraint"`
	LocationConstraint *string  `locationName:"LocationConstraint" type:"string" enum:"BucketLocationConstraint"`
}

type PutObjectRequest struct {
	_                         struct{}          `type:"structure" payload:"Body"`
	ACL                       *string           `location:"header" locationName:"x-amz-acl" type:"string" enum:"ObjectCannedACL"`
	Body                      io.Reader         `locationName:"Body" type:"blob" streaming:"true"`
	Bucket                    *string           `location:"uri" locationName:"Bucket" type:"string" required:"true"`
	CacheControl              *string           `location:"header" locationName:"Cache-Control" type:"string"`
	ContentDisposition        *string           `location:"header" locationName:"Content-Disposition" type:"string"`
	ContentEncoding           *string           `location:"header" locationName:"Content-Encoding" type:"string"`
	ContentLanguage           *string           `location:"header" locationName:"Content-Language" type:"string"`
	ContentLength             *int64            `location:"header" locationName:"Content-Length" type:"long"`
	ContentMD5                *string           `location:"header" locationName:"Content-MD5" type:"string"`
	ContentType               *string           `location:"header" locationName:"Content-Type" type:"string"`
	ChecksumAlgorithm         *string           `location:"header" locationName:"x-amz-sdk-checksum-algorithm" type:"string" enum:"ChecksumAlgorithm"`
	ChecksumCRC32             *string           `location:"header" locationName:"x-amz-checksum-crc32" type:"string"`
	ChecksumCRC32C            *string           `location:"header" locationName:"x-amz-checksum-crc32c" type:"string"`
	ChecksumSHA1              *string           `location:"header" locationName:"x-amz-checksum-sha1" type:"string"`
	ChecksumSHA256            *string           `location:"header" locationName:"x-amz-checksum-sha256" type:"string"`
	Expires                   *time.Time        `location:"header" locationName:"Expires" type:"timestamp"`
	GrantFullControl          *string           `location:"header" locationName:"x-amz-grant-full-control" type:"string"`
	GrantRead                 *string           `location:"header" locationName:"x-amz-grant-read" type:"string"`
	GrantReadACP              *string           `location:"header" locationName:"x-amz-grant-read-acp" type:"string"`
	GrantWriteACP             *string           `location:"header" locationName:"x-amz-grant-write-acp" type:"string"`
	Key                       *string           `location:"uri" locationName:"Key" type:"string" required:"true"`
	Metadata                  map[string]string `location:"headers" locationName:"x-amz-meta-" type:"map"`
	ServerSideEncryption      *string           `location:"header" locationName:"x-amz-server-side-encryption" type:"string" enum:"ServerSideEncryption"`
	StorageClass              *string           `location:"header" locationName:"x-amz-storage-class" type:"string" enum:"StorageClass"`
	WebsiteRedirectLocation   *string           `location:"header" locationName:"x-amz-website-redirect-location" type:"string"`
	SSECustomerAlgorithm      *string           `location:"header" locationName:"x-amz-server-side-encryption-customer-algorithm" type:"string"`
	SSECustomerKey            *string           `location:"header" locationName:"x-amz-server-side-encryption-customer-key" type:"string"`
	SSECustomerKeyMD5         *string           `location:"header" locationName:"x-amz-server-side-encryption-customer-key-MD5" type:"string"`
	SSEKMSKeyId               *string           `location:"header" locationName:"x-amz-server-side-encryption-aws-kms-key-id" type:"string"`
	SSEKMSEncryptionContext   *string           `location:"header" locationName:"x-amz-server-side-encryption-context" type:"string"`
	BucketKeyEnabled          *bool             `location:"header" locationName:"x-amz-server-side-encryption-bucket-key-enabled" type:"boolean"`
	RequestPayer              *string           `location:"header" locationName:"x-amz-request-payer" type:"string" enum:"RequestPayer"`
	Tagging                   *string           `location:"header" locationName:"x-amz-tagging" type:"string"`
	ObjectLockMode            *string           `location:"header" locationName:"x-amz-object-lock-mode" type:"string" enum:"ObjectLockMode"`
	ObjectLockRetainUntilDate *time.Time        `location:"header" locationName:"x-amz-object-lock-retain-until-date" type:"timestamp" timestampFormat:"iso8601"`
	ObjectLockLegalHoldStatus *string           `location:"header" locationName:"x-amz-object-lock-legal-hold" type:"string" enum:"ObjectLockLegalHoldStatus"`
	ExpectedBucketOwner       *string           `location:"header" locationName:"x-amz-expected-bucket-owner" type:"string"`
}

type PutObjectOutput struct {
	_                       struct{} `type:"structure"`
	Expiration              *string  `location:"header" locationName:"x-amz-expiration" type:"string"`
	ETag                    *string  `location:"header" locationName:"ETag" type:"string"`
	ChecksumCRC32           *string  `location:"header" locationName:"x-amz-checksum-crc32" type:"string"`
	ChecksumCRC32C          *string  `location:"header" locationName:"x-amz-checksum-crc32c" type:"string"`
	ChecksumSHA1            *string  `location:"header" locationName:"x-amz-checksum-sha1" type:"string"`
	ChecksumSHA256          *string  `location:"header" locationName:"x-amz-checksum-sha256" type:"string"`
	ServerSideEncryption    *string  `location:"header" locationName:"x-amz-server-side-encryption" type:"string" enum:"ServerSideEncryption"`
	VersionId               *string  `location:"header" locationName:"x-amz-version-id" type:"string"`
	SSECustomerAlgorithm    *string  `location:"header" locationName:"x-amz-server-side-encryption-customer-algorithm" type:"string"`
	SSECustomerKeyMD5       *string  `location:"header" locationName:"x-amz-server-side-encryption-customer-key-MD5" type:"string"`
	SSEKMSKeyId             *string  `location:"header" locationName:"x-amz-server-side-encryption-aws-kms-key-id" type:"string"`
	SSEKMSEncryptionContext *string  `location:"header" locationName:"x-amz-server-side-encryption-context" type:"string"`
	BucketKeyEnabled        *bool    `location:"header" locationName:"x-amz-server-side-encryption-bucket-key-enabled" type:"boolean"`
	RequestCharged          *string  `location:"header" locationName:"x-amz-request-charged" type:"string" enum:"RequestCharged"`
}

type GetObjectRequest struct {
	_                          struct{}   `type:"structure"`
	Bucket                     *string    `location:"uri" locationName:"Bucket" type:"string" required:"true"`
	IfMatch                    *string    `location:"header" locationName:"If-Match" type:"string"`
	IfModifiedSince            *time.Time `location:"header" locationName:"If-Modified-Since" type:"timestamp"`
	IfNoneMatch                *string    `location:"header" locationName:"If-None-Match" type:"string"`
	IfUnmodifiedSince          *time.Time `location:"header" locationName:"If-Unmodified-Since" type:"timestamp"`
	Key                        *string    `location:"uri" locationName:"Key" type:"string" required:"true"`
	Range                      *string    `location:"header" locationName:"Range" type:"string"`
	ResponseCacheControl       *string    `location:"querystring" locationName:"response-cache-control" type:"string"`
	ResponseContentDisposition *string    `location:"querystring" locationName:"response-content-disposition" type:"string"`
	ResponseContentEncoding    *string    `location:"querystring" locationName:"response-content-encoding" type:"string"`
	ResponseContentLanguage    *string    `location:"querystring" locationName:"response-content-language" type:"string"`
	ResponseContentType        *string    `location:"querystring" locationName:"response-content-type" type:"string"`
	ResponseExpires            *time.Time `location:"querystring" locationName:"response-expires" type:"timestamp" timestampFormat:"rfc822"`
	VersionId                  *string    `location:"querystring" locationName:"versionId" type:"string"`
	SSECustomerAlgorithm       *string    `location:"header" locationName:"x-amz-server-side-encryption-customer-algorithm" type:"string"`
	SSECustomerKey             *string    `location:"header" locationName:"x-amz-server-side-encryption-customer-key" type:"string"`
	SSECustomerKeyMD5          *string    `location:"header" locationName:"x-amz-server-side-encryption-customer-key-MD5" type:"string"`
	RequestPayer               *string    `location:"header" locationName:"x-amz-request-payer" type:"string" enum:"RequestPayer"`
	PartNumber                 *int32     `location:"querystring" locationName:"partNumber" type:"integer"`
	ExpectedBucketOwner        *string    `location:"header" locationName:"x-amz-expected-bucket-owner" type:"string"`
	ChecksumMode               *string    `location:"header" locationName:"x-amz-checksum-mode" type:"string" enum:"ChecksumMode"`
}

type GetObjectOutput struct {
	_                         struct{}          `type:"structure" payload:"Body"`
	Body                      io.Reader         `locationName:"Body" type:"blob" streaming:"true"`
	DeleteMarker              *bool             `location:"header" locationName:"x-amz-delete-marker" type:"boolean"`
	AcceptRanges              *string           `location:"header" locationName:"accept-ranges" type:"string"`
	Expiration                *string           `location:"header" locationName:"x-amz-expiration" type:"string"`
	Restore                   *string           `location:"header" locationName:"x-amz-restore" type:"string"`
	LastModified              *time.Time        `location:"header" locationName:"Last-Modified" type:"timestamp"`
	ContentLength             *int64            `location:"header" locationName:"Content-Length" type:"long"`
	ETag                      *string           `location:"header" locationName:"ETag" type:"string"`
	ChecksumCRC32             *string           `location:"header" locationName:"x-amz-checksum-crc32" type:"string"`
	ChecksumCRC32C            *string           `location:"header" locationName:"x-amz-checksum-crc32c" type:"string"`
	ChecksumSHA1              *string           `location:"header" locationName:"x-amz-checksum-sha1" type:"string"`
	ChecksumSHA256            *string           `location:"header" locationName:"x-amz-checksum-sha256" type:"string"`
	MissingMeta               *int32            `location:"header" locationName:"x-amz-missing-meta" type:"integer"`
	VersionId                 *string           `location:"header" locationName:"x-amz-version-id" type:"string"`
	CacheControl              *string           `location:"header" locationName:"Cache-Control" type:"string"`
	ContentDisposition        *string           `location:"header" locationName:"Content-Disposition" type:"string"`
	ContentEncoding           *string           `location:"header" locationName:"Content-Encoding" type:"string"`
	ContentLanguage           *string           `location:"header" locationName:"Content-Language" type:"string"`
	ContentRange              *string           `location:"header" locationName:"Content-Range" type:"string"`
	ContentType               *string           `location:"header" locationName:"Content-Type" type:"string"`
	Expires                   *time.Time        `location:"header" locationName:"Expires" type:"timestamp"`
	WebsiteRedirectLocation   *string           `location:"header" locationName:"x-amz-website-redirect-location" type:"string"`
	ServerSideEncryption      *string           `location:"header" locationName:"x-amz-server-side-encryption" type:"string" enum:"ServerSideEncryption"`
	Metadata                  map[string]string `location:"headers" locationName:"x-amz-meta-" type:"map"`
	SSECustomerAlgorithm      *string           `location:"header" locationName:"x-amz-server-side-encryption-customer-algorithm" type:"string"`
	SSECustomerKeyMD5         *string           `location:"header" locationName:"x-amz-server-side-encryption-customer-key-MD5" type:"string"`
	SSEKMSKeyId               *string           `location:"header" locationName:"x-amz-server-side-encryption-aws-kms-key-id" type:"string"`
	BucketKeyEnabled          *bool             `location:"header" locationName:"x-amz-server-side-encryption-bucket-key-enabled" type:"boolean"`
	StorageClass              *string           `location:"header" locationName:"x-amz-storage-class" type:"string" enum:"StorageClass"`
	RequestCharged            *string           `location:"header" locationName:"x-amz-request-charged" type:"string" enum:"RequestCharged"`
	ReplicationStatus         *string           `location:"header" locationName:"x-amz-replication-status" type:"string" enum:"ReplicationStatus"`
	PartsCount                *int32            `location:"header" locationName:"x-amz-mp-parts-count" type:"integer"`
	TagCount                  *int32            `location:"header" locationName:"x-amz-tagging-count" type:"integer"`
	ObjectLockMode            *string           `location:"header" locationName:"x-amz-object-lock-mode" type:"string" enum:"ObjectLockMode"`
	ObjectLockRetainUntilDate *time.Time        `location:"header" locationName:"x-amz-object-lock-retain-until-date" type:"timestamp" timestampFormat:"iso8601"`
	ObjectLockLegalHoldStatus *string           `location:"header" locationName:"x-amz-object-lock-legal-hold" type:"string" enum:"ObjectLockLegalHoldStatus"`
}

type HeadObjectRequest struct {
	_                          struct{}   `type:"structure"`
	Bucket                     *string    `location:"uri" locationName:"Bucket" type:"string" required:"true"`
	IfMatch                    *string    `location:"header" locationName:"If-Match" type:"string"`
	IfModifiedSince            *time.Time `location:"header" locationName:"If-Modified-Since" type:"timestamp"`
	IfNoneMatch                *string    `location:"header" locationName:"If-None-Match" type:"string"`
	IfUnmodifiedSince          *time.Time `location:"header" locationName:"If-Unmodified-Since" type:"timestamp"`
	Key                        *string    `location:"uri" locationName:"Key" type:"string" required:"true"`
	Range                      *string    `location:"header" locationName:"Range" type:"string"`
	ResponseCacheControl       *string    `location:"querystring" locationName:"response-cache-control" type:"string"`
	ResponseContentDisposition *string    `location:"querystring" locationName:"response-content-disposition" type:"string"`
	ResponseContentEncoding    *string    `location:"querystring" locationName:"response-content-encoding" type:"string"`
	ResponseContentLanguage    *string    `location:"querystring" locationName:"response-content-language" type:"string"`
	ResponseContentType        *string    `location:"querystring" locationName:"response-content-type" type:"string"`
	ResponseExpires            *time.Time `location:"querystring" locationName:"response-expires" type:"timestamp" timestampFormat:"rfc822"`
	VersionId                  *string    `location:"querystring" locationName:"versionId" type:"string"`
	SSECustomerAlgorithm       *string    `location:"header" locationName:"x-amz-server-side-encryption-customer-algorithm" type:"string"`
	SSECustomerKey             *string    `location:"header" locationName:"x-amz-server-side-encryption-customer-key" type:"string"`
	SSECustomerKeyMD5          *string    `location:"header" locationName:"x-amz-server-side-encryption-customer-key-MD5" type:"string"`
	RequestPayer               *string    `location:"header" locationName:"x-amz-request-payer" type:"string" enum:"RequestPayer"`
	PartNumber                 *int32     `location:"querystring" locationName:"partNumber" type:"integer"`
	ExpectedBucketOwner        *string    `location:"header" locationName:"x-amz-expected-bucket-owner" type:"string"`
	ChecksumMode               *string    `location:"header" locationName:"x-amz-checksum-mode" type:"string" enum:"ChecksumMode"`
}

type HeadObjectOutput struct {
	_                         struct{}          `type:"structure"`
	DeleteMarker              *bool             `location:"header" locationName:"x-amz-delete-marker" type:"boolean"`
	AcceptRanges              *string           `location:"header" locationName:"accept-ranges" type:"string"`
	Expiration                *string           `location:"header" locationName:"x-amz-expiration" type:"string"`
	Restore                   *string           `location:"header" locationName:"x-amz-restore" type:"string"`
	ArchiveStatus             *string           `location:"header" locationName:"x-amz-archive-status" type:"string" enum:"ArchiveStatus"`
	LastModified              *time.Time        `location:"header" locationName:"Last-Modified" type:"timestamp"`
	ContentLength             *int64            `location:"header" locationName:"Content-Length" type:"long"`
	ChecksumCRC32             *string           `location:"header" locationName:"x-amz-checksum-crc32" type:"string"`
	ChecksumCRC32C            *string           `location:"header" locationName:"x-amz-checksum-crc32c" type:"string"`
	ChecksumSHA1              *string           `location:"header" locationName:"x-amz-checksum-sha1" type:"string"`
	ChecksumSHA256            *string           `location:"header" locationName:"x-amz-checksum-sha256" type:"string"`
	ETag                      *string           `location:"header" locationName:"ETag" type:"string"`
	MissingMeta               *int32            `location:"header" locationName:"x-amz-missing-meta" type:"integer"`
	VersionId                 *string           `location:"header" locationName:"x-amz-version-id" type:"string"`
	CacheControl              *string           `location:"header" locationName:"Cache-Control" type:"string"`
	ContentDisposition        *string           `location:"header" locationName:"Content-Disposition" type:"string"`
	ContentEncoding           *string           `location:"header" locationName:"Content-Encoding" type:"string"`
	ContentLanguage           *string           `location:"header" locationName:"Content-Language" type:"string"`
	ContentType               *string           `location:"header" locationName:"Content-Type" type:"string"`
	Expires                   *time.Time        `location:"header" locationName:"Expires" type:"timestamp"`
	WebsiteRedirectLocation   *string           `location:"header" locationName:"x-amz-website-redirect-location" type:"string"`
	ServerSideEncryption      *string           `location:"header" locationName:"x-amz-server-side-encryption" type:"string" enum:"ServerSideEncryption"`
	Metadata                  map[string]string `location:"headers" locationName:"x-amz-meta-" type:"map"`
	SSECustomerAlgorithm      *string           `location:"header" locationName:"x-amz-server-side-encryption-customer-algorithm" type:"string"`
	SSECustomerKeyMD5         *string           `location:"header" locationName:"x-amz-server-side-encryption-customer-key-MD5" type:"string"`
	SSEKMSKeyId               *string           `location:"header" locationName:"x-amz-server-side-encryption-aws-kms-key-id" type:"string"`
	BucketKeyEnabled          *bool             `location:"header" locationName:"x-amz-server-side-encryption-bucket-key-enabled" type:"boolean"`
	StorageClass              *string           `location:"header" locationName:"x-amz-storage-class" type:"string" enum:"StorageClass"`
	RequestCharged            *string           `location:"header" locationName:"x-amz-request-charged" type:"string" enum:"RequestCharged"`
	ReplicationStatus         *string           `location:"header" locationName:"x-amz-replication-status" type:"string" enum:"ReplicationStatus"`
	PartsCount                *int32            `location:"header" locationName:"x-amz-mp-parts-count" type:"integer"`
	ObjectLockMode            *string           `location:"header" locationName:"x-amz-object-lock-mode" type:"string" enum:"ObjectLockMode"`
	ObjectLockRetainUntilDate *time.Time        `location:"header" locationName:"x-amz-object-lock-retain-until-date" type:"timestamp" timestampFormat:"iso8601"`
	ObjectLockLegalHoldStatus *string           `location:"header" locationName:"x-amz-object-lock-legal-hold" type:"string" enum:"ObjectLockLegalHoldStatus"`
}

type ListObjectsV2Request struct {
	_                        struct{} `type:"structure"`
	Bucket                   *string  `location:"uri" locationName:"Bucket" type:"string" required:"true"`
	Delimiter                *string  `location:"querystring" locationName:"delimiter" type:"string"`
	EncodingType             *string  `location:"querystring" locationName:"encoding-type" type:"string" enum:"EncodingType"`
	MaxKeys                  *int32   `location:"querystring" locationName:"max-keys" type:"integer"`
	Prefix                   *string  `location:"querystring" locationName:"prefix" type:"string"`
	ContinuationToken        *string  `location:"querystring" locationName:"continuation-token" type:"string"`
	FetchOwner               *bool    `location:"querystring" locationName:"fetch-owner" type:"boolean"`
	StartAfter               *string  `location:"querystring" locationName:"start-after" type:"string"`
	RequestPayer             *string  `location:"header" locationName:"x-amz-request-payer" type:"string" enum:"RequestPayer"`
	ExpectedBucketOwner      *string  `location:"header" locationName:"x-amz-expected-bucket-owner" type:"string"`
	OptionalObjectAttributes []string `location:"header" locationName:"x-amz-optional-object-attributes" type:"list"`
}

type ListObjectsV2Output struct {
	_                     struct{}       `type:"structure" locationName:"ListBucketResult"`
	IsTruncated           *bool          `locationName:"IsTruncated" type:"boolean"`
	Contents              []Object       `locationName:"Contents" type:"list" flattened:"true"`
	Name                  *string        `locationName:"Name" type:"string"`
	Prefix                *string        `locationName:"Prefix" type:"string"`
	Delimiter             *string        `locationName:"Delimiter" type:"string"`
	MaxKeys               *int32         `locationName:"MaxKeys" type:"integer"`
	CommonPrefixes        []CommonPrefix `locationName:"CommonPrefixes" type:"list" flattened:"true"`
	EncodingType          *string        `locationName:"EncodingType" type:"string" enum:"EncodingType"`
	KeyCount              *int32         `locationName:"KeyCount" type:"integer"`
	ContinuationToken     *string        `locationName:"ContinuationToken" type:"string"`
	NextContinuationToken *string        `locationName:"NextContinuationToken" type:"string"`
	StartAfter            *string        `locationName:"StartAfter" type:"string"`
	RequestCharged        *string        `location:"header" locationName:"x-amz-request-charged" type:"string" enum:"RequestCharged"`
}

type Object struct {
	_                 struct{}       `type:"structure"`
	Key               *string        `locationName:"Key" type:"string"`
	LastModified      *time.Time     `locationName:"LastModified" type:"timestamp"`
	ETag              *string        `locationName:"ETag" type:"string"`
	ChecksumAlgorithm []string       `locationName:"ChecksumAlgorithm" type:"list" flattened:"true"`
	Size              *int64         `locationName:"Size" type:"long"`
	StorageClass      *string        `locationName:"StorageClass" type:"string" enum:"ObjectStorageClass"`
	Owner             *Owner         `locationName:"Owner" type:"structure"`
	RestoreStatus     *RestoreStatus `locationName:"RestoreStatus" type:"structure"`
}

type Owner struct {
	_           struct{} `type:"structure"`
	DisplayName *string  `locationName:"DisplayName" type:"string"`
	ID          *string  `locationName:"ID" type:"string"`
}

type RestoreStatus struct {
	_                   struct{}   `type:"structure"`
	IsRestoreInProgress *bool      `locationName:"IsRestoreInProgress" type:"boolean"`
	RestoreExpiryDate   *time.Time `locationName:"RestoreExpiryDate" type:"timestamp"`
}

type CommonPrefix struct {
	_      struct{} `type:"structure"`
	Prefix *string  `locationName:"Prefix" type:"string"`
}
