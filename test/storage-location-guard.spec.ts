import * as assert from "assert";
import { LocationRecord, locationChangeProblem } from "../components/storage/storage-location-guard";
import { storageLocation } from "../stacks/program";
import { parseConfig } from "../stacks/config";
import { objects, ofKind, run, withConfig } from "./objects";

const hostPath = (over: Record<string, string> = {}): LocationRecord => ({
    location: { prefix: "dev", storageMode: "hostPath", hostPathRoot: "/data/state-labs", hostPathNode: "minikube", ...over },
    volumes: [
        { lab: "workshop", volume: "PV dev-db-data" },
        { lab: "customer", volume: "PV dev-local-pv-1" },
    ],
});

describe("storage location guard", () => {
    describe("locationChangeProblem (the provider's check)", () => {
        it("lets a stack be created, and an unchanged location pass, whatever the volumes do", () => {
            assert.strictEqual(locationChangeProblem({}, hostPath()), undefined, "first up: nothing recorded");
            assert.strictEqual(locationChangeProblem(undefined, hostPath()), undefined);
            assert.strictEqual(locationChangeProblem(hostPath(), hostPath()), undefined);
            // a lab added or removed is not a move: its volumes come or stay as keepDataOnDestroy says
            assert.strictEqual(locationChangeProblem(hostPath(), { ...hostPath(), volumes: [] }), undefined);
            assert.strictEqual(locationChangeProblem({ ...hostPath(), volumes: [] }, hostPath({ hostPathRoot: "/srv/x" })), undefined, "no volume lived there");
            // recorded by a program that did not know a key yet: the key is not a move
            const older = hostPath();
            delete older.location.hostPathNode;
            assert.strictEqual(locationChangeProblem(older, hostPath()), undefined, "a key new to the record");
        });

        for (const [key, value] of [["hostPathRoot", "/data/other"], ["hostPathNode", "node-2"], ["prefix", "ada"], ["storageMode", "nfs"]] as const) {
            it(`refuses a change of ${key}, naming the key, both values and the volumes left behind`, () => {
                const problem = locationChangeProblem(hostPath(), hostPath({ [key]: value }));
                assert.ok(problem, "refused");
                const old = hostPath().location[key];
                assert.ok(problem.includes(`${key} ${JSON.stringify(old)} -> ${JSON.stringify(value)}`), problem);
                assert.match(problem, /2 volume\(s\) PV dev-db-data \(workshop\), PV dev-local-pv-1 \(customer\) keep their data at the old location/);
                assert.match(problem, /Nothing was changed\. Set the key\(s\) back/);
                assert.match(problem, /"Moving data"/);
            });
        }

        it("names every changed key of a mode switch, and the keys that appear or vanish", () => {
            const nfs: LocationRecord = { location: { prefix: "dev", storageMode: "nfs", nfsServer: "10.0.0.5", nfsPath: "/srv/nfs" }, volumes: [] };
            const problem = locationChangeProblem(hostPath(), nfs) ?? assert.fail("refused");
            for (const part of ['storageMode "hostPath" -> "nfs"', 'hostPathRoot "/data/state-labs" -> (not set)', 'nfsServer (not set) -> "10.0.0.5"', 'nfsPath (not set) -> "/srv/nfs"']) {
                assert.ok(problem.includes(part), `${part} in ${problem}`);
            }
        });

        it("names at most eight volumes and counts the rest", () => {
            const many: LocationRecord = { ...hostPath(), volumes: Array.from({ length: 11 }, (_, i) => ({ lab: "movies", volume: `PV v${i}` })) };
            const problem = locationChangeProblem(many, hostPath({ prefix: "x" })) ?? assert.fail("refused");
            assert.match(problem, /11 volume\(s\) PV v0 \(movies\),.*PV v7 \(movies\) and 3 more keep/);
            assert.doesNotMatch(problem, /PV v8/);
        });
    });

    describe("in the stack", () => {
        it("records the keys of the stack's mode and every PV the labs ask for, and every Kubernetes resource waits for it", async () => {
            const r = await run("dev");
            const record = r.resources.find((x) => x.type === "pulumi-nodejs:dynamic:Resource" && x.name === "storage-location-record") ?? assert.fail("no guard record");
            assert.deepStrictEqual(record.inputs.location, storageLocation(parseConfig(withConfig("dev"))));
            assert.deepStrictEqual(record.inputs.location, { prefix: "dev", storageMode: "hostPath", hostPathRoot: "/data/state-labs", hostPathNode: "minikube" });
            const pvs = ofKind(objects(r), "PersistentVolume").map((pv) => `PV ${pv.metadata.name}`);
            assert.ok(pvs.length >= 8);
            assert.deepStrictEqual((record.inputs.volumes as { volume: string }[]).map((v) => v.volume).sort(), pvs.sort());
            const provider = r.resources.find((x) => x.type === "pulumi:providers:kubernetes") ?? assert.fail("no provider");
            assert.ok(provider.waitsFor.includes("pulumi-nodejs:dynamic:Resource::storage-location-record"), `the provider waits for ${provider.waitsFor.join(", ")}`);
            const kubernetes = r.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"));
            assert.ok(kubernetes.length > 50);
            for (const x of kubernetes) assert.match(x.provider ?? "", /::pulumi:providers:kubernetes::k8s::/, `${x.type} ${x.name} is not created through the provider that waits`);
        });

        it("records an nfs stack by its server and path", async () => {
            const r = await run("nfs");
            const record = r.resources.find((x) => x.name === "storage-location-record") ?? assert.fail("no guard record");
            assert.deepStrictEqual(record.inputs.location, { prefix: "nfs", storageMode: "nfs", nfsServer: "192.168.49.1", nfsPath: "/srv/nfs/state-labs" });
        });
    });
});
