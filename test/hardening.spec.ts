// What the community's checkers found and the pods now say: no API token where nothing calls
// the API, startup probes sized for a database's crash recovery and a liveness probe that
// does not kill one in recovery, root helpers that say so and keep only what they use,
// read-only root file systems for the busybox helpers, and the todo app as a non-root user.
import * as assert from "assert";
import { STACK_FILES, K8sObject, containers, objects, one, ofKind, podTemplates, run } from "./objects";
import { runScript } from "./standins";

describe("hardening of the pods", () => {
    for (const stack of STACK_FILES) {
        describe(`stack ${stack}`, () => {
            let objs: K8sObject[];
            before(async () => {
                objs = objects(await run(stack, { workshopBackendImage: "registry.example/fastapi:1.0", moviesCatalogImage: "registry.example/catalog:1.0", customerBackendImage: "registry.example/customer:1.0" }));
            });

            it("mounts no service-account token in any pod (none calls the API)", () => {
                const templates = podTemplates(objs);
                assert.ok(templates.length > 0);
                for (const p of templates) assert.strictEqual(p.spec.automountServiceAccountToken, false, `${p.owner.kind} ${p.namespace}/${p.owner.metadata.name}`);
            });

            it("gives every database and Grafana a startup probe of 10 minutes, and leaves liveness to after it", () => {
                const databases = ofKind(objs, "StatefulSet");
                assert.ok(databases.length > 0);
                for (const s of databases) {
                    const [main] = s.spec.template.spec.containers;
                    const where = `${s.metadata.namespace}/${s.metadata.name}`;
                    const p = main.startupProbe;
                    assert.ok(p, `${where}: no startupProbe`);
                    assert.ok(p.periodSeconds * p.failureThreshold >= 600, `${where}: startup budget ${p.periodSeconds * p.failureThreshold} s`);
                    // the startup probe covers the start: no delay guesses before the others
                    assert.strictEqual(main.livenessProbe.initialDelaySeconds, undefined, where);
                    assert.strictEqual(main.readinessProbe.initialDelaySeconds, undefined, where);
                }
            });

            it("runs the busybox helpers (volume-permissions, the NFS mkdir Job) on a read-only root file system", () => {
                const helpers = podTemplates(objs).flatMap((p) => containers(p.spec).filter((c) => c.name === "volume-permissions" || c.name === "mkdir"));
                if (stack === "nfs") assert.ok(helpers.some((c) => c.name === "mkdir"));
                assert.ok(helpers.some((c) => c.name === "volume-permissions"));
                for (const c of helpers) assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true, c.name);
            });

            it("runs the todo app and its migrate init container as a non-root uid, in a restricted namespace", () => {
                const d = one(objs, "Deployment", "stateful-flask");
                const spec = d.spec.template.spec;
                assert.strictEqual(spec.securityContext.runAsNonRoot, true);
                assert.strictEqual(spec.securityContext.runAsUser, 10001);
                assert.strictEqual(spec.securityContext.runAsGroup, 10001);
                for (const c of containers(spec)) assert.notStrictEqual(c.securityContext?.runAsUser, 0, c.name);
                assert.strictEqual(one(objs, "Namespace", d.metadata.namespace).metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
            });
        });
    }

    it("runs the todo app as the configured uid (todoAppUid)", async () => {
        const spec = one(objects(await run("dev", { labs: ["todo"], todoAppUid: 4242 })), "Deployment", "stateful-flask").spec.template.spec;
        assert.deepStrictEqual([spec.securityContext.runAsUser, spec.securityContext.runAsGroup, spec.securityContext.runAsNonRoot], [4242, 4242, true]);
    });

    it("NFS mkdir Jobs: root said explicitly, only the capability mkdir uses, a 0700 directory, in the storage namespace", async () => {
        const jobs = ofKind(objects(await run("nfs")), "Job").filter((j) => j.metadata.name.startsWith("mkdir-"));
        assert.ok(jobs.length > 0);
        for (const j of jobs) {
            assert.strictEqual(j.metadata.namespace, "nfs-storage", `${j.metadata.name}: a root pod on the export root where a student may exec`);
            assert.match(j.spec.template.spec.containers[0].command.join(" "), /mkdir -p -m 0700 /);
            const spec = j.spec.template.spec;
            assert.deepStrictEqual([spec.securityContext.runAsUser, spec.securityContext.runAsGroup, spec.securityContext.runAsNonRoot], [0, 0, false], j.metadata.name);
            const [c] = spec.containers;
            assert.doesNotMatch(c.command.join(" "), /chown/);
            assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"], add: ["DAC_OVERRIDE"] });
            assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false);
        }
    });

    it("NFS storage namespace: baseline enforced, no student rights, no traffic, and only the mkdir Jobs", async () => {
        const objs = objects(await run("nfs"));
        const ns = one(objs, "Namespace", "nfs-storage");
        assert.strictEqual(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
        const inside = objs.filter((o) => o.metadata.namespace === "nfs-storage");
        assert.deepStrictEqual([...new Set(inside.map((o) => o.kind))].sort(), ["Job", "NetworkPolicy"], "no Role or RoleBinding: the student may not exec into a pod that mounts the export root");
        assert.deepStrictEqual(one(objs, "NetworkPolicy", "no-traffic", "nfs-storage").spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.ok(!objects(await run("dev")).some((o) => o.metadata.name === "dev-storage" || o.metadata.namespace === "dev-storage"), "hostPath mode has no root Jobs, so no storage namespace");
    });

    it("switches kube-score checks off only on the objects whose reason it is (kube-score/ignore)", async () => {
        const objs = objects(await run("dev"));
        const ignored = (o: K8sObject) => (o.metadata.annotations?.["kube-score/ignore"] as string | undefined)?.split(",") ?? [];
        const all = objs.filter((o) => ignored(o).length > 0).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${ignored(o).join(",")}`);
        // the run-time pod-name label: the replicated primary's Service only
        assert.deepStrictEqual(all.filter((x) => x.includes("service-targets-pod")), ["Service dev-postgres-ha/postgres-primary: service-targets-pod"]);
        // no PDB: the replicated databases only
        assert.deepStrictEqual(all.filter((x) => x.includes("poddisruptionbudget")).sort(), [
            "StatefulSet dev-movies/mongo: pod-probes-identical,statefulset-has-poddisruptionbudget",
            "StatefulSet dev-postgres-ha/postgres-sts: statefulset-has-poddisruptionbudget",
        ]);
        // PostgreSQL's probes differ: never switched off there
        for (const s of ofKind(objs, "StatefulSet").filter((x) => x.spec.template.spec.containers[0].name === "postgres")) assert.ok(!ignored(s).includes("pod-probes-identical"), s.metadata.name);
        // pod templates carry none: an annotation there would roll the pods
        for (const p of podTemplates(objs)) assert.strictEqual(p.annotations?.["kube-score/ignore"], undefined, p.owner.metadata.name);
    });

    describe("PostgreSQL's liveness: only a server that does not answer is dead", () => {
        let liveness: string;
        let readiness: string;
        before(async () => {
            const main = one(objects(await run("dev", { labs: ["todo"] })), "StatefulSet", "postgres").spec.template.spec.containers[0];
            assert.deepStrictEqual(main.livenessProbe.exec.command.slice(0, 2), ["sh", "-c"]);
            liveness = main.livenessProbe.exec.command[2];
            readiness = main.readinessProbe.exec.command[2];
        });
        // pg_isready: 0 accepting, 1 rejecting (starting up, crash recovery), 2 no response, 3 no attempt
        for (const [exit, alive, ready] of [[0, true, true], [1, true, false], [2, false, false], [3, false, false]] as const) {
            it(`pg_isready exit ${exit}: ${alive ? "alive" : "dead"}, ${ready ? "ready" : "not ready"}`, () => {
                const tools = { pg_isready: `echo "pg_isready $*" >> "$CALLS"; exit ${exit}` };
                const env = { POSTGRES_USER: "todo", POSTGRES_DB: "todo" };
                const l = runScript(liveness, { tools, env });
                assert.strictEqual(l.status === 0, alive, l.stderr);
                assert.deepStrictEqual(l.calls, ["pg_isready -h 127.0.0.1 -p 5432 -U todo -d todo"]);
                assert.strictEqual(runScript(readiness, { tools, env }).status === 0, ready);
            });
        }
    });
});
