// What a command needs from its environment, checked before it touches anything: a Pulumi CLI,
// a state backend, the passphrase of file-backend stacks, stacks no other run holds, and a
// cluster that answers. Each problem is one PreflightError: one message, exit 2 (cli.ts), no
// stack trace. Why here and not in each command: the Automation API and the Kubernetes client
// fail late and obscurely (`spawn pulumi ENOENT`, "HTTP protocol is not allowed" after
// falling back to http://localhost), sometimes after a reset has already deleted data.
import * as k8s from "@kubernetes/client-node";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";

/** A bad environment or invocation: nothing was touched. */
export class PreflightError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PreflightError";
    }
}

/** The project's stack files (Pulumi.<stack>.yaml), by stack name; what --base and --stack may name. */
export function stackFiles(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}

/** An unknown stack name: the stacks there are. */
export function requireStackFile(dir: string, stack: string, flag = "--stack"): string {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (fs.existsSync(file)) return file;
    const known = stackFiles(dir).filter((s) => !s.startsWith("student-"));
    throw new PreflightError(`${flag} ${stack}: there is no stack file Pulumi.${stack}.yaml in ${dir}; the stacks there are: ${known.join(", ") || "none"}`);
}

/** The first executable called `name` on PATH. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
        const f = path.join(dir, name);
        try {
            fs.accessSync(f, fs.constants.X_OK);
            if (fs.statSync(f).isFile()) return f;
        } catch {
            // not here
        }
    }
    return undefined;
}

export function requirePulumi(): void {
    if (onPath("pulumi")) return;
    throw new PreflightError(
        [
            "no Pulumi CLI on PATH: the classroom runs each student's stack through it.",
            "  install it: curl -fsSL https://get.pulumi.com | sh   (or see https://www.pulumi.com/docs/install/), then open a new shell;",
            "  or try the classroom on this machine's local cluster, with a Pulumi engine built here (Debian, root):",
            "    npm run local -- up && npm run local -- classroom up   (a class of two: sandbox/classroom-roster.csv)",
        ].join("\n"),
    );
}

const pulumiHome = () => process.env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");

/** The state backend the CLI would use: PULUMI_BACKEND_URL, else the one `pulumi login` recorded. */
export function backendUrl(): string | undefined {
    if (process.env.PULUMI_BACKEND_URL) return process.env.PULUMI_BACKEND_URL;
    try {
        const creds = JSON.parse(fs.readFileSync(path.join(pulumiHome(), "credentials.json"), "utf8")) as { current?: string };
        if (creds.current) return creds.current;
    } catch {
        // no login recorded
    }
    return process.env.PULUMI_ACCESS_TOKEN ? "https://api.pulumi.com" : undefined;
}

export function requireBackend(): string {
    const url = backendUrl();
    if (url) return url;
    throw new PreflightError(
        [
            `no Pulumi state backend: not logged in (PULUMI_BACKEND_URL is unset and ${path.join(pulumiHome(), "credentials.json")} names none).`,
            "  keep the state on this disk: pulumi login --local   (or pulumi login for Pulumi Cloud)",
        ].join("\n"),
    );
}

function passphrase(): string | undefined {
    if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) return process.env.PULUMI_CONFIG_PASSPHRASE;
    const file = process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
    if (!file) return undefined;
    try {
        return fs.readFileSync(path.resolve(file), "utf8").trim(); // trimmed, as the CLI does
    } catch (e) {
        throw new PreflightError(`PULUMI_CONFIG_PASSPHRASE_FILE=${file} cannot be read: ${(e as Error).message}`);
    }
}

/**
 * Whether `phrase` opens a passphrase stack's `encryptionsalt`: "v1:<salt>:v1:<nonce>:<sealed>",
 * the word "pulumi" sealed with AES-256-GCM under PBKDF2-SHA256(phrase, salt, 1e6 rounds), as
 * the CLI's passphrase secrets manager writes it. undefined: a format this does not know.
 */
export function opensSalt(phrase: string, encryptionSalt: string): boolean | undefined {
    const m = /^v1:([^:]+):v1:([^:]+):([^:]+)$/.exec(encryptionSalt.trim());
    if (!m) return undefined;
    const [salt, nonce, sealed] = m.slice(1).map((s) => Buffer.from(s, "base64"));
    if (sealed.length < 16 || nonce.length !== 12) return undefined;
    const key = crypto.pbkdf2Sync(phrase, salt, 1_000_000, 32, "sha256");
    try {
        const d = crypto.createDecipheriv("aes-256-gcm", key, nonce);
        d.setAuthTag(sealed.subarray(sealed.length - 16));
        return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]).toString() === "pulumi";
    } catch {
        return false;
    }
}

