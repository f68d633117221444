// The one mocks harness: runs the stack program under Pulumi's mock runtime with a given
// config and records every resource it registers, with inputs resolved as the engine would
// send them to the provider. The tests, `npm run render` and the cluster suite build on it.
import * as pulumi from "@pulumi/pulumi";
import * as debuggable from "@pulumi/pulumi/runtime/debuggable";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { PROJECT, loadConfig } from "../stacks/config";
import { program } from "../stacks/program";

export const REPO_ROOT = path.resolve(__dirname, "..");

/**
 * A Kubernetes object (or a resource's inputs) as untyped JSON: Pulumi's mocks hand inputs over
 * as `any` (MockResourceArgs.inputs), kubectl prints JSON, and the specs read any path of either.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one untyped-JSON type of the harness and the specs; see eslint.config.mjs
export type JsonObject = Record<string, any>;

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface RegisteredResource {
    type: string;
    name: string;
    custom: boolean;
    /** Inputs with secrets unwrapped to their values. */
    inputs: JsonObject;
    /** JSON paths of the inputs that arrived as secrets. */
    secretPaths: string[];
    /** The state the mock returned (inputs plus what the provider would fill in). */
    state: JsonObject;
    /** Resource options that decide what an update or destroy may do to it. */
    options: { retainOnDelete?: boolean; ignoreChanges?: string[]; deleteBeforeReplace?: boolean; protect?: boolean };
    /**
     * The resources the engine would wait for before creating it (`<type>::<name>`), as the
     * program's registration states them: explicit dependsOn and the resources behind its inputs.
     */
    waitsFor: string[];
    /** The provider reference it is registered with (`<urn>::<id>`), if any: the engine waits for that provider too. */
    provider?: string;
}

export interface StackRun {
    resources: RegisteredResource[];
    outputs?: unknown;
    /** JSON paths of the outputs that are Pulumi secrets (`outputs` holds their plain values). */
    secretOutputs: string[];
    error?: Error;
    warnings: string[];
}

/** A deterministic stand-in for a generated password, recognisable in tests. */
export function mockPassword(name: string): string {
    return "mockpw" + createHash("sha256").update(name).digest("hex").slice(0, 18);
}

/** A deterministic stand-in for a ServiceAccount token. */
export function mockToken(name: string): string {
    return "mocktoken" + createHash("sha256").update(name).digest("hex").slice(0, 24);
}

export const MOCK_CA = "-----BEGIN CERTIFICATE-----\nmock-cluster-ca\n-----END CERTIFICATE-----\n";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks MockResourceArgs.inputs (`any`) and returns it in the same shape
function unwrapSecrets(v: any, at: string, secretPaths: string[]): any {
    if (Array.isArray(v)) return v.map((x, i) => unwrapSecrets(x, `${at}[${i}]`, secretPaths));
    if (v && typeof v === "object") {
        if (v[SIG_KEY] === SECRET_SIG) {
            secretPaths.push(at);
            return unwrapSecrets(v.value, at, secretPaths);
        }
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x, at ? `${at}.${k}` : k, secretPaths)]));
    }
    return v;
}

