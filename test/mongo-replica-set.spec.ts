import * as assert from "assert";
import * as vm from "vm";
import { INITIATE_JS, MONGO_DATA_DIR, SYNC_ROOT_JS, mongoMembers } from "../components/workloads/mongo-replica-set";
import { K8sObject, objects, one, run } from "./objects";
import { runScript } from "./standins";

/**
 * A replica set as mongosh's `Mongo` sees it: enough of the admin commands the script uses, with
 * MongoDB's rules that matter here. Members whose pods are gone do not answer; a primary exists
 * only while the members that answer are a majority of the configuration; a reconfiguration
 * without force goes through the primary and adds or removes at most one voting member.
 */
class FakeReplicaSet {
    config?: { _id: string; version: number; members: { _id: number; host: string }[] };
    commands: string[] = [];
    auths: [string, string][] = [];
    /** Hosts whose pods are gone. */
    gone = new Set<string>();
    run(script: string, env: Record<string, string>): string[] {
        const printed: string[] = [];
        const { gone, auths } = this;
        const command = (host: string, cmd: K8sObject) => this.command(host, cmd);
        class Mongo {
            readonly host: string;
            constructor(uri: string) {
                this.host = /^mongodb:\/\/([^/]+)\//.exec(uri)![1];
                if (gone.has(this.host)) throw new Error(`connect ECONNREFUSED ${this.host}`);
            }
            getDB() {
                return {
                    auth: (u: string, p: string) => auths.push([u, p]),
                    runCommand: (cmd: K8sObject) => command(this.host, cmd),
                };
            }
        }
        const context = { process: { env }, Mongo, sleep: () => undefined, print: (s: string) => printed.push(s), printjson: (o: unknown) => printed.push(JSON.stringify(o)) };
        vm.runInNewContext(script, context);
        return printed;
    }
    primary(): string | undefined {
        const up = this.config!.members.filter((m) => !this.gone.has(m.host));
        return up.length > this.config!.members.length / 2 ? up[0].host : undefined;
    }
    command(host: string, fromScript: K8sObject): K8sObject {
        // objects made in the script's realm: keep plain copies
        const cmd = JSON.parse(JSON.stringify(fromScript));
        const name = Object.keys(cmd)[0];
        this.commands.push(cmd.force ? `${name} (force)` : name);
        switch (name) {
            case "replSetGetStatus": {
                if (!this.config) return { ok: 0, code: 94, codeName: "NotYetInitialized" };
                const primary = this.primary();
                const state = (h: string) => (this.gone.has(h) ? "(not reachable/healthy)" : h === primary ? "PRIMARY" : "SECONDARY");
                return { ok: 1, members: this.config.members.map((m) => ({ name: m.host, stateStr: state(m.host) })) };
            }
            case "replSetInitiate":
                this.config = { ...cmd.replSetInitiate, version: 1 };
                return { ok: 1 };
            case "replSetGetConfig":
                return { ok: 1, config: structuredClone(this.config) };
            case "replSetReconfig": {
                const next = cmd.replSetReconfig;
                const before = new Set(this.config!.members.map((m) => m.host));
                const after = new Set<string>(next.members.map((m: { host: string }) => m.host));
                const changes = [...before].filter((h) => !after.has(h)).length + [...after].filter((h) => !before.has(h)).length;
                if (!cmd.force) {
                    if (host !== this.primary()) return { ok: 0, codeName: "NotWritablePrimary" };
                    if (changes > 1) return { ok: 0, codeName: "NewReplicaSetConfigurationIncompatible", errmsg: "Non force replSetReconfig can only add or remove at most 1 voting member" };
                    assert.strictEqual(next.version, this.config!.version + 1, "reconfig must bump the version");
                } else {
                    assert.ok(next.version > this.config!.version, "a forced reconfig must still raise the version");
                }
                this.config = next;
                return { ok: 1 };
            }
            default:
                throw new Error(`unexpected command ${name}`);
        }
    }
}

