// Claims never get replaced to change size, nor updated by the resource that created them:
// their request is ignored by its diff (a claim template's by the StatefulSet's), and grown
// only through patches, which a backend that cannot expand never receives. So a claim grown by
// hand (`kubectl edit pvc`, the seed's way) is not undone by the next `pulumi up`.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseQuantity } from "../shared/quantity";
import { StorageBackend } from "./storage-backend";

export interface ClaimGrowth {
    backend: StorageBackend;
    /** What the messages call the claims, e.g. `claim pg-pv-claim` or `StatefulSet db claims data-*`. */
    what: string;
    /** The size the claims were created with (their ignored request). */
    current: pulumi.Output<string | undefined>;
    wanted: string;
    /** The claims to grow. */
    claims: { namespace: pulumi.Input<string>; name: string }[];
    /** The resource the messages are about. */
    resource: pulumi.Resource;
}

/** Patches each claim to the wanted size where the backend can expand; says what happens either way. */
export function growClaims(name: string, g: ClaimGrowth, opts: pulumi.CustomResourceOptions): void {
    const { backend } = g;
    if (backend.canExpand) g.claims.forEach((claim, i) => claimGrowthPatch(`${name}-grow-${i}`, claim, g.wanted, opts));
    g.current.apply((size) => {
        if (!size || parseQuantity(g.wanted) <= parseQuantity(size)) return;
        if (backend.canExpand) {
            // a warning, not info: it asks the user to act (restart the pod) and shows at the end of an up
            pulumi.log.warn(
                `${g.what}: asks for ${g.wanted}, created at ${size}; grown in place (no claim, PV or StatefulSet replaced). The provisioner grows the volume first; ` +
                    `a file system that cannot grow while mounted grows when its pod restarts, and until then the claim shows the condition FileSystemResizePending ` +
                    `(kubectl get pvc <claim> -n <namespace> -o jsonpath='{.status.conditions}'); kubectl delete pod <pod> finishes it.`,
                g.resource,
            );
            return;
        }
        const refusal =
            backend.mode === "dynamic"
                ? `the stack's StorageClass ${backend.storageClassName} says allowVolumeExpansion: false (storageAllowExpansion), so the claim keeps its size`
                : `the ${backend.mode} backend's static volumes cannot expand (StorageClass ${backend.storageClassName} has allowVolumeExpansion: false). ` +
                  `The PV's capacity now says ${g.wanted}; the directory has no quota, so the claim keeps working at its first request`;
        pulumi.log.warn(`${g.what}: config asks for ${g.wanted} but the claim holds ${size}; ${refusal}.`, g.resource);
    });
}

/**
 * A patch that grows one existing claim (server-side apply of spec.resources.requests only).
 * Forced: the request is owned by whoever created the claim (the stack, or the StatefulSet
 * controller for a template's claims), and growing it is exactly taking it over.
 * Retained on delete: the claim's size is a required field, so the provider refuses to delete
 * a patch that manages it (found on the real node: a dynamic stack could not be destroyed), and
 * dropping a patch must never touch the claim anyway; the claim's own options decide its fate.
 * Not awaited: the provider's create-await for a claim under a WaitForFirstConsumer class waits
 * for phase Pending, which a claim already Bound to its pod's volume never returns to (found on
 * the real node: `up` hung on the StatefulSets' claims). Kubernetes' progress is what the
 * warning of growClaims describes.
 */
export function claimGrowthPatch(
    name: string,
    claim: { namespace: pulumi.Input<string>; name: string },
    size: string,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.PersistentVolumeClaimPatch {
    return new k8s.core.v1.PersistentVolumeClaimPatch(
        name,
        {
            metadata: { name: claim.name, namespace: claim.namespace, annotations: { "pulumi.com/patchForce": "true", "pulumi.com/skipAwait": "true" } },
            spec: { resources: { requests: { storage: size } } },
        },
        { ...opts, retainOnDelete: true },
    );
}
