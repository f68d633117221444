// `npm run bench:cluster` (run by sandbox/cluster/bench.sh with a fresh cluster and the
// offline engine environment): the real engine against kubectl on the same objects, side by
// side in one run, each figure beside issue 12's goal; then the program's start-up. Figures
// are printed, not asserted.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./mock-runtime";
import { kubectlDown, kubectlUp, projectCopy, pulumiCli } from "../test/cluster/kube";

const STACKS = ["dev", "nfs"];
// every figure is the median of this many runs (BENCH_REPS): a single run on 2 shared cores varies by a third
const REPS = Number(process.env.BENCH_REPS ?? 3);

function timed(fn: () => void): number {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

function pulumi(cwd: string, stack: string, ...args: string[]): void {
    const r = pulumiCli(cwd, stack, ...args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

const rows: string[][] = [];
function figure(what: string, value: number, unit: "s" | "x", goal: number): void {
    const shown = unit === "s" ? `${value.toFixed(1)} s` : `${value.toFixed(2)}x`;
    rows.push([what, shown, `<= ${goal}${unit === "s" ? " s" : "x"}`, value <= goal ? "met" : "NOT met"]);
}

/**
 * Seconds from the start of the program's node process to the program loaded and evaluated,
 * in a plain `pulumi preview` (tools/startup-probe.js, preloaded through NODE_OPTIONS).
 */
function programStartup(work: string, stack: string): number {
    const probe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-probe-")), "ms");
    const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, LABS_STARTUP_PROBE: process.env.LABS_STARTUP_PROBE };
    process.env.NODE_OPTIONS = `${saved.NODE_OPTIONS ?? ""} --require ${path.join(REPO_ROOT, "tools", "startup-probe.js")}`.trim();
    process.env.LABS_STARTUP_PROBE = probe;
    try {
        pulumi(work, stack, "preview", "--expect-no-changes");
    } finally {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    }
    const ms = Number(fs.readFileSync(probe, "utf8"));
    fs.rmSync(path.dirname(probe), { recursive: true });
    return ms / 1000;
}

let startup = NaN;

async function main(): Promise<void> {
    const work = projectCopy();
    for (const stack of STACKS) {
        pulumi(work, stack, "stack", "init", "--secrets-provider", "passphrase");
        pulumi(work, stack, "config", "set", "state-labs:keepDataOnDestroy", "false");
        // the first deploy of a fresh copy transpiles it (stacks/build.js); a user's clone pays that once
        pulumi(work, stack, "preview");
        const t: Record<"up" | "preview" | "again" | "destroy" | "apply" | "remove", number[]> = { up: [], preview: [], again: [], destroy: [], apply: [], remove: [] };
        for (let rep = 0; rep < REPS; rep++) {
            t.up.push(timed(() => pulumi(work, stack, "up", "--yes", "--skip-preview")));
            t.preview.push(timed(() => pulumi(work, stack, "preview", "--expect-no-changes")));
            if (stack === "dev" && rep === 0) startup = median([0, 1, 2, 3, 4].map(() => programStartup(work, stack)));
            t.again.push(timed(() => pulumi(work, stack, "up", "--yes", "--skip-preview")));
            t.destroy.push(timed(() => pulumi(work, stack, "destroy", "--yes", "--skip-preview")));
            // Same objects, same readiness, with kubectl under another prefix (nothing shared).
            const kc = await kubectlUp(stack, `kc-${stack}`);
            t.apply.push(kc.seconds);
            t.remove.push(timed(() => kubectlDown(kc.applied, `kc-${stack}`)));
        }
        const show = (xs: number[]) => `${median(xs).toFixed(1)} s (${xs.map((x) => x.toFixed(1)).join(", ")})`;
        console.log(`stack ${stack}, median of ${REPS} (each run):`);
        console.log(`  pulumi up from empty ${show(t.up)}; kubectl apply + readiness ${show(t.apply)}`);
        console.log(`  no-change pulumi up ${show(t.again)}; no-change pulumi preview ${show(t.preview)}`);
        console.log(`  pulumi destroy ${show(t.destroy)}; kubectl delete ${show(t.remove)}`);
        figure(`pulumi up from empty / kubectl apply --server-side + same readiness, ${stack}`, median(t.up) / median(t.apply), "x", 1.5);
        figure(`no-change pulumi up, ${stack}`, median(t.again), "s", 5);
        figure(`pulumi preview with no change, ${stack}`, median(t.preview), "s", 5);
        figure(`pulumi destroy / kubectl delete of the same objects, ${stack}`, median(t.destroy) / median(t.remove), "x", 1.5);
    }

    // Program start-up and evaluation as a deploy runs it (above), and what the JavaScript
    // build costs: stacks/build.js on a fresh copy (every file transpiled) and with nothing changed.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "bench-build-"));
    for (const f of ["stacks", "components", "tsconfig.json"]) fs.cpSync(path.join(REPO_ROOT, f), path.join(copy, f), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"));
    // timed inside node, so node's own start is not counted twice
    const build = () => Number(execFileSync(process.execPath, ["-e", `const t = process.hrtime.bigint(); require(${JSON.stringify(path.join(REPO_ROOT, "stacks/build.js"))}).ensureBuilt(${JSON.stringify(copy)}); console.log(Number(process.hrtime.bigint() - t) / 1e9)`], { encoding: "utf8" }));
    const fresh = build();
    const noop = build();
    console.log(`stacks/build.js: a fresh copy (every file transpiled) ${fresh.toFixed(2)} s once, nothing changed ${noop.toFixed(3)} s`);
    figure("program start-up and evaluation in a plain pulumi preview, dev (median of 5)", startup, "s", 1.5);
    fs.rmSync(copy, { recursive: true });

    const head = ["figure", "measured", "goal", ""];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    console.log("");
    for (const r of [head, ...rows]) console.log(`  ${r.map((c, i) => c.padEnd(widths[i])).join("  ")}`.trimEnd());
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
