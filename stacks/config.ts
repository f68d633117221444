// The only module that reads stack configuration. It turns the flat Pulumi config
// (`state-labs:<key>` strings) into one validated, typed `LabsConfig`, or throws a
// single ConfigError listing every problem before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { DNS_LABEL, LAB_IDS, LabId, MAX_PREFIX_LENGTH } from "../components/shared/naming";
import { NamespaceFenceSettings } from "../components/security/namespace-fence";
import { formatBytes, isQuantity, parseQuantity } from "../components/shared/quantity";

export const PROJECT = "state-labs";

type KeyType = "string" | "integer" | "boolean" | "array";

interface KeySpec<S extends z.ZodType> {
    type: KeyType;
    default: z.input<S>;
    description: string;
    schema: S;
}

// ---- value rules; each message says what is accepted -------------------------

// host name or IPv4/IPv6 literal, as a PV's nfs.server accepts
const HOST = /^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$|^\[?[0-9a-fA-F:.]+\]?$/;
// repository[:tag][@digest]; a tag or digest is required so images stay pinned
const IMAGE = /^[a-z0-9]+([._\-/:][a-z0-9]+)*(:[\w][\w.-]{0,127})(@sha256:[a-f0-9]{64})?$|^[a-z0-9]+([._\-/:][a-z0-9]+)*@sha256:[a-f0-9]{64}$/;

/** The accepted value a mistyped one most likely meant: same letters in another case, or at most two edits away. */
export function didYouMean(value: string, accepted: readonly string[]): string | undefined {
    const norm = (x: string) => x.toLowerCase().replace(/[-_ ]/g, "");
    const distance = (a: string, b: string) => {
        let row = Array.from({ length: b.length + 1 }, (_, j) => j);
        for (let i = 1; i <= a.length; i++) {
            const next = [i];
            for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            row = next;
        }
        return row[b.length];
    };
    const scored = accepted.map((a) => ({ a, d: distance(norm(value), norm(a)) })).filter((x) => x.d <= Math.min(2, Math.floor(norm(x.a).length / 3)));
    scored.sort((x, y) => x.d - y.d);
    return scored.length > 0 && scored[0].a !== value ? scored[0].a : undefined;
}
const hint = (value: unknown, accepted: readonly string[]) => {
    const meant = typeof value === "string" ? didYouMean(value, accepted) : undefined;
    return meant ? ` (did you mean "${meant}"?)` : "";
};
/** One of `options`; a near miss says which one it likely meant. */
function oneOf<const T extends readonly [string, ...string[]]>(options: T, expected: string) {
    return z.enum(options, { error: (issue) => `${expected}${hint(issue.input, options)}` });
}

function rule(check: (v: string) => boolean, accepted: string | ((v: string) => string)) {
    return z.string({ error: typeof accepted === "string" ? accepted : accepted("") }).superRefine((v, ctx) => {
        if (!check(v)) {
            ctx.addIssue({ code: "custom", message: typeof accepted === "string" ? accepted : accepted(v), input: v });
        }
    });
}

const dnsLabel = (max: number) =>
    rule(
        (v) => v.length <= max && DNS_LABEL.test(v),
        `a DNS-1123 label of at most ${max} characters (lowercase letters, digits and '-', starting and ending with a letter or digit)`,
    );

/** A hint for the common mistake of writing decimal byte units (2GB) instead of binary ones (2Gi). */
export function quantityHint(v: string): string {
    const m = /^(\d+(?:\.\d+)?)\s*([KMGTPE])i?B$/i.exec(v.trim());
    return m ? ` (did you mean "${m[1]}${m[2].toUpperCase() === "K" ? "Ki" : m[2].toUpperCase() + "i"}"?)` : "";
}

const quantity = (examples: string) =>
    rule(
        (v) => isQuantity(v) && parseQuantity(v) > 0,
        (v) => `a positive Kubernetes quantity such as ${examples}${quantityHint(v)}`,
    );
