// A newcomer's first steps, each run as the real command in the environment that breaks it: PATH without `pulumi`, no login, no passphrase or the wrong one, a stack
// another run holds, KUBECONFIG at nothing, at an unknown context, at a closed port, at a
// server that refuses the credentials or whose certificate is not the kubeconfig's CA, an
// unknown stack name. Each must end in one message and exit 2, no stack trace, nothing run.
// No Pulumi CLI, cluster or network needed: a fake `pulumi` on PATH records any call, and the
// API servers are this process's own. A child process costs about 2 s of CPU (node, the SDK and
// the Kubernetes client; test/register.js spares it the transpile), so one case per entry point
// runs as a child, to show what only the real process shows (its exit status, all it prints up
// to its exit, no stack trace): the classroom CLI's `up` past every Pulumi check to the cluster,
// the deepest path, and render. Every other case runs through the CLI's main() in this process
// with only its env: the same checks, the same message, exit code and nothing touched.
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { main } from "../classroom/cli";
import { PreflightError, opensSalt, requireUnlocked } from "../classroom/preflight";
import { REPO_ROOT } from "../tools/mock-runtime";

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "newcomer-"));
const HOME = path.join(TMP, "home"); // no ~/.kube/config, no ~/.pulumi
fs.mkdirSync(HOME);

/** A PATH with node alone, and one with node and a fake `pulumi` that records every call. */
const NODE_ONLY = path.join(TMP, "bin-node");
const WITH_PULUMI = path.join(TMP, "bin-pulumi");
const CALLS = path.join(TMP, "pulumi-calls");
for (const d of [NODE_ONLY, WITH_PULUMI]) {
    fs.mkdirSync(d);
    fs.symlinkSync(process.execPath, path.join(d, "node"));
}
fs.writeFileSync(path.join(WITH_PULUMI, "pulumi"), `#!/bin/sh\necho "$@" >>'${CALLS}'\nexit 1\n`, { mode: 0o755 });

/** A project dir for --dir: the dev stack file, and a student's stack file with a passphrase salt. */
const PROJECT_DIR = path.join(TMP, "project");
fs.mkdirSync(PROJECT_DIR);
for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.nfs.yaml"]) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(PROJECT_DIR, f));
const ROSTER = path.join(TMP, "class.csv");
fs.writeFileSync(ROSTER, "id,name\nada,Ada Lovelace\n");

