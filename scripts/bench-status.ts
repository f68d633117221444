// `npm run bench:status` (scripts/cluster/bench.sh: a fresh local cluster): how long
// `classroom status` takes to read a class from the cluster, for 1, 10 and 30 students with
// all five labs each. The class is applied with kubectl (rendered as `npm run render` does,
// one prefix per student), not through Pulumi: status reads the cluster, not the state.
// Figures are printed, not asserted.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { classroomCli, projectCopy, renderAndApply, waitBoundAndReady } from "../test/cluster/kube";

const SIZES = (process.env.BENCH_STATUS_SIZES ?? "1,10,30").split(",").map(Number);
const GOAL_SECONDS = 5;

async function main(): Promise<void> {
    const work = projectCopy();
    const largest = Math.max(...SIZES);
    const ids = Array.from({ length: largest }, (_, i) => `s${String(i + 1).padStart(2, "0")}`);
    const t0 = Date.now();
    for (const id of ids) await waitBoundAndReady(await renderAndApply("dev", { prefix: id }));
    console.log(`applied ${largest} students x 5 labs with kubectl (${os.cpus().length} CPUs) in ${((Date.now() - t0) / 1000).toFixed(0)} s; every pod Ready, every claim Bound`);
    console.log(`classroom status (goal: under ${GOAL_SECONDS} s for 30 students)`);
    console.log("  students  namespaces  wall time  healthy");
    for (const size of SIZES) {
        const roster = path.join(work, `status-${size}.yaml`);
        fs.writeFileSync(roster, `students:\n${ids.slice(0, size).map((id) => `  - ${id}`).join("\n")}\n`);
        const r = classroomCli(work, "status", "--roster", roster, "--json");
        const health = JSON.parse(r.stdout) as { state: string; labs: { namespaces: string[] }[] }[];
        const namespaces = health.reduce((a, s) => a + s.labs.reduce((b, l) => b + l.namespaces.length, 0), 0);
        const healthy = health.filter((s) => s.state === "healthy").length;
        console.log(`  ${String(size).padStart(8)}  ${String(namespaces).padStart(10)}  ${r.seconds.toFixed(1).padStart(7)} s  ${healthy}/${size}`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