const size = quantity("200Mi, 2Gi or 1Ti");
const memory = quantity("256Mi or 4Gi");
const cpu = quantity("500m or 2 (cores)");
// Directories a storage root may not be (each stack's data would sit among the system's), and
// trees it may not be inside (the kernel's, the runtime's, the node's own configuration).
const SYSTEM_DIRS = ["/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp", "/var", "/var/lib", "/var/tmp"];
const SYSTEM_TREES = [
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys", "/usr",
    "/var/cache", "/var/lib/containerd", "/var/lib/docker", "/var/lib/dpkg", "/var/lib/etcd", "/var/lib/kubelet", "/var/log", "/var/run",
];

/** Why a storage root is refused, or undefined: it must be a clean absolute path, a directory of its own. */
export function storageRootProblem(v: string): string | undefined {
    if (!v.startsWith("/") || v.includes("\0")) return "it is not an absolute path";
    if (v === "/") return "it is the root directory";
    const meant = path.posix.normalize(v).replace(/(.)\/$/, "$1");
    if (meant !== v) return `it is not clean (it means ${meant})`;
    if (SYSTEM_DIRS.includes(v)) return `it is ${v} itself, a system directory`;
    const tree = SYSTEM_TREES.find((t) => v === t || v.startsWith(`${t}/`));
    return tree ? `it is inside ${tree}, which belongs to the system` : undefined;
}
const storageRoot = (example: string, optional: boolean) =>
    rule(
        (v) => (optional && v === "") || storageRootProblem(v) === undefined,
        (v) => `a clean absolute path that is a directory of its own, such as ${example} (not / or a system directory; no "..", "." or trailing "/")${v ? `: ${storageRootProblem(v)}` : ""}`,
    );
const hostPathRootSchema = storageRoot("/data/state-labs", false);
const nfsPathSchema = storageRoot("/srv/nfs/state-labs", true);
const optionalHost = rule((v) => v === "" || HOST.test(v), "a host name or IP address such as 192.168.49.1 or nfs.example.internal");
const image = rule((v) => IMAGE.test(v), "a pinned image reference such as postgres:17.6 (a tag or digest is required)");
/** The major version in an image's tag when the image is `name` (any registry): `postgres:17.6` is 17. */
export function imageMajor(ref: string, name: string): number | undefined {
    const m = /^(?:.*\/)?([^/:@]+):(\d+)(?:[.-][^@]*)?(?:@.*)?$/.exec(ref);
    return m && m[1] === name ? Number(m[2]) : undefined;
}
const postgresImage = rule(
    (v) => IMAGE.test(v) && (imageMajor(v, "postgres") ?? 0) <= 17,
    (v) =>
        IMAGE.test(v)
            ? `PostgreSQL 17 or older (18 moved PGDATA to /var/lib/postgresql/18/docker and wants its volume at /var/lib/postgresql; the labs mount /var/lib/postgresql/data), such as postgres:17.6`
            : "a pinned image reference such as postgres:17.6 (a tag or digest is required)",
);
const mongoImage = rule(
    (v) => IMAGE.test(v) && (imageMajor(v, "mongo") ?? 5) >= 5,
    (v) => (IMAGE.test(v) ? "MongoDB 5.0 or newer (the labs run mongosh, which older images lack), such as mongo:7.0.14" : "a pinned image reference such as mongo:7.0.14 (a tag or digest is required)"),
);
const grafanaImage = rule(
    (v) => IMAGE.test(v) && (imageMajor(v, "grafana") ?? 10) >= 10,
    (v) =>
        IMAGE.test(v)
            ? "Grafana 10 or newer (the lab resets the admin password from its Secret with grafana cli's --password-from-stdin), such as grafana/grafana:11.2.0"
            : "a pinned image reference such as grafana/grafana:11.2.0 (a tag or digest is required)",
);
const optionalImage = rule((v) => v === "" || IMAGE.test(v), `a pinned image reference such as registry.example/app:1.0, or "" to leave the app out`);
const optionalUrl = rule(
    (v) => v === "" || /^https:\/\/[^\s/]+(\/\S*)?$/.test(v),
    `an https URL of the Kubernetes API server as students reach it, such as https://192.168.49.2:8443, or "" for the server of the current kubeconfig context`,
);
const optionalDnsSubdomain = rule(
    (v) => v === "" || (v.length <= 253 && v.split(".").every((p) => DNS_LABEL.test(p))),
    `a DNS name such as todo.labs.local, or "" for todo.<prefix>.labs.local`,
);
const intRange = (min: number, max: number) =>
    z.int({ error: `an integer from ${min} to ${max}` }).min(min, { error: `an integer from ${min} to ${max}` }).max(max, { error: `an integer from ${min} to ${max}` });
