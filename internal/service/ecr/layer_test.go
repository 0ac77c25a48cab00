// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"testing"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/awserr/awserrtest"
)

func TestService_LayerUpload(t *testing.T) {
	f := newFixture(t)
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("web")}))
	repo := sp("web")
	init := must[*ecrapi.InitiateLayerUploadOutput](t)(f.svc.InitiateLayerUpload(f.ctx, &ecrapi.InitiateLayerUploadInput{RepositoryName: repo}))
	id := init.UploadId
	if *init.PartSize <= 0 {
		t.Fatalf("partSize = %d", *init.PartSize)
	}
	data := []byte("0123456789abcdef")
	digest := digestOf(data)

	_, err := f.svc.CompleteLayerUpload(f.ctx, &ecrapi.CompleteLayerUploadInput{RepositoryName: repo, UploadId: id, LayerDigests: []string{digest}})
	awserrtest.WantCode(t, err, ecrapi.CodeEmptyUpload, "")

	part := func(first, last int64, b []byte) (*ecrapi.UploadLayerPartOutput, error) {
		return f.svc.UploadLayerPart(f.ctx, &ecrapi.UploadLayerPartInput{RepositoryName: repo, UploadId: id, PartFirstByte: &first, PartLastByte: &last, LayerPartBlob: b})
	}
	for _, tc := range []struct {
		name        string
		first, last int64
		b           []byte
		code        string
		lastByte    int64
	}{
		{"gap", 1, 8, data[:8], ecrapi.CodeInvalidLayerPart, 0},
		{"last byte wrong", 0, 9, data[:8], ecrapi.CodeInvalidLayerPart, 0},
		{"first part", 0, 7, data[:8], "", 7},
		{"repeat", 0, 7, data[:8], ecrapi.CodeInvalidLayerPart, 0},
		{"second part", 8, 15, data[8:], "", 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := part(tc.first, tc.last, tc.b)
			if tc.code != "" {
				awserrtest.WantCode(t, err, tc.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *out.LastByteReceived != tc.lastByte {
				t.Fatalf("lastByteReceived = %d, want %d", *out.LastByteReceived, tc.lastByte)
			}
		})
	}
	_, err = f.svc.UploadLayerPart(f.ctx, &ecrapi.UploadLayerPartInput{RepositoryName: repo, UploadId: sp("nope"), PartFirstByte: ptr(int64(0)), PartLastByte: ptr(int64(0)), LayerPartBlob: []byte("x")})
	awserrtest.WantCode(t, err, ecrapi.CodeUploadNotFound, "")

	_, err = f.svc.CompleteLayerUpload(f.ctx, &ecrapi.CompleteLayerUploadInput{RepositoryName: repo, UploadId: id, LayerDigests: []string{digestOf([]byte("other"))}})
	awserrtest.WantCode(t, err, ecrapi.CodeInvalidLayer, "")
	out := must[*ecrapi.CompleteLayerUploadOutput](t)(f.svc.CompleteLayerUpload(f.ctx, &ecrapi.CompleteLayerUploadInput{RepositoryName: repo, UploadId: id, LayerDigests: []string{digest}}))
	if *out.LayerDigest != digest {
		t.Fatalf("layerDigest = %s", *out.LayerDigest)
	}
	_, err = f.svc.CompleteLayerUpload(f.ctx, &ecrapi.CompleteLayerUploadInput{RepositoryName: repo, UploadId: id, LayerDigests: []string{digest}})
	awserrtest.WantCode(t, err, ecrapi.CodeUploadNotFound, "")

	// The same layer again: LayerAlreadyExists.
	id2 := must[*ecrapi.InitiateLayerUploadOutput](t)(f.svc.InitiateLayerUpload(f.ctx, &ecrapi.InitiateLayerUploadInput{RepositoryName: repo})).UploadId
	must[*ecrapi.UploadLayerPartOutput](t)(f.svc.UploadLayerPart(f.ctx, &ecrapi.UploadLayerPartInput{RepositoryName: repo, UploadId: id2, PartFirstByte: ptr(int64(0)), PartLastByte: ptr(int64(15)), LayerPartBlob: data}))
	_, err = f.svc.CompleteLayerUpload(f.ctx, &ecrapi.CompleteLayerUploadInput{RepositoryName: repo, UploadId: id2, LayerDigests: []string{digest}})
	awserrtest.WantCode(t, err, ecrapi.CodeLayerAlreadyExists, "")

	avail := must[*ecrapi.BatchCheckLayerAvailabilityOutput](t)(f.svc.BatchCheckLayerAvailability(f.ctx, &ecrapi.BatchCheckLayerAvailabilityInput{RepositoryName: repo,
		LayerDigests: []string{digest, digestOf([]byte("missing")), "bogus"}}))
	if len(avail.Layers) != 1 || *avail.Layers[0].LayerAvailability != "AVAILABLE" || *avail.Layers[0].LayerSize != 16 {
		t.Fatalf("layers = %+v", avail.Layers)
	}
	if len(avail.Failures) != 2 || *avail.Failures[0].FailureCode != "MissingLayerDigest" || *avail.Failures[1].FailureCode != "InvalidLayerDigest" {
		t.Fatalf("failures = %+v", avail.Failures)
	}

	url := must[*ecrapi.GetDownloadUrlForLayerOutput](t)(f.svc.GetDownloadUrlForLayer(f.ctx, &ecrapi.GetDownloadUrlForLayerInput{RepositoryName: repo, LayerDigest: &digest}))
	if *url.DownloadUrl != "http://"+testHost+"/v2/web/blobs/"+digest {
		t.Fatalf("downloadUrl = %s", *url.DownloadUrl)
	}
	_, err = f.svc.GetDownloadUrlForLayer(f.ctx, &ecrapi.GetDownloadUrlForLayerInput{RepositoryName: repo, LayerDigest: sp(digestOf([]byte("missing")))})
	awserrtest.WantCode(t, err, ecrapi.CodeLayersNotFound, "")

	// The uploaded layer makes a pushable image.
	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	cd := f.images.putBlob("web", cfg)
	m := manifestJSON(t, cd, len(cfg), digest, len(data))
	must[*ecrapi.PutImageOutput](t)(f.svc.PutImage(f.ctx, &ecrapi.PutImageInput{RepositoryName: repo, ImageManifest: &m, ImageTag: sp("v1")}))
}
