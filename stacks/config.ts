// The only module that reads stack configuration. It turns the flat Pulumi config
// (`state-labs:<key>` strings) into one validated, typed `LabsConfig`, or throws a
// single ConfigError listing every problem before any resource is registered. The keys are
// declared in config-keys.ts; the rules that span keys are here.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { CustomerSettings } from "../components/labs/customer-lab.config";
import type { MoviesSettings } from "../components/labs/movies-lab.config";
import type { PostgresHaSettings } from "../components/labs/postgres-ha-lab.config";
import type { TodoSettings } from "../components/labs/todo-lab.config";
import type { WorkshopSettings } from "../components/labs/workshop-lab.config";
import type { NamespaceFenceSettings } from "../components/security/namespace-fence";
import { KeySpec, KeyValues, didYouMean } from "../components/shared/config-rules";
import { LAB_IDS, LabId } from "../components/shared/naming";
import { formatBytes, parseQuantity } from "../components/shared/quantity";
import { RESOURCE_PRESETS } from "../components/shared/resources";
import type { PodGroup } from "../components/labs/lab";
import { ConfigKey, KEYS, LABS, credentialsGenerationKey } from "./config-keys";
import { ambientApiServer } from "./kubeconfig";

export { KEYS } from "./config-keys";
export type { ConfigKey } from "./config-keys";

export const PROJECT = "state-labs";

type Flat = KeyValues<typeof KEYS>;

// ---- the typed result ----------------------------------------------------------

export type StorageConfig =
    | { mode: "hostPath"; root: string; node: string }
    | { mode: "nfs"; server: string; path: string }
    | { mode: "dynamic"; provisioner: string; parameters: Record<string, string>; allowExpansion: boolean };

export interface LabsConfig {
    prefix: string;
    labs: LabId[];
    storage: StorageConfig;
    keepDataOnDestroy: boolean;
    renderYamlToDirectory?: string;
    images: { postgres: string; volumePermissions: string };
    workshop: WorkshopSettings;
    todo: TodoSettings;
    movies: MoviesSettings;
    customer: CustomerSettings;
    postgresHa: PostgresHaSettings;
    /** Per lab: the generation of its generated passwords (raised to rotate them). */
    credentialsGeneration: Record<LabId, number>;
    /** Quota, container defaults and network rules of every lab namespace. */
    fence: NamespaceFenceSettings;
    ingressController: { namespace: string; service: string };
    /** The student's kubeconfig: the API server it points at, when known. */
    student: { apiServer?: string };
}

export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

/** A lab's settings in a LabsConfig: the field its declaration names. */
function settingsOf(config: LabsConfig, lab: LabId): never {
    // each declaration's settings() made that field, so its rows accept it
    return config[LABS[lab].name] as never;
}

/**
 * What each lab's claims request in its one namespace that holds data (test/config.spec.ts
 * checks this table against the claims the labs really create).
 */
export const LAB_STORAGE = Object.fromEntries(
    LAB_IDS.map((lab) => [lab, { keys: LABS[lab].storage.keys, bytes: (c: LabsConfig) => LABS[lab].storage.bytes(settingsOf(c, lab)) }]),
) as Record<LabId, { keys: string; bytes: (c: LabsConfig) => number }>;

/**
 * A claim beyond its namespace's storage quota is refused and its pod never starts: say so
 * before anything is registered rather than after a ten-minute await.
 */
function quotaProblems(config: LabsConfig, given: unknown, ns: string): string[] {
    const quota = parseQuantity(config.fence.quota.storage);
    return config.labs.flatMap((lab) => {
        const bytes = LAB_STORAGE[lab].bytes(config);
        return bytes <= quota
            ? []
            : [`${ns}quotaStorage: ${describe(given, "quotaStorage")} is not accepted; expected at least ${formatBytes(bytes)}, what lab ${lab} claims in one namespace (${LAB_STORAGE[lab].keys}); raise quotaStorage or lower those sizes`];
    });
}

/** What a lab runs at once in one namespace, for each quota it is checked against. */
export interface LabCompute {
    pods: number;
    /** cores */
    cpuRequests: number;
    cpuLimits: number;
    /** bytes */
    memoryRequests: number;
    memoryLimits: number;
}