const replicas = (max: number) => intRange(1, max);
const generation = intRange(0, 1_000_000);
const bool = z.boolean({ error: "true or false" });

// ---- the keys ----------------------------------------------------------------
// Every key here is declared in Pulumi.yaml with the same type, default and description
// (test/config.spec.ts holds the two together).

export const KEYS = {
    prefix: {
        type: "string",
        default: "labs",
        description: `Per-stack name prefix (a student id): goes into every namespace, PV and StorageClass name and host directory. DNS-1123 label, at most ${MAX_PREFIX_LENGTH} characters.`,
        schema: dnsLabel(MAX_PREFIX_LENGTH),
    },
    labs: {
        type: "array",
        default: [...LAB_IDS] as string[],
        description: `Labs to provision, any of: ${LAB_IDS.join(", ")}.`,
        schema: z
            .array(oneOf(LAB_IDS, `one of ${LAB_IDS.join(", ")}`), { error: `a list of lab names (${LAB_IDS.join(", ")})` })
            .min(1, { error: `at least one lab (${LAB_IDS.join(", ")})` })
            .superRefine((v, ctx) => {
                const dup = v.find((x, i) => v.indexOf(x) !== i);
                if (dup !== undefined) ctx.addIssue({ code: "custom", message: "each lab at most once", input: dup });
            }),
    },
    storageMode: {
        type: "string",
        default: "hostPath",
        description: "Where lab data lives: hostPath (directories on the node, e.g. minikube) or nfs (subdirectories of an NFS export).",
        schema: oneOf(["hostPath", "nfs"], "hostPath or nfs"),
    },
    hostPathRoot: {
        type: "string",
        default: "/data/state-labs",
        description: "hostPath mode: node directory under which each stack gets <root>/<prefix>/<lab>/<volume>. minikube keeps /data across restarts.",
        schema: hostPathRootSchema,
    },
    nfsServer: {
        type: "string",
        default: "",
        description: "nfs mode (required): NFS server host name or IP address.",
        schema: optionalHost,
    },
    nfsPath: {
        type: "string",
        default: "",
        description: "nfs mode (required): exported directory under which each stack gets <path>/<prefix>/<lab>/<volume>.",
        schema: nfsPathSchema,
    },
    keepDataOnDestroy: {
        type: "boolean",
        default: true,
        description: "Keep PersistentVolumes, claims and the namespaces holding them when resources are deleted or the stack is destroyed. Set false only to wipe lab data on purpose.",
        schema: bool,
    },
    renderYamlToDirectory: {
        type: "string",
        default: "",
        description: "If set, the Kubernetes provider writes manifests to this directory instead of applying them (Secrets in plaintext). Use on a fresh stack only.",
        schema: z.string({ error: "a directory path" }),
    },
    postgresImage: {
        type: "string",
        default: "postgres:17.6",
        description: "PostgreSQL image (major 17 or older: PGDATA layout under /var/lib/postgresql/data).",
        schema: postgresImage,
    },
    volumePermissionsImage: {
        type: "string",
        default: "busybox:1.36.1",
        description: "Image of the init container that fixes data directory ownership on hostPath/NFS volumes.",
        schema: image,
    },
    workshopPersistence: {
        type: "boolean",
        default: true,
        description: "Lab workshop: true keeps the database on a persistent claim; false shows the seed's first step (emptyDir, data lost with the pod).",
        schema: bool,
    },
    workshopDbSize: {
        type: "string",
        default: "1Gi",
        description: "Lab workshop: size of the database claim.",
        schema: size,
    },
    workshopBackendImage: {
        type: "string",
        default: "",
        description: `Lab workshop: the students' FastAPI backend image; "" leaves the backend out.`,
        schema: optionalImage,
    },
    todoDbSize: {
        type: "string",
        default: "1Gi",
        description: "Lab todo: size of the PostgreSQL claim.",
        schema: size,
    },
    todoAppImage: {
        type: "string",
        default: "daredrexel/stateful-flask:v0",
        description: "Lab todo: the Flask todo app image (the seed's public image by default).",
        schema: image,
    },
    todoIngressHost: {
        type: "string",
        default: "",
        description: `Lab todo: Ingress host; "" gives todo.<prefix>.labs.local, one per stack.`,
        schema: optionalDnsSubdomain,
    },
    todoIngressClassName: {
        type: "string",
        default: "nginx",
        description: "Lab todo: ingressClassName of the Ingress (minikube's ingress addon: nginx).",
        schema: dnsLabel(63),
    },
    mongoImage: {
        type: "string",
        default: "mongo:7.0.14",
        description: "Lab movies: MongoDB image (5.0 or newer: it must ship mongosh).",
        schema: mongoImage,
    },
    grafanaImage: {
        type: "string",
        default: "grafana/grafana:11.2.0",
        description: "Lab movies: Grafana image (10 or newer).",
        schema: grafanaImage,
    },
    moviesMongoReplicas: {
        type: "integer",
        default: 3,
        description: "Lab movies: MongoDB replica-set members (at most 7 voting members).",
        schema: replicas(7),
    },
    moviesMongoSize: {
        type: "string",
        default: "2Gi",
        description: "Lab movies: size of each MongoDB member's claim; raise it to grow the claims.",
        schema: size,
    },
    moviesGrafanaSize: {
        type: "string",
        default: "2Gi",
        description: "Lab movies: size of Grafana's claim.",
        schema: size,
    },
    moviesCatalogImage: {
        type: "string",
        default: "",
        description: `Lab movies: the students' movie catalog image; "" leaves the catalog out.`,
        schema: optionalImage,
    },
    customerDbSize: {
        type: "string",
        default: "2Gi",
        description: "Lab customer: size of the PV local-pv-1 and claim pg-pv-claim.",
        schema: size,
    },
    customerBackendImage: {
        type: "string",
        default: "",
        description: `Lab customer: the students' Java customer backend image; "" leaves the backend out.`,
        schema: optionalImage,
    },
    postgresHaReplicas: {
        type: "integer",
        default: 3,
        description: "Lab postgres-ha: PostgreSQL pods (1 primary, the rest streaming hot standbys).",
        schema: replicas(10),
    },
    postgresHaSize: {
        type: "string",
        default: "200Mi",
        description: "Lab postgres-ha: size of each pod's claim.",
        schema: size,
    },
    workshopCredentialsGeneration: {
        type: "integer",
        default: 0,
        description: "Lab workshop: generation of its generated passwords; raise it by one to rotate them (databases and apps move to the new ones, data stays).",
        schema: generation,
    },
    todoCredentialsGeneration: {
        type: "integer",
        default: 0,
        description: "Lab todo: generation of its generated passwords; raise it by one to rotate them (databases and apps move to the new ones, data stays).",
        schema: generation,
    },
    moviesCredentialsGeneration: {
        type: "integer",
        default: 0,
        description: "Lab movies: generation of its generated passwords; raise it by one to rotate them (databases and apps move to the new ones, data stays).",
        schema: generation,
    },
    customerCredentialsGeneration: {
        type: "integer",
        default: 0,
        description: "Lab customer: generation of its generated passwords; raise it by one to rotate them (databases and apps move to the new ones, data stays).",
        schema: generation,
    },
    postgresHaCredentialsGeneration: {
        type: "integer",
        default: 0,
        description: "Lab postgres-ha: generation of its generated passwords; raise it by one to rotate them (databases and apps move to the new ones, data stays).",
        schema: generation,
    },
    ingressControllerNamespace: {
        type: "string",
        default: "ingress-nginx",
        description: "Namespace of the ingress controller: the only other namespace the NetworkPolicies let reach an app behind an Ingress (minikube's ingress addon: ingress-nginx).",
        schema: dnsLabel(63),
    },
    quotaCpuRequests: {
        type: "string",
        default: "2",
        description: "ResourceQuota of every lab namespace: total CPU requests (the labs need at most 1 core in one namespace at the largest replica counts).",
        schema: cpu,
    },
    quotaMemoryRequests: {
        type: "string",
        default: "4Gi",
        description: "ResourceQuota of every lab namespace: total memory requests.",
        schema: memory,
    },
    quotaCpuLimits: {
        type: "string",
        default: "12",
        description: "ResourceQuota of every lab namespace: total CPU limits.",
        schema: cpu,
    },
    quotaMemoryLimits: {
        type: "string",
        default: "8Gi",
        description: "ResourceQuota of every lab namespace: total memory limits.",
        schema: memory,
    },
    quotaStorage: {
        type: "string",
        default: "20Gi",
        description: "ResourceQuota of every lab namespace: total storage its claims request. Must hold what a lab claims (checked), with room to grow volumes.",
        schema: size,
    },
    quotaPods: {
        type: "integer",
        default: 20,
        description: "ResourceQuota of every lab namespace: number of pods.",
        schema: intRange(1, 1000),
    },
    defaultCpuRequest: {
        type: "string",
        default: "50m",
        description: "LimitRange of every lab namespace: CPU request of a container that sets none.",
        schema: cpu,
    },
    defaultMemoryRequest: {
        type: "string",
        default: "64Mi",
        description: "LimitRange of every lab namespace: memory request of a container that sets none.",
        schema: memory,
    },
    defaultCpuLimit: {
        type: "string",
        default: "500m",
        description: "LimitRange of every lab namespace: CPU limit of a container that sets none (at least defaultCpuRequest).",
        schema: cpu,
    },
    defaultMemoryLimit: {
        type: "string",
        default: "256Mi",
        description: "LimitRange of every lab namespace: memory limit of a container that sets none (at least defaultMemoryRequest).",
        schema: memory,
    },
    studentApiServer: {
        type: "string",
        default: "",
        description: `API server URL written into the student's kubeconfig; "" takes the server of the current context of the operator's kubeconfig (KUBECONFIG or ~/.kube/config).`,
        schema: optionalUrl,
    },
} as const satisfies Record<string, KeySpec<z.ZodType>>;

