// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package docker

import (
	"bytes"
	"context"
	"io"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"
)

// The methods in this file are not part of Client: tests and tools use them
// to prepare a daemon (build a local image, make a network) and to read a
// container's output.

// ImageBuild builds an image from a tar build context (a Dockerfile at its
// root) with the classic builder, never pulling a base image, and tags it.
func (e *Engine) ImageBuild(ctx context.Context, buildContext io.Reader, tag string) error {
	r, err := e.cli.ImageBuild(ctx, buildContext, build.ImageBuildOptions{
		Tags:        []string{tag},
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return wrap("build "+tag, err)
	}
	defer r.Body.Close()
	return wrap("build "+tag, readProgress(r.Body))
}

// ImageRemove removes an image by reference.
func (e *Engine) ImageRemove(ctx context.Context, ref string) error {
	_, err := e.cli.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true})
	return wrap("remove image "+ref, err)
}

// NetworkCreate creates a bridge network with the given subnet (CIDR) and
// gateway and returns its id. Empty subnet lets Docker choose.
func (e *Engine) NetworkCreate(ctx context.Context, name, subnet, gateway string, labels map[string]string) (string, error) {
	opts := network.CreateOptions{Driver: "bridge", Labels: labels}
	if subnet != "" {
		opts.IPAM = &network.IPAM{Config: []network.IPAMConfig{{Subnet: subnet, Gateway: gateway}}}
	}
	r, err := e.cli.NetworkCreate(ctx, name, opts)
	if err != nil {
		return "", wrap("create network "+name, err)
	}
	return r.ID, nil
}

// NetworkRemove removes a network.
func (e *Engine) NetworkRemove(ctx context.Context, id string) error {
	return wrap("remove network "+id, e.cli.NetworkRemove(ctx, id))
}

// ContainerLogs returns a container's stdout and stderr so far.
func (e *Engine) ContainerLogs(ctx context.Context, id string) (stdout, stderr string, err error) {
	rc, err := e.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "", "", wrap("logs "+short(id), err)
	}
	defer rc.Close()
	var o, s bytes.Buffer
	if _, err := stdcopy.StdCopy(&o, &s, rc); err != nil {
		return o.String(), s.String(), wrap("logs "+short(id), err)
	}
	return o.String(), s.String(), nil
}
