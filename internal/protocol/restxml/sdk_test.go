// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package restxml_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/berthdev/berth/internal/awserr"
	"github.com/berthdev/berth/internal/protocol/protocoltest"
)

// memBucket is a one-bucket object store for the SDK round trip.
type memBucket struct {
	mu      sync.Mutex
	objects map[string][]byte
	meta    map[string]map[string]string
}

func (b *memBucket) handlers() map[string]protocoltest.Handler {
	noSuchKey := func(key string) error {
		e := awserr.New("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
		e.Fields = map[string]string{"Key": key}
		return e
	}
	modified := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	return map[string]protocoltest.Handler{
		"PutObject": func(_ context.Context, in any) (any, error) {
			req := in.(*PutObjectRequest)
			data, err := io.ReadAll(req.Body)
			if err != nil {
				return nil, err
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			b.objects[*req.Key] = data
			b.meta[*req.Key] = req.Metadata
			return &PutObjectOutput{ETag: aws.String(`"e1"`)}, nil
		},
		"GetObject": func(_ context.Context, in any) (any, error) {
			req := in.(*GetObjectRequest)
			b.mu.Lock()
			defer b.mu.Unlock()
			data, ok := b.objects[*req.Key]
			if !ok {
				return nil, noSuchKey(*req.Key)
			}
			return &GetObjectOutput{
				Body: io.NopCloser(bytes.NewReader(data)), ContentLength: aws.Int64(int64(len(data))),
				ContentType: aws.String("text/plain"), LastModified: &modified, Metadata: b.meta[*req.Key],
			}, nil
		},
		"HeadObject": func(_ context.Context, in any) (any, error) {
			req := in.(*HeadObjectRequest)
			b.mu.Lock()
			defer b.mu.Unlock()
			data, ok := b.objects[*req.Key]
			if !ok {
				return nil, noSuchKey(*req.Key)
			}
			return &HeadObjectOutput{ContentLength: aws.Int64(int64(len(data))), LastModified: &modified}, nil
		},
		"ListObjectsV2": func(_ context.Context, in any) (any, error) {
			req := in.(*ListObjectsV2Request)
			b.mu.Lock()
			defer b.mu.Unlock()
			out := &ListObjectsV2Output{Name: req.Bucket, Prefix: req.Prefix, IsTruncated: aws.Bool(false)}
			for k, v := range b.objects {
				if strings.HasPrefix(k, aws.ToString(req.Prefix)) {
					out.Contents = append(out.Contents, Object{Key: aws.String(k), Size: aws.Int64(int64(len(v))), LastModified: &modified})
				}
			}
			out.KeyCount = aws.Int32(int32(len(out.Contents)))
			return out, nil
		},
	}
}

// TestSDK_S3 serves S3 object operations with the codec and calls them
// with the real aws-sdk-go-v2 S3 client, path-style.
func TestSDK_S3(t *testing.T) {
	store := &memBucket{objects: map[string][]byte{}, meta: map[string]map[string]string{}}
	srv := protocoltest.Server(t, s3Service(), store.handlers())
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(), RetryMaxAttempts: 1,
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
	})
	ctx := context.Background()
	key := "dir/a b+c.txt"

	_, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("photos"), Key: aws.String(key), Body: strings.NewReader("hello world"),
		Metadata: map[string]string{"Owner": "alice"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "hello world" || aws.ToInt64(got.ContentLength) != 11 || got.Metadata["owner"] != "alice" ||
		!aws.ToTime(got.LastModified).Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("GetObject = %q len %d meta %v modified %v", body, aws.ToInt64(got.ContentLength), got.Metadata, got.LastModified)
	}
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos"), Prefix: aws.String("dir/")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != key || aws.ToInt64(list.Contents[0].Size) != 11 ||
		aws.ToInt32(list.KeyCount) != 1 || aws.ToString(list.Name) != "photos" {
		t.Errorf("ListObjectsV2 = %+v", list)
	}

	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("missing")})
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("GetObject(missing) error = %T %v, want *types.NoSuchKey", err, err)
	}
	_, err = client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("missing")})
	var nf *s3types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadObject(missing) error = %T %v, want *types.NotFound", err, err)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
	if err != nil || aws.ToInt64(head.ContentLength) != 11 {
		t.Errorf("HeadObject = %+v, %v", head, err)
	}
}