export type ConfigKey = keyof typeof KEYS;
type Flat = { -readonly [K in ConfigKey]: z.output<(typeof KEYS)[K]["schema"]> };

// ---- the typed result ----------------------------------------------------------

export type StorageConfig =
    | { mode: "hostPath"; root: string }
    | { mode: "nfs"; server: string; path: string };

export interface LabsConfig {
    prefix: string;
    labs: LabId[];
    storage: StorageConfig;
    keepDataOnDestroy: boolean;
    renderYamlToDirectory?: string;
    images: { postgres: string; volumePermissions: string; mongo: string; grafana: string };
    workshop: { persistence: boolean; dbSize: string; backendImage?: string };
    todo: { dbSize: string; appImage: string; ingressHost: string; ingressClassName: string };
    movies: { mongoReplicas: number; mongoSize: string; grafanaSize: string; catalogImage?: string };
    customer: { dbSize: string; backendImage?: string };
    postgresHa: { replicas: number; size: string };
    /** Per lab: the generation of its generated passwords (raised to rotate them). */
    credentialsGeneration: Record<LabId, number>;
    /** Quota, container defaults and network rules of every lab namespace. */
    fence: NamespaceFenceSettings;
    /** The student's kubeconfig: the API server it points at, when known. */
    student: { apiServer?: string };
}

