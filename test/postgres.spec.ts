import * as assert from "assert";
import { Credentials } from "../components/security/credentials";
import { unfenced } from "../components/security/namespace";
import { DynamicStorage } from "../components/storage/dynamic-storage";
import { HostPathStorage } from "../components/storage/hostpath-storage";
import { StackNaming } from "../components/shared/naming";
import { PGDATA, POSTGRES_PORT, Postgres, REPLICATION_USER, SYNC_CREDENTIALS } from "../components/workloads/postgres";
import { StackRun, runUnderMocks } from "../tools/mock-runtime";
import { K8sObject, containers, objects, ofKind, one, pods, resourcesOfType, run, selects } from "./objects";
import { runScript } from "./standins";

function env(c: K8sObject, name: string): K8sObject {
    const e = (c.env ?? []).find((x: K8sObject) => x.name === name);
    assert.ok(e, `${c.name}: no env ${name}`);
    return e;
}

describe("Postgres (labs:database:Postgres)", () => {
    describe("single instance (workshop db)", () => {
        let objs: K8sObject[];
        before(async () => (objs = objects(await run("dev", { labs: ["workshop"] }))));

        it("keeps PGDATA in a subdirectory of the mounted volume", () => {
            const sts = one(objs, "StatefulSet", "db");
            const pg = sts.spec.template.spec.containers[0];
            assert.strictEqual(env(pg, "PGDATA").value, PGDATA);
            assert.ok(PGDATA.startsWith(`${pg.volumeMounts[0].mountPath}/`) && PGDATA !== pg.volumeMounts[0].mountPath);
        });

        it("probes readiness and liveness with pg_isready", () => {
            const pg = one(objs, "StatefulSet", "db").spec.template.spec.containers[0];
            for (const p of [pg.readinessProbe, pg.livenessProbe]) assert.match(p.exec.command.join(" "), /pg_isready .*-U "\$POSTGRES_USER" -d "\$POSTGRES_DB"/);
        });

        it("names its headless Service literally and reads the password from the Secret", () => {
            const sts = one(objs, "StatefulSet", "db");
            assert.strictEqual(sts.spec.serviceName, "db-headless");
            const h = one(objs, "Service", "db-headless");
            assert.strictEqual(h.spec.clusterIP, "None");
            assert.strictEqual(h.spec.publishNotReadyAddresses, true);
            assert.deepStrictEqual(env(sts.spec.template.spec.containers[0], "POSTGRES_PASSWORD").valueFrom, { secretKeyRef: { name: "db-credentials", key: "password" } });
        });

        it("runs as the postgres user, root only in the init container that fixes ownership on hostPath", () => {
            const spec = one(objs, "StatefulSet", "db").spec.template.spec;
            assert.strictEqual(spec.securityContext.runAsUser, 999);
            assert.strictEqual(spec.securityContext.runAsNonRoot, true);
            const init = spec.initContainers.find((c: K8sObject) => c.name === "volume-permissions");
            assert.strictEqual(init.securityContext.runAsUser, 0);
            assert.strictEqual(env(init, "OWNER").value, "999:999");
            assert.strictEqual(env(init, "DIR").value, spec.containers[0].volumeMounts[0].mountPath);
            assert.deepStrictEqual(init.securityContext.capabilities, { drop: ["ALL"], add: ["CHOWN", "FOWNER", "DAC_OVERRIDE"] });
        });

        it("hands the volume to that user and group with mode 2770 (what the kubelet's fsGroup check expects of a root), or makes it writable where the server refuses chown (NFS root_squash)", () => {
            const init = one(objs, "StatefulSet", "db").spec.template.spec.initContainers.find((c: K8sObject) => c.name === "volume-permissions");
            const chown = `echo "chown $*" >> "$CALLS"; [ -z "\${STANDIN_FAIL:-}" ]`;
            const run_ = (extra: Record<string, string> = {}) =>
                runScript(init.command[2], { tools: { chown }, files: { "data/.keep": "" }, env: { DIR: "$ROOT/data", OWNER: env(init, "OWNER").value, ...extra } });
            const owned = run_();
            assert.strictEqual(owned.status, 0, owned.stderr);
            assert.match(owned.calls[0], /^chown 999:999 \S+\/data$/);
            assert.strictEqual(owned.mode("data"), 0o2770, "the owner and its group only, setgid: as a kubelet applying fsGroup leaves a root");
            const squashed = run_({ STANDIN_FAIL: "1" });
            assert.strictEqual(squashed.status, 0, squashed.stderr);
            assert.strictEqual(squashed.mode("data"), 0o777);
        });
    });

    describe("replicated (postgres-ha)", () => {
        let objs: K8sObject[];
        before(async () => (objs = objects(await run("nfs", { labs: ["postgres-ha"] }))));

        it("is a 3-pod StatefulSet with one claim template bound to the stack's class", () => {
            const sts = one(objs, "StatefulSet", "postgres-sts");
            assert.strictEqual(sts.spec.replicas, 3);
            assert.strictEqual(sts.spec.serviceName, "postgres-headless");
            const [t] = sts.spec.volumeClaimTemplates;
            assert.strictEqual(t.metadata.name, "postgres-data");
            assert.strictEqual(t.spec.resources.requests.storage, "200Mi");
            assert.strictEqual(t.spec.storageClassName, "nfs-labs-nfs");
        });

        it("routes writes to ordinal 0 only and reads to every member", () => {
            const all = pods(objs).filter((p) => p.owner.metadata.name === "postgres-sts");
            const selected = (svc: string) => all.filter((p) => selects(one(objs, "Service", svc).spec.selector, p.labels)).map((p) => p.labels["statefulset.kubernetes.io/pod-name"]);
            assert.deepStrictEqual(selected("postgres-primary"), ["postgres-sts-0"]);
            assert.deepStrictEqual(selected("postgres-read"), ["postgres-sts-0", "postgres-sts-1", "postgres-sts-2"]);
        });

        // The scripts as the pods run them: taken from the rendered objects, run with stand-ins.
        const pgIsReady = `echo "pg_isready $*" >> "$CALLS"; n=$(cat "$ROOT/.ready" 2>/dev/null || echo 0); echo $((n + 1)) > "$ROOT/.ready"; [ "$n" -ge 2 ]`;
        // writes what a clone leaves (-D <dir>), or fails half-way when STANDIN_FAIL is set
        const pgBasebackup = [
            `echo "pg_basebackup $* PGPASSWORD=$PGPASSWORD" >> "$CALLS"`,
            `while [ "$1" != "-D" ]; do shift; done; mkdir -p "$2"; echo 17 > "$2/PG_VERSION"`,
            `[ -z "\${STANDIN_FAIL:-}" ] && touch "$2/standby.signal"`,
        ].join("\n");
        function clone(hostname: string, files: Record<string, string> = {}, extra: Record<string, string> = {}) {
            const spec = one(objs, "StatefulSet", "postgres-sts").spec.template.spec;
            const c = spec.initContainers.find((x: K8sObject) => x.name === "clone-primary");
            assert.deepStrictEqual(c.command.slice(0, 2), ["sh", "-c"]);
            const primaryHost = env(c, "PRIMARY_HOST").value;
            return runScript(c.command[2], {
                tools: { pg_isready: pgIsReady, pg_basebackup: pgBasebackup, sleep: "true" },
                files,
                env: { HOSTNAME: hostname, PGDATA: "$ROOT/data/pgdata", PRIMARY_HOST: primaryHost, REPLICATION_PASSWORD: "r3pl", ...extra },
            });
        }

        it("clones a standby from the primary with pg_basebackup -R once it answers, then moves the clone into place", () => {
            const spec = one(objs, "StatefulSet", "postgres-sts").spec.template.spec;
            const c = spec.initContainers.find((x: K8sObject) => x.name === "clone-primary");
            assert.strictEqual(env(c, "PRIMARY_HOST").value, "postgres-sts-0.postgres-headless");
            assert.deepStrictEqual(env(c, "REPLICATION_PASSWORD").valueFrom, { secretKeyRef: { name: "database-secret", key: "replication-pass" } });
            // ownership is fixed before the clone writes; the clone's connection then follows the Secret
            assert.deepStrictEqual(spec.initContainers.map((x: K8sObject) => x.name), ["volume-permissions", "clone-primary", "sync-credentials"]);

            const r = clone("postgres-sts-2");
            assert.strictEqual(r.status, 0, r.stderr);
            const ready = `pg_isready -h postgres-sts-0.postgres-headless -p ${POSTGRES_PORT}`;
            assert.deepStrictEqual(r.calls.slice(0, 3), [ready, ready, ready], "waits for the primary");
            assert.match(r.calls[3], new RegExp(`^pg_basebackup -h postgres-sts-0\\.postgres-headless -p ${POSTGRES_PORT} -U ${REPLICATION_USER} -D \\S+/data/pgdata\\.clone -R -X stream PGPASSWORD=r3pl$`));
            assert.strictEqual(r.calls.length, 4);
            assert.strictEqual(r.file("data/pgdata/PG_VERSION"), "17\n");
            assert.strictEqual(r.file("data/pgdata/standby.signal"), "");
            assert.strictEqual(r.mode("data/pgdata"), 0o700);
            assert.strictEqual(r.mode("data/pgdata.clone"), -1);
        });

        it("clones nothing on the primary (ordinal 0) nor over data already there, and leaves no half clone in place", () => {
            const primary = clone("postgres-sts-0");
            assert.strictEqual(primary.status, 0, primary.stderr);
            assert.deepStrictEqual(primary.calls, []);
            const kept = clone("postgres-sts-1", { "data/pgdata/PG_VERSION": "17\n", "data/pgdata/mine": "x" });
            assert.strictEqual(kept.status, 0, kept.stderr);
            assert.deepStrictEqual(kept.calls, []);
            assert.strictEqual(kept.file("data/pgdata/mine"), "x");
            const failed = clone("postgres-sts-1", {}, { STANDIN_FAIL: "1" });
            assert.notStrictEqual(failed.status, 0);
            assert.strictEqual(failed.mode("data/pgdata"), -1, "a failed clone is not moved into place");
        });

        it("creates the replication role on the primary's first start, password from the env, and lets it stream", () => {
            const pg = one(objs, "StatefulSet", "postgres-sts").spec.template.spec;
            const mount = pg.containers[0].volumeMounts.find((m: K8sObject) => m.name === "initdb");
            assert.strictEqual(mount.mountPath, "/docker-entrypoint-initdb.d");
            const cm = one(objs, "ConfigMap", pg.volumes.find((v: K8sObject) => v.name === "initdb").configMap.name);
            assert.deepStrictEqual(Object.keys(cm.data), ["10-replication.sh"]);
            const psql = `echo "psql $*" >> "$CALLS"; while IFS= read -r l; do echo "sql $l" >> "$CALLS"; done`;
            const hba = "local all all trust\n";
            const r = runScript(cm.data["10-replication.sh"], {
                tools: { psql },
                files: { "pgdata/pg_hba.conf": hba },
                env: { POSTGRES_USER: "postgres", POSTGRES_DB: "app", REPLICATION_PASSWORD: "r3pl", PGDATA: "$ROOT/pgdata" },
            });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.deepStrictEqual(r.calls, [
                "psql -v ON_ERROR_STOP=1 -v pw=r3pl --username postgres --dbname app",
                `sql CREATE ROLE ${REPLICATION_USER} WITH REPLICATION LOGIN PASSWORD :'pw';`,
            ]);
            assert.strictEqual(r.file("pgdata/pg_hba.conf"), `${hba}host replication ${REPLICATION_USER} all scram-sha-256\n`);
        });

        it("reads user and database from the ConfigMap, as the seed does", () => {
            const pg = one(objs, "StatefulSet", "postgres-sts").spec.template.spec.containers[0];
            assert.deepStrictEqual(env(pg, "POSTGRES_USER").valueFrom, { configMapKeyRef: { name: "config-map", key: "postgres-user" } });
            assert.deepStrictEqual(env(pg, "POSTGRES_DB").valueFrom, { configMapKeyRef: { name: "config-map", key: "postgres-db" } });
            assert.ok(!JSON.stringify(one(objs, "ConfigMap", "config-map").data).match(/pass/i));
        });

        it("reserves one static PV per ordinal", () => {
            const reserved = ofKind(objs, "PersistentVolume").map((pv) => pv.spec.claimRef.name).sort();
            assert.deepStrictEqual(reserved, ["postgres-data-postgres-sts-0", "postgres-data-postgres-sts-1", "postgres-data-postgres-sts-2"]);
        });
    });

    describe("follows its Secret at every start (sync-credentials)", () => {
        let objs: K8sObject[];
        before(async () => (objs = objects(await run("dev", { labs: ["workshop", "todo", "customer", "postgres-ha"] }))));

        it("runs as the last init container of every database pod whose data outlives it, with the server's env", () => {
            for (const name of ["db", "postgres", "customer-db", "postgres-sts"]) {
                const spec = one(objs, "StatefulSet", name).spec.template.spec;
                const sync = spec.initContainers.at(-1);
                assert.strictEqual(sync.name, "sync-credentials", name);
                assert.strictEqual(sync.image, spec.containers[0].image, name);
                assert.deepStrictEqual(sync.volumeMounts, spec.containers[0].volumeMounts.filter((m: K8sObject) => m.name !== "initdb"), name);
                for (const e of spec.containers[0].env) assert.deepStrictEqual(env(sync, e.name), e, `${name}: ${e.name}`);
                assert.strictEqual(sync.securityContext.runAsNonRoot, true);
            }
            assert.strictEqual(env(one(objs, "StatefulSet", "postgres-sts").spec.template.spec.initContainers.at(-1), "PRIMARY_HOST").value, "postgres-sts-0.postgres-headless");
        });

        it("is left out where the data dies with the pod (workshopPersistence false)", async () => {
            const spec = one(objects(await run("dev", { labs: ["workshop"], workshopPersistence: false })), "StatefulSet", "db").spec.template.spec;
            assert.ok(!containers(spec).some((c) => c.name === "sync-credentials"));
        });

        // `postgres` stand-in: logs its arguments and the SQL it reads; STANDIN_FAIL makes it fail as exit_on_error would.
        const postgres = `echo "postgres $*" >> "$CALLS"; while IFS= read -r l; do echo "sql $l" >> "$CALLS"; done; [ -z "\${STANDIN_FAIL:-}" ]`;
        const base = { POSTGRES_USER: 'we"ird', POSTGRES_PASSWORD: "it's-new", PGDATA: "$ROOT/pgdata" };

        it("sets the users' passwords from the env in single-user mode, quoted, never on a command line", () => {
            const r = runScript(SYNC_CREDENTIALS, { tools: { postgres }, files: { "pgdata/PG_VERSION": "15\n" }, env: { ...base, REPLICATION_PASSWORD: "r3pl" } });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.calls[0], /^postgres --single -D \S+\/pgdata -c exit_on_error=on -c log_min_error_statement=panic template1$/);
            assert.deepStrictEqual(r.calls.slice(1), [`sql ALTER ROLE "we""ird" PASSWORD 'it''s-new';`, `sql ALTER ROLE ${REPLICATION_USER} PASSWORD 'r3pl';`]);
            assert.ok(!/it's-new|r3pl/.test(r.stdout + r.stderr), "a password was printed");
        });

        it("sets only the superuser's without replication, and fails when the server refuses", () => {
            const ok = runScript(SYNC_CREDENTIALS, { tools: { postgres }, files: { "pgdata/PG_VERSION": "15\n" }, env: base });
            assert.deepStrictEqual(ok.calls.slice(1), [`sql ALTER ROLE "we""ird" PASSWORD 'it''s-new';`]);
            const failed = runScript(SYNC_CREDENTIALS, { tools: { postgres }, files: { "pgdata/PG_VERSION": "15\n" }, env: { ...base, STANDIN_FAIL: "1" } });
            assert.notStrictEqual(failed.status, 0);
        });

        it("does nothing before the first initdb: the first start takes the Secret's passwords", () => {
            const r = runScript(SYNC_CREDENTIALS, { tools: { postgres }, env: base });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.deepStrictEqual(r.calls, []);
        });

        it("on a standby, rewrites only its connection to the primary with the Secret's replication password", () => {
            const conf = "# Do not edit this file manually!\nprimary_conninfo = 'user=replicator password=old channel_binding=prefer host=x port=5432'\nwork_mem = '8MB'\n";
            const r = runScript(SYNC_CREDENTIALS, {
                tools: { postgres },
                files: { "pgdata/PG_VERSION": "15\n", "pgdata/standby.signal": "", "pgdata/postgresql.auto.conf": conf },
                env: { ...base, REPLICATION_PASSWORD: "n3w", PRIMARY_HOST: "postgres-sts-0.postgres-headless" },
            });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.deepStrictEqual(r.calls, [], "a standby is read-only: no ALTER ROLE");
            assert.strictEqual(
                r.file("pgdata/postgresql.auto.conf"),
                `# Do not edit this file manually!\nwork_mem = '8MB'\nprimary_conninfo = 'host=postgres-sts-0.postgres-headless port=${POSTGRES_PORT} user=${REPLICATION_USER} password=n3w'\n`,
            );
            assert.strictEqual(r.mode("pgdata/postgresql.auto.conf"), 0o600);
            assert.strictEqual(r.file("pgdata/postgresql.auto.conf.sync"), undefined);
        });
    });

    describe("growing a volume", () => {
        describe("on a static backend (hostPath)", () => {
            let before_: StackRun;
            let after: StackRun;
            before(async () => {
                before_ = await run("dev", { labs: ["postgres-ha", "customer"] });
                after = await runGrown(before_);
            });
            async function runGrown(prev: StackRun): Promise<StackRun> {
                const { runStack } = await import("../tools/mock-runtime");
                const { withConfig } = await import("./objects");
                const r = await runStack(withConfig("dev", { labs: ["postgres-ha", "customer"], postgresHaSize: "500Mi", customerDbSize: "3Gi" }), "dev", prev);
                if (r.error) throw r.error;
                return r;
            }

            it("leaves the StatefulSet and the claims exactly as they were", () => {
                for (const suffix of ["StatefulSet", "PersistentVolumeClaim"]) {
                    const was = resourcesOfType(before_, `:${suffix}`);
                    const is = resourcesOfType(after, `:${suffix}`);
                    assert.ok(was.length > 0);
                    assert.deepStrictEqual(is.map((r) => r.inputs), was.map((r) => r.inputs), suffix);
                }
            });

            it("raises the capacity of the static PVs", () => {
                const caps = (r: StackRun) => ofKind(objects(r), "PersistentVolume").map((pv) => `${pv.metadata.name}=${pv.spec.capacity.storage}`).sort();
                assert.deepStrictEqual(caps(after), [
                    "dev-local-pv-1=3Gi",
                    "dev-postgres-data-postgres-sts-0=500Mi",
                    "dev-postgres-data-postgres-sts-1=500Mi",
                    "dev-postgres-data-postgres-sts-2=500Mi",
                ]);
            });

            it("says clearly that the claims cannot expand, and patches none", () => {
                assert.deepStrictEqual(resourcesOfType(after, "PersistentVolumeClaimPatch"), []);
                const growth = after.warnings.filter((w) => w.includes("cannot expand"));
                assert.strictEqual(growth.length, 2, growth.join("\n"));
                assert.ok(growth.some((w) => w.startsWith("StatefulSet postgres-sts claims postgres-data-*: config asks for 500Mi but the claim holds 200Mi")));
                assert.ok(growth.some((w) => w.startsWith("claim pg-pv-claim: config asks for 3Gi but the claim holds 2Gi")));
                assert.ok(growth.every((w) => w.includes("allowVolumeExpansion: false")));
                assert.deepStrictEqual(before_.warnings.filter((w) => w.includes("cannot expand")), [], "no warning without growth");
            });
        });

        describe("on a backend that can expand", () => {
            // Dynamic storage whose class allows expansion: claim patches, never a new StatefulSet.
            const build = (size: string) => (rootOptions: object) => {
                const naming = new StackNaming("t");
                const backend = new DynamicStorage("storage", { naming, labels: {}, provisioner: "loop.csi.state-labs.io", parameters: {}, allowExpansion: true }, rootOptions);
                const credentials = new Credentials("creds", { namespace: "t-ns", secretName: "creds", generate: { password: 24 }, labels: {} }, rootOptions);
                new Postgres(
                    "pg",
                    {
                        lab: "postgres-ha",
                        naming,
                        app: { name: "pg", component: "database" },
                        namespace: unfenced("t-ns"),
                        name: "pg",
                        headlessServiceName: "pg-headless",
                        serviceName: "pg",
                        image: "postgres:17.6",
                        volumePermissionsImage: "busybox:1.36.1",
                        auth: { username: "u", database: "d", credentials, passwordKey: "password" },
                        persistence: { kind: "claimTemplate", template: "data", size },
                        replication: { replicas: 2, passwordKey: "password", readServiceName: "pg-read" },
                        backend,
                        keepDataOnDestroy: true,
                    },
                    rootOptions,
                );
            };

            it("patches each existing claim to the new size and keeps the StatefulSet", async () => {
                const first = await runUnderMocks(build("1Gi"));
                const grown = await runUnderMocks(build("4Gi"), {}, "test", first);
                const patches = resourcesOfType(grown, "PersistentVolumeClaimPatch").map((p) => `${p.inputs.metadata.namespace}/${p.inputs.metadata.name}=${p.inputs.spec.resources.requests.storage}`);
                assert.deepStrictEqual(patches, ["t-ns/data-pg-0=4Gi", "t-ns/data-pg-1=4Gi"]);
                const sts = (r: StackRun) => resourcesOfType(r, ":StatefulSet").map((x) => x.inputs);
                assert.deepStrictEqual(sts(grown), sts(first));
                assert.deepStrictEqual(grown.warnings.filter((w) => w.includes("cannot expand")), []);
            });
        });
    });

    it("refuses replicas without a claim per pod", async () => {
        const r = await runUnderMocks((rootOptions) => {
            const naming = new StackNaming("t");
            const backend = new HostPathStorage("storage", { naming, root: "/data", node: "node-1", labels: {}, keepDataOnDestroy: true }, rootOptions);
            const credentials = new Credentials("creds", { namespace: "t-ns", secretName: "creds", generate: { password: 24 }, labels: {} }, rootOptions);
            new Postgres("pg", {
                lab: "workshop", naming, app: { name: "pg", component: "database" }, namespace: unfenced("t-ns"), name: "pg", headlessServiceName: "pg-h", serviceName: "pg",
                image: "postgres:17.6", volumePermissionsImage: "busybox:1.36.1", auth: { username: "u", database: "d", credentials, passwordKey: "password" },
                persistence: { kind: "ephemeral" }, replication: { replicas: 2, passwordKey: "password", readServiceName: "r" }, backend, keepDataOnDestroy: true,
            }, rootOptions);
        });
        assert.match(String(r.error), /replicas need a claim per pod/);
    });
});
