import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { growClaims } from "./growth";
import { NamespaceRef } from "../security/namespace";
import { Labels, LabId } from "../shared/naming";
import { StorageBackend } from "./storage-backend";

export interface PersistentClaimArgs {
    lab: LabId;
    backend: StorageBackend;
    namespace: NamespaceRef;
    claimName: string;
    /** Base name of the PV behind it (prefixed by the backend). */
    volumeName: string;
    size: string;
    labels: Labels;
    keepDataOnDestroy: boolean;
}

/** A pre-created claim and the static PV reserved for it, as labs 000, 001 and 003 build them by hand. */
export class PersistentClaim extends pulumi.ComponentResource {
    readonly claimName: string;
    readonly claim: k8s.core.v1.PersistentVolumeClaim;
    /** The static PV reserved for it; none where the class's provisioner makes one. */
    readonly pv?: k8s.core.v1.PersistentVolume;
    /** The claim's name, as a pod's volume names it (through it, the pod waits for the claim). */
    readonly name: pulumi.Output<string>;
    /** What a pod mounting the claim must wait for besides the claim: the volume's preparation, which no field names. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: PersistentClaimArgs, opts?: pulumi.ComponentResourceOptions) {
        super("labs:storage:Claim", name, {}, opts);
        this.claimName = args.claimName;
        const volume = args.backend.volumeFor(`${name}-pv`, {
            lab: args.lab,
            volumeName: args.volumeName,
            claim: { namespace: args.namespace, name: args.claimName },
            size: args.size,
            labels: args.labels,
        });
        this.pv = volume.pv;
        this.claim = new k8s.core.v1.PersistentVolumeClaim(
            name,
            {
                metadata: { name: args.claimName, namespace: args.namespace.name, labels: args.labels },
                spec: {
                    storageClassName: args.backend.storageClassName,
                    accessModes: ["ReadWriteOnce"],
                    ...(volume.pv ? { volumeName: volume.pv.metadata.name } : {}),
                    resources: { requests: { storage: args.size } },
                },
            },
            {
                parent: this,
                retainOnDelete: args.keepDataOnDestroy,
                // its class names no output of it: where a provisioner makes the volume, the class must come first
                dependsOn: [args.backend.storageClass],
                // Grown by a patch, or not at all (growth.ts): a request the backend cannot grow
                // would be refused by the API server mid-update.
                ignoreChanges: ["spec.resources"],
            },
        );
        growClaims(
            name,
            {
                backend: args.backend,
                what: `claim ${args.claimName}`,
                current: this.claim.spec.apply((s) => s?.resources?.requests?.storage),
                wanted: args.size,
                claims: [{ namespace: args.namespace.name, name: args.claimName }],
                resource: this.claim,
            },
            { parent: this, dependsOn: [this.claim] },
        );
        this.name = this.claim.metadata.name;
        this.ready = volume.ready;
        this.registerOutputs({ claimName: this.claimName });
    }
}
