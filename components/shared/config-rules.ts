// Value rules of config keys: zod schemas whose messages say what is accepted, and the
// shape of a key's declaration. Here, not in stacks/, so each lab declares its own keys
// beside its component (components/labs/*-lab.config.ts) with the same rules.
import * as path from "path";
import { z } from "zod";
import { DNS_LABEL } from "./naming";
import { isQuantity, parseQuantity } from "./quantity";

export type KeyType = "string" | "integer" | "boolean" | "array";

/**
 * One config key: Pulumi.yaml's type, default and description, the README table's meaning
 * (markdown, shorter), and its validation. tools/config-docs.ts writes both documents from it.
 */
export interface KeySpec<S extends z.ZodType = z.ZodType> {
    type: KeyType;
    default: z.input<S>;
    /** One text for Pulumi.yaml and the README's table (tools/config-docs.ts writes both). */
    description: string;
    schema: S;
}

/** The validated values of a set of keys, by key. */
export type KeyValues<K extends Record<string, KeySpec>> = { -readonly [P in keyof K]: z.output<K[P]["schema"]> };

// host name or IPv4/IPv6 literal, as a PV's nfs.server accepts
const HOST = /^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$|^\[?[0-9a-fA-F:.]+\]?$/;
// repository[:tag][@digest]; a tag or digest is required so images stay pinned
export const IMAGE = /^[a-z0-9]+([._\-/:][a-z0-9]+)*(:[\w][\w.-]{0,127})(@sha256:[a-f0-9]{64})?$|^[a-z0-9]+([._\-/:][a-z0-9]+)*@sha256:[a-f0-9]{64}$/;

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
export function oneOf<const T extends readonly [string, ...string[]]>(options: T, expected: string) {
    return z.enum(options, { error: (issue) => `${expected}${hint(issue.input, options)}` });
}

export function rule(check: (v: string) => boolean, accepted: string | ((v: string) => string)) {
    return z.string({ error: typeof accepted === "string" ? accepted : accepted("") }).superRefine((v, ctx) => {
        if (!check(v)) {
            ctx.addIssue({ code: "custom", message: typeof accepted === "string" ? accepted : accepted(v), input: v });
        }
    });
}

export const dnsLabel = (max: number) =>
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
export const size = quantity("200Mi, 2Gi or 1Ti");
export const memory = quantity("256Mi or 4Gi");
export const cpu = quantity("500m or 2 (cores)");
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
export const storageRoot = (example: string, optional: boolean) =>
    rule(
        (v) => (optional && v === "") || storageRootProblem(v) === undefined,
        (v) => `a clean absolute path that is a directory of its own, such as ${example} (not / or a system directory; no "..", "." or trailing "/")${v ? `: ${storageRootProblem(v)}` : ""}`,
    );
// A node's name as its `kubernetes.io/hostname` label carries it (a label value: 63 characters at most).
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const optionalNodeName = rule(
    (v) => v === "" || (v.length <= 63 && NODE_NAME.test(v)),
    "a node name as `kubectl get nodes` shows it, such as minikube or kind-control-plane (lowercase letters, digits, '-' and '.', at most 63 characters)",
);
// A provisioner's name: a CSI driver's is a DNS subdomain; in-tree ones look like kubernetes.io/aws-ebs.
export const optionalProvisioner = rule(
    (v) => v === "" || (v.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)?$/.test(v)),
    "a provisioner name as `kubectl get storageclass` shows it, such as hostpath.csi.k8s.io or ebs.csi.aws.com",
);
/** `key=value` entries with distinct keys (a StorageClass's parameters). */
export const keyValueList = z
    .array(rule((v) => /^[^=\s]+=.*$/.test(v), "a key=value entry such as type=gp3"), { error: "a list of key=value entries such as [\"type=gp3\"]" })
    .superRefine((v, ctx) => {
        const keys = v.map((e) => e.slice(0, e.indexOf("=")));
        const dup = keys.find((k, i) => keys.indexOf(k) !== i);
        if (dup !== undefined) ctx.addIssue({ code: "custom", message: `each key at most once (${dup} is given twice)`, input: dup });
    });
export const optionalHost = rule((v) => v === "" || HOST.test(v), "a host name or IP address such as 192.168.49.1 or nfs.example.internal");
export const image = rule((v) => IMAGE.test(v), "a pinned image reference such as postgres:17.6 (a tag or digest is required)");
/** The major version in an image's tag when the image is `name` (any registry): `postgres:17.6` is 17. */
export function imageMajor(ref: string, name: string): number | undefined {
    const m = /^(?:.*\/)?([^/:@]+):(\d+)(?:[.-][^@]*)?(?:@.*)?$/.exec(ref);
    return m && m[1] === name ? Number(m[2]) : undefined;
}
export const postgresImage = rule(
    (v) => IMAGE.test(v) && (imageMajor(v, "postgres") ?? 0) <= 17,
    (v) =>
        IMAGE.test(v)
            ? `PostgreSQL 17 or older (18 moved PGDATA to /var/lib/postgresql/18/docker and wants its volume at /var/lib/postgresql; the labs mount /var/lib/postgresql/data), such as postgres:17.6`
            : "a pinned image reference such as postgres:17.6 (a tag or digest is required)",
);
export const optionalImage = rule((v) => v === "" || IMAGE.test(v), `a pinned image reference such as registry.example/app:1.0, or "" to leave the app out`);
export const optionalUrl = rule(
    (v) => v === "" || /^https:\/\/[^\s/]+(\/\S*)?$/.test(v),
    `an https URL of the Kubernetes API server as students reach it, such as https://192.168.49.2:8443, or "" for the server of the current kubeconfig context`,
);
export const intRange = (min: number, max: number) =>
    z.int({ error: `an integer from ${min} to ${max}` }).min(min, { error: `an integer from ${min} to ${max}` }).max(max, { error: `an integer from ${min} to ${max}` });
export const replicas = (max: number) => intRange(1, max);
export const generation = intRange(0, 1_000_000);
export const bool = z.boolean({ error: "true or false" });
