// The fence of every lab namespace (components/security/namespace-fence.ts): quota, container defaults,
// isolation, the todo lab's two openings, and the student's Role.
import * as assert from "assert";
import { STUDENT_RULES } from "../components/security/namespace-fence";
import { parseQuantity } from "../components/shared/quantity";
import { KEYS } from "../stacks/config-keys";
import { footprintByNamespace } from "../tools/footprint";
import { StackRun } from "../tools/mock-runtime";
import { K8sObject, STACK_FILES, objects, ofKind, one, pods, run, selects } from "./objects";

const ALL_APPS = {
    workshopBackendImage: "registry.example/workshop-backend:1.0",
    moviesCatalogImage: "registry.example/movie-catalog:1.0",
    customerBackendImage: "registry.example/customer-backend:1.0",
};

const labNamespaces = (objs: K8sObject[]) => ofKind(objs, "Namespace").filter((n) => n.metadata.labels["state-labs.io/lab"]).map((n) => n.metadata.name);
const inNs = (objs: K8sObject[], kind: string, ns: string) => objs.filter((o) => o.kind === kind && o.metadata.namespace === ns);

for (const stack of STACK_FILES) {
    describe(`NamespaceFence (labs:security:NamespaceFence), stack ${stack}`, () => {
        let r: StackRun;
        let objs: K8sObject[];
        before(async () => {
            r = await run(stack, ALL_APPS);
            objs = objects(r);
        });

        it("fences all seven lab namespaces, and only those", () => {
            assert.strictEqual(labNamespaces(objs).length, 7);
            const fenced = ofKind(objs, "ResourceQuota").map((q) => q.metadata.namespace).sort();
            assert.deepStrictEqual(fenced, labNamespaces(objs).sort());
        });

        it("gives each one quota and one LimitRange with the configured defaults", () => {
            for (const ns of labNamespaces(objs)) {
                const [quota] = inNs(objs, "ResourceQuota", ns);
                assert.deepStrictEqual(quota.spec.hard, {
                    "requests.cpu": "2",
                    "requests.memory": "4Gi",
                    "limits.cpu": "12",
                    "limits.memory": "8Gi",
                    "requests.storage": "20Gi",
                    pods: "20",
                });
                const limits = inNs(objs, "LimitRange", ns);
                assert.strictEqual(limits.length, 1, ns);
                assert.deepStrictEqual(limits[0].spec.limits, [
                    { type: "Container", defaultRequest: { cpu: "50m", memory: "64Mi" }, default: { cpu: "500m", memory: "256Mi" } },
                ]);
            }
        });

        // What each resource waits for, directly or through what it waits for (engine order).
        const key = (x: { type: string; name: string }) => `${x.type}::${x.name}`;
        const waitsFor = (k: string, seen = new Set<string>()): Set<string> => {
            for (const d of r.resources.find((x) => key(x) === k)?.waitsFor ?? []) {
                if (!seen.has(d)) waitsFor(d, seen.add(d));
            }
            return seen;
        };
        const fenceOf = (ns: string) =>
            r.resources.filter((x) => /:(ResourceQuota|LimitRange)$/.test(x.type) && x.inputs.metadata.namespace === ns).map(key);

        it("makes everything that creates pods wait for the quota and LimitRange of its namespace, so none escapes them", () => {
            const makers = r.resources.filter((x) => x.custom && x.inputs.spec?.template && labNamespaces(objs).includes(x.inputs.metadata?.namespace));
            assert.deepStrictEqual([...new Set(makers.map((x) => x.type))].sort(), [
                "kubernetes:apps/v1:Deployment",
                "kubernetes:apps/v1:StatefulSet",
                "kubernetes:batch/v1:Job",
            ]);
            for (const m of makers) {
                const fence = fenceOf(m.inputs.metadata.namespace);
                assert.strictEqual(fence.length, 2);
                for (const f of fence) assert.ok(waitsFor(key(m)).has(f), `${key(m)} does not wait for ${f}`);
            }
        });

        it("lets Secrets, ConfigMaps, Services, claims and PVs start as soon as the namespace exists", () => {
            const plain = r.resources.filter((x) => /core\/v1:(Secret|ConfigMap|Service|PersistentVolumeClaim|PersistentVolume)$/.test(x.type));
            assert.ok(plain.length > 30, `${plain.length}`);
            const fences = new Set(labNamespaces(objs).flatMap(fenceOf));
            for (const x of plain) {
                const late = [...waitsFor(key(x))].filter((d) => fences.has(d));
                assert.deepStrictEqual(late, [], `${key(x)} waits for the fence`);
            }
        });

        it("isolates each namespace: its pods are reachable from its own pods only", () => {
            for (const ns of labNamespaces(objs)) {
                const p = inNs(objs, "NetworkPolicy", ns).find((x) => x.metadata.name === "same-namespace-only");
                assert.ok(p, ns);
                assert.deepStrictEqual(p.spec, { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] });
            }
        });

        it("opens exactly the todo lab's two cross-namespace paths: app to database, ingress controller to app", () => {
            // (the storage namespace's no-traffic policy opens nothing: hardening.spec.ts)
            const extra = ofKind(objs, "NetworkPolicy").filter((p) => p.metadata.name !== "same-namespace-only" && p.metadata.namespace !== `${stack}-storage`);
            assert.deepStrictEqual(extra.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(), [
                `${stack}-postgres/allow-stateful-flask`,
                `${stack}-stateful-namespace/allow-ingress-controller`,
            ]);
            const podsOf = (ns: string, name: string) => pods(objs).filter((p) => p.namespace === ns && p.owner.metadata.name === name);

            const toDb = one(objs, "NetworkPolicy", "allow-stateful-flask", `${stack}-postgres`);
            const db = podsOf(`${stack}-postgres`, "postgres");
            assert.ok(db.length > 0 && db.every((p) => selects(toDb.spec.podSelector.matchLabels, p.labels)), "selects the database pods");
            const [peer] = toDb.spec.ingress[0].from;
            assert.deepStrictEqual(peer.namespaceSelector, { matchLabels: { "kubernetes.io/metadata.name": `${stack}-stateful-namespace` } });
            assert.ok(selects(peer.podSelector.matchLabels, podsOf(`${stack}-stateful-namespace`, "stateful-flask")[0].labels), "from the app pods");
            assert.deepStrictEqual(toDb.spec.ingress[0].ports, [{ protocol: "TCP", port: 5432 }]);
            // nothing else of the app's namespace matches, e.g. not the database's own pods
            assert.ok(!db.some((p) => selects(peer.podSelector.matchLabels, p.labels)));

            const toApp = one(objs, "NetworkPolicy", "allow-ingress-controller", `${stack}-stateful-namespace`);
            assert.ok(selects(toApp.spec.podSelector.matchLabels, podsOf(`${stack}-stateful-namespace`, "stateful-flask")[0].labels));
            assert.deepStrictEqual(toApp.spec.ingress, [
                { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": KEYS.ingressControllerNamespace.default } } }], ports: [{ protocol: "TCP", port: 5000 }] },
            ]);
        });

        it("binds the student's ServiceAccount to the student Role in each lab namespace, and nowhere else", () => {
            const bindings = ofKind(objs, "RoleBinding");
            assert.deepStrictEqual(bindings.map((b) => b.metadata.namespace).sort(), labNamespaces(objs).sort());
            for (const b of bindings) {
                assert.deepStrictEqual(b.subjects, [{ kind: "ServiceAccount", name: "student", namespace: `${stack}-access` }]);
                assert.deepStrictEqual(b.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "student-edit" });
                assert.strictEqual(inNs(objs, "Role", b.metadata.namespace).length, 1);
            }
            assert.deepStrictEqual(ofKind(objs, "ClusterRole").concat(ofKind(objs, "ClusterRoleBinding")), []);
        });
    });
}

