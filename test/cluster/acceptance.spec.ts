// The cluster acceptance suite (`npm run test:cluster`): the rendered objects of each stack
// go to a real control plane (etcd, kube-apiserver with its default admission plugins,
// controller-manager, scheduler; kwok plays the kubelet), and what the labs promise is read
// back through kubectl. Needs KUBECONFIG (sandbox/cluster/test.sh sets it up).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Applied, Obj, WAIT_MS, getJson, inNamespaces, kubectl, kubectlDown, ok, renderAndApply, sleep, until, waitBoundAndReady } from "./kube";

const figures: string[] = [];

for (const stack of ["dev", "nfs"]) {
    describe(`cluster: stack ${stack}`, function () {
        this.timeout(WAIT_MS * 4);
        let a: Applied;
        let readySeconds = 0;

        before(async () => {
            // nfs also with Gateway API, so its objects meet the CRDs' schemas (--validate=strict)
            a = await renderAndApply(stack, stack === "nfs" ? { todoExposure: "both" } : {});
            const t0 = Date.now();
            await waitBoundAndReady(a);
            readySeconds = (Date.now() - t0) / 1000;
            figures.push(`${stack}: ${a.objects.length} objects applied in ${a.applySeconds.toFixed(1)} s, bound and ready ${readySeconds.toFixed(1)} s later`);
        });

        it("accepts every object, with no warnings (unknown fields are errors under --validate=strict)", () => {
            assert.doesNotMatch(a.warnings, /warning/i);
            for (const o of a.objects) {
                const where = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
                ok(["get", o.kind.toLowerCase(), o.metadata.name, ...where, "-o", "name"]);
            }
        });

        it("binds every claim, by the real PV controller, to the PV the stack reserved for it", () => {
            const pvs = new Map(getJson(["pv", "-l", `state-labs.io/prefix=${stack}`]).items.map((pv: Obj) => [pv.metadata.name, pv]));
            const claims = inNamespaces("pvc", a.namespaces);
            assert.ok(claims.length > 0);
            for (const c of claims) {
                const pv = pvs.get(c.spec.volumeName) as Obj | undefined;
                assert.ok(pv, `${c.metadata.namespace}/${c.metadata.name} bound to ${c.spec.volumeName}, not a PV of the stack`);
                assert.strictEqual(pv.status.phase, "Bound");
                assert.strictEqual(pv.spec.claimRef.uid, c.metadata.uid);
                assert.strictEqual(c.metadata.annotations?.["pv.kubernetes.io/bind-completed"], "yes");
            }
        });

        it("starts StatefulSet pods in ordinal order, with stable names, and all Ready", () => {
            for (const s of inNamespaces("statefulset", a.namespaces)) {
                const pods = getJson(["pods", "-n", s.metadata.namespace, "-l", Object.entries<string>(s.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",")]).items;
                const names = pods.map((p: Obj) => p.metadata.name).sort();
                assert.deepStrictEqual(names, Array.from({ length: s.spec.replicas }, (_, i) => `${s.metadata.name}-${i}`));
                const byOrdinal = (i: number) => pods.find((p: Obj) => p.metadata.name === `${s.metadata.name}-${i}`);
                for (let i = 1; i < s.spec.replicas; i++) {
                    const readyBefore = byOrdinal(i - 1).status.conditions.find((c: Obj) => c.type === "Ready").lastTransitionTime;
                    assert.ok(Date.parse(byOrdinal(i).metadata.creationTimestamp) >= Date.parse(readyBefore), `${s.metadata.name}-${i} created before ${s.metadata.name}-${i - 1} was Ready`);
                }
                for (const p of pods) assert.strictEqual(p.status.conditions.find((c: Obj) => c.type === "Ready").status, "True", p.metadata.name);
            }
        });

        it("admits the pods under each namespace's Pod Security level, which is enforced", () => {
            for (const ns of a.namespaces) {
                const level = getJson(["namespace", ns]).metadata.labels["pod-security.kubernetes.io/enforce"];
                assert.ok(["baseline", "restricted"].includes(level), `${ns}: ${level}`);
                const privileged = { apiVersion: "v1", kind: "Pod", metadata: { name: "psa-probe", namespace: ns }, spec: { containers: [{ name: "c", image: "busybox:1.36.1", securityContext: { privileged: true } }] } };
                const r = kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], JSON.stringify(privileged));
                assert.notStrictEqual(r.code, 0, `${ns}: a privileged pod was admitted`);
                assert.match(r.stderr, /violates PodSecurity "(baseline|restricted):latest"/);
            }
            // Namespace-wide: a Deployment's refusals are events of its ReplicaSet, not of the Deployment.
            const workloadNamespaces = new Set(a.objects.filter((o) => ["StatefulSet", "Deployment"].includes(o.kind)).map((o) => o.metadata.namespace));
            for (const ns of workloadNamespaces) {
                const events = getJson(["events", "-n", ns, "--field-selector", "reason=FailedCreate"]).items;
                // Two pods admitted at once can race on the quota's usage: the loser gets an optimistic-lock
                // conflict and the controller retries it. That is not a refusal; anything else is.
                const refusals = events
                    .map((e: Obj) => `${e.involvedObject.kind} ${e.involvedObject.name}: ${e.message}`)
                    .filter((m: string) => !/Operation cannot be fulfilled on resourcequotas .*the object has been modified/.test(m));
                assert.deepStrictEqual(refusals, [], `${ns}: pods refused`);
            }
        });

        describe("the student's storage fence (ValidatingAdmissionPolicy), with the student's own token", () => {
            let kubeconfig: string;
            let ns: string;
            const as = (args: string[], input?: string) => kubectl(["--kubeconfig", kubeconfig, ...args], input);
            const tryCreate = (o: Obj) => as(["create", "--dry-run=server", "-f", "-"], JSON.stringify(o));
            // In nfs mode the export root the stack's PVs live under; in hostPath mode any server.
            const exportRoot = () => {
                const job = a.objects.find((o) => o.kind === "Job" && o.metadata.name.startsWith("mkdir-"));
                return job ? job.spec.template.spec.volumes[0].nfs : { server: "192.0.2.1", path: "/" };
            };
            const pod = (name: string, spec: Obj): Obj => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec: { containers: [{ name: "c", image: "busybox:1.36.1", command: ["sleep", "1d"] }], ...spec } });
            const deployment = (name: string, spec: Obj): Obj => ({
                apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: ns },
                spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox:1.36.1" }], ...spec } } },
            });
            const refused = (r: { code: number; stderr: string }, why: RegExp, what: string) => {
                assert.notStrictEqual(r.code, 0, `${what} was admitted`);
                assert.match(r.stderr, why, what);
            };
            const FENCE = /ValidatingAdmissionPolicy '[^']*-student-storage-fence'.*denied request: state-labs:/;

            before(() => {
                // a namespace holding data: Pod Security baseline there allows inline nfs volumes
                ns = a.objects.find((o) => o.kind === "StatefulSet" && o.spec.volumeClaimTemplates?.length > 0)!.metadata.namespace;
                const token = ok(["create", "token", "student", "-n", `${stack}-access`, "--duration=1h"]).trim();
                const admin = JSON.parse(ok(["config", "view", "--raw", "--minify", "-o", "json"]));
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "student-"));
                kubeconfig = path.join(dir, "kubeconfig");
                const cluster = admin.clusters[0];
                fs.writeFileSync(kubeconfig, JSON.stringify({
                    apiVersion: "v1", kind: "Config", clusters: [cluster], users: [{ name: "student", user: { token } }],
                    contexts: [{ name: "student", context: { cluster: cluster.name, user: "student", namespace: ns } }], "current-context": "student",
                }), { mode: 0o600 });
            });

            it("admits what the labs need: a pod on its own claim, a ConfigMap, an emptyDir; a claim without volumeName; an edit of the stack's StatefulSet", () => {
                const claim = getJson(["pvc", "-n", ns]).items[0].metadata.name;
                const r = tryCreate(pod("fence-ok", { volumes: [{ name: "d", persistentVolumeClaim: { claimName: claim } }, { name: "t", emptyDir: {} }] }));
                assert.strictEqual(r.code, 0, r.stderr);
                const c = tryCreate({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "fence-ok", namespace: ns }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } } });
                assert.strictEqual(c.code, 0, c.stderr);
                for (const s of getJson(["statefulset", "-n", ns]).items) {
                    const e = as(["patch", "statefulset", s.metadata.name, "--dry-run=server", "--type=merge", "-p", JSON.stringify({ spec: { template: { metadata: { annotations: { "student/edit": "1" } } } } })]);
                    assert.strictEqual(e.code, 0, e.stderr);
                }
            });

            it("keeps the student out of the namespace of the root Jobs that mount the export root (no exec, no pods, no logs)", () => {
                const storage = `${stack}-storage`;
                const jobs = a.objects.filter((o) => o.kind === "Job" && o.metadata.name.startsWith("mkdir-"));
                assert.strictEqual(jobs.length > 0, stack === "nfs", "mkdir Jobs in nfs mode only");
                assert.ok(jobs.every((j) => j.metadata.namespace === storage), "every mkdir Job in the storage namespace");
                for (const [verb, resource] of [["create", "pods/exec"], ["create", "pods"], ["list", "pods"], ["get", "pods/log"], ["create", "jobs"]]) {
                    const r = as(["auth", "can-i", verb, resource, "-n", storage]);
                    assert.strictEqual(r.stdout.trim(), "no", `the student may ${verb} ${resource} in ${storage}`);
                }
                // the same question in a lab namespace says yes: the check can tell
                assert.strictEqual(as(["auth", "can-i", "create", "pods/exec", "-n", ns]).stdout.trim(), "yes");
            });

            it("refuses a pod with an inline nfs volume on the export root", () => {
                refused(tryCreate(pod("fence-nfs", { volumes: [{ name: "all", nfs: exportRoot() }] })), new RegExp(`${FENCE.source}.*refused volumes: all`), "inline nfs pod");
            });

            it("refuses a hostPath pod (Pod Security baseline first) and a hostPath Deployment (the policy)", () => {
                refused(tryCreate(pod("fence-hostpath", { volumes: [{ name: "h", hostPath: { path: "/" } }] })), /violates PodSecurity.*hostPath|state-labs:/, "hostPath pod");
                refused(tryCreate(deployment("fence-hostpath", { volumes: [{ name: "h", hostPath: { path: "/" } }] })), new RegExp(`${FENCE.source}.*refused volumes: h`), "hostPath Deployment");
            });

            it("refuses a claim naming another student's PV (volumeName)", () => {
                const pvs = getJson(["pv"]).items;
                const other = pvs.find((p: Obj) => p.metadata.labels?.["state-labs.io/prefix"] !== stack) ?? pvs[0];
                const claim = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "fence-steal", namespace: ns }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: other.spec.storageClassName, volumeName: other.metadata.name, resources: { requests: { storage: "1Mi" } } } };
                refused(tryCreate(claim), new RegExp(`${FENCE.source}.*may not name a PersistentVolume`), "claim with volumeName");
            });

            it("refuses a privileged container (Pod Security first for a pod; the policy for a Deployment)", () => {
                const privileged = { containers: [{ name: "root", image: "busybox:1.36.1", securityContext: { privileged: true } }] };
                refused(tryCreate(pod("fence-privileged", privileged)), /violates PodSecurity.*privileged|state-labs:/, "privileged pod");
                refused(tryCreate(deployment("fence-privileged", privileged)), new RegExp(`${FENCE.source}.*privileged containers.*refused containers: root`), "privileged Deployment");
            });

            it("refuses a Deployment and a CronJob with an nfs volume", () => {
                refused(tryCreate(deployment("fence-nfs", { volumes: [{ name: "all", nfs: exportRoot() }] })), new RegExp(`${FENCE.source}.*refused volumes: all`), "nfs Deployment");
                const cron = {
                    apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "fence-nfs", namespace: ns },
                    spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36.1" }], volumes: [{ name: "all", nfs: exportRoot() }] } } } } },
                };
                refused(tryCreate(cron), new RegExp(`${FENCE.source}.*refused volumes: all`), "nfs CronJob");
            });

            it("refuses an edit adding an nfs volume to the stack's StatefulSet", () => {
                const s = getJson(["statefulset", "-n", ns]).items[0];
                const add = [{ op: "add", path: "/spec/template/spec/volumes", value: [...(s.spec.template.spec.volumes ?? []), { name: "all", nfs: exportRoot() }] }];
                refused(as(["patch", "statefulset", s.metadata.name, "--dry-run=server", "--type=json", "-p", JSON.stringify(add)]), new RegExp(`${FENCE.source}.*refused volumes: all`), "StatefulSet edit");
            });

            it("leaves the operator alone: the same nfs pod is admitted for the admin", () => {
                const r = kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(pod("fence-admin", { volumes: [{ name: "all", nfs: exportRoot() }] })));
                assert.strictEqual(r.code, 0, r.stderr);
            });
        });

        it("recreates pod <sts>-0 under the same name, on the same claim and PV, when it is deleted", async () => {
            for (const s of a.objects.filter((o) => o.kind === "StatefulSet")) {
                const ns = s.metadata.namespace;
                const pod = `${s.metadata.name}-0`;
                const before = getJson(["pod", pod, "-n", ns]);
                const claimOf = (p: Obj) => p.spec.volumes.map((v: Obj) => v.persistentVolumeClaim?.claimName).filter(Boolean).sort();
                const claims = claimOf(before);
                if (claims.length === 0) continue; // the emptyDir variant: nothing to keep
                const pvBefore = claims.map((c: string) => getJson(["pvc", c, "-n", ns]).spec.volumeName);
                ok(["delete", "pod", pod, "-n", ns, "--wait=false"]);
                await until(`${ns}/${pod} back and Ready`, () => {
                    const r = kubectl(["get", "pod", pod, "-n", ns, "-o", "json"]);
                    if (r.code !== 0) return "absent";
                    const p = JSON.parse(r.stdout);
                    if (p.metadata.uid === before.metadata.uid) return "old pod still there";
                    return p.status.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True") ? true : "not Ready";
                });
                const after = getJson(["pod", pod, "-n", ns]);
                assert.deepStrictEqual(claimOf(after), claims);
                assert.deepStrictEqual(claims.map((c: string) => getJson(["pvc", c, "-n", ns]).spec.volumeName), pvBefore);
            }
        });

        it("refuses to grow a claim of the stack's class, as the program predicts (allowVolumeExpansion: false)", () => {
            const sc = a.objects.find((o) => o.kind === "StorageClass")!;
            assert.strictEqual(getJson(["storageclass", sc.metadata.name]).allowVolumeExpansion, false);
            const c = inNamespaces("pvc", a.namespaces)[0];
            const r = kubectl(["patch", "pvc", c.metadata.name, "-n", c.metadata.namespace, "--type=merge", "-p", JSON.stringify({ spec: { resources: { requests: { storage: "50Gi" } } } })]);
            assert.notStrictEqual(r.code, 0, "the API server accepted the growth");
            assert.match(r.stderr, /only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/);
        });
    });
}

