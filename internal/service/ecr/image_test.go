// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package ecr

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berthdev/berth/internal/awsapi/ecrapi"
	"github.com/berthdev/berth/internal/awserr/awserrtest"
)

func TestService_PutImage(t *testing.T) {
	f := newFixture(t)
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("web")}))
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("locked"), ImageTagMutability: sp("IMMUTABLE")}))
	m1, m2 := f.testManifest(t, "web", "one"), f.testManifest(t, "web", "two")
	l1, l2 := f.testManifest(t, "locked", "one"), f.testManifest(t, "locked", "two")
	missing := manifestJSON(t, digestOf([]byte("x")), 1, digestOf([]byte("y")), 1)
	tests := []struct {
		name string
		in   ecrapi.PutImageInput
		code string
	}{
		{"first", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: &m1, ImageTag: sp("v1")}, ""},
		{"same tag and digest", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: &m1, ImageTag: sp("v1")}, ecrapi.CodeImageAlreadyExists},
		{"second tag", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: &m1, ImageTag: sp("latest")}, ""},
		{"move tag in mutable", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: &m2, ImageTag: sp("latest")}, ""},
		{"layers missing", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: &missing, ImageTag: sp("x")}, ecrapi.CodeLayersNotFound},
		{"digest mismatch", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: &m2, ImageDigest: sp(digestOf([]byte("other")))}, ecrapi.CodeImageDigestDoesNotMatch},
		{"not json", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: sp("{")}, ecrapi.CodeInvalidParameter},
		{"bad tag", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: &m2, ImageTag: sp("-x")}, ecrapi.CodeInvalidParameter},
		{"schema 1", ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: sp(`{"schemaVersion":1}`)}, ecrapi.CodeUnsupportedImageType},
		{"no repository", ecrapi.PutImageInput{RepositoryName: sp("nope"), ImageManifest: &m1}, ecrapi.CodeRepositoryNotFound},
		{"immutable first", ecrapi.PutImageInput{RepositoryName: sp("locked"), ImageManifest: &l1, ImageTag: sp("v1")}, ""},
		{"immutable moved", ecrapi.PutImageInput{RepositoryName: sp("locked"), ImageManifest: &l2, ImageTag: sp("v1")}, ecrapi.CodeImageTagAlreadyExists},
		{"immutable new tag", ecrapi.PutImageInput{RepositoryName: sp("locked"), ImageManifest: &l2, ImageTag: sp("v2")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.svc.PutImage(f.ctx, &tc.in)
			if tc.code != "" {
				awserrtest.WantCode(t, err, tc.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *out.Image.ImageId.ImageDigest != digestOf([]byte(*tc.in.ImageManifest)) || *out.Image.ImageManifestMediaType != mtDockerV2 {
				t.Fatalf("image = %+v", out.Image.ImageId)
			}
		})
	}
	_, err := f.svc.PutImage(f.ctx, &ecrapi.PutImageInput{RepositoryName: sp("locked"), ImageManifest: &l2, ImageTag: sp("v1")})
	if err == nil || !strings.Contains(err.Error(), "The image tag 'v1' already exists in the 'locked' repository and cannot be overwritten because the repository is immutable.") {
		t.Fatalf("immutable message: %v", err)
	}
	// What was refused changed nothing: web has v1 on m1, latest on m2.
	out := must[*ecrapi.ListImagesOutput](t)(f.svc.ListImages(f.ctx, &ecrapi.ListImagesInput{RepositoryName: sp("web")}))
	got := map[string]string{}
	for _, id := range out.ImageIds {
		got[str(id.ImageTag)] = *id.ImageDigest
	}
	want := map[string]string{"v1": digestOf([]byte(m1)), "latest": digestOf([]byte(m2))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("images (-want +got):\n%s", diff)
	}
}

