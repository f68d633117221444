import * as assert from "assert";
import { K8sObject, objects, one, run } from "./objects";
import { runScript } from "./standins";

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
    it("resets its admin password from the Secret at every start, on stdin, once it has a database", () => {
        const spec = one(objs, "StatefulSet", "grafana").spec.template.spec;
        const sync = spec.initContainers.at(-1);
        assert.strictEqual(sync.name, "sync-credentials");
        assert.deepStrictEqual(sync.env, spec.containers[0].env);
        assert.deepStrictEqual(sync.volumeMounts, spec.containers[0].volumeMounts);
        const grafana = `echo "grafana $*" >> "$CALLS"; echo "stdin $(cat)" >> "$CALLS"`;
        const env = { GF_PATHS_DATA: "$ROOT/data", GF_SECURITY_ADMIN_USER: "admin", GF_SECURITY_ADMIN_PASSWORD: "n3w-pw" };
        // the script as the pod runs it
        const script = sync.command[2];
        const r = runScript(script, { tools: { grafana }, files: { "data/grafana.db": "x" }, env });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.calls, [
            "grafana cli --homepath /usr/share/grafana --config /etc/grafana/grafana.ini admin reset-admin-password --password-from-stdin",
            "stdin n3w-pw",
        ]);
        assert.doesNotMatch(r.stdout + r.stderr, /n3w-pw/);
        assert.deepStrictEqual(runScript(script, { tools: { grafana }, env }).calls, [], "no database yet: nothing to reset");
    });
});
