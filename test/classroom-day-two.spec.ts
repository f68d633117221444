// The instructor's day-two commands without a cluster: the health table's logic
// (classroom/status.ts), the reset's plan (classroom/reset.ts: what it
// deletes, and what it never touches) and the check's table (classroom/check.ts).
import * as assert from "assert";
import type * as k8s from "@kubernetes/client-node";
import { checkTable } from "../classroom/check";
import { notReadyReason } from "../classroom/cluster";
import { LabReading, describePlan, resetPlan } from "../classroom/reset";
import { NamespaceReading, StudentHealth, VolumeUse, healthTable, labHealth, studentState } from "../classroom/status";

function pod(name: string, o: { ready?: boolean; restarts?: number; waiting?: string; job?: boolean; ns?: string } = {}): k8s.V1Pod {
    return {
        metadata: { name, namespace: o.ns ?? "ada-postgres-ha", ownerReferences: o.job ? [{ kind: "Job", name: "j", apiVersion: "batch/v1", uid: "u" }] : [] },
        status: {
            phase: o.ready === false ? "Running" : "Running",
            conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }],
            containerStatuses: [{ name: "c", image: "i", imageID: "", ready: o.ready !== false, restartCount: o.restarts ?? 0, state: o.waiting ? { waiting: { reason: o.waiting } } : { running: {} } }],
        },
    };
}
const claim = (name: string, bound = true, ns = "ada-postgres-ha"): k8s.V1PersistentVolumeClaim => ({ metadata: { name, namespace: ns }, status: { phase: bound ? "Bound" : "Pending" } });
const warning = (reason: string, at: string, object = "postgres-sts-2"): k8s.CoreV1Event => ({
    metadata: { name: `${object}.${reason}` },
    involvedObject: { kind: "Pod", name: object },
    reason,
    message: `${reason} happened`,
    lastTimestamp: new Date(at),
});
const reading = (o: Partial<NamespaceReading>): NamespaceReading => ({ pods: [], claims: [], warnings: [], workloads: [], ...o });

describe("classroom: why a pod is not Ready (notReadyReason), through every moment of a crash loop", () => {
    const looping = (state: k8s.V1ContainerState, restartCount: number, lastState?: k8s.V1ContainerState): k8s.V1Pod => ({
        metadata: { name: "db-0" },
        status: { phase: "Running", containerStatuses: [{ name: "postgres", image: "i", imageID: "", ready: false, restartCount, state, lastState }] },
    });
    const crashed: k8s.V1ContainerState = { terminated: { exitCode: 1, reason: "Error" } };

    it("names the back-off while it waits, the failure as it exits, and the restart while it runs again", () => {
        assert.strictEqual(notReadyReason(looping({ waiting: { reason: "CrashLoopBackOff" } }, 3, crashed)), "CrashLoopBackOff");
        assert.strictEqual(notReadyReason(looping(crashed, 3)), "Error");
        assert.strictEqual(notReadyReason(looping({ running: {} }, 3, crashed)), "restarting after Error (3 restarts)");
    });

    it("says nothing of restarts for a pod merely starting, or one that exited cleanly before", () => {
        assert.strictEqual(notReadyReason(looping({ waiting: { reason: "PodInitializing" } }, 0)), "Running");
        assert.strictEqual(notReadyReason(looping({ running: {} }, 1, { terminated: { exitCode: 0, reason: "Completed" } })), "Running");
        assert.strictEqual(notReadyReason({ ...looping({ running: {} }, 0), metadata: { name: "db-0", deletionTimestamp: new Date() } }), "Terminating");
    });
});

