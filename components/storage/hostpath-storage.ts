import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StaticStorage, StaticStorageArgs } from "./storage-backend";

export interface HostPathStorageArgs extends StaticStorageArgs {
    /** Node directory; each volume lives at <root>/<prefix>/<lab>/<volume>. */
    root: string;
}

/** Static hostPath PVs on the node (minikube, single-node clusters). */
export class HostPathStorage extends StaticStorage {
    readonly mode = "hostPath" as const;
    protected readonly root: string;

    constructor(name: string, args: HostPathStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:storage:HostPath", name, "labs-hostpath", args, opts);
        this.root = args.root;
        this.registerOutputs({ storageClassName: this.storageClassName });
    }

    // DirectoryOrCreate: kubelet makes the directory on first mount (root-owned; the
    // workload's volume-permissions init container hands it to its user).
    protected source(dir: string): Pick<k8s.types.input.core.v1.PersistentVolumeSpec, "hostPath"> {
        return { hostPath: { path: dir, type: "DirectoryOrCreate" } };
    }
}
