// `npm run bench:cluster` (run by scripts/cluster/bench.sh with a fresh cluster and the
// offline engine environment): wall times of the real engine against kubectl, and program
// start-up modes. Figures are printed, not asserted.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./mock-runtime";
import { kubectl, projectCopy, pulumiCli, renderAndApply, waitBoundAndReady } from "../test/cluster/kube";

const STACKS = ["dev", "nfs"];

function timed(fn: () => void): number {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function timedAsync(fn: () => Promise<void>): Promise<number> {
    const t0 = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

function pulumi(cwd: string, stack: string, ...args: string[]): void {
    const r = pulumiCli(cwd, stack, ...args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
}

function deleteNamespaces(namespaces: string[], prefix: string): void {
    kubectl(["delete", "namespace", ...namespaces, "--wait=true", "--timeout=300s"]);
    kubectl(["delete", "pv,storageclass", "-l", `state-labs.io/prefix=${prefix}`, "--wait=true"]);
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
    const work = projectCopy();
    for (const stack of STACKS) {
        pulumi(work, stack, "stack", "init", "--secrets-provider", "passphrase");
        pulumi(work, stack, "config", "set", "state-labs:keepDataOnDestroy", "false");
        const up = timed(() => pulumi(work, stack, "up", "--yes", "--skip-preview"));
        const again = timed(() => pulumi(work, stack, "up", "--yes", "--skip-preview"));
        const destroy = timed(() => pulumi(work, stack, "destroy", "--yes", "--skip-preview"));
        // Same objects, same readiness, with kubectl under another prefix (nothing shared).
        let namespaces: string[] = [];
        const apply = await timedAsync(async () => {
            const a = await renderAndApply(stack, { prefix: `kc-${stack}` });
            namespaces = a.namespaces;
            await waitBoundAndReady(a);
        });
        deleteNamespaces(namespaces, `kc-${stack}`);
        console.log(`stack ${stack}`);
        console.log(`  pulumi up from empty      ${up.toFixed(1)} s`);
        console.log(`  pulumi up, no change      ${again.toFixed(1)} s`);
        console.log(`  pulumi destroy            ${destroy.toFixed(1)} s`);
        console.log(`  kubectl apply --server-side + same readiness  ${apply.toFixed(1)} s  (pulumi up / kubectl = ${(up / apply).toFixed(1)}x)`);
    }

    // Program start-up: the same program evaluation (the render of dev) three ways.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
    const js = fs.mkdtempSync(path.join(os.tmpdir(), "bench-js-"));
    execFileSync("npx", ["tsc", "-p", ".", "--outDir", js], { cwd: REPO_ROOT });
    fs.cpSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), path.join(js, "Pulumi.dev.yaml"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(js, "node_modules"));
    const modes: [string, string, string[]][] = [
        ["ts-node, type-checking", path.join(REPO_ROOT, "node_modules/.bin/ts-node"), ["scripts/render.ts"]],
        ["ts-node --transpile-only", path.join(REPO_ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", "scripts/render.ts"]],
        ["precompiled JavaScript", process.execPath, [path.join(js, "scripts/render.js")]],
    ];
    console.log("program start-up and evaluation (render dev under mocks; median of 3)");
    for (const [label, cmd, args] of modes) {
        const runs = [0, 1, 2].map(() => timed(() => execFileSync(cmd, [...args, "--stack", "dev", "--out", out], { cwd: REPO_ROOT, stdio: "ignore" })));
        console.log(`  ${label.padEnd(28)} ${median(runs).toFixed(2)} s`);
    }
    fs.rmSync(out, { recursive: true });
    fs.rmSync(js, { recursive: true });
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
