// `npm run bench`: per stack file, how many resources the program creates, how long its
// evaluation takes under mocks, and the cluster footprint of one stack (one student).
// Figures are printed, not asserted.
import { parseQuantity } from "../components/quantity";
import { kubernetesObjects, runStack, stackFileConfig } from "./mock-runtime";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

type Obj = Record<string, any>;

/** What the scheduler reserves for a pod: the larger of the init containers' peak and the app containers' sum. */
function podFootprint(spec: Obj, what: "requests" | "limits", resource: "cpu" | "memory"): number {
    const q = (c: Obj) => parseQuantity(c.resources?.[what]?.[resource] ?? "0");
    const sum = (spec.containers ?? []).reduce((a: number, c: Obj) => a + q(c), 0);
    const init = Math.max(0, ...(spec.initContainers ?? []).map(q));
    return Math.max(sum, init);
}

function footprint(objs: Obj[]) {
    let cpuReq = 0, cpuLim = 0, memReq = 0, memLim = 0, pods = 0, jobPods = 0, storage = 0;
    for (const o of objs) {
        if (!["StatefulSet", "Deployment", "Job"].includes(o.kind)) continue;
        const n = o.kind === "Job" ? 1 : o.spec.replicas ?? 1;
        if (o.kind === "Job") jobPods += n; // finish and release what they held
        else {
            pods += n;
            const spec = o.spec.template.spec;
            cpuReq += n * podFootprint(spec, "requests", "cpu");
            cpuLim += n * podFootprint(spec, "limits", "cpu");
            memReq += n * podFootprint(spec, "requests", "memory");
            memLim += n * podFootprint(spec, "limits", "memory");
        }
        // one claim per template and ordinal
        for (const t of o.spec.volumeClaimTemplates ?? []) storage += n * parseQuantity(t.spec.resources.requests.storage);
    }
    for (const c of objs.filter((o) => o.kind === "PersistentVolumeClaim")) storage += parseQuantity(c.spec.resources.requests.storage);
    return { pods, jobPods, cpuReq, cpuLim, memReq, memLim, storage };
}

const mi = (b: number) => `${(b / 2 ** 20).toFixed(0)}Mi`;
const gi = (b: number) => `${(b / 2 ** 30).toFixed(2)}Gi`;

async function main(): Promise<void> {
    for (const stack of ["dev", "nfs"]) {
        const config = stackFileConfig(stack);
        const times: number[] = [];
        let last;
        for (let i = 0; i < RUNS; i++) {
            const t0 = process.hrtime.bigint();
            last = await runStack(config, stack);
            times.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if (last.error) throw last.error;
        }
        times.sort((a, b) => a - b);
        const objs = kubernetesObjects(last!).map((o) => o.object);
        const f = footprint(objs);
        const custom = last!.resources.filter((r) => r.custom).length;
        console.log(`stack ${stack}`);
        console.log(`  resources: ${last!.resources.length} (${custom} custom, ${objs.length} Kubernetes objects, ${last!.resources.length - custom} components)`);
        console.log(`  evaluation under mocks: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms over ${RUNS} runs (first run includes module loading)`);
        console.log(`  footprint: ${f.pods} long-running pods (+${f.jobPods} Job pods); requests cpu ${f.cpuReq.toFixed(2)} memory ${mi(f.memReq)}; limits cpu ${f.cpuLim.toFixed(2)} memory ${mi(f.memLim)}; storage requested ${gi(f.storage)}`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