describe("MongoReplicaSet (labs:database:MongoReplicaSet)", () => {
    describe("initiation script", () => {
        const members3 = mongoMembers("mongo", "mongo-service", "dev-movies", 3);
        const env = (members: string[]) => ({ REPLICA_SET: "myReplicaSet", MEMBERS: members.join(" "), MONGO_ROOT_USERNAME: "root", MONGO_ROOT_PASSWORD: "pw" });

        it("initiates a new replica set with FQDN members", () => {
            const rs = new FakeReplicaSet();
            rs.run(INITIATE_JS, env(members3));
            assert.deepStrictEqual(rs.config, {
                _id: "myReplicaSet",
                version: 1,
                members: [0, 1, 2].map((i) => ({ _id: i, host: `mongo-${i}.mongo-service.dev-movies.svc.cluster.local:27017` })),
            });
            assert.ok(rs.auths.every(([u, p]) => u === "root" && p === "pw"));
        });

        it("changes nothing on a second run", () => {
            const rs = new FakeReplicaSet();
            rs.run(INITIATE_JS, env(members3));
            const before = structuredClone(rs.config);
            rs.commands = [];
            const printed = rs.run(INITIATE_JS, env(members3));
            assert.deepStrictEqual(rs.config, before);
            assert.ok(!rs.commands.includes("replSetInitiate") && !rs.commands.includes("replSetReconfig"), rs.commands.join());
            assert.match(printed.join("\n"), /nothing to do/);
        });

        it("adds members when the set grows, one voting member per reconfiguration, keeping the existing ones and their ids", () => {
            const rs = new FakeReplicaSet();
            rs.run(INITIATE_JS, env(members3));
            rs.commands = [];
            rs.run(INITIATE_JS, env(mongoMembers("mongo", "mongo-service", "dev-movies", 5)));
            assert.deepStrictEqual(rs.config!.members.map((m) => m._id), [0, 1, 2, 3, 4]);
            assert.strictEqual(rs.commands.filter((c) => c === "replSetReconfig").length, 2);
            assert.strictEqual(rs.config!.version, 3);
        });

        const members = (n: number) => mongoMembers("mongo", "mongo-service", "dev-movies", n);
        /** The StatefulSet shrinks first: the pods of the departed ordinals are gone when the Job runs. */
        function scaleDown(rs: FakeReplicaSet, from: number, to: number): string[] {
            for (const h of members(from).slice(to)) rs.gone.add(h);
            return rs.run(INITIATE_JS, env(members(to)));
        }

        it("removes departed members through the primary, one at a time, while the rest hold a majority (5 to 3)", () => {
            const rs = new FakeReplicaSet();
            rs.run(INITIATE_JS, env(members(5)));
            rs.commands = [];
            scaleDown(rs, 5, 3);
            assert.deepStrictEqual(rs.config!.members.map((m) => m.host), members(3));
            assert.deepStrictEqual(rs.commands.filter((c) => c.startsWith("replSetReconfig")), ["replSetReconfig", "replSetReconfig"]);
            assert.strictEqual(rs.primary(), members(3)[0]);
        });

        it("forces the configuration of the members left when the departed held the majority (3 to 1), and a primary is elected", () => {
            const rs = new FakeReplicaSet();
            rs.run(INITIATE_JS, env(members3));
            assert.strictEqual((rs.gone.add(members3[1]).add(members3[2]), rs.primary()), undefined, "without the script: no primary, the lab is down");
            rs.gone.clear();
            const printed = scaleDown(rs, 3, 1);
            assert.deepStrictEqual(rs.config!.members.map((m) => m.host), members(1));
            assert.ok(rs.commands.includes("replSetReconfig (force)"));
            assert.strictEqual(rs.primary(), members(1)[0]);
            assert.match(printed.join("\n"), /with force: the members left held no majority/);
        });

        it("grows back after a scale-down, one member at a time", () => {
            const rs = new FakeReplicaSet();
            rs.run(INITIATE_JS, env(members3));
            scaleDown(rs, 3, 1);
            rs.gone.clear();
            rs.run(INITIATE_JS, env(members3));
            assert.deepStrictEqual(rs.config!.members.map((m) => m.host), members3);
            assert.strictEqual(rs.primary(), members3[0]);
        });

        it("never forces while the members left hold a majority (3 to 2)", () => {
            const rs = new FakeReplicaSet();
            rs.run(INITIATE_JS, env(members3));
            rs.commands = [];
            scaleDown(rs, 3, 2);
            assert.deepStrictEqual(rs.config!.members.map((m) => m.host), members(2));
            assert.deepStrictEqual(rs.commands.filter((c) => c.startsWith("replSetReconfig")), ["replSetReconfig"]);
        });
    });

    describe("in the movies lab", () => {
        let objs: K8sObject[];
        before(async () => (objs = objects(await run("dev", { labs: ["movies"] }))));

        it("is the seed's StatefulSet: mongo, 3 members, headless mongo-service, 2Gi template at /data/db", () => {
            const sts = one(objs, "StatefulSet", "mongo", "dev-movies");
            assert.strictEqual(sts.spec.replicas, 3);
            assert.strictEqual(sts.spec.serviceName, "mongo-service");
            const [t] = sts.spec.volumeClaimTemplates;
            assert.strictEqual(t.metadata.name, "mongo-persistent-storage");
            assert.strictEqual(t.spec.resources.requests.storage, "2Gi");
            const mongo = sts.spec.template.spec.containers[0];
            assert.deepStrictEqual(mongo.volumeMounts.find((m: K8sObject) => m.name === "mongo-persistent-storage").mountPath, "/data/db");
            assert.strictEqual(one(objs, "Service", "mongo-service").spec.publishNotReadyAddresses, true);
        });

        it("passes mongod through the image entrypoint (args) with the replica set and keyFile", () => {
            const mongo = one(objs, "StatefulSet", "mongo").spec.template.spec.containers[0];
            assert.strictEqual(mongo.command, undefined, "command would bypass the entrypoint that creates the root user");
            assert.deepStrictEqual(mongo.args.slice(0, 6), ["mongod", "--replSet", "myReplicaSet", "--bind_ip_all", "--keyFile", "/etc/mongo-keyfile/keyfile"]);
            assert.match(mongo.image, /^mongo:([5-9]|\d\d)\./, "needs mongosh (5.0+)");
            assert.match(mongo.readinessProbe.exec.command.join(" "), /mongosh .*ping/);
            const pw = mongo.env.find((e: K8sObject) => e.name === "MONGO_INITDB_ROOT_PASSWORD");
            assert.deepStrictEqual(pw.valueFrom, { secretKeyRef: { name: "mongo-credentials", key: "root-password" } });
        });

        it("hands mongod a private copy of the keyfile", () => {
            const spec = one(objs, "StatefulSet", "mongo").spec.template.spec;
            const copy = spec.initContainers.find((c: K8sObject) => c.name === "keyfile");
            assert.strictEqual(spec.securityContext.runAsUser, 999);
            const secretVolume = spec.volumes.find((v: K8sObject) => v.name === "keyfile-secret");
            assert.deepStrictEqual(secretVolume.secret.items, [{ key: "keyfile", path: "keyfile" }]);
            // run with the two mounts under the run's root: a 0400 copy in mongod's keyfile volume
            const mountOf = (name: string) => copy.volumeMounts.find((m: K8sObject) => m.name === name).mountPath;
            const script = (copy.command[2] as string).replaceAll(mountOf("keyfile-secret"), "$ROOT/secret").replaceAll(mountOf("keyfile"), "$ROOT/private");
            const r = runScript(script, { tools: {}, files: { "secret/keyfile": "c2VjcmV0", "private/.keep": "" } });
            assert.strictEqual(r.status, 0, r.stderr);
            const mongodKeyFile = spec.containers[0].args[spec.containers[0].args.indexOf("--keyFile") + 1];
            assert.strictEqual(mongodKeyFile, `${mountOf("keyfile")}/keyfile`);
            assert.strictEqual(r.file("private/keyfile"), "c2VjcmV0");
            assert.strictEqual(r.mode("private/keyfile"), 0o400);
        });

        /** The content of a file a container sees under a ConfigMap volume's mount. */
        function configMapFile(spec: K8sObject, container: K8sObject, file: string): string {
            const mount = container.volumeMounts.find((m: K8sObject) => file.startsWith(`${m.mountPath}/`));
            assert.ok(mount, `${container.name}: nothing mounted at ${file}`);
            const cm = one(objs, "ConfigMap", spec.volumes.find((v: K8sObject) => v.name === mount.name).configMap.name);
            const content = cm.data[file.slice(mount.mountPath.length + 1)];
            assert.ok(content, `${container.name}: no ${file} in ConfigMap ${cm.metadata.name}`);
            return content;
        }

        it("initiates itself with a Job that waits for every member, then runs the initiation script from its ConfigMap", () => {
            const job = one(objs, "Job", "mongo-initiate");
            const spec = job.spec.template.spec;
            const c = spec.containers[0];
            const envOf = (name: string) => c.env.find((e: K8sObject) => e.name === name);
            const members = envOf("MEMBERS").value.split(" ");
            assert.deepStrictEqual(members, mongoMembers("mongo", "mongo-service", "dev-movies", 3));
            assert.deepStrictEqual(envOf("MONGO_ROOT_PASSWORD").valueFrom, { secretKeyRef: { name: "mongo-credentials", key: "root-password" } });

            // mongosh stand-in: a member answers its ping from its second try; the rest is logged
            const mongosh = [
                `case "$*" in`,
                `  *ping*) f="$ROOT/.seen-$(echo "$2" | tr -c 'a-z0-9' _)"; echo "ping $2" >> "$CALLS"; [ -e "$f" ] || { touch "$f"; exit 1; };;`,
                `  *) echo "mongosh $*" >> "$CALLS";;`,
                `esac`,
            ].join("\n");
            const r = runScript(c.command[2], { tools: { mongosh, sleep: "true" }, env: { MEMBERS: envOf("MEMBERS").value } });
            assert.strictEqual(r.status, 0, r.stderr);
            const pings = members.flatMap((h: string) => [`ping mongodb://${h}/admin?directConnection=true`, `ping mongodb://${h}/admin?directConnection=true`]);
            assert.deepStrictEqual(r.calls.slice(0, -1), pings, "waits for each member in turn");
            const last = /^mongosh --quiet --nodb --file (\S+)$/.exec(r.calls.at(-1)!);
            assert.ok(last, r.calls.at(-1));

            // the file it runs is the ConfigMap's: with the Job's env, it initiates the set with the Job's members
            const rs = new FakeReplicaSet();
            rs.run(configMapFile(spec, c, last[1]), { REPLICA_SET: envOf("REPLICA_SET").value, MEMBERS: envOf("MEMBERS").value, MONGO_ROOT_USERNAME: envOf("MONGO_ROOT_USERNAME").value, MONGO_ROOT_PASSWORD: "pw" });
            assert.deepStrictEqual(rs.config, { _id: "myReplicaSet", version: 1, members: members.map((host: string, i: number) => ({ _id: i, host })) });
            assert.ok(rs.auths.every(([u, p]) => u === "root" && p === "pw"));
        });

        it("syncs the root password with the script its sync-credentials container mounts", () => {
            const spec = one(objs, "StatefulSet", "mongo").spec.template.spec;
            const sync = spec.initContainers.at(-1);
            const file = /--file (\S+)/.exec(sync.command[2])![1];
            const users: Record<string, string> = { root: "old" };
            syncRoot(configMapFile(spec, sync, file), users);
            assert.deepStrictEqual(users, { root: "n3w" });
        });

        it("gives the catalog a MONGO_URI listing every member and the replica set", async () => {
            const r = await run("dev", { labs: ["movies"], moviesCatalogImage: "registry.example/catalog:1.0" });
            const catalog = one(objects(r), "Deployment", "movie-catalog");
            const uri = catalog.spec.template.spec.containers[0].env.find((e: K8sObject) => e.name === "MONGO_URI");
            assert.deepStrictEqual(uri.valueFrom, { secretKeyRef: { name: "mongo-credentials", key: "mongo-uri" } });
            const secret = one(objects(r), "Secret", "mongo-credentials");
            const pw = secret.stringData["root-password"];
            assert.strictEqual(
                secret.stringData["mongo-uri"],
                `mongodb://root:${pw}@${mongoMembers("mongo", "mongo-service", "dev-movies", 3).join(",")}/?replicaSet=myReplicaSet&authSource=admin`,
            );
            assert.strictEqual(catalog.spec.template.spec.containers[0].readinessProbe.httpGet.path, "/status");
        });
    });
    describe("follows its Secret at every start (sync-credentials)", () => {
        // the script as the pods run it, with the data directory moved under the run's root
        let script: string;
        before(async () => {
            const sync = one(objects(await run("dev", { labs: ["movies"] })), "StatefulSet", "mongo").spec.template.spec.initContainers.at(-1);
            script = sync.command[2].replaceAll(MONGO_DATA_DIR, "$ROOT/data/db");
        });

        it("runs in every member's pod before mongod, with mongod's env and data", async () => {
            const objs = objects(await run("dev", { labs: ["movies"] }));
            const spec = one(objs, "StatefulSet", "mongo").spec.template.spec;
            const sync = spec.initContainers.at(-1);
            assert.strictEqual(sync.name, "sync-credentials");
            assert.deepStrictEqual(sync.env, spec.containers[0].env);
            assert.ok(sync.volumeMounts.some((m: K8sObject) => m.mountPath === MONGO_DATA_DIR && m.name === "mongo-persistent-storage"));
        });

        // stand-ins: mongod answers pings once started, and runs until told to shut down; mongosh
        // logs the rest; sleep is short (the script sleeps 1 s between pings while mongod starts)
        const tools = {
            sleep: "exec /bin/sleep 0.05",
            mongod: `echo "mongod $*" >> "$CALLS"; touch "$ROOT/up"; while [ ! -e "$ROOT/down" ]; do sleep 0.05; done`,
            mongosh: `case "$*" in *ping*) [ -e "$ROOT/up" ];; *shutdownServer*) echo "shutdown" >> "$CALLS"; touch "$ROOT/down";; *) echo "mongosh $*" >> "$CALLS"; [ -z "\${STANDIN_FAIL:-}" ];; esac`,
        };

        it("starts the member standalone on loopback (no replica set, no keyfile, so no login), syncs, and shuts it down", () => {
            const r = runScript(script, { tools, files: { "data/db/WiredTiger": "" } });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.calls.length, 3, r.calls.join("\n"));
            assert.match(r.calls[0], /^mongod --dbpath \S+\/data\/db --bind_ip 127\.0\.0\.1 --port 27018 /);
            assert.doesNotMatch(r.calls[0], /--replSet|--keyFile|--bind_ip_all|--auth/);
            assert.strictEqual(r.calls[1], "mongosh --quiet --port 27018 --file /scripts/sync-root.js");
            assert.strictEqual(r.calls[2], "shutdown");
        });

        it("shuts the member down and fails when the sync fails; does nothing before the first start", () => {
            const failed = runScript(script, { tools, files: { "data/db/WiredTiger": "" }, env: { STANDIN_FAIL: "1" } });
            assert.notStrictEqual(failed.status, 0);
            assert.strictEqual(failed.calls.at(-1), "shutdown");
            const fresh = runScript(script, { tools });
            assert.strictEqual(fresh.status, 0, fresh.stderr);
            assert.deepStrictEqual(fresh.calls, []);
        });

        it("sets the root user's password from the env, and leaves a member without users alone", () => {
            const users: Record<string, string> = { root: "old", student: "s" };
            syncRoot(SYNC_ROOT_JS, users);
            assert.deepStrictEqual(users, { root: "n3w", student: "s" });
            const empty: Record<string, string> = {};
            assert.match(syncRoot(SYNC_ROOT_JS, empty).join(), /no user root on this member yet/);
            assert.deepStrictEqual(empty, {});
        });
    });
});

/** sync-root.js under a stand-in of mongosh's globals (db, print, process.env). */
function syncRoot(script: string, users: Record<string, string>): string[] {
    const printed: string[] = [];
    const admin = {
        getUser: (u: string) => (u in users ? { user: u } : null),
        changeUserPassword: (u: string, p: string) => (users[u] = p),
    };
    const db = { getSiblingDB: (name: string) => (assert.strictEqual(name, "admin"), admin) };
    vm.runInNewContext(script, { db, print: (s: string) => printed.push(s), process: { env: { MONGO_INITDB_ROOT_USERNAME: "root", MONGO_INITDB_ROOT_PASSWORD: "n3w" } } });
    return printed;
}
