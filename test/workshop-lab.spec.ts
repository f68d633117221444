import * as assert from "assert";
import { K8sObject, objects, one, ofKind, run } from "./objects";

describe("WorkshopLab (lab 000)", () => {
    let objs: K8sObject[];
    let outputs: K8sObject;
    let warnings: string[];
    before(async () => {
        const r = await run("dev", { labs: ["workshop"] });
        objs = objects(r);
        outputs = r.outputs as K8sObject;
        warnings = r.warnings;
    });

    it("lives in the seed's namespace behind the prefix", () => {
        assert.deepStrictEqual(ofKind(objs, "Namespace").map((n) => n.metadata.name).filter((n) => n !== "dev-access"), ["dev-kubernetes-ws-2"]);
    });

    it("runs PostgreSQL as StatefulSet db, user and database postgres, volume data at /var/lib/postgresql/data on a claim", () => {
        const sts = one(objs, "StatefulSet", "db", "dev-kubernetes-ws-2");
        const spec = sts.spec.template.spec;
        const pg = spec.containers[0];
        assert.deepStrictEqual(pg.volumeMounts, [{ name: "data", mountPath: "/var/lib/postgresql/data" }]);
        assert.deepStrictEqual(spec.volumes, [{ name: "data", persistentVolumeClaim: { claimName: "db-data" } }]);
        const env = Object.fromEntries(pg.env.filter((e: K8sObject) => e.value).map((e: K8sObject) => [e.name, e.value]));
        assert.strictEqual(env.POSTGRES_USER, "postgres");
        assert.strictEqual(env.POSTGRES_DB, "postgres");
        const claim = one(objs, "PersistentVolumeClaim", "db-data");
        assert.strictEqual(claim.spec.resources.requests.storage, "1Gi");
        assert.strictEqual(one(objs, "PersistentVolume", claim.spec.volumeName).spec.hostPath.path, "/data/state-labs/dev/workshop/db-data");
    });

    it("switches to the seed's first step, an emptyDir, and keeps the claim for switching back", async () => {
        const off = objects(await run("dev", { labs: ["workshop"], workshopPersistence: false }));
        const spec = one(off, "StatefulSet", "db").spec.template.spec;
        assert.deepStrictEqual(spec.volumes, [{ name: "data", emptyDir: {} }]);
        assert.deepStrictEqual(spec.initContainers, [], "no ownership fix needed on an emptyDir");
        one(off, "PersistentVolumeClaim", "db-data");
        assert.strictEqual(one(off, "Namespace", "dev-kubernetes-ws-2").metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
    });

    it("leaves the backend out without an image, says which key enables it, and deploys it on port 8000 with one", async () => {
        assert.strictEqual(ofKind(objs, "Deployment").length, 0);
        assert.deepStrictEqual(outputs.labs.workshop.skippedApps, { backend: "left out: set state-labs:workshopBackendImage" });
        assert.ok(warnings.some((w) => w.includes("set state-labs:workshopBackendImage")));

        const r = await run("dev", { labs: ["workshop"], workshopBackendImage: "registry.example/fastapi:2.0" });
        const with_ = objects(r);
        const backend = one(with_, "Deployment", "backend").spec.template.spec.containers[0];
        assert.strictEqual(backend.image, "registry.example/fastapi:2.0");
        assert.strictEqual(backend.ports[0].containerPort, 8000);
        assert.deepStrictEqual(one(with_, "Service", "backend").spec.ports, [{ name: "http", port: 8000, targetPort: "http" }]);
        const env = Object.fromEntries(backend.env.map((e: K8sObject) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));
        assert.strictEqual(env.POSTGRES_HOST, "db");
        assert.deepStrictEqual(env.DATABASE_URL, { name: "db-credentials", key: "database-url" });
        assert.deepStrictEqual((r.outputs as K8sObject).labs.workshop.skippedApps, {});
        assert.strictEqual((r.outputs as K8sObject).labs.workshop.endpoints.backend.portForward, "kubectl -n dev-kubernetes-ws-2 port-forward service/backend 8000:8000");
    });
});