describe("classroom status: the health of a lab (labHealth, healthTable)", () => {
    const sts = [{ kind: "StatefulSet", name: "postgres-sts", replicas: 3 }];

    it("is healthy when every pod its workloads want is Ready and every claim Bound; Job pods do not count", () => {
        const r = reading({ workloads: sts, pods: [pod("postgres-sts-0"), pod("postgres-sts-1"), pod("postgres-sts-2"), pod("initiate-x", { ready: false, job: true })], claims: [claim("a"), claim("b"), claim("c")] });
        const h = labHealth("postgres-ha", ["ada-postgres-ha"], [r], new Map());
        assert.deepStrictEqual([h.healthy, h.pods, h.claims, h.notReady], [true, { ready: 3, wanted: 3 }, { bound: 3, total: 3 }, []]);
    });

    it("is unhealthy with a crash-looping pod, says why, and counts its restarts", () => {
        const r = reading({ workloads: sts, pods: [pod("postgres-sts-0"), pod("postgres-sts-1", { ready: false, restarts: 7, waiting: "CrashLoopBackOff" }), pod("postgres-sts-2", { restarts: 1 })], claims: [claim("a"), claim("b"), claim("c")] });
        const h = labHealth("postgres-ha", ["ada-postgres-ha"], [r], new Map());
        assert.strictEqual(h.healthy, false);
        assert.deepStrictEqual(h.notReady, ["postgres-sts-1: CrashLoopBackOff"]);
        assert.strictEqual(h.restarts, 8);
    });

    it("is unhealthy when a pod the StatefulSet wants does not exist, or a claim is not Bound, or nothing is wanted", () => {
        const missing = labHealth("postgres-ha", ["n"], [reading({ workloads: sts, pods: [pod("postgres-sts-0"), pod("postgres-sts-1")], claims: [claim("a"), claim("b")] })], new Map());
        assert.deepStrictEqual([missing.healthy, missing.pods], [false, { ready: 2, wanted: 3 }]);
        const pending = labHealth("workshop", ["n"], [reading({ workloads: [{ kind: "StatefulSet", name: "db", replicas: 1 }], pods: [pod("db-0")], claims: [claim("db-data", false)] })], new Map());
        assert.deepStrictEqual([pending.healthy, pending.claims], [false, { bound: 0, total: 1 }]);
        assert.strictEqual(labHealth("workshop", ["n"], [reading({})], new Map()).healthy, false);
    });

    it("takes the newest warning event across the lab's namespaces, and volume use where the node reports it", () => {
        const usage = new Map<string, VolumeUse>([["ada-postgres-ha/a", { claim: "a", usedBytes: 150 * 2 ** 20, capacityBytes: 200 * 2 ** 20 }]]);
        const h = labHealth("postgres-ha", ["ada-postgres-ha", "other"], [
            reading({ workloads: sts, warnings: [warning("BackOff", "2026-11-23T10:00:00Z")], claims: [claim("a"), claim("b")] }),
            reading({ warnings: [warning("FailedMount", "2026-11-23T10:05:00Z", "postgres-sts-1"), warning("Unhealthy", "2026-11-23T09:00:00Z")] }),
        ], usage);
        assert.deepStrictEqual(h.lastWarning, { reason: "FailedMount", message: "FailedMount happened", object: "pod/postgres-sts-1", at: "2026-11-23T10:05:00.000Z" });
        assert.deepStrictEqual(h.volumes, [{ claim: "a", usedBytes: 150 * 2 ** 20, capacityBytes: 200 * 2 ** 20 }]);
    });

    it("calls a student absent when nothing of theirs runs (destroyed, claims kept), unhealthy when one lab is down", () => {
        const kept = labHealth("workshop", ["bob-kubernetes-ws-2"], [reading({ claims: [claim("db-data")] })], new Map());
        const running = labHealth("todo", ["bob-postgres"], [reading({ workloads: [{ kind: "StatefulSet", name: "postgres", replicas: 1 }], pods: [pod("postgres-0")], claims: [claim("postgres-pvc")] })], new Map());
        assert.strictEqual(studentState([kept]), "absent");
        assert.strictEqual(studentState([kept, running]), "unhealthy", "a lab whose workloads the student deleted is down, not absent");
        assert.strictEqual(studentState([running]), "healthy");
        assert.match(healthTable([{ id: "bob", state: "absent", labs: [kept] }]), /^bob +- +absent +nothing runs; 1 claim\(s\) kept in bob-kubernetes-ws-2$/m);
    });

    it("prints one row per student and lab, absent students, and why each unhealthy lab is", () => {
        const healthy = labHealth("workshop", ["ada-kubernetes-ws-2"], [reading({ workloads: [{ kind: "StatefulSet", name: "db", replicas: 1 }], pods: [pod("db-0")], claims: [claim("db-data")] })], new Map([["undefined/x", { claim: "x", usedBytes: 1, capacityBytes: 1 }]]));
        const broken = labHealth("postgres-ha", ["bob-postgres-ha"], [reading({ workloads: sts, pods: [pod("postgres-sts-0"), pod("postgres-sts-1"), pod("postgres-sts-2", { ready: false, waiting: "CrashLoopBackOff", restarts: 4 })], claims: [claim("a"), claim("b"), claim("c")], warnings: [warning("BackOff", "2026-11-23T10:00:00Z")] })], new Map([["ada-postgres-ha/a", { claim: "a", usedBytes: 50 * 2 ** 20, capacityBytes: 200 * 2 ** 20 }]]));
        const students: StudentHealth[] = [
            { id: "ada", state: "healthy", labs: [healthy] },
            { id: "bob", state: "unhealthy", labs: [broken] },
            { id: "cy", state: "absent", labs: [] },
        ];
        assert.strictEqual(
            healthTable(students, Date.parse("2026-11-23T10:02:00Z")),
            [
                "student  lab          health     pods ready  claims bound  volumes used    restarts  last warning",
                "-------  -----------  ---------  ----------  ------------  --------------  --------  ------------",
                "ada      workshop     healthy    1/1         1/1           unknown         0",
                "bob      postgres-ha  UNHEALTHY  2/3         3/3           a 25% of 200Mi  4         2m ago pod/postgres-sts-2 BackOff: BackOff happened",
                "cy       -            absent                                                         no namespaces of this student on the cluster",
                "",
                "bob postgres-ha: postgres-sts-2: CrashLoopBackOff",
                "",
            ].join("\n"),
        );
    });
});

