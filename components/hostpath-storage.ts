import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Labels, StackNaming } from "./naming";
import { StaticVolume, StorageBackend, VolumeRequest, staticPersistentVolumeArgs, staticStorageClass } from "./storage-backend";

export interface HostPathStorageArgs {
    naming: StackNaming;
    /** Node directory; each volume lives at <root>/<prefix>/<lab>/<volume>. */
    root: string;
    labels: Labels;
    keepDataOnDestroy: boolean;
}

/** Static hostPath PVs on the node (minikube, single-node clusters). */
export class HostPathStorage extends pulumi.ComponentResource implements StorageBackend {
    readonly mode = "hostPath" as const;
    readonly canExpand = false;
    readonly needsVolumePermissions = true;
    readonly storageClassName: string;
    readonly storageClass: k8s.storage.v1.StorageClass;

    constructor(name: string, private readonly args: HostPathStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:storage:HostPath", name, {}, opts);
        this.storageClassName = args.naming.clusterScoped("labs-hostpath");
        this.storageClass = staticStorageClass(name, { ...args, storageClassName: this.storageClassName }, this);
        this.registerOutputs({ storageClassName: this.storageClassName });
    }

    persistentVolume(name: string, req: VolumeRequest): StaticVolume {
        const { naming } = this.args;
        const pv = new k8s.core.v1.PersistentVolume(
            name,
            staticPersistentVolumeArgs(naming.clusterScoped(req.volumeName), this.storageClassName, req, {
                // DirectoryOrCreate: kubelet makes the directory on first mount (root-owned;
                // the workload's volume-permissions init container hands it to its user).
                hostPath: { path: naming.volumeDirectory(this.args.root, req.lab, req.volumeName), type: "DirectoryOrCreate" },
            }),
            { parent: this, retainOnDelete: this.args.keepDataOnDestroy, dependsOn: [this.storageClass] },
        );
        return { pv, ready: [] };
    }
}
