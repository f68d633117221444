// Command state-labs-csi-loop is the local node's CSI driver: dynamic provisioning, and claims
// that grow. A volume is a sparse image file in the state directory holding an ext4 file
// system, mounted through a loop device. It serves the CSI Identity, Controller and Node
// services on one unix socket (the external-provisioner and external-resizer sidecars and the
// kubelet all dial it), and registers itself with the kubelet through a second socket in the
// kubelet's plugins_registry directory, which is the job node-driver-registrar does for other
// drivers (the Go module proxy serves no build of it).
//
// ext4 grows offline only on this machine kind (even root lacks CAP_SYS_RESOURCE, which online
// growth needs): the controller grows the image file, and the file system follows at the next
// publish, that is when the pod using the claim restarts. See NodeExpandVolume.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// driverName is the provisioner of a StorageClass and the name of the CSIDriver object.
const driverName = "loop.csi.state-labs.io"

// version is set at build time (sandbox/node/toolchain.sh: the hash of the sources).
var version = "dev"

func main() {
	endpoint := flag.String("csi-endpoint", "/var/lib/kubelet/plugins/"+driverName+"/csi.sock",
		"unix socket of the CSI services (a path, or unix:// and a path)")
	registrationDir := flag.String("registration-dir", "/var/lib/kubelet/plugins_registry",
		"the kubelet's plugin registration directory")
	register := flag.Bool("kubelet-registration", true,
		"register with the kubelet through a socket in --registration-dir")
	stateDir := flag.String("state-dir", "/var/lib/state-labs-csi-loop",
		"where the volumes' image files live and their file systems are mounted")
	nodeID := flag.String("node-id", "", "this node's id, also its topology value (default: the host name)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(driverName, version)
		return
	}
	if *nodeID == "" {
		host, err := os.Hostname()
		if err != nil {
			log.Fatalf("no --node-id and no host name: %v", err)
		}
		*nodeID = host
	}
	d, err := newDriver(*stateDir, *nodeID)
	if err != nil {
		log.Fatal(err)
	}
	csiSock := strings.TrimPrefix(*endpoint, "unix://")
	regSock := ""
	if *register {
		regSock = filepath.Join(*registrationDir, driverName+"-reg.sock")
	}
	stop, errs, err := serve(d, csiSock, regSock)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%s %s serving on %s (node %s, state in %s)", driverName, version, csiSock, d.nodeID, d.stateDir)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	select {
	case sig := <-signals:
		log.Printf("stopping on %s", sig)
		stop()
	case err := <-errs:
		stop()
		log.Fatal(err)
	}
}

// serve listens on the CSI socket and, unless regSock is empty, on the kubelet's registration
// socket, and serves both until stop is called; stop also removes the sockets, which is how
// the kubelet learns the driver is gone. The CSI socket comes first: the kubelet dials it as
// soon as it has read the registration.
func serve(d *driver, csiSock, regSock string) (stop func(), errs <-chan error, err error) {
	failed := make(chan error, 2)
	var servers []*grpc.Server
	stop = func() {
		for _, s := range servers {
			hard := time.AfterFunc(5*time.Second, s.Stop) // a client that keeps its connection open
			s.GracefulStop()
			hard.Stop()
		}
	}
	start := func(sock string, s *grpc.Server) error {
		l, err := listenUnix(sock)
		if err != nil {
			return err
		}
		servers = append(servers, s)
		go func() {
			if err := s.Serve(l); err != nil {
				failed <- fmt.Errorf("serving on %s: %w", sock, err)
			}
		}()
		return nil
	}

	csiServer := grpc.NewServer(grpc.UnaryInterceptor(logCalls))
	csi.RegisterIdentityServer(csiServer, d)
	csi.RegisterControllerServer(csiServer, d)
	csi.RegisterNodeServer(csiServer, d)
	if err := start(csiSock, csiServer); err != nil {
		return nil, nil, err
	}
	if regSock != "" {
		regServer := grpc.NewServer()
		registerapi.RegisterRegistrationServer(regServer, registrar{endpoint: csiSock})
		if err := start(regSock, regServer); err != nil {
			stop()
			return nil, nil, err
		}
	}
	return stop, failed, nil
}

// listenUnix listens on a unix socket, replacing the one a killed instance may have left (it
// would make the listen fail). Go removes the socket file when the listener closes.
func listenUnix(sock string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(sock), 0o750); err != nil {
		return nil, err
	}
	if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return net.Listen("unix", sock)
}

// quiet are the calls logged only when they fail: the sidecars and the kubelet ask them often.
var quiet = map[string]bool{
	"Probe": true, "GetPluginInfo": true, "GetPluginCapabilities": true,
	"ControllerGetCapabilities": true, "GetCapacity": true, "ValidateVolumeCapabilities": true,
	"NodeGetCapabilities": true, "NodeGetInfo": true, "NodeGetVolumeStats": true,
}

// logCalls logs each call that changes something and each failure, with its gRPC code: the
// node's log is where a stuck claim is explained.
func logCalls(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	method := path.Base(info.FullMethod)
	if err == nil && quiet[method] {
		return resp, err
	}
	subject := ""
	switch r := req.(type) {
	case interface{ GetVolumeId() string }:
		subject = r.GetVolumeId()
	case interface{ GetName() string }:
		subject = r.GetName()
	}
	if subject != "" {
		method += " " + subject
	}
	took := time.Since(start).Round(time.Millisecond)
	if st := status.Convert(err); err != nil {
		log.Printf("%s: %s: %s (%v)", method, st.Code(), st.Message(), took)
	} else {
		log.Printf("%s: OK (%v)", method, took)
	}
	return resp, err
}