describe("classroom reset: the plan (resetPlan)", () => {
    const meta = (name: string, namespace?: string, labels?: Record<string, string>) => ({ name, namespace, labels });
    const template = (uid: number, claims: string[] = []): k8s.V1PodTemplateSpec => ({
        spec: { securityContext: { runAsUser: uid }, containers: [{ name: "c" }], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) },
    });
    const pv = (name: string, prefix: string, lab: string, ns: string, claimName: string, hostPath: string): k8s.V1PersistentVolume => ({
        metadata: meta(name, undefined, { "state-labs.io/prefix": prefix, "state-labs.io/lab": lab }),
        spec: { claimRef: { namespace: ns, name: claimName }, hostPath: { path: hostPath } },
    });
    // two students with the same lab, and a second lab of ada's that shares nothing
    const cluster: LabReading = {
        namespaces: ["ada-postgres-ha"],
        statefulSets: [{ metadata: meta("postgres-sts", "ada-postgres-ha"), spec: { selector: {}, serviceName: "h", template: template(999), volumeClaimTemplates: [{ metadata: { name: "postgres-data" } }] } }],
        deployments: [],
        jobs: [{ metadata: meta("mkdir-postgres-data-postgres-sts-0", "ada-postgres-ha") }],
        claims: [0, 1, 2].map((i) => claim(`postgres-data-postgres-sts-${i}`, true, "ada-postgres-ha")),
        volumes: [
            ...[0, 1, 2].map((i) => pv(`ada-postgres-data-postgres-sts-${i}`, "ada", "postgres-ha", "ada-postgres-ha", `postgres-data-postgres-sts-${i}`, `/data/ada/postgres-ha/postgres-data-postgres-sts-${i}`)),
            ...[0, 1, 2].map((i) => pv(`bob-postgres-data-postgres-sts-${i}`, "bob", "postgres-ha", "bob-postgres-ha", `postgres-data-postgres-sts-${i}`, `/data/bob/postgres-ha/postgres-data-postgres-sts-${i}`)),
            pv("ada-db-data", "ada", "workshop", "ada-kubernetes-ws-2", "db-data", "/data/ada/workshop/db-data"),
            // a PV of another stack that names ada's claim: never ada's to delete
            pv("intruder", "eve", "postgres-ha", "ada-postgres-ha", "postgres-data-postgres-sts-0", "/data/eve/x"),
        ],
    };

    it("stops the lab's workloads and deletes exactly its claims and the PVs reserved for them, wiped as the data's owner", () => {
        const p = resetPlan("ada", "postgres-ha", cluster);
        assert.deepStrictEqual(p.stop, ["StatefulSet ada-postgres-ha/postgres-sts", "Job ada-postgres-ha/mkdir-postgres-data-postgres-sts-0"]);
        assert.deepStrictEqual(p.volumes, [0, 1, 2].map((i) => `ada-postgres-data-postgres-sts-${i}`));
        assert.deepStrictEqual(p.wipe[2], { namespace: "ada-postgres-ha", claim: "postgres-data-postgres-sts-2", volume: "ada-postgres-data-postgres-sts-2", where: "hostPath /data/ada/postgres-ha/postgres-data-postgres-sts-2", uid: 999 });
    });

    it("never touches another student's objects, another lab's, or a PV that another stack labelled", () => {
        const p = resetPlan("ada", "postgres-ha", cluster);
        const touched = JSON.stringify(p);
        for (const never of ["bob-", "ada-db-data", "intruder", "/data/eve", "ada-kubernetes-ws-2"]) assert.ok(!touched.includes(never), `${never} is in the plan`);
        // objects listed from elsewhere (a wider read) are ignored: only the lab's namespaces count
        const wider: LabReading = { ...cluster, claims: [...cluster.claims, claim("db-data", true, "ada-kubernetes-ws-2")], statefulSets: [...cluster.statefulSets, { metadata: meta("db", "ada-kubernetes-ws-2"), spec: { selector: {}, serviceName: "x", template: template(999, ["db-data"]) } }] };
        assert.deepStrictEqual(resetPlan("ada", "postgres-ha", wider), p);
    });

    it("takes the owner of a standalone claim from the pods that mount it, and names everything it deletes", () => {
        const workshop: LabReading = {
            namespaces: ["ada-kubernetes-ws-2"],
            statefulSets: [{ metadata: meta("db", "ada-kubernetes-ws-2"), spec: { selector: {}, serviceName: "x", template: template(999, ["db-data"]) } }],
            deployments: [{ metadata: meta("backend", "ada-kubernetes-ws-2"), spec: { selector: {}, template: template(1000) } }],
            jobs: [],
            claims: [claim("db-data", true, "ada-kubernetes-ws-2")],
            volumes: cluster.volumes,
        };
        const p = resetPlan("ada", "workshop", workshop);
        assert.deepStrictEqual(p.wipe, [{ namespace: "ada-kubernetes-ws-2", claim: "db-data", volume: "ada-db-data", where: "hostPath /data/ada/workshop/db-data", uid: 999 }]);
        assert.strictEqual(
            describePlan(p),
            [
                "reset of lab workshop for student ada (namespaces ada-kubernetes-ws-2):",
                "  stop: StatefulSet ada-kubernetes-ws-2/db, Deployment ada-kubernetes-ws-2/backend",
                "  DELETE the data of claim ada-kubernetes-ws-2/db-data on PV ada-db-data (hostPath /data/ada/workshop/db-data), then the claim and the PV",
                "  then: up --refresh of this student, which re-creates the lab empty",
                "",
            ].join("\n"),
        );
    });
});

describe("classroom check: the table", () => {
    it("prints pass and FAIL with each reason, and how many passed", () => {
        assert.strictEqual(
            checkTable([
                { id: "ada", lab: "workshop", pass: true, reason: "a row survived the deletion of db-0", seconds: 12.34 },
                { id: "bob", lab: "postgres-ha", pass: false, reason: "postgres-sts-2 not streaming from postgres-sts-0 (1 of 2 standbys are)", seconds: 1 },
            ]),
            [
                "student  lab          result  time   reason",
                "-------  -----------  ------  -----  ------",
                "ada      workshop     pass    12.3s  a row survived the deletion of db-0",
                "bob      postgres-ha  FAIL    1.0s   postgres-sts-2 not streaming from postgres-sts-0 (1 of 2 standbys are)",
                "",
                "1 of 2 passed",
                "",
            ].join("\n"),
        );
    });
});
