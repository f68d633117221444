// `classroom status`: each student's labs as the cluster has them (not as Pulumi's state
// remembers them): pods Ready of those the workloads want, claims Bound and how full their
// volumes are where the node reports it, restarts, and the last warning event. Healthy means
// every pod wanted is Ready and every claim Bound; exit 0 only when every student's every lab is.
import type * as k8s from "@kubernetes/client-node";
import { Command } from "commander";
import { LAB_IDS, LabId } from "../components/shared/naming";
import { pool } from "./class";
import { Cluster, containerStatuses, errorText, isReady, labNamespaces, operatorCluster, notReadyReason } from "./cluster";
import { EXIT, RosterOptions, interruptible, positive, rosterOptions, selectStudents, tableLines } from "./common";
import { Student } from "./roster";

export interface VolumeUse {
    claim: string;
    usedBytes: number;
    capacityBytes: number;
}

export interface LabHealth {
    lab: LabId;
    namespaces: string[];
    /** Pods Ready of the replicas the lab's StatefulSets and Deployments want. */
    pods: { ready: number; wanted: number };
    /** Pods that are not Ready, each with why (a container's waiting reason, or the phase). */
    notReady: string[];
    claims: { bound: number; total: number };
    /** Volume usage the node reports (kubelet stats); absent where it cannot tell. */
    volumes: VolumeUse[];
    restarts: number;
    lastWarning?: { reason: string; message: string; object: string; at: string };
    healthy: boolean;
}

export interface StudentHealth {
    id: string;
    /** absent: no workload of the student's runs (no stack, or destroyed: claims it kept are listed in `labs`). */
    state: "healthy" | "unhealthy" | "absent";
    labs: LabHealth[];
    /** Why it could not be read, if it could not. */
    error?: string;
}

/** What one namespace holds, as read from the API server. */
export interface NamespaceReading {
    pods: k8s.V1Pod[];
    claims: k8s.V1PersistentVolumeClaim[];
    warnings: k8s.CoreV1Event[];
    workloads: { kind: string; name: string; replicas: number }[];
}

const when = (e: k8s.CoreV1Event) => new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime();

function whyNotReady(p: k8s.V1Pod): string {
    return `${p.metadata?.name}: ${notReadyReason(p)}`;
}

/**
 * A student is absent when none of their labs runs anything (no stack; or destroyed, its
 * kept claims left in their namespaces), healthy when every lab is.
 */
export function studentState(labs: LabHealth[]): StudentHealth["state"] {
    if (labs.every((l) => l.pods.wanted === 0 && l.notReady.length === 0)) return "absent";
    return labs.every((l) => l.healthy) ? "healthy" : "unhealthy";
}

/** The health of one lab from what its namespaces hold (pure: the table's logic). */
export function labHealth(lab: LabId, namespaces: string[], readings: NamespaceReading[], usage: Map<string, VolumeUse>): LabHealth {
    const pods = readings.flatMap((r) => r.pods).filter((p) => !p.metadata?.ownerReferences?.some((o) => o.kind === "Job"));
    const ready = pods.filter(isReady);
    const wanted = readings.flatMap((r) => r.workloads).reduce((a, w) => a + w.replicas, 0);
    const claims = readings.flatMap((r) => r.claims);
    const restarts = pods
        .flatMap(containerStatuses)
        .reduce((a, s) => a + (s.restartCount ?? 0), 0);
    const last = readings.flatMap((r) => r.warnings).sort((a, b) => when(b) - when(a))[0];
    const bound = claims.filter((c) => c.status?.phase === "Bound").length;
    return {
        lab,
        namespaces,
        pods: { ready: ready.length, wanted },
        notReady: pods.filter((p) => !ready.includes(p)).map(whyNotReady),
        claims: { bound, total: claims.length },
        volumes: claims.flatMap((c) => usage.get(`${c.metadata?.namespace}/${c.metadata?.name}`) ?? []),
        restarts,
        lastWarning: last && {
            reason: last.reason ?? "",
            message: (last.message ?? "").trim(),
            object: `${last.involvedObject.kind?.toLowerCase()}/${last.involvedObject.name}`,
            at: new Date(when(last)).toISOString(),
        },
        healthy: wanted > 0 && ready.length >= wanted && bound === claims.length,
    };
}

