// `classroom reset --only <id> --lab <lab> --yes`: one student's lab back to its first state.
// The one path of the project that deletes data on purpose: it names what it will delete and
// asks for --yes; it touches only that student's namespaces of that lab and the PVs reserved
// for their claims. Workloads stopped, each claim's data wiped (by a pod running as the data's
// owner, so it works on hostPath and on NFS with root squashed), claims and their PVs deleted,
// then `up --refresh` re-creates the lab from its stack.
import type * as k8s from "@kubernetes/client-node";
import { Command } from "commander";
import * as path from "path";
import { LAB_LABEL, LabId, PREFIX_LABEL, templateClaimName } from "../components/shared/naming";
import { parseConfig } from "../stacks/config";
import { ClassError, flatStudentConfig, readBase } from "./class";
import { Cluster, errorText, labNamespaces, notFound, operatorCluster, waitFor } from "./cluster";
import { EXIT, RosterOptions, labOption, rosterOptions, selectStudents, stackCommand } from "./common";
import { requirePulumiFor } from "./preflight";
import { stackName } from "./roster";

/** What a lab's namespaces hold, as reset reads them. */
export interface LabReading {
    namespaces: string[];
    statefulSets: k8s.V1StatefulSet[];
    deployments: k8s.V1Deployment[];
    jobs: k8s.V1Job[];
    claims: k8s.V1PersistentVolumeClaim[];
    /** Every PV of the cluster (reset picks those reserved for this lab's claims). */
    volumes: k8s.V1PersistentVolume[];
}

export interface ResetPlan {
    id: string;
    lab: LabId;
    namespaces: string[];
    /** `<Kind> <namespace>/<name>` of each workload stopped (deleted; `up` brings it back). */
    stop: string[];
    /** Each claim whose data is wiped, with where the data lives and the uid that owns it. */
    wipe: { namespace: string; claim: string; volume?: string; where?: string; uid?: number }[];
    /** PVs deleted (`up` creates them again): only those of this student reserved for these claims. */
    volumes: string[];
}

type PodTemplate = k8s.V1PodTemplateSpec | undefined;
const uidOf = (t: PodTemplate): number | undefined => t?.spec?.securityContext?.runAsUser ?? t?.spec?.containers?.find((c) => c.securityContext?.runAsUser !== undefined)?.securityContext?.runAsUser;

/** Which claims each workload's pods mount, with the uid they run as: the data's owner. */
function claimOwners(r: LabReading): Map<string, number | undefined> {
    const owners = new Map<string, number | undefined>();
    const mounts = (ns: string, t: PodTemplate) => {
        for (const v of t?.spec?.volumes ?? []) if (v.persistentVolumeClaim) owners.set(`${ns}/${v.persistentVolumeClaim.claimName}`, uidOf(t));
    };
    for (const s of r.statefulSets) {
        const ns = s.metadata!.namespace!;
        mounts(ns, s.spec?.template);
        for (const t of s.spec?.volumeClaimTemplates ?? []) {
            for (const c of r.claims.filter((c) => c.metadata?.namespace === ns)) {
                const prefix = templateClaimName(t.metadata!.name!, s.metadata!.name!, 0).replace(/0$/, "");
                if (c.metadata!.name!.startsWith(prefix) && /^\d+$/.test(c.metadata!.name!.slice(prefix.length))) owners.set(`${ns}/${c.metadata!.name}`, uidOf(s.spec?.template));
            }
        }
    }
    for (const d of r.deployments) mounts(d.metadata!.namespace!, d.spec?.template);
    return owners;
}

/** What a reset of `lab` for student `id` deletes, from what the cluster holds (pure: unit-tested). */
export function resetPlan(id: string, lab: LabId, r: LabReading): ResetPlan {
    const inLab = (o: { metadata?: k8s.V1ObjectMeta }) => r.namespaces.includes(o.metadata?.namespace ?? "");
    const owners = claimOwners(r);
    const claims = r.claims.filter(inLab);
    const reserved = (pv: k8s.V1PersistentVolume, c: k8s.V1PersistentVolumeClaim) =>
        pv.metadata?.labels?.[PREFIX_LABEL] === id &&
        pv.metadata?.labels?.[LAB_LABEL] === lab &&
        pv.spec?.claimRef?.namespace === c.metadata?.namespace &&
        pv.spec?.claimRef?.name === c.metadata?.name;
    const wipe = claims.map((c) => {
        const pv = r.volumes.find((v) => reserved(v, c));
        const where = pv?.spec?.hostPath ? `hostPath ${pv.spec.hostPath.path}` : pv?.spec?.nfs ? `nfs ${pv.spec.nfs.server}:${pv.spec.nfs.path}` : undefined;
        return { namespace: c.metadata!.namespace!, claim: c.metadata!.name!, volume: pv?.metadata?.name, where, uid: owners.get(`${c.metadata!.namespace}/${c.metadata!.name}`) };
    });
    const name = (kind: string) => (o: { metadata?: k8s.V1ObjectMeta }) => `${kind} ${o.metadata!.namespace}/${o.metadata!.name}`;
    return {
        id,
        lab,
        namespaces: r.namespaces,
        stop: [...r.statefulSets.filter(inLab).map(name("StatefulSet")), ...r.deployments.filter(inLab).map(name("Deployment")), ...r.jobs.filter(inLab).map(name("Job"))],
        wipe,
        volumes: wipe.flatMap((w) => (w.volume ? [w.volume] : [])),
    };
}