export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

/**
 * What each lab's claims request in its one namespace that holds data (test/config.spec.ts
 * checks this table against the claims the labs really create).
 */
export const LAB_STORAGE: Record<LabId, { keys: string; bytes: (c: LabsConfig) => number }> = {
    workshop: { keys: "workshopDbSize", bytes: (c) => parseQuantity(c.workshop.dbSize) },
    todo: { keys: "todoDbSize", bytes: (c) => parseQuantity(c.todo.dbSize) },
    movies: {
        keys: "moviesMongoSize × moviesMongoReplicas + moviesGrafanaSize",
        bytes: (c) => parseQuantity(c.movies.mongoSize) * c.movies.mongoReplicas + parseQuantity(c.movies.grafanaSize),
    },
    customer: { keys: "customerDbSize", bytes: (c) => parseQuantity(c.customer.dbSize) },
    "postgres-ha": { keys: "postgresHaSize × postgresHaReplicas", bytes: (c) => parseQuantity(c.postgresHa.size) * c.postgresHa.replicas },
};

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

/**
 * The most pods a lab runs at once in one of its namespaces: its workloads' replicas, a Job
 * that runs beside them, and one more pod per Deployment during a rolling update (test/config.spec.ts
 * checks this table against the labs' objects).
 */
export const LAB_PODS: Record<LabId, { keys: string; pods: (c: LabsConfig) => number }> = {
    workshop: { keys: "workshopBackendImage", pods: (c) => 1 + (c.workshop.backendImage ? 2 : 0) },
    todo: { keys: "the app's rolling update", pods: () => 2 },
    movies: { keys: "moviesMongoReplicas, moviesCatalogImage", pods: (c) => c.movies.mongoReplicas + 2 + (c.movies.catalogImage ? 2 : 0) },
    customer: { keys: "customerBackendImage", pods: (c) => 1 + (c.customer.backendImage ? 2 : 0) },
    "postgres-ha": { keys: "postgresHaReplicas", pods: (c) => c.postgresHa.replicas },
};

