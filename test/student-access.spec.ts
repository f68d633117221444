// The student's ServiceAccount, token and kubeconfig (components/security/student-access.ts), and how
// the API server for it is found (stacks/kubeconfig.ts).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify } from "yaml";
import { StudentAccess } from "../components/security/student-access";
import { StackNaming } from "../components/shared/naming";
import { MOCK_CA, mockToken, runUnderMocks } from "../tools/mock-runtime";
import { ambientApiServer } from "../stacks/kubeconfig";
import { K8sObject, objects, ofKind, one, run } from "./objects";

describe("StudentAccess (labs:security:StudentAccess)", () => {
    it("creates ServiceAccount student and its token Secret in <prefix>-access, after the account", async () => {
        const r = await run("dev", { labs: ["todo"] });
        const objs = objects(r);
        const ns = one(objs, "Namespace", "dev-access");
        assert.strictEqual(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.strictEqual(one(objs, "ServiceAccount", "student", "dev-access").automountServiceAccountToken, false);
        const token = one(objs, "Secret", "student-token", "dev-access");
        assert.strictEqual(token.type, "kubernetes.io/service-account-token");
        assert.deepStrictEqual(token.metadata.annotations, { "kubernetes.io/service-account.name": "student" });
        assert.strictEqual(token.stringData, undefined, "no data of ours: the token controller fills it");
        const order = r.resources.map((x) => x.type);
        assert.ok(order.indexOf("kubernetes:core/v1:ServiceAccount") < order.indexOf("kubernetes:core/v1:Secret", order.indexOf("kubernetes:core/v1:ServiceAccount")));
        // the student has no rights where its token lives
        assert.deepStrictEqual(objs.filter((o) => o.metadata.namespace === "dev-access" && /Role/.test(o.kind)), []);
    });

    it("exports the editable namespaces and, with an API server, a kubeconfig for them", async () => {
        const r = await run("dev", { labs: ["todo", "customer"], studentApiServer: "https://203.0.113.7:6443" });
        const student = (r.outputs as K8sObject).student;
        assert.deepStrictEqual(student.namespaces, ["dev-postgres", "dev-stateful-namespace", "dev-todo-ingress", "dev-customer"]);
        assert.deepStrictEqual(ofKind(objects(r), "RoleBinding").map((b: K8sObject) => b.metadata.namespace), student.namespaces);
        const kc = parseYaml(student.kubeconfig);
        assert.strictEqual(kc["current-context"], "dev");
        assert.deepStrictEqual(kc.clusters, [{ name: "dev", cluster: { server: "https://203.0.113.7:6443", "certificate-authority-data": Buffer.from(MOCK_CA).toString("base64") } }]);
        assert.deepStrictEqual(kc.users, [{ name: "dev-student", user: { token: mockToken("student-token") } }]);
        assert.deepStrictEqual(kc.contexts, [{ name: "dev", context: { cluster: "dev", user: "dev-student", namespace: "dev-postgres" } }]);
    });

    it("keeps the kubeconfig a secret output", async () => {
        let secret: boolean | undefined;
        await runUnderMocks(() => {
            const access = new StudentAccess("student", { naming: new StackNaming("ada"), labels: {}, namespaces: ["ada-movies"], apiServer: "https://k8s.example:443" });
            (access.kubeconfig as unknown as K8sObject).isSecret.then((s: boolean) => (secret = s));
            return access.kubeconfig;
        });
        assert.strictEqual(secret, true);
    });

    it("builds no kubeconfig, and says which key to set, when the API server is unknown", async () => {
        const r = await run("dev", { labs: ["workshop"] });
        assert.strictEqual((r.outputs as K8sObject).student.kubeconfig, undefined);
        assert.ok(r.warnings.some((w) => w.includes("set state-labs:studentApiServer")), r.warnings.join("\n"));
    });
});

describe("ambientApiServer", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
    const write = (name: string, doc: object) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, stringify(doc));
        return file;
    };
    const clusters = [{ name: "kwok", cluster: { server: "https://127.0.0.1:32764" } }, { name: "prod", cluster: { server: "https://prod:6443" } }];
    const contexts = [{ name: "lab", context: { cluster: "kwok", user: "admin" } }, { name: "ops", context: { cluster: "prod", user: "admin" } }];

    it("takes the server of the current context", () => {
        const f = write("one", { clusters, contexts, "current-context": "ops" });
        assert.strictEqual(ambientApiServer({ KUBECONFIG: f }), "https://prod:6443");
    });

    it("merges KUBECONFIG files as kubectl does: the first current-context wins, entries found in any file", () => {
        const a = write("a", { "current-context": "lab" });
        const b = write("b", { clusters, contexts, "current-context": "ops" });
        assert.strictEqual(ambientApiServer({ KUBECONFIG: [a, b].join(path.delimiter) }), "https://127.0.0.1:32764");
    });

    it("falls back to ~/.kube/config, and is undefined without any", () => {
        fs.mkdirSync(path.join(dir, "home", ".kube"), { recursive: true });
        fs.writeFileSync(path.join(dir, "home", ".kube", "config"), stringify({ clusters, contexts, "current-context": "lab" }));
        assert.strictEqual(ambientApiServer({ HOME: path.join(dir, "home") }), "https://127.0.0.1:32764");
        assert.strictEqual(ambientApiServer({ HOME: path.join(dir, "nowhere") }), undefined);
        assert.strictEqual(ambientApiServer({ KUBECONFIG: write("nocontext", { clusters, contexts }) }), undefined);
    });
});
