// Queries over the objects a mocked stack run produced, shared by the specs.
import { PROJECT } from "../stacks/config";
import { JsonObject, RegisteredResource, StackRun, kubernetesObjects, runStack, stackFileConfig } from "../tools/mock-runtime";

export type K8sObject = JsonObject;

export const STACK_FILES = ["dev", "nfs", "dynamic"] as const;

/** Config of a stack file with keys overridden (`key` without the project prefix). */
export function withConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    const config = stackFileConfig(stack);
    for (const [k, v] of Object.entries(overrides)) config[`${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return config;
}

function deepFreeze<T>(o: T): T {
    if (o && typeof o === "object" && !Object.isFrozen(o)) {
        Object.freeze(o);
        for (const v of Object.values(o)) deepFreeze(v);
    }
    return o;
}

const runs = new Map<string, Promise<StackRun>>();

/**
 * The program under mocks with a stack file's config and overrides. The same config gives the
 * same run, so each is made once per mocha process and shared by the specs that ask for it;
 * frozen, so a spec that changed it would fail instead of changing what the next one sees.
 */
export function run(stack: string, overrides: Record<string, unknown> = {}): Promise<StackRun> {
    const key = JSON.stringify([stack, overrides]);
    let r = runs.get(key);
    if (!r) {
        r = runStack(withConfig(stack, overrides), stack).then((x) => {
            if (x.error) throw x.error;
            return deepFreeze(x);
        });
        runs.set(key, r);
    }
    return r;
}

/** The objects a run creates (growth patches, which change objects of others, are resourcesOfType(r, "Patch")). */
export function objects(r: StackRun): K8sObject[] {
    return kubernetesObjects(r)
        .filter((o) => !o.type.endsWith("Patch"))
        .map((o) => o.object);
}

export function ofKind(objs: K8sObject[], kind: string): K8sObject[] {
    return objs.filter((o) => o.kind === kind);
}

export function one(objs: K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
    const found = objs.filter((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
    if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace ?? "*"}/${name}, found ${found.length}`);
    return found[0];
}

export function resourcesOfType(r: StackRun, suffix: string): RegisteredResource[] {
    return r.resources.filter((x) => x.type.endsWith(suffix));
}

export interface PodTemplate {
    owner: K8sObject;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    spec: K8sObject;
}

/** Pod templates of every workload (StatefulSet, Deployment, Job). */
export function podTemplates(objs: K8sObject[]): PodTemplate[] {
    return objs
        .filter((o) => ["StatefulSet", "Deployment", "Job"].includes(o.kind))
        .map((o) => ({ owner: o, namespace: o.metadata.namespace, labels: o.spec.template.metadata?.labels ?? {}, annotations: o.spec.template.metadata?.annotations, spec: o.spec.template.spec }));
}

/**
 * The pods the controllers will create: one per template, and per StatefulSet ordinal with
 * the labels the StatefulSet controller adds to each pod.
 */
export function pods(objs: K8sObject[]): PodTemplate[] {
    return podTemplates(objs).flatMap((p) =>
        p.owner.kind !== "StatefulSet"
            ? [p]
            : Array.from({ length: p.owner.spec.replicas ?? 1 }, (_, i) => ({
                  ...p,
                  labels: { ...p.labels, "statefulset.kubernetes.io/pod-name": `${p.owner.metadata.name}-${i}`, "apps.kubernetes.io/pod-index": String(i) },
              })),
    );
}

export function containers(spec: K8sObject): K8sObject[] {
    return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
    return !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Every string anywhere in a value, with its path. */
export function strings(v: unknown, at = ""): { path: string; value: string }[] {
    if (typeof v === "string") return [{ path: at, value: v }];
    if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${at}[${i}]`));
    if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => strings(x, at ? `${at}.${k}` : k));
    return [];
}