function charge(groups: readonly PodGroup[]): LabCompute {
    const sum = (f: (size: PodGroup[1]) => number) => groups.reduce((a, [n, size]) => a + n * f(size), 0);
    const preset = (size: PodGroup[1]) => RESOURCE_PRESETS[size];
    return {
        pods: groups.reduce((a, [n]) => a + n, 0),
        cpuRequests: sum((z) => parseQuantity(preset(z).requests.cpu)),
        cpuLimits: sum((z) => parseQuantity(preset(z).limits.cpu)),
        memoryRequests: sum((z) => parseQuantity(preset(z).requests.memory)),
        memoryLimits: sum((z) => parseQuantity(preset(z).limits.memory)),
    };
}

/**
 * The most a lab runs at once in one of its namespaces, quota by quota: its workloads'
 * replicas, a Job that runs beside them, and one more pod per Deployment during a rolling
 * update (test/config.spec.ts checks this table against the labs' objects).
 */
export const LAB_COMPUTE = Object.fromEntries(
    LAB_IDS.map((lab) => [
        lab,
        {
            keys: LABS[lab].pods.keys,
            need: (c: LabsConfig): LabCompute => {
                const perNamespace = LABS[lab].pods.namespaces(settingsOf(c, lab)).map(charge);
                const most = (k: keyof LabCompute) => Math.max(...perNamespace.map((x) => x[k]));
                return { pods: most("pods"), cpuRequests: most("cpuRequests"), cpuLimits: most("cpuLimits"), memoryRequests: most("memoryRequests"), memoryLimits: most("memoryLimits") };
            },
        },
    ]),
) as Record<LabId, { keys: string; need: (c: LabsConfig) => LabCompute }>;

/** The pods row of LAB_COMPUTE, as the pods quota check and its test read it. */
export const LAB_PODS = Object.fromEntries(
    LAB_IDS.map((lab) => [lab, { keys: LAB_COMPUTE[lab].keys, pods: (c: LabsConfig) => LAB_COMPUTE[lab].need(c).pods }]),
) as Record<LabId, { keys: string; pods: (c: LabsConfig) => number }>;

const cores = (v: number) => (Number.isInteger(v) ? String(v) : `${Math.ceil(v * 1000 - 1e-6)}m`);

/**
 * A quota smaller than what a lab itself runs leaves pods the quota refuses, and the deploy
 * waits on them until a timeout: each quota is held against each enabled lab, and each
 * LimitRange default against its limit and its quota (a pod of defaults must fit).
 */
function computeProblems(config: LabsConfig, input: Record<string, unknown>, ns: string): string[] {
    const q = config.fence.quota;
    const quotas: [ConfigKey, keyof LabCompute, number, (v: number) => string, string][] = [
        ["quotaPods", "pods", q.pods, String, "the pods"],
        ["quotaCpuRequests", "cpuRequests", parseQuantity(q.cpuRequests), cores, "the CPU its containers request"],
        ["quotaMemoryRequests", "memoryRequests", parseQuantity(q.memoryRequests), formatBytes, "the memory its containers request"],
        ["quotaCpuLimits", "cpuLimits", parseQuantity(q.cpuLimits), cores, "the CPU limits of its containers"],
        ["quotaMemoryLimits", "memoryLimits", parseQuantity(q.memoryLimits), formatBytes, "the memory limits of its containers"],
    ];
    const problems = config.labs.flatMap((lab) => {
        const need = LAB_COMPUTE[lab].need(config);
        return quotas
            .filter(([, k, have]) => need[k] > have + 1e-9)
            .map(
                ([key, k, , show, what]) =>
                    `${ns}${key}: ${describe(input[key], key)} is not accepted; expected at least ${show(need[k])}, ${what} lab ${lab} runs at once in one namespace (${LAB_COMPUTE[lab].keys}); raise ${key} or lower those counts`,
            );
    });
    const d = config.fence.containerDefaults;
    const defaults: [ConfigKey, string, ConfigKey, string][] = [
        ["defaultCpuRequest", d.request.cpu, "quotaCpuRequests", q.cpuRequests],
        ["defaultMemoryRequest", d.request.memory, "quotaMemoryRequests", q.memoryRequests],
        ["defaultCpuLimit", d.limit.cpu, "quotaCpuLimits", q.cpuLimits],
        ["defaultMemoryLimit", d.limit.memory, "quotaMemoryLimits", q.memoryLimits],
    ];
    for (const [key, value, quotaKey, quota] of defaults) {
        if (parseQuantity(value) > parseQuantity(quota)) {
            problems.push(`${ns}${key}: ${describe(input[key], key)} is not accepted; expected at most ${quota}, the ${quotaKey} of each namespace: a container given this default could never start`);
        }
    }
    return problems;
}

