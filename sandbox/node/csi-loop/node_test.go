package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
)

// The refusals need no mount, so no root.
func TestNodeRefuses(t *testing.T) {
	d := newTestDriver(t)
	target := filepath.Join(t.TempDir(), "mount")
	block := &csi.VolumeCapability{
		AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}},
		AccessMode: rwo.GetAccessMode(),
	}
	id := create(t, d, "pvc-1", 0).GetVolumeId()

	_, err := d.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{TargetPath: target, VolumeCapability: rwo})
	wantCode(t, err, codes.InvalidArgument)
	_, err = d.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: id, TargetPath: target, VolumeCapability: block})
	wantCode(t, err, codes.InvalidArgument)
	_, err = d.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: volumeID("nobody"), TargetPath: target, VolumeCapability: rwo})
	wantCode(t, err, codes.NotFound)
	_, err = d.NodeExpandVolume(ctx, &csi.NodeExpandVolumeRequest{VolumeId: id, VolumePath: target})
	wantCode(t, err, codes.NotFound) // not published there
	_, err = d.NodeGetVolumeStats(ctx, &csi.NodeGetVolumeStatsRequest{VolumeId: id, VolumePath: target})
	wantCode(t, err, codes.NotFound)
	if _, err := d.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: id, TargetPath: target}); err != nil {
		t.Errorf("unpublishing what was never published: %v", err)
	}
}

// needLoop skips unless loop mounts can be made: root, loop devices and the tools.
func needLoop(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts and loop devices")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("no loop devices here (/dev/loop-control)")
	}
	needTools(t, "mkfs.ext4", "e2fsck", "resize2fs", "mount", "losetup")
}

// The course's growth exercise, as the kubelet and the sidecars call the driver: a pod mounts
// the claim and writes; a second pod of the node mounts it read-only; the claim is grown while
// in use (the file system cannot follow: FAILED_PRECONDITION); both pods go; the pod comes back
// and finds the larger file system with its data.
func TestPublishGrowAndPublishAgain(t *testing.T) {
	needLoop(t)
	d := newTestDriver(t)
	pods := t.TempDir()
	t.Cleanup(func() { cleanUp(t, d.stateDir, pods) }) // after the temp dirs: runs before their removal
	id := create(t, d, "pvc-1", 32*mib).GetVolumeId()
	image := d.imagePath(id)
	targetA, targetB := filepath.Join(pods, "a", "mount"), filepath.Join(pods, "b", "mount")
	for _, dir := range []string{filepath.Dir(targetA), filepath.Dir(targetB)} {
		if err := os.MkdirAll(dir, 0o750); err != nil { // the kubelet makes the parents
			t.Fatal(err)
		}
	}

	publish(t, d, id, targetA, false)
	publish(t, d, id, targetA, false) // again: nothing changes
	if n := mountsAt(t, targetA); n != 1 {
		t.Fatalf("%d mounts at the target after two publishes, want 1", n)
	}
	before := fsTotal(t, targetA)
	note := filepath.Join(targetA, "note.txt")
	if err := os.WriteFile(note, []byte("kept\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	publish(t, d, id, targetB, true)
	if got, err := os.ReadFile(filepath.Join(targetB, "note.txt")); err != nil || string(got) != "kept\n" {
		t.Errorf("the read-only pod reads %q, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(targetB, "x"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
		t.Errorf("writing through the read-only publish: %v, want EROFS", err)
	}
	if n := loopsOf(t, image); n != 1 {
		t.Errorf("%d loop devices on the image with two publishes, want 1 (one mount, bound twice)", n)
	}
	other := create(t, d, "pvc-2", 0).GetVolumeId()
	_, err := d.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: other, TargetPath: targetA, VolumeCapability: rwo})
	wantCode(t, err, codes.AlreadyExists)

	// Grown while in use: the image grows, the mounted file system cannot.
	expand(t, d, id, 64*mib)
	_, err = d.NodeExpandVolume(ctx, &csi.NodeExpandVolumeRequest{VolumeId: id, VolumePath: targetA})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = d.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: id})
	wantCode(t, err, codes.FailedPrecondition)

	unpublish(t, d, id, targetA)
	if got, err := os.ReadFile(filepath.Join(targetB, "note.txt")); err != nil || string(got) != "kept\n" {
		t.Errorf("after the first pod went, the second reads %q, %v", got, err)
	}
	publish(t, d, id, targetA, false) // back while the other pod still has it: the same mount
	if n := loopsOf(t, image); n != 1 {
		t.Errorf("%d loop devices on the image, want 1", n)
	}
	unpublish(t, d, id, targetA)
	unpublish(t, d, id, targetB)
	for _, dir := range []string{targetA, targetB, d.mountDir(id)} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s is still there after the last unpublish: %v", dir, err)
		}
	}
	waitNoLoops(t, d.stateDir)

	// The pod restarts: the file system grows before it is mounted.
	publish(t, d, id, targetA, false)
	after := fsTotal(t, targetA)
	if after-before < 30*mib {
		t.Errorf("file system grew from %d to %d bytes, want about 32 MiB more", before, after)
	}
	if got, err := os.ReadFile(note); err != nil || string(got) != "kept\n" {
		t.Errorf("after growing, note.txt reads %q, %v", got, err)
	}
	resp, err := d.NodeExpandVolume(ctx, &csi.NodeExpandVolumeRequest{VolumeId: id, VolumePath: targetA})
	if err != nil || resp.GetCapacityBytes() != 64*mib {
		t.Errorf("NodeExpandVolume after the publish: %v, %v; want OK and 64 MiB", resp, err)
	}
	stats, err := d.NodeGetVolumeStats(ctx, &csi.NodeGetVolumeStatsRequest{VolumeId: id, VolumePath: targetA})
	if err != nil || stats.GetUsage()[0].GetTotal() != after {
		t.Errorf("NodeGetVolumeStats: %v, %v; want %d bytes in all", stats, err, after)
	}

	unpublish(t, d, id, targetA)
	unpublish(t, d, id, targetA) // again: nothing to do
	waitNoLoops(t, d.stateDir)
	for _, v := range []string{id, other} {
		if _, err := d.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: v}); err != nil {
			t.Errorf("DeleteVolume %s: %v", v, err)
		}
	}
	if n := mountsUnder(t, d.stateDir, pods); n != 0 {
		t.Errorf("%d mounts left", n)
	}
}

