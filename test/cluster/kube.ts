// kubectl-level helpers shared by the cluster suites.
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify } from "yaml";
import { renderFiles } from "../../tools/render";
import { JsonObject, REPO_ROOT, runStack, stackFileConfig } from "../../tools/mock-runtime";
import { PROJECT } from "../../stacks/config";
import { nodeIngress } from "../../sandbox/node/stack-file";

export const BIN = path.join(process.env.LABS_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache/state-labs/toolchain"), "bin");
export const WAIT_MS = Number(process.env.LABS_WAIT_SECONDS ?? 180) * 1000;

export type Obj = JsonObject;

interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

export interface PulumiRun extends Result {
    seconds: number;
}

/** Runs a command to completion, timed, with this process's environment. */
function run(command: string, args: string[], options: { cwd?: string; input?: string; maxBuffer?: number } = {}): PulumiRun {
    const t0 = Date.now();
    const r = spawnSync(command, args, { encoding: "utf8", env: process.env, maxBuffer: 64 * 1024 * 1024, ...options });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - t0) / 1000 };
}

export function kubectl(args: string[], input?: string): Result {
    return run(path.join(BIN, "kubectl"), args, { input });
}

export function ok(args: string[], input?: string): string {
    const r = kubectl(args, input);
    assert.strictEqual(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
}

export function getJson(args: string[]): Obj {
    return JSON.parse(ok(["get", ...args, "-o", "json"]));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns true (bounded by WAIT_MS); the last reason is the failure. */
export async function until(what: string, check: () => true | string | Promise<true | string>, intervalMs = 1000): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    let reason: string;
    for (;;) {
        const r = await check();
        if (r === true) return;
        reason = r;
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${reason}`);
        await sleep(intervalMs);
    }
}

export interface Applied {
    objects: Obj[];
    namespaces: string[];
    warnings: string;
    applySeconds: number;
}

/** The cluster's first node (the oldest): where a hostPath stack of the suites keeps its directories. */
export function clusterNode(): string {
    const name = ok(["get", "nodes", "--sort-by=.metadata.creationTimestamp", "-o", "jsonpath={.items[0].metadata.name}"]).trim();
    assert.ok(name, "the cluster has no node");
    return name;
}

/** The files `npm run render` writes for a stack (config overrides without the project prefix); a hostPath stack's PVs pinned to clusterNode() unless an override says otherwise. */
export async function render(stack: string, overrides: Record<string, string> = {}) {
    const config = stackFileConfig(stack);
    const key = (k: string) => `${PROJECT}:${k}`;
    if (config[key("storageMode")] === "hostPath" && overrides.storageMode === undefined) config[key("hostPathNode")] = clusterNode();
    for (const [k, v] of Object.entries(overrides)) config[key(k)] = v;
    const run = await runStack(config, stack);
    if (run.error) throw run.error;
    return renderFiles(run);
}

/** Renders a stack as `npm run render` does and applies it server-side, strictly validated. */
export async function renderAndApply(stack: string, overrides: Record<string, string> = {}): Promise<Applied> {
    // growth patches change objects of others, and only on a stack deployed before: not applied
    const files = (await render(stack, overrides)).filter((x) => !x.file.startsWith("patches/"));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `apply-${stack}-`));
    for (const f of files) fs.writeFileSync(path.join(dir, f.file), stringify(f.object));
    const t0 = Date.now();
    const r = kubectl(["apply", "--server-side", "--validate=strict", "--field-manager=state-labs", "-f", dir]);
    fs.rmSync(dir, { recursive: true });
    assert.strictEqual(r.code, 0, `apply of ${stack} failed:\n${r.stderr}`);
    const objects = files.map((f) => f.object);
    return {
        objects,
        namespaces: objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
        warnings: r.stderr,
        applySeconds: (Date.now() - t0) / 1000,
    };
}

export function inNamespaces(kind: string, namespaces: string[]): Obj[] {
    return namespaces.flatMap((ns) => getJson([kind, "-n", ns]).items);
}

/**
 * What keeps the applied objects from being ready, or true: every claim Bound, StatefulSet
 * ready, Deployment available, Job complete, and every Service with a selector routing to a
 * Ready pod. One list call for all of it, so the benches' kubectl baseline is not slowed by
 * its own checking.
 */
export function readiness(a: Applied): true | string {
    const inScope = new Set(a.namespaces);
    const all: Obj[] = getJson(["persistentvolumeclaims,statefulsets,deployments,jobs,endpointslices", "--all-namespaces"]).items.filter((o: Obj) => inScope.has(o.metadata.namespace));
    const of = (kind: string) => all.filter((o) => o.kind === kind);
    const problems: string[] = [];
    const claims = of("PersistentVolumeClaim");
    const expected = a.objects.filter((o) => o.kind === "StatefulSet").reduce((n, s) => n + (s.spec.volumeClaimTemplates?.length ?? 0) * s.spec.replicas, 0) +
        a.objects.filter((o) => o.kind === "PersistentVolumeClaim").length;
    const pending = claims.filter((c) => c.status.phase !== "Bound");
    if (pending.length > 0 || claims.length !== expected) problems.push(`claims ${claims.length}/${expected}, pending: ${pending.map((c) => c.metadata.name).join(",")}`);
    const sts = of("StatefulSet").filter((s) => s.status.readyReplicas !== s.spec.replicas);
    if (sts.length > 0) problems.push(`StatefulSets not ready: ${sts.map((s) => `${s.metadata.name} ${s.status.readyReplicas ?? 0}/${s.spec.replicas}`).join(", ")}`);
    const deployments = of("Deployment").filter((d) => d.status.availableReplicas !== d.spec.replicas);
    if (deployments.length > 0) problems.push(`Deployments not available: ${deployments.map((d) => d.metadata.name).join(", ")}`);
    const jobs = of("Job").filter((j) => !(j.status.succeeded >= 1));
    if (jobs.length > 0) problems.push(`Jobs not complete: ${jobs.map((j) => j.metadata.name).join(", ")}`);
    // The stack does not await its ClusterIP Services (components/workloads/services.ts): here
    // every Service with a selector is shown to route to a Ready pod.
    const slices = of("EndpointSlice");
    const routed = (svc: Obj) =>
        slices.some((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.["kubernetes.io/service-name"] === svc.metadata.name && (s.endpoints ?? []).some((e: Obj) => e.conditions?.ready));
    const unrouted = a.objects.filter((o) => o.kind === "Service" && o.spec.selector).filter((svc) => !routed(svc));
    if (unrouted.length > 0) problems.push(`Services without a ready endpoint: ${unrouted.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).join(", ")}`);
    return problems.length === 0 ? true : problems.join("; ");
}

export async function waitBoundAndReady(a: Applied): Promise<void> {
    await until("claims Bound, workloads ready, Services routed", () => readiness(a), 250);
}

/**
 * The benches' kubectl baseline for a stack file under `prefix`: its objects rendered (not
 * timed), applied server-side and waited to the same readiness; the seconds of the apply and the wait.
 */
export async function kubectlUp(stack: string, prefix: string): Promise<{ applied: Applied; seconds: number }> {
    const applied = await renderAndApply(stack, { prefix });
    const t0 = Date.now();
    await waitBoundAndReady(applied);
    return { applied, seconds: applied.applySeconds + (Date.now() - t0) / 1000 };
}

/** kubectl's way to remove what kubectlUp applied: its namespaces, then the prefix's PVs and StorageClass, waited until gone. */
export function kubectlDown(applied: Applied, prefix: string): void {
    kubectl(["delete", "namespace", ...applied.namespaces, "--wait=true", "--timeout=300s"]);
    kubectl(["delete", "pv,storageclass", "-l", `state-labs.io/prefix=${prefix}`, "--wait=true"]);
}

/** What a destroy keeping data leaves of a prefix's stack (namespaces holding claims, claims, PVs), removed and waited until gone. */
export function deleteKept(prefix: string): void {
    const selector = `state-labs.io/prefix=${prefix}`;
    ok(["delete", "namespace", "-l", selector, "--wait=true", "--timeout=300s"]);
    ok(["delete", "pv,storageclass", "-l", selector, "--wait=true", "--timeout=300s"]);
}

/**
 * A copy of the project for the engine: `pulumi stack init` and `config set` write into stack
 * files. It goes in the engine's work dir (sandbox/engine/env.sh), which the suite and bench
 * scripts remove at exit. Its dev stack keeps its directories on `node` (default: this cluster's
 * first node; false: the stack file as it is, minikube).
 */
export function projectCopy(node: string | false = clusterNode()): string {
    const dir = fs.mkdtempSync(path.join(process.env.LABS_PULUMI_DIR ?? os.tmpdir(), "state-labs-engine-"));
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.nfs.yaml", "package.json", "tsconfig.json", "stacks", "components"]) {
        fs.cpSync(path.join(REPO_ROOT, f), path.join(dir, f), { recursive: true });
    }
    if (node) pinStackFile(dir, "dev", node);
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/** Sets the hostPath node of a stack file in a project copy (the only key the suites change in a file they did not write). */
export function pinStackFile(dir: string, stack: string, node: string): void {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    doc.config[`${PROJECT}:hostPathNode`] = node;
    fs.writeFileSync(file, stringify(doc));
}

/**
 * The project as it was at `commit` (the whole tree, `git archive`), for the engine: deploys
 * what an older program made, in the engine's work dir as projectCopy. Fails, saying so, when
 * the clone's history lacks the commit (a shallow clone).
 */
export function projectAt(commit: string): string {
    const known = run("git", ["-C", REPO_ROOT, "cat-file", "-e", `${commit}^{commit}`]);
    assert.strictEqual(known.code, 0, `commit ${commit} is not in the history of the clone at ${REPO_ROOT} (shallow? git fetch --unshallow): ${known.stderr.trim()}`);
    const dir = fs.mkdtempSync(path.join(process.env.LABS_PULUMI_DIR ?? os.tmpdir(), `state-labs-${commit}-`));
    const r = spawnSync("bash", ["-o", "pipefail", "-c", 'git -C "$1" archive "$2" | tar -x -C "$3"', "archive", REPO_ROOT, commit, dir], { encoding: "utf8" });
    assert.strictEqual(r.status, 0, `git archive ${commit} into ${dir} failed: ${r.stderr}`);
    // today's modules: the toolchain built the plugins today's package.json asks for
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/** A process and everything it started, parents first. */
export function processTree(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const line of run("ps", ["-e", "-o", "pid=,ppid="]).stdout.split("\n")) {
        const [p, pp] = line.trim().split(/\s+/).map(Number);
        if (p) children.set(pp, [...(children.get(pp) ?? []), p]);
    }
    const tree: number[] = [];
    for (let queue = [pid]; queue.length > 0; ) {
        const p = queue.shift()!;
        tree.push(p);
        queue.push(...(children.get(p) ?? []));
    }
    return tree;
}

/** Resident memory of a process in bytes (0 once it is gone). */
function rssBytes(pid: number): number {
    try {
        const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Number(m[1]) * 1024 : 0;
    } catch {
        return 0;
    }
}

/** CPU seconds (user + system) a process has used so far, and its program's name; undefined once it is gone. */
export function cpuOf(pid: number): { seconds: number; command: string } | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        // node runs scripts: name it after the script (the Pulumi program, ts-node, mocha...)
        const script = path.basename(argv[0]) === "node" ? argv.slice(1).find((a) => !a.startsWith("-")) : undefined;
        const command = script ? `node ${script.split("node_modules/").pop()}` : path.basename(argv[0]);
        return { seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, command };
    } catch {
        return undefined;
    }
}
const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux architecture node runs on

export interface MeasuredRun extends PulumiRun {
    /** The largest sum of resident memory over the process and everything it started, sampled every 250 ms. */
    peakRssBytes: number;
    /** CPU seconds of the process and everything it started, by program (last sample of each process). */
    cpuByCommand: Record<string, number>;
}

/** Runs a command like `run`, without blocking, sampling the summed RSS of its process tree. */
export function runMeasured(command: string, args: string[], options: { cwd?: string } = {}): Promise<MeasuredRun> {
    const t0 = Date.now();
    const child = spawn(command, args, { env: process.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    let peakRssBytes = 0;
    const cpu = new Map<number, { seconds: number; command: string }>();
    const sample = setInterval(() => {
        const tree = processTree(child.pid!);
        peakRssBytes = Math.max(peakRssBytes, tree.reduce((n, pid) => n + rssBytes(pid), 0));
        for (const pid of tree) {
            const c = cpuOf(pid);
            // an exiting process has no command line any more: keep the name it had
            if (c) cpu.set(pid, { seconds: c.seconds, command: c.command || (cpu.get(pid)?.command ?? "(exited)") });
        }
    }, 250);
    return new Promise((resolve) => {
        child.on("close", (code) => {
            clearInterval(sample);
            const cpuByCommand: Record<string, number> = {};
            for (const { seconds, command } of cpu.values()) cpuByCommand[command] = (cpuByCommand[command] ?? 0) + seconds;
            resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - t0) / 1000, peakRssBytes, cpuByCommand });
        });
    });
}

/** Whether a process is still running (a zombie counts as gone). */
export function alive(pid: number): boolean {
    const r = run("ps", ["-o", "stat=", "-p", String(pid)]);
    return r.code === 0 && !r.stdout.trim().startsWith("Z");
}

/**
 * SIGKILLs a process and everything it started. Pulumi runs its plugins (language host,
 * providers) in process groups of their own, so killing the caller's group leaves them
 * orphaned: the program's node process then spins on its lost engine, holding a core and
 * gigabytes, until the machine stops.
 */
export function killTree(pid: number): void {
    for (const p of processTree(pid)) {
        try {
            process.kill(p, "SIGKILL");
        } catch {
            // already gone
        }
    }
}

/** `npm run classroom` on a project copy (`--dir`), as a separate process. */
export function classroomCli(work: string, ...args: string[]): PulumiRun {
    return run(process.execPath, [...CLASSROOM, ...args, "--dir", work], { cwd: REPO_ROOT });
}

/** The classroom command line: node runs it with these arguments, from the repository. */
export const CLASSROOM = [require.resolve("ts-node/dist/bin"), "--transpile-only", "classroom/cli.ts"];

/** The Pulumi CLI on PATH (sandbox/engine/env.sh), non-interactive, in a project copy. */
export function pulumiCli(cwd: string, stack: string, ...args: string[]): PulumiRun {
    return run("pulumi", [...args, "--stack", stack, "--non-interactive"], { cwd, maxBuffer: 256 * 1024 * 1024 });
}

let suiteNode: { ip: string; port: number } | undefined;
/** The suite's node's Traefik, asked of sandbox/node/lib.sh once (a bash process), not at every poll of a request. */
function suiteIngress(): { ip: string; port: number } {
    if (!suiteNode) {
        const n = nodeIngress();
        suiteNode = { ip: n.nodeIp, port: n.port };
    }
    return suiteNode;
}

/** An HTTP request from this host (outside the cluster) to an ingress controller (by default the suite's node's Traefik), for `host`. */
export function requestAs(host: string, method: "GET" | "POST", urlPath: string, json?: object, to?: { ip: string; port: number }): Promise<{ status: number; body: string }> {
    const { ip, port } = to ?? suiteIngress();
    const data = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    return new Promise((resolve) => {
        const req = http.request(
            { host: ip, port, method, path: urlPath, timeout: 10_000, headers: { Host: host, ...(data ? { "Content-Type": "application/json", "Content-Length": data.length } : {}) } },
            (res) => {
                let body = "";
                res.on("data", (d: Buffer) => (body += d.toString()));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            },
        );
        // a refused or timed-out connection is an answer too: status 0 and why
        req.on("timeout", () => req.destroy(new Error("timed out")));
        req.on("error", (e) => resolve({ status: 0, body: e.message }));
        req.end(data);
    });
}
