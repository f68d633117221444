// Resource and security presets, decided once. Sizes follow Bitnami's presets, kept small
// because an instructor runs one stack per student on a shared cluster.
import * as k8s from "@pulumi/kubernetes";

type Resources = k8s.types.input.core.v1.ResourceRequirements;

export const RESOURCE_PRESETS = {
    /** init containers and small helpers */
    nano: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    /** app Deployments */
    micro: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    /** databases and Grafana */
    small: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
} as const satisfies Record<string, Resources>;

/**
 * Switches off kube-score checks on one object (its annotation `kube-score/ignore`), where the
 * reason is this object's: the caller says why in a comment. Project-wide ones are listed
 * with theirs in test/cluster/kube-score.spec.ts.
 */
export function kubeScoreIgnore(...checks: string[]): Record<string, string> {
    return { "kube-score/ignore": checks.join(",") };
}

/** Container security context for a non-root process: nothing it does not need. */
export function restrictedContainer(): k8s.types.input.core.v1.SecurityContext {
    return {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Pod security context for an image that runs as a fixed non-root user. */
export function podSecurity(uid: number, gid: number = uid): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsUser: uid,
        runAsGroup: gid,
        runAsNonRoot: true,
        // fsGroup fixes ownership where the volume plugin supports it (not hostPath or in-tree nfs).
        fsGroup: gid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}