describe("NamespaceFence: sizes", () => {
    it("takes quota and defaults from config", async () => {
        const objs = objects(await run("dev", { labs: ["workshop"], quotaCpuRequests: "3", quotaPods: 7, quotaStorage: "5Gi", defaultMemoryLimit: "1Gi", ingressControllerNamespace: "traefik" }));
        const quota = one(objs, "ResourceQuota", "lab-quota", "dev-kubernetes-ws-2");
        assert.strictEqual(quota.spec.hard["requests.cpu"], "3");
        assert.strictEqual(quota.spec.hard.pods, "7");
        assert.strictEqual(quota.spec.hard["requests.storage"], "5Gi");
        assert.strictEqual(one(objs, "LimitRange", "lab-limits", "dev-kubernetes-ws-2").spec.limits[0].default.memory, "1Gi");
    });

    it("lets the configured ingress controller namespace reach the todo app", async () => {
        const objs = objects(await run("dev", { labs: ["todo"], ingressControllerNamespace: "traefik" }));
        const p = one(objs, "NetworkPolicy", "allow-ingress-controller", "dev-stateful-namespace");
        assert.deepStrictEqual(p.spec.ingress[0].from[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "traefik" });
    });

    // The defaults must admit every lab even at its largest replica counts, Jobs running too.
    for (const [variant, overrides] of Object.entries({
        "as committed": {},
        "at the largest replica counts with every app": { ...ALL_APPS, moviesMongoReplicas: 7, postgresHaReplicas: 10 },
    })) {
        for (const stack of STACK_FILES) {
            it(`default quotas hold each namespace's footprint (${stack}, ${variant})`, async () => {
                const objs = objects(await run(stack, overrides));
                const hard = ofKind(objs, "ResourceQuota")[0].spec.hard;
                const fenced = new Set(ofKind(objs, "ResourceQuota").map((q) => q.metadata.namespace as string));
                const footprints = Object.entries(footprintByNamespace(objs, true));
                // Only the storage namespace (NFS mkdir Jobs, no student) runs pods outside a quota.
                assert.deepStrictEqual(footprints.map(([ns]) => ns).filter((ns) => !fenced.has(ns)), stack === "nfs" ? [`${stack}-storage`] : []);
                for (const [ns, f] of footprints.filter(([ns]) => fenced.has(ns))) {
                    const checks: [string, number, number][] = [
                        ["pods", f.pods + f.jobPods, Number(hard.pods)],
                        ["requests.cpu", f.cpuRequests, parseQuantity(hard["requests.cpu"])],
                        ["requests.memory", f.memoryRequests, parseQuantity(hard["requests.memory"])],
                        ["limits.cpu", f.cpuLimits, parseQuantity(hard["limits.cpu"])],
                        ["limits.memory", f.memoryLimits, parseQuantity(hard["limits.memory"])],
                        ["requests.storage", f.storage, parseQuantity(hard["requests.storage"])],
                    ];
                    for (const [what, used, limit] of checks) assert.ok(used <= limit, `${ns}: ${what} ${used} > ${limit}`);
                }
            });
        }
    }
});

