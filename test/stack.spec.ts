// Platform invariants, for every stack file, on the objects the program really registers.
import * as assert from "assert";
import { StackRun, isClusterScoped, mockPassword, stackFileConfig } from "../tools/mock-runtime";
import { PROJECT } from "../stacks/config";
import { KEYS } from "../stacks/config-keys";
import { parseQuantity } from "../components/shared/quantity";
import { LAB_IDS, LAB_LABEL, templateClaimName } from "../components/shared/naming";
import { K8sObject, STACK_FILES, containers, objects, ofKind, podTemplates, pods, run, selects, strings } from "./objects";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Kinds whose names must be DNS-1123 labels (they become DNS names or label values).
const LABEL_NAMED = new Set(["Namespace", "Service", "StatefulSet", "Deployment", "Job"]);

/** Every claim the stack will have: standalone claims and, per ordinal, StatefulSet template claims. */
function claims(objs: K8sObject[]): { namespace: string; name: string; spec: K8sObject }[] {
    const standalone = ofKind(objs, "PersistentVolumeClaim").map((c) => ({ namespace: c.metadata.namespace, name: c.metadata.name, spec: c.spec }));
    const fromTemplates = ofKind(objs, "StatefulSet").flatMap((s) =>
        (s.spec.volumeClaimTemplates ?? []).flatMap((t: K8sObject) =>
            Array.from({ length: s.spec.replicas ?? 1 }, (_, i) => ({
                namespace: s.metadata.namespace,
                name: templateClaimName(t.metadata.name, s.metadata.name, i),
                spec: t.spec,
            })),
        ),
    );
    return [...standalone, ...fromTemplates];
}

/** Kinds of CRDs, which kubernetes-models lacks: the acceptance suite's API server validates them against the CRDs (--validate=strict). */
const CRD_GROUPS = ["gateway.networking.k8s.io"];

function validateSchema(o: K8sObject): void {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : [undefined, o.apiVersion];
    if (group && CRD_GROUPS.includes(group)) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- kubernetes-models' module is chosen at run time, by apiVersion
    const models = require(`kubernetes-models/${group ? `${group}/` : ""}${version}`);
    const Model = models[o.kind];
    assert.ok(Model, `kubernetes-models has no ${o.apiVersion} ${o.kind}`);
    new Model(o).validate();
}

const VARIANTS: Record<string, Record<string, unknown>> = {
    "as committed": {},
    "with every app image set": {
        workshopBackendImage: "registry.example/workshop-backend:1.0",
        moviesCatalogImage: "registry.example/movie-catalog:1.0",
        customerBackendImage: "registry.example/customer-backend:1.0",
    },
    "with persistence off and data not kept": { workshopPersistence: false, keepDataOnDestroy: false },
    "with Gateway API beside the Ingress": { todoExposure: "both" },
};

