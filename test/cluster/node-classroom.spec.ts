// The instructor's day two on the real node (part of `npm run test:cluster`, after the node
// suite on the same node): a class of two (ada, bob) with workshop (its backend too), todo and
// postgres-ha running for real; `status` and `check` see a healthy class, then a crash-looping database
// and a stopped standby, each with its reason; `reset` of ada's workshop wipes its data and
// brings it back to a passing check while bob's rows stay. sandbox/cluster/test.sh starts the
// node, sources sandbox/engine/env.sh and sets KUBECONFIG and LABS_NODE_DATA.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import type { CheckResult } from "../../classroom/check";
import type { StudentHealth } from "../../classroom/status";
import { nodeStackFile } from "../../sandbox/node/stack-file";
import { PulumiRun, classroomCli, getJson, kubectl, ok, projectCopy, requestAs, until } from "./kube";

const DATA_ROOT = process.env.LABS_NODE_DATA ?? assert.fail("LABS_NODE_DATA (the hostPath root on the node) is not set");
const WORK = projectCopy();
const ROSTER = path.join(WORK, "class.yaml");
const LABS = ["workshop", "todo", "postgres-ha"];

// The class's base: the node's dev stack file (its images and data directory) with three labs.
const base = parse(nodeStackFile(DATA_ROOT));
Object.assign(base.config, { "state-labs:prefix": "class", "state-labs:labs": LABS });
fs.writeFileSync(path.join(WORK, "Pulumi.class.yaml"), stringify(base));
fs.writeFileSync(ROSTER, "students:\n  - ada\n  - bob\n");

