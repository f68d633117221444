import * as assert from "assert";
import { HOSTNAME_LABEL } from "../components/storage/hostpath-storage";
import { StackRun, runStack } from "../tools/mock-runtime";
import { objects, ofKind, run, withConfig } from "./objects";

describe("hostPath storage", () => {
    it("pins every PV to the node of hostPathNode, by its hostname label, and keeps a live PV's affinity as it is", async () => {
        const r = await run("dev", { hostPathNode: "node-b" });
        const pvs = ofKind(objects(r), "PersistentVolume");
        assert.ok(pvs.length >= 8);
        for (const pv of pvs) {
            assert.deepStrictEqual(pv.spec.nodeAffinity, { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: ["node-b"] }] }] } }, pv.metadata.name);
        }
        for (const res of r.resources.filter((x) => x.type === "kubernetes:core/v1:PersistentVolume")) {
            assert.ok(res.options.ignoreChanges?.includes("spec.nodeAffinity"), `${res.name}: an immutable affinity would replace a bound PV`);
        }
        assert.deepStrictEqual(r.warnings.filter((w) => w.includes("pinned")), []);
    });

    it("pins nothing on NFS, which every node reaches", async () => {
        for (const pv of ofKind(objects(await run("nfs")), "PersistentVolume")) assert.strictEqual(pv.spec.nodeAffinity, undefined, pv.metadata.name);
    });

    it("warns, naming each PV, when PVs deployed before the pinning are kept unpinned on the next up", async () => {
        const pinned = await run("dev");
        // the same stack as an older program left it: PVs without affinity
        const before: StackRun = structuredClone(pinned);
        const unpinned = before.resources.filter((x) => x.type === "kubernetes:core/v1:PersistentVolume");
        for (const pv of unpinned) delete (pv.inputs.spec as { nodeAffinity?: unknown }).nodeAffinity;
        const next = await runStack(withConfig("dev"), "dev", before);
        if (next.error) throw next.error;
        const warned = next.warnings.filter((w) => w.includes("was created before hostPath volumes were pinned to a node"));
        assert.strictEqual(warned.length, unpinned.length, next.warnings.join("\n"));
        for (const pv of ofKind(objects(next), "PersistentVolume")) {
            assert.strictEqual(pv.spec.nodeAffinity, undefined, `${pv.metadata.name}: the live PV's affinity was kept`);
            assert.ok(warned.some((w) => w.includes(`PV ${pv.metadata.name} `)), pv.metadata.name);
        }
    });
});