for (const stack of STACK_FILES) {
    for (const [variant, overrides] of Object.entries(VARIANTS)) {
        describe(`stack ${stack} (${variant})`, () => {
            let r: StackRun;
            let objs: K8sObject[];
            before(async () => {
                r = await run(stack, overrides);
                objs = objects(r);
            });

            it("runs every lab it is asked for, each with a StatefulSet of its own", () => {
                const labs = (r.outputs as { labs: Record<string, unknown> }).labs;
                const asked = stackFileConfig(stack)[`${PROJECT}:labs`];
                assert.deepStrictEqual(Object.keys(labs).sort(), (asked ? (JSON.parse(asked) as string[]) : [...LAB_IDS]).sort());
                for (const lab of Object.keys(labs)) {
                    const databases = ofKind(objs, "StatefulSet").filter((s) => s.metadata.labels?.[LAB_LABEL] === lab);
                    assert.ok(databases.length > 0, `${lab}: no StatefulSet`);
                }
            });

            it(stack === "dynamic" ? "reserves no PV: each claim asks the stack's class for a volume of its own" : "gives each claim a PV of its class, reserved for it, with enough capacity and a matching access mode", () => {
                const pvs = ofKind(objs, "PersistentVolume");
                if (stack === "dynamic") {
                    assert.deepStrictEqual(pvs, []);
                    const [cls] = ofKind(objs, "StorageClass");
                    for (const c of claims(objs)) {
                        assert.strictEqual(c.spec.storageClassName, cls.metadata.name, `claim ${c.name}: class`);
                        assert.strictEqual(c.spec.volumeName, undefined, `claim ${c.name}: a PV named`);
                    }
                    return;
                }
                for (const c of claims(objs)) {
                    const bound = pvs.filter((pv) => pv.spec.claimRef?.namespace === c.namespace && pv.spec.claimRef?.name === c.name);
                    assert.strictEqual(bound.length, 1, `claim ${c.namespace}/${c.name}: ${bound.length} PVs reserved for it`);
                    const pv = bound[0];
                    assert.strictEqual(pv.spec.storageClassName, c.spec.storageClassName, `claim ${c.name}: class`);
                    assert.ok(c.spec.accessModes.every((m: string) => pv.spec.accessModes.includes(m)), `claim ${c.name}: access modes`);
                    assert.ok(
                        parseQuantity(pv.spec.capacity.storage) >= parseQuantity(c.spec.resources.requests.storage),
                        `claim ${c.name}: PV ${pv.spec.capacity.storage} < request ${c.spec.resources.requests.storage}`,
                    );
                    if (c.spec.volumeName) assert.strictEqual(c.spec.volumeName, pv.metadata.name);
                }
            });

            it("uses one StorageClass it creates, with Retain everywhere", () => {
                const classes = ofKind(objs, "StorageClass");
                assert.strictEqual(classes.length, 1);
                assert.strictEqual(classes[0].reclaimPolicy, "Retain");
                for (const pv of ofKind(objs, "PersistentVolume")) {
                    assert.strictEqual(pv.spec.storageClassName, classes[0].metadata.name);
                    assert.strictEqual(pv.spec.persistentVolumeReclaimPolicy, "Retain");
                }
            });

            it("gives every StatefulSet a selector matching its pods and a headless Service of its namespace", () => {
                for (const s of ofKind(objs, "StatefulSet")) {
                    assert.ok(selects(s.spec.selector.matchLabels, s.spec.template.metadata.labels), `${s.metadata.name}: selector`);
                    const svc = ofKind(objs, "Service").filter((v) => v.metadata.name === s.spec.serviceName && v.metadata.namespace === s.metadata.namespace);
                    assert.strictEqual(svc.length, 1, `${s.metadata.name}: serviceName ${s.spec.serviceName} is not a Service of the stack`);
                    assert.strictEqual(svc[0].spec.clusterIP, "None", `${s.spec.serviceName} is not headless`);
                    assert.ok(selects(svc[0].spec.selector, s.spec.template.metadata.labels), `${s.spec.serviceName} does not select ${s.metadata.name}'s pods`);
                }
                for (const d of ofKind(objs, "Deployment")) assert.ok(selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels));
            });

            it("has every Service select the pods of exactly one workload", () => {
                for (const svc of ofKind(objs, "Service").filter((v) => v.spec.type !== "ExternalName")) {
                    const owners = new Set(pods(objs).filter((p) => p.namespace === svc.metadata.namespace && selects(svc.spec.selector, p.labels)).map((p) => p.owner.metadata.name));
                    assert.strictEqual(owners.size, 1, `Service ${svc.metadata.namespace}/${svc.metadata.name} selects ${JSON.stringify([...owners])}`);
                }
            });

            it("awaits the workloads, not the ClusterIP Services in front of them (the provider would hold each 10 s)", () => {
                for (const svc of ofKind(objs, "Service").filter((v) => v.spec.type === "ClusterIP")) {
                    assert.strictEqual(svc.metadata.annotations?.["pulumi.com/skipAwait"], "true", `${svc.metadata.namespace}/${svc.metadata.name}`);
                    const workload = pods(objs).find((p) => p.namespace === svc.metadata.namespace && selects(svc.spec.selector, p.labels))?.owner;
                    assert.ok(workload && workload.metadata.annotations?.["pulumi.com/skipAwait"] === undefined, `${svc.metadata.name}: no awaited workload behind it`);
                }
            });

            it("creates the namespace of every namespaced object", () => {
                const namespaces = new Set(ofKind(objs, "Namespace").map((n) => n.metadata.name));
                for (const o of objs.filter((x) => !isClusterScoped(x.kind))) {
                    assert.ok(namespaces.has(o.metadata.namespace), `${o.kind} ${o.metadata.name} is in ${o.metadata.namespace}, which the stack does not create`);
                }
                for (const o of objs.filter((x) => isClusterScoped(x.kind))) assert.strictEqual(o.metadata.namespace, undefined);
            });

            it("names everything validly (DNS-1123) and labels with valid values", () => {
                for (const o of objs) {
                    const n = o.metadata.name;
                    if (LABEL_NAMED.has(o.kind)) assert.ok(n.length <= 63 && DNS_LABEL.test(n), `${o.kind} ${n}`);
                    else assert.ok(n.length <= 253 && DNS_SUBDOMAIN.test(n), `${o.kind} ${n}`);
                    for (const [k, v] of Object.entries<string>(o.metadata.labels ?? {})) {
                        assert.ok(v.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v), `${o.kind} ${n}: label ${k}=${v}`);
                    }
                }
            });

            it("hands passwords to containers only through secretKeyRef to a Secret of the stack", () => {
                const secrets = ofKind(objs, "Secret");
                for (const p of podTemplates(objs)) {
                    for (const c of containers(p.spec)) {
                        assert.strictEqual(c.envFrom, undefined, `${c.name}: envFrom`);
                        for (const e of c.env ?? []) {
                            if (/PASSWORD|_URL$|_URI$/.test(e.name) && e.value === undefined) {
                                const ref = e.valueFrom?.secretKeyRef;
                                assert.ok(ref, `${p.owner.metadata.name}/${c.name}: ${e.name} is not from a Secret`);
                                const secret = secrets.find((s) => s.metadata.namespace === p.namespace && s.metadata.name === ref.name);
                                assert.ok(secret, `${e.name}: Secret ${ref.name} not created in ${p.namespace}`);
                                assert.ok(ref.key in secret.stringData, `${e.name}: Secret ${ref.name} has no key ${ref.key}`);
                            }
                            if (/PASSWORD/.test(e.name)) assert.ok(e.valueFrom?.secretKeyRef, `${c.name}: ${e.name} must come from a Secret`);
                        }
                    }
                }
            });

            it("keeps every generated password inside Secrets only", () => {
                const passwords = r.resources.filter((x) => x.type === "random:index/randomPassword:RandomPassword").map((x) => mockPassword(x.name));
                assert.ok(passwords.length > 0);
                for (const o of objs.filter((x) => x.kind !== "Secret")) {
                    for (const s of strings(o)) {
                        for (const pw of passwords) assert.ok(!s.value.includes(pw), `password found in ${o.kind} ${o.metadata.name} at ${s.path}`);
                    }
                }
                // (the student's token Secret has no data of ours: the token controller fills it)
                for (const secret of r.resources.filter((x) => x.type === "kubernetes:core/v1:Secret" && x.inputs.type !== "kubernetes.io/service-account-token")) {
                    assert.ok(secret.secretPaths.some((p) => p.startsWith("stringData")), `${secret.name}: stringData not sent as secret`);
                }
            });

            it("validates every object against the Kubernetes OpenAPI schema", () => {
                for (const o of objs) {
                    try {
                        validateSchema(o);
                    } catch (e) {
                        assert.fail(`${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}: ${(e as Error).message}`);
                    }
                }
            });

            it("gives every container requests, limits and a security context without privilege escalation", () => {
                for (const p of podTemplates(objs)) {
                    assert.strictEqual(p.spec.securityContext?.seccompProfile?.type, "RuntimeDefault", `${p.owner.metadata.name}: seccomp`);
                    for (const c of containers(p.spec)) {
                        const where = `${p.owner.metadata.name}/${c.name}`;
                        for (const r of ["cpu", "memory"]) {
                            assert.ok(c.resources?.requests?.[r] && c.resources?.limits?.[r], `${where}: ${r} requests/limits`);
                        }
                        assert.strictEqual(c.securityContext?.allowPrivilegeEscalation, false, where);
                        assert.deepStrictEqual(c.securityContext?.capabilities?.drop, ["ALL"], where);
                    }
                    if (p.owner.kind !== "Job") {
                        for (const c of p.spec.containers) assert.ok(c.readinessProbe && c.livenessProbe, `${p.owner.metadata.name}/${c.name}: probes`);
                    }
                }
            });

            it("admits every pod under its namespace's Pod Security level", () => {
                // The subset of the Pod Security Standards our pods could break; the real
                // admission plugin judges them in the cluster suite.
                const BASELINE_CAPS = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];
                const RESTRICTED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
                const levels = new Map(ofKind(objs, "Namespace").map((n) => [n.metadata.name, n.metadata.labels["pod-security.kubernetes.io/enforce"]]));
                for (const p of podTemplates(objs)) {
                    const level = levels.get(p.namespace);
                    const where = `${p.owner.kind} ${p.owner.metadata.name} in ${p.namespace} (${level})`;
                    assert.ok(level === "baseline" || level === "restricted", where);
                    assert.ok(!p.spec.hostNetwork && !p.spec.hostPID && !p.spec.hostIPC, where);
                    for (const v of p.spec.volumes ?? []) assert.strictEqual(v.hostPath, undefined, `${where}: hostPath volume`);
                    for (const c of containers(p.spec)) {
                        assert.ok(!c.securityContext?.privileged, `${where}/${c.name}: privileged`);
                        for (const cap of c.securityContext?.capabilities?.add ?? []) assert.ok(BASELINE_CAPS.includes(cap), `${where}/${c.name}: ${cap}`);
                        if (level === "restricted") {
                            const nonRoot = c.securityContext?.runAsNonRoot ?? p.spec.securityContext?.runAsNonRoot;
                            const uid = c.securityContext?.runAsUser ?? p.spec.securityContext?.runAsUser;
                            assert.ok(nonRoot === true && uid !== 0, `${where}/${c.name}: must run as non-root`);
                            assert.deepStrictEqual(c.securityContext?.capabilities?.add ?? [], [], `${where}/${c.name}: adds capabilities`);
                        }
                    }
                    if (level === "restricted") {
                        for (const v of p.spec.volumes ?? []) {
                            assert.ok(Object.keys(v).some((k) => RESTRICTED_VOLUMES.includes(k)), `${where}: volume ${v.name}`);
                        }
                    }
                }
            });

            it("pins every image", () => {
                for (const p of podTemplates(objs)) for (const c of containers(p.spec)) assert.match(c.image, /:[\w][\w.-]*$|@sha256:/, c.image);
            });

            it("never lets an update or destroy delete data it was not told to", () => {
                const keep = overrides.keepDataOnDestroy !== false;
                for (const x of r.resources.filter((y) => /:(PersistentVolume|PersistentVolumeClaim)$/.test(y.type))) {
                    assert.strictEqual(x.options.retainOnDelete ?? false, keep, `${x.type} ${x.name}: retainOnDelete`);
                }
                const holding = new Set(claims(objs).map((c) => c.namespace));
                for (const x of r.resources.filter((y) => y.type === "kubernetes:core/v1:Namespace")) {
                    const holds = holding.has(x.inputs.metadata.name);
                    assert.strictEqual(x.options.retainOnDelete ?? false, keep && holds, `namespace ${x.inputs.metadata.name}: retainOnDelete`);
                }
                for (const x of r.resources.filter((y) => y.type === "kubernetes:apps/v1:StatefulSet")) {
                    assert.ok(x.options.ignoreChanges?.includes("spec.volumeClaimTemplates"), `${x.name}: a size change would replace it`);
                    assert.strictEqual(x.inputs.spec.persistentVolumeClaimRetentionPolicy.whenScaled, "Retain");
                    assert.strictEqual(x.inputs.spec.persistentVolumeClaimRetentionPolicy.whenDeleted, keep ? "Retain" : "Delete");
                }
            });

            it("tells how to reach every endpoint: a port-forward to a Service or pod in the lab's own namespaces", () => {
                const out = r.outputs as { labs: Record<string, { namespaces: string[]; endpoints: Record<string, { portForward: string }> }> };
                const podNames = (ns: string) =>
                    ofKind(objs, "StatefulSet")
                        .filter((s) => s.metadata.namespace === ns)
                        .flatMap((s) => Array.from({ length: s.spec.replicas ?? 1 }, (_, i) => `${s.metadata.name}-${i}`));
                let checked = 0;
                for (const [lab, o] of Object.entries(out.labs)) {
                    for (const [name, e] of Object.entries(o.endpoints)) {
                        // the todo lab's Ingress goes through the cluster's ingress controller, not the lab
                        if (lab === "todo" && name === "ingress") continue;
                        const m = /^kubectl -n (\S+) port-forward (service|pod)\/(\S+) (\d+):(\d+)$/.exec(e.portForward);
                        assert.ok(m, `${lab}.${name}: ${e.portForward}`);
                        const [, ns, kind, target] = m;
                        assert.ok(o.namespaces.includes(ns), `${lab}.${name}: namespace ${ns} is not one of ${o.namespaces.join(", ")}`);
                        const found = kind === "service" ? objs.some((x) => x.kind === "Service" && x.metadata.namespace === ns && x.metadata.name === target) : podNames(ns).includes(target);
                        assert.ok(found, `${lab}.${name}: no ${kind} ${target} in ${ns}`);
                        checked++;
                    }
                }
                assert.ok(checked >= 7, `${checked} endpoints checked`);
            });

            it("exports connection strings and passwords only as Pulumi secrets, and nothing else as one", () => {
                const out = r.outputs as { labs: Record<string, { secrets: Record<string, string> }> };
                const expected = Object.entries(out.labs).flatMap(([lab, o]) => Object.keys(o.secrets).map((k) => `labs.${lab}.secrets.${k}`));
                assert.ok(expected.length > 0, "no lab exports a connection string");
                assert.deepStrictEqual([...r.secretOutputs].sort(), expected.sort());
                // each holds a password the stack generated, so it is the real connection string
                const generated = r.resources.filter((x) => x.type === "random:index/randomPassword:RandomPassword").map((x) => x.state.result as string);
                for (const [lab, o] of Object.entries(out.labs)) {
                    for (const [k, v] of Object.entries(o.secrets)) assert.ok(generated.some((pw) => v.includes(pw)), `${lab}.${k} holds no generated password`);
                }
                // and no plain output does
                const plain = JSON.stringify({ ...out, labs: Object.fromEntries(Object.entries(out.labs).map(([lab, o]) => [lab, { ...o, secrets: undefined }])) });
                for (const pw of generated) assert.ok(!plain.includes(pw), "a generated password in a plain output");
            });
        });
    }
}

