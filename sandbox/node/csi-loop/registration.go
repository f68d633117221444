package main

import (
	"context"
	"log"

	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// registrar answers the kubelet's plugin watcher. The kubelet finds the socket in its
// plugins_registry directory, asks GetInfo, checks the CSI versions, dials the endpoint itself
// (NodeGetInfo: the node id and topology go into the CSINode object and the node's labels) and
// reports the outcome with NotifyRegistrationStatus.
type registrar struct {
	registerapi.UnimplementedRegistrationServer
	endpoint string // the CSI socket, a path as the kubelet sees it (it runs in our mount namespace)
}

func (r registrar) GetInfo(context.Context, *registerapi.InfoRequest) (*registerapi.PluginInfo, error) {
	return &registerapi.PluginInfo{
		Type:              registerapi.CSIPlugin,
		Name:              driverName,
		Endpoint:          r.endpoint,
		SupportedVersions: []string{"1.0.0"},
	}, nil
}

func (r registrar) NotifyRegistrationStatus(_ context.Context, s *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	if s.GetPluginRegistered() {
		log.Printf("registered with the kubelet")
	} else {
		// Nothing to retry here: the kubelet tries again when the socket reappears.
		log.Printf("the kubelet refused the registration: %s", s.GetError())
	}
	return &registerapi.RegistrationStatusResponse{}, nil
}
