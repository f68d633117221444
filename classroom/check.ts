// `classroom check`: each lab's exercise from its seed, run against each student's environment
// as the student would run it: with the student's own ServiceAccount token, in their
// namespaces. What it writes is a marked row in a table of its own (state_labs_check), which
// it removes again (the table too, unless it was there before): their data is left as it was.
import { Command } from "commander";
import * as path from "path";
import { LAB_IDS, LabId } from "../components/shared/naming";
import { LabsConfig, parseConfig } from "../stacks/config";
import { flatStudentConfig, pool, readBase } from "./class";
import { Cluster, errorText, exec, isReady, labNamespaces, operatorCluster, studentCluster, waitFor, notReadyReason } from "./cluster";
import { EXIT, RosterOptions, interruptible, labOption, rosterOptions, selectStudents, tableLines } from "./common";
import { Student } from "./roster";

export interface CheckResult {
    id: string;
    lab: LabId;
    pass: boolean;
    reason: string;
    seconds: number;
}

/** What an exercise gets: the student's client, the lab's namespaces, the student's config, a marker. */
export interface Exercise {
    c: Cluster;
    ns: string[];
    config: LabsConfig;
    marker: string;
}

/** A failed step: its message is the reason in the table. */
class Fail extends Error {}
const fail = (why: string): never => {
    throw new Fail(why);
};

const TABLE = "state_labs_check";

async function podReady(c: Cluster, ns: string, pod: string): Promise<true | string> {
    const p = await c.core.readNamespacedPod({ name: pod, namespace: ns }).catch(() => undefined);
    if (!p) return `${pod} does not exist`;
    if (isReady(p)) return true;
    return `${pod} is not Ready (${notReadyReason(p)})`;
}

async function mustBeReady(c: Cluster, ns: string, pods: string[]): Promise<void> {
    for (const pod of pods) {
        const r = await podReady(c, ns, pod);
        if (r !== true) fail(r);
    }
}

/** SQL as a client of the database: over TCP with the password of the container's env (its Secret). */
async function psql(c: Cluster, ns: string, pod: string, user: string, db: string, sql: string): Promise<string> {
    const r = await exec(c, ns, pod, "postgres", ["sh", "-c", `PGPASSWORD="$POSTGRES_PASSWORD" psql -X -v ON_ERROR_STOP=1 -At -h 127.0.0.1 -U ${user} -d ${db} -f -`], sql);
    if (r.code !== 0) fail(`${pod}: ${r.out.split("\n").pop()}`);
    return r.out;
}

