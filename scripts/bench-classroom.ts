// `npm run bench:classroom` (scripts/cluster/bench.sh: a fresh local cluster, the offline
// engine): wall time of `classroom up` for classes of 1, 5 and 10 students at parallelism 1
// and 4, and one student's footprint against the quota of each namespace, as the API server
// counts it. Figures are printed, not asserted.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseQuantity } from "../components/shared/quantity";
import { classroomCli, getJson, projectCopy } from "../test/cluster/kube";
import { gi, mi } from "./footprint";

const SIZES = (process.env.BENCH_CLASS_SIZES ?? "1,5,10").split(",").map(Number);
const PARALLEL = (process.env.BENCH_PARALLEL ?? "1,4").split(",").map(Number);
function classroom(work: string, ...args: string[]): { seconds: number; results: { id: string; result: string; namespaces: string[] }[] } {
    const r = classroomCli(work, ...args, "--json");
    if (r.code !== 0) throw new Error(`classroom ${args.join(" ")} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    return { seconds: r.seconds, results: JSON.parse(r.stdout) };
}

const pct = (used: number, hard: number) => `${((100 * used) / hard).toFixed(0)}%`;

function footprint(namespaces: string[]): void {
    const rows: string[][] = [];
    const total: Record<string, number> = {};
    const KEYS = ["requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "requests.storage", "pods"];
    for (const ns of namespaces) {
        const q = getJson(["resourcequota", "lab-quota", "-n", ns]);
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

function main(): void {
    const work = projectCopy();
    // the class's base: dev, wiping data on destroy so every class starts from an empty cluster
    const base = fs.readFileSync(path.join(work, "Pulumi.dev.yaml"), "utf8").replace(/^config:\n/m, "config:\n  state-labs:keepDataOnDestroy: false\n");
    fs.writeFileSync(path.join(work, "Pulumi.bench.yaml"), base.replace(/state-labs:prefix: dev/, "state-labs:prefix: bench"));
    console.log(`classroom up on the local control plane (${os.cpus().length} CPUs), base stack dev, all five labs per student`);
    console.log("  students  parallel  wall time  per student");
    let footprintShown = false;
    for (const size of SIZES) {
        for (const parallel of PARALLEL) {
            const roster = path.join(work, `class-${size}-${parallel}.yaml`);
            fs.writeFileSync(roster, `students:\n${Array.from({ length: size }, (_, i) => `  - s${size}p${parallel}-${i + 1}`).join("\n")}\n`);
            const up = classroom(work, "up", "--roster", roster, "--base", "bench", "--parallel", String(parallel));
            const failed = up.results.filter((r) => r.result !== "ok");
            if (failed.length) throw new Error(`failed: ${failed.map((f) => f.id).join(", ")}`);
            console.log(`  ${String(size).padStart(8)}  ${String(parallel).padStart(8)}  ${up.seconds.toFixed(1).padStart(7)} s  ${(up.seconds / size).toFixed(1).padStart(9)} s`);
            if (!footprintShown) {
                console.log("  one student's footprint, as the API server counts it (ResourceQuota status), against each namespace's quota:");
                footprint(up.results[0].namespaces);
                footprintShown = true;
            }
            classroom(work, "destroy", "--roster", roster, "--base", "bench", "--parallel", "4", "--yes");
        }
    }
}

main();