async function readNamespace(c: Cluster, namespace: string): Promise<NamespaceReading> {
    const [pods, claims, warnings, sts, deploy] = await Promise.all([
        c.core.listNamespacedPod({ namespace }),
        c.core.listNamespacedPersistentVolumeClaim({ namespace }),
        c.core.listNamespacedEvent({ namespace, fieldSelector: "type=Warning" }),
        c.apps.listNamespacedStatefulSet({ namespace }),
        c.apps.listNamespacedDeployment({ namespace }),
    ]);
    return {
        pods: pods.items,
        claims: claims.items,
        warnings: warnings.items,
        workloads: [...sts.items.map((w) => ({ kind: "StatefulSet", w })), ...deploy.items.map((w) => ({ kind: "Deployment", w }))].map(({ kind, w }) => ({
            kind,
            name: w.metadata!.name!,
            replicas: w.spec?.replicas ?? 1,
        })),
    };
}

/**
 * Volume usage by claim (`<namespace>/<claim>`) from the kubelet of each node that runs the
 * class's pods. Nodes that do not answer (fake nodes), and volume plugins that do not measure
 * (hostPath), leave their claims out.
 */
/** The parts of the kubelet's stats/summary read here. */
interface NodeSummary {
    pods?: { volume?: { pvcRef?: { namespace: string; name: string }; capacityBytes: number; usedBytes?: number }[] }[];
}

async function volumeUsage(c: Cluster, nodes: string[]): Promise<Map<string, VolumeUse>> {
    const out = new Map<string, VolumeUse>();
    await Promise.all(
        nodes.map(async (name) => {
            try {
                const raw = await c.core.connectGetNodeProxyWithPath({ name, path: "stats/summary" });
                const summary = (typeof raw === "string" ? JSON.parse(raw) : raw) as NodeSummary;
                for (const pod of summary.pods ?? []) {
                    for (const v of pod.volume ?? []) {
                        if (v.pvcRef && v.capacityBytes > 0) out.set(`${v.pvcRef.namespace}/${v.pvcRef.name}`, { claim: v.pvcRef.name, usedBytes: v.usedBytes ?? 0, capacityBytes: v.capacityBytes });
                    }
                }
            } catch {
                // this node cannot tell
            }
        }),
    );
    return out;
}

/** Every student's labs, read from the cluster: students `parallel` at a time, each one's namespaces at once. */
export async function classHealth(c: Cluster, students: Student[], parallel = 8): Promise<StudentHealth[]> {
    const read = await pool(students, parallel, async (s) => {
        try {
            const byLab = await labNamespaces(c, s.id);
            const labs = LAB_IDS.filter((l) => byLab[l]);
            const readings = await Promise.all(labs.map((l) => Promise.all(byLab[l]!.map((ns) => readNamespace(c, ns)))));
            return { s, byLab, labs, readings };
        } catch (e) {
            return { s, error: errorText(e) };
        }
    });
    const nodes = [...new Set(read.flatMap((r) => (r.readings ?? []).flat().flatMap((n) => n.pods.map((p) => p.spec?.nodeName ?? "")).filter(Boolean)))];
    const usage = await volumeUsage(c, nodes);
    return read.map((r) => {
        if (r.error !== undefined) return { id: r.s.id, state: "unhealthy", labs: [], error: r.error };
        const labs = r.labs.map((l, i) => labHealth(l, r.byLab[l]!, r.readings[i], usage));
        return { id: r.s.id, state: studentState(labs), labs };
    });
}