const NAMESPACED_FREE = new Set(["Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]);

/** The k8s kind of a pulumi-kubernetes type token (`kubernetes:apps/v1:StatefulSet` → StatefulSet). */
export function kindOf(type: string): string | undefined {
    const m = /^kubernetes:([^:]+):(\w+)$/.exec(type);
    return m ? m[2] : undefined;
}

export function isClusterScoped(kind: string): boolean {
    return NAMESPACED_FREE.has(kind);
}

function getPath(o: JsonObject, path: string): unknown {
    return path.split(".").reduce((x, k) => (x == null ? undefined : x[k]), o);
}

function setPath(o: JsonObject, path: string, v: unknown): void {
    const keys = path.split(".");
    const last = keys.pop()!;
    const parent = keys.reduce((x, k) => (x[k] ??= {}), o);
    if (v === undefined) delete parent[last];
    else parent[last] = v;
}

const mocks = (
    records: RegisteredResource[],
    options: Map<string, RegisteredResource["options"]>,
    previous?: StackRun,
): pulumi.runtime.Mocks => ({
    newResource(args: pulumi.runtime.MockResourceArgs) {
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(args.inputs, "", secretPaths);
        // As the engine does on an update: an ignored path keeps the value it had before.
        const before = previous?.resources.find((r) => r.type === args.type && r.name === args.name);
        for (const path of (before && options.get(`${args.type}::${args.name}`)?.ignoreChanges) || []) {
            setPath(inputs, path, structuredClone(getPath(before!.inputs, path)));
        }
        const state: JsonObject = { ...inputs };
        if (args.type.startsWith("kubernetes:") && kindOf(args.type) && !args.type.startsWith("kubernetes:index:")) {
            // The provider autonames objects without metadata.name: `<resource name>-<8 chars>`.
            const metadata = { ...(inputs.metadata ?? {}) };
            if (!metadata.name) metadata.name = `${args.name}-${createHash("sha256").update(args.name).digest("hex").slice(0, 8)}`;
            state.metadata = metadata;
        }
        if (args.type === "random:index/randomPassword:RandomPassword") {
            state.result = mockPassword(args.name);
        }
        if (args.type === "kubernetes:core/v1:Secret" && inputs.type === "kubernetes.io/service-account-token") {
            // what the token controller fills in (and the provider awaits)
            const b64 = (v: string) => Buffer.from(v).toString("base64");
            state.data = { token: b64(mockToken(args.name)), "ca.crt": b64(MOCK_CA), namespace: b64(inputs.metadata?.namespace ?? "") };
        }
        records.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs, secretPaths, state, options: {}, waitsFor: [], provider: args.provider });
        return { id: args.custom === false ? "" : `${args.name}-id`, state };
    },
    call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
    },
});

/** The JSON paths of every secret Output nested in a value, as the engine would store them. */
export async function secretPaths(value: unknown, at = ""): Promise<string[]> {
    if (pulumi.Output.isInstance(value)) {
        if (await pulumi.isSecret(value)) return [at];
        return secretPaths(await resolve(value), at);
    }
    if (Array.isArray(value)) return (await Promise.all(value.map((x, i) => secretPaths(x, `${at}[${i}]`)))).flat();
    if (value && typeof value === "object") {
        return (await Promise.all(Object.entries(value).map(([k, x]) => secretPaths(x, at ? `${at}.${k}` : k)))).flat();
    }
    return [];
}

/** Resolves every Output nested in a value (secrets become plain values). */
export function resolve<T>(value: T): Promise<pulumi.Unwrap<T>> {
    return new Promise((ok) => pulumi.output(value).apply((v) => ok(v)));
}

/**
 * Runs the stack program under mocks with `config` (`<project>:<key>` → string, as the engine
 * passes it). Never throws: a failed run reports `error` and what was registered before it.
 * With `previous` (the run before, as the last `pulumi up`), ignored changes are applied as
 * the engine would.
 */
