package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// inNamespace marks the test process that runs in a mount namespace of its own.
const inNamespace = "STATE_LABS_CSI_LOOP_TEST_NS"

// TestMain runs the tests, as root, in a mount namespace of their own, as the driver runs in
// the node's: whatever a failing test leaves mounted goes with the namespace, and its loop
// devices with it (they clear themselves once their file system is unmounted). The tests clean
// up after themselves too (cleanUp); this is the backstop.
func TestMain(m *testing.M) {
	if os.Geteuid() == 0 && os.Getenv(inNamespace) == "" {
		if err := exec.Command("unshare", "--mount", "--propagation", "private", "true").Run(); err == nil {
			cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "--", os.Args[0]}, os.Args[1:]...)...)
			cmd.Env = append(os.Environ(), inNamespace+"=1")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			err := cmd.Run()
			var exit *exec.ExitError
			switch {
			case err == nil:
				os.Exit(0)
			case errors.As(err, &exit):
				os.Exit(exit.ExitCode())
			default:
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	os.Exit(m.Run())
}

// As root, the backstop above must be in place: this process runs in a mount namespace that
// its parent, the first test process, does not share.
func TestRootRunsInItsOwnMountNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root mounts")
	}
	if os.Getenv(inNamespace) == "" {
		t.Skip("unshare cannot make a mount namespace here: the tests' own cleanup is all there is")
	}
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	parent, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", os.Getppid()))
	if err != nil {
		t.Fatal(err)
	}
	if self == parent {
		t.Errorf("the tests run in their parent's mount namespace, %s", self)
	}
}

var ctx = context.Background()

func newTestDriver(t *testing.T) *driver {
	t.Helper()
	needTools(t, "mkfs.ext4")
	d, err := newDriver(t.TempDir(), "node-a")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian: e2fsprogs, mount)", tool)
		}
	}
}

func capability(mode csi.VolumeCapability_AccessMode_Mode) *csi.VolumeCapability {
	return &csi.VolumeCapability{
		AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: mode},
	}
}

var rwo = capability(csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER)

func create(t *testing.T, d *driver, name string, required int64) *csi.Volume {
	t.Helper()
	resp, err := d.CreateVolume(ctx, &csi.CreateVolumeRequest{
		Name:               name,
		CapacityRange:      &csi.CapacityRange{RequiredBytes: required},
		VolumeCapabilities: []*csi.VolumeCapability{rwo},
	})
	if err != nil {
		t.Fatalf("CreateVolume %s: %v", name, err)
	}
	return resp.GetVolume()
}

func expand(t *testing.T, d *driver, id string, required int64) *csi.ControllerExpandVolumeResponse {
	t.Helper()
	resp, err := d.ControllerExpandVolume(ctx, &csi.ControllerExpandVolumeRequest{
		VolumeId: id, CapacityRange: &csi.CapacityRange{RequiredBytes: required},
	})
	if err != nil {
		t.Fatalf("ControllerExpandVolume %s to %d: %v", id, required, err)
	}
	return resp
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("got %v, want code %s", err, code)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func fsSize(t *testing.T, image string) int64 {
	t.Helper()
	size, _, err := ext4Size(image)
	if err != nil {
		t.Fatal(err)
	}
	return size
}
