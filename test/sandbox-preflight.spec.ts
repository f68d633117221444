// `npm run local`, `npm run test:cluster` and `npm run bench:*` on a machine that cannot run
// them: each is the real script (bash sandbox/...) in a child process, in that environment,
// and must stop with one message and exit 2 before building or starting anything. No root,
// Go, Debian or cluster needed: PATH holds only the tools a case allows (fakes answer for Go
// and Debian's tools where a case gets past them), LABS_TOOLCHAIN_DIR is a temp dir, and
// LABS_TEST_EUID stands for $EUID (sandbox/preflight.sh reads it; nothing else sets it).
// Then the sandbox's promise that the repository is never written: local.sh's own functions,
// sourced, run the project copy and Pulumi's stack commands with a `pulumi` that writes its
// stack file as the real one does.
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../tools/mock-runtime";

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-preflight-"));
const BASH = spawnSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).stdout.trim();

/** A bin dir with these real tools linked and these fakes (name → shell body). */
function bin(name: string, tools: string[], fakes: Record<string, string> = {}): string {
    const dir = path.join(TMP, name);
    fs.mkdirSync(dir);
    for (const t of tools) {
        const real = spawnSync("bash", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
        assert.ok(real, `${t} is not on this machine's PATH`);
        fs.symlinkSync(real, path.join(dir, t));
    }
    for (const [f, body] of Object.entries(fakes)) fs.writeFileSync(path.join(dir, f), `#!${BASH}\n${body}\n`, { mode: 0o755 });
    return dir;
}

const BASIC = ["dirname", "basename", "sed", "sort", "tr", "df", "awk", "pgrep", "grep"];
const GO = { go: 'echo go1.26.1' };
const GO_OLD = { go: 'echo go1.19.8' };
const APT = { "apt-get": "exit 1", "dpkg-query": "exit 1" };
const DEBIAN_TOOLS = Object.fromEntries(["ip", "openssl", "unshare", "nsenter", "flock", "sysctl", "tar"].map((t) => [t, "exit 1"]));
const PATHS = {
    noGo: bin("no-go", BASIC),
    oldGo: bin("old-go", BASIC, GO_OLD),
    noApt: bin("no-apt", BASIC, GO),
    noTools: bin("no-tools", BASIC, { ...GO, ...APT }),
    all: bin("all", BASIC, { ...GO, ...APT, ...DEBIAN_TOOLS }),
};

/** An empty toolchain cache (nothing built), and one where an earlier run's cluster still runs. */
const EMPTY = path.join(TMP, "empty-toolchain");
fs.mkdirSync(EMPTY);
const BUSY = path.join(TMP, "busy-toolchain");
const LOCAL_UP = path.join(TMP, "local-up-toolchain");
const fakeClusters: ChildProcess[] = [];
/** A process that looks like a component of cluster `name` to sandbox/preflight.sh: its command line names the cluster's kwok state dir. */
function clusterUp(toolchain: string, name: string): void {
    fs.mkdirSync(path.join(toolchain, "clusters", name), { recursive: true });
    fs.writeFileSync(path.join(toolchain, "clusters", name, "kubeconfig"), "");
    const p = spawn(BASH, ["-c", 'exec -a "$0" sleep 120', path.join(toolchain, "kwok", "clusters", name, "etcd")], { stdio: "ignore" });
    fakeClusters.push(p);
}

interface Run {
    code: number;
    stderr: string;
}
function sandbox(script: string, args: string[], env: Record<string, string>): Run {
    const r = spawnSync(BASH, [path.join(REPO_ROOT, script), ...args], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        env: { HOME: TMP, LABS_TOOLCHAIN_DIR: EMPTY, PATH: PATHS.noGo, ...env },
        timeout: 30_000,
    });
    return { code: r.status ?? -1, stderr: r.stderr };
}

