package main

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// CreateVolume makes <state dir>/<id>.img, a sparse file of the asked size holding a fresh ext4
// file system. It is built under a temporary name and renamed when complete, so an image that
// exists is always whole: a retry after a crash starts afresh, and a repeated call returns the
// volume it made before.
func (d *driver) CreateVolume(_ context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name is required")
	}
	if why := unsupportedAny(req.GetVolumeCapabilities()); why != "" {
		return nil, status.Error(codes.InvalidArgument, why)
	}
	if req.GetVolumeContentSource() != nil {
		return nil, status.Error(codes.InvalidArgument, "volumes from snapshots or other volumes are not supported")
	}
	if !d.canHold(req.GetAccessibilityRequirements()) {
		return nil, status.Errorf(codes.ResourceExhausted, "volumes can only be made on node %s (%s)", d.nodeID, topologyKey)
	}
	size, err := sizeFor(req.GetCapacityRange())
	if err != nil {
		return nil, err
	}
	id := volumeID(req.GetName())
	image := d.imagePath(id)

	d.mu.Lock()
	defer d.mu.Unlock()
	if fi, err := os.Stat(image); err == nil {
		have, r := fi.Size(), req.GetCapacityRange()
		if have < r.GetRequiredBytes() || (r.GetLimitBytes() > 0 && have > r.GetLimitBytes()) {
			return nil, status.Errorf(codes.AlreadyExists, "volume %s (%s) exists with %d bytes, outside the range asked", id, req.GetName(), have)
		}
		return d.created(id, have), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if err := d.room(size, 0); err != nil {
		return nil, err
	}
	partial := image + ".new"
	if err := makeImage(partial, size); err != nil {
		_ = os.Remove(partial)
		return nil, status.Error(codes.Internal, err.Error())
	}
	if err := os.Rename(partial, image); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return d.created(id, size), nil
}

func (d *driver) created(id string, size int64) *csi.CreateVolumeResponse {
	return &csi.CreateVolumeResponse{Volume: &csi.Volume{
		VolumeId:           id,
		CapacityBytes:      size,
		AccessibleTopology: d.topology(),
	}}
}

// canHold says whether the volume may be made here. The controller runs beside the node
// service, so volumes are made on this node's disk only: refused when the requisite
// topologies (the nodes the pod may run on) leave this node out.
func (d *driver) canHold(req *csi.TopologyRequirement) bool {
	if len(req.GetRequisite()) == 0 {
		return true
	}
	for _, t := range req.GetRequisite() {
		if t.GetSegments()[topologyKey] == d.nodeID {
			return true
		}
	}
	return false
}

// makeImage writes a sparse file of size bytes and makes an ext4 file system in it. No
// reserved blocks (-m 0): the databases on it do not run as root, so root's 5 % would only be
// lost space. -T default: the layout of a full-size file system (4 KiB blocks) even when it
// starts small, since it is made to grow; below 512 MiB mke2fs would pick 1 KiB blocks.
func makeImage(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return run("mkfs.ext4", "-q", "-F", "-m", "0", "-T", "default", path)
}

// DeleteVolume removes the image. Idempotent: an unknown id is a volume already gone. A volume
// still mounted (a pod not yet torn down) is refused, and the provisioner retries.
func (d *driver) DeleteVolume(_ context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	id := req.GetVolumeId()
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id is required")
	}
	if !idPattern.MatchString(id) {
		return &csi.DeleteVolumeResponse{}, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ms, err := mounts()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if _, ok := findMount(ms, d.mountDir(id)); ok {
		return nil, status.Errorf(codes.FailedPrecondition, "volume %s is still mounted", id)
	}
	for _, p := range []string{d.imagePath(id), d.imagePath(id) + ".new"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	return &csi.DeleteVolumeResponse{}, nil
}

// ControllerExpandVolume grows the image file; the file system follows at the next publish
// (NodePublishVolume). Growing the file of a mounted volume is safe: its loop device keeps the
// size it was set up with. Never shrinks: a smaller request gets the current size. The
// answer always asks for node expansion, also on a repeated call, so the claim's size is
// reported only once the file system has grown.
func (d *driver) ControllerExpandVolume(_ context.Context, req *csi.ControllerExpandVolumeRequest) (*csi.ControllerExpandVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id is required")
	}
	if req.GetCapacityRange() == nil {
		return nil, status.Error(codes.InvalidArgument, "capacity_range is required")
	}
	if c := req.GetVolumeCapability(); c != nil {
		if why := unsupported(c); why != "" {
			return nil, status.Error(codes.InvalidArgument, why)
		}
	}
	want, err := sizeFor(req.GetCapacityRange())
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	image, fi, err := d.image(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if limit := req.GetCapacityRange().GetLimitBytes(); limit > 0 && size > limit {
		return nil, status.Errorf(codes.OutOfRange, "volume is %d bytes already, above limit_bytes %d; volumes never shrink", size, limit)
	}
	if size < want {
		if err := d.room(want, allocated(fi)); err != nil {
			return nil, err
		}
		if err := os.Truncate(image, want); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		size = want
	}
	return &csi.ControllerExpandVolumeResponse{CapacityBytes: size, NodeExpansionRequired: true}, nil
}

func (d *driver) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	if req.GetVolumeId() == "" || len(req.GetVolumeCapabilities()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "volume_id and volume_capabilities are required")
	}
	if _, _, err := d.image(req.GetVolumeId()); err != nil {
		return nil, err
	}
	if why := unsupportedAny(req.GetVolumeCapabilities()); why != "" {
		return &csi.ValidateVolumeCapabilitiesResponse{Message: why}, nil
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeContext:      req.GetVolumeContext(),
		VolumeCapabilities: req.GetVolumeCapabilities(),
		Parameters:         req.GetParameters(),
	}}, nil
}

// GetCapacity is the free space of the state directory's file system (for the provisioner's
// storage capacity tracking, when it is switched on); none for capabilities or a topology that
// this driver cannot serve.
func (d *driver) GetCapacity(_ context.Context, req *csi.GetCapacityRequest) (*csi.GetCapacityResponse, error) {
	for _, c := range req.GetVolumeCapabilities() {
		if unsupported(c) != "" {
			return &csi.GetCapacityResponse{}, nil
		}
	}
	if t := req.GetAccessibleTopology(); t != nil && t.GetSegments()[topologyKey] != d.nodeID {
		return &csi.GetCapacityResponse{}, nil
	}
	free, err := d.free()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &csi.GetCapacityResponse{AvailableCapacity: free, MinimumVolumeSize: wrapperspb.Int64(minSize)}, nil
}

func (d *driver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	var caps []*csi.ControllerServiceCapability
	for _, t := range []csi.ControllerServiceCapability_RPC_Type{
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
		csi.ControllerServiceCapability_RPC_EXPAND_VOLUME,
		csi.ControllerServiceCapability_RPC_GET_CAPACITY,
	} {
		caps = append(caps, &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{
			Rpc: &csi.ControllerServiceCapability_RPC{Type: t},
		}})
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}
