import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseQuantity } from "../shared/quantity";
import { StorageBackend } from "./storage-backend";

/**
 * Claims never get replaced to change size: their request is ignored by the diff and grown
 * only through patches, which a backend that cannot expand never receives. When config asks
 * for more than a claim holds on such a backend, say so instead of failing half-way.
 */
export function warnIfGrowthRefused(
    backend: StorageBackend,
    what: string,
    current: pulumi.Output<string | undefined>,
    wanted: string,
    resource: pulumi.Resource,
): void {
    if (backend.canExpand) return;
    current.apply((size) => {
        if (size && parseQuantity(wanted) > parseQuantity(size)) {
            pulumi.log.warn(
                `${what}: config asks for ${wanted} but the claim holds ${size}; the ${backend.mode} backend's static volumes cannot expand ` +
                    `(StorageClass ${backend.storageClassName} has allowVolumeExpansion: false). The PV's capacity now says ${wanted}; ` +
                    `the directory has no quota, so the claim keeps working at its first request.`,
                resource,
            );
        }
    });
}

/** A patch that grows one existing claim (server-side apply of spec.resources.requests only). */
export function claimGrowthPatch(
    name: string,
    claim: { namespace: pulumi.Input<string>; name: string },
    size: string,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.PersistentVolumeClaimPatch {
    return new k8s.core.v1.PersistentVolumeClaimPatch(
        name,
        { metadata: { name: claim.name, namespace: claim.namespace }, spec: { resources: { requests: { storage: size } } } },
        opts,
    );
}
