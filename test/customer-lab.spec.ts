import * as assert from "assert";
import { K8sObject, objects, one, run } from "./objects";

describe("CustomerLab (lab 003)", () => {
    let objs: K8sObject[];
    before(async () => (objs = objects(await run("dev", { labs: ["customer"], customerBackendImage: "registry.example/customer-backend:1.0" }))));

    it("labels every object of the lab app=customer", () => {
        // the StorageClass, the student's access namespace and admission policy belong to the stack, not the lab
        const lab = objs.filter((x) => x.kind !== "StorageClass" && !x.kind.startsWith("ValidatingAdmissionPolicy") && x.metadata.name !== "dev-access" && x.metadata.namespace !== "dev-access");
        assert.ok(lab.length > 10);
        for (const o of lab) assert.strictEqual(o.metadata.labels?.app, "customer", `${o.kind} ${o.metadata.name}`);
    });

    it("stores the generated password in Secret db-pass", () => {
        assert.deepStrictEqual(Object.keys(one(objs, "Secret", "db-pass").stringData), ["password"]);
    });

    it("puts customer-db on PV local-pv-1 (2Gi, Retain, hostPath) through claim pg-pv-claim", () => {
        const pv = one(objs, "PersistentVolume", "dev-local-pv-1");
        assert.strictEqual(pv.spec.capacity.storage, "2Gi");
        assert.strictEqual(pv.spec.persistentVolumeReclaimPolicy, "Retain");
        assert.strictEqual(pv.spec.hostPath.path, "/data/state-labs/dev/customer/local-pv-1");
        assert.deepStrictEqual(pv.spec.claimRef, { namespace: "dev-customer", name: "pg-pv-claim" });
        const sts = one(objs, "StatefulSet", "customer-db").spec.template.spec;
        assert.deepStrictEqual(sts.volumes, [{ name: "data", persistentVolumeClaim: { claimName: "pg-pv-claim" } }]);
        one(objs, "Service", "customer-db");
    });

    it("is an NFS PV on the nfs stack", async () => {
        const pv = one(objects(await run("nfs", { labs: ["customer"] })), "PersistentVolume", "nfs-local-pv-1");
        assert.deepStrictEqual(pv.spec.nfs, { server: "192.168.49.1", path: "/srv/nfs/state-labs/nfs/customer/local-pv-1" });
    });

    it("gives the backend POSTGRES_URL, POSTGRES_USER and POSTGRES_PASSWORD from the Secret", () => {
        const c = one(objs, "Deployment", "customer-backend").spec.template.spec.containers[0];
        const env = Object.fromEntries(c.env.map((e: K8sObject) => [e.name, e.value ?? e.valueFrom]));
        assert.deepStrictEqual(env, {
            POSTGRES_URL: "customer-db:5432/customer",
            POSTGRES_USER: "root",
            POSTGRES_PASSWORD: { secretKeyRef: { name: "db-pass", key: "password" } },
        });
        const db = one(objs, "StatefulSet", "customer-db").spec.template.spec.containers[0];
        assert.strictEqual(db.env.find((e: K8sObject) => e.name === "POSTGRES_USER").value, "root");
        assert.strictEqual(db.env.find((e: K8sObject) => e.name === "POSTGRES_DB").value, "customer");
    });
});
