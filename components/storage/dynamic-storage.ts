import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Labels, StackNaming } from "../shared/naming";
import { ClaimVolume, StorageBackend, VolumeRequest } from "./storage-backend";
import { GuardedVolume } from "./storage-location-guard";

export interface DynamicStorageArgs {
    naming: StackNaming;
    labels: Labels;
    /** The provisioner (CSI driver) that makes each claim's volume, e.g. hostpath.csi.k8s.io or ebs.csi.aws.com. */
    provisioner: string;
    /** The provisioner's parameters, as a StorageClass of the cluster would give them. */
    parameters: Record<string, string>;
    /** Whether the provisioner grows volumes: claims are then grown in place when a size is raised. */
    allowExpansion: boolean;
}

/**
 * Volumes made on demand by a provisioner, through a StorageClass the stack owns (never the
 * cluster's): whatever a cluster's own class says, this one says `Retain`, so deleting a claim
 * (a destroy that was asked to drop claims, a student's mistake) never deletes its data; and
 * `WaitForFirstConsumer`, so a volume is made where its pod is scheduled (node-local drivers).
 * No PV is reserved: a claim of the class gets a new volume of its own, and a bound PV binds to
 * nothing else, so one student's claim can never reach another's volume.
 */
export class DynamicStorage extends pulumi.ComponentResource implements StorageBackend {
    readonly mode = "dynamic" as const;
    readonly storageClassName: string;
    readonly storageClass: k8s.storage.v1.StorageClass;
    readonly canExpand: boolean;
    // A CSI driver applies fsGroup only if its CSIDriver object says so; the init container
    // that hands the directory to the database user works with any driver.
    readonly needsVolumePermissions = true;
    readonly volumes: GuardedVolume[] = [];

    constructor(name: string, args: DynamicStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:storage:Dynamic", name, {}, opts);
        this.canExpand = args.allowExpansion;
        this.storageClassName = args.naming.clusterScoped("labs-dynamic");
        this.storageClass = new k8s.storage.v1.StorageClass(
            name,
            {
                metadata: { name: this.storageClassName, labels: args.labels },
                provisioner: args.provisioner,
                parameters: args.parameters,
                reclaimPolicy: "Retain",
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: args.allowExpansion,
            },
            { parent: this },
        );
        this.registerOutputs({ storageClassName: this.storageClassName, provisioner: args.provisioner });
    }

    volumeFor(_name: string, req: VolumeRequest): ClaimVolume {
        this.volumes.push({ lab: req.lab, volume: `claim ${req.claim.name}` });
        // The claim names the class; the class must exist before the claim asks for a volume.
        return { ready: [this.storageClass] };
    }
}