// Keys of the other storage modes are not silently ignored: a user who sets nfsServer but not
// storageMode would otherwise get hostPath volumes on the node. The engine hands the program
// Pulumi.yaml's declared defaults as values too: a key at its default counts as not set.
const MODE_KEYS = {
    hostPath: ["hostPathRoot", "hostPathNode"],
    nfs: ["nfsServer", "nfsPath"],
    dynamic: ["storageProvisioner", "storageClassParameters", "storageAllowExpansion"],
} as const satisfies Record<StorageConfig["mode"], readonly ConfigKey[]>;
function modeProblems(config: LabsConfig, input: Record<string, unknown>, ns: string): string[] {
    const isDefault = (k: ConfigKey) => JSON.stringify(input[k]) === JSON.stringify(KEYS[k].default);
    return (Object.keys(MODE_KEYS) as StorageConfig["mode"][])
        .filter((mode) => mode !== config.storage.mode)
        .flatMap((other) =>
            MODE_KEYS[other]
                .filter((k) => input[k] !== undefined && !isDefault(k))
                .map((k) => `${ns}${k}: ${describe(input[k])} is not accepted when storageMode is ${config.storage.mode}; it applies to storageMode ${other} only: set storageMode to ${other}, or remove ${k}`),
        );
}

const schema = z
    .object(Object.fromEntries(Object.entries(KEYS).map(([k, spec]) => [k, (spec.schema as z.ZodType).default(spec.default as never)])) as {
        [K in ConfigKey]: z.ZodDefault<(typeof KEYS)[K]["schema"]>;
    })
    .strict()
    .superRefine((c, ctx) => {
        // What each storage mode cannot do without, in the order the messages list them.
        const required: [StorageConfig["mode"], "hostPathNode" | "storageProvisioner" | "nfsServer" | "nfsPath", string][] = [
            ["hostPath", "hostPathNode", "the name of the node that holds the volumes' directories (kubectl get nodes; minikube: minikube, kind: kind-control-plane): each PV is pinned to it"],
            ["dynamic", "storageProvisioner", "the provisioner of the class your volumes should be made like, as kubectl get storageclass shows it (minikube's csi-hostpath-driver addon: hostpath.csi.k8s.io)"],
            ["nfs", "nfsServer", "the NFS server's host name or IP address"],
            ["nfs", "nfsPath", "the exported directory, an absolute path such as /srv/nfs/state-labs"],
        ];
        for (const [mode, key, message] of required) {
            if (c.storageMode === mode && !c[key]) ctx.addIssue({ code: "custom", path: [key], input: c[key], params: { when: `storageMode is ${mode}` }, message });
        }
        // The API server refuses a LimitRange whose default request exceeds its default limit.
        for (const [request, limit] of [["defaultCpuRequest", "defaultCpuLimit"], ["defaultMemoryRequest", "defaultMemoryLimit"]] as const) {
            if (parseQuantity(c[request]) > parseQuantity(c[limit])) {
                ctx.addIssue({ code: "custom", path: [request], input: c[request], message: `at most ${limit} (${c[limit]})` });
            }
        }
    });

/** Converts Pulumi's string values to the declared type; leaves what does not convert for the schema to reject. */
function coerce(key: string, raw: string): unknown {
    const spec = (KEYS as Record<string, KeySpec>)[key];
    if (!spec) return raw;
    switch (spec.type) {
        case "integer":
            return /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : raw;
        case "array":
            try {
                return JSON.parse(raw);
            } catch {
                return raw;
            }
        default:
            return raw;
    }
}

function describe(v: unknown, key?: string): string {
    const spec = key === undefined ? undefined : (KEYS as Record<string, KeySpec>)[key];
    if (v === undefined) return spec ? `${JSON.stringify(spec.default)} (the default)` : "(not set)";
    return JSON.stringify(v);
}