/**
 * The passphrase of a file backend's stacks: set, and (checked on the first of `stacks` whose
 * stack file holds a salt) the right one. One check costs about a second (PBKDF2), so one is
 * made: a class is brought up with one passphrase.
 */
export function requirePassphrase(workDir: string, backend: string, stacks: string[]): void {
    const salted = stacks
        .map((s) => ({ stack: s, file: path.join(workDir, `Pulumi.${s}.yaml`) }))
        .filter((s) => fs.existsSync(s.file))
        .map((s) => ({ ...s, salt: (parseYaml(fs.readFileSync(s.file, "utf8")) as { encryptionsalt?: string } | null)?.encryptionsalt }))
        .filter((s): s is { stack: string; file: string; salt: string } => typeof s.salt === "string");
    if (!backend.startsWith("file:") && salted.length === 0) return; // Pulumi Cloud keeps the keys
    const phrase = passphrase();
    if (phrase === undefined) {
        throw new PreflightError(
            [
                `PULUMI_CONFIG_PASSPHRASE is not set: the stacks in ${backend} encrypt their secrets (the generated passwords) with it.`,
                "  export PULUMI_CONFIG_PASSPHRASE=<the passphrase this class was brought up with>   (a new class: choose one, and keep it)",
            ].join("\n"),
        );
    }
    const first = salted[0];
    if (first && opensSalt(phrase, first.salt) === false) {
        throw new PreflightError(
            [
                `PULUMI_CONFIG_PASSPHRASE is not the passphrase of stack ${first.stack}: the encryptionsalt of ${first.file} does not open with it.`,
                "  export PULUMI_CONFIG_PASSPHRASE=<the passphrase this class was brought up with>",
            ].join("\n"),
        );
    }
}

interface LockFile {
    pid?: number;
    username?: string;
    hostname?: string;
    timestamp?: string;
}

/**
 * Whether a process of this host still runs. A zombie does not: a run killed with its parent
 * stays one until init reaps it, which can take seconds on a busy machine, and it holds no lock
 * (found when the cluster suite resumed a killed classroom run during a cold build).
 */
export function processRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (e) {
        return (e as NodeJS.ErrnoException).code !== "ESRCH";
    }
    if (!fs.existsSync("/proc/self/stat")) return true; // no /proc (not Linux): the signal's answer stands
    try {
        // /proc/<pid>/stat: "pid (comm) state ...", comm may hold spaces and parentheses
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.charAt(stat.lastIndexOf(")") + 2) !== "Z";
    } catch {
        return false; // gone since the signal
    }
}

/**
 * Stacks of a file backend locked by a run that is still going (here, or on another host).
 * A lock whose process is gone from this host is stale: the classroom removes it itself
 * (class.ts, withStaleLockRecovery), so it is no reason to stop.
 */
export function requireUnlocked(backend: string, stacks: string[], project: string): void {
    const m = /^file:\/\/([^?]*)/.exec(backend);
    if (!m) return;
    const root = path.join(m[1] === "~" || m[1].startsWith("~/") ? os.homedir() + m[1].slice(1) : m[1], ".pulumi", "locks");
    if (!fs.existsSync(root)) return;
    const wanted = new Set(stacks);
    for (const e of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
        const stack = path.basename(e.parentPath);
        if (!e.isFile() || !e.name.endsWith(".json") || !wanted.has(stack)) continue;
        // locks/<org>/<project>/<stack>/<id>.json, or locks/<stack>/<id>.json (a backend of before projects)
        const scope = path.dirname(e.parentPath);
        if (scope !== root && path.basename(scope) !== project) continue;
        let lock: LockFile;
        try {
            lock = JSON.parse(fs.readFileSync(path.join(e.parentPath, e.name), "utf8")) as LockFile;
        } catch {
            continue;
        }
        const here = lock.hostname === os.hostname();
        if (here && typeof lock.pid === "number" && !processRunning(lock.pid)) continue;
        throw new PreflightError(
            [
                `stack ${stack} is locked by another run: ${lock.username ?? "?"}@${lock.hostname ?? "?"} (pid ${lock.pid ?? "?"}) since ${lock.timestamp ?? "?"}.`,
                `  wait for it to finish; if that run is gone for good: pulumi cancel --stack ${stack}`,
            ].join("\n"),
        );
    }
}

