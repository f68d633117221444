import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT, runStack } from "../tools/mock-runtime";
import { ConfigError, KEYS, LAB_COMPUTE, LAB_PODS, LAB_STORAGE, LabCompute, PROJECT, parseConfig } from "../stacks/config";
import { imageMajor } from "../components/shared/config-rules";
import { LAB_IDS } from "../components/shared/naming";
import { check as checkDocs } from "../tools/config-docs";
import { footprintByNamespace, podCharge } from "../tools/footprint";
import { K8sObject, STACK_FILES, objects, run, withConfig } from "./objects";

const P = PROJECT;
/** The one key a hostPath stack must set (the node of its directories): the least config a stack can have. */
const NODE = { [`${PROJECT}:hostPathNode`]: "node-1" };

describe("config", () => {
    describe("Pulumi.yaml", () => {
        const declared = parseYaml(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")).config as Record<string, K8sObject>;

        it("declares defaults that the program itself accepts, given the node hostPath mode requires", () => {
            const all = Object.fromEntries(Object.entries(declared).map(([k, d]) => [`${P}:${k}`, typeof d.default === "string" ? d.default : JSON.stringify(d.default)]));
            assert.doesNotThrow(() => parseConfig({ ...all, ...NODE }));
        });
    });

    describe("generated docs (npm run docs:config)", () => {
        it("Pulumi.yaml's config block and README's key table are as the keys' declarations make them", () => {
            assert.deepStrictEqual(checkDocs(REPO_ROOT), []);
        });

        it("names each stale file and the command that fixes it (checked on a modified copy)", () => {
            const copy = fs.mkdtempSync(path.join(os.tmpdir(), "config-docs-"));
            try {
                for (const f of ["Pulumi.yaml", "README.md"]) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(copy, f));
                const stale = (f: string, from: string, to: string) => {
                    const text = fs.readFileSync(path.join(copy, f), "utf8");
                    assert.ok(text.includes(from), `${f} holds ${from}`);
                    fs.writeFileSync(path.join(copy, f), text.replace(from, to));
                };
                stale("Pulumi.yaml", "    default: 20\n", "    default: 30\n");
                assert.deepStrictEqual(checkDocs(copy), ["Pulumi.yaml is stale: its generated part differs from the keys' declarations; run npm run docs:config"]);
                stale("README.md", "| `quotaPods` | integer | `20` |", "| `quotaPods` | integer | `30` |");
                assert.deepStrictEqual(checkDocs(copy), [
                    "Pulumi.yaml is stale: its generated part differs from the keys' declarations; run npm run docs:config",
                    "README.md is stale: its generated part differs from the keys' declarations; run npm run docs:config",
                ]);
                // a key the docs do not have yet
                const added = { ...KEYS, quotaServices: { ...KEYS.quotaPods, description: "ResourceQuota: Services.", readme: "ResourceQuota: Services." } };
                fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(copy, "Pulumi.yaml"));
                fs.copyFileSync(path.join(REPO_ROOT, "README.md"), path.join(copy, "README.md"));
                assert.strictEqual(checkDocs(copy, added).length, 2);
            } finally {
                fs.rmSync(copy, { recursive: true, force: true });
            }
        });
    });

    describe("stack files", () => {
        for (const stack of STACK_FILES) {
            it(`Pulumi.${stack}.yaml is valid and holds no secrets`, () => {
                const doc = parseYaml(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
                for (const [k, v] of Object.entries<unknown>(doc.config)) {
                    assert.ok(!(v && typeof v === "object" && "secure" in v), `${k} is an encrypted value`);
                    assert.doesNotMatch(k, /password|secret|token/i);
                }
                assert.doesNotThrow(() => parseConfig(withConfig(stack)));
            });
        }

        it("dev is hostPath, nfs is nfs and dynamic is dynamic, each with its own prefix", () => {
            const [dev, nfs, dynamic] = STACK_FILES.map((s) => parseConfig(withConfig(s)));
            assert.deepStrictEqual(dev.storage, { mode: "hostPath", root: "/data/state-labs", node: "minikube" });
            assert.strictEqual(nfs.storage.mode, "nfs");
            assert.deepStrictEqual(dynamic.storage, { mode: "dynamic", provisioner: "hostpath.csi.k8s.io", parameters: {}, allowExpansion: true });
            assert.strictEqual(new Set([dev.prefix, nfs.prefix, dynamic.prefix]).size, 3);
        });
    });

    describe("parsing", () => {
        it("asks for the node of the hostPath directories when nothing is set, and for nothing else", () => {
            assert.throws(() => parseConfig({}), (e: ConfigError) => {
                assert.deepStrictEqual(e.problems, [
                    `${P}:hostPathNode: not set, but required when storageMode is hostPath; expected the name of the node that holds the volumes' directories (kubectl get nodes; minikube: minikube, kind: kind-control-plane): each PV is pinned to it`,
                ]);
                return true;
            });
        });

        it("fills every default when only the node is set", () => {
            const c = parseConfig(NODE);
            assert.strictEqual(c.prefix, "labs");
            assert.deepStrictEqual(c.labs, ["workshop", "todo", "movies", "customer", "postgres-ha"]);
            assert.deepStrictEqual(c.storage, { mode: "hostPath", root: "/data/state-labs", node: "node-1" });
            assert.strictEqual(c.keepDataOnDestroy, true);
            assert.strictEqual(c.workshop.backendImage, undefined);
        });

        it("converts Pulumi's strings to the declared types", () => {
            const c = parseConfig({ ...NODE, [`${P}:labs`]: '["todo"]', [`${P}:keepDataOnDestroy`]: "false", [`${P}:workshopPersistence`]: "false" });
            assert.deepStrictEqual(c.labs, ["todo"]);
            assert.strictEqual(c.keepDataOnDestroy, false);
            assert.strictEqual(c.workshop.persistence, false);
        });

        it("ignores other namespaces (provider config)", () => {
            assert.doesNotThrow(() => parseConfig({ ...NODE, "kubernetes:context": "minikube" }));
        });

        it("builds the nfs storage settings", () => {
            const c = parseConfig({ [`${P}:storageMode`]: "nfs", [`${P}:nfsServer`]: "10.0.0.5", [`${P}:nfsPath`]: "/exports/labs" });
            assert.deepStrictEqual(c.storage, { mode: "nfs", server: "10.0.0.5", path: "/exports/labs" });
        });

        it("accepts every Kubernetes storage quantity form we document", () => {
            for (const q of ["200Mi", "2Gi", "1Ti", "1.5Gi", "500M", "1G"]) {
                assert.doesNotThrow(() => parseConfig({ ...NODE, [`${P}:workshopDbSize`]: q, [`${P}:quotaStorage`]: "2Ti" }), q);
            }
        });
    });

    describe("bad config: one clear error, nothing registered", () => {
        const accepted = Object.keys(KEYS).join(", ");
        const dns = "a DNS-1123 label of at most 30 characters (lowercase letters, digits and '-', starting and ending with a letter or digit)";
        const root = (example: string) => `a clean absolute path that is a directory of its own, such as ${example} (not / or a system directory; no "..", "." or trailing "/")`;
        const cases: [string, Record<string, string>, string[]][] = [
            ["prefix with capitals and _", { prefix: "Dev_1" }, [`${P}:prefix: "Dev_1" is not accepted; expected ${dns}`]],
            ["prefix too long for derived names", { prefix: "a".repeat(31) }, [`${P}:prefix: "${"a".repeat(31)}" is not accepted; expected ${dns}`]],
            ["decimal byte unit", { workshopDbSize: "2GB" }, [`${P}:workshopDbSize: "2GB" is not accepted; expected a positive Kubernetes quantity such as 200Mi, 2Gi or 1Ti (did you mean "2Gi"?)`]],
            ["lowercase decimal unit", { workshopDbSize: "500mb" }, [`${P}:workshopDbSize: "500mb" is not accepted; expected a positive Kubernetes quantity such as 200Mi, 2Gi or 1Ti (did you mean "500Mi"?)`]],
            ["zero size", { workshopDbSize: "0" }, [`${P}:workshopDbSize: "0" is not accepted; expected a positive Kubernetes quantity such as 200Mi, 2Gi or 1Ti`]],
            ["unknown storage mode", { storageMode: "local" }, [`${P}:storageMode: "local" is not accepted; expected hostPath, nfs or dynamic`]],
            [
                "nfs without server and path",
                { storageMode: "nfs", nfsServer: "", nfsPath: "" },
                [
                    `${P}:nfsServer: not set, but required when storageMode is nfs; expected the NFS server's host name or IP address`,
                    `${P}:nfsPath: not set, but required when storageMode is nfs; expected the exported directory, an absolute path such as /srv/nfs/state-labs`,
                ],
            ],
            ["bad nfs server", { nfsServer: "bad host!" }, [`${P}:nfsServer: "bad host!" is not accepted; expected a host name or IP address such as 192.168.49.1 or nfs.example.internal`]],
            ["relative hostPath root", { hostPathRoot: "data" }, [`${P}:hostPathRoot: "data" is not accepted; expected ${root("/data/state-labs")}: it is not an absolute path`]],
            ["hostPath root that walks out", { hostPathRoot: "/data/../etc" }, [`${P}:hostPathRoot: "/data/../etc" is not accepted; expected ${root("/data/state-labs")}: it is not clean (it means /etc)`]],
            ["hostPath root with a trailing slash", { hostPathRoot: "/data/state-labs/" }, [`${P}:hostPathRoot: "/data/state-labs/" is not accepted; expected ${root("/data/state-labs")}: it is not clean (it means /data/state-labs)`]],
            ["hostPath root at /", { hostPathRoot: "/" }, [`${P}:hostPathRoot: "/" is not accepted; expected ${root("/data/state-labs")}: it is the root directory`]],
            ["hostPath root that is a system directory", { hostPathRoot: "/var/lib" }, [`${P}:hostPathRoot: "/var/lib" is not accepted; expected ${root("/data/state-labs")}: it is /var/lib itself, a system directory`]],
            ["hostPath root in the kubelet's tree", { hostPathRoot: "/var/lib/kubelet/labs" }, [`${P}:hostPathRoot: "/var/lib/kubelet/labs" is not accepted; expected ${root("/data/state-labs")}: it is inside /var/lib/kubelet, which belongs to the system`]],
            [
                "NFS path in the server's /etc",
                { storageMode: "nfs", nfsServer: "10.0.0.5", nfsPath: "/etc/exports.d" },
                [`${P}:nfsPath: "/etc/exports.d" is not accepted; expected ${root("/srv/nfs/state-labs")}: it is inside /etc, which belongs to the system`],
            ],
            ["unknown key", { colour: "blue" }, [`${P}:colour: unknown config key; accepted keys: ${accepted}`]],
            ["unknown lab", { labs: '["workshop","chess"]' }, [`${P}:labs[1]: "chess" is not accepted; expected one of workshop, todo, movies, customer, postgres-ha`]],
            ["labs not a list", { labs: "workshop" }, [`${P}:labs: "workshop" is not accepted; expected a list of lab names (workshop, todo, movies, customer, postgres-ha)`]],
            ["a lab twice", { labs: '["workshop","workshop"]' }, [`${P}:labs: ["workshop","workshop"] is not accepted; expected each lab at most once`]],
            ["boolean spelled yes", { keepDataOnDestroy: "yes" }, [`${P}:keepDataOnDestroy: "yes" is not accepted; expected true or false`]],
            ["storage mode in the wrong case", { storageMode: "hostpath" }, [`${P}:storageMode: "hostpath" is not accepted; expected hostPath, nfs or dynamic (did you mean "hostPath"?)`]],
            ["a key in the wrong case", { hostpathRoot: "/data/x" }, [`${P}:hostpathRoot: unknown config key (did you mean hostPathRoot?); accepted keys: ${accepted}`]],
            ["a lab spelled with _", { labs: '["postgres_ha"]' }, [`${P}:labs[0]: "postgres_ha" is not accepted; expected one of workshop, todo, movies, customer, postgres-ha (did you mean "postgres-ha"?)`]],
            ["no lab at all", { labs: "[]" }, [`${P}:labs: [] is not accepted; expected at least one lab (workshop, todo, movies, customer, postgres-ha)`]],
            [
                "an NFS server without storageMode nfs (it would silently use hostPath)",
                { nfsServer: "10.0.0.5", nfsPath: "/srv/nfs/labs" },
                [
                    `${P}:nfsServer: "10.0.0.5" is not accepted when storageMode is hostPath; it applies to storageMode nfs only: set storageMode to nfs, or remove nfsServer`,
                    `${P}:nfsPath: "/srv/nfs/labs" is not accepted when storageMode is hostPath; it applies to storageMode nfs only: set storageMode to nfs, or remove nfsPath`,
                ],
            ],
            [
                "a hostPath root in nfs mode",
                { storageMode: "nfs", nfsServer: "10.0.0.5", nfsPath: "/srv/nfs/labs", hostPathRoot: "/data/labs", hostPathNode: "" },
                [`${P}:hostPathRoot: "/data/labs" is not accepted when storageMode is nfs; it applies to storageMode hostPath only: set storageMode to hostPath, or remove hostPathRoot`],
            ],
            [
                "a hostPath node in nfs mode, and one that is no node name",
                { storageMode: "nfs", nfsServer: "10.0.0.5", nfsPath: "/srv/nfs/labs", hostPathNode: "Node_1" },
                [`${P}:hostPathNode: "Node_1" is not accepted; expected a node name as \`kubectl get nodes\` shows it, such as minikube or kind-control-plane (lowercase letters, digits, '-' and '.', at most 63 characters)`],
            ],
            [
                "dynamic mode without a provisioner, and hostPath's keys beside it",
                { storageMode: "dynamic", hostPathNode: "", hostPathRoot: "/srv/x" },
                [
                    `${P}:storageProvisioner: not set, but required when storageMode is dynamic; expected the provisioner of the class your volumes should be made like, as kubectl get storageclass shows it (minikube's csi-hostpath-driver addon: hostpath.csi.k8s.io)`,
                ],
            ],
            [
                "dynamic keys in hostPath mode; a parameter twice, one without '='",
                { storageProvisioner: "ebs.csi.aws.com", storageAllowExpansion: "false" },
                [
                    `${P}:storageProvisioner: "ebs.csi.aws.com" is not accepted when storageMode is hostPath; it applies to storageMode dynamic only: set storageMode to dynamic, or remove storageProvisioner`,
                    `${P}:storageAllowExpansion: false is not accepted when storageMode is hostPath; it applies to storageMode dynamic only: set storageMode to dynamic, or remove storageAllowExpansion`,
                ],
            ],
            [
                "storage class parameters that are not key=value entries with distinct keys",
                { storageMode: "dynamic", hostPathNode: "", storageProvisioner: "ebs.csi.aws.com", storageClassParameters: '["type=gp3","type=io2","iops"]' },
                [
                    `${P}:storageClassParameters[2]: "iops" is not accepted; expected a key=value entry such as type=gp3`,
                    `${P}:storageClassParameters: ["type=gp3","type=io2","iops"] is not accepted; expected each key at most once (type is given twice)`,
                ],
            ],
            [
                "an NFS stack as the engine hands it over, Pulumi.yaml's defaults included, passes: only a hostPathRoot of its own is refused",
                { storageMode: "nfs", nfsServer: "10.0.0.5", nfsPath: "/srv/nfs/labs", hostPathRoot: "/data/state-labs", hostPathNode: "", quotaPods: "3" },
                [`${P}:quotaPods: 3 is not accepted; expected at least 5, the pods lab movies runs at once in one namespace (moviesMongoReplicas, moviesCatalogImage); raise quotaPods or lower those counts`],
            ],
            [
                "Grafana older than 10",
                { grafanaImage: "grafana/grafana:9.5.3" },
                [`${P}:grafanaImage: "grafana/grafana:9.5.3" is not accepted; expected Grafana 10 or newer (the lab resets the admin password from its Secret with grafana cli's --password-from-stdin), such as grafana/grafana:11.2.0`],
            ],
            [
                "a pods quota below what a lab runs",
                { quotaPods: "4" },
                [`${P}:quotaPods: 4 is not accepted; expected at least 5, the pods lab movies runs at once in one namespace (moviesMongoReplicas, moviesCatalogImage); raise quotaPods or lower those counts`],
            ],
            ["a negative credentials generation", { todoCredentialsGeneration: "-1" }, [`${P}:todoCredentialsGeneration: -1 is not accepted; expected an integer from 0 to 1000000`]],
            ["unpinned image", { postgresImage: "postgres" }, [`${P}:postgresImage: "postgres" is not accepted; expected a pinned image reference such as postgres:17.6 (a tag or digest is required)`]],
            [
                "PostgreSQL 18, whose data layout the labs do not mount",
                { postgresImage: "postgres:18.1-bookworm" },
                [`${P}:postgresImage: "postgres:18.1-bookworm" is not accepted; expected PostgreSQL 17 or older (18 moved PGDATA to /var/lib/postgresql/18/docker and wants its volume at /var/lib/postgresql; the labs mount /var/lib/postgresql/data), such as postgres:17.6`],
            ],
            [
                "MongoDB without mongosh",
                { mongoImage: "docker.io/library/mongo:4.4.29" },
                [`${P}:mongoImage: "docker.io/library/mongo:4.4.29" is not accepted; expected MongoDB 5.0 or newer (the labs run mongosh, which older images lack), such as mongo:7.0.14`],
            ],
            [
                "a quota too small for a lab's claims",
                { quotaStorage: "5Gi" },
                [`${P}:quotaStorage: "5Gi" is not accepted; expected at least 8Gi, what lab movies claims in one namespace (moviesMongoSize × moviesMongoReplicas + moviesGrafanaSize); raise quotaStorage or lower those sizes`],
            ],
            [
                "sizes grown past the default quota",
                { postgresHaSize: "8Gi" },
                [`${P}:quotaStorage: "20Gi" (the default) is not accepted; expected at least 24Gi, what lab postgres-ha claims in one namespace (postgresHaSize × postgresHaReplicas); raise quotaStorage or lower those sizes`],
            ],
            [
                "a memory requests quota below what a lab's containers request",
                { quotaMemoryRequests: "1Gi" },
                [`${P}:quotaMemoryRequests: "1Gi" is not accepted; expected at least 1152Mi, the memory its containers request lab movies runs at once in one namespace (moviesMongoReplicas, moviesCatalogImage); raise quotaMemoryRequests or lower those counts`],
            ],
            [
                "CPU quotas below what two labs run",
                { quotaCpuRequests: "300m", quotaCpuLimits: "3" },
                [
                    `${P}:quotaCpuRequests: "300m" is not accepted; expected at least 450m, the CPU its containers request lab movies runs at once in one namespace (moviesMongoReplicas, moviesCatalogImage); raise quotaCpuRequests or lower those counts`,
                    `${P}:quotaCpuLimits: "3" is not accepted; expected at least 4500m, the CPU limits of its containers lab movies runs at once in one namespace (moviesMongoReplicas, moviesCatalogImage); raise quotaCpuLimits or lower those counts`,
                ],
            ],
            [
                "a memory limits quota below what a lab's replicas are allowed",
                { postgresHaReplicas: "10", quotaMemoryLimits: "4Gi" },
                [`${P}:quotaMemoryLimits: "4Gi" is not accepted; expected at least 5Gi, the memory limits of its containers lab postgres-ha runs at once in one namespace (postgresHaReplicas); raise quotaMemoryLimits or lower those counts`],
            ],
            [
                "a container default the quota could never admit",
                { defaultMemoryRequest: "5Gi", defaultMemoryLimit: "6Gi" },
                [`${P}:defaultMemoryRequest: "5Gi" is not accepted; expected at most 4Gi, the quotaMemoryRequests of each namespace: a container given this default could never start`],
            ],
            ["CPU quota in words", { quotaCpuRequests: "2 cores" }, [`${P}:quotaCpuRequests: "2 cores" is not accepted; expected a positive Kubernetes quantity such as 500m or 2 (cores)`]],
            ["pods quota zero", { quotaPods: "0" }, [`${P}:quotaPods: 0 is not accepted; expected an integer from 1 to 1000`]],
            ["default request above default limit", { defaultCpuRequest: "1" }, [`${P}:defaultCpuRequest: "1" is not accepted; expected at most defaultCpuLimit (500m)`]],
            ["API server not https", { studentApiServer: "http://10.0.0.1:8080" }, [`${P}:studentApiServer: "http://10.0.0.1:8080" is not accepted; expected an https URL of the Kubernetes API server as students reach it, such as https://192.168.49.2:8443, or "" for the server of the current kubeconfig context`]],
            [
                "several problems at once",
                { prefix: "-x", workshopDbSize: "1GB" },
                [
                    `${P}:prefix: "-x" is not accepted; expected ${dns}`,
                    `${P}:workshopDbSize: "1GB" is not accepted; expected a positive Kubernetes quantity such as 200Mi, 2Gi or 1Ti (did you mean "1Gi"?)`,
                ],
            ],
        ];
        for (const [title, overrides, problems] of cases) {
            it(title, async () => {
                const config = withConfig("dev");
                for (const [k, v] of Object.entries(overrides)) config[`${P}:${k}`] = v;
                const r = await runStack(config, "dev");
                assert.ok(r.error instanceof ConfigError, `expected a ConfigError, got ${r.error}`);
                assert.deepStrictEqual(r.error.problems, problems);
                assert.strictEqual(r.error.message, `invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
                assert.deepStrictEqual(r.resources, [], "no resource may be registered");
            });
        }
    });

    describe("storage each lab claims (LAB_STORAGE), the quota check's table", () => {
        for (const overrides of [{}, { moviesMongoReplicas: 5, moviesMongoSize: "3Gi", postgresHaReplicas: 4, postgresHaSize: "1Gi", workshopPersistence: false, quotaStorage: "40Gi" }]) {
            it(`matches what the labs really claim, per namespace (${JSON.stringify(overrides)})`, async () => {
                const config = parseConfig(withConfig("dev", overrides));
                for (const lab of LAB_IDS) {
                    const objs = objects(await run("dev", { ...overrides, labs: [lab] }));
                    const claimed = Object.values(footprintByNamespace(objs)).map((f) => f.storage).filter((b) => b > 0);
                    assert.deepStrictEqual(claimed, [LAB_STORAGE[lab].bytes(config)], lab);
                }
            });
        }
    });
});

/**
 * What each namespace of a run holds at once, as quota admission charges it: replicas, a Job
 * beside them, one surge pod per Deployment. An NFS directory's Job finishes before the workload
 * of its claim starts, so it is not counted.
 */
function usePerNamespace(objs: K8sObject[]): Record<string, LabCompute> {
    const perNs: Record<string, LabCompute> = {};
    for (const w of objs.filter((x) => ["StatefulSet", "Deployment", "Job"].includes(x.kind))) {
        if (w.kind === "Job" && w.metadata.name.startsWith("mkdir-")) continue;
        const n = w.kind === "Job" ? 1 : (w.spec.replicas ?? 1) + (w.kind === "Deployment" ? 1 : 0);
        const at = (perNs[w.metadata.namespace] ??= { pods: 0, cpuRequests: 0, cpuLimits: 0, memoryRequests: 0, memoryLimits: 0 });
        const spec = w.spec.template.spec;
        at.pods += n;
        at.cpuRequests += n * podCharge(spec, "requests", "cpu");
        at.cpuLimits += n * podCharge(spec, "limits", "cpu");
        at.memoryRequests += n * podCharge(spec, "requests", "memory");
        at.memoryLimits += n * podCharge(spec, "limits", "memory");
    }
    return perNs;
}

describe("what each lab runs at once (LAB_PODS, LAB_COMPUTE), the pods, CPU and memory quota checks' table", () => {
    const overrides = [
        {},
        { moviesMongoReplicas: 5, postgresHaReplicas: 4, moviesCatalogImage: "r.example/c:1", workshopBackendImage: "r.example/w:1", customerBackendImage: "r.example/j:1" },
        { storageMode: "nfs", nfsServer: "10.0.0.5", nfsPath: "/srv/nfs/labs", hostPathRoot: undefined, hostPathNode: undefined },
    ];
    for (const o of overrides) {
        it(`matches the labs' objects: replicas, Jobs beside them, one surge pod per Deployment (${JSON.stringify(o)})`, async () => {
            const config = parseConfig(withConfig("dev", o));
            for (const lab of LAB_IDS) {
                const perNs = Object.values(usePerNamespace(objects(await run("dev", { ...o, labs: [lab] }))));
                assert.strictEqual(Math.max(...perNs.map((x) => x.pods)), LAB_PODS[lab].pods(config), lab);
                const need = LAB_COMPUTE[lab].need(config);
                for (const k of ["cpuRequests", "cpuLimits", "memoryRequests", "memoryLimits"] as const) {
                    assert.ok(Math.abs(Math.max(...perNs.map((x) => x[k])) - need[k]) < 1e-9, `${lab} ${k}: objects ${JSON.stringify(perNs)}, table ${need[k]}`);
                }
            }
        });
    }
});

describe("imageMajor", () => {
    it("reads the major version of the named image from its tag, on any registry, and nothing else", () => {
        const cases: [string, string, number | undefined][] = [
            ["postgres:17.6", "postgres", 17],
            ["postgres:18", "postgres", 18],
            ["registry.example/team/postgres:18.1-bookworm@sha256:" + "a".repeat(64), "postgres", 18],
            ["state-labs.local/postgres:15-bookworm", "postgres", 15],
            ["bitnami/postgresql:16.4.0", "postgres", undefined],
            ["postgres:latest-alpine", "postgres", undefined],
            ["postgres@sha256:" + "b".repeat(64), "postgres", undefined],
            ["mongo:4.4.29", "mongo", 4],
            ["mongo:7.0.14", "postgres", undefined],
        ];
        for (const [ref, name, major] of cases) assert.strictEqual(imageMajor(ref, name), major, `${ref} as ${name}`);
    });
});
