// `npm run bench`: per stack file, how many resources the program creates, how long its
// evaluation takes under mocks, and the cluster footprint of one stack (one student).
// Figures are printed, not asserted.
import { gi, mi, totalFootprint } from "./footprint";
import { StackRun, kubernetesObjects, runStack, stackFileConfig } from "./mock-runtime";
import { runMain } from "./render";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function main(): Promise<void> {
    for (const stack of ["dev", "nfs"]) {
        const config = stackFileConfig(stack);
        const times: number[] = [];
        let last: StackRun | undefined;
        for (let i = 0; i < RUNS; i++) {
            const t0 = process.hrtime.bigint();
            last = await runStack(config, stack);
            times.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if (last.error) throw last.error;
        }
        times.sort((a, b) => a - b);
        const objs = kubernetesObjects(last!).map((o) => o.object);
        const f = totalFootprint(objs);
        const custom = last!.resources.filter((r) => r.custom).length;
        console.log(`stack ${stack}`);
        console.log(`  resources: ${last!.resources.length} (${custom} custom, ${objs.length} Kubernetes objects, ${last!.resources.length - custom} components)`);
        console.log(`  evaluation under mocks: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms over ${RUNS} runs (first run includes module loading)`);
        console.log(`  footprint: ${f.pods} long-running pods (+${f.jobPods} Job pods); requests cpu ${f.cpuRequests.toFixed(2)} memory ${mi(f.memoryRequests)}; limits cpu ${f.cpuLimits.toFixed(2)} memory ${mi(f.memoryLimits)}; storage requested ${gi(f.storage)}`);
    }
}

void runMain("bench", async () => (await main(), 0), process.argv).then((code) => process.exit(code));
