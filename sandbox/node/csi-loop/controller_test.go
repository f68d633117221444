package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
)

func TestCreateVolumeIsIdempotent(t *testing.T) {
	d := newTestDriver(t)
	v := create(t, d, "pvc-1", 20*mib+1)
	if v.GetCapacityBytes() != 21*mib {
		t.Errorf("capacity %d, want 21 MiB (rounded up)", v.GetCapacityBytes())
	}
	image := d.imagePath(v.GetVolumeId())
	if got := fileSize(t, image); got != 21*mib {
		t.Errorf("image is %d bytes, want 21 MiB", got)
	}
	if got := fsSize(t, image); got != 21*mib {
		t.Errorf("file system is %d bytes, want the whole image", got)
	}
	if got := v.GetAccessibleTopology()[0].GetSegments()[topologyKey]; got != "node-a" {
		t.Errorf("topology %q, want node-a", got)
	}

	again := create(t, d, "pvc-1", 20*mib)
	if again.GetVolumeId() != v.GetVolumeId() || again.GetCapacityBytes() != 21*mib {
		t.Errorf("repeated CreateVolume gave %v, want the same volume", again)
	}
	_, err := d.CreateVolume(ctx, &csi.CreateVolumeRequest{
		Name:               "pvc-1",
		CapacityRange:      &csi.CapacityRange{RequiredBytes: 64 * mib},
		VolumeCapabilities: []*csi.VolumeCapability{rwo},
	})
	wantCode(t, err, codes.AlreadyExists)

	other := create(t, d, "pvc-2", 0)
	if other.GetVolumeId() == v.GetVolumeId() || other.GetCapacityBytes() != minSize {
		t.Errorf("second volume %v: want its own id and the minimum size", other)
	}
	if partial, _ := filepath.Glob(filepath.Join(d.stateDir, "*.new")); len(partial) > 0 {
		t.Errorf("partial images left: %v", partial)
	}
}

func TestCreateVolumeRefuses(t *testing.T) {
	d := newTestDriver(t)
	block := &csi.VolumeCapability{
		AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}},
		AccessMode: rwo.GetAccessMode(),
	}
	xfs := capability(csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER)
	xfs.GetMount().FsType = "xfs"
	flags := capability(csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER)
	flags.GetMount().MountFlags = []string{"noatime"}
	caps := func(c ...*csi.VolumeCapability) []*csi.VolumeCapability { return c }
	elsewhere := &csi.TopologyRequirement{Requisite: []*csi.Topology{{Segments: map[string]string{topologyKey: "node-b"}}}}

	for _, tc := range []struct {
		name string
		req  *csi.CreateVolumeRequest
		code codes.Code
	}{
		{"no name", &csi.CreateVolumeRequest{VolumeCapabilities: caps(rwo)}, codes.InvalidArgument},
		{"no capability", &csi.CreateVolumeRequest{Name: "v"}, codes.InvalidArgument},
		{"block", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(block)}, codes.InvalidArgument},
		{"xfs", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(xfs)}, codes.InvalidArgument},
		{"mount flags", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(flags)}, codes.InvalidArgument},
		{"many nodes", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(rwo,
			capability(csi.VolumeCapability_AccessMode_MULTI_NODE_MULTI_WRITER))}, codes.InvalidArgument},
		{"from a snapshot", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(rwo),
			VolumeContentSource: &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{
				Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: "s"}}}}, codes.InvalidArgument},
		{"limit below required", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(rwo),
			CapacityRange: &csi.CapacityRange{RequiredBytes: 32 * mib, LimitBytes: 20 * mib}}, codes.InvalidArgument},
		{"limit below the minimum", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(rwo),
			CapacityRange: &csi.CapacityRange{LimitBytes: 8 * mib}}, codes.OutOfRange},
		{"limit below whole MiB", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(rwo),
			CapacityRange: &csi.CapacityRange{RequiredBytes: 20*mib + 1, LimitBytes: 20*mib + 2}}, codes.OutOfRange},
		{"more than the disk", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(rwo),
			CapacityRange: &csi.CapacityRange{RequiredBytes: 1 << 60}}, codes.ResourceExhausted},
		{"another node", &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(rwo),
			AccessibilityRequirements: elsewhere}, codes.ResourceExhausted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.CreateVolume(ctx, tc.req)
			wantCode(t, err, tc.code)
		})
	}
	if images, _ := filepath.Glob(filepath.Join(d.stateDir, "*.img*")); len(images) > 0 {
		t.Errorf("refused calls left files: %v", images)
	}

	here := &csi.TopologyRequirement{Requisite: append(elsewhere.GetRequisite(), d.topology()...)}
	if _, err := d.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "v", VolumeCapabilities: caps(rwo),
		AccessibilityRequirements: here}); err != nil {
		t.Errorf("a requisite topology that includes this node: %v", err)
	}
}