describe("two stacks on one cluster", () => {
    it("share no namespace, cluster-scoped name or host directory", async () => {
        for (const stack of STACK_FILES) {
            const [a, b] = await Promise.all(["alice", "bob"].map(async (prefix) => objects(await run(stack, { prefix }))));
            const names = (objs: K8sObject[]) =>
                new Set(objs.filter((o) => isClusterScoped(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`));
            const dirs = (objs: K8sObject[]) =>
                new Set(
                    ofKind(objs, "PersistentVolume").map((pv) => pv.spec.hostPath?.path ?? `${pv.spec.nfs.server}:${pv.spec.nfs.path}`),
                );
            for (const f of stack === "dynamic" ? [names] : [names, dirs]) {
                const [sa, sb] = [f(a), f(b)];
                assert.ok(sa.size > 0);
                const common = [...sa].filter((x) => sb.has(x));
                assert.deepStrictEqual(common, [], `${stack}: shared ${f.name}`);
            }
            const nestedDirs = [...dirs(a)].filter((d) => [...dirs(b)].some((e) => d.startsWith(`${e}/`) || e.startsWith(`${d}/`)));
            assert.deepStrictEqual(nestedDirs, [], `${stack}: one stack's directory inside the other's`);
            const hosts = (objs: K8sObject[]) => ofKind(objs, "Ingress").flatMap((i) => i.spec.rules.map((r: K8sObject) => r.host));
            assert.ok(!hosts(a).some((h) => hosts(b).includes(h)), "shared Ingress host");
        }
    });

    it("cannot collide whatever the ids: no derived name is another's with a dash-joined word in front", async () => {
        // Student "ada" owns "ada-<s>" for every suffix s of a kind. Student "ada-x" would own
        // "ada-x-<t>": the two collide exactly when some s equals "x-<t>" for another suffix t.
        for (const stack of STACK_FILES) {
            const objs = objects(await run(stack, { prefix: "p", moviesMongoReplicas: 7, postgresHaReplicas: 10, quotaStorage: "100Gi" }));
            const byKind = new Map<string, string[]>();
            for (const o of objs.filter((x) => isClusterScoped(x.kind))) {
                assert.ok(o.metadata.name.startsWith("p-"), `${o.kind} ${o.metadata.name} does not start with the prefix`);
                byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o.metadata.name.slice(2)]);
            }
            for (const [kind, suffixes] of byKind) {
                const clashes = suffixes.flatMap((s) => suffixes.filter((t) => s.endsWith(`-${t}`)).map((t) => `${s} / ${t}`));
                assert.deepStrictEqual(clashes, [], `${stack} ${kind}`);
            }
        }
    });

    it("reference only their own namespaces: bindings, policies, Services and every namespaced object", async () => {
        for (const stack of STACK_FILES) {
            const objs = objects(await run(stack, { prefix: "alice" }));
            const own = new Set(ofKind(objs, "Namespace").map((n) => n.metadata.name));
            assert.ok([...own].every((n) => n.startsWith("alice-")));
            for (const o of objs.filter((x) => !isClusterScoped(x.kind))) assert.ok(own.has(o.metadata.namespace), `${o.kind} ${o.metadata.name} in ${o.metadata.namespace}`);
            for (const b of ofKind(objs, "RoleBinding")) for (const s of b.subjects) assert.ok(own.has(s.namespace), `RoleBinding subject in ${s.namespace}`);
            for (const p of ofKind(objs, "NetworkPolicy")) {
                for (const peer of (p.spec.ingress ?? []).flatMap((i: K8sObject) => i.from ?? [])) {
                    const ns = peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"];
                    if (peer.namespaceSelector) assert.ok(own.has(ns) || ns === KEYS.ingressControllerNamespace.default, `${p.metadata.name} admits namespace ${ns}`);
                }
            }
            for (const svc of ofKind(objs, "Service").filter((x) => x.spec.type === "ExternalName")) {
                assert.ok(own.has(svc.spec.externalName.split(".")[1]), `${svc.metadata.name} points at ${svc.spec.externalName}`);
            }
        }
    });
});