/** An encryptionsalt as the CLI's passphrase secrets manager writes it (crypt.go: PBKDF2-SHA256 1e6, AES-256-GCM of "pulumi"). */
function encryptionSalt(phrase: string): string {
    const salt = crypto.randomBytes(8);
    const nonce = crypto.randomBytes(12);
    const c = crypto.createCipheriv("aes-256-gcm", crypto.pbkdf2Sync(phrase, salt, 1_000_000, 32, "sha256"), nonce);
    const sealed = Buffer.concat([c.update("pulumi"), c.final(), c.getAuthTag()]);
    return `v1:${salt.toString("base64")}:v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
}
const SALT = encryptionSalt("right-phrase");
fs.writeFileSync(path.join(PROJECT_DIR, "Pulumi.student-ada.yaml"), `encryptionsalt: ${SALT}\nconfig:\n  state-labs:prefix: ada\n`);

/** A file backend with ada's stack locked by a live process (this one). */
const LOCKED = path.join(TMP, "locked-state");
const lockDir = path.join(LOCKED, ".pulumi", "locks", "organization", "state-labs", "student-ada");
fs.mkdirSync(lockDir, { recursive: true });
fs.writeFileSync(path.join(lockDir, "0d1c.json"), JSON.stringify({ pid: process.pid, username: "tutor", hostname: os.hostname(), timestamp: "2026-11-30T10:00:00Z" }));

function kubeconfig(name: string, server: string, opts: { context?: string; skipTLS?: boolean } = {}): string {
    const f = path.join(TMP, `${name}.kubeconfig`);
    const cluster: Record<string, unknown> = { server, ...(opts.skipTLS ? { "insecure-skip-tls-verify": true } : {}) };
    fs.writeFileSync(
        f,
        stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "lab", cluster }],
            users: [{ name: "tutor", user: { token: "not-a-token" } }],
            contexts: [{ name: "lab", context: { cluster: "lab", user: "tutor" } }],
            "current-context": opts.context ?? "lab",
        }),
    );
    return f;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
    const s = http.createServer();
    await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
    const port = (s.address() as AddressInfo).port;
    await new Promise((ok) => s.close(ok));
    return port;
}

async function listen(s: http.Server | https.Server): Promise<number> {
    await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
    return (s.address() as AddressInfo).port;
}

interface Run {
    code: number;
    stderr: string;
    stdout: string;
}
/** The real command, as npm runs it, in a child process with only `env` (plus HOME, no PATH beyond it). */
function run(args: string[], env: Record<string, string>): Promise<Run> {
    const child = spawn(process.execPath, ["-r", path.join(REPO_ROOT, "test", "register.js"), ...args], {
        cwd: REPO_ROOT,
        env: { HOME, PATH: NODE_ONLY, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })));
}
const classroom = (args: string[], env: Record<string, string>) => run(["classroom/cli.ts", ...args, "--dir", PROJECT_DIR], env);

/**
 * The same command line through the CLI's main() in this process, with only `env`: for the
 * cases whose process exit a child already shows (the same entry point), as each child costs
 * about 2 s of CPU.
 */
async function inProcess(args: string[], env: Record<string, string>): Promise<Run> {
    const saved = { env: process.env, err: process.stderr.write.bind(process.stderr), out: process.stdout.write.bind(process.stdout) };
    let stderr = "";
    let stdout = "";
    process.env = { HOME, PATH: NODE_ONLY, ...env };
    process.stderr.write = ((t: string) => ((stderr += t), true));
    process.stdout.write = ((t: string) => ((stdout += t), true));
    try {
        const code = await main(["node", "classroom", ...args, "--dir", PROJECT_DIR]);
        process.exitCode = undefined;
        return { code, stderr, stdout };
    } finally {
        process.env = saved.env;
        process.stderr.write = saved.err;
        process.stdout.write = saved.out;
    }
}

/** The environment of every case past a given check: a CLI, a login, the right passphrase, a live cluster. */
const LOGGED_IN = { PATH: WITH_PULUMI, PULUMI_BACKEND_URL: `file://${path.join(TMP, "state")}` };

interface Case {
    name: string;
    start: () => Promise<Run>;
    message: RegExp[];
    /** Run through main() in this process (see inProcess), after the child processes. */
    inline?: boolean;
    result?: Promise<Run>;
}

describe("a newcomer's failures: one message, exit 2, nothing touched (real commands: a child process per entry point, the rest through main())", function () {
    this.timeout(600_000);
    const servers: (http.Server | https.Server)[] = [];
    const cases: Case[] = [];
    let refused = "";
    let unauthorised = "";
    let badCert = "";

    before(async () => {
        refused = kubeconfig("refused", `https://127.0.0.1:${await closedPort()}`);
        const deny = http.createServer((_req, res) => res.writeHead(401, { "Content-Type": "application/json" }).end('{"kind":"Status","code":401,"message":"Unauthorized"}'));
        servers.push(deny);
        unauthorised = kubeconfig("unauthorised", `http://127.0.0.1:${await listen(deny)}`, { skipTLS: true });
        // a server whose self-signed certificate no CA of the kubeconfig vouches for (an EC key:
        // an RSA key took openssl up to 0.6 s of CPU to generate)
        const [key, cert] = [path.join(TMP, "tls.key"), path.join(TMP, "tls.crt")];
        const pem = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1", "-days", "1"], { encoding: "utf8" });
        if (pem.status === 0) {
            const tls = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (_req, res) => res.end("{}"));
            servers.push(tls);
            badCert = kubeconfig("bad-cert", `https://127.0.0.1:${await listen(tls)}`);
        }
        const ok = { ...LOGGED_IN, PULUMI_CONFIG_PASSPHRASE: "right-phrase", KUBECONFIG: refused };
        cases.push(
            { name: "up without a Pulumi CLI", start: () => inProcess(["up", "--roster", ROSTER], {}), message: [/^classroom: no Pulumi CLI on PATH/, /get\.pulumi\.com/, /npm run local -- up/], inline: true },
            { name: "preview without a Pulumi CLI", start: () => inProcess(["preview", "--roster", ROSTER], {}), message: [/no Pulumi CLI on PATH/], inline: true },
            { name: "destroy without a Pulumi CLI", start: () => inProcess(["destroy", "--roster", ROSTER, "--yes"], {}), message: [/no Pulumi CLI on PATH/], inline: true },
            // reset deletes data before its closing `up`: the CLI is checked first
            { name: "reset without a Pulumi CLI", start: () => inProcess(["reset", "--roster", ROSTER, "--only", "ada", "--lab", "workshop", "--yes"], {}), message: [/no Pulumi CLI on PATH/], inline: true },
            { name: "kubeconfig without a Pulumi CLI", start: () => inProcess(["kubeconfig", "ada"], {}), message: [/no Pulumi CLI on PATH/], inline: true },
            { name: "up, not logged in", start: () => inProcess(["up", "--roster", ROSTER], { PATH: WITH_PULUMI }), message: [/no Pulumi state backend: not logged in/, /pulumi login --local/], inline: true },
            { name: "up, no passphrase", start: () => inProcess(["up", "--roster", ROSTER], LOGGED_IN), message: [/PULUMI_CONFIG_PASSPHRASE is not set/], inline: true },
            {
                name: "up, the wrong passphrase",
                start: () => inProcess(["up", "--roster", ROSTER], { ...LOGGED_IN, PULUMI_CONFIG_PASSPHRASE: "wrong-phrase" }),
                message: [/PULUMI_CONFIG_PASSPHRASE is not the passphrase of stack student-ada: the encryptionsalt of .*Pulumi\.student-ada\.yaml does not open with it/],
                inline: true,
            },
            {
                name: "up, a stack locked by a live run",
                start: () => inProcess(["up", "--roster", ROSTER], { ...ok, PULUMI_BACKEND_URL: `file://${LOCKED}` }),
                message: [new RegExp(`stack student-ada is locked by another run: tutor@.* \\(pid ${process.pid}\\)`), /pulumi cancel --stack student-ada/], inline: true,
            },
            {
                name: "up, the API server refusing connections",
                start: () => classroom(["up", "--roster", ROSTER], ok),
                message: [/cannot reach the cluster: connection refused by https:\/\/127\.0\.0\.1:\d+/, new RegExp(`tried: kubeconfig ${refused} \\(KUBECONFIG\\), context lab \\(cluster lab, server https://127\\.0\\.0\\.1:\\d+, user tutor\\)`)],
            },
            { name: "status, no kubeconfig", start: () => inProcess(["status", "--roster", ROSTER], { KUBECONFIG: path.join(TMP, "nothing") }), message: [/no kubeconfig: .*nothing does not exist \(KUBECONFIG\)/], inline: true },
            { name: "status, no KUBECONFIG and no ~/.kube/config", start: () => inProcess(["status", "--roster", ROSTER], {}), message: [/no kubeconfig: .*\.kube\/config does not exist and KUBECONFIG is unset/], inline: true },
            {
                name: "check, an unknown context",
                start: () => inProcess(["check", "--roster", ROSTER], { KUBECONFIG: kubeconfig("unknown-context", "https://127.0.0.1:1", { context: "minikube" }) }),
                message: [/unknown context "minikube"; its contexts: lab/, /kubectl config use-context/], inline: true,
            },
            { name: "status, the API server refusing connections", start: () => inProcess(["status", "--roster", ROSTER], { KUBECONFIG: refused }), message: [/cannot reach the cluster: connection refused/, /context lab/], inline: true },
            { name: "status, credentials refused", start: () => inProcess(["status", "--roster", ROSTER], { KUBECONFIG: unauthorised }), message: [/unauthorised: the API server refused the credentials of user tutor/], inline: true },
            { name: "up, an unknown base stack", start: () => inProcess(["up", "--roster", ROSTER, "--base", "prod"], {}), message: [/--base prod: no stack file Pulumi\.prod\.yaml .*; expected one of dev, nfs/], inline: true },
            { name: "render, an unknown stack", start: () => run(["tools/render.ts", "--stack", "prod", "--out", path.join(TMP, "out")], {}), message: [/^render: --stack prod: there is no stack file Pulumi\.prod\.yaml .*; the stacks there are: dev, dynamic, nfs/] },
        );
        if (badCert) {
            cases.push({
                name: "status, a certificate no CA of the kubeconfig vouches for",
                start: () => inProcess(["status", "--roster", ROSTER], { KUBECONFIG: badCert }),
                message: [/cannot reach the cluster: certificate: .*SELF_SIGNED/], inline: true,
            });
        }
        // the children (one per entry point) run while the rest go through main() here: they
        // are given their env, and print to pipes of their own
        const t0 = Date.now();
        const children = cases.filter((c) => !c.inline);
        let childrenTook = 0;
        const exited = Promise.all(children.map((c) => (c.result = c.start()))).then(() => (childrenTook = Date.now() - t0));
        for (const c of cases.filter((x) => x.inline)) {
            c.result = c.start();
            await c.result;
        }
        const inlineTook = Date.now() - t0;
        await exited;
        console.log(`      (${children.length} child processes in ${(childrenTook / 1000).toFixed(1)} s, ${cases.length - children.length} in this process in ${(inlineTook / 1000).toFixed(1)} s)`);
    });

    after(() => {
        for (const s of servers) s.close();
    });

    it("each case: exit 2 and its message, no stack trace, no Pulumi command run", async () => {
        const failures: string[] = [];
        for (const c of cases) {
            const r = await c.result!;
            const problems = [
                ...(r.code === 2 ? [] : [`exit ${r.code}`]),
                ...c.message.filter((m) => !m.test(r.stderr)).map((m) => `no ${m}`),
                ...(/^\s+at /m.test(r.stderr) ? ["a stack trace"] : []),
            ];
            if (problems.length) failures.push(`${c.name}: ${problems.join(", ")}\n${r.stderr}`);
        }
        assert.deepStrictEqual(failures, []);
        assert.ok(!fs.existsSync(CALLS), `pulumi was run: ${fs.existsSync(CALLS) ? fs.readFileSync(CALLS, "utf8") : ""}`);
        assert.ok(!fs.existsSync(path.join(TMP, "state")), "the file backend was written");
        assert.ok(!fs.existsSync(path.join(TMP, "out")), "render wrote its output");
        assert.ok(!fs.existsSync(path.join(PROJECT_DIR, ".classroom")), "a student's log was written");
    });

    it("the certificate case ran (openssl made the server's certificate)", function () {
        if (!badCert) this.skip();
    });

    it("a lock stops the class only when it is this project's stack and its run still goes (a dead one is resumed by class.ts)", () => {
        const backend = path.join(TMP, "locks-state");
        const lock = (project: string, stack: string, pid: number, host = os.hostname()) => {
            const dir = path.join(backend, ".pulumi", "locks", "organization", project, stack);
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, `${project}-${pid}.json`), JSON.stringify({ pid, username: "u", hostname: host, timestamp: "t" }));
        };
        lock("other-project", "student-ada", process.pid);
        const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
        lock("state-labs", "student-ada", dead);
        lock("state-labs", "student-bob", process.pid);
        assert.doesNotThrow(() => requireUnlocked(`file://${backend}`, ["student-ada"], "state-labs"));
        assert.throws(() => requireUnlocked(`file://${backend}`, ["student-ada", "student-bob"], "state-labs"), (e: Error) => e instanceof PreflightError && /stack student-bob is locked/.test(e.message));
        lock("state-labs", "student-cy", 1, "another-host");
        assert.throws(() => requireUnlocked(`file://${backend}`, ["student-cy"], "state-labs"), /u@another-host \(pid 1\)/);
    });

    it("the passphrase check reads salts as the CLI writes them: the right phrase opens one, others do not", () => {
        assert.strictEqual(opensSalt("right-phrase", SALT), true);
        assert.strictEqual(opensSalt("wrong-phrase", SALT), false);
        // a salt the CLI wrote (a public example): its shape is known, its phrase is not this one
        assert.strictEqual(opensSalt("x", "v1:GEHe83S30O0=:v1:s8vb7cVFSz64pUmv:Ff5AbbcbTSim8cBwDCQCwraGHEQQ/A=="), false);
        assert.strictEqual(opensSalt("x", "v1:abc"), undefined, "an unknown shape is not judged");
    });
});
