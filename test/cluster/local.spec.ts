// `npm run local` end to end (part of `npm run test:cluster`, after the real-node suites, with
// no other cluster up): `up`, the classroom on it (`npm run local -- classroom ...` with the
// sample roster: up, status, check, reset, destroy), `down`, `up` again (it used to fail with
// "incorrect passphrase": the first `up` wrote an encryptionsalt into the repository's
// Pulumi.dev.yaml), a plain `pulumi preview` of dev with a user's own backend and passphrase
// from the repository's stack file, and `git status` as it was before, whatever ran.
// sandbox/cluster/test.sh runs it as root with the toolchains built.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../tools/mock-runtime";
import { BIN, projectCopy, requestAs, until } from "./kube";

const LOCAL_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "state-labs-local-"));
const CLUSTER = "state-labs-suite";
const KUBECONFIG = path.join(BIN, "..", "clusters", CLUSTER, "kubeconfig");

/** The environment of a newcomer's shell: none of the suite's Pulumi settings. */
function newcomerEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, LABS_CLUSTER_NAME: CLUSTER, LABS_LOCAL_DIR: LOCAL_DIR };
    for (const k of Object.keys(env)) if (k.startsWith("PULUMI_") || k === "KUBECONFIG" || k === "LABS_PULUMI_DIR") delete env[k];
    return env;
}

function local(...args: string[]): { code: number; out: string; seconds: number } {
    const t0 = Date.now();
    const r = spawnSync("bash", [path.join(REPO_ROOT, "sandbox/local.sh"), ...args], { cwd: REPO_ROOT, encoding: "utf8", env: newcomerEnv(), maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? -1, out: `${r.stdout}\n${r.stderr}`, seconds: (Date.now() - t0) / 1000 };
}
const ok = (...args: string[]) => {
    const r = local(...args);
    assert.strictEqual(r.code, 0, `npm run local -- ${args.join(" ")}: exit ${r.code}\n${r.out.slice(-4000)}`);
    console.log(`      npm run local -- ${args.join(" ")}: ${r.seconds.toFixed(0)} s`);
    return r.out;
};
const gitStatus = () => spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: REPO_ROOT, encoding: "utf8" }).stdout;

describe("npm run local: up, the classroom, down, up again; the repository untouched", function () {
    this.timeout(60 * 60 * 1000);
    const before = gitStatus();

    after(() => {
        local("down");
        fs.rmSync(LOCAL_DIR, { recursive: true, force: true });
    });

    it("up deploys the dev stack's labs and says how to reach them", () => {
        const out = ok("up");
        assert.match(out, /4\/4 ready in \d+ s/);
        assert.match(out, /postgres-ha: namespaces/);
        assert.strictEqual(gitStatus(), before);
    });

    it("status says where to send the todo app's requests from this machine, and they reach it", async () => {
        const line = /from this machine: curl -H "Host: ([^"]+)" http:\/\/([\d.]+):(\d+)(\/todos)/.exec(ok("status"));
        assert.ok(line, "no address for the todo app's host");
        const [, host, ip, port, urlPath] = line;
        await until(`${host} through ${ip}:${port}`, async () => {
            const r = await requestAs(host, "GET", urlPath, undefined, { ip, port: Number(port) });
            return r.status === 200 ? true : `${r.status} ${r.body.slice(0, 200)}`;
        });
    });

    it("up again, with the cluster up, refuses with exit 2 and touches nothing", () => {
        const r = local("up");
        assert.strictEqual(r.code, 2, r.out);
        assert.match(r.out, /the local cluster is already up/);
    });

    it("the classroom runs on it with the sample roster: up, status, check, reset, destroy", async () => {
        ok("classroom", "up", "--only", "ada");
        // healthy once every pod is Ready by its probes (up waits for the workloads, not for every probe)
        await until("ada's labs healthy", () => {
            const r = local("classroom", "status", "--only", "ada");
            return r.code === 0 ? true : r.out.slice(-500);
        }, 5000);
        const status = ok("classroom", "status", "--only", "ada");
        assert.match(status, /^ada +workshop +healthy /m);
        const check = ok("classroom", "check", "--only", "ada", "--lab", "workshop");
        assert.match(check, /^ada +workshop +pass /m);
        ok("classroom", "reset", "--only", "ada", "--lab", "workshop", "--yes");
        ok("classroom", "destroy", "--only", "ada", "--yes");
        assert.strictEqual(gitStatus(), before);
    });

    it("down, then up again, works (no stale encryptionsalt, no incorrect passphrase)", () => {
        ok("down");
        assert.ok(!fs.existsSync(path.join(LOCAL_DIR, "project")), "down removes the local project");
        ok("up");
        assert.strictEqual(gitStatus(), before);
    });

    it("a plain pulumi stack init and preview of dev, with a user's own backend and passphrase, work from the repository's stack file", () => {
        const work = projectCopy(false); // the repository's Pulumi.dev.yaml, as it is
        const state = fs.mkdtempSync(path.join(os.tmpdir(), "state-labs-user-"));
        const env = { ...newcomerEnv(), PATH: `${BIN}:${process.env.PATH}`, PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "the-users-own", KUBECONFIG };
        // offline: the providers installed by sandbox/engine/env.sh for the local stack, never a download
        Object.assign(env, { PULUMI_HOME: path.join(LOCAL_DIR, "pulumi", "home"), PULUMI_SKIP_UPDATE_CHECK: "1", PULUMI_IGNORE_AMBIENT_PLUGINS: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true" });
        const pulumi = (...args: string[]) => spawnSync("pulumi", [...args, "--non-interactive"], { cwd: work, encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
        const init = pulumi("stack", "init", "dev");
        assert.strictEqual(init.status, 0, init.stderr);
        // The sandbox's own dev stack runs on this cluster: PVs are cluster-scoped, so the user's
        // stack takes a prefix of its own (in the copy's stack file), as on a shared cluster.
        const prefix = pulumi("config", "set", "state-labs:prefix", "userdev", "--stack", "dev");
        assert.strictEqual(prefix.status, 0, prefix.stderr);
        const preview = pulumi("preview", "--stack", "dev");
        assert.strictEqual(preview.status, 0, `${preview.stdout.slice(-3000)}\n${preview.stderr.slice(-3000)}`);
        fs.rmSync(state, { recursive: true, force: true });
    });

    it("git status is as it was before any of it", () => {
        assert.strictEqual(gitStatus(), before);
    });
});