/** Runs `body` with the check table in place, then removes the marker row, and the table if this check created it. */
async function withCheckTable<T>(q: (sql: string) => Promise<string>, marker: string, body: () => Promise<T>): Promise<T> {
    const existed = (await q(`SELECT to_regclass('public.${TABLE}') IS NOT NULL`)) === "t";
    await q(`CREATE TABLE IF NOT EXISTS ${TABLE} (marker text PRIMARY KEY, at timestamptz DEFAULT now()); INSERT INTO ${TABLE} (marker) VALUES ('${marker}')`);
    try {
        return await body();
    } finally {
        await q(existed ? `DELETE FROM ${TABLE} WHERE marker = '${marker}'` : `DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
    }
}

async function podUid(c: Cluster, ns: string, pod: string): Promise<string | undefined> {
    return (await c.core.readNamespacedPod({ name: pod, namespace: ns }).catch(() => undefined))?.metadata?.uid;
}

/** Deletes a pod as the student does (`kubectl delete pod`) and waits for its StatefulSet to bring it back Ready. */
async function deleteAndWait(c: Cluster, ns: string, pod: string): Promise<void> {
    const uid = await podUid(c, ns, pod);
    await c.core.deleteNamespacedPod({ name: pod, namespace: ns });
    await waitFor(`${pod} back and Ready`, async () => ((await podUid(c, ns, pod)) === uid ? "not recreated yet" : podReady(c, ns, pod)), 300_000);
}

/**
 * An HTTP client in bash alone (its /dev/tcp), for images without Python or curl: `bash -c
 * BASH_HTTP_CLIENT bash URL [JSON]` prints the status, then the body. HTTP/1.0 with
 * Connection: close, so the response ends where the server closes the connection.
 */
export const BASH_HTTP_CLIENT = [
    "LC_ALL=C # Content-Length counts bytes",
    'hostport=${1#http://}; path=/${hostport#*/}; hostport=${hostport%%/*}',
    'exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || exit 7',
    'if [ $# -gt 1 ]; then printf "POST %s HTTP/1.0\\r\\nConnection: close\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s" "$path" "${#2}" "$2" >&3',
    'else printf "GET %s HTTP/1.0\\r\\nConnection: close\\r\\n\\r\\n" "$path" >&3; fi',
    "resp=$(timeout 10 cat <&3) || exit 7",
    "sep=$'\\r\\n\\r\\n'; head=${resp%%\"$sep\"*}; status=${head#* }",
    'echo "${status%% *}"; printf "%s\\n" "${resp#*"$sep"}" | head -c 100000',
].join("\n");

/**
 * An HTTP request from inside an app's own pod, with what its image has: Python (the Flask and
 * FastAPI apps), else bash's /dev/tcp (the Java backend's image has no Python, nor curl).
 */
async function http(c: Cluster, ns: string, pod: string, container: string, url: string, json?: object): Promise<{ status: number; body: string }> {
    const python = [
        "import sys, urllib.request, urllib.error",
        "data = sys.argv[2].encode() if len(sys.argv) > 2 else None",
        "req = urllib.request.Request(sys.argv[1], data=data, headers={'Content-Type': 'application/json'})",
        "try:",
        "    r = urllib.request.urlopen(req, timeout=10); print(r.status); print(r.read().decode()[:100000])",
        "except urllib.error.HTTPError as e:",
        "    print(e.code)",
    ].join("\n");
    const pick =
        'py="$(command -v python3 || command -v python)"; [ -z "$py" ] || exec "$py" -c "$0" "$2" ${3:+"$3"}; ' +
        'command -v bash >/dev/null || { echo "the image has neither Python nor bash to make a request with"; exit 127; }; exec bash -c "$1" bash "$2" ${3:+"$3"}';
    const r = await exec(c, ns, pod, container, ["sh", "-c", pick, python, BASH_HTTP_CLIENT, url, ...(json ? [JSON.stringify(json)] : [])]);
    if (r.code !== 0) fail(`the app does not answer on ${url}: ${r.out.split("\n").pop()}`);
    const [status, ...body] = r.out.split("\n");
    return { status: Number(status), body: body.join("\n") };
}

/** The Ready pods of a Deployment, by its name (what `kubectl get pods` shows). */
async function appPods(c: Cluster, ns: string, deployment: string): Promise<string[]> {
    const pods = (await c.core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/name=${deployment}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
    if (pods.length === 0) fail(`no ${deployment} pod`);
    const names = pods.map((p) => p.metadata!.name!);
    await mustBeReady(c, ns, names);
    return names;
}

/** Polls `f` until it returns true, up to `ms`; false if it never does (an app reconnecting after its database restarted). */
async function eventually(f: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
    return waitFor("the app", async () => ((await f().catch(() => false)) ? true : "not yet"), ms, 1000).then(
        () => true,
        () => false,
    );
}

/** The seeds' exercises, one per lab; each returns why it passed, or throws why it failed. */
export const EXERCISES: Record<LabId, (x: Exercise) => Promise<string>> = {
    // 000: a row written to the database survives the deletion of its pod (on the claim); with
    // the backend configured, an item POSTed to it is listed back before and after.
    async workshop({ c, ns: [ns], config, marker }) {
        await mustBeReady(c, ns, ["db-0"]);
        const q = (sql: string) => psql(c, ns, "db-0", "postgres", "postgres", sql);
        const backend = config.workshop.backendImage ? (await appPods(c, ns, "backend"))[0] : undefined;
        const items = backend ? () => http(c, ns, backend, "backend", "http://127.0.0.1:8000/items") : undefined;
        const listed = async () => {
            const r = await items!();
            return r.status === 200 && r.body.includes(marker);
        };
        let posted = false; // an item went through the backend, so it must come back
        let note = "";
        if (backend) {
            const post = await http(c, ns, backend, "backend", "http://127.0.0.1:8000/items", { name: marker });
            if (post.status === 404 || post.status === 405) note = `; the backend answers but has no POST /items (${post.status})`;
            else if (post.status >= 300) fail(`the backend answers POST /items with ${post.status}: ${post.body.slice(0, 200)}`);
            else if (!(await listed())) fail("the backend does not list the item POSTed to it");
            else posted = true;
        }
        const what = `a row${posted ? " and an item POSTed to the backend" : ""}`;
        try {
            return await withCheckTable(q, marker, async () => {
                if (!config.workshop.persistence) return `database answers${posted ? ", and the backend lists what it is given" : ""}; on an emptyDir (workshopPersistence false), so no survival expected${note}`;
                await deleteAndWait(c, ns, "db-0");
                if ((await q(`SELECT count(*) FROM ${TABLE} WHERE marker = '${marker}'`)) !== "1") fail("the row written before db-0 was deleted is gone: the data does not survive its pod");
                if (posted && !(await eventually(listed))) fail("after db-0 was deleted the backend no longer lists the item POSTed to it");
                return `${what} survived the deletion of db-0${note}`;
            });
        } finally {
            if (posted) await q(`DELETE FROM items WHERE name = '${marker}'`).catch(() => undefined);
        }
    },
    // 001: the app answers, and what it is given lands in its PostgreSQL.
    async todo({ c, ns, marker }) {
        const dbNs = ns.find((n) => n.endsWith("-postgres"))!;
        const appNs = ns.find((n) => n.endsWith("-stateful-namespace"))!;
        await mustBeReady(c, dbNs, ["postgres-0"]);
        const pods = (await c.core.listNamespacedPod({ namespace: appNs, labelSelector: "app=stateful-flask" })).items.filter((p) => !p.metadata?.deletionTimestamp);
        if (pods.length === 0) fail("no stateful-flask pod");
        const app = pods[0].metadata!.name!;
        await mustBeReady(c, appNs, [app]);
        const home = await http(c, appNs, app, "stateful-flask", "http://127.0.0.1:5000/");
        if (home.status >= 500) fail(`the app answers GET / with ${home.status}`);
        const post = await http(c, appNs, app, "stateful-flask", "http://127.0.0.1:5000/todos", { title: marker });
        if (post.status === 404 || post.status === 405) return `the app answers (GET / ${home.status}); it has no POST /todos to store through`;
        if (post.status >= 300) fail(`POST /todos answered ${post.status}: ${post.body.slice(0, 200)}`);
        const q = (sql: string) => psql(c, dbNs, "postgres-0", "todo", "todo", sql);
        try {
            if ((await q(`SELECT count(*) FROM todo WHERE title = '${marker}'`)) !== "1") fail("POST /todos answered but no row reached PostgreSQL");
        } finally {
            await q(`DELETE FROM todo WHERE title = '${marker}'`).catch(() => undefined);
        }
        return "the app answers and stores what it is given in PostgreSQL";
    },
    // 002: the replica set has a primary and every member.
    async movies({ c, ns: [ns], config }) {
        const members = Array.from({ length: config.movies.mongoReplicas }, (_, i) => `mongo-${i}`);
        await mustBeReady(c, ns, members);
        const js = "print(JSON.stringify(rs.status().members.map((m) => ({ name: m.name, state: m.stateStr, health: m.health }))))";
        const r = await exec(c, ns, "mongo-0", "mongo", ["sh", "-c", 'exec mongosh --quiet -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin --eval "$0"', js]);
        if (r.code !== 0) fail(`rs.status() on mongo-0: ${r.out.split("\n").pop()}`);
        const status = JSON.parse(r.out.split("\n").pop()!) as { name: string; state: string; health: number }[];
        const primaries = status.filter((m) => m.state === "PRIMARY");
        if (primaries.length !== 1) fail(`${primaries.length} primaries`);
        const missing = members.filter((m) => !status.some((s) => s.name.startsWith(`${m}.`) && s.health === 1 && ["PRIMARY", "SECONDARY"].includes(s.state)));
        if (missing.length) fail(`not healthy members of the replica set: ${missing.join(", ")}`);
        return `primary ${primaries[0].name.split(".")[0]}, ${status.length} members healthy`;
    },
    // 003: the database on its hostPath/NFS volume answers with its Secret's password and keeps
    // what it is given; with the backend configured, a customer inserted through it is listed by
    // every replica (they share the one database).
    async customer({ c, ns: [ns], config, marker }) {
        await mustBeReady(c, ns, ["customer-db-0"]);
        const q = (sql: string) => psql(c, ns, "customer-db-0", "root", "customer", sql);
        const checked = await withCheckTable(q, marker, async () => {
            if ((await q(`SELECT count(*) FROM ${TABLE} WHERE marker = '${marker}'`)) !== "1") fail("a row written is not read back");
            return "the database answers with its Secret's password and stores a row";
        });
        if (!config.customer.backendImage) return checked;
        const backends = await appPods(c, ns, "customer-backend");
        const url = "http://127.0.0.1:8080/customers";
        const post = await http(c, ns, backends[0], "customer-backend", url, { name: marker });
        if (post.status === 404 || post.status === 405) return `${checked}; the backend answers but has no POST /customers (${post.status})`;
        try {
            if (post.status >= 300) fail(`the backend answers POST /customers with ${post.status}: ${post.body.slice(0, 200)}`);
            for (const pod of backends) {
                const list = await http(c, ns, pod, "customer-backend", url);
                if (list.status !== 200 || !list.body.includes(marker)) fail(`${pod} does not list the customer inserted through ${backends[0]} (${list.status})`);
            }
        } finally {
            await q(`DELETE FROM customers WHERE name = '${marker}'`).catch(() => undefined);
        }
        return `${checked}; a customer inserted through the backend is listed by its ${backends.length} replica(s)`;
    },
    // 004: every standby streams from the primary and reads what it wrote.
    async "postgres-ha"({ c, ns: [ns], config, marker }) {
        const pods = Array.from({ length: config.postgresHa.replicas }, (_, i) => `postgres-sts-${i}`);
        const [primary, ...standbys] = pods;
        await mustBeReady(c, ns, [primary]);
        const q = (pod: string) => (sql: string) => psql(c, ns, pod, "labuser", "database", sql);
        // which standbys stream, by their pod IPs in the primary's pg_stat_replication
        const streaming = (await q(primary)("SELECT client_addr FROM pg_stat_replication WHERE state = 'streaming'")).split("\n").filter(Boolean);
        const late: string[] = [];
        for (const standby of standbys) {
            const p = await c.core.readNamespacedPod({ name: standby, namespace: ns }).catch(() => undefined);
            if (p?.status?.podIP && streaming.includes(p.status.podIP)) continue;
            const state = await podReady(c, ns, standby);
            late.push(`${standby}${state === true ? "" : ` (${state.replace(`${standby} `, "")})`}`);
        }
        if (late.length) fail(`${late.join(", ")} not streaming from ${primary}: ${streaming.length} of ${standbys.length} standbys are`);
        return withCheckTable(q(primary), marker, async () => {
            for (const standby of standbys) {
                await waitFor(`${standby} to replay the row`, async () => ((await q(standby)(`SELECT count(*) FROM ${TABLE} WHERE marker = '${marker}'`).catch((e) => String(e))) === "1" ? true : "not yet"), 30_000, 1000).catch(() =>
                    fail(`${standby} does not read the row written on ${primary}`),
                );
            }
            return `${standbys.length} standbys streaming and reading what ${primary} wrote`;
        });
    },
};

/** Runs the exercises of `labs` for one student; a lab the student does not have is left out. */
async function checkStudent(op: Cluster, base: ReturnType<typeof readBase>, s: Student, labs: LabId[]): Promise<CheckResult[]> {
    const byLab = await labNamespaces(op, s.id);
    const present = labs.filter((l) => byLab[l]);
    if (present.length === 0) return labs.map((lab) => ({ id: s.id, lab, pass: false, reason: "no namespaces of this lab on the cluster", seconds: 0 }));
    let c: Cluster;
    try {
        c = await studentCluster(op, s.id);
    } catch (e) {
        return present.map((lab) => ({ id: s.id, lab, pass: false, reason: `no student token: ${errorText(e)}`, seconds: 0 }));
    }
    const config = parseConfig(flatStudentConfig(base, s.id));
    // labs one after another: an exercise may restart a pod, and the student's quota is per namespace
    const out: CheckResult[] = [];
    for (const lab of present) {
        const t0 = Date.now();
        const marker = `state-labs-check-${lab}-${t0}`;
        try {
            const reason = await EXERCISES[lab]({ c, ns: byLab[lab]!, config, marker });
            out.push({ id: s.id, lab, pass: true, reason, seconds: (Date.now() - t0) / 1000 });
        } catch (e) {
            out.push({ id: s.id, lab, pass: false, reason: e instanceof Fail ? e.message : errorText(e), seconds: (Date.now() - t0) / 1000 });
        }
    }
    return out;
}

/** The results as a table: one row per student and lab. */
export function checkTable(results: CheckResult[]): string {
    const head = ["student", "lab", "result", "time", "reason"];
    const rows = results.map((r) => [r.id, r.lab, r.pass ? "pass" : "FAIL", `${r.seconds.toFixed(1)}s`, r.reason]);
    const passed = results.filter((r) => r.pass).length;
    return [...tableLines(head, rows), "", `${passed} of ${results.length} passed`].join("\n") + "\n";
}

interface CheckOptions extends RosterOptions {
    lab?: LabId;
}

async function check(o: CheckOptions): Promise<number> {
    const students = selectStudents(o);
    const base = readBase(path.resolve(o.dir), o.base);
    const op = await operatorCluster();
    const labs = o.lab ? [o.lab] : [...LAB_IDS];
    const t0 = Date.now();
    const { value, interrupted } = await interruptible(async (signal) =>
        (await pool(students, o.parallel, async (s) => (signal.aborted ? [] : checkStudent(op, base, s, labs)))).flat(),
    );
    process.stdout.write(o.json ? JSON.stringify(value, null, 2) + "\n" : checkTable(value) + `checked in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    if (interrupted) return EXIT.interrupted;
    return value.every((r) => r.pass) ? EXIT.ok : EXIT.failed;
}

export function register(program: Command): void {
    rosterOptions(program.command("check").description("run each lab's exercise as each student would, and tell who passes (exit 1 unless all pass)"))
        .addOption(labOption("only this lab"))
        .action(async (o: CheckOptions) => {
            process.exitCode = await check(o);
        });
}
