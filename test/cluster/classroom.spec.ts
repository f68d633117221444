// The classroom on the real engine (part of `npm run test:cluster`, after the engine suite on
// the same cluster): a class of three goes up in parallel through the Automation API, each
// student fenced into their own namespaces with their own kubeconfig; one student is
// destroyed and the others stay whole. sandbox/cluster/test.sh sources sandbox/engine/env.sh
// and sets KUBECONFIG.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../../tools/mock-runtime";
import type { StudentResult } from "../../classroom/class";
import type { StudentHealth } from "../../classroom/status";
import { PROJECT } from "../../stacks/config";
import { CLASSROOM, Obj, PulumiRun, alive, classroomCli, getJson, inNamespaces, killTree, kubectl, ok, processTree, projectCopy, until } from "./kube";

const WORK = projectCopy();
const ROSTER = path.join(WORK, "class.csv");
const IDS = ["ada", "bob", "cy"];

const classroom = (...args: string[]) => classroomCli(WORK, ...args);

function results(r: PulumiRun): StudentResult[] {
    try {
        return JSON.parse(r.stdout);
    } catch {
        assert.fail(`classroom printed no JSON (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    }
}

const figures: string[] = [];

describe("classroom: a class of three on the real engine", function () {
    this.timeout(30 * 60 * 1000);
    let up: StudentResult[];

    before(() => {
        fs.writeFileSync(ROSTER, `id,name\n${IDS.map((id) => `${id},Student ${id.toUpperCase()}`).join("\n")}\n`);
        const r = classroom("up", "--roster", ROSTER, "--parallel", "3", "--json");
        figures.push(`classroom up, 3 students at parallel 3: ${r.seconds.toFixed(1)} s`);
        up = results(r);
        assert.strictEqual(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr.slice(-4000)}`);
    });

    it("brings every student up, each with their own seven namespaces", () => {
        assert.deepStrictEqual(up.map((s) => [s.id, s.result]), IDS.map((id) => [id, "ok"]));
        for (const s of up) {
            assert.ok(s.changes.create > 100, `${s.id}: ${JSON.stringify(s.changes)}`);
            assert.strictEqual(s.namespaces.length, 7);
            assert.ok(s.namespaces.every((n) => n.startsWith(`${s.id}-`)));
            for (const n of s.namespaces) ok(["get", "namespace", n]);
        }
    });

    it("runs every student's StatefulSets with their claims bound", async () => {
        const namespaces = up.flatMap((s) => s.namespaces);
        await until("every student's StatefulSets ready", () => {
            const bad = inNamespaces("statefulset", namespaces).filter((s) => s.status.readyReplicas !== s.spec.replicas);
            return bad.length === 0 ? true : bad.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).join(", ");
        });
        assert.deepStrictEqual(inNamespaces("pvc", namespaces).filter((c) => c.status.phase !== "Bound").map((c) => c.metadata.name), []);
    });

    it("reports all three healthy in status, read from the cluster: every lab's pods Ready and claims Bound", () => {
        const r = classroom("status", "--roster", ROSTER, "--json");
        figures.push(`classroom status, 3 students: ${r.seconds.toFixed(1)} s`);
        assert.strictEqual(r.code, 0, r.stdout + r.stderr);
        const health: StudentHealth[] = JSON.parse(r.stdout);
        assert.deepStrictEqual(health.map((s) => [s.id, s.state, s.labs.map((l) => l.lab)]), IDS.map((id) => [id, "healthy", ["workshop", "todo", "movies", "customer", "postgres-ha"]]));
        const ha = health[0].labs.find((l) => l.lab === "postgres-ha")!;
        assert.deepStrictEqual([ha.pods, ha.claims], [{ ready: 3, wanted: 3 }, { bound: 3, total: 3 }]);
        const table = classroom("status", "--roster", ROSTER).stdout;
        for (const id of IDS) assert.match(table, new RegExp(`^${id} +postgres-ha +healthy +3/3 +3/3 `, "m"));
    });

    describe("a student's kubeconfig", () => {
        let kubeconfig: string;
        const as = (args: string[], input?: string) => kubectl(["--kubeconfig", kubeconfig, ...args], input);

        before(() => {
            const r = classroom("kubeconfig", "ada");
            assert.strictEqual(r.code, 0, r.stderr);
            kubeconfig = path.join(WORK, "ada.kubeconfig");
            fs.writeFileSync(kubeconfig, r.stdout, { mode: 0o600 });
        });

        it("lists pods in the student's own namespaces", () => {
            for (const ns of up.find((s) => s.id === "ada")!.namespaces) {
                const r = as(["get", "pods", "-n", ns, "-o", "name"]);
                assert.strictEqual(r.code, 0, `${ns}: ${r.stderr}`);
            }
            assert.match(as(["get", "pods", "-n", "ada-movies", "-o", "name"]).stdout, /pod\/mongo-0/);
        });

        it("is forbidden in another student's namespaces, cluster-wide and on its own fence", () => {
            for (const args of [["get", "pods", "-n", "bob-movies"], ["get", "secrets", "-n", "cy-postgres"], ["get", "namespaces"], ["get", "pv"], ["delete", "networkpolicy", "same-namespace-only", "-n", "ada-movies"], ["delete", "resourcequota", "lab-quota", "-n", "ada-movies"]]) {
                const r = as(args);
                assert.notStrictEqual(r.code, 0, `${args.join(" ")} was allowed`);
                assert.match(r.stderr, /Forbidden/, args.join(" "));
            }
        });

        it("gives a pod without requests the LimitRange defaults, and the quota holds", async () => {
            const bare = { apiVersion: "v1", kind: "Pod", metadata: { name: "bare", namespace: "ada-postgres-ha" }, spec: { containers: [{ name: "sh", image: "busybox:1.36.1", command: ["sleep", "3600"] }] } };
            const r = as(["create", "-f", "-", "-o", "json"], JSON.stringify(bare));
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(JSON.parse(r.stdout).spec.containers[0].resources, { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
            await until("the quota to count the pod", () => {
                const used = getJson(["resourcequota", "lab-quota", "-n", "ada-postgres-ha"]).status.used;
                // as quota counts: neither terminating nor finished
                const pods = inNamespaces("pod", ["ada-postgres-ha"]);
                const counted = pods.filter((p) => !p.metadata.deletionTimestamp && !["Succeeded", "Failed"].includes(p.status?.phase));
                return used?.pods === String(counted.length) ? true : `${JSON.stringify(used)}; pods: ${pods.map((p) => `${p.metadata.name} ${p.status?.phase}${p.metadata.deletionTimestamp ? " terminating" : ""}`).join(", ")}`;
            });
            const greedy = { ...bare, metadata: { ...bare.metadata, name: "greedy" }, spec: { containers: [{ ...bare.spec.containers[0], resources: { requests: { cpu: "3" }, limits: { cpu: "3" } } }] } };
            const refused = as(["create", "-f", "-"], JSON.stringify(greedy));
            assert.notStrictEqual(refused.code, 0);
            assert.match(refused.stderr, /exceeded quota: lab-quota, requested: requests\.cpu=3, used: requests\.cpu=\d+m, limited: requests\.cpu=2/);
            ok(["delete", "pod", "bare", "-n", "ada-postgres-ha", "--wait=false"]);
        });
    });

    describe("afterwards", () => {
        it("re-runs safely: up again changes nothing", () => {
            const r = classroom("up", "--roster", ROSTER, "--only", "ada,cy", "--parallel", "2", "--json");
            figures.push(`classroom up again, 2 students, nothing to change: ${r.seconds.toFixed(1)} s`);
            assert.strictEqual(r.code, 0, r.stderr.slice(-3000));
            assert.deepStrictEqual(results(r).map((s) => [s.id, s.result, s.changes]), [["ada", "ok", {}], ["cy", "ok", {}]]);
        });

        it("destroys one student and leaves the others untouched", () => {
            const others = up.filter((s) => s.id !== "bob");
            // same object (uid), same spec (generation): status alone may move
            const identity = () => others.flatMap((s) => inNamespaces("statefulset", s.namespaces).map((x: Obj) => `${x.metadata.namespace}/${x.metadata.name} ${x.metadata.uid} g${x.metadata.generation}`)).sort();
            const before = identity();
            const r = classroom("destroy", "--roster", ROSTER, "--only", "bob", "--yes", "--json");
            figures.push(`classroom destroy, 1 student: ${r.seconds.toFixed(1)} s`);
            assert.strictEqual(r.code, 0, r.stderr.slice(-3000));
            assert.deepStrictEqual(results(r).map((s) => [s.id, s.result]), [["bob", "ok"]]);
            assert.deepStrictEqual(inNamespaces("statefulset", up.find((s) => s.id === "bob")!.namespaces.filter((n) => kubectl(["get", "ns", n]).code === 0)), []);
            assert.deepStrictEqual(identity(), before, "another student's StatefulSets changed");
            const status = classroom("status", "--roster", ROSTER, "--json");
            assert.strictEqual(status.code, 1, "status exits 1 while a student is not up");
            assert.deepStrictEqual((JSON.parse(status.stdout) as StudentHealth[]).map((s) => [s.id, s.state]), [["ada", "healthy"], ["bob", "absent"], ["cy", "healthy"]]);
            assert.ok(!fs.existsSync(path.join(WORK, "Pulumi.student-bob.yaml")), "bob's stack file removed");
        });

        /** A stack's last checkpoint in the engine's file backend (sandbox/engine/env.sh); undefined mid-write. */
        const checkpoint = (stack: string): Obj | undefined => {
            const file = path.join(new URL(process.env.PULUMI_BACKEND_URL!).pathname, ".pulumi", "stacks", PROJECT, `${stack}.json`);
            try {
                return JSON.parse(fs.readFileSync(file, "utf8")).checkpoint?.latest;
            } catch {
                return undefined;
            }
        };
        const bobLog = (command: string) => path.join(WORK, ".classroom", "logs", `student-bob.${command}.log`);
        /** Waits until a run's log reports 20 resources `done` (created, deleted). */
        const midway = (log: string, done: string) =>
            until(`${path.basename(log)} to be midway`, () => {
                const n = fs.existsSync(log) ? (fs.readFileSync(log, "utf8").match(new RegExp(` ${done} `, "g")) ?? []).length : 0;
                return n >= 20 ? true : `${n} resources ${done}`;
            });

        it("resumes a run that was killed midway (SIGKILL: no cleanup, the stack stays locked)", async () => {
            const log = bobLog("up");
            fs.rmSync(log, { force: true }); // the first up's log
            const child = spawn(process.execPath, [...CLASSROOM, "up", "--roster", ROSTER, "--only", "bob", "--dir", WORK], { cwd: REPO_ROOT, env: process.env, stdio: "ignore" });
            // killed while a create is in flight, which the state records as pending: a
            // StatefulSet's, which waits seconds for its pods (the create that resuming finds hardest)
            await until("a StatefulSet create in flight", () => {
                const pending: Obj[] = checkpoint("student-bob")?.pending_operations ?? [];
                return pending.some((op) => op.type === "creating" && op.resource.type === "kubernetes:apps/v1:StatefulSet") ? true : `${pending.length} operations pending`;
            });
            killTree(child.pid!); // the run and its engine, plugins and program: nothing cleans up
            await new Promise((done) => child.on("exit", done));
            const r = classroom("up", "--roster", ROSTER, "--only", "bob", "--json");
            figures.push(`classroom up, resuming 1 killed student: ${r.seconds.toFixed(1)} s`);
            assert.strictEqual(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
            const resumed = fs.readFileSync(log, "utf8");
            assert.match(resumed, /classroom: removing the lock of pid \d+, which no longer runs/);
            assert.match(resumed, /classroom: \d+ operations were left pending by an interrupted run; refreshing the stack and clearing pending creates/);
            assert.match(resumed, /classroom: this run takes over the fields the interrupted run applied/);
            const status = classroom("status", "--roster", ROSTER, "--json");
            assert.strictEqual(status.code, 0, status.stdout);
        });

        it("stops cleanly on Ctrl-C: summary, exit 130, no process left running; the next run finishes the job", async () => {
            const log = bobLog("destroy");
            fs.rmSync(log, { force: true });
            // its own process group, which a terminal's Ctrl-C signals whole
            const args = ["destroy", "--roster", ROSTER, "--only", "bob", "--yes", "--json"];
            const child = spawn(process.execPath, [...CLASSROOM, ...args, "--dir", WORK], { cwd: REPO_ROOT, env: process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += d));
            child.stderr.on("data", (d) => (stderr += d));
            const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
            await midway(log, "deleted");
            const tree = processTree(child.pid!);
            assert.ok(tree.length > 3, `the run's processes: ${tree.join(", ")}`);
            process.kill(-child.pid!, "SIGINT");
            assert.strictEqual(await exited, 130, stderr.slice(-3000));
            assert.deepStrictEqual(results({ code: 130, stdout, stderr, seconds: 0 }).map((s) => [s.id, s.result, s.detail]), [["bob", "failed", "interrupted"]]);
            await until("the run's engine, plugins and program to stop", () => {
                const left = tree.filter(alive);
                return left.length === 0 ? true : `still running: ${left.join(", ")}`;
            });
            const again = classroom(...args);
            assert.strictEqual(again.code, 0, again.stderr.slice(-3000));
            assert.deepStrictEqual(results(again).map((s) => [s.id, s.result]), [["bob", "ok"]]);
        });
    });

    after(() => {
        const r = classroom("destroy", "--roster", ROSTER, "--yes", "--parallel", "3");
        if (r.code !== 0) console.log(r.stdout, r.stderr.slice(-2000));
        for (const f of figures) console.log(`    figure: ${f}`);
    });
});
