import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceRef } from "../security/namespace";
import { Credentials } from "../security/credentials";
import { AppIdentity, LabId, StackNaming, serviceHost } from "../shared/naming";
import { RESOURCE_PRESETS, kubeScoreIgnore } from "../shared/resources";
import { clientService } from "./services";

export interface WebAppArgs {
    lab: LabId;
    naming: StackNaming;
    app: AppIdentity;
    namespace: NamespaceRef;
    /** Deployment and Service name. */
    name: string;
    image: string;
    port: number;
    /** How the kubelet tells the app is up: an HTTP path, or a TCP connect where the app has no known path. */
    probe: { httpGet: string } | { tcp: true };
    env: k8s.types.input.core.v1.EnvVar[];
    /** The Secrets `env` reads (through their `env`, so the app waits for them): it restarts when they are rotated. */
    credentials?: Credentials[];
    replicas?: number;
    /** Course-built images may run as root; set only where the image is known to run as this uid. */
    runAsUser?: number;
    initContainers?: k8s.types.input.core.v1.Container[];
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A stateless app: a Deployment and the ClusterIP Service in front of it. */
export class WebApp extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly host: pulumi.Output<string>;
    readonly port: number;

    constructor(name: string, args: WebAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:app:WebApp", name, {}, opts);
        const labels = args.naming.appLabels(args.lab, args.app);
        const selector = args.naming.selectorLabels(args.lab, args.app);
        const probe: k8s.types.input.core.v1.Probe =
            "httpGet" in args.probe ? { httpGet: { path: args.probe.httpGet, port: "http" } } : { tcpSocket: { port: "http" } };
        const credentials = args.credentials ?? [];
        const nonRoot = args.runAsUser !== undefined ? { runAsNonRoot: true, runAsUser: args.runAsUser, runAsGroup: args.runAsUser } : {};
        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                // The apps' health paths are the students' own: readiness and liveness ask the same
                // (HTTP path or TCP connect) at their own rates.
                metadata: { name: args.name, namespace: args.namespace.forPods, labels, annotations: kubeScoreIgnore("pod-probes-identical") },
                spec: {
                    replicas: args.replicas ?? 1,
                    selector: { matchLabels: selector },
                    template: {
                        metadata: { labels, annotations: Credentials.podAnnotations(...credentials) },
                        spec: {
                            enableServiceLinks: false,
                            // the labs' apps talk to their database, never to the Kubernetes API
                            automountServiceAccountToken: false,
                            securityContext: { seccompProfile: { type: "RuntimeDefault" }, ...nonRoot },
                            initContainers: args.initContainers ?? [],
                            containers: [
                                {
                                    name: args.name,
                                    image: args.image,
                                    ports: [{ name: "http", containerPort: args.port }],
                                    env: args.env,
                                    readinessProbe: { ...probe, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 6 },
                                    livenessProbe: { ...probe, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 6 },
                                    resources: RESOURCE_PRESETS.micro,
                                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.service = clientService(name, { serviceName: args.name, namespace: args.namespace.name, labels, selector, ports: [{ name: "http", port: args.port, targetPort: "http" }] }, this);
        this.port = args.port;
        this.host = pulumi.all([this.service.metadata.name, args.namespace.name]).apply(([s, ns]) => serviceHost(s, ns));
        this.registerOutputs({ deployment: this.deployment.metadata.name, service: this.service.metadata.name });
    }
}
