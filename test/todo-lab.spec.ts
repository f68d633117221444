import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MIGRATE } from "../components/labs/todo-lab";
import { K8sObject, objects, one, ofKind, run } from "./objects";

describe("TodoLab (lab 001)", () => {
    let objs: K8sObject[];
    before(async () => (objs = objects(await run("dev", { labs: ["todo"] }))));

    it("creates the seed's namespaces, plus one for the Ingress", () => {
        assert.deepStrictEqual(ofKind(objs, "Namespace").map((n) => n.metadata.name).filter((n) => n !== "dev-access").sort(), ["dev-postgres", "dev-stateful-namespace", "dev-todo-ingress"]);
    });

    it("keeps non-secret settings in the ConfigMap and the password in a Secret only", () => {
        const cm = one(objs, "ConfigMap", "postgres-config", "dev-postgres");
        assert.deepStrictEqual(cm.data, { POSTGRES_DB: "todo", POSTGRES_USER: "todo" });
        assert.deepStrictEqual(Object.keys(one(objs, "Secret", "postgres-secret", "dev-postgres").stringData), ["POSTGRES_PASSWORD"]);
        const pg = one(objs, "StatefulSet", "postgres", "dev-postgres").spec.template.spec.containers[0];
        assert.deepStrictEqual(pg.env.find((e: K8sObject) => e.name === "POSTGRES_USER").valueFrom, { configMapKeyRef: { name: "postgres-config", key: "POSTGRES_USER" } });
        assert.deepStrictEqual(pg.env.find((e: K8sObject) => e.name === "POSTGRES_PASSWORD").valueFrom, { secretKeyRef: { name: "postgres-secret", key: "POSTGRES_PASSWORD" } });
    });

    it("puts PostgreSQL on a PV + PVC behind a Service", () => {
        const claim = one(objs, "PersistentVolumeClaim", "postgres-pvc", "dev-postgres");
        assert.strictEqual(claim.spec.volumeName, "dev-postgres-pv");
        one(objs, "Service", "postgres", "dev-postgres");
    });

    it("runs the seed's Flask image on port 5000 with its database URL from a Secret of its namespace", () => {
        const app = one(objs, "Deployment", "stateful-flask", "dev-stateful-namespace").spec.template.spec;
        const c = app.containers[0];
        assert.strictEqual(c.image, "daredrexel/stateful-flask:v0");
        assert.strictEqual(c.ports[0].containerPort, 5000);
        assert.deepStrictEqual(c.env.find((e: K8sObject) => e.name === "DATABASE_URL").valueFrom, { secretKeyRef: { name: "stateful-flask-db", key: "DATABASE_URL" } });
        const secret = one(objs, "Secret", "stateful-flask-db", "dev-stateful-namespace");
        const pw = one(objs, "Secret", "postgres-secret").stringData.POSTGRES_PASSWORD;
        assert.strictEqual(secret.stringData.DATABASE_URL, `postgresql://todo:${pw}@postgres.dev-postgres.svc.cluster.local:5432/todo`);
    });

    it("migrates the schema automatically before the app starts", () => {
        const app = one(objs, "Deployment", "stateful-flask").spec.template.spec;
        const [migrate] = app.initContainers;
        assert.strictEqual(migrate.image, app.containers[0].image);
        assert.deepStrictEqual(migrate.command.slice(0, 2), ["sh", "-c"]);
        assert.deepStrictEqual(migrate.env, app.containers[0].env);
    });

    // The script runs with stand-ins for flask and python3 that log their calls, in a working
    // directory with and without the image's migrations.
    function migrateCalls(shipsMigrations: boolean): string[] {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-"));
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        for (const tool of ["flask", "python3"]) {
            // each call logs its arguments, the SQL it was fed, and whether the additive guard is loaded
            const guard = `$(grep -l 'compare_to is None' "\${PYTHONPATH%%:*}/sitecustomize.py" >/dev/null 2>&1 && echo '[guarded]')`;
            fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $* $(cat 2>/dev/null | grep -o 'DROP TABLE[^"]*') ${guard}" >> "${dir}/calls"\n`, { mode: 0o755 });
        }
        const cwd = path.join(dir, "app");
        fs.mkdirSync(cwd);
        if (shipsMigrations) fs.mkdirSync(path.join(cwd, "migrations"));
        const r = spawnSync("sh", ["-c", MIGRATE], { cwd, env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        const calls = fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n").map((l) => l.trim());
        fs.rmSync(dir, { recursive: true });
        return calls;
    }

    it("derives the schema's history from the models on every start when the image ships no migrations", () => {
        assert.deepStrictEqual(migrateCalls(false), [
            "python3 - DROP TABLE IF EXISTS alembic_version [guarded]",
            "flask db init  [guarded]",
            "flask db migrate -m schema of this image  [guarded]",
            "flask db upgrade  [guarded]",
        ]);
    });

    it("only upgrades when the image ships its migrations", () => {
        assert.deepStrictEqual(migrateCalls(true), ["flask db upgrade"]);
    });

    it("reaches the app from the Ingress's namespace through an ExternalName Service", () => {
        const ext = one(objs, "Service", "stateful-flask", "dev-todo-ingress");
        assert.strictEqual(ext.spec.type, "ExternalName");
        assert.strictEqual(ext.spec.externalName, "stateful-flask.dev-stateful-namespace.svc.cluster.local");
        one(objs, "Service", "stateful-flask", "dev-stateful-namespace");
        const ing = one(objs, "Ingress", "stateful-flask", "dev-todo-ingress");
        assert.strictEqual(ing.spec.ingressClassName, "nginx");
        assert.strictEqual(ing.spec.rules[0].host, "todo.dev.labs.local");
        assert.deepStrictEqual(ing.spec.rules[0].http.paths[0].backend, { service: { name: "stateful-flask", port: { number: 5000 } } });
    });

    it("takes host and class from config", async () => {
        const ing = one(objects(await run("dev", { labs: ["todo"], todoIngressHost: "todo.school.example", todoIngressClassName: "traefik" })), "Ingress", "stateful-flask");
        assert.strictEqual(ing.spec.rules[0].host, "todo.school.example");
        assert.strictEqual(ing.spec.ingressClassName, "traefik");
    });
});
