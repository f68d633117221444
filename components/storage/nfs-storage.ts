import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { podSecurityLabels } from "../security/namespace";
import { RESOURCE_PRESETS } from "../shared/resources";
import { StaticStorage, StaticStorageArgs, VolumeRequest } from "./storage-backend";

export interface NfsStorageArgs extends StaticStorageArgs {
    server: string;
    /** Exported directory; each volume lives at <path>/<prefix>/<lab>/<volume>. */
    path: string;
    /** Image of the Job that creates the volume's export subdirectory. */
    helperImage: string;
}

/**
 * Static `nfs:` PVs, one export subdirectory per volume, made by a root Job in a namespace of
 * the stack's own: the Job mounts the whole export, so it must not run where a student may
 * exec into pods (their lab namespaces).
 */
export class NfsStorage extends StaticStorage {
    readonly mode = "nfs" as const;
    protected readonly root: string;
    /** Where the mkdir Jobs run: baseline (root with one capability), no student rights, no traffic. */
    readonly namespace: k8s.core.v1.Namespace;

    constructor(name: string, private readonly args: NfsStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:storage:Nfs", name, "labs-nfs", args, opts);
        this.root = args.path;
        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: args.naming.storageNamespace(), labels: { ...args.labels, ...podSecurityLabels("baseline") } } },
            { parent: this },
        );
        // Its Jobs need no network (the kubelet mounts the export, not the pod).
        new k8s.networking.v1.NetworkPolicy(
            `${name}-isolation`,
            {
                metadata: { name: "no-traffic", namespace: this.namespace.metadata.name, labels: args.labels },
                spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
            },
            { parent: this },
        );
        this.registerOutputs({ storageClassName: this.storageClassName, server: args.server, path: args.path, namespace: this.namespace.metadata.name });
    }

    protected source(dir: string): Pick<k8s.types.input.core.v1.PersistentVolumeSpec, "nfs"> {
        return { nfs: { server: this.args.server, path: dir } };
    }

    protected prepare(name: string, req: VolumeRequest, dir: string): pulumi.Resource[] {
        const { naming, server } = this.args;
        const relative = path.posix.relative(this.args.path, dir);
        // Its own app labels: the pod must not match the selector of the workload it serves.
        const jobLabels = naming.appLabels(req.lab, { name: "nfs-mkdir", component: "storage" });
        // An NFS mount of a missing subdirectory fails, and nothing on the node creates it
        // (unlike hostPath's DirectoryOrCreate). A Job mounts the export root and makes it,
        // mode 0700: the workload's volume-permissions init container then hands it to the
        // database user (or, where root_squash refuses chown, opens it as it must).
        const mkdir = new k8s.batch.v1.Job(
            `${name}-mkdir`,
            {
                metadata: { name: `mkdir-${req.volumeName}`.slice(0, 63).replace(/-+$/, ""), namespace: this.namespace.metadata.name, labels: jobLabels },
                spec: {
                    backoffLimit: 6,
                    template: {
                        metadata: { labels: jobLabels },
                        spec: {
                            restartPolicy: "OnFailure",
                            automountServiceAccountToken: false,
                            // Root, said so: mkdir under an export root it may not own.
                            securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: "mkdir",
                                    image: this.args.helperImage,
                                    command: ["sh", "-c", 'mkdir -p -m 0700 "/export/$DIR" && ls -ld "/export/$DIR"'],
                                    env: [{ name: "DIR", value: relative }],
                                    resources: RESOURCE_PRESETS.nano,
                                    // Only what mkdir uses: DAC_OVERRIDE to create under a root owned by another
                                    // user (no_root_squash exports). An existing directory is left as it is. It
                                    // writes only to the export: the image's file system stays read-only.
                                    securityContext: {
                                        allowPrivilegeEscalation: false,
                                        readOnlyRootFilesystem: true,
                                        capabilities: { drop: ["ALL"], add: ["DAC_OVERRIDE"] },
                                    },
                                    volumeMounts: [{ name: "export", mountPath: "/export" }],
                                },
                            ],
                            volumes: [{ name: "export", nfs: { server, path: this.args.path } }],
                        },
                    },
                },
            },
            { parent: this },
        );
        return [mkdir];
    }
}