func TestService_ImageQueries(t *testing.T) {
	f := newFixture(t)
	must[*ecrapi.CreateRepositoryOutput](t)(f.svc.CreateRepository(f.ctx, &ecrapi.CreateRepositoryInput{RepositoryName: sp("web")}))
	var digests []string
	for i, c := range []string{"a", "b", "c"} {
		m := f.testManifest(t, "web", c)
		in := &ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: &m}
		if i < 2 {
			in.ImageTag = sp("t" + c)
		}
		out := must[*ecrapi.PutImageOutput](t)(f.svc.PutImage(f.ctx, in))
		digests = append(digests, *out.Image.ImageId.ImageDigest)
	}
	must[*ecrapi.PutImageOutput](t)(f.svc.PutImage(f.ctx, &ecrapi.PutImageInput{RepositoryName: sp("web"), ImageManifest: sp(f.testManifestFor(t, "a")), ImageTag: sp("extra")}))

	t.Run("BatchGetImage", func(t *testing.T) {
		out := must[*ecrapi.BatchGetImageOutput](t)(f.svc.BatchGetImage(f.ctx, &ecrapi.BatchGetImageInput{RepositoryName: sp("web"), ImageIds: []ecrapi.ImageIdentifier{
			{ImageTag: sp("ta")},
			{ImageDigest: sp(digests[2])},
			{ImageTag: sp("nope")},
			{ImageDigest: sp(digests[0]), ImageTag: sp("tb")},
			{},
			{ImageDigest: sp("sha256:xyz")},
		}}))
		if len(out.Images) != 2 || *out.Images[0].ImageId.ImageDigest != digests[0] || *out.Images[0].ImageId.ImageTag != "ta" ||
			*out.Images[1].ImageId.ImageDigest != digests[2] {
			t.Fatalf("images = %+v", out.Images)
		}
		var codes []string
		for _, fl := range out.Failures {
			codes = append(codes, *fl.FailureCode)
		}
		if joined(codes) != "ImageNotFound,ImageTagDoesNotMatchDigest,MissingDigestAndTag,InvalidImageDigest" {
			t.Fatalf("failures = %v", codes)
		}
		if *out.Failures[0].FailureReason != "Requested image not found" {
			t.Fatalf("reason = %s", *out.Failures[0].FailureReason)
		}
		out = must[*ecrapi.BatchGetImageOutput](t)(f.svc.BatchGetImage(f.ctx, &ecrapi.BatchGetImageInput{RepositoryName: sp("web"),
			ImageIds: []ecrapi.ImageIdentifier{{ImageTag: sp("ta")}}, AcceptedMediaTypes: []string{mtOCIManifest}}))
		if len(out.Images) != 0 || len(out.Failures) != 1 {
			t.Fatalf("acceptedMediaTypes ignored: %+v", out)
		}
	})
	t.Run("DescribeImages", func(t *testing.T) {
		for _, tc := range []struct {
			status string
			want   int
		}{{"TAGGED", 2}, {"UNTAGGED", 1}, {"ANY", 3}} {
			out := must[*ecrapi.DescribeImagesOutput](t)(f.svc.DescribeImages(f.ctx, &ecrapi.DescribeImagesInput{RepositoryName: sp("web"),
				Filter: &ecrapi.DescribeImagesFilter{TagStatus: sp(tc.status)}}))
			if len(out.ImageDetails) != tc.want {
				t.Fatalf("%s: %d images, want %d", tc.status, len(out.ImageDetails), tc.want)
			}
		}
		out := must[*ecrapi.DescribeImagesOutput](t)(f.svc.DescribeImages(f.ctx, &ecrapi.DescribeImagesInput{RepositoryName: sp("web"),
			ImageIds: []ecrapi.ImageIdentifier{{ImageTag: sp("extra")}}}))
		d := out.ImageDetails[0]
		if *d.ImageDigest != digests[0] || joined(d.ImageTags) != "extra,ta" || *d.ImageSizeInBytes <= 0 || d.ImagePushedAt == nil ||
			*d.ImageManifestMediaType != mtDockerV2 || *d.ArtifactMediaType != "application/vnd.docker.container.image.v1+json" || *d.RegistryId != testAccount {
			t.Fatalf("detail = %+v", d)
		}
		_, err := f.svc.DescribeImages(f.ctx, &ecrapi.DescribeImagesInput{RepositoryName: sp("web"), ImageIds: []ecrapi.ImageIdentifier{{ImageTag: sp("nope")}}})
		awserrtest.WantCode(t, err, ecrapi.CodeImageNotFound, "")
		var all []string
		var tok *string
		for {
			out := must[*ecrapi.DescribeImagesOutput](t)(f.svc.DescribeImages(f.ctx, &ecrapi.DescribeImagesInput{RepositoryName: sp("web"), MaxResults: ptr(int32(2)), NextToken: tok}))
			for _, d := range out.ImageDetails {
				all = append(all, *d.ImageDigest)
			}
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		if len(all) != 3 {
			t.Fatalf("paged through %d images, want 3", len(all))
		}
	})
	t.Run("ListImages", func(t *testing.T) {
		var ids []string
		var tok *string
		for {
			out := must[*ecrapi.ListImagesOutput](t)(f.svc.ListImages(f.ctx, &ecrapi.ListImagesInput{RepositoryName: sp("web"), MaxResults: ptr(int32(1)), NextToken: tok}))
			for _, id := range out.ImageIds {
				ids = append(ids, str(id.ImageTag))
			}
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		if len(ids) != 4 { // ta, extra, tb and the untagged image
			t.Fatalf("ids = %v", ids)
		}
		out := must[*ecrapi.ListImagesOutput](t)(f.svc.ListImages(f.ctx, &ecrapi.ListImagesInput{RepositoryName: sp("web"), Filter: &ecrapi.ListImagesFilter{TagStatus: sp("UNTAGGED")}}))
		if len(out.ImageIds) != 1 || *out.ImageIds[0].ImageDigest != digests[2] || out.ImageIds[0].ImageTag != nil {
			t.Fatalf("untagged = %+v", out.ImageIds)
		}
		_, err := f.svc.ListImages(f.ctx, &ecrapi.ListImagesInput{RepositoryName: sp("web"), Filter: &ecrapi.ListImagesFilter{TagStatus: sp("SOME")}})
		awserrtest.WantCode(t, err, ecrapi.CodeValidation, "")
	})
	t.Run("BatchDeleteImage", func(t *testing.T) {
		out := must[*ecrapi.BatchDeleteImageOutput](t)(f.svc.BatchDeleteImage(f.ctx, &ecrapi.BatchDeleteImageInput{RepositoryName: sp("web"), ImageIds: []ecrapi.ImageIdentifier{
			{ImageTag: sp("extra")},       // untags: ta remains
			{ImageTag: sp("tb")},          // last tag: deletes the image
			{ImageDigest: sp(digests[2])}, // by digest
			{ImageTag: sp("nope")},        // failure
		}}))
		if len(out.ImageIds) != 3 || len(out.Failures) != 1 || *out.Failures[0].FailureCode != "ImageNotFound" {
			t.Fatalf("deleted %+v, failures %+v", out.ImageIds, out.Failures)
		}
		imgs := must[[]Image](t)(f.images.Images(f.ctx, "web"))
		if len(imgs) != 1 || imgs[0].Digest != digests[0] || joined(imgs[0].Tags) != "ta" {
			t.Fatalf("left %+v", imgs)
		}
	})
}

// testManifestFor returns the manifest testManifest built for content in
// repository web.
func (f *fixture) testManifestFor(t *testing.T, content string) string {
	return f.testManifest(t, "web", content)
}