func TestDeleteVolumeIsIdempotent(t *testing.T) {
	d := newTestDriver(t)
	id := create(t, d, "pvc-1", 0).GetVolumeId()
	for range 2 {
		if _, err := d.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(d.imagePath(id)); !os.IsNotExist(err) {
		t.Errorf("image still there: %v", err)
	}
	if _, err := d.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: "../not-ours"}); err != nil {
		t.Errorf("an id that is not ours is a volume already gone: %v", err)
	}
	_, err := d.DeleteVolume(ctx, &csi.DeleteVolumeRequest{})
	wantCode(t, err, codes.InvalidArgument)
}

func TestControllerExpandVolumeGrowsTheImageOnly(t *testing.T) {
	d := newTestDriver(t)
	id := create(t, d, "pvc-1", 16*mib).GetVolumeId()
	image := d.imagePath(id)

	resp := expand(t, d, id, 40*mib)
	if resp.GetCapacityBytes() != 40*mib || !resp.GetNodeExpansionRequired() {
		t.Errorf("got %v, want 40 MiB and node expansion", resp)
	}
	if got := fileSize(t, image); got != 40*mib {
		t.Errorf("image is %d bytes, want 40 MiB", got)
	}
	if got := fsSize(t, image); got != 16*mib {
		t.Errorf("file system is %d bytes: it grows at the next publish, not here", got)
	}

	resp = expand(t, d, id, 20*mib)
	if resp.GetCapacityBytes() != 40*mib || !resp.GetNodeExpansionRequired() || fileSize(t, image) != 40*mib {
		t.Errorf("a smaller request gave %v: want the current 40 MiB, never a shrink", resp)
	}

	for _, tc := range []struct {
		name string
		req  *csi.ControllerExpandVolumeRequest
		code codes.Code
	}{
		{"no id", &csi.ControllerExpandVolumeRequest{CapacityRange: &csi.CapacityRange{RequiredBytes: mib}}, codes.InvalidArgument},
		{"no range", &csi.ControllerExpandVolumeRequest{VolumeId: id}, codes.InvalidArgument},
		{"unknown", &csi.ControllerExpandVolumeRequest{VolumeId: volumeID("nobody"),
			CapacityRange: &csi.CapacityRange{RequiredBytes: 64 * mib}}, codes.NotFound},
		{"not an id", &csi.ControllerExpandVolumeRequest{VolumeId: "../../etc/passwd",
			CapacityRange: &csi.CapacityRange{RequiredBytes: 64 * mib}}, codes.NotFound},
		{"limit below the size", &csi.ControllerExpandVolumeRequest{VolumeId: id,
			CapacityRange: &csi.CapacityRange{RequiredBytes: 20 * mib, LimitBytes: 30 * mib}}, codes.OutOfRange},
		{"more than the disk", &csi.ControllerExpandVolumeRequest{VolumeId: id,
			CapacityRange: &csi.CapacityRange{RequiredBytes: 1 << 60}}, codes.ResourceExhausted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.ControllerExpandVolume(ctx, tc.req)
			wantCode(t, err, tc.code)
		})
	}
}

