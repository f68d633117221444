import * as assert from "assert";
import { K8sObject, objects, one, run } from "./objects";

describe("Grafana (labs:app:Grafana)", () => {
    let objs: K8sObject[];
    before(async () => (objs = objects(await run("nfs", { labs: ["movies"] }))));

    it("is a one-replica StatefulSet with 2Gi at /var/lib/grafana", () => {
        const sts = one(objs, "StatefulSet", "grafana");
        assert.strictEqual(sts.spec.replicas, 1);
        assert.strictEqual(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "2Gi");
        const c = sts.spec.template.spec.containers[0];
        assert.deepStrictEqual(c.volumeMounts, [{ name: "grafana-storage", mountPath: "/var/lib/grafana" }]);
    });

    it("fixes ownership for uid 472 and runs as it", () => {
        const spec = one(objs, "StatefulSet", "grafana").spec.template.spec;
        assert.strictEqual(spec.securityContext.runAsUser, 472);
        const init = spec.initContainers[0];
        assert.deepStrictEqual(init.env, [{ name: "DIR", value: "/var/lib/grafana" }, { name: "OWNER", value: "472:472" }]);
    });

    it("takes its generated admin password from Secret grafana-admin", () => {
        const c = one(objs, "StatefulSet", "grafana").spec.template.spec.containers[0];
        assert.deepStrictEqual(c.env.find((e: K8sObject) => e.name === "GF_SECURITY_ADMIN_PASSWORD").valueFrom, { secretKeyRef: { name: "grafana-admin", key: "admin-password" } });
    });
});