/** Everything a Pulumi operation on `stacks` needs, in the order a newcomer meets them. */
export function requirePulumiFor(workDir: string, stacks: string[]): void {
    requirePulumi();
    const backend = requireBackend();
    requirePassphrase(workDir, backend, stacks);
    const project = (parseYaml(fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8")) as { name?: string } | null)?.name ?? "";
    requireUnlocked(backend, stacks, project);
}

/** The kubeconfig files the client reads: KUBECONFIG's list, else ~/.kube/config. */
function kubeconfigFiles(): string[] {
    const env = process.env.KUBECONFIG;
    return env ? env.split(path.delimiter).filter(Boolean) : [path.join(os.homedir(), ".kube", "config")];
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|EPROTO/;

/** What failed when asking the API server, in words. */
function describeFailure(e: NodeJS.ErrnoException, server: string): string {
    const code = e.code ?? "";
    if (code === "ECONNREFUSED") return `connection refused by ${server} (is the cluster running?)`;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host not found: ${server}`;
    if (code === "ETIMEDOUT" || code === "TIMEOUT") return `no answer from ${server} in 10 s`;
    if (code === "ECONNRESET") return `connection reset by ${server}`;
    if (TLS_CODES.test(code)) return `certificate: ${e.message} (${code}): the server's certificate is not the one the kubeconfig's certificate-authority vouches for`;
    return `${e.message}${code ? ` (${code})` : ""}`;
}

/** GET `path` of the context's API server with its credentials: the status and body, or a transport error. */
async function probe(kc: k8s.KubeConfig, server: string, urlPath: string): Promise<{ status: number; body: string }> {
    const url = new URL(urlPath, server.endsWith("/") ? server : server + "/");
    const opts: https.RequestOptions = { method: "GET", headers: { Accept: "application/json" }, timeout: 10_000 };
    await kc.applyToHTTPSOptions(opts);
    const lib = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
        const req = lib.request(url, opts, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "TIMEOUT" })));
        req.on("error", reject);
        req.end();
    });
}

/**
 * The operator's kubeconfig and current context, shown to answer: which files were read,
 * which context, and what failed (no file, unknown context, refused, certificate,
 * unauthorised, forbidden). Returns the loaded config.
 */
export async function requireCluster(): Promise<k8s.KubeConfig> {
    const files = kubeconfigFiles();
    const where = `kubeconfig ${files.join(path.delimiter)}${process.env.KUBECONFIG ? " (KUBECONFIG)" : ""}`;
    const existing = files.filter((f) => fs.existsSync(f));
    if (existing.length === 0) {
        throw new PreflightError(
            [
                `no kubeconfig: ${files.join(", ")} does not exist${process.env.KUBECONFIG ? " (KUBECONFIG)" : " and KUBECONFIG is unset"}.`,
                "  point KUBECONFIG at your cluster's kubeconfig (minikube writes ~/.kube/config), or run on the local cluster: npm run local -- classroom ...",
            ].join("\n"),
        );
    }
    const kc = new k8s.KubeConfig();
    try {
        kc.loadFromDefault();
    } catch (e) {
        throw new PreflightError(`${where}: cannot be read: ${(e as Error).message}`);
    }
    const contexts = kc.getContexts().map((c) => c.name);
    const current = kc.getCurrentContext();
    if (!current || !contexts.includes(current)) {
        throw new PreflightError(
            [
                `${where}: ${current ? `unknown context "${current}"` : "no current context"}; its contexts: ${contexts.join(", ") || "none"}.`,
                "  choose one: kubectl config use-context <name>",
            ].join("\n"),
        );
    }
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser()?.name ?? "(none)";
    const tried = `  tried: ${where}, context ${current} (cluster ${cluster?.name ?? "?"}, server ${cluster?.server ?? "?"}, user ${user})`;
    if (!cluster?.server) throw new PreflightError(`context ${current} names no cluster with a server\n${tried}`);
    if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify) {
        throw new PreflightError(`the API server ${cluster.server} is plain HTTP, which the Kubernetes client refuses without insecure-skip-tls-verify\n${tried}`);
    }
    let answer: { status: number; body: string };
    try {
        // what every command reads first: the students' namespaces
        answer = await probe(kc, cluster.server, "api/v1/namespaces?limit=1");
    } catch (e) {
        throw new PreflightError(`cannot reach the cluster: ${describeFailure(e as NodeJS.ErrnoException, cluster.server)}\n${tried}`);
    }
    if (answer.status === 401) throw new PreflightError(`unauthorised: the API server refused the credentials of user ${user} (expired or wrong token or certificate)\n${tried}`);
    if (answer.status === 403) throw new PreflightError(`forbidden: user ${user} may not list namespaces, which the classroom needs (it acts as the class's operator)\n${tried}`);
    if (answer.status < 200 || answer.status >= 300) throw new PreflightError(`the API server answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}\n${tried}`);
    return kc;
}