export function describePlan(p: ResetPlan): string {
    const lines = [`reset of lab ${p.lab} for student ${p.id} (namespaces ${p.namespaces.join(", ")}):`];
    lines.push(`  stop: ${p.stop.length ? p.stop.join(", ") : "nothing running"}`);
    for (const w of p.wipe) lines.push(`  DELETE the data of claim ${w.namespace}/${w.claim}${w.volume ? ` on PV ${w.volume}` : ""}${w.where ? ` (${w.where})` : ""}, then the claim${w.volume ? " and the PV" : ""}`);
    if (p.wipe.length === 0) lines.push("  no claims: no data to delete");
    lines.push("  then: up --refresh of this student, which re-creates the lab empty");
    return lines.join("\n") + "\n";
}

async function readLab(c: Cluster, namespaces: string[]): Promise<LabReading> {
    const per = await Promise.all(
        namespaces.map(async (namespace) => {
            const [sts, deploy, jobs, claims] = await Promise.all([
                c.apps.listNamespacedStatefulSet({ namespace }),
                c.apps.listNamespacedDeployment({ namespace }),
                c.batch.listNamespacedJob({ namespace }),
                c.core.listNamespacedPersistentVolumeClaim({ namespace }),
            ]);
            return { sts: sts.items, deploy: deploy.items, jobs: jobs.items, claims: claims.items };
        }),
    );
    const volumes = (await c.core.listPersistentVolume()).items;
    return { namespaces, statefulSets: per.flatMap((p) => p.sts), deployments: per.flatMap((p) => p.deploy), jobs: per.flatMap((p) => p.jobs), claims: per.flatMap((p) => p.claims), volumes };
}

const say = (s: string) => process.stderr.write(`classroom: ${s}\n`);

/** A delete's rejection handler: gone already is done; anything else fails as it came. */
function ignoreNotFound(e: unknown): undefined {
    if (notFound(e)) return undefined;
    throw e;
}

/** Deletes each workload, then waits until no pod is left in the lab's namespaces (nothing holds a claim). */
async function stop(c: Cluster, p: ResetPlan): Promise<void> {
    for (const w of p.stop) {
        const [kind, ref] = w.split(" ");
        const [namespace, name] = ref.split("/");
        const body = { propagationPolicy: "Background" };
        const del =
            kind === "StatefulSet"
                ? c.apps.deleteNamespacedStatefulSet({ name, namespace, body })
                : kind === "Deployment"
                  ? c.apps.deleteNamespacedDeployment({ name, namespace, body })
                  : c.batch.deleteNamespacedJob({ name, namespace, body });
        await del.catch(ignoreNotFound);
    }
    // pods the student started by hand may hold a claim too
    for (const namespace of p.namespaces) await c.core.deleteCollectionNamespacedPod({ namespace });
    await waitFor("every pod of the lab gone", async () => {
        const left = (await Promise.all(p.namespaces.map((namespace) => c.core.listNamespacedPod({ namespace })))).flatMap((l) => l.items.map((x) => x.metadata!.name!));
        return left.length === 0 ? true : left.join(", ");
    });
}

