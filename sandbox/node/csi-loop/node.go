package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// How a volume is mounted. Its file system is mounted once, at the driver's own directory
// (mountDir), and each publish binds that mount onto the pod's target path. Mounting the image
// twice, through two loop devices, would corrupt it; and a ReadWriteOnce claim may well be
// used by two pods of one node at once (a Deployment's rolling update). The own mount goes
// when the last publish does, so a pod restart unmounts the file system, which is when it can
// grow. No NodeStageVolume: the kubelet keeps a staged volume while a new pod of the claim is
// already waiting for it, and the file system would then never be unmounted to grow.

func (d *driver) NodePublishVolume(_ context.Context, req *csi.NodePublishVolumeRequest) (*csi.NodePublishVolumeResponse, error) {
	id, target := req.GetVolumeId(), filepath.Clean(req.GetTargetPath())
	if id == "" || req.GetTargetPath() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id and target_path are required")
	}
	if why := unsupported(req.GetVolumeCapability()); why != "" {
		return nil, status.Error(codes.InvalidArgument, why)
	}
	readOnly := req.GetReadonly() ||
		req.GetVolumeCapability().GetAccessMode().GetMode() == csi.VolumeCapability_AccessMode_SINGLE_NODE_READER_ONLY

	d.mu.Lock()
	defer d.mu.Unlock()
	image, _, err := d.image(id)
	if err != nil {
		return nil, err
	}
	ms, err := mounts()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	own, mounted := findMount(ms, d.mountDir(id))
	if m, ok := findMount(ms, target); ok {
		if mounted && m.dev == own.dev && m.ro == readOnly {
			return &csi.NodePublishVolumeResponse{}, nil // published already
		}
		return nil, status.Errorf(codes.AlreadyExists, "%s is mounted already, and not as volume %s with read-only %t", target, id, readOnly)
	}
	if !mounted {
		if err := d.mountOwn(id, image); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	// The kubelet makes the parent; the target is ours to make (and to remove at unpublish).
	if err := os.MkdirAll(target, 0o750); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if err := bind(d.mountDir(id), target, readOnly); err != nil {
		_ = d.release(id)
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &csi.NodePublishVolumeResponse{}, nil
}

// mountOwn mounts the volume's file system at its own directory, grown first if the image grew
// since it was last mounted. `mount -o loop` sets up the loop device with autoclear: the kernel
// detaches it as soon as the file system is unmounted, so no loop device outlives its mount,
// not even when the node's mount namespace is torn down with the volume still mounted.
func (d *driver) mountOwn(id, image string) error {
	if err := waitDetached(image); err != nil {
		return err
	}
	if _, err := growOffline(image); err != nil {
		return err
	}
	dir := d.mountDir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return run("mount", "-t", "ext4", "-o", "loop", image, dir)
}

// waitDetached waits until no loop device holds the image. One may, for a moment, after the
// last unmount: the kernel clears it once the file system's last user lets go, and a
// container's mount namespace can be that user for a moment after its processes exit. Growing
// the image's file system, or mounting it through a second loop device, while the first still
// carries it would corrupt it. losetup matches the image by device and inode, not by path.
func waitDetached(image string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("losetup", "--associated", image).Output()
		if err != nil {
			return fmt.Errorf("losetup --associated %s: %w", image, err)
		}
		if len(bytes.TrimSpace(out)) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is still attached, by a file system not yet released: %s", image, bytes.TrimSpace(out))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// bind makes target a view of source. Read-only takes a second step: a bind mount ignores the
// flag until it is remounted.
func bind(source, target string, readOnly bool) error {
	if err := syscall.Mount(source, target, "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind mount of %s on %s: %w", source, target, err)
	}
	if readOnly {
		if err := syscall.Mount("", target, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			_ = syscall.Unmount(target, 0)
			return fmt.Errorf("making %s read-only: %w", target, err)
		}
	}
	return nil
}

// release unmounts the volume's own mount once no target shows it any more. Idempotent.
func (d *driver) release(id string) error {
	ms, err := mounts()
	if err != nil {
		return err
	}
	own, ok := findMount(ms, d.mountDir(id))
	if !ok {
		return nil
	}
	for _, m := range ms {
		if m.dev == own.dev && m.point != own.point {
			return nil // another pod's target still uses it
		}
	}
	if err := syscall.Unmount(own.point, 0); err != nil {
		return fmt.Errorf("unmounting %s: %w", own.point, err)
	}
	return os.Remove(own.point)
}

// NodeUnpublishVolume unmounts the target and removes it, then the volume's own mount if that
// was its last publish. Idempotent: a target that is gone, or not mounted, is fine.
func (d *driver) NodeUnpublishVolume(_ context.Context, req *csi.NodeUnpublishVolumeRequest) (*csi.NodeUnpublishVolumeResponse, error) {
	id, target := req.GetVolumeId(), filepath.Clean(req.GetTargetPath())
	if id == "" || req.GetTargetPath() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id and target_path are required")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ms, err := mounts()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if _, ok := findMount(ms, target); ok {
		if err := syscall.Unmount(target, 0); err != nil {
			return nil, status.Errorf(codes.Internal, "unmounting %s: %v", target, err)
		}
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if idPattern.MatchString(id) {
		if err := d.release(id); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	return &csi.NodeUnpublishVolumeResponse{}, nil
}

// NodeExpandVolume is called by the kubelet after ControllerExpandVolume asked for node
// expansion: at once if a pod has the volume mounted (the claim then shows
// FileSystemResizePending), and again right after the next NodePublishVolume.
//
// While mounted, ext4 cannot grow here, so the answer is FAILED_PRECONDITION, the CSI spec's
// code for a volume in use whose file system cannot grow while published. The kubelet
// (1.36, pkg/volume/util/operationexecutor/node_expander.go) then marks the volume as not
// expandable while in use, stops retrying, and leaves the claim as it is: FileSystemResizePending,
// its old size in status. When the pod restarts, the last unpublish unmounts the file system,
// the next publish grows it offline before mounting it (mountOwn), and the kubelet's call after
// that publish finds the file system as large as the image: OK, and the kubelet writes the new
// size into the claim's status. Answering OK while the file system is still small would make
// the kubelet report a size the pod does not have; any other error would make it retry for
// ever.
func (d *driver) NodeExpandVolume(_ context.Context, req *csi.NodeExpandVolumeRequest) (*csi.NodeExpandVolumeResponse, error) {
	id, path := req.GetVolumeId(), filepath.Clean(req.GetVolumePath())
	if id == "" || req.GetVolumePath() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id and volume_path are required")
	}
	if c := req.GetVolumeCapability(); c != nil && c.GetBlock() != nil {
		return nil, status.Error(codes.InvalidArgument, "block volumes are not supported")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	image, fi, err := d.image(id)
	if err != nil {
		return nil, err
	}
	ms, err := mounts()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	own, mounted := findMount(ms, d.mountDir(id))
	if m, ok := findMount(ms, path); !ok || !mounted || m.dev != own.dev {
		return nil, status.Errorf(codes.NotFound, "volume %s is not published at %s", id, path)
	}
	fsSize, blockSize, err := ext4Size(image)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if fi.Size()/blockSize > fsSize/blockSize {
		return nil, status.Errorf(codes.FailedPrecondition,
			"the file system of %s is mounted and ext4 cannot grow online on this node: it grows to %d MiB when the pod restarts",
			id, fi.Size()/mib)
	}
	return &csi.NodeExpandVolumeResponse{CapacityBytes: fi.Size()}, nil
}

// NodeGetVolumeStats gives the kubelet the file system's usage (its volume metrics).
func (d *driver) NodeGetVolumeStats(_ context.Context, req *csi.NodeGetVolumeStatsRequest) (*csi.NodeGetVolumeStatsResponse, error) {
	path := filepath.Clean(req.GetVolumePath())
	if req.GetVolumeId() == "" || req.GetVolumePath() == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id and volume_path are required")
	}
	ms, err := mounts()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if _, ok := findMount(ms, path); !ok {
		return nil, status.Errorf(codes.NotFound, "nothing is mounted at %s", path)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	bs := st.Bsize
	return &csi.NodeGetVolumeStatsResponse{Usage: []*csi.VolumeUsage{
		{Unit: csi.VolumeUsage_BYTES, Total: int64(st.Blocks) * bs, Available: int64(st.Bavail) * bs, Used: int64(st.Blocks-st.Bfree) * bs},
		{Unit: csi.VolumeUsage_INODES, Total: int64(st.Files), Available: int64(st.Ffree), Used: int64(st.Files - st.Ffree)},
	}}, nil
}

func (d *driver) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: d.nodeID, AccessibleTopology: d.topology()[0]}, nil
}

func (d *driver) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	var caps []*csi.NodeServiceCapability
	for _, t := range []csi.NodeServiceCapability_RPC_Type{
		csi.NodeServiceCapability_RPC_EXPAND_VOLUME,
		csi.NodeServiceCapability_RPC_GET_VOLUME_STATS,
	} {
		caps = append(caps, &csi.NodeServiceCapability{Type: &csi.NodeServiceCapability_Rpc{
			Rpc: &csi.NodeServiceCapability_RPC{Type: t},
		}})
	}
	return &csi.NodeGetCapabilitiesResponse{Capabilities: caps}, nil
}
