import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceRef } from "../security/namespace";
import { Credentials, syncCredentialsContainer } from "../security/credentials";
import { AppIdentity, LabId, StackNaming, serviceHost } from "../shared/naming";
import { RESOURCE_PRESETS, kubeScoreIgnore, restrictedContainer } from "../shared/resources";
import { inlineScript } from "../shared/scripts";
import { clientService } from "./services";
import { StorageBackend } from "../storage/storage-backend";
import { statefulDatabase } from "./stateful-database";

export const GRAFANA_PORT = 3000;
/** uid of the grafana user in the official image. */
const GRAFANA_UID = 472;
const DATA_DIR = "/var/lib/grafana";

export interface GrafanaArgs {
    lab: LabId;
    naming: StackNaming;
    app: AppIdentity;
    namespace: NamespaceRef;
    name: string;
    headlessServiceName: string;
    image: string;
    volumePermissionsImage: string;
    template: string;
    size: string;
    /** Holds the generated admin password under `passwordKey`. */
    credentials: Credentials;
    passwordKey: string;
    backend: StorageBackend;
    keepDataOnDestroy: boolean;
}

// What its `sync-credentials` init container runs (said there).
export const SYNC_ADMIN_PASSWORD = inlineScript(__dirname, "grafana", "sync-admin-password.sh");

/** Grafana as a one-replica StatefulSet whose dashboards and settings live on a claim. */
export class Grafana extends pulumi.ComponentResource {
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly service: k8s.core.v1.Service;
    readonly host: pulumi.Output<string>;
    readonly port = GRAFANA_PORT;

    constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:app:Grafana", name, {}, opts);
        const labels = args.naming.appLabels(args.lab, args.app);
        const selector = args.naming.selectorLabels(args.lab, args.app);
        const ns = args.namespace.name;
        const ports = [{ name: "http", port: GRAFANA_PORT, targetPort: "http" }];
        this.service = clientService(name, { serviceName: args.name, namespace: ns, labels, selector, ports }, this);
        const health: k8s.types.input.core.v1.HTTPGetAction = { path: "/api/health", port: "http" };
        const env = [
            { name: "GF_PATHS_DATA", value: DATA_DIR },
            { name: "GF_SECURITY_ADMIN_USER", value: "admin" },
            args.credentials.env("GF_SECURITY_ADMIN_PASSWORD", args.passwordKey),
        ];
        const mounts = [{ name: args.template, mountPath: DATA_DIR }];
        this.statefulSet = statefulDatabase(
            name,
            {
                ...args, labels, selector, ports, replicas: 1, uid: GRAFANA_UID, dataMount: DATA_DIR,
                // /api/health is the one health endpoint Grafana has: readiness and liveness ask it at their own rates
                annotations: kubeScoreIgnore("pod-probes-identical"),
                storage: { kind: "claimTemplate", template: args.template, size: args.size }, podAnnotations: args.credentials.podAnnotations,
                pod: () => ({
                    initContainers: [syncCredentialsContainer({ image: args.image, script: SYNC_ADMIN_PASSWORD, env, volumeMounts: mounts })],
                    containers: [
                        {
                            name: "grafana",
                            image: args.image,
                            ports: [{ name: "http", containerPort: GRAFANA_PORT }],
                            env,
                            // database migrations on an upgrade run before it serves: 10 minutes for them
                            startupProbe: { httpGet: health, periodSeconds: 10, failureThreshold: 60 },
                            readinessProbe: { httpGet: health, periodSeconds: 10, failureThreshold: 6 },
                            livenessProbe: { httpGet: health, periodSeconds: 20, failureThreshold: 6 },
                            resources: RESOURCE_PRESETS.small,
                            securityContext: restrictedContainer(),
                            volumeMounts: mounts,
                        },
                    ],
                }),
            },
            this,
        ).statefulSet;
        this.host = pulumi.all([this.service.metadata.name, ns]).apply(([s, n]) => serviceHost(s, n));
        this.registerOutputs({ statefulSet: this.statefulSet.metadata.name });
    }
}