/** Empties a claim's volume with a pod that runs as the data's owner (root cannot on NFS with root squash). */
async function wipe(c: Cluster, w: ResetPlan["wipe"][number], image: string): Promise<void> {
    const name = `state-labs-reset-${w.claim}`.slice(0, 63).replace(/-+$/, "");
    const uid = w.uid ?? 0;
    const pod: k8s.V1Pod = {
        metadata: { name, namespace: w.namespace, labels: { "app.kubernetes.io/part-of": "state-labs", "app.kubernetes.io/component": "reset" } },
        spec: {
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            securityContext: { runAsUser: uid, runAsGroup: uid, runAsNonRoot: uid !== 0, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "wipe",
                    image,
                    command: ["sh", "-c", 'set -e; cd /data; for f in * .[!.]* ..?*; do if [ -e "$f" ] || [ -L "$f" ]; then rm -rf -- "$f"; fi; done; [ -z "$(ls -A)" ]; echo "emptied"'],
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                    resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
                    volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
            ],
            volumes: [{ name: "data", persistentVolumeClaim: { claimName: w.claim } }],
        },
    };
    await c.core.deleteNamespacedPod({ name, namespace: w.namespace }).catch(() => undefined);
    await waitFor(`${name} gone`, async () => ((await c.core.readNamespacedPod({ name, namespace: w.namespace }).catch(() => undefined)) ? "still there" : true), 60_000, 1000);
    await c.core.createNamespacedPod({ namespace: w.namespace, body: pod });
    try {
        await waitFor(`the data of ${w.namespace}/${w.claim} wiped`, async () => {
            const p = await c.core.readNamespacedPod({ name, namespace: w.namespace });
            if (p.status?.phase === "Succeeded") return true;
            if (p.status?.phase === "Failed") {
                const log = await c.core.readNamespacedPodLog({ name, namespace: w.namespace }).catch(() => "");
                throw new Error(`wiping ${w.namespace}/${w.claim} failed: ${String(log).trim().split("\n").pop()}`);
            }
            return p.status?.phase ?? "pending";
        });
    } finally {
        await c.core.deleteNamespacedPod({ name, namespace: w.namespace }).catch(() => undefined);
    }
}

async function deleteStorage(c: Cluster, p: ResetPlan): Promise<void> {
    for (const w of p.wipe) {
        await c.core.deleteNamespacedPersistentVolumeClaim({ name: w.claim, namespace: w.namespace }).catch(ignoreNotFound);
    }
    for (const name of p.volumes) await c.core.deletePersistentVolume({ name }).catch(ignoreNotFound);
    await waitFor("the claims and PVs gone", async () => {
        const claims = await Promise.all(p.wipe.map((w) => c.core.readNamespacedPersistentVolumeClaim({ name: w.claim, namespace: w.namespace }).then(() => w.claim, () => undefined)));
        const pvs = await Promise.all(p.volumes.map((name) => c.core.readPersistentVolume({ name }).then(() => name, () => undefined)));
        const left = [...claims, ...pvs].filter(Boolean);
        return left.length === 0 ? true : left.join(", ");
    });
}

interface ResetOptions extends RosterOptions {
    lab?: LabId;
    yes?: boolean;
}

async function reset(o: ResetOptions): Promise<number> {
    if (!o.only || o.only.length !== 1) throw new ClassError(["reset acts on one student: name them with --only <id>"]);
    if (!o.lab) throw new ClassError(["reset acts on one lab: name it with --lab <lab>"]);
    const [student] = selectStudents(o);
    const base = readBase(path.resolve(o.dir), o.base);
    const config = parseConfig(flatStudentConfig(base, student.id));
    // the closing `up --refresh` needs Pulumi: check it before any data is deleted
    requirePulumiFor(path.resolve(o.dir), [stackName(student.id)]);
    const c = await operatorCluster();
    const namespaces = (await labNamespaces(c, student.id))[o.lab];
    if (!namespaces) {
        say(`student ${student.id} has no namespaces of lab ${o.lab} on the cluster; nothing to reset (run up)`);
        return EXIT.failed;
    }
    const plan = resetPlan(student.id, o.lab, await readLab(c, namespaces));
    process.stderr.write(describePlan(plan));
    if (!o.yes) throw new ClassError([`reset deletes the data above for good; add --yes to go ahead`]);
    try {
        say("stopping the lab's workloads");
        await stop(c, plan);
        for (const w of plan.wipe) {
            say(`wiping ${w.namespace}/${w.claim}`);
            await wipe(c, w, config.images.volumePermissions);
        }
        say("deleting the claims and their PVs");
        await deleteStorage(c, plan);
    } catch (e) {
        say(`reset stopped: ${errorText(e)}; the stack is unchanged: run the same command again, or up --refresh to bring the lab back as it is`);
        return EXIT.failed;
    }
    say("re-creating the lab: up --refresh");
    return stackCommand("up", [student], { ...o, refresh: true });
}

export function register(program: Command): void {
    rosterOptions(program.command("reset").description("put one student's lab back to its first state: DELETES that lab's data (claims, volumes), then up"), 1)
        .addOption(labOption("the lab to reset"))
        .option("-y, --yes", "required: confirms that the lab's data is deleted")
        .action(async (o: ResetOptions) => {
            process.exitCode = await reset(o);
        });
}