function podQuotaProblems(config: LabsConfig, given: unknown, ns: string): string[] {
    return config.labs.flatMap((lab) => {
        const pods = LAB_PODS[lab].pods(config);
        return pods <= config.fence.quota.pods
            ? []
            : [`${ns}quotaPods: ${describe(given, "quotaPods")} is not accepted; expected at least ${pods}, the pods lab ${lab} runs at once in one namespace (${LAB_PODS[lab].keys}); raise quotaPods or lower those counts`];
    });
}

// Keys of the other storage mode are not silently ignored: a user who sets nfsServer but not
// storageMode would otherwise get hostPath volumes on the node. The engine hands the program
// Pulumi.yaml's declared defaults as values too: a key at its default counts as not set.
const MODE_KEYS = { hostPath: ["hostPathRoot"], nfs: ["nfsServer", "nfsPath"] } as const;
function modeProblems(config: LabsConfig, input: Record<string, unknown>, ns: string): string[] {
    const other = config.storage.mode === "nfs" ? "hostPath" : "nfs";
    return MODE_KEYS[other]
        .filter((k) => input[k] !== undefined && input[k] !== KEYS[k].default)
        .map((k) => `${ns}${k}: ${describe(input[k])} is not accepted when storageMode is ${config.storage.mode}; it applies to storageMode ${other} only: set storageMode to ${other}, or remove ${k}`);
}

const schema = z
    .object(Object.fromEntries(Object.entries(KEYS).map(([k, spec]) => [k, (spec.schema as z.ZodType).default(spec.default as never)])) as {
        [K in ConfigKey]: z.ZodDefault<(typeof KEYS)[K]["schema"]>;
    })
    .strict()
    .superRefine((c, ctx) => {
        if (c.storageMode === "nfs") {
            const when = { when: "storageMode is nfs" };
            if (!c.nfsServer) ctx.addIssue({ code: "custom", path: ["nfsServer"], input: c.nfsServer, params: when, message: "the NFS server's host name or IP address" });
            if (!c.nfsPath) ctx.addIssue({ code: "custom", path: ["nfsPath"], input: c.nfsPath, params: when, message: "the exported directory, an absolute path such as /srv/nfs/state-labs" });
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
    const spec = (KEYS as Record<string, KeySpec<z.ZodType>>)[key];
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
    const spec = key === undefined ? undefined : (KEYS as Record<string, KeySpec<z.ZodType>>)[key];
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
            for (const p of issue.path.slice(1)) value = (value as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey];
            const where = issue.path.length > 1 ? `${ns}${key}[${issue.path.slice(1).join("][")}]` : `${ns}${key}`;
            if (issue.code === "custom" && issue.params?.when) {
                const what = value === undefined || value === "" ? "not set" : `${describe(value)} is not accepted`;
                return [`${where}: ${what}, but required when ${issue.params.when}; expected ${issue.message}`];
            }
            return [`${where}: ${describe(value, issue.path.length === 1 ? key : undefined)} is not accepted; expected ${issue.message}`];
        });
        throw new ConfigError(problems);
    }
    const config = toLabsConfig(result.data as Flat);
    const problems = [...modeProblems(config, input, ns), ...quotaProblems(config, input.quotaStorage, ns), ...podQuotaProblems(config, input.quotaPods, ns)];
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
}

