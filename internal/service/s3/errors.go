// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package s3

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/berthdev/berth/internal/awsapi/s3api"
	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/sigv4"
)

// S3's error codes and messages, as the Amazon S3 API Reference's "Error
// responses" page lists them. Extra elements (BucketName, Key, UploadId...)
// go in Fields, which the codec writes between Message and RequestId.

func withFields(e *awserr.Error, kv ...string) *awserr.Error {
	e.Fields = make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		e.Fields[kv[i]] = kv[i+1]
	}
	return e
}

func errNoSuchBucket(bucket string) *awserr.Error {
	return withFields(s3api.ErrNoSuchBucket("The specified bucket does not exist"), "BucketName", bucket)
}

func errNoSuchKey(key string) *awserr.Error {
	return withFields(s3api.ErrNoSuchKey("The specified key does not exist."), "Key", key)
}

func errNoSuchUpload(id string) *awserr.Error {
	return withFields(s3api.ErrNoSuchUpload("The specified upload does not exist. The upload ID may be invalid, "+
		"or the upload may have been aborted or completed."), "UploadId", id)
}

func errInvalidBucketName(bucket string) *awserr.Error {
	return withFields(awserr.New("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid."), "BucketName", bucket)
}

func errBucketNotEmpty(bucket string) *awserr.Error {
	return withFields(awserr.New("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty"), "BucketName", bucket)
}

func errBucketAlreadyOwnedByYou(bucket string) *awserr.Error {
	return withFields(s3api.ErrBucketAlreadyOwnedByYou("Your previous request to create the named bucket succeeded and you already own it."),
		"BucketName", bucket)
}

func errBucketAlreadyExists(bucket string) *awserr.Error {
	return withFields(s3api.ErrBucketAlreadyExists("The requested bucket name is not available. The bucket namespace is "+
		"shared by all users of the system. Please select a different name and try again."), "BucketName", bucket)
}

func errNoSuchBucketPolicy(bucket string) *awserr.Error {
	return withFields(awserr.New("NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist"), "BucketName", bucket)
}

func errNoSuchTagSet(bucket string) *awserr.Error {
	return withFields(awserr.New("NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist"), "BucketName", bucket)
}

func errMalformedPolicy(msg string) *awserr.Error {
	return awserr.New("MalformedPolicy", http.StatusBadRequest, "%s", msg)
}

func errInvalidRange(rng string, size int64) *awserr.Error {
	return withFields(awserr.New("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable"),
		"RangeRequested", rng, "ActualObjectSize", strconv.FormatInt(size, 10))
}

func errPreconditionFailed(condition string) *awserr.Error {
	return withFields(awserr.New("PreconditionFailed", http.StatusPreconditionFailed,
		"At least one of the pre-conditions you specified did not hold"), "Condition", condition)
}

// errNotModified is S3's 304, which carries no body.
func errNotModified() *awserr.Error {
	return awserr.New("NotModified", http.StatusNotModified, "Not Modified")
}

func errEntityTooSmall(size, min int64, part int32, etag string) *awserr.Error {
	return withFields(awserr.New("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."),
		"ProposedSize", strconv.FormatInt(size, 10), "MinSizeAllowed", strconv.FormatInt(min, 10),
		"PartNumber", strconv.Itoa(int(part)), "ETag", etag)
}

func errEntityTooLarge(size, max int64) *awserr.Error {
	return withFields(awserr.New("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size."),
		"ProposedSize", strconv.FormatInt(size, 10), "MaxSizeAllowed", strconv.FormatInt(max, 10))
}

func errInvalidPart(upload string, part int32, etag string) *awserr.Error {
	return withFields(awserr.New("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found.  "+
		"The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."),
		"UploadId", upload, "PartNumber", strconv.Itoa(int(part)), "ETag", etag)
}

func errInvalidPartOrder(upload string) *awserr.Error {
	return withFields(awserr.New("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. "+
		"The parts list must be specified in order by part number."), "UploadId", upload)
}

func errBadDigest() *awserr.Error {
	return awserr.New("BadDigest", http.StatusBadRequest, "The Content-MD5 you specified did not match what we received.")
}

func errInvalidDigest(v string) *awserr.Error {
	return withFields(awserr.New("InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified is not valid."), "Content-MD5", v)
}

func errChecksumMismatch(alg string) *awserr.Error {
	return awserr.New("BadDigest", http.StatusBadRequest, "The %s you specified did not match the calculated checksum.", alg)
}

func errKeyTooLong(size int) *awserr.Error {
	return withFields(awserr.New("KeyTooLongError", http.StatusBadRequest, "Your key is too long"),
		"Size", strconv.Itoa(size), "MaxSizeAllowed", strconv.Itoa(maxKeyLen))
}

func errMetadataTooLarge(size int) *awserr.Error {
	return withFields(awserr.New("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size."),
		"Size", strconv.Itoa(size), "MaxSizeAllowed", strconv.Itoa(maxMetaSize))
}

func errInvalidArgument(name, value, msg string) *awserr.Error {
	return withFields(awserr.New("InvalidArgument", http.StatusBadRequest, "%s", msg), "ArgumentName", name, "ArgumentValue", value)
}

func errInvalidRequest(msg string) *awserr.Error {
	return awserr.New("InvalidRequest", http.StatusBadRequest, "%s", msg)
}

func errInvalidTag(msg string) *awserr.Error {
	return awserr.New("InvalidTag", http.StatusBadRequest, "%s", msg)
}

func errMalformedXML() *awserr.Error {
	return awserr.New("MalformedXML", http.StatusBadRequest,
		"The XML you provided was not well-formed or did not validate against our published schema")
}

func errAccessDenied(msg string) *awserr.Error {
	return awserr.New(awserr.CodeAccessDenied, http.StatusForbidden, "%s", msg)
}

// bodyError maps an error from reading a request body: the gateway's
// verifying reader reports a signature, payload hash or trailing checksum
// failure as a sigv4 error; a body shorter than announced is IncompleteBody.
func bodyError(err error) error {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return sigv4.AWSError(err, sigv4.FamilyS3)
	}
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return awserr.New("IncompleteBody", http.StatusBadRequest,
			"You did not provide the number of bytes specified by the Content-Length HTTP header").WithCause(err)
	}
	return err
}