// The growth the node does at publish, on an image file: no mount needed, so no root.
func TestGrowOfflineKeepsTheData(t *testing.T) {
	d := newTestDriver(t)
	needTools(t, "debugfs", "e2fsck", "resize2fs")
	id := create(t, d, "pvc-1", 16*mib).GetVolumeId()
	image := d.imagePath(id)
	note := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(note, []byte("kept\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run("debugfs", "-w", "-R", "write "+note+" note.txt", image); err != nil {
		t.Fatal(err)
	}

	if grew, err := growOffline(image); err != nil || grew {
		t.Fatalf("growOffline of a volume as large as its image: grew %t, %v", grew, err)
	}
	expand(t, d, id, 48*mib)
	if grew, err := growOffline(image); err != nil || !grew {
		t.Fatalf("growOffline after the image grew: grew %t, %v", grew, err)
	}
	if got := fsSize(t, image); got != 48*mib {
		t.Errorf("file system is %d bytes after growing, want 48 MiB", got)
	}
	out, err := exec.Command("debugfs", "-R", "cat /note.txt", image).Output()
	if err != nil || string(out) != "kept\n" {
		t.Errorf("note.txt after growing: %q, %v", out, err)
	}
	if err := run("e2fsck", "-f", "-n", image); err != nil {
		t.Errorf("the grown file system is not clean: %v", err)
	}
}

func TestExt4SizeRefusesOtherFiles(t *testing.T) {
	zeros := filepath.Join(t.TempDir(), "zeros")
	if err := os.WriteFile(zeros, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ext4Size(zeros); err == nil {
		t.Error("ext4Size of zeros: want an error")
	}
}

func TestValidateVolumeCapabilities(t *testing.T) {
	d := newTestDriver(t)
	id := create(t, d, "pvc-1", 0).GetVolumeId()
	resp, err := d.ValidateVolumeCapabilities(ctx, &csi.ValidateVolumeCapabilitiesRequest{
		VolumeId: id, VolumeCapabilities: []*csi.VolumeCapability{rwo}})
	if err != nil || resp.GetConfirmed() == nil {
		t.Errorf("ReadWriteOnce: %v, %v; want confirmed", resp, err)
	}
	resp, err = d.ValidateVolumeCapabilities(ctx, &csi.ValidateVolumeCapabilitiesRequest{VolumeId: id,
		VolumeCapabilities: []*csi.VolumeCapability{capability(csi.VolumeCapability_AccessMode_MULTI_NODE_READER_ONLY)}})
	if err != nil || resp.GetConfirmed() != nil || resp.GetMessage() == "" {
		t.Errorf("ReadOnlyMany: %v, %v; want not confirmed, with a reason", resp, err)
	}
	_, err = d.ValidateVolumeCapabilities(ctx, &csi.ValidateVolumeCapabilitiesRequest{
		VolumeId: volumeID("nobody"), VolumeCapabilities: []*csi.VolumeCapability{rwo}})
	wantCode(t, err, codes.NotFound)
}

func TestGetCapacity(t *testing.T) {
	d := newTestDriver(t)
	resp, err := d.GetCapacity(ctx, &csi.GetCapacityRequest{AccessibleTopology: d.topology()[0]})
	if err != nil || resp.GetAvailableCapacity() <= 0 || resp.GetMinimumVolumeSize().GetValue() != minSize {
		t.Errorf("this node: %v, %v", resp, err)
	}
	resp, err = d.GetCapacity(ctx, &csi.GetCapacityRequest{
		AccessibleTopology: &csi.Topology{Segments: map[string]string{topologyKey: "node-b"}}})
	if err != nil || resp.GetAvailableCapacity() != 0 {
		t.Errorf("another node: %v, %v; want nothing", resp, err)
	}
}

func TestCapabilities(t *testing.T) {
	d := &driver{nodeID: "node-a"}
	plugin, err := d.GetPluginCapabilities(ctx, &csi.GetPluginCapabilitiesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	services, expansion := map[csi.PluginCapability_Service_Type]bool{}, csi.PluginCapability_VolumeExpansion_UNKNOWN
	for _, c := range plugin.GetCapabilities() {
		if s := c.GetService(); s != nil {
			services[s.GetType()] = true
		}
		if e := c.GetVolumeExpansion(); e != nil {
			expansion = e.GetType()
		}
	}
	if !services[csi.PluginCapability_Service_CONTROLLER_SERVICE] ||
		!services[csi.PluginCapability_Service_VOLUME_ACCESSIBILITY_CONSTRAINTS] ||
		expansion != csi.PluginCapability_VolumeExpansion_OFFLINE {
		t.Errorf("plugin capabilities: %v", plugin)
	}

	controller, _ := d.ControllerGetCapabilities(ctx, &csi.ControllerGetCapabilitiesRequest{})
	var rpcs []csi.ControllerServiceCapability_RPC_Type
	for _, c := range controller.GetCapabilities() {
		rpcs = append(rpcs, c.GetRpc().GetType())
	}
	if len(rpcs) != 3 || rpcs[0] != csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME ||
		rpcs[1] != csi.ControllerServiceCapability_RPC_EXPAND_VOLUME {
		t.Errorf("controller capabilities: %v", rpcs)
	}

	node, _ := d.NodeGetCapabilities(ctx, &csi.NodeGetCapabilitiesRequest{})
	var nodeRPCs []csi.NodeServiceCapability_RPC_Type
	for _, c := range node.GetCapabilities() {
		nodeRPCs = append(nodeRPCs, c.GetRpc().GetType())
	}
	// No STAGE_UNSTAGE_VOLUME: see node.go.
	if len(nodeRPCs) != 2 || nodeRPCs[0] != csi.NodeServiceCapability_RPC_EXPAND_VOLUME {
		t.Errorf("node capabilities: %v", nodeRPCs)
	}

	info, _ := d.NodeGetInfo(ctx, &csi.NodeGetInfoRequest{})
	if info.GetNodeId() != "node-a" || info.GetAccessibleTopology().GetSegments()[topologyKey] != "node-a" {
		t.Errorf("node info: %v", info)
	}
}
