import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StaticStorage, StaticStorageArgs } from "./storage-backend";

/** The well-known node label a PV's node affinity names its node by. */
export const HOSTNAME_LABEL = "kubernetes.io/hostname";

export interface HostPathStorageArgs extends StaticStorageArgs {
    /** Node directory; each volume lives at <root>/<prefix>/<lab>/<volume>. */
    root: string;
    /** The node that holds the directories: every PV is pinned to it. */
    node: string;
}

/** Static hostPath PVs in directories of one node, each PV pinned to that node (minikube, kind, any one node of a cluster). */
export class HostPathStorage extends StaticStorage {
    readonly mode = "hostPath" as const;
    protected readonly root: string;
    private readonly node: string;

    constructor(name: string, args: HostPathStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:storage:HostPath", name, "labs-hostpath", args, opts);
        this.root = args.root;
        this.node = args.node;
        this.registerOutputs({ storageClassName: this.storageClassName, node: args.node });
    }

    // The directory exists on one node only: a pod scheduled anywhere else would start on a new,
    // empty one there. Pinned, it waits (Pending, "volume node affinity conflict") instead.
    protected nodeAffinity(): k8s.types.input.core.v1.VolumeNodeAffinity {
        return { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [this.node] }] }] } };
    }

    protected inspect(pv: k8s.core.v1.PersistentVolume): void {
        pulumi.all([pv.spec.nodeAffinity, pv.metadata.name]).apply(([affinity, name]) => {
            if (affinity) return;
            pulumi.log.warn(
                `PV ${name} was created before hostPath volumes were pinned to a node, and a PV's node affinity cannot change: on a cluster of more than one node its database ` +
                    `may start on another node's empty directory. On one node nothing changes; to pin it, move the stack's data as the README's "Moving data" says.`,
                pv,
            );
        });
    }

    // DirectoryOrCreate: kubelet makes the directory on first mount (root-owned; the
    // workload's volume-permissions init container hands it to its user).
    protected source(dir: string): Pick<k8s.types.input.core.v1.PersistentVolumeSpec, "hostPath"> {
        return { hostPath: { path: dir, type: "DirectoryOrCreate" } };
    }
}
