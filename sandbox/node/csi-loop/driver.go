package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	mib = int64(1) << 20
	// minSize is the smallest volume: room for ext4's metadata and journal with space to spare.
	minSize = 16 * mib
	// topologyKey carries the node id. Volumes live on one node's disk: the external-provisioner
	// copies the topology into the PV's node affinity, so pods of the claim go to that node.
	topologyKey = "topology." + driverName + "/node"
)

// driver serves the three CSI services. It keeps no state in memory: the volumes are the image
// files, and what is mounted is read from /proc/self/mountinfo on every call, so a restarted
// driver carries on where it stopped.
type driver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer
	csi.UnimplementedNodeServer

	stateDir string // absolute, symlinks resolved: mount points under it are compared with mountinfo
	nodeID   string
	// mu serialises the calls that create, grow, mount or remove: the sidecars and the kubelet
	// may call at once, and retry a call whose first attempt is still running.
	mu sync.Mutex
}

func newDriver(stateDir, nodeID string) (*driver, error) {
	if err := os.MkdirAll(filepath.Join(stateDir, "mounts"), 0o700); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(stateDir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return nil, err
	}
	return &driver{stateDir: dir, nodeID: nodeID}, nil
}

// --- volumes: ids and paths -------------------------------------------------------------------

var idPattern = regexp.MustCompile(`^loop-[0-9a-f]{32}$`)

// volumeID derives a volume's id from the name the provisioner gives it (pvc-<uid>), so a
// repeated CreateVolume finds the volume it made before. The hash keeps ids path-safe.
func volumeID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "loop-" + hex.EncodeToString(sum[:16])
}

func (d *driver) imagePath(id string) string { return filepath.Join(d.stateDir, id+".img") }

// mountDir is where the volume's file system is mounted while a pod uses it; each publish is a
// bind mount of it (see NodePublishVolume).
func (d *driver) mountDir(id string) string { return filepath.Join(d.stateDir, "mounts", id) }

// image returns a volume's image path and its file information, or NotFound.
func (d *driver) image(id string) (string, fs.FileInfo, error) {
	if !idPattern.MatchString(id) {
		return "", nil, status.Errorf(codes.NotFound, "no volume %q: not an id of this driver", id)
	}
	path := d.imagePath(id)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, status.Errorf(codes.NotFound, "no volume %s", id)
	}
	if err != nil {
		return "", nil, status.Error(codes.Internal, err.Error())
	}
	return path, fi, nil
}

// --- sizes ------------------------------------------------------------------------------------

// sizeFor is the image size for a capacity range: at least required_bytes and minSize,
// rounded up to a MiB, and refused beyond limit_bytes.
func sizeFor(r *csi.CapacityRange) (int64, error) {
	required, limit := r.GetRequiredBytes(), r.GetLimitBytes()
	switch {
	case required < 0 || limit < 0:
		return 0, status.Error(codes.InvalidArgument, "negative capacity")
	case limit > 0 && limit < required:
		return 0, status.Errorf(codes.InvalidArgument, "limit_bytes %d is below required_bytes %d", limit, required)
	case required > math.MaxInt64-mib:
		return 0, status.Errorf(codes.OutOfRange, "required_bytes %d is too large", required)
	}
	size := (max(required, minSize) + mib - 1) / mib * mib
	if limit > 0 && size > limit {
		return 0, status.Errorf(codes.OutOfRange, "a volume takes at least %d bytes in whole MiB (minimum %d MiB); limit_bytes is %d", size, minSize/mib, limit)
	}
	return size, nil
}

// room refuses a size that the state directory's file system could not hold even for this one
// volume: images are sparse, so the shortage would show only later, as write errors in the pod.
// allocated is what the image occupies already.
func (d *driver) room(size, allocated int64) error {
	free, err := d.free()
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	if size-allocated > free {
		return status.Errorf(codes.ResourceExhausted, "%d MiB asked, %d MiB free in %s", size/mib, free/mib, d.stateDir)
	}
	return nil
}

func (d *driver) free() (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.stateDir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", d.stateDir, err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}

// allocated is what a file occupies on disk, which for a sparse image is less than its size.
func allocated(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return fi.Size()
}

// --- capabilities and topology --------------------------------------------------------------

// unsupported says why a volume capability cannot be served, or "" when it can: an ext4 file
// system, mounted on this one node, without mount flags (the file system is mounted once for
// every publish of it, so per-publish flags have nowhere to go).
func unsupported(c *csi.VolumeCapability) string {
	if c == nil {
		return "a volume capability is required"
	}
	m := c.GetMount()
	if m == nil {
		if c.GetBlock() != nil {
			return "block volumes are not supported: volumes are ext4 file systems"
		}
		return "the volume capability has no access type"
	}
	if fsType := m.GetFsType(); fsType != "" && fsType != "ext4" {
		return fmt.Sprintf("file system %q is not supported: volumes are ext4", fsType)
	}
	if len(m.GetMountFlags()) > 0 {
		return "mount flags are not supported"
	}
	switch mode := c.GetAccessMode().GetMode(); mode {
	case csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER, csi.VolumeCapability_AccessMode_SINGLE_NODE_READER_ONLY:
		return ""
	default:
		return fmt.Sprintf("access mode %s is not supported: a volume lives on one node's disk", mode)
	}
}

func unsupportedAny(caps []*csi.VolumeCapability) string {
	if len(caps) == 0 {
		return "volume_capabilities are required"
	}
	for _, c := range caps {
		if why := unsupported(c); why != "" {
			return why
		}
	}
	return ""
}

func (d *driver) topology() []*csi.Topology {
	return []*csi.Topology{{Segments: map[string]string{topologyKey: d.nodeID}}}
}

// --- Identity ---------------------------------------------------------------------------------

func (d *driver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: driverName, VendorVersion: version}, nil
}

// GetPluginCapabilities: the controller service; topology (volumes stay on their node); and
// OFFLINE expansion, because the file system grows only while unmounted. Neither the
// external-resizer nor the kubelet reads the expansion type (they go by ControllerExpandVolume
// and NodeExpandVolume answers): it is what the driver tells a reader and any stricter CO.
func (d *driver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	service := func(t csi.PluginCapability_Service_Type) *csi.PluginCapability {
		return &csi.PluginCapability{Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: t}}}
	}
	return &csi.GetPluginCapabilitiesResponse{Capabilities: []*csi.PluginCapability{
		service(csi.PluginCapability_Service_CONTROLLER_SERVICE),
		service(csi.PluginCapability_Service_VOLUME_ACCESSIBILITY_CONSTRAINTS),
		{Type: &csi.PluginCapability_VolumeExpansion_{VolumeExpansion: &csi.PluginCapability_VolumeExpansion{
			Type: csi.PluginCapability_VolumeExpansion_OFFLINE,
		}}},
	}}, nil
}

// Probe: ready while the state directory is there.
func (d *driver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	if _, err := os.Stat(d.stateDir); err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "state directory: %v", err)
	}
	return &csi.ProbeResponse{Ready: wrapperspb.Bool(true)}, nil
}