describe("NamespaceFence: the student Role", () => {
    const writes = (group: string, resource: string) =>
        STUDENT_RULES.some((r) => (r.apiGroups as string[]).includes(group) && (r.resources as string[]).includes(resource) && (r.verbs as string[]).some((v) => !["get", "list", "watch"].includes(v)));
    const reads = (group: string, resource: string) =>
        STUDENT_RULES.some((r) => (r.apiGroups as string[]).includes(group) && (r.resources as string[]).includes(resource) && (r.verbs as string[]).includes("get"));

    it("lets students do the labs: workloads, pods (exec, logs, port-forward), Services, config, Secrets, claims, Ingresses", () => {
        for (const [g, res] of [["apps", "statefulsets"], ["apps", "statefulsets/scale"], ["apps", "deployments"], ["", "pods"], ["", "pods/exec"], ["", "pods/portforward"], ["", "services"], ["", "configmaps"], ["", "secrets"], ["", "persistentvolumeclaims"], ["batch", "jobs"], ["networking.k8s.io", "ingresses"]]) {
            assert.ok(writes(g, res), `${g}/${res}`);
        }
        assert.ok(reads("", "pods/log"));
        assert.ok(reads("", "events"));
    });

    it("lets them read the fence but not change it, nor any RBAC, nor anything cluster-scoped", () => {
        for (const [g, res] of [["", "resourcequotas"], ["", "limitranges"], ["networking.k8s.io", "networkpolicies"]]) {
            assert.ok(reads(g, res), `reads ${res}`);
            assert.ok(!writes(g, res), `writes ${res}`);
        }
        for (const [g, res] of [["rbac.authorization.k8s.io", "roles"], ["rbac.authorization.k8s.io", "rolebindings"], ["", "persistentvolumes"], ["storage.k8s.io", "storageclasses"], ["", "namespaces"], ["", "serviceaccounts"], ["", "serviceaccounts/token"]]) {
            assert.ok(!writes(g, res), `writes ${g}/${res}`);
        }
        assert.ok(STUDENT_RULES.every((r) => !(r.apiGroups as string[]).includes("*") && !(r.resources as string[]).includes("*") && !(r.verbs as string[]).includes("*")));
    });
});