// No provisioner runs beside kwok: the objects are checked, and the claims are seen to wait for
// one (the real node's suite runs this mode whole, with its CSI driver).
describe("cluster: stack dynamic, its objects", function () {
    this.timeout(WAIT_MS * 2);
    let a: Applied;

    before(async () => {
        a = await renderAndApply("dynamic");
    });

    it("accepts every object with no warnings, and its claims wait for the stack's class to make their volumes", async () => {
        assert.doesNotMatch(a.warnings, /warning/i);
        // the stack's own claims, and those of each claim template the StatefulSet controller makes
        // before the first pod is Ready (never, here): ordinal 0's, or every replica's in Parallel mode
        const expected =
            a.objects.filter((o) => o.kind === "PersistentVolumeClaim").length +
            a.objects
                .filter((o) => o.kind === "StatefulSet")
                .reduce((n, st) => n + (st.spec.volumeClaimTemplates?.length ?? 0) * (st.spec.podManagementPolicy === "Parallel" ? st.spec.replicas : 1), 0);
        assert.ok(expected >= 6, `${expected} claims`);
        await until("each claim to wait for its volume", () => {
            const claims = inNamespaces("pvc", a.namespaces);
            const waiting = claims.filter((c: Obj) => c.status.phase === "Pending" && c.spec.storageClassName === "dynamic-labs-dynamic" && !c.spec.volumeName);
            return claims.length === expected && waiting.length === expected ? true : `${waiting.length} of ${claims.length} claims waiting, ${expected} expected`;
        });
        assert.strictEqual(getJson(["pv", "-l", "state-labs.io/prefix=dynamic"]).items.length, 0);
    });

    after(() => {
        if (a) kubectlDown(a, "dynamic");
    });
});