func publish(t *testing.T, d *driver, id, target string, readOnly bool) {
	t.Helper()
	if _, err := d.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{
		VolumeId: id, TargetPath: target, VolumeCapability: rwo, Readonly: readOnly,
	}); err != nil {
		t.Fatalf("NodePublishVolume at %s: %v", target, err)
	}
}

func unpublish(t *testing.T, d *driver, id, target string) {
	t.Helper()
	if _, err := d.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: id, TargetPath: target}); err != nil {
		t.Fatalf("NodeUnpublishVolume at %s: %v", target, err)
	}
}

// fsTotal is the file system's size as df shows it (without ext4's own metadata).
func fsTotal(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks) * st.Bsize
}

func mountsAt(t *testing.T, path string) int {
	t.Helper()
	ms, err := mounts()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.point == path {
			n++
		}
	}
	return n
}

func mountsUnder(t *testing.T, dirs ...string) int {
	t.Helper()
	ms, err := mounts()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if under(m.point, dirs) {
			n++
		}
	}
	return n
}

func under(path string, dirs []string) bool {
	for _, dir := range dirs {
		if path == dir || strings.HasPrefix(path, dir+"/") {
			return true
		}
	}
	return false
}

// loops lists the loop devices whose backing file is under one of dirs (sysfs names the file,
// with " (deleted)" once it is removed).
func loops(dirs ...string) []string {
	files, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	var devs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // detached meanwhile
		}
		if under(strings.TrimSuffix(strings.TrimSpace(string(b)), " (deleted)"), dirs) {
			devs = append(devs, "/dev/"+filepath.Base(filepath.Dir(filepath.Dir(f))))
		}
	}
	return devs
}

func loopsOf(t *testing.T, image string) int {
	t.Helper()
	return len(loops(image))
}

// waitNoLoops waits for the kernel to clear the loop devices of unmounted file systems.
func waitNoLoops(t *testing.T, dirs ...string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if len(loops(dirs...)) == 0 {
			return
		}
	}
	t.Errorf("loop devices still attached: %v", loops(dirs...))
}

// cleanUp removes what a failing test left: mounts under its directories, deepest first, and
// loop devices backed by its images. A passing test leaves neither, and checks it.
func cleanUp(t *testing.T, dirs ...string) {
	ms, err := mounts()
	if err != nil {
		t.Error(err)
		return
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if under(ms[i].point, dirs) {
			t.Logf("cleanup: unmounting %s", ms[i].point)
			if err := syscall.Unmount(ms[i].point, syscall.MNT_DETACH); err != nil {
				t.Errorf("cleanup: unmounting %s: %v", ms[i].point, err)
			}
		}
	}
	time.Sleep(100 * time.Millisecond) // a lazy unmount releases the loop device a little later
	for _, dev := range loops(dirs...) {
		t.Logf("cleanup: detaching %s", dev)
		if err := run("losetup", "-d", dev); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}
