// The real-node suite (part of `npm run test:cluster`): the dev stack deployed by the real
// engine onto a real kubelet + containerd + runc node (sandbox/node/up.sh), with images built
// here from Debian packages, and every lab that can run here checked through the apps
// themselves: psql in the pods, HTTP to the todo app and to the workshop and customer backends. sandbox/cluster/test.sh starts the node,
// sources sandbox/engine/env.sh and sets KUBECONFIG and LABS_NODE_DATA.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EXERCISES } from "../../classroom/check";
import { flatStudentConfig, readBase } from "../../classroom/class";
import { operatorCluster, studentCluster } from "../../classroom/cluster";
import { parseConfig } from "../../stacks/config";
import { APP_IMAGE_UID, nodeDynamicStackFile, nodeImages, nodeSettings, nodeStackFile } from "../../sandbox/node/stack-file";
import { Obj, PulumiRun, getJson, kubectl, ok, projectCopy, pulumiCli, requestAs, until } from "./kube";

const STACK = "dev";
const PREFIX = "dev";
const IMAGES = nodeImages();
const DATA_ROOT = process.env.LABS_NODE_DATA ?? assert.fail("LABS_NODE_DATA (the hostPath root on the node) is not set");

/** The labs' namespaces in a stack of this prefix. */
const labNamespaces = (prefix: string) => ({
    workshop: `${prefix}-kubernetes-ws-2`,
    todoDb: `${prefix}-postgres`,
    todoApp: `${prefix}-stateful-namespace`,
    customer: `${prefix}-customer`,
    ha: `${prefix}-postgres-ha`,
});
const NS = labNamespaces(PREFIX);

/** Each database: where it runs, its user and database, and the Secret key of its password. */
const DATABASES = [
    { ns: NS.workshop, pod: "db-0", user: "postgres", db: "postgres", secret: ["db-credentials", "password"] },
    { ns: NS.todoDb, pod: "postgres-0", user: "todo", db: "todo", secret: ["postgres-secret", "POSTGRES_PASSWORD"] },
    { ns: NS.customer, pod: "customer-db-0", user: "root", db: "customer", secret: ["db-pass", "password"] },
    { ns: NS.ha, pod: "postgres-sts-0", user: "labuser", db: "database", secret: ["database-secret", "postgres-pass"] },
];

/** The course apps, by their Services' DNS names. */
const URL = {
    items: `http://backend.${NS.workshop}.svc.cluster.local:8000/items`,
    customers: `http://customer-backend.${NS.customer}.svc.cluster.local:8080/customers`,
};

const WORK = projectCopy();
// The dev stack file with the labs that can run on this node and the images built here.
fs.writeFileSync(path.join(WORK, `Pulumi.${STACK}.yaml`), nodeStackFile(DATA_ROOT, IMAGES));