/** Parses the project's config entries (`<project>:<key>` → string), as Pulumi hands them over. */
export function parseConfig(all: Record<string, string>, project: string = PROJECT): LabsConfig {
    const ns = `${project}:`;
    const input: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(all)) {
        if (k.startsWith(ns)) input[k.slice(ns.length)] = coerce(k.slice(ns.length), v);
    }
    const result = schema.safeParse(input);
    if (!result.success) {
        const problems = result.error.issues.flatMap((issue) => {
            if (issue.code === "unrecognized_keys") {
                return issue.keys.map((k) => {
                    const meant = didYouMean(k, Object.keys(KEYS));
                    return `${ns}${k}: unknown config key${meant ? ` (did you mean ${meant}?)` : ""}; accepted keys: ${Object.keys(KEYS).join(", ")}`;
                });
            }
            const key = String(issue.path[0]);
            let value: unknown = input[key];
            for (const p of issue.path.slice(1)) value = (value as Record<PropertyKey, unknown> | undefined)?.[p];
            const where = issue.path.length > 1 ? `${ns}${key}[${issue.path.slice(1).join("][")}]` : `${ns}${key}`;
            if (issue.code === "custom" && issue.params?.when) {
                const what = value === undefined || value === "" ? "not set" : `${describe(value)} is not accepted`;
                return [`${where}: ${what}, but required when ${issue.params.when}; expected ${issue.message}`];
            }
            return [`${where}: ${describe(value, issue.path.length === 1 ? key : undefined)} is not accepted; expected ${issue.message}`];
        });
        throw new ConfigError(problems);
    }
    const config = toLabsConfig(result.data);
    const problems = [...modeProblems(config, input, ns), ...quotaProblems(config, input.quotaStorage, ns), ...computeProblems(config, input, ns)];
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
}

function toLabsConfig(c: Flat): LabsConfig {
    const storage: StorageConfig =
        c.storageMode === "nfs"
            ? { mode: "nfs", server: c.nfsServer, path: c.nfsPath }
            : c.storageMode === "dynamic"
              ? {
                    mode: "dynamic",
                    provisioner: c.storageProvisioner,
                    parameters: Object.fromEntries(c.storageClassParameters.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
                    allowExpansion: c.storageAllowExpansion,
                }
              : { mode: "hostPath", root: c.hostPathRoot, node: c.hostPathNode };
    return {
        prefix: c.prefix,
        labs: c.labs,
        storage,
        keepDataOnDestroy: c.keepDataOnDestroy,
        renderYamlToDirectory: c.renderYamlToDirectory || undefined,
        images: { postgres: c.postgresImage, volumePermissions: c.volumePermissionsImage },
        workshop: LABS.workshop.settings(c, c.prefix),
        todo: LABS.todo.settings(c, c.prefix),
        movies: LABS.movies.settings(c, c.prefix),
        customer: LABS.customer.settings(c, c.prefix),
        postgresHa: LABS["postgres-ha"].settings(c, c.prefix),
        credentialsGeneration: Object.fromEntries(LAB_IDS.map((lab) => [lab, c[credentialsGenerationKey(lab)]])) as Record<LabId, number>,
        fence: {
            quota: {
                cpuRequests: c.quotaCpuRequests,
                memoryRequests: c.quotaMemoryRequests,
                cpuLimits: c.quotaCpuLimits,
                memoryLimits: c.quotaMemoryLimits,
                storage: c.quotaStorage,
                pods: c.quotaPods,
            },
            containerDefaults: {
                request: { cpu: c.defaultCpuRequest, memory: c.defaultMemoryRequest },
                limit: { cpu: c.defaultCpuLimit, memory: c.defaultMemoryLimit },
            },
        },
        ingressController: { namespace: c.ingressControllerNamespace, service: c.ingressControllerService },
        student: { apiServer: c.studentApiServer || undefined },
    };
}

/** Reads the running stack's configuration; the student's API server defaults from `env`'s kubeconfig. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LabsConfig {
    const config = parseConfig(pulumi.runtime.allConfig(), pulumi.getProject());
    config.student.apiServer ??= ambientApiServer(env);
    return config;
}
