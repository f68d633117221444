import * as assert from "assert";
import { runStack } from "../tools/mock-runtime";
import { objects, ofKind, one, resourcesOfType, run, withConfig } from "./objects";

const DYNAMIC = { storageProvisioner: "ebs.csi.aws.com", storageClassParameters: ["type=gp3", "encrypted=true"] };

describe("dynamic storage", () => {
    it("makes volumes through a StorageClass of the stack's own: the provisioner and parameters given, Retain, made where the pod is scheduled", async () => {
        const objs = objects(await run("dynamic", DYNAMIC));
        const classes = ofKind(objs, "StorageClass");
        assert.strictEqual(classes.length, 1);
        const cls = classes[0];
        assert.strictEqual(cls.metadata.name, "dynamic-labs-dynamic");
        assert.strictEqual(cls.provisioner, "ebs.csi.aws.com");
        assert.deepStrictEqual(cls.parameters, { type: "gp3", encrypted: "true" });
        assert.strictEqual(cls.reclaimPolicy, "Retain");
        assert.strictEqual(cls.volumeBindingMode, "WaitForFirstConsumer");
        assert.strictEqual(cls.allowVolumeExpansion, true);
        assert.deepStrictEqual(ofKind(objs, "PersistentVolume"), []);
    });

    it("keeps the claims the seeds name, each asking the stack's class, retained on destroy and created after the class", async () => {
        const r = await run("dynamic");
        const objs = objects(r);
        for (const [name, ns] of [["db-data", "dynamic-kubernetes-ws-2"], ["postgres-pvc", "dynamic-postgres"], ["pg-pv-claim", "dynamic-customer"]]) {
            const claim = one(objs, "PersistentVolumeClaim", name, ns);
            assert.strictEqual(claim.spec.storageClassName, "dynamic-labs-dynamic", name);
            assert.strictEqual(claim.spec.volumeName, undefined, `${name}: no PV is chosen for it`);
        }
        for (const res of r.resources.filter((x) => x.type === "kubernetes:core/v1:PersistentVolumeClaim")) {
            assert.strictEqual(res.options.retainOnDelete, true, res.name);
            assert.ok(res.waitsFor.includes("kubernetes:storage.k8s.io/v1:StorageClass::storage"), `${res.name} waits for ${res.waitsFor.join(", ")}`);
        }
    });

    describe("growth", () => {
        const grow = { workshopDbSize: "3Gi", postgresHaSize: "2Gi" };

        it("patches each claim to a raised size and replaces or updates nothing else; says a pod restart finishes the file system", async () => {
            const first = await runStack(withConfig("dynamic"), "dynamic");
            const grown = await runStack(withConfig("dynamic", grow), "dynamic", first);
            if (grown.error) throw grown.error;
            const patch = (r: typeof grown, ns: string, claim: string) =>
                resourcesOfType(r, "PersistentVolumeClaimPatch").find((p) => p.inputs.metadata.namespace === ns && p.inputs.metadata.name === claim)?.inputs.spec.resources.requests.storage;
            assert.strictEqual(patch(grown, "dynamic-kubernetes-ws-2", "db-data"), "3Gi");
            // forced over the claim's creator, and not awaited: a Bound claim of a WaitForFirstConsumer class never goes back to Pending
            // and kept on delete: the provider refuses to delete a patch that manages a required field (a destroy would fail)
            for (const p of resourcesOfType(grown, "PersistentVolumeClaimPatch")) {
                assert.deepStrictEqual(p.inputs.metadata.annotations, { "pulumi.com/patchForce": "true", "pulumi.com/skipAwait": "true" }, p.name);
                assert.strictEqual(p.options.retainOnDelete, true, p.name);
            }
            for (const i of [0, 1, 2]) assert.strictEqual(patch(grown, "dynamic-postgres-ha", `postgres-data-postgres-sts-${i}`), "2Gi");
            // every other resource, the claims and StatefulSets included, has the inputs it had
            const inputs = (r: typeof grown) => new Map(r.resources.filter((x) => !x.type.endsWith("Patch")).map((x) => [`${x.type}::${x.name}`, JSON.stringify(x.inputs)]));
            const [before, after] = [inputs(first), inputs(grown)];
            const changed = [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
            assert.deepStrictEqual(changed, []);
            for (const what of ["claim db-data: asks for 3Gi, created at 1Gi", "StatefulSet postgres-sts claims postgres-data-*: asks for 2Gi, created at 200Mi"]) {
                const w = grown.warnings.find((x) => x.includes(what)) ?? assert.fail(`no word on ${what}: ${grown.warnings.join("\n")}`);
                assert.match(w, /grown in place .* FileSystemResizePending .* kubectl delete pod <pod> finishes it/);
            }
        });

        it("is refused with a warning, and no patch, where the class does not expand", async () => {
            const fixed = { storageAllowExpansion: false };
            const first = await runStack(withConfig("dynamic", fixed), "dynamic");
            const grown = await runStack(withConfig("dynamic", { ...fixed, ...grow }), "dynamic", first);
            assert.strictEqual(ofKind(objects(grown), "StorageClass")[0].allowVolumeExpansion, false);
            assert.deepStrictEqual(resourcesOfType(grown, "PersistentVolumeClaimPatch"), []);
            assert.ok(
                grown.warnings.some((w) => w.includes("claim db-data: config asks for 3Gi but the claim holds 1Gi; the stack's StorageClass dynamic-labs-dynamic says allowVolumeExpansion: false")),
                grown.warnings.join("\n"),
            );
        });
    });
});