const figures: string[] = [];
function must(...args: string[]): PulumiRun {
    const r = pulumiCli(WORK, STACK, ...args);
    assert.strictEqual(r.code, 0, `pulumi ${args.join(" ")} failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    return r;
}
function up(what: string): PulumiRun {
    const r = must("up", "--yes", "--skip-preview");
    figures.push(`pulumi up (${what}): ${r.seconds.toFixed(1)} s`);
    return r;
}

/** `kubectl exec` of a command in a pod's container; its output, or the failure. */
function exec(ns: string, pod: string, container: string, command: string[], stdin?: string): { code: number; out: string } {
    const r = kubectl(["exec", ...(stdin === undefined ? [] : ["-i"]), "-n", ns, pod, "-c", container, "--", ...command], stdin);
    return { code: r.code, out: (r.stdout + r.stderr).trim() };
}
/** SQL through the pod's local socket (trust, as the official image sets up), tuples only. */
function sql(ns: string, pod: string, user: string, db: string, query: string): string {
    const r = exec(ns, pod, "postgres", ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-U", user, "-d", db, "-c", query]);
    assert.strictEqual(r.code, 0, `psql in ${ns}/${pod}: ${query}\n${r.out}`);
    return r.out;
}
/**
 * Logs in over TCP with a password, as a client does: the container's own env, or another,
 * handed over on stdin so that no password is in a command line or the API server's request.
 */
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- "env" names the special value; any other string is the password
function login(ns: string, pod: string, user: string, db: string, password: "env" | string) {
    const psql = `psql -X -h 127.0.0.1 -U ${user} -d ${db} -At -c 'select current_user'`;
    return password === "env"
        ? exec(ns, pod, "postgres", ["sh", "-c", `PGPASSWORD="$POSTGRES_PASSWORD" ${psql}`])
        : exec(ns, pod, "postgres", ["sh", "-c", `read -r PGPASSWORD && export PGPASSWORD && ${psql}`], `${password}\n`);
}
function secretValue(ns: string, name: string, key: string): string {
    return Buffer.from(getJson(["secret", name, "-n", ns]).data[key], "base64").toString();
}
function podReady(ns: string, pod: string): true | string {
    const r = kubectl(["get", "pod", pod, "-n", ns, "-o", "json"]);
    if (r.code !== 0) return "absent";
    const p = JSON.parse(r.stdout);
    const ready = p.status.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True");
    return ready && !p.metadata.deletionTimestamp ? true : `${p.status.phase}`;
}
/** A pod's volumes; undefined while it does not exist (the StatefulSet is recreating it). */
function volumesOf(ns: string, pod: string): Obj[] | undefined {
    const r = kubectl(["get", "pod", pod, "-n", ns, "-o", "json"]);
    return r.code === 0 ? (JSON.parse(r.stdout).spec.volumes as Obj[]) : undefined;
}
async function deletePodAndWait(ns: string, pod: string): Promise<void> {
    const uid = getJson(["pod", pod, "-n", ns]).metadata.uid;
    ok(["delete", "pod", pod, "-n", ns, "--wait=true"]);
    await until(`${ns}/${pod} back and Ready`, () => {
        const r = kubectl(["get", "pod", pod, "-n", ns, "-o", "jsonpath={.metadata.uid}"]);
        if (r.code !== 0 || r.stdout === uid) return "not recreated yet";
        return podReady(ns, pod);
    });
}
function allPods(namespaces: Record<string, string> = NS): Obj[] {
    return Object.values(namespaces).flatMap((ns) => getJson(["pods", "-n", ns]).items);
}
/** Waits until every pod of these namespaces but Jobs' is Ready. */
async function everyPodReady(namespaces: Record<string, string>): Promise<void> {
    await until("every pod Ready", () => {
        const pods = allPods(namespaces).filter((p) => !p.metadata.ownerReferences?.some((o: Obj) => o.kind === "Job"));
        const notReady = pods.filter((p) => podReady(p.metadata.namespace, p.metadata.name) !== true);
        return pods.length > 0 && notReady.length === 0 ? true : notReady.map((p) => `${p.metadata.name}:${p.status.phase}`).join(",");
    });
}
/** The node's memory as its cgroup counts it (components, shims and every container). */
function nodeMemory(): string {
    const stat = fs.readFileSync(`/sys/fs/cgroup/memory/state-labs-${process.env.LABS_CLUSTER_NAME}/memory.stat`, "utf8");
    const v = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, "m").exec(stat)?.[1] ?? NaN) / 2 ** 20;
    return `rss ${v("total_rss").toFixed(0)} MiB, page cache ${v("total_cache").toFixed(0)} MiB`;
}
/** A throwaway client pod (the todo image: its Python resolves names through cluster DNS). */
async function clientPod(ns: string, name = "node-suite-client"): Promise<string> {
    // Restricted, as the todo app's namespace enforces: non-root, no privilege escalation, no capabilities.
    const restricted = {
        spec: {
            securityContext: { runAsNonRoot: true, runAsUser: APP_IMAGE_UID, seccompProfile: { type: "RuntimeDefault" } },
            automountServiceAccountToken: false,
            containers: [{ name, image: IMAGES.todo, command: ["sleep", "600"], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
        },
    };
    ok(["run", name, "-n", ns, `--image=${IMAGES.todo}`, "--restart=Never", `--overrides=${JSON.stringify(restricted)}`]);
    await until(`${name} Ready`, () => podReady(ns, name));
    return name;
}
/** An HTTP request from inside a pod; the response body, or the failure. */
function httpFrom(ns: string, pod: string, url: string, json?: object): { code: number; out: string } {
    const script = [
        "import sys, urllib.request",
        "data = sys.argv[2].encode() if len(sys.argv) > 2 else None",
        "req = urllib.request.Request(sys.argv[1], data=data, headers={'Content-Type': 'application/json'})",
        "print(urllib.request.urlopen(req, timeout=10).read().decode())",
    ].join("\n");
    return exec(ns, pod, pod, ["python3", "-c", script, url, ...(json ? [JSON.stringify(json)] : [])]);
}

/** GET of an app's JSON list from a client pod, parsed; undefined while it does not answer with one. */
function listFrom(ns: string, client: string, url: string): Obj[] | undefined {
    const r = httpFrom(ns, client, url);
    try {
        return r.code === 0 ? (JSON.parse(r.out) as Obj[]) : undefined;
    } catch {
        return undefined;
    }
}
/** Waits until the app at `url` lists what `want` accepts (it may be reconnecting to a restarted database). */
async function lists(ns: string, client: string, url: string, what: string, want: (rows: Obj[]) => boolean): Promise<Obj[]> {
    let rows: Obj[] | undefined;
    await until(what, () => {
        rows = listFrom(ns, client, url);
        return rows !== undefined && want(rows) ? true : rows ? JSON.stringify(rows).slice(0, 300) : httpFrom(ns, client, url).out.slice(-300);
    });
    return rows!;
}
const names = (rows: Obj[]) => rows.map((r) => r.name as string);

describe("real node: the dev stack's labs running on kubelet + containerd + runc", function () {
    this.timeout(30 * 60 * 1000);

    before(async () => {
        must("stack", "init", "--secrets-provider", "passphrase");
        const t0 = Date.now();
        up("dev from empty, real node");
        await everyPodReady(NS);
        figures.push(`pulumi up from empty to every real pod Ready: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        figures.push(`memory of the node with workshop, todo, customer and postgres-ha running (both backends too): ${nodeMemory()}`);
    });

    it("runs every pod Ready by its real probes, every claim Bound to the stack's PV, data directories owned by uid 999", () => {
        const pods = allPods();
        assert.strictEqual(pods.length, 9, pods.map((p) => p.metadata.name).join(","));
        for (const p of pods) {
            assert.strictEqual(p.status.phase, "Running", `${p.metadata.name}`);
            assert.strictEqual(p.spec.nodeName, `${process.env.LABS_CLUSTER_NAME}-node`, `${p.metadata.name} on the real node`);
            for (const c of p.status.containerStatuses) assert.ok(c.ready && c.state.running, `${p.metadata.name}/${c.name}`);
        }
        const claims = Object.values(NS).flatMap((ns) => getJson(["pvc", "-n", ns]).items);
        assert.strictEqual(claims.length, 6);
        for (const c of claims) {
            assert.strictEqual(c.status.phase, "Bound", c.metadata.name);
            const pv = getJson(["pv", c.spec.volumeName]);
            assert.strictEqual(pv.metadata.labels["state-labs.io/prefix"], PREFIX);
            const dir = pv.spec.hostPath.path;
            assert.ok(dir.startsWith(DATA_ROOT + "/"), dir);
            const st = fs.statSync(dir);
            assert.deepStrictEqual([st.uid, st.gid], [999, 999], `${dir} owner`);
            assert.ok(fs.existsSync(path.join(dir, "pgdata", "PG_VERSION")), `${dir} holds a database`);
        }
    });

    it("runs containers as the users their security context says, the course apps as their image's non-root user", () => {
        const appImages = [IMAGES.workshop, IMAGES.customer];
        for (const p of allPods()) {
            for (const c of p.spec.containers) {
                // the labs leave the apps' user to the image (a student's may be any): ours is not root
                const fromImage = appImages.includes(c.image) ? APP_IMAGE_UID : 0;
                const want = c.securityContext?.runAsUser ?? p.spec.securityContext?.runAsUser ?? fromImage;
                const id = exec(p.metadata.namespace, p.metadata.name, c.name, ["id", "-u"]);
                assert.strictEqual(id.out, String(want), `${p.metadata.name}/${c.name}`);
            }
        }
    });

    it("accepts each database's password from its Secret and refuses another", () => {
        for (const d of DATABASES) {
            const good = login(d.ns, d.pod, d.user, d.db, secretValue(d.ns, d.secret[0], d.secret[1]));
            assert.strictEqual(good.code, 0, `${d.ns}: ${good.out}`);
            assert.strictEqual(good.out, d.user);
            assert.strictEqual(login(d.ns, d.pod, d.user, d.db, "env").code, 0, "the container's env carries the same password");
            const bad = login(d.ns, d.pod, d.user, d.db, "not-the-password");
            assert.notStrictEqual(bad.code, 0, `${d.ns}: a wrong password was accepted`);
            assert.match(bad.out, /password authentication failed/);
        }
    });

    it("workshop: a row and an item POSTed to the backend survive pod deletion on the claim, not on an emptyDir, and the claim's data comes back", async () => {
        const q = (s: string) => sql(NS.workshop, "db-0", "postgres", "postgres", s);
        const client = await clientPod(NS.workshop);
        const post = httpFrom(NS.workshop, client, URL.items, { name: "kept on the claim" });
        assert.strictEqual(post.code, 0, post.out);
        assert.deepStrictEqual(names(await lists(NS.workshop, client, URL.items, "the backend lists the item", (r) => r.length === 1)), ["kept on the claim"]);
        assert.strictEqual(q("SELECT name FROM items"), "kept on the claim", "the backend stores in the lab's PostgreSQL");
        q("CREATE TABLE IF NOT EXISTS notes (t text); INSERT INTO notes VALUES ('kept on the claim')");
        await deletePodAndWait(NS.workshop, "db-0");
        assert.strictEqual(q("SELECT t FROM notes"), "kept on the claim");
        await lists(NS.workshop, client, URL.items, "the backend lists the item after db-0 was deleted", (r) => names(r).includes("kept on the claim"));

        must("config", "set", "state-labs:workshopPersistence", "false");
        up("workshop on an emptyDir");
        await until("db-0 Ready on its emptyDir", () => (volumesOf(NS.workshop, "db-0")?.some((v) => v.emptyDir) ? podReady(NS.workshop, "db-0") : "old pod, or none yet"));
        assert.strictEqual(q("SELECT to_regclass('notes') IS NULL"), "t", "a fresh database on the emptyDir");
        await lists(NS.workshop, client, URL.items, "the backend lists no item on the fresh database", (r) => r.length === 0);
        q("CREATE TABLE notes (t text); INSERT INTO notes VALUES ('lost with the pod')");
        assert.strictEqual(httpFrom(NS.workshop, client, URL.items, { name: "lost with the pod" }).code, 0);
        await lists(NS.workshop, client, URL.items, "the backend lists the emptyDir's item", (r) => names(r).includes("lost with the pod"));
        await deletePodAndWait(NS.workshop, "db-0");
        assert.strictEqual(q("SELECT to_regclass('notes') IS NULL"), "t", "the emptyDir row is gone with the pod");
        await lists(NS.workshop, client, URL.items, "the backend lists nothing: the item is gone with the pod (the seed's loss of data)", (r) => r.length === 0);

        must("config", "set", "state-labs:workshopPersistence", "true");
        up("workshop back on its claim");
        await until("db-0 Ready on its claim", () => (volumesOf(NS.workshop, "db-0")?.some((v) => v.persistentVolumeClaim) ? podReady(NS.workshop, "db-0") : "old pod, or none yet"));
        assert.strictEqual(q("SELECT t FROM notes"), "kept on the claim");
        assert.deepStrictEqual(names(await lists(NS.workshop, client, URL.items, "the backend lists the claim's item again", (r) => r.length > 0)), ["kept on the claim"]);
        ok(["delete", "pod", client, "-n", NS.workshop, "--wait=false"]);
    });

    it("workshop: a database slower to start than the old liveness window becomes Ready without being restarted", async () => {
        // Before the startup probe, liveness (30 s delay, 6 failures 10 s apart) killed a
        // PostgreSQL that did not answer within 90 s, such as one replaying a long WAL.
        const OLD_LIVENESS_WINDOW_S = 90;
        const delay = OLD_LIVENESS_WINDOW_S + 30;
        const sts = getJson(["statefulset", "db", "-n", NS.workshop]);
        const container = (sts.spec.template.spec.containers as Obj[]).find((c) => c.name === "postgres")!;
        assert.strictEqual(container.command, undefined, "the image's entrypoint starts the server");
        const patch = { spec: { template: { spec: { containers: [{ name: "postgres", command: ["sh", "-c", `sleep ${delay} && exec docker-entrypoint.sh postgres`] }] } } } };
        ok(["patch", "statefulset", "db", "-n", NS.workshop, "--type=strategic", "-p", JSON.stringify(patch)]);
        /** Whether db-0 runs the delayed command; undefined while there is no pod. */
        const delayed = () => {
            const r = kubectl(["get", "pod", "db-0", "-n", NS.workshop, "-o", "json"]);
            return r.code === 0 ? (JSON.parse(r.stdout).spec.containers as Obj[]).some((c) => c.command !== undefined) : undefined;
        };
        const t0 = Date.now();
        try {
            await until("db-0 recreated with the delayed start", () => delayed() === true || "old pod, or none yet");
            await until(`db-0 Ready after a ${delay} s start`, () => podReady(NS.workshop, "db-0"), 5000);
            const seconds = (Date.now() - t0) / 1000;
            figures.push(`workshop db-0 with a start delayed ${delay} s: Ready after ${seconds.toFixed(0)} s`);
            assert.ok(seconds > OLD_LIVENESS_WINDOW_S, `Ready after ${seconds} s: the start was not slow enough to prove anything`);
            const status = (getJson(["pod", "db-0", "-n", NS.workshop]).status.containerStatuses as Obj[]).find((c) => c.name === "postgres")!;
            assert.strictEqual(status.restartCount, 0, `restarted while starting: ${JSON.stringify(status.lastState)}`);
        } finally {
            ok(["rollout", "undo", "statefulset/db", "-n", NS.workshop]);
            await until("db-0 back on the stack's own command", () => (delayed() === false ? podReady(NS.workshop, "db-0") : "delayed or no pod"));
        }
    });

    it("todo: the migration ran, the app answers by DNS name from another pod and stores in PostgreSQL, and keeps it across an app restart", async () => {
        const q = (s: string) => sql(NS.todoDb, "postgres-0", "todo", "todo", s);
        assert.strictEqual(q("SELECT to_regclass('public.todo') IS NOT NULL"), "t", "table todo exists");
        assert.match(q("SELECT version_num FROM alembic_version"), /^[0-9a-f]+$/);
        const client = await clientPod(NS.todoApp);
        const url = `http://stateful-flask.${NS.todoApp}.svc.cluster.local:5000/todos`;
        const post = httpFrom(NS.todoApp, client, url, { title: "water the plants" });
        assert.strictEqual(post.code, 0, post.out);
        assert.strictEqual(q("SELECT title FROM todo"), "water the plants");

        // A table the app's models do not declare (a student's): the restart's migration must keep it.
        q("CREATE TABLE student_notes (t text); INSERT INTO student_notes VALUES ('mine')");
        const appPod = getJson(["pods", "-n", NS.todoApp, "-l", "app=stateful-flask"]).items[0].metadata.name;
        ok(["delete", "pod", appPod, "-n", NS.todoApp, "--wait=true"]);
        await until("a new app pod Ready", () => {
            const pods = getJson(["pods", "-n", NS.todoApp, "-l", "app=stateful-flask"]).items.filter((p: Obj) => p.metadata.name !== appPod);
            return pods.length === 1 ? podReady(NS.todoApp, pods[0].metadata.name) : `${pods.length} pods`;
        });
        const list = httpFrom(NS.todoApp, client, url);
        assert.strictEqual(list.code, 0, list.out);
        assert.match(list.out, /water the plants/);
        assert.strictEqual(q("SELECT count(*) FROM todo"), "1");
        assert.strictEqual(q("SELECT t FROM student_notes"), "mine", "the migration dropped a table it does not own");
        ok(["delete", "pod", client, "-n", NS.todoApp, "--wait=false"]);
    });

    it("todo from outside the cluster: the host reaches the app through the Ingress (ExternalName) and through the HTTPRoute, each alone; a POSTed todo is a row; another host reaches nothing", async () => {
        const q = (s: string) => sql(NS.todoDb, "postgres-0", "todo", "todo", s);
        const HOST = `todo.${PREFIX}.labs.local`;
        const ing = `${PREFIX}-todo-ingress`;
        /** Waits until the host answers the list of todos through the controller, and returns it. */
        const listed = async (why: string, want: (body: string) => boolean) => {
            let last = { status: 0, body: "" };
            await until(why, async () => {
                last = await requestAs(HOST, "GET", "/todos");
                return last.status === 200 && want(last.body) ? true : `${last.status} ${last.body.slice(0, 200)}`;
            });
            return last.body;
        };
        const postAndRow = async (title: string) => {
            const r = await requestAs(HOST, "POST", "/todos", { title });
            assert.ok(r.status >= 200 && r.status < 300, `POST through the controller: ${r.status} ${r.body.slice(0, 300)}`);
            assert.strictEqual(q(`SELECT count(*) FROM todo WHERE title = '${title}'`), "1", "the POSTed todo is a row");
            await listed(`the todo '${title}' listed through the controller`, (b) => b.includes(title));
        };
        /** The routing objects the stack has now in the Ingress's namespace. */
        const routing = () => ["ingress", "service", "gateway", "httproute"].flatMap((k) => getJson([k, "-n", ing]).items.map((o: Obj) => `${o.kind} ${o.metadata.name}${o.spec?.type === "ExternalName" ? " (ExternalName)" : ""}`)).sort();

        // both, as the node's stack file says: the controller accepted the route and the Gateway
        assert.deepStrictEqual(routing(), ["Gateway stateful-flask", "HTTPRoute stateful-flask", "Ingress stateful-flask", "Service stateful-flask (ExternalName)"]);
        await until("the HTTPRoute accepted by the controller, its backend resolved", () => {
            const parents: Obj[] = getJson(["httproute", "stateful-flask", "-n", ing]).status?.parents ?? [];
            const cond = (t: string) => parents[0]?.conditions?.find((c: Obj) => c.type === t)?.status;
            return cond("Accepted") === "True" && cond("ResolvedRefs") === "True" ? true : JSON.stringify(parents).slice(0, 300);
        });
        await postAndRow("through the front door");

        must("config", "set", "state-labs:todoExposure", "ingress");
        up("todo exposed by the Ingress only");
        assert.deepStrictEqual(routing(), ["Ingress stateful-flask", "Service stateful-flask (ExternalName)"]);
        await postAndRow("through the ingress");

        must("config", "set", "state-labs:todoExposure", "httproute");
        up("todo exposed by the HTTPRoute only");
        assert.deepStrictEqual(routing(), ["Gateway stateful-flask", "HTTPRoute stateful-flask"]);
        await postAndRow("through the gateway");

        const other = await requestAs(`todo.someone-else.labs.local`, "GET", "/todos");
        assert.strictEqual(other.status, 404, `a host the stack does not own: ${other.status} ${other.body.slice(0, 200)}`);

        must("config", "set", "state-labs:todoExposure", "both");
        up("todo exposed by both again");
        await listed("the todos listed through the controller again", (b) => ["through the front door", "through the ingress", "through the gateway"].every((t) => b.includes(t)));
    });

    it("customer: a customer inserted through the backend is listed, by each of 3 replicas, and after the database pod is deleted; its files are on local-pv-1", async () => {
        const pv = getJson(["pv", `${PREFIX}-local-pv-1`]);
        assert.strictEqual(pv.spec.hostPath.path, path.join(DATA_ROOT, PREFIX, "customer", "local-pv-1"));
        const oid = sql(NS.customer, "customer-db-0", "root", "customer", "SELECT oid FROM pg_database WHERE datname = 'customer'");
        assert.ok(fs.existsSync(path.join(pv.spec.hostPath.path, "pgdata", "base", oid)), "the customer database's directory is on the node");

        const client = await clientPod(NS.customer);
        const post = httpFrom(NS.customer, client, URL.customers, { name: "Ada Lovelace", email: "ada@example.org" });
        assert.strictEqual(post.code, 0, post.out);
        const listed = await lists(NS.customer, client, URL.customers, "the backend lists the customer", (r) => r.length === 1);
        assert.deepStrictEqual(listed, [{ id: 1, name: "Ada Lovelace", email: "ada@example.org" }]);

        // the seed's "scaler": every replica reads the one database, so each lists the same customers
        ok(["scale", "deployment", "customer-backend", "-n", NS.customer, "--replicas=3"]);
        const backends = (): Obj[] => getJson(["pods", "-n", NS.customer, "-l", "app.kubernetes.io/name=customer-backend"]).items.filter((p: Obj) => !p.metadata.deletionTimestamp);
        await until("3 backend replicas Ready", () => {
            const pods = backends();
            return pods.length === 3 && pods.every((p) => podReady(NS.customer, p.metadata.name) === true) ? true : `${pods.length} pods`;
        });
        for (const p of backends()) {
            assert.deepStrictEqual(listFrom(NS.customer, client, `http://${p.status.podIP}:8080/customers`), listed, `replica ${p.metadata.name}`);
        }

        await deletePodAndWait(NS.customer, "customer-db-0");
        assert.deepStrictEqual(await lists(NS.customer, client, URL.customers, "the customer listed after the database pod came back", (r) => r.length === 1), listed);
        assert.strictEqual(sql(NS.customer, "customer-db-0", "root", "customer", "SELECT name FROM customers"), "Ada Lovelace");
        ok(["scale", "deployment", "customer-backend", "-n", NS.customer, "--replicas=1"]);
        ok(["delete", "pod", client, "-n", NS.customer, "--wait=false"]);
        // back to the stack's one replica before anything else execs into the backend
        await until("1 backend replica", () => (kubectl(["get", "pods", "-n", NS.customer, "-l", "app.kubernetes.io/name=customer-backend", "-o", "name"]).stdout.trim().split("\n").length === 1 ? true : "scaling down"));
    });

    it("classroom check goes through the customer backend, as the student", async () => {
        const config = parseConfig(flatStudentConfig(readBase(WORK, STACK), PREFIX));
        const reason = await EXERCISES.customer({ c: await studentCluster(await operatorCluster(), PREFIX), ns: [NS.customer], config, marker: `node-suite-${Date.now()}` });
        assert.match(reason, /a customer inserted through the backend is listed by its \d replica/);
        assert.strictEqual(sql(NS.customer, "customer-db-0", "root", "customer", "SELECT count(*) FROM customers"), "1", "the check removed its customer");
    });

    it("postgres-ha: every standby streams from ordinal 0, reads what the primary wrote, refuses writes, and comes back as a standby without cloning again", async () => {
        const ha = (pod: string, s: string) => sql(NS.ha, pod, "labuser", "database", s);
        await until("two standbys streaming", () => {
            const r = ha("postgres-sts-0", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
            return r === "2" ? true : `${r} streaming`;
        });
        // A write through the read-write Service, from a standby pod (a client by DNS name).
        const w = exec(NS.ha, "postgres-sts-1", "postgres", ["sh", "-c", `PGPASSWORD="$POSTGRES_PASSWORD" psql -X -v ON_ERROR_STOP=1 -h postgres-primary.${NS.ha}.svc.cluster.local -U labuser -d database -c "CREATE TABLE IF NOT EXISTS ha (t text); INSERT INTO ha VALUES ('written on the primary')"`]);
        assert.strictEqual(w.code, 0, w.out);
        for (const standby of ["postgres-sts-1", "postgres-sts-2"]) {
            assert.strictEqual(ha(standby, "SELECT pg_is_in_recovery()"), "t");
            await until(`${standby} replays the row`, () => {
                const r = exec(NS.ha, standby, "postgres", ["psql", "-X", "-At", "-U", "labuser", "-d", "database", "-c", "SELECT t FROM ha"]);
                return r.out === "written on the primary" ? true : r.out;
            });
            const write = exec(NS.ha, standby, "postgres", ["psql", "-X", "-At", "-U", "labuser", "-d", "database", "-c", "INSERT INTO ha VALUES ('on a standby')"]);
            assert.notStrictEqual(write.code, 0);
            assert.match(write.out, /read-only transaction/);
        }
        await deletePodAndWait(NS.ha, "postgres-sts-2");
        assert.match(ok(["logs", "postgres-sts-2", "-n", NS.ha, "-c", "clone-primary"]), /holds data: keeping it/);
        assert.strictEqual(ha("postgres-sts-2", "SELECT pg_is_in_recovery()"), "t");
        assert.strictEqual(ha("postgres-sts-2", "SELECT t FROM ha"), "written on the primary");
        await until("both standbys streaming again", () => {
            const r = ha("postgres-sts-0", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
            return r === "2" ? true : `${r} streaming`;
        });
    });

    const TODO_URL = `http://stateful-flask.${NS.todoApp}.svc.cluster.local:5000/todos`;
    /** Every workload of the stack rolled out and Ready: its pods run the current template. */
    async function rolledOut(): Promise<void> {
        await until("every StatefulSet and Deployment rolled out and Ready", () => {
            const late = Object.values(NS).flatMap((ns) =>
                [...getJson(["statefulsets", "-n", ns]).items, ...getJson(["deployments", "-n", ns]).items]
                    .filter((w: Obj) => {
                        const st = w.status ?? {};
                        const current = w.kind === "StatefulSet" ? st.currentRevision === st.updateRevision : (st.updatedReplicas ?? 0) === w.spec.replicas && (st.replicas ?? 0) === w.spec.replicas;
                        return st.observedGeneration !== w.metadata.generation || !current || (st.readyReplicas ?? 0) !== w.spec.replicas;
                    })
                    .map((w: Obj) => `${w.kind}/${w.metadata.name}`),
            );
            return late.length === 0 ? true : late.join(", ");
        });
    }
    async function standbysStreaming(): Promise<void> {
        await until("both standbys streaming", () => {
            const r = sql(NS.ha, "postgres-sts-0", "labuser", "database", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
            return r === "2" ? true : `${r} streaming`;
        });
    }
    /** The todo app answers from another pod and lists what it stored: it logs in to its database. */
    async function todoAnswers(expect: RegExp, client: string): Promise<void> {
        await clientPod(NS.todoApp, client);
        await until("the todo app lists its todos", () => {
            const r = httpFrom(NS.todoApp, client, TODO_URL);
            return r.code === 0 && expect.test(r.out) ? true : r.out.slice(-300);
        });
        ok(["delete", "pod", client, "-n", NS.todoApp, "--wait=false"]);
    }
    /** The workshop and customer backends list their rows from another pod: each logs in to its database. */
    async function backendsServe(client: string): Promise<void> {
        for (const [ns, url, name] of [[NS.workshop, URL.items, "kept on the claim"], [NS.customer, URL.customers, "Ada Lovelace"]]) {
            await clientPod(ns, client);
            await lists(ns, client, url, `${url} lists ${name}`, (r) => names(r).includes(name));
            ok(["delete", "pod", client, "-n", ns, "--wait=false"]);
        }
    }

    it("rotates todo's, customer's and postgres-ha's passwords in place: databases and apps move to the new ones, rows kept, standbys stream again", async () => {
        const old = DATABASES.map((d) => secretValue(d.ns, d.secret[0], d.secret[1]));
        const oldReplication = secretValue(NS.ha, "database-secret", "replication-pass");
        const todos = sql(NS.todoDb, "postgres-0", "todo", "todo", "SELECT count(*) FROM todo");
        must("config", "set", "state-labs:todoCredentialsGeneration", "1");
        must("config", "set", "state-labs:postgresHaCredentialsGeneration", "1");
        must("config", "set", "state-labs:customerCredentialsGeneration", "1");
        const t0 = Date.now();
        up("rotation of todo, customer and postgres-ha");
        await rolledOut();
        await standbysStreaming();
        figures.push(`rotation of three labs' passwords, pulumi up to every pod Ready and standbys streaming: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        for (const [i, d] of DATABASES.entries()) {
            const now = secretValue(d.ns, d.secret[0], d.secret[1]);
            const rotated = d.ns === NS.todoDb || d.ns === NS.ha || d.ns === NS.customer;
            assert.strictEqual(now !== old[i], rotated, `${d.ns}: ${rotated ? "not rotated" : "rotated by accident"}`);
            assert.strictEqual(login(d.ns, d.pod, d.user, d.db, now).code, 0, `${d.ns}: the Secret's password is refused`);
            if (rotated) assert.match(login(d.ns, d.pod, d.user, d.db, old[i]).out, /password authentication failed/, `${d.ns}: the old password still works`);
        }
        assert.notStrictEqual(secretValue(NS.ha, "database-secret", "replication-pass"), oldReplication);
        assert.match(ok(["logs", "postgres-sts-0", "-n", NS.ha, "-c", "sync-credentials"]), /labuser and replicator: passwords set from the Secret/);
        assert.match(ok(["logs", "postgres-sts-1", "-n", NS.ha, "-c", "sync-credentials"]), /standby: its connection to .* uses the Secret's replication password/);
        assert.strictEqual(sql(NS.ha, "postgres-sts-2", "labuser", "database", "SELECT t FROM ha"), "written on the primary");
        assert.strictEqual(sql(NS.todoDb, "postgres-0", "todo", "todo", "SELECT count(*) FROM todo"), todos, "the todos before the rotation");
        assert.ok(Number(todos) > 0, "no todo to keep: the check would pass on an empty table");
        await todoAnswers(/water the plants/, "client-after-rotation");
        // the customer backend restarted with the rotated password; workshop's, not rotated, kept serving
        await backendsServe("client-after-rotation");
        const again = must("preview", "--expect-no-changes");
        figures.push(`pulumi preview after the rotation, nothing to change: ${again.seconds.toFixed(1)} s`);
    });

    it("keeps the rows through pulumi destroy (keepDataOnDestroy) and a new pulumi up, and every database and app logs in with the new stack's passwords", async () => {
        const old = DATABASES.map((d) => secretValue(d.ns, d.secret[0], d.secret[1]));
        const down = must("destroy", "--yes", "--skip-preview");
        figures.push(`pulumi destroy: ${down.seconds.toFixed(1)} s`);
        assert.strictEqual(kubectl(["get", "statefulset", "db", "-n", NS.workshop]).code, 1, "the workload is gone");
        assert.strictEqual(kubectl(["get", "secret", "postgres-secret", "-n", NS.todoDb]).code, 1, "the Secret is gone");
        const t0 = Date.now();
        up("again, on the kept data");
        await rolledOut();
        await standbysStreaming();
        figures.push(`pulumi up on kept data to every pod Ready and standbys streaming: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        for (const [i, d] of DATABASES.entries()) {
            const now = secretValue(d.ns, d.secret[0], d.secret[1]);
            assert.notStrictEqual(now, old[i], `${d.ns}: a new stack generates new passwords`);
            const r = login(d.ns, d.pod, d.user, d.db, now);
            assert.strictEqual(r.code, 0, `${d.ns}: the kept database refuses the new Secret's password: ${r.out}`);
            assert.strictEqual(login(d.ns, d.pod, d.user, d.db, "env").code, 0);
        }
        assert.strictEqual(sql(NS.workshop, "db-0", "postgres", "postgres", "SELECT t FROM notes"), "kept on the claim");
        assert.strictEqual(sql(NS.ha, "postgres-sts-0", "labuser", "database", "SELECT t FROM ha"), "written on the primary");
        assert.strictEqual(sql(NS.ha, "postgres-sts-1", "labuser", "database", "SELECT t FROM ha"), "written on the primary");
        assert.match(sql(NS.customer, "customer-db-0", "root", "customer", "SELECT current_database()"), /customer/);
        assert.strictEqual(sql(NS.todoDb, "postgres-0", "todo", "todo", "SELECT t FROM student_notes"), "mine");
        await todoAnswers(/water the plants/, "client-after-destroy");
        await backendsServe("client-after-destroy");
    });

    after(() => {
        pulumiCli(WORK, STACK, "destroy", "--yes", "--skip-preview");
        for (const f of figures.splice(0)) console.log(`    figure: ${f}`);
    });
});

describe("real node: every lab on dynamic claims of the node's CSI driver, grown in place", function () {
    this.timeout(30 * 60 * 1000);
    const DYN = "dynamic"; // the stack and its prefix (Pulumi.dynamic.yaml)
    const DNS = labNamespaces(DYN);
    const { name: NODE, csiDriver: CSI_DRIVER } = nodeSettings();
    fs.writeFileSync(path.join(WORK, `Pulumi.${DYN}.yaml`), nodeDynamicStackFile(IMAGES, CSI_DRIVER));
    const dyn = (...args: string[]): PulumiRun => {
        const r = pulumiCli(WORK, DYN, ...args);
        assert.strictEqual(r.code, 0, `pulumi ${args.join(" ")} --stack ${DYN} failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
        return r;
    };
    const claim = (ns: string, name: string) => getJson(["pvc", name, "-n", ns]);
    const resizePending = (c: Obj) => (c.status.conditions ?? []).some((x: Obj) => x.type === "FileSystemResizePending" && x.status === "True");
    /** Bytes of the file system under PGDATA's mount, as the database's container sees it. */
    const dfBytes = (ns: string, pod: string) => Number(exec(ns, pod, "postgres", ["df", "-B1", "--output=size", "/var/lib/postgresql/data"]).out.split("\n").pop());
    const GiB = 2 ** 30;

    /** Grows `name` in `ns` (by `grow`), restarts `pod` once the claim waits for it, and checks size and row; the seconds from the request to the size in the pod. */
    async function growAndRestart(ns: string, name: string, pod: string, db: { user: string; db: string }, grow: () => void): Promise<number> {
        const q = (s: string) => sql(ns, pod, db.user, db.db, s);
        q("CREATE TABLE IF NOT EXISTS grown (t text); INSERT INTO grown VALUES ('written before the growth')");
        const before = claim(ns, name);
        assert.strictEqual(before.status.capacity.storage, "1Gi");
        const sizeBefore = dfBytes(ns, pod);
        assert.ok(sizeBefore > 0.85 * GiB && sizeBefore <= GiB, `${ns}/${pod} sees ${sizeBefore} bytes before`);
        const t0 = Date.now();
        grow();
        // ext4 cannot grow mounted on this machine kind: the claim waits for the pod's restart
        await until(`${name} FileSystemResizePending`, () => (resizePending(claim(ns, name)) ? true : JSON.stringify(claim(ns, name).status)));
        assert.strictEqual(getJson(["pv", before.spec.volumeName]).spec.capacity.storage, "2Gi", "the volume grew first");
        assert.strictEqual(dfBytes(ns, pod), sizeBefore, "the mounted file system keeps its size until the restart");
        await deletePodAndWait(ns, pod);
        await until(`${name} at 2Gi`, () => {
            const c = claim(ns, name);
            return c.status.capacity.storage === "2Gi" && !resizePending(c) ? true : JSON.stringify(c.status);
        });
        const sizeAfter = dfBytes(ns, pod);
        const seconds = (Date.now() - t0) / 1000;
        assert.ok(sizeAfter > 1.8 * GiB && sizeAfter <= 2 * GiB, `${ns}/${pod} sees ${sizeAfter} bytes after`);
        assert.strictEqual(q("SELECT t FROM grown"), "written before the growth");
        const after = claim(ns, name);
        assert.deepStrictEqual([after.metadata.uid, after.spec.volumeName], [before.metadata.uid, before.spec.volumeName], "the same claim on the same volume");
        return seconds;
    }

    before(async () => {
        dyn("stack", "init", "--secrets-provider", "passphrase");
        const r = dyn("up", "--yes", "--skip-preview");
        figures.push(`pulumi up dynamic from empty, real node: ${r.seconds.toFixed(1)} s`);
        await everyPodReady(DNS);
    });

    it("makes every claim, the seeds' names included, through the stack's class: Bound to a volume of the CSI driver, Retain, on this node, every pod Ready", () => {
        const claims = Object.values(DNS).flatMap((ns) => getJson(["pvc", "-n", ns]).items);
        const claimNames = claims.map((c: Obj) => c.metadata.name);
        for (const seedName of ["db-data", "postgres-pvc", "pg-pv-claim"]) assert.ok(claimNames.includes(seedName), `${seedName} in ${claimNames.join(",")}`);
        assert.strictEqual(claims.length, 6, claimNames.join(","));
        const cls = getJson(["storageclass", `${DYN}-labs-dynamic`]);
        assert.deepStrictEqual([cls.provisioner, cls.reclaimPolicy, cls.allowVolumeExpansion, cls.volumeBindingMode], [CSI_DRIVER, "Retain", true, "WaitForFirstConsumer"]);
        for (const c of claims) {
            assert.deepStrictEqual([c.status.phase, c.spec.storageClassName], ["Bound", cls.metadata.name], c.metadata.name);
            const pv = getJson(["pv", c.spec.volumeName]);
            assert.strictEqual(pv.spec.csi.driver, CSI_DRIVER, c.metadata.name);
            assert.strictEqual(pv.spec.persistentVolumeReclaimPolicy, "Retain", c.metadata.name);
            const where = pv.spec.nodeAffinity.required.nodeSelectorTerms.flatMap((t: Obj) => t.matchExpressions.flatMap((e: Obj) => e.values));
            assert.deepStrictEqual(where, [NODE], `${c.metadata.name}: its volume is a file on ${NODE}`);
        }
        assert.strictEqual(allPods(DNS).filter((p) => p.spec.nodeName === NODE).length, allPods(DNS).length);
    });

    it("grows workshop's claim when workshopDbSize is raised: pulumi up replaces nothing, and after db-0 restarts df shows the new size and the row is there", async () => {
        const sts = getJson(["statefulset", "db", "-n", DNS.workshop]).metadata.uid;
        dyn("config", "set", "state-labs:workshopDbSize", "2Gi");
        const steps: { op: string; urn: string }[] = JSON.parse(dyn("preview", "--json").stdout).steps ?? [];
        const changes = steps.filter((x) => x.op !== "same").map((x) => `${x.op} ${x.urn.split("::").slice(2).join("::")}`);
        assert.ok(changes.length > 0 && changes.every((c) => /^update .*PersistentVolumeClaimPatch::/.test(c)), changes.join("\n"));
        let warned = "";
        const seconds = await growAndRestart(DNS.workshop, "db-data", "db-0", { user: "postgres", db: "postgres" }, () => {
            const r = dyn("up", "--yes", "--skip-preview");
            warned = r.stdout + r.stderr;
        });
        assert.match(warned, /grown in place .*FileSystemResizePending/s, "up says what Kubernetes waits for");
        assert.strictEqual(getJson(["statefulset", "db", "-n", DNS.workshop]).metadata.uid, sts, "the StatefulSet is not replaced");
        figures.push(`dynamic claim grown through workshopDbSize 1Gi -> 2Gi, from pulumi up to the new size in the restarted pod: ${seconds.toFixed(1)} s`);
    });

    it("grows todo's claim edited by hand, as the seed does, and the next pulumi preview changes nothing", async () => {
        const seconds = await growAndRestart(DNS.todoDb, "postgres-pvc", "postgres-0", { user: "todo", db: "todo" }, () =>
            ok(["patch", "pvc", "postgres-pvc", "-n", DNS.todoDb, "-p", JSON.stringify({ spec: { resources: { requests: { storage: "2Gi" } } } })]),
        );
        figures.push(`dynamic claim grown by kubectl patch 1Gi -> 2Gi, to the new size in the restarted pod: ${seconds.toFixed(1)} s`);
        dyn("preview", "--expect-no-changes");
    });

    it("destroys the grown stack and keeps every claim Bound to its volume, grown ones at their new size (keepDataOnDestroy)", () => {
        const claims = () => Object.values(DNS).flatMap((ns) => getJson(["pvc", "-n", ns]).items);
        const before = claims().map((c: Obj) => `${c.metadata.namespace}/${c.metadata.name} ${c.spec.volumeName} ${c.status.capacity.storage}`);
        dyn("destroy", "--yes", "--skip-preview");
        const after = claims().map((c: Obj) => `${c.metadata.namespace}/${c.metadata.name} ${c.spec.volumeName} ${c.status.capacity.storage}`);
        assert.deepStrictEqual(after, before);
        assert.ok(after.some((c) => c.startsWith(`${DNS.workshop}/db-data `) && c.endsWith(" 2Gi")), after.join("\n"));
        assert.ok(claims().every((c: Obj) => c.status.phase === "Bound"));
    });

    after(() => {
        for (const f of figures.splice(0)) console.log(`    figure: ${f}`);
    });
});
