package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// The wiring, over real sockets: the CSI services as the sidecars see them, and the
// registration as the kubelet's plugin watcher sees it.
func TestServesOnSockets(t *testing.T) {
	dir := t.TempDir()
	d, err := newDriver(filepath.Join(dir, "state"), "node-a")
	if err != nil {
		t.Fatal(err)
	}
	csiSock := filepath.Join(dir, "plugins", driverName, "csi.sock")
	regSock := filepath.Join(dir, "plugins_registry", driverName+"-reg.sock")
	stop, errs, err := serve(d, csiSock, regSock)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})

	conn, regConn := dial(t, csiSock), dial(t, regSock)
	info, err := csi.NewIdentityClient(conn).GetPluginInfo(ctx, &csi.GetPluginInfoRequest{})
	if err != nil || info.GetName() != driverName {
		t.Errorf("GetPluginInfo: %v, %v", info, err)
	}
	node, err := csi.NewNodeClient(conn).NodeGetInfo(ctx, &csi.NodeGetInfoRequest{})
	if err != nil || node.GetNodeId() != "node-a" {
		t.Errorf("NodeGetInfo: %v, %v", node, err)
	}
	_, err = csi.NewControllerClient(conn).CreateVolume(ctx, &csi.CreateVolumeRequest{})
	wantCode(t, err, codes.InvalidArgument)

	reg := registerapi.NewRegistrationClient(regConn)
	pi, err := reg.GetInfo(ctx, &registerapi.InfoRequest{})
	if err != nil || pi.GetType() != registerapi.CSIPlugin || pi.GetName() != driverName ||
		pi.GetEndpoint() != csiSock || !slices.Equal(pi.GetSupportedVersions(), []string{"1.0.0"}) {
		t.Errorf("GetInfo: %v, %v", pi, err)
	}
	if _, err := reg.NotifyRegistrationStatus(ctx, &registerapi.RegistrationStatus{PluginRegistered: true}); err != nil {
		t.Errorf("NotifyRegistrationStatus: %v", err)
	}

	conn.Close()
	regConn.Close()
	stop()
	stopped = true
	for _, sock := range []string{csiSock, regSock} {
		if _, err := os.Stat(sock); !os.IsNotExist(err) {
			t.Errorf("%s is still there after stop (the kubelet would not see the driver go): %v", sock, err)
		}
	}
	select {
	case err := <-errs:
		t.Errorf("serving: %v", err)
	default:
	}
}

func dial(t *testing.T, sock string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