const classroom = (...args: string[]) => classroomCli(WORK, ...args, "--roster", ROSTER, "--base", "class");
const figures: string[] = [];
function json<T>(r: PulumiRun): T {
    try {
        return JSON.parse(r.stdout);
    } catch {
        return assert.fail(`no JSON (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    }
}
const rows = (r: PulumiRun) => json<CheckResult[]>(r).map((x) => `${x.id} ${x.lab} ${x.pass ? "pass" : "FAIL"}: ${x.reason}`);

/** SQL through a database pod's local socket, as the operator. */
function sql(ns: string, pod: string, user: string, db: string, query: string): string {
    return ok(["exec", "-n", ns, pod, "-c", "postgres", "--", "psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-U", user, "-d", db, "-c", query]).trim();
}

describe("real node: the instructor's day two (classroom status, check, reset)", function () {
    this.timeout(40 * 60 * 1000);

    before(async () => {
        const r = classroomCli(WORK, "up", "--roster", ROSTER, "--base", "class", "--parallel", "2", "--json");
        figures.push(`classroom up, 2 students x 3 labs on the real node: ${r.seconds.toFixed(1)} s`);
        assert.strictEqual(r.code, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
        await until("the class healthy", () => {
            const s = classroom("status", "--json");
            return s.code === 0 ? true : json<StudentHealth[]>(s).flatMap((x) => x.labs.filter((l) => !l.healthy).map((l) => `${x.id} ${l.lab}: ${l.notReady.join(", ")}`)).join("; ");
        });
    });

    it("status reads every lab of every student healthy from the cluster, quickly", () => {
        const r = classroom("status");
        figures.push(`classroom status, 2 students x 3 labs: ${r.seconds.toFixed(1)} s`);
        assert.strictEqual(r.code, 0, r.stdout);
        for (const id of ["ada", "bob"]) for (const lab of LABS) assert.match(r.stdout, new RegExp(`^${id} +${lab} +healthy `, "m"));
    });

    it("check passes every lab's exercise for every student, acting as the student, and leaves no trace", () => {
        sql("bob-kubernetes-ws-2", "db-0", "postgres", "postgres", "CREATE TABLE notes (t text); INSERT INTO notes VALUES ('bob was here')");
        sql("ada-kubernetes-ws-2", "db-0", "postgres", "postgres", "CREATE TABLE notes (t text); INSERT INTO notes VALUES ('ada was here')");
        const r = classroom("check", "--json");
        figures.push(`classroom check, 2 students x 3 labs (a pod deleted and back Ready per workshop): ${r.seconds.toFixed(1)} s`);
        assert.strictEqual(r.code, 0, rows(r).join("\n") + r.stderr.slice(-2000));
        assert.deepStrictEqual(rows(r), [
            "ada workshop pass: a row and an item POSTed to the backend survived the deletion of db-0",
            "ada todo pass: the app answers and stores what it is given in PostgreSQL",
            "ada postgres-ha pass: 2 standbys streaming and reading what postgres-sts-0 wrote",
            "bob workshop pass: a row and an item POSTed to the backend survived the deletion of db-0",
            "bob todo pass: the app answers and stores what it is given in PostgreSQL",
            "bob postgres-ha pass: 2 standbys streaming and reading what postgres-sts-0 wrote",
        ]);
        for (const id of ["ada", "bob"]) {
            assert.strictEqual(sql(`${id}-kubernetes-ws-2`, "db-0", "postgres", "postgres", "SELECT to_regclass('state_labs_check') IS NULL"), "t", "the check's table is gone");
            assert.strictEqual(sql(`${id}-postgres`, "postgres-0", "todo", "todo", "SELECT count(*) FROM todo WHERE title LIKE 'state-labs-check-%'"), "0", "the check's todo is gone");
        }
        assert.strictEqual(sql("bob-kubernetes-ws-2", "db-0", "postgres", "postgres", "SELECT t FROM notes"), "bob was here");
    });

    it("each student's todo host reaches that student's app only, from outside the cluster through the node's controller", async () => {
        const todo = (id: string, title: string) => `${id}:${title}`;
        for (const id of ["ada", "bob"]) {
            const host = `todo.${id}.labs.local`;
            await until(`${host} answers through the controller`, async () => {
                const r = await requestAs(host, "GET", "/todos");
                return r.status === 200 ? true : `${r.status} ${r.body.slice(0, 200)}`;
            });
            const r = await requestAs(host, "POST", "/todos", { title: todo(id, "mine") });
            assert.ok(r.status >= 200 && r.status < 300, `${host}: ${r.status} ${r.body.slice(0, 300)}`);
        }
        for (const [id, other] of [["ada", "bob"], ["bob", "ada"]]) {
            const list = await requestAs(`todo.${id}.labs.local`, "GET", "/todos");
            assert.ok(list.body.includes(todo(id, "mine")), `${id}'s host lists ${id}'s todo`);
            assert.ok(!list.body.includes(todo(other, "mine")), `${id}'s host lists ${other}'s todo`);
            assert.strictEqual(sql(`${id}-postgres`, "postgres-0", "todo", "todo", `SELECT count(*) FROM todo WHERE title = '${todo(other, "mine")}'`), "0", `${other}'s todo in ${id}'s database`);
        }
    });

    it("status and check name a crash-looping database and a stopped standby, and only those", async () => {
        // ada's database made to fail; bob's third member stopped, as a student would (scale)
        ok(["patch", "statefulset", "db", "-n", "ada-kubernetes-ws-2", "--type", "json", "-p", JSON.stringify([{ op: "add", path: "/spec/template/spec/containers/0/command", value: ["sh", "-c", "echo broken; exit 1"] }])]);
        ok(["scale", "statefulset", "postgres-sts", "-n", "bob-postgres-ha", "--replicas", "2"]);
        await until("ada's db-0 crash-looping and bob's postgres-sts-2 gone", () => {
            const p = kubectl(["get", "pod", "db-0", "-n", "ada-kubernetes-ws-2", "-o", "json"]);
            const waiting = p.code === 0 ? JSON.parse(p.stdout).status.containerStatuses?.[0]?.state?.waiting?.reason : "absent";
            const gone = kubectl(["get", "pod", "postgres-sts-2", "-n", "bob-postgres-ha"]).code !== 0;
            return waiting === "CrashLoopBackOff" && gone ? true : `db-0: ${waiting}; postgres-sts-2 ${gone ? "gone" : "still there"}`;
        });
        const s = classroom("status");
        assert.strictEqual(s.code, 1, s.stdout);
        // the backend stays Ready (its probe, /docs, asks nothing of the database): 1 of 2 pods
        assert.match(s.stdout, /^ada +workshop +UNHEALTHY +1\/2 +1\/1 .*BackOff/m);
        // a crash loop waits (CrashLoopBackOff), has just exited (Error) or, between two back-offs, runs again
        const CRASH_LOOP = "(CrashLoopBackOff|Error|restarting after Error \\(\\d+ restarts\\))";
        assert.match(s.stdout, new RegExp(`^ada workshop: db-0: ${CRASH_LOOP}$`, "m"));
        for (const healthy of [/^ada +todo +healthy/m, /^bob +workshop +healthy/m]) assert.match(s.stdout, healthy);

        const r = classroom("check", "--json");
        assert.strictEqual(r.code, 1);
        const failed = rows(r).filter((x) => x.includes("FAIL"));
        assert.strictEqual(failed.length, 2, failed.join("\n"));
        assert.match(failed[0], new RegExp(`^ada workshop FAIL: db-0 is not Ready \\(${CRASH_LOOP}\\)$`));
        assert.strictEqual(failed[1], "bob postgres-ha FAIL: postgres-sts-2 (does not exist) not streaming from postgres-sts-0: 1 of 2 standbys are");
        assert.strictEqual(rows(r).filter((x) => x.includes(" pass:")).length, 4);
        ok(["scale", "statefulset", "postgres-sts", "-n", "bob-postgres-ha", "--replicas", "3"]);
    });

    it("reset of ada's workshop asks for --yes, wipes only that lab's data, and brings it back to a passing check; bob's rows stay", async () => {
        const refused = classroom("reset", "--only", "ada", "--lab", "workshop");
        assert.strictEqual(refused.code, 2);
        assert.match(refused.stderr, /DELETE the data of claim ada-kubernetes-ws-2\/db-data on PV ada-db-data \(hostPath .*\/ada\/workshop\/db-data\), then the claim and the PV/);
        assert.match(refused.stderr, /add --yes to go ahead/);
        assert.strictEqual(getJson(["statefulset", "db", "-n", "ada-kubernetes-ws-2"]).spec.template.spec.containers[0].command[0], "sh", "nothing was touched");

        const bobTodo = sql("bob-postgres", "postgres-0", "todo", "todo", "SELECT count(*) FROM todo");
        const r = classroom("reset", "--only", "ada", "--lab", "workshop", "--yes");
        figures.push(`classroom reset of one lab (workshop), wipe and up --refresh: ${r.seconds.toFixed(1)} s`);
        assert.strictEqual(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
        await until("ada's workshop healthy again", () => {
            const s = classroom("status", "--json", "--only", "ada");
            const lab = json<StudentHealth[]>(s)[0].labs.find((l) => l.lab === "workshop");
            return lab?.healthy ? true : `${lab?.notReady.join(", ")}`;
        });
        assert.strictEqual(sql("ada-kubernetes-ws-2", "db-0", "postgres", "postgres", "SELECT to_regclass('notes') IS NULL"), "t", "ada's workshop data is gone");
        assert.ok(fs.existsSync(path.join(DATA_ROOT, "ada", "workshop", "db-data", "pgdata", "PG_VERSION")), "a fresh database in the same directory");
        assert.strictEqual(sql("bob-kubernetes-ws-2", "db-0", "postgres", "postgres", "SELECT t FROM notes"), "bob was here", "bob's workshop untouched");
        assert.strictEqual(sql("bob-postgres", "postgres-0", "todo", "todo", "SELECT count(*) FROM todo"), bobTodo);
        const check = classroom("check", "--json", "--only", "ada", "--lab", "workshop");
        assert.strictEqual(check.code, 0, rows(check).join("\n"));
        assert.deepStrictEqual(rows(check), ["ada workshop pass: a row and an item POSTed to the backend survived the deletion of db-0"]);
    });

    after(() => {
        const r = classroomCli(WORK, "destroy", "--roster", ROSTER, "--base", "class", "--yes", "--parallel", "2");
        if (r.code !== 0) console.log(r.stdout, r.stderr.slice(-2000));
        for (const f of figures) console.log(`    figure: ${f}`);
    });
});
