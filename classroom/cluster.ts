// The classroom's window on the cluster: the operator's kubeconfig, or a student's own
// rights (their ServiceAccount token), through the Kubernetes client library. Reads stay in
// the namespaces a student's stack labelled as theirs.
import * as k8s from "@kubernetes/client-node";
import { PassThrough } from "stream";
import { LAB_IDS, LAB_LABEL, LabId, PREFIX_LABEL, STUDENT, StackNaming } from "../components/shared/naming";
import { requireCluster } from "./preflight";

export interface Cluster {
    kc: k8s.KubeConfig;
    core: k8s.CoreV1Api;
    apps: k8s.AppsV1Api;
    batch: k8s.BatchV1Api;
}

function clients(kc: k8s.KubeConfig): Cluster {
    return { kc, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), batch: kc.makeApiClient(k8s.BatchV1Api) };
}

/**
 * The operator's cluster: KUBECONFIG or ~/.kube/config, its current context (as kubectl and the
 * Pulumi provider), shown to answer first (preflight.ts: a PreflightError says what failed).
 */
export async function operatorCluster(): Promise<Cluster> {
    return clients(await requireCluster());
}

/**
 * The same cluster with a student's rights: the token of their ServiceAccount (the one their
 * kubeconfig carries), so a check does only what the student may do.
 */
export async function studentCluster(op: Cluster, id: string): Promise<Cluster> {
    const ns = new StackNaming(id).accessNamespace();
    const secret = await op.core.readNamespacedSecret({ name: STUDENT.tokenSecret, namespace: ns });
    const token = secret.data?.token;
    if (!token) throw new Error(`${ns}/${STUDENT.tokenSecret} holds no token yet`);
    const cluster = op.kc.getCurrentCluster()!;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
        clusters: [cluster],
        users: [{ name: `student-${id}`, token: Buffer.from(token, "base64").toString() }],
        contexts: [{ name: `student-${id}`, cluster: cluster.name, user: `student-${id}` }],
        currentContext: `student-${id}`,
    });
    return clients(kc);
}

/** A student's lab namespaces, by lab (from the labels the stack puts on them); empty: no stack on the cluster. */
export async function labNamespaces(c: Cluster, id: string): Promise<Partial<Record<LabId, string[]>>> {
    const list = await c.core.listNamespace({ labelSelector: `${PREFIX_LABEL}=${id},${LAB_LABEL}` });
    const out: Partial<Record<LabId, string[]>> = {};
    for (const ns of list.items) {
        const lab = ns.metadata?.labels?.[LAB_LABEL] as LabId;
        if (!LAB_IDS.includes(lab) || ns.metadata?.deletionTimestamp) continue;
        (out[lab] ??= []).push(ns.metadata!.name!);
    }
    for (const l of Object.values(out)) l.sort();
    return out;
}

/** Ready by its probes, and not on its way out. */
export function isReady(p: k8s.V1Pod): boolean {
    return !p.metadata?.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
}

/** The statuses of the pod's init containers, then of its containers. */
export function containerStatuses(p: k8s.V1Pod): k8s.V1ContainerStatus[] {
    return [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
}

/**
 * Why a pod is not Ready, as an instructor reads it: a container waiting (CrashLoopBackOff,
 * ImagePullBackOff, ..., the routine start-up wait aside) or just failed (Error); one that
 * crashed before and runs again is caught between two back-offs, so it says it restarts;
 * otherwise Terminating or the pod's phase.
 */
export function notReadyReason(p: k8s.V1Pod): string {
    const statuses = containerStatuses(p);
    const waiting = statuses.find((s) => s.state?.waiting?.reason && s.state.waiting.reason !== "PodInitializing")?.state?.waiting?.reason;
    const failed = statuses.find((s) => s.state?.terminated && s.state.terminated.exitCode !== 0)?.state?.terminated?.reason;
    const again = statuses.find((s) => !s.ready && s.restartCount > 0 && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0);
    const restarting = again && `restarting after ${again.lastState!.terminated!.reason ?? `exit ${again.lastState!.terminated!.exitCode}`} (${again.restartCount} restarts)`;
    return waiting ?? failed ?? restarting ?? (p.metadata?.deletionTimestamp ? "Terminating" : (p.status?.phase ?? "Unknown"));
}

export interface ExecResult {
    code: number;
    out: string;
}

/** A command in a pod's container (as `kubectl exec`), with optional stdin: its exit code and output. */
export async function exec(c: Cluster, ns: string, pod: string, container: string, command: string[], stdin?: string, timeoutMs = 60_000): Promise<ExecResult> {
    const out = new PassThrough();
    let text = "";
    out.on("data", (d) => (text += d));
    const input = stdin === undefined ? null : new PassThrough();
    return new Promise<ExecResult>((resolve) => {
        let settled = false;
        const finish = (code: number, extra = "") => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ code, out: (text + extra).trim() });
        };
        const timer = setTimeout(() => finish(124, `\n(timed out after ${timeoutMs / 1000} s)`), timeoutMs);
        new k8s.Exec(c.kc)
            .exec(ns, pod, container, command, out, out, input, false, (status: k8s.V1Status) => {
                if (status.status === "Success") return finish(0);
                const code = Number(status.details?.causes?.find((x) => x.reason === "ExitCode")?.message ?? 1);
                finish(code, status.details?.causes ? "" : `\n${status.message ?? ""}`);
            })
            // the socket's type is isomorphic-ws's, whose declarations (@types/ws) are not installed
            .then((ws: { on(event: "close", listener: () => void): unknown }) => {
                if (input) input.end(stdin);
                ws.on("close", () => setTimeout(() => finish(1, "\n(connection closed)"), 500));
            })
            .catch((e) => finish(1, `\n${errorText(e)}`));
    });
}

/** What the API server said, in a line. */
export function errorText(e: unknown): string {
    const body = (e as { body?: unknown }).body;
    if (typeof body === "string") {
        try {
            return (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
            return body;
        }
    }
    return e instanceof Error ? e.message : String(e);
}

/** True when the API server answered 404. */
export function notFound(e: unknown): boolean {
    return (e as { code?: number }).code === 404;
}

/** Polls `check` until it returns true; its last answer is the error when time runs out. */
export async function waitFor(what: string, check: () => Promise<true | string>, timeoutMs = 300_000, everyMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: string;
    for (;;) {
        const r = await check().catch((e) => errorText(e));
        if (r === true) return;
        last = r;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}: ${last}`);
        await new Promise((ok) => setTimeout(ok, everyMs));
    }
}
