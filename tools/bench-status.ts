// `npm run bench:status` (sandbox/cluster/bench.sh: a fresh local cluster): how long
// `classroom status` takes to read a class from the cluster, for 1, 10 and 30 students with
// all five labs each. The class is applied with kubectl (rendered as `npm run render` does,
// one prefix per student), not through Pulumi: status reads the cluster, not the state. Five
// fake nodes (LABS_NODES): a node admits 110 pods, a class of 30 runs about 400.
// Figures are printed, not asserted.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { classroomCli, projectCopy, renderAndApply, waitBoundAndReady } from "../test/cluster/kube";

const SIZES = (process.env.BENCH_STATUS_SIZES ?? "1,10,30").split(",").map(Number);
const PARALLEL = (process.env.BENCH_STATUS_PARALLEL ?? "8,30").split(",").map(Number);

async function main(): Promise<void> {
    const work = projectCopy();
    const largest = Math.max(...SIZES);
    const ids = Array.from({ length: largest }, (_, i) => `s${String(i + 1).padStart(2, "0")}`);
    const t0 = Date.now();
    for (const id of ids) await waitBoundAndReady(await renderAndApply("dev", { prefix: id }));
    console.log(`applied ${largest} students x 5 labs with kubectl (${os.cpus().length} CPUs) in ${((Date.now() - t0) / 1000).toFixed(0)} s; every pod Ready, every claim Bound`);
    console.log("classroom status (wall time includes the CLI's start; read: the cluster reads, 5 lists per namespace)");
    console.log("  students  namespaces  parallel  wall time     read  healthy");
    for (const size of SIZES) {
        const roster = path.join(work, `status-${size}.yaml`);
        fs.writeFileSync(roster, `students:\n${ids.slice(0, size).map((id) => `  - ${id}`).join("\n")}\n`);
        for (const parallel of PARALLEL) {
            const r = classroomCli(work, "status", "--roster", roster, "--parallel", String(parallel));
            const read = /read in ([\d.]+) s/.exec(r.stdout)?.[1] ?? "?";
            const healthy = (r.stdout.match(/ healthy /g) ?? []).length / 5;
            const namespaces = size * 7;
            console.log(`  ${String(size).padStart(8)}  ${String(namespaces).padStart(10)}  ${String(parallel).padStart(8)}  ${r.seconds.toFixed(1).padStart(7)} s  ${read.padStart(5)} s  ${healthy}/${size}`);
        }
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