function bytes(n: number): string {
    const units = ["B", "Ki", "Mi", "Gi", "Ti"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return `${n >= 10 || i === 0 ? n.toFixed(0) : n.toFixed(1)}${units[i]}`;
}

function ago(iso: string, now: number): string {
    const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
    return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

/** One row per student and lab; why a lab is unhealthy below the table. */
export function healthTable(students: StudentHealth[], now = Date.now()): string {
    const head = ["student", "lab", "health", "pods ready", "claims bound", "volumes used", "restarts", "last warning"];
    const rows: string[][] = [];
    for (const s of students) {
        if (s.state === "absent" || s.labs.length === 0) {
            const kept = s.labs.reduce((a, l) => a + l.claims.total, 0);
            const what = kept ? `nothing runs; ${kept} claim(s) kept in ${s.labs.flatMap((l) => l.namespaces).join(", ")}` : "no namespaces of this student on the cluster";
            rows.push([s.id, "-", s.error ? "unreadable" : "absent", "", "", "", "", s.error ?? what]);
            continue;
        }
        for (const l of s.labs) {
            const full = l.volumes.map((v) => `${v.claim} ${Math.round((100 * v.usedBytes) / v.capacityBytes)}% of ${bytes(v.capacityBytes)}`).join(", ");
            const w = l.lastWarning;
            rows.push([
                s.id,
                l.lab,
                l.healthy ? "healthy" : "UNHEALTHY",
                `${l.pods.ready}/${l.pods.wanted}`,
                `${l.claims.bound}/${l.claims.total}`,
                full || (l.claims.total ? "unknown" : "-"),
                String(l.restarts),
                w ? `${ago(w.at, now)} ${w.object} ${w.reason}: ${w.message.split("\n")[0].slice(0, 80)}` : "",
            ]);
        }
    }
    const reasons = students.flatMap((s) =>
        s.labs.filter((l) => !l.healthy && s.state !== "absent").map((l) => {
            const why = [
                ...(l.pods.wanted === 0 ? ["no workload wants a pod"] : []),
                ...l.notReady,
                ...(l.claims.bound < l.claims.total ? [`${l.claims.total - l.claims.bound} claim(s) not Bound`] : []),
            ];
            return `${s.id} ${l.lab}: ${why.join("; ") || `${l.pods.ready} of ${l.pods.wanted} pods Ready`}`;
        }),
    );
    return [...tableLines(head, rows), ...(reasons.length ? ["", ...reasons] : [])].join("\n") + "\n";
}

interface StatusOptions extends RosterOptions {
    watch?: boolean;
    interval: number;
}

async function status(o: StatusOptions): Promise<number> {
    const students = selectStudents(o);
    const cluster = await operatorCluster();
    const round = async () => {
        const t0 = Date.now();
        const health = await classHealth(cluster, students, o.parallel);
        const seconds = (Date.now() - t0) / 1000;
        return { health, seconds, healthy: health.every((s) => s.state === "healthy") };
    };
    if (!o.watch) {
        const r = await round();
        process.stdout.write(o.json ? JSON.stringify(r.health, null, 2) + "\n" : healthTable(r.health) + `\nread in ${r.seconds.toFixed(1)} s\n`);
        return r.healthy ? EXIT.ok : EXIT.failed;
    }
    // --watch: redraw in place on a terminal; elsewhere, one table (or JSON line) per round
    const tty = !!process.stdout.isTTY && !o.json;
    const { value } = await interruptible(async (signal) => {
        let last = EXIT.failed as number;
        while (!signal.aborted) {
            const r = await round();
            last = r.healthy ? EXIT.ok : EXIT.failed;
            const stamp = `${new Date().toISOString().replace(/\.\d+Z$/, "Z")}: read in ${r.seconds.toFixed(1)} s; every ${o.interval} s, Ctrl-C to stop`;
            if (o.json) process.stdout.write(JSON.stringify({ at: new Date().toISOString(), students: r.health }) + "\n");
            else process.stdout.write((tty ? "\x1b[H\x1b[2J" : "\n") + healthTable(r.health) + `\n${stamp}\n`);
            await new Promise<void>((ok) => {
                const t = setTimeout(ok, o.interval * 1000);
                signal.addEventListener("abort", () => (clearTimeout(t), ok()), { once: true });
            });
        }
        return last;
    });
    return value;
}

export function register(program: Command): void {
    rosterOptions(program.command("status").description("each student's labs as the cluster has them: pods Ready, claims Bound and volume use, restarts, last warning (exit 1 unless all healthy)"), 8)
        .option("-w, --watch", "read again every --interval seconds (redrawn in place on a terminal) until Ctrl-C")
        .option("--interval <seconds>", "seconds between reads with --watch", positive, 5)
        .action(async (o: StatusOptions) => {
            process.exitCode = await status(o);
        });
}