export function runStack(config: Record<string, string>, stack = "test", previous?: StackRun): Promise<StackRun> {
    // hermetic: no kubeconfig of the machine running the tests (set studentApiServer instead)
    return runUnderMocks((rootOptions) => program(loadConfig({}), rootOptions), config, stack, previous);
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs any program (a stack or a single component) under mocks; see runStack. */
export function runUnderMocks(
    fn: (rootOptions: pulumi.ComponentResourceOptions) => unknown,
    config: Record<string, string> = {},
    stack = "test",
    previous?: StackRun,
): Promise<StackRun> {
    // The mock runtime is process-global: runs take turns.
    const next = queue.then(() => runNow(fn, config, stack, previous));
    queue = next.catch(() => undefined);
    return next;
}

async function runNow(
    fn: (rootOptions: pulumi.ComponentResourceOptions) => unknown,
    config: Record<string, string>,
    stack: string,
    previous?: StackRun,
): Promise<StackRun> {
    const resources: RegisteredResource[] = [];
    // Mocks do not see resource options; a transformation on the root does, for every child.
    const options = new Map<string, RegisteredResource["options"]>();
    const observe: pulumi.ResourceTransformation = ({ type, name, opts }) => {
        const o = opts as pulumi.CustomResourceOptions;
        options.set(`${type}::${name}`, { retainOnDelete: o.retainOnDelete, ignoreChanges: o.ignoreChanges, deleteBeforeReplace: o.deleteBeforeReplace, protect: o.protect });
        return undefined;
    };
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (...a: unknown[]) => warnings.push(a.join(" ").replace(/^warning: \[runtime\] /, ""));
    // The SDK formats a stack trace for every promise it makes (runtime/debuggable.ts), and
    // under ts-node each frame goes through source-map-support: two fifths of the suite's CPU.
    // V8's own formatting while the program runs; the source-mapped one is back for the tests.
    const errors = Error as { prepareStackTrace?: ErrorConstructor["prepareStackTrace"] };
    const prepareStackTrace = errors.prepareStackTrace;
    errors.prepareStackTrace = undefined;
    const restoreSdk = withoutSdkStacks();
    try {
        await pulumi.runtime.setMocks(mocks(resources, options, previous), PROJECT, stack, false);
        const waits = recordWaits();
        pulumi.runtime.setAllConfig(config);
        let outputs: unknown;
        try {
            outputs = fn({ transformations: [observe] });
        } catch (error) {
            return { resources, error: error as Error, secretOutputs: [], warnings };
        }
        const [resolved, secretOutputs] = await Promise.all([resolve(outputs), secretPaths(outputs)]);
        // waits until every registration has been answered
        await pulumi.runtime.disconnect();
        for (const r of resources) {
            r.options = options.get(`${r.type}::${r.name}`) ?? {};
            r.waitsFor = waits.get(`${r.type}::${r.name}`) ?? [];
        }
        return { resources, outputs: resolved, secretOutputs, warnings };
    } finally {
        console.warn = originalWarn;
        errors.prepareStackTrace = prepareStackTrace;
        restoreSdk();
    }
}

/**
 * Even formatted by V8, the stacks the SDK takes while a program runs were half of a mocked
 * run's CPU, and nothing reads them under mocks: every promise it makes keeps one for its
 * leak report (debuggable.ts), and every resource takes the whole stack (no frame limit) for
 * the source position it sends the engine, which mocks drop. Both go for the run; the
 * program's own errors keep their stacks. Returns what puts them back.
 */
function withoutSdkStacks(): () => void {
    type Debuggable = { debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> };
    type Callsites = { callsites: () => unknown[] };
    const sdk = debuggable as unknown as Debuggable;
    const resource = pulumi.Resource as unknown as Callsites;
    const [debuggablePromise, callsites] = [sdk.debuggablePromise, resource.callsites];
    sdk.debuggablePromise = (p, ctx) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return debuggablePromise(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    resource.callsites = () => [];
    return () => {
        sdk.debuggablePromise = debuggablePromise;
        resource.callsites = callsites;
    };
}

/**
 * Mocks see neither dependsOn nor the resources behind Outputs; the registration request the
 * mock monitor receives names both, by URN (`...::<parent type>$<type>::<name>`), as the engine gets them.
 */
function recordWaits(): Map<string, string[]> {
    const waits = new Map<string, string[]>();
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterResourceRequest, cb: unknown): Promise<void> };
    const register = monitor.registerResource.bind(monitor);
    const keyOf = (urn: string) => urn.split("::").slice(-2).map((part, i) => (i === 0 ? part.split("$").pop() : part)).join("::");
    monitor.registerResource = (req, cb) => {
        const urns = new Set<string>(req.getDependenciesList());
        req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }) => deps.getUrnsList().forEach((u) => urns.add(u)));
        waits.set(`${req.getType()}::${req.getName()}`, [...urns].map(keyOf).sort());
        return register(req, cb);
    };
    return waits;
}

/** Reads `Pulumi.<stack>.yaml` as the engine would hand its values to the program. */
export function stackFileConfig(stack: string, root = REPO_ROOT): Record<string, string> {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    const doc = parseYaml(fs.readFileSync(file, "utf8")) ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries<unknown>(doc.config ?? {})) {
        if (v && typeof v === "object" && "secure" in v) {
            throw new Error(`${file}: ${k} is an encrypted secret; stack files of this project hold none`);
        }
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

/** The Kubernetes objects of a run, as they would be applied. */
export function kubernetesObjects(run: StackRun): { type: string; name: string; object: JsonObject }[] {
    return run.resources
        .filter((r) => r.custom && kindOf(r.type) && !r.type.startsWith("kubernetes:index:") && !r.type.startsWith("pulumi:providers:"))
        .map((r) => {
            const [group, version] = r.type.split(":")[1].split("/");
            const apiVersion = group === "core" ? version : `${group}/${version}`;
            const kind = kindOf(r.type)!.replace(/Patch$/, "");
            const isPatch = r.type.endsWith("Patch");
            const object = { apiVersion, kind, ...r.inputs, metadata: r.state.metadata ?? r.inputs.metadata };
            if (isPatch) object.metadata = { ...object.metadata, annotations: { ...(object.metadata?.annotations ?? {}), "state-labs.io/patch": "true" } };
            return { type: r.type, name: r.name, object };
        });
}
