// One interface for where lab data lives; the stack's config picks the implementation.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceRef } from "../security/namespace";
import { Labels, LabId, StackNaming } from "../shared/naming";

export interface VolumeRequest {
    lab: LabId;
    /** Base name of the PV and of its directory, e.g. the seed's `local-pv-1`. */
    volumeName: string;
    /** The one claim this PV is reserved for (PV `claimRef`), so binding is deterministic. */
    claim: { namespace: NamespaceRef; name: string };
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
    naming: StackNaming;
    labels: Labels;
    keepDataOnDestroy: boolean;
}

/**
 * What hostPath and NFS share: a StorageClass of the stack with no provisioner (claims bind
 * at once, data retained), and one static PV per claim, reserved for it, in its own
 * directory <root>/<prefix>/<lab>/<volume>. A backend supplies the volume source and
 * whatever must exist before a pod can mount it.
 */
export abstract class StaticStorage extends pulumi.ComponentResource implements StorageBackend {
    abstract readonly mode: "hostPath" | "nfs";
    readonly canExpand = false;
    readonly needsVolumePermissions = true;
    readonly storageClassName: string;
    readonly storageClass: k8s.storage.v1.StorageClass;

    protected constructor(
        type: string,
        name: string,
        classSuffix: string,
        protected readonly base: StaticStorageArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, opts);
        this.storageClassName = base.naming.clusterScoped(classSuffix);
        this.storageClass = new k8s.storage.v1.StorageClass(
            name,
            {
                metadata: { name: this.storageClassName, labels: base.labels },
                provisioner: "kubernetes.io/no-provisioner",
                reclaimPolicy: "Retain",
                volumeBindingMode: "Immediate",
                allowVolumeExpansion: false,
            },
            { parent: this },
        );
    }

    /** Directory of the volumes below this root. */
    protected abstract readonly root: string;

    /** The PV's volume source for a directory. */
    protected abstract source(dir: string): Pick<k8s.types.input.core.v1.PersistentVolumeSpec, "hostPath" | "nfs">;

    /** Resources that must exist before a pod mounts the volume (none by default). */
    protected prepare(_name: string, _req: VolumeRequest, _dir: string): pulumi.Resource[] {
        return [];
    }

    persistentVolume(name: string, req: VolumeRequest): StaticVolume {
        const dir = this.base.naming.volumeDirectory(this.root, req.lab, req.volumeName);
        const ready = this.prepare(name, req, dir);
        const pv = new k8s.core.v1.PersistentVolume(
            name,
            {
                metadata: { name: this.base.naming.clusterScoped(req.volumeName), labels: req.labels },
                spec: {
                    storageClassName: this.storageClassName,
                    capacity: { storage: req.size },
                    accessModes: ["ReadWriteOnce"],
                    volumeMode: "Filesystem",
                    persistentVolumeReclaimPolicy: "Retain",
                    claimRef: { namespace: req.claim.namespace.name, name: req.claim.name },
                    ...this.source(dir),
                },
            },
            { parent: this, retainOnDelete: this.base.keepDataOnDestroy, dependsOn: [this.storageClass] },
        );
        return { pv, ready };
    }
}