function toLabsConfig(c: Flat): LabsConfig {
    const storage: StorageConfig =
        c.storageMode === "nfs" ? { mode: "nfs", server: c.nfsServer, path: c.nfsPath } : { mode: "hostPath", root: c.hostPathRoot };
    return {
        prefix: c.prefix,
        labs: c.labs as LabId[],
        storage,
        keepDataOnDestroy: c.keepDataOnDestroy,
        renderYamlToDirectory: c.renderYamlToDirectory || undefined,
        images: { postgres: c.postgresImage, volumePermissions: c.volumePermissionsImage, mongo: c.mongoImage, grafana: c.grafanaImage },
        workshop: {
            persistence: c.workshopPersistence,
            dbSize: c.workshopDbSize,
            backendImage: c.workshopBackendImage || undefined,
        },
        todo: {
            dbSize: c.todoDbSize,
            appImage: c.todoAppImage,
            // one host per stack, so students on one cluster do not share an Ingress host
            ingressHost: c.todoIngressHost || `todo.${c.prefix}.labs.local`,
            ingressClassName: c.todoIngressClassName,
        },
        movies: {
            mongoReplicas: c.moviesMongoReplicas,
            mongoSize: c.moviesMongoSize,
            grafanaSize: c.moviesGrafanaSize,
            catalogImage: c.moviesCatalogImage || undefined,
        },
        customer: { dbSize: c.customerDbSize, backendImage: c.customerBackendImage || undefined },
        postgresHa: { replicas: c.postgresHaReplicas, size: c.postgresHaSize },
        credentialsGeneration: {
            workshop: c.workshopCredentialsGeneration,
            todo: c.todoCredentialsGeneration,
            movies: c.moviesCredentialsGeneration,
            customer: c.customerCredentialsGeneration,
            "postgres-ha": c.postgresHaCredentialsGeneration,
        },
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
            ingressControllerNamespace: c.ingressControllerNamespace,
        },
        student: { apiServer: c.studentApiServer || undefined },
    };
}

/**
 * The API server of the current context of the kubeconfig the Kubernetes provider uses as
 * well: the files in KUBECONFIG (the first to set a name wins, as kubectl merges them), else
 * ~/.kube/config. Undefined when there is none or it names no server.
 */
export function ambientApiServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const files = env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter).filter(Boolean) : env.HOME ? [path.join(env.HOME, ".kube", "config")] : [];
    const docs = files.flatMap((f) => {
        try {
            return [parseYaml(fs.readFileSync(f, "utf8")) ?? {}];
        } catch {
            return [];
        }
    });
    const current = docs.map((d) => d["current-context"]).find(Boolean);
    const find = (list: string, name: unknown) => docs.flatMap((d) => d[list] ?? []).find((e: { name?: string }) => e?.name === name);
    const cluster = find("contexts", current)?.context?.cluster;
    const server = find("clusters", cluster)?.cluster?.server;
    return typeof server === "string" && server ? server : undefined;
}

/** Reads the running stack's configuration; the student's API server defaults from `env`'s kubeconfig. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LabsConfig {
    const config = parseConfig(pulumi.runtime.allConfig(), pulumi.getProject());
    config.student.apiServer ??= ambientApiServer(env);
    return config;
}
