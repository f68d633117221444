// What a stack's workloads ask of the cluster, from the objects it applies: shared by the
// benches and by the tests that hold the footprint against each namespace's quota.
import { parseQuantity } from "../components/shared/quantity";
import type { JsonObject } from "./mock-runtime";

type Obj = JsonObject;

export interface Footprint {
    /** Long-running pods (StatefulSet and Deployment replicas). */
    pods: number;
    /** Pods of Jobs: they run at creation, then finish and release what they held. */
    jobPods: number;
    cpuRequests: number;
    cpuLimits: number;
    /** bytes */
    memoryRequests: number;
    memoryLimits: number;
    /** bytes requested by claims (standalone and one per StatefulSet template and ordinal) */
    storage: number;
}

/**
 * What quota admission charges a container set: the larger of the init containers' peak and
 * the app containers' sum.
 */
export function podCharge(spec: Obj, what: "requests" | "limits", resource: "cpu" | "memory"): number {
    const q = (c: Obj) => parseQuantity(c.resources?.[what]?.[resource] ?? "0");
    const sum = (spec.containers ?? []).reduce((a: number, c: Obj) => a + q(c), 0);
    const init = Math.max(0, ...(spec.initContainers ?? []).map(q));
    return Math.max(sum, init);
}

const empty = (): Footprint => ({ pods: 0, jobPods: 0, cpuRequests: 0, cpuLimits: 0, memoryRequests: 0, memoryLimits: 0, storage: 0 });

/**
 * Footprint per namespace. With `includeJobs`, Job pods are charged like the others (what the
 * quota must admit while they run alongside the workloads, as on a first `up`).
 */
export function footprintByNamespace(objs: Obj[], includeJobs = false): Record<string, Footprint> {
    const out: Record<string, Footprint> = {};
    const at = (ns: string) => (out[ns] ??= empty());
    for (const o of objs) {
        if (!["StatefulSet", "Deployment", "Job"].includes(o.kind)) continue;
        const f = at(o.metadata.namespace);
        const n = o.kind === "Job" ? 1 : (o.spec.replicas ?? 1);
        if (o.kind === "Job") f.jobPods += n;
        else f.pods += n;
        if (o.kind !== "Job" || includeJobs) {
            const spec = o.spec.template.spec;
            f.cpuRequests += n * podCharge(spec, "requests", "cpu");
            f.cpuLimits += n * podCharge(spec, "limits", "cpu");
            f.memoryRequests += n * podCharge(spec, "requests", "memory");
            f.memoryLimits += n * podCharge(spec, "limits", "memory");
        }
        for (const t of o.spec.volumeClaimTemplates ?? []) f.storage += n * parseQuantity(t.spec.resources.requests.storage);
    }
    // a growth patch (kubernetesObjects marks it) changes a claim counted already
    const claims = objs.filter((o) => o.kind === "PersistentVolumeClaim" && o.metadata.annotations?.["state-labs.io/patch"] !== "true");
    for (const c of claims) at(c.metadata.namespace).storage += parseQuantity(c.spec.resources.requests.storage);
    return out;
}

/** The sum over namespaces. */
export function totalFootprint(objs: Obj[]): Footprint {
    const total = empty();
    for (const f of Object.values(footprintByNamespace(objs))) {
        for (const k of Object.keys(total) as (keyof Footprint)[]) total[k] += f[k];
    }
    return total;
}

export const mi = (b: number) => `${(b / 2 ** 20).toFixed(0)}Mi`;
export const gi = (b: number) => `${(b / 2 ** 30).toFixed(2)}Gi`;