describe("cluster: across stacks", function () {
    this.timeout(WAIT_MS * 4);

    it("accepts the same growth patch where the class allows expansion", async () => {
        const ns = "growth-check";
        const objects = [
            { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
            { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "growth-check-expandable" }, provisioner: "kubernetes.io/no-provisioner", allowVolumeExpansion: true, volumeBindingMode: "Immediate" },
            {
                apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "growth-check-pv" },
                spec: { storageClassName: "growth-check-expandable", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/tmp/growth-check" }, claimRef: { namespace: ns, name: "data" } },
            },
            {
                apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data", namespace: ns },
                spec: { storageClassName: "growth-check-expandable", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
            },
        ];
        ok(["apply", "--server-side", "-f", "-"], objects.map((o) => JSON.stringify(o)).join("\n"));
        await until("growth-check claim Bound", () => (getJson(["pvc", "data", "-n", ns]).status.phase === "Bound" ? true : "pending"));
        ok(["patch", "pvc", "data", "-n", ns, "--type=merge", "-p", JSON.stringify({ spec: { resources: { requests: { storage: "2Gi" } } } })]);
        assert.strictEqual(getJson(["pvc", "data", "-n", ns]).spec.resources.requests.storage, "2Gi");
    });

    it("runs two stacks with different prefixes side by side", async () => {
        const [alice, bob] = [await renderAndApply("dev", { prefix: "alice" }), await renderAndApply("dev", { prefix: "bob" })];
        await waitBoundAndReady(alice);
        await waitBoundAndReady(bob);
        const pvs = (p: string) => getJson(["pv", "-l", `state-labs.io/prefix=${p}`]).items.map((pv: Obj) => pv.spec.hostPath.path);
        const [a, b] = [pvs("alice"), pvs("bob")];
        assert.ok(a.length > 0 && a.length === b.length);
        assert.deepStrictEqual(a.filter((p: string) => b.includes(p)), []);
    });

    describe("hostPath volumes stay with their node, on a cluster of several", function () {
        // Two more fake nodes beside the suite's own, which kwok runs like it (the annotation).
        const NODES = ["pin-a", "pin-b"];
        const node = (name: string) => ({
            apiVersion: "v1",
            kind: "Node",
            metadata: { name, annotations: { "kwok.x-k8s.io/node": "fake" }, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", type: "kwok" } },
            status: { allocatable: { cpu: "32", memory: "256Gi", pods: "110" }, capacity: { cpu: "32", memory: "256Gi", pods: "110" } },
        });
        let stack: Applied;

        before(async () => {
            ok(["apply", "--server-side", "-f", "-"], NODES.map((n) => JSON.stringify(node(n))).join("\n"));
            await until("the extra nodes Ready", () => {
                const ready = getJson(["nodes"]).items.filter((n: Obj) => NODES.includes(n.metadata.name) && n.status.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True"));
                return ready.length === NODES.length ? true : `${ready.length}/${NODES.length} Ready`;
            });
            stack = await renderAndApply("dev", { prefix: "pin", labs: '["workshop","customer"]', hostPathNode: "pin-b" });
            await waitBoundAndReady(stack);
        });

        it("starts every pod that mounts a hostPath volume on the node its PV names", () => {
            const pods = inNamespaces("pods", stack.namespaces).filter((p: Obj) => (p.spec.volumes ?? []).some((v: Obj) => v.persistentVolumeClaim));
            assert.ok(pods.length >= 2, `pods with claims: ${pods.map((p: Obj) => p.metadata.name).join(", ")}`);
            for (const p of pods) assert.strictEqual(p.spec.nodeName, "pin-b", `${p.metadata.namespace}/${p.metadata.name}`);
            for (const pv of getJson(["pv", "-l", "state-labs.io/prefix=pin"]).items) {
                assert.deepStrictEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: "kubernetes.io/hostname", operator: "In", values: ["pin-b"] });
            }
        });

        it("keeps a database whose node is gone Pending, saying why, instead of starting it empty elsewhere", async () => {
            const db = inNamespaces("pods", stack.namespaces).find((p: Obj) => p.metadata.name === "db-0") ?? assert.fail("no db-0");
            ok(["delete", "node", "pin-b", "--wait=true"]);
            ok(["delete", "pod", db.metadata.name, "-n", db.metadata.namespace, "--grace-period=0", "--force", "--wait=true"]);
            let reason = "";
            await until("the new db-0 to be refused by the scheduler", () => {
                const p = kubectl(["get", "pod", "db-0", "-n", db.metadata.namespace, "-o", "json"]);
                if (p.code !== 0) return "not created yet";
                const pod = JSON.parse(p.stdout);
                if (pod.spec.nodeName) return assert.fail(`db-0 started on ${pod.spec.nodeName}, away from its data`);
                const scheduled = pod.status.conditions?.find((c: Obj) => c.type === "PodScheduled");
                reason = scheduled?.message ?? "";
                return scheduled?.status === "False" && /volume node affinity conflict|didn't match PersistentVolume's node affinity/.test(reason) ? true : `PodScheduled: ${reason}`;
            });
            figures.push(`db-0 with its node gone: Pending, "${reason}"`);
            // pin-a and the suite's node stay free: still Pending a while later
            await sleep(5000);
            const pod = getJson(["pod", "db-0", "-n", db.metadata.namespace]);
            assert.strictEqual(pod.spec.nodeName, undefined);
            assert.strictEqual(pod.status.phase, "Pending");
        });

        after(() => {
            // pods bound to the deleted node would wait for the pod garbage collector
            for (const ns of stack?.namespaces ?? []) kubectl(["delete", "pods", "--all", "-n", ns, "--force", "--grace-period=0"]);
            if (stack) kubectlDown(stack, "pin");
            kubectl(["delete", "node", ...NODES, "--ignore-not-found", "--wait=true"]);
        });
    });

    it("rejects a broken manifest: a StatefulSet whose selector misses its pod labels", () => {
        const broken = {
            apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "broken", namespace: "default" },
            spec: {
                serviceName: "broken", selector: { matchLabels: { app: "one" } },
                template: { metadata: { labels: { app: "other" } }, spec: { containers: [{ name: "c", image: "busybox:1.36.1" }] } },
            },
        };
        const r = kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(broken));
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /selector.*does not match template `labels`|`selector` does not match template `labels`/);
    });

    after(() => {
        for (const f of figures) console.log(`    figure: ${f}`);
    });
});
