// One interface for where lab data lives; the stack's config picks the implementation.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamespaceRef } from "../security/namespace";
import { Labels, LabId, StackNaming } from "../shared/naming";
import { GuardedVolume } from "./storage-location-guard";

export interface VolumeRequest {
    lab: LabId;
    /** Base name of the PV and of its directory, e.g. the seed's `local-pv-1`. */
    volumeName: string;
    /** The one claim this PV is reserved for (PV `claimRef`), so binding is deterministic. */
    claim: { namespace: NamespaceRef; name: string };
    size: string;
    labels: Labels;
}

/** What backs one claim. */
export interface ClaimVolume {
    /** The static PV reserved for the claim; none where the class's provisioner makes one. */
    pv?: k8s.core.v1.PersistentVolume;
    /** Resources a pod must wait for before it can mount the volume. */
    ready: pulumi.Resource[];
}

export type StorageMode = "hostPath" | "nfs" | "dynamic";

export interface StorageBackend {
    readonly mode: StorageMode;
    /** The StorageClass the stack owns; claims name it, so they bind only to this stack's volumes. */
    readonly storageClassName: string;
    readonly storageClass: k8s.storage.v1.StorageClass;
    /**
     * Whether claims grow when their size is raised. Static PVs cannot: nothing resizes a
     * hostPath directory or an NFS subdirectory, so their class refuses expansion and the
     * program says so (see the growth path).
     */
    readonly canExpand: boolean;
    /** fsGroup is not applied to hostPath or in-tree nfs volumes: workloads fix ownership themselves. */
    readonly needsVolumePermissions: boolean;
    /** The volume behind one claim. */
    volumeFor(name: string, req: VolumeRequest): ClaimVolume;
    /** Every volume asked for so far: what a change of location would leave behind. */
    readonly volumes: readonly GuardedVolume[];
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
    readonly volumes: GuardedVolume[] = [];

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

    /** The nodes a pod of the volume may run on (any by default). */
    protected nodeAffinity(): k8s.types.input.core.v1.VolumeNodeAffinity | undefined {
        return undefined;
    }

    /** What to say about a live PV (e.g. one created before a rule of today's program). */
    protected inspect(_pv: k8s.core.v1.PersistentVolume): void {}

    /** Resources that must exist before a pod mounts the volume (none by default). */
    protected prepare(_name: string, _req: VolumeRequest, _dir: string): pulumi.Resource[] {
        return [];
    }

    volumeFor(name: string, req: VolumeRequest): ClaimVolume {
        const dir = this.base.naming.volumeDirectory(this.root, req.lab, req.volumeName);
        const ready = this.prepare(name, req, dir);
        const nodeAffinity = this.nodeAffinity();
        const pvName = this.base.naming.clusterScoped(req.volumeName);
        this.volumes.push({ lab: req.lab, volume: `PV ${pvName}` });
        const pv = new k8s.core.v1.PersistentVolume(
            name,
            {
                metadata: { name: pvName, labels: req.labels },
                spec: {
                    storageClassName: this.storageClassName,
                    capacity: { storage: req.size },
                    accessModes: ["ReadWriteOnce"],
                    volumeMode: "Filesystem",
                    persistentVolumeReclaimPolicy: "Retain",
                    claimRef: { namespace: req.claim.namespace.name, name: req.claim.name },
                    ...this.source(dir),
                    ...(nodeAffinity ? { nodeAffinity } : {}),
                },
            },
            // A PV's node affinity is immutable: one created before it was set keeps its own
            // (inspect() says so) rather than being replaced under its bound claim.
            { parent: this, retainOnDelete: this.base.keepDataOnDestroy, dependsOn: [this.storageClass], ignoreChanges: ["spec.nodeAffinity"] },
        );
        this.inspect(pv);
        return { pv, ready };
    }
}
