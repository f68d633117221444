// `npm run bench:classroom` (sandbox/cluster/bench.sh: a fresh local cluster, the offline
// engine): `classroom up` of whole classes (all five labs per student) beside one student's
// `kubectl apply --server-side` + the same readiness, with the peak summed RSS of every process
// the class run starts; then one student's footprint against each namespace's quota. Figures
// are printed beside issue 12's goals, not asserted.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseQuantity } from "../components/shared/quantity";
import { execFileSync } from "child_process";
import { CLASSROOM, cpuOf, getJson, kubectlDown, kubectlUp, projectCopy, runMeasured } from "../test/cluster/kube";
import { REPO_ROOT } from "./mock-runtime";
import { gi, mi } from "./footprint";

const SIZES = (process.env.BENCH_CLASS_SIZES ?? "1,30").split(",").map(Number);
const PARALLEL = (process.env.BENCH_PARALLEL ?? "4").split(",").map(Number);
const GIB = 1024 ** 3;

async function classroom(work: string, ...args: string[]) {
    const r = await runMeasured(process.execPath, [...CLASSROOM, ...args, "--dir", work, "--json"], { cwd: REPO_ROOT });
    if (r.code !== 0) throw new Error(`classroom ${args.join(" ")} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    return { ...r, results: JSON.parse(r.stdout) as { id: string; result: string; namespaces: string[] }[] };
}

/** CPU seconds the local control plane's processes (API server, etcd, controllers, kwok) have used so far. */
function controlPlaneCpu(): number {
    const cluster = `/clusters/${process.env.LABS_CLUSTER_NAME}/`;
    let pids: number[] = [];
    try {
        pids = execFileSync("pgrep", ["-f", cluster], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
    } catch {
        // none
    }
    return pids.reduce((n, pid) => n + (cpuOf(pid)?.seconds ?? 0), 0);
}

/** Where a class run's CPU went: its own processes by program, then the control plane's. */
function cpuLines(byCommand: Record<string, number>, controlPlane: number, students: number): string[] {
    const rows = Object.entries(byCommand).sort((a, b) => b[1] - a[1]);
    const total = rows.reduce((n, [, s]) => n + s, 0);
    return [
        `    CPU of the class run: ${total.toFixed(0)} s (${(total / students).toFixed(1)} s per student), control plane ${controlPlane.toFixed(0)} s (${(controlPlane / students).toFixed(1)} s per student); by program:`,
        ...rows.filter(([, sec]) => sec >= 0.05 * total).map(([c, sec]) => `      ${sec.toFixed(0).padStart(5)} s  ${c}`),
    ];
}

const pct = (used: number, hard: number) => `${((100 * used) / hard).toFixed(0)}%`;

function footprint(namespaces: string[]): void {
    const rows: string[][] = [];
    const total: Record<string, number> = {};
    const KEYS = ["requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "requests.storage", "pods"];
    for (const ns of namespaces) {
        const q = getJson(["resourcequota", "lab-quota", "-n", ns]) as { status: { used?: Record<string, string>; hard: Record<string, string> } };
        const cells = KEYS.map((k) => {
            const used = parseQuantity(q.status.used?.[k] ?? "0");
            const hard = parseQuantity(q.status.hard[k]);
            total[k] = (total[k] ?? 0) + used;
            return `${q.status.used?.[k] ?? "0"}/${q.status.hard[k]} (${pct(used, hard)})`;
        });
        rows.push([ns, ...cells]);
    }
    const head = ["namespace", ...KEYS];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows]) console.log(`  ${r.map((c, i) => c.padEnd(widths[i])).join("  ")}`.trimEnd());
    console.log(
        `  one student in all: requests cpu ${total["requests.cpu"].toFixed(2)}, memory ${mi(total["requests.memory"])}; limits cpu ${total["limits.cpu"].toFixed(2)}, memory ${mi(total["limits.memory"])}; storage ${gi(total["requests.storage"])}; ${total.pods} pods`,
    );
}

/** One student's objects (the dev stack under another prefix) applied with kubectl and waited to the same readiness. */
async function kubectlStudent(): Promise<number> {
    const { applied, seconds } = await kubectlUp("dev", "kc-student");
    kubectlDown(applied, "kc-student");
    return seconds;
}

async function main(): Promise<void> {
    const work = projectCopy();
    // the class's base: dev, wiping data on destroy so every class starts from an empty cluster
    const base = fs.readFileSync(path.join(work, "Pulumi.dev.yaml"), "utf8").replace(/^config:\n/m, "config:\n  state-labs:keepDataOnDestroy: false\n");
    fs.writeFileSync(path.join(work, "Pulumi.bench.yaml"), base.replace(/state-labs:prefix: dev/, "state-labs:prefix: bench"));
    const kubectlSeconds = await kubectlStudent();
    console.log(`classroom up on the local control plane (${os.cpus().length} CPUs), base stack dev, all five labs per student`);
    console.log(`  one student with kubectl apply --server-side + the same readiness: ${kubectlSeconds.toFixed(1)} s`);
    console.log("  students  parallel  wall time  per student  peak summed RSS  goal (30x kubectl per 30 students; 3 GiB)");
    let footprintShown = false;
    for (const size of SIZES) {
        for (const parallel of PARALLEL) {
            const roster = path.join(work, `class-${size}-${parallel}.yaml`);
            fs.writeFileSync(roster, `students:\n${Array.from({ length: size }, (_, i) => `  - s${size}p${parallel}-${i + 1}`).join("\n")}\n`);
            const cp0 = controlPlaneCpu();
            const up = await classroom(work, "up", "--roster", roster, "--base", "bench", "--parallel", String(parallel));
            const controlPlane = controlPlaneCpu() - cp0;
            const failed = up.results.filter((r) => r.result !== "ok");
            const goal = size * kubectlSeconds;
            const verdict = `${up.seconds <= goal ? "met" : "NOT met"} (<= ${goal.toFixed(0)} s), ${up.peakRssBytes <= 3 * GIB ? "met" : "NOT met"}`;
            console.log(
                `  ${String(size).padStart(8)}  ${String(parallel).padStart(8)}  ${up.seconds.toFixed(1).padStart(7)} s  ${(up.seconds / size).toFixed(1).padStart(9)} s  ${(up.peakRssBytes / GIB).toFixed(2).padStart(11)} GiB  ${verdict}${failed.length ? `; FAILED: ${failed.map((f) => f.id).join(", ")}` : ""}`,
            );
            for (const line of cpuLines(up.cpuByCommand, controlPlane, size)) console.log(line);
            if (!footprintShown && failed.length === 0) {
                console.log("  one student's footprint, as the API server counts it (ResourceQuota status), against each namespace's quota:");
                footprint(up.results[0].namespaces);
                footprintShown = true;
            }
            await classroom(work, "destroy", "--roster", roster, "--base", "bench", "--parallel", "4", "--yes");
        }
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
