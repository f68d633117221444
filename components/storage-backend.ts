// One interface for where lab data lives; the stack's config picks the implementation.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Labels, LabId } from "./naming";

export interface VolumeRequest {
    lab: LabId;
    /** Base name of the PV and of its directory, e.g. the seed's `local-pv-1`. */
    volumeName: string;
    /** The one claim this PV is reserved for (PV `claimRef`), so binding is deterministic. */
    claim: { namespace: pulumi.Input<string>; name: string };
    size: string;
    labels: Labels;
}

export interface StaticVolume {
    pv: k8s.core.v1.PersistentVolume;
    /** Resources a pod must wait for before it can mount the volume. */
    ready: pulumi.Resource[];
}

export interface StorageBackend {
    readonly mode: "hostPath" | "nfs";
    /** The StorageClass the stack owns; claims name it so they bind only to this stack's PVs. */
    readonly storageClassName: string;
    readonly storageClass: k8s.storage.v1.StorageClass;
    /**
     * Static PVs cannot grow: nothing resizes a hostPath directory or an NFS subdirectory,
     * so the class refuses expansion and the program says so (see the growth path).
     */
    readonly canExpand: boolean;
    /** fsGroup is not applied to hostPath or in-tree nfs volumes: workloads fix ownership themselves. */
    readonly needsVolumePermissions: boolean;
    /** A static PV reserved for one claim. */
    persistentVolume(name: string, req: VolumeRequest): StaticVolume;
}

export interface StaticStorageArgs {
    storageClassName: string;
    labels: Labels;
    keepDataOnDestroy: boolean;
}

/** The StorageClass of a static backend: no provisioner, claims bind at once, data retained. */
export function staticStorageClass(
    name: string,
    args: StaticStorageArgs,
    parent: pulumi.Resource,
): k8s.storage.v1.StorageClass {
    return new k8s.storage.v1.StorageClass(
        name,
        {
            metadata: { name: args.storageClassName, labels: args.labels },
            provisioner: "kubernetes.io/no-provisioner",
            reclaimPolicy: "Retain",
            volumeBindingMode: "Immediate",
            allowVolumeExpansion: false,
        },
        { parent },
    );
}

/** The PV spec shared by both backends; `source` is the backend's volume source. */
export function staticPersistentVolumeArgs(
    pvName: string,
    storageClassName: string,
    req: VolumeRequest,
    source: Pick<k8s.types.input.core.v1.PersistentVolumeSpec, "hostPath" | "nfs">,
): k8s.core.v1.PersistentVolumeArgs {
    return {
        metadata: { name: pvName, labels: req.labels },
        spec: {
            storageClassName,
            capacity: { storage: req.size },
            accessModes: ["ReadWriteOnce"],
            volumeMode: "Filesystem",
            persistentVolumeReclaimPolicy: "Retain",
            claimRef: { namespace: req.claim.namespace, name: req.claim.name },
            ...source,
        },
    };
}