describe("sandbox preflight: one message, exit 2, nothing built or started (the real scripts, child processes)", () => {
    before(async () => {
        clusterUp(BUSY, "state-labs-suite");
        clusterUp(LOCAL_UP, "state-labs-local");
        await new Promise((ok) => setTimeout(ok, 200)); // let them exec
    });
    after(() => {
        for (const p of fakeClusters) p.kill();
    });

    const root = { LABS_TEST_EUID: "0" };
    const cases: [string, string, string[], () => Record<string, string>, RegExp][] = [
        ["local up, not root", "sandbox/local.sh", ["up"], () => ({ LABS_TEST_EUID: "1000" }), /^local: needs root: the real node uses network namespaces, cgroups and iptables\. Run it as root/],
        ["local down, not root", "sandbox/local.sh", ["down"], () => ({ LABS_TEST_EUID: "1000" }), /^local: needs root: /],
        ["local up, no Go", "sandbox/local.sh", ["up"], () => root, /^local: Go is not on PATH: the first run builds .* with Go >= 1\.26/],
        ["local up, Go too old", "sandbox/local.sh", ["up"], () => ({ ...root, PATH: PATHS.oldGo }), /^local: Go go1\.19\.8 is too old: the toolchains need Go >= 1\.26/],
        ["local up, not Debian", "sandbox/local.sh", ["up"], () => ({ ...root, PATH: PATHS.noApt }), /^local: apt-get and dpkg-query are not on PATH: .*Debian/],
        [
            "local up, Debian's tools missing",
            "sandbox/local.sh",
            ["up"],
            () => ({ ...root, PATH: PATHS.noTools }),
            /^local: missing Debian tools: ip \(iproute2\) openssl \(openssl\) unshare \(util-linux\) nsenter \(util-linux\) flock \(util-linux\) sysctl \(procps\) tar \(tar\); install them: apt-get install iproute2 openssl procps tar util-linux/,
        ],
        [
            "local up, too little disk for the build",
            "sandbox/local.sh",
            ["up"],
            () => ({ ...root, PATH: PATHS.all, LABS_MIN_FREE_GB: "1000000" }),
            /^local: too little free disk for the build: \d+ GB free on .*, 1000000 GB wanted \(Go's caches, the binaries and the images: about 8 GB\)/,
        ],
        [
            "local up, an earlier run's cluster still up",
            "sandbox/local.sh",
            ["up"],
            () => ({ ...root, LABS_TOOLCHAIN_DIR: BUSY }),
            /^local: a local cluster of an earlier run is still up: 'state-labs-suite' .*LABS_CLUSTER_NAME=state-labs-suite npm run cluster:down/,
        ],
        ["local up, the local cluster already up", "sandbox/local.sh", ["up"], () => ({ ...root, LABS_TOOLCHAIN_DIR: LOCAL_UP }), /^local: the local cluster is already up .*npm run local -- status shows it; npm run local -- down removes it/],
        ["local status, no cluster", "sandbox/local.sh", ["status"], () => ({}), /^local: the local cluster is not running .*: start it with npm run local -- up/],
        ["local classroom, no cluster", "sandbox/local.sh", ["classroom", "status"], () => ({}), /^local: the local cluster is not running/],
        ["local, an unknown command", "sandbox/local.sh", ["start"], () => ({}), /^usage: npm run local -- up\|down\|status\n.*classroom up\|preview\|status\|check\|reset\|destroy\|kubeconfig/],
        ["local classroom, an unknown command", "sandbox/local.sh", ["classroom", "launch"], () => ({}), /^usage: npm run local/],
        ["test:cluster, not root", "sandbox/cluster/test.sh", [], () => ({ LABS_TEST_EUID: "1000" }), /^cluster: needs root: the real node suite/],
        ["test:cluster, no Go", "sandbox/cluster/test.sh", [], () => root, /^cluster: Go is not on PATH/],
        ["test:cluster, an earlier run's cluster still up", "sandbox/cluster/test.sh", [], () => ({ ...root, LABS_TOOLCHAIN_DIR: BUSY }), /^cluster: a local cluster of an earlier run is still up: 'state-labs-suite'/],
        ["bench:cluster, no Go", "sandbox/cluster/bench.sh", ["tools/bench-cluster.ts"], () => ({}), /^bench: Go is not on PATH/],
        ["bench:cluster, an earlier run's cluster still up", "sandbox/cluster/bench.sh", ["tools/bench-cluster.ts"], () => ({ LABS_TOOLCHAIN_DIR: LOCAL_UP }), /^bench: a local cluster of an earlier run is still up: 'state-labs-local'.*\(or npm run local -- down\)/],
    ];
    for (const [name, script, args, env, message] of cases) {
        it(name, () => {
            const toolchain = env().LABS_TOOLCHAIN_DIR ?? EMPTY;
            const before = fs.readdirSync(toolchain).sort();
            const r = sandbox(script, args, env());
            assert.strictEqual(r.code, 2, r.stderr);
            assert.match(r.stderr, message);
            assert.strictEqual(r.stderr.trim().split("\n").length, /^usage/.test(r.stderr) ? 2 : 1, `one message:\n${r.stderr}`);
            assert.deepStrictEqual(fs.readdirSync(toolchain).sort(), before, "nothing written to the toolchain cache");
        });
    }
});

describe("npm run local: the repository is never written (local.sh's functions, sourced)", function () {
    this.timeout(120_000);

    it("runs every Pulumi command in a project copy, keeps its encryptionsalt across up, up, and leaves the repository's files alone", () => {
        const toolchain = path.join(TMP, "toolchain");
        fs.mkdirSync(path.join(toolchain, "images"), { recursive: true });
        fs.writeFileSync(path.join(toolchain, "images", "refs.json"), JSON.stringify({ postgres: "pg:x", busybox: "bb:x", todo: "todo:x", pause: "pause:x" }));
        const calls = path.join(TMP, "calls");
        // as the real CLI: `stack select --create` with a passphrase writes the salt into ./Pulumi.<stack>.yaml
        const fake = bin("pulumi-bin", [], {
            pulumi: `echo "$PWD|$*" >>'${calls}'\nif [[ "$1 $2" == "stack select" ]]; then echo "encryptionsalt: v1:c2FsdA==:v1:bm9uY2U=:c2VhbGVk" >>"Pulumi.$4.yaml"; fi`,
        });
        const status = () => spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: REPO_ROOT, encoding: "utf8" }).stdout;
        const before = status();
        const script = `
            source sandbox/local.sh
            local_project
            (cd "$PROJECT" && pulumi stack select --create "$STACK" --non-interactive)
            pulumi_local up --yes --skip-preview
            local_project            # a second up refreshes the copy
            pulumi_local up --yes --skip-preview
            echo "$PROJECT"`;
        const r = spawnSync(BASH, ["-c", script], {
            cwd: REPO_ROOT,
            encoding: "utf8",
            env: { ...process.env, HOME: TMP, LABS_TOOLCHAIN_DIR: toolchain, PATH: `${fake}:${process.env.PATH}` },
        });
        assert.strictEqual(r.status, 0, r.stderr);
        const project = r.stdout.trim().split("\n").pop()!;
        assert.strictEqual(project, path.join(toolchain, "local", "project"));
        const ran = fs.readFileSync(calls, "utf8").trim().split("\n");
        assert.strictEqual(ran.length, 3);
        for (const line of ran) assert.strictEqual(line.split("|")[0], project, `pulumi ran outside the project copy: ${line}`);
        const stackFile = fs.readFileSync(path.join(project, "Pulumi.dev.yaml"), "utf8");
        assert.strictEqual(stackFile.match(/^encryptionsalt: /gm)?.length, 1, "the salt kept once across the refresh:\n" + stackFile);
        const config = parse(stackFile).config;
        assert.strictEqual(config["state-labs:hostPathRoot"], path.join(toolchain, "local", "data"));
        assert.strictEqual(config["state-labs:postgresImage"], "pg:x");
        const base = parse(fs.readFileSync(path.join(project, "Pulumi.local-class.yaml"), "utf8")).config;
        assert.strictEqual(base["state-labs:prefix"], "class");
        assert.deepStrictEqual(base["state-labs:labs"], ["workshop", "todo", "postgres-ha"]);
        assert.strictEqual(status(), before, "git status changed");
        assert.ok(!/encryptionsalt/.test(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")));
    });
});
