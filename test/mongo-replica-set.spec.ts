import * as assert from "assert";
import * as vm from "vm";
import { INITIATE_JS, mongoMembers } from "../components/mongo-replica-set";
import { K8sObject, objects, one, run } from "./objects";

/** A replica set as mongosh's `Mongo` sees it: enough of the admin commands the script uses. */
class FakeReplicaSet {
    config?: { _id: string; version: number; members: { _id: number; host: string }[] };
    commands: string[] = [];
    auths: [string, string][] = [];
    run(script: string, env: Record<string, string>): string[] {
        const printed: string[] = [];
        const rs = this;
        class Mongo {
            constructor(readonly uri: string) {}
            getDB() {
                return {
                    auth: (u: string, p: string) => rs.auths.push([u, p]),
                    runCommand: (cmd: Record<string, any>) => rs.command(cmd),
                };
            }
        }
        vm.runInNewContext(script, { process: { env }, Mongo, print: (s: string) => printed.push(s), printjson: (o: unknown) => printed.push(JSON.stringify(o)) });
        return printed;
    }
    command(fromScript: Record<string, any>): Record<string, any> {
        // objects made in the script's realm: keep plain copies
        const cmd = JSON.parse(JSON.stringify(fromScript));
        const name = Object.keys(cmd)[0];
        this.commands.push(name);
        switch (name) {
            case "replSetGetStatus":
                return this.config
                    ? { ok: 1, members: this.config.members.map((m, i) => ({ name: m.host, stateStr: i === 0 ? "PRIMARY" : "SECONDARY" })) }
                    : { ok: 0, code: 94, codeName: "NotYetInitialized" };
            case "replSetInitiate":
                this.config = { ...cmd.replSetInitiate, version: 1 };
                return { ok: 1 };
            case "replSetGetConfig":
                return { ok: 1, config: structuredClone(this.config) };
            case "replSetReconfig":
                assert.strictEqual(cmd.replSetReconfig.version, this.config!.version + 1, "reconfig must bump the version");
                this.config = cmd.replSetReconfig;
                return { ok: 1 };
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

        it("adds members when the set grows, keeping the existing ones and their ids", () => {
            const rs = new FakeReplicaSet();
            rs.run(INITIATE_JS, env(members3));
            rs.run(INITIATE_JS, env(mongoMembers("mongo", "mongo-service", "dev-movies", 5)));
            assert.deepStrictEqual(rs.config!.members.map((m) => m._id), [0, 1, 2, 3, 4]);
            assert.strictEqual(rs.config!.version, 2);
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
            assert.match(copy.command[2], /chmod 0400 \/etc\/mongo-keyfile\/keyfile/);
            assert.strictEqual(spec.securityContext.runAsUser, 999);
            const secretVolume = spec.volumes.find((v: K8sObject) => v.name === "keyfile-secret");
            assert.deepStrictEqual(secretVolume.secret.items, [{ key: "keyfile", path: "keyfile" }]);
        });

        it("initiates itself with a Job that waits for every member and runs the script", () => {
            const job = one(objs, "Job", "mongo-initiate");
            const c = job.spec.template.spec.containers[0];
            const members = c.env.find((e: K8sObject) => e.name === "MEMBERS").value.split(" ");
            assert.deepStrictEqual(members, mongoMembers("mongo", "mongo-service", "dev-movies", 3));
            assert.match(c.command[2], /for host in \$MEMBERS; do\s+until mongosh/);
            assert.match(c.command[2], /mongosh --quiet --nodb --file \/scripts\/initiate\.js/);
            assert.strictEqual(one(objs, "ConfigMap", "mongo-initiate").data["initiate.js"], INITIATE_JS);
            assert.deepStrictEqual(c.env.find((e: K8sObject) => e.name === "MONGO_ROOT_PASSWORD").valueFrom, { secretKeyRef: { name: "mongo-credentials", key: "root-password" } });
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
});
