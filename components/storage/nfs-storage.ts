import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { RESOURCE_PRESETS } from "../shared/resources";
import { StaticStorage, StaticStorageArgs, VolumeRequest } from "./storage-backend";

export interface NfsStorageArgs extends StaticStorageArgs {
    server: string;
    /** Exported directory; each volume lives at <path>/<prefix>/<lab>/<volume>. */
    path: string;
    /** Image of the Job that creates the volume's export subdirectory. */
    helperImage: string;
}

/** Static `nfs:` PVs, one export subdirectory per volume. */
export class NfsStorage extends StaticStorage {
    readonly mode = "nfs" as const;
    protected readonly root: string;

    constructor(name: string, private readonly args: NfsStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:storage:Nfs", name, "labs-nfs", args, opts);
        this.root = args.path;
        this.registerOutputs({ storageClassName: this.storageClassName, server: args.server, path: args.path });
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
        // world-writable as nfs-subdir-external-provisioner does: under the default
        // root_squash nobody can chown, so the database user must be able to create its own
        // data directory inside. No no_root_squash needed.
        const mkdir = new k8s.batch.v1.Job(
            `${name}-mkdir`,
            {
                metadata: { name: `mkdir-${req.volumeName}`.slice(0, 63).replace(/-+$/, ""), namespace: req.claim.namespace.forPods, labels: jobLabels },
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
                                    command: ["sh", "-c", 'mkdir -p "/export/$DIR" && chmod 0777 "/export/$DIR" && ls -ld "/export/$DIR"'],
                                    env: [{ name: "DIR", value: relative }],
                                    resources: RESOURCE_PRESETS.nano,
                                    // Only what mkdir and chmod use: DAC_OVERRIDE to create under a root owned by
                                    // another user (no_root_squash exports), FOWNER to chmod a directory a re-run
                                    // finds owned by the database user. No chown here, so no CHOWN. It writes only
                                    // to the export: the image's file system stays read-only.
                                    securityContext: {
                                        allowPrivilegeEscalation: false,
                                        readOnlyRootFilesystem: true,
                                        capabilities: { drop: ["ALL"], add: ["DAC_OVERRIDE", "FOWNER"] },
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
