// The student's storage fence (components/security/student-policy.ts): the objects under
// mocks. The CEL itself is judged by a real kube-apiserver in the acceptance suite.
import * as assert from "assert";
import { STUDENT_VOLUME_TYPES } from "../components/security/student-policy";
import { K8sObject, STACK_FILES, objects, ofKind, one, podTemplates, run } from "./objects";

const matches = (sel: K8sObject, labels: Record<string, string>) =>
    Object.entries<string>(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    (sel.matchExpressions ?? []).every((e: K8sObject) => (e.operator === "Exists" ? e.key in labels : false));

describe("StudentPolicy (labs:security:StudentPolicy)", () => {
    for (const stack of STACK_FILES) {
        describe(`stack ${stack}`, () => {
            let objs: K8sObject[];
            before(async () => {
                objs = objects(await run(stack));
            });

            it("is one ValidatingAdmissionPolicy and its Deny binding, named from the prefix", () => {
                const policy = one(objs, "ValidatingAdmissionPolicy", `${stack}-student-storage-fence`);
                const binding = one(objs, "ValidatingAdmissionPolicyBinding", `${stack}-student-storage-fence`);
                assert.strictEqual(policy.apiVersion, "admissionregistration.k8s.io/v1");
                assert.strictEqual(policy.spec.failurePolicy, "Fail");
                assert.strictEqual(binding.spec.policyName, policy.metadata.name);
                assert.deepStrictEqual(binding.spec.validationActions, ["Deny"]);
                assert.strictEqual(policy.metadata.labels["state-labs.io/prefix"], stack);
            });

            it("binds to every lab namespace of the stack, not its access or storage namespace (the student has no rights there)", () => {
                const sel = one(objs, "ValidatingAdmissionPolicyBinding", `${stack}-student-storage-fence`).spec.matchResources.namespaceSelector;
                const namespaces = ofKind(objs, "Namespace");
                for (const ns of namespaces) {
                    assert.strictEqual(matches(sel, ns.metadata.labels), ![`${stack}-access`, `${stack}-storage`].includes(ns.metadata.name), ns.metadata.name);
                }
                // another stack's namespace, with the same lab
                assert.ok(!matches(sel, { ...namespaces.find((n) => n.metadata.name !== `${stack}-access`)!.metadata.labels, "state-labs.io/prefix": "other" }));
            });

            it("applies to the student's ServiceAccount only, on create and update of pods, workloads and claims", () => {
                const spec = one(objs, "ValidatingAdmissionPolicy", `${stack}-student-storage-fence`).spec;
                assert.deepStrictEqual(spec.matchConditions.map((c: K8sObject) => c.expression), [`request.userInfo.username == 'system:serviceaccount:${stack}-access:student'`]);
                const rules = spec.matchConstraints.resourceRules.flatMap((r: K8sObject) => r.resources.map((x: string) => `${r.apiGroups[0] || "core"}/${x} ${r.operations.join(",")}`));
                assert.deepStrictEqual(rules.sort(), [
                    "apps/daemonsets CREATE,UPDATE", "apps/deployments CREATE,UPDATE", "apps/replicasets CREATE,UPDATE", "apps/statefulsets CREATE,UPDATE",
                    "batch/cronjobs CREATE,UPDATE", "batch/jobs CREATE,UPDATE",
                    "core/persistentvolumeclaims CREATE,UPDATE", "core/pods CREATE,UPDATE",
                ]);
                const text = [...spec.variables, ...spec.validations].map((v: K8sObject) => `${v.expression} ${v.message ?? v.messageExpression ?? ""}`).join("\n");
                for (const t of STUDENT_VOLUME_TYPES) assert.match(text, new RegExp(`has\\(v\\.${t}\\)`));
                assert.match(text, /privileged/);
                assert.match(text, /object\.spec\.volumeName/);
            });

            it("still admits a student's edit of the stack's own workloads: their volumes are all of allowed types", () => {
                // Jobs are immutable and the NFS mkdir Job's export volume is the stack's own.
                for (const p of podTemplates(objs).filter((x) => x.owner.kind !== "Job")) {
                    for (const v of p.spec.volumes ?? []) {
                        assert.ok(Object.keys(v).some((k) => (STUDENT_VOLUME_TYPES as readonly string[]).includes(k)), `${p.owner.metadata.name}: ${v.name}`);
                    }
                }
            });
        });
    }

    it("never collides between two stacks on one cluster", async () => {
        const [a, b] = [objects(await run("dev", { prefix: "ada" })), objects(await run("dev", { prefix: "bob" }))];
        const names = (o: K8sObject[]) => o.filter((x) => x.kind.startsWith("ValidatingAdmissionPolicy")).map((x) => `${x.kind}/${x.metadata.name}`);
        assert.strictEqual(names(a).length, 2);
        assert.deepStrictEqual(names(a).filter((n) => names(b).includes(n)), []);
    });
});
