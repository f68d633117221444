// The real engine suite (part of `npm run test:cluster`): `pulumi up` of every stack file,
// with the CLI, language host and providers built by sandbox/engine/toolchain.sh, against a
// fresh local control plane. sandbox/cluster/test.sh sources sandbox/engine/env.sh first
// (offline: file backend, passphrase secrets, no downloads) and sets KUBECONFIG.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { parse as parseYaml, stringify } from "yaml";
import { Applied, Obj, PulumiRun, clusterNode, deleteKept, getJson, inNamespaces, kubectl, projectAt, pinStackFile, projectCopy, pulumiCli, render, waitBoundAndReady } from "./kube";

const STACKS = ["dev", "nfs"];
const STEP_MS = 15 * 60 * 1000;

const WORK = projectCopy();
const pulumi = (stack: string, ...args: string[]) => pulumiCli(WORK, stack, ...args);

/** A pulumi command that must succeed, in `cwd` (a project directory). */
function mustIn(cwd: string, stack: string, ...args: string[]): PulumiRun {
    const r = pulumiCli(cwd, stack, ...args);
    assert.strictEqual(r.code, 0, `pulumi ${args.join(" ")} --stack ${stack} in ${cwd} failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    return r;
}

const must = (stack: string, ...args: string[]) => mustIn(WORK, stack, ...args);

interface Step {
    op: string;
    urn: string;
    /** The resource's state as planned: custom is false for a component (nothing in the cluster). */
    newState?: { custom?: boolean; inputs?: Obj };
    oldState?: { inputs?: Obj };
}

/** The steps a preview of the current program plans, with each resource's type. */
function plannedSteps(stack: string): (Step & { type: string; name: string })[] {
    const r = must(stack, "preview", "--json");
    const steps: Step[] = JSON.parse(r.stdout).steps ?? [];
    return steps.map((s) => {
        const parts = s.urn.split("::");
        return { ...s, type: parts[2].split("$").pop()!, name: parts[3] };
    });
}

const DESTRUCTIVE = ["replace", "create-replacement", "delete-replaced", "delete", "discard", "discard-replaced"];
const STORAGE = /^kubernetes:(apps\/v1:StatefulSet|core\/v1:PersistentVolume|core\/v1:PersistentVolumeClaim|core\/v1:Namespace)$/;

const figures: string[] = [];
/** Prints the figures gathered so far, once. */
const printFigures = () => figures.splice(0).forEach((f) => console.log(`    figure: ${f}`));

describe("engine: pulumi up of every stack against the local control plane", function () {
    this.timeout(STEP_MS * 2);
    const applied: Record<string, Applied> = {};

    before(async () => {
        for (const stack of STACKS) {
            must(stack, "stack", "init", "--secrets-provider", "passphrase");
            const up = must(stack, "up", "--yes", "--skip-preview");
            figures.push(`pulumi up ${stack} from empty: ${up.seconds.toFixed(1)} s`);
            const objects = (await render(stack)).map((f) => f.object);
            applied[stack] = { objects, namespaces: objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name), warnings: "", applySeconds: up.seconds };
        }
    });

    it("runs two stacks with different prefixes on one cluster at once, each whole: objects, bound claims, ready pods", async () => {
        for (const stack of STACKS) {
            const a = applied[stack];
            for (const o of a.objects) {
                const where = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
                assert.strictEqual(kubectl(["get", o.kind.toLowerCase(), o.metadata.name, ...where, "-o", "name"]).code, 0, `${stack}: ${o.kind} ${o.metadata.name} missing`);
            }
            await waitBoundAndReady(a);
            const pvs = getJson(["pv", "-l", `state-labs.io/prefix=${stack}`]).items;
            for (const c of inNamespaces("pvc", a.namespaces)) {
                assert.ok(pvs.some((pv: Obj) => pv.metadata.name === c.spec.volumeName && pv.spec.claimRef.uid === c.metadata.uid), `${c.metadata.name}`);
            }
        }
    });

    it("is idempotent: a second preview plans no change", () => {
        for (const stack of STACKS) {
            const r = must(stack, "preview", "--expect-no-changes");
            figures.push(`pulumi preview (no change) ${stack}: ${r.seconds.toFixed(1)} s`);
        }
        const again = must("dev", "up", "--yes", "--skip-preview");
        figures.push(`pulumi up dev, nothing to change: ${again.seconds.toFixed(1)} s`);
    });

    it("does not type-check at deploy time: a type error alone does not stop a preview, an edit is deployed without a rebuild step, and no ts-node is loaded", () => {
        const index = path.join(WORK, "stacks", "index.ts");
        const original = fs.readFileSync(index, "utf8");
        // tsHook: whether the program's process has a .ts loader (ts-node's), i.e. whether Pulumi.yaml's typescript: false reached the host
        const edited = original.replace(
            "export = program(loadConfig());",
            'const typeOnly: number = "a type error" as unknown as string;\nexport = { ...program(loadConfig()), typeOnly, tsHook: typeof require.extensions[".ts"] };',
        );
        assert.notStrictEqual(edited, original);
        fs.writeFileSync(index, edited);
        try {
            const r = must("dev", "preview", "--diff");
            assert.doesNotMatch(r.stdout + r.stderr, /TS2322|error TS/);
            assert.match(r.stdout, /typeOnly\s*:\s*"a type error"/, "the edited program, not a stale bin/, was run");
            assert.match(r.stdout, /tsHook\s*:\s*"undefined"/, "the program ran as JavaScript with no ts-node hook");
        } finally {
            fs.writeFileSync(index, original);
        }
        must("dev", "preview", "--expect-no-changes");
    });

    it("keeps generated passwords secret in the state and in the outputs", () => {
        const secret = getJson(["secret", "db-credentials", "-n", "dev-kubernetes-ws-2"]);
        const password = Buffer.from(secret.data.password, "base64").toString();
        assert.ok(password.length >= 24);
        const state = must("dev", "stack", "export").stdout;
        assert.ok(!state.includes(password), "the password is in the state in plaintext");
        assert.match(state, /"ciphertext"/);
        const outputs = must("dev", "stack", "output", "--json").stdout;
        assert.ok(!outputs.includes(password));
        assert.match(outputs, /"databaseUrl": "\[secret\]"/);
        assert.ok(must("dev", "stack", "output", "--json", "--show-secrets").stdout.includes(password), "the output does carry it, as a secret");
    });

    it("grows a volume with updates only: no replacement or deletion of a StatefulSet, PV, claim or namespace", () => {
        must("dev", "config", "set", "state-labs:postgresHaSize", "500Mi");
        const steps = plannedSteps("dev");
        const bad = steps.filter((s) => DESTRUCTIVE.includes(s.op));
        assert.deepStrictEqual(bad.map((s) => `${s.op} ${s.type} ${s.name}`), []);
        const pvUpdates = steps.filter((s) => s.type === "kubernetes:core/v1:PersistentVolume" && s.op === "update").map((s) => s.name).sort();
        assert.deepStrictEqual(pvUpdates, [0, 1, 2].map((i) => `postgres-ha-postgres-pv-${i}`));
        assert.deepStrictEqual(steps.filter((s) => STORAGE.test(s.type) && s.type !== "kubernetes:core/v1:PersistentVolume" && s.op !== "same").map((s) => s.name), []);
        const up = must("dev", "up", "--yes", "--skip-preview");
        assert.match(up.stdout, /StatefulSet postgres-sts claims postgres-data-\*: config asks for 500Mi but the claim holds 200Mi/);
        assert.strictEqual(getJson(["pv", "dev-postgres-data-postgres-sts-0"]).spec.capacity.storage, "500Mi");
        assert.strictEqual(getJson(["pvc", "postgres-data-postgres-sts-0", "-n", "dev-postgres-ha"]).status.phase, "Bound");
    });

    it("updates the workload, not its storage, when an image tag changes", () => {
        must("dev", "config", "set", "state-labs:grafanaImage", "grafana/grafana:11.2.1");
        const steps = plannedSteps("dev");
        assert.deepStrictEqual(steps.filter((s) => DESTRUCTIVE.includes(s.op)).map((s) => `${s.op} ${s.type} ${s.name}`), []);
        assert.deepStrictEqual(steps.filter((s) => s.op === "update").map((s) => `${s.type} ${s.name}`), ["kubernetes:apps/v1:StatefulSet movies-grafana"]);
        must("dev", "up", "--yes", "--skip-preview");
        assert.strictEqual(getJson(["statefulset", "grafana", "-n", "dev-movies"]).spec.template.spec.containers[0].image, "grafana/grafana:11.2.1");
    });

    it("rotates one lab's passwords on purpose: new values, the Secret and its readers updated, storage untouched; then plans nothing", () => {
        const before = getJson(["secret", "database-secret", "-n", "dev-postgres-ha"]).data;
        must("dev", "config", "set", "state-labs:postgresHaCredentialsGeneration", "1");
        const steps = plannedSteps("dev").filter((s) => s.op !== "same");
        assert.deepStrictEqual(
            steps.map((s) => `${s.op} ${s.type} ${s.name}`).sort(),
            [
                "replace random:index/randomPassword:RandomPassword postgres-ha-database-secret-postgres-pass",
                "replace random:index/randomPassword:RandomPassword postgres-ha-database-secret-replication-pass",
                "update kubernetes:apps/v1:StatefulSet postgres-ha-postgres",
                "update kubernetes:core/v1:Secret postgres-ha-database-secret",
            ],
        );
        must("dev", "up", "--yes", "--skip-preview");
        const after = getJson(["secret", "database-secret", "-n", "dev-postgres-ha"]).data;
        for (const key of ["postgres-pass", "replication-pass"]) assert.notStrictEqual(after[key], before[key], key);
        assert.strictEqual(getJson(["statefulset", "postgres-sts", "-n", "dev-postgres-ha"]).spec.template.metadata.annotations["state-labs.io/credentials-generation"], "1");
        const r = must("dev", "preview", "--expect-no-changes");
        figures.push(`pulumi preview (no change, after a rotation) dev: ${r.seconds.toFixed(1)} s`);
    });

    it("refuses to move a live stack's data: preview and up fail naming the key and the volumes, and nothing is touched", () => {
        const a = applied.dev;
        // every object's resourceVersion: any write, even a no-op update, would change one
        const versions = () => {
            const namespaced = inNamespaces("pvc,statefulset,deployment,service,secret,configmap,job,networkpolicy", a.namespaces.filter((n) => kubectl(["get", "ns", n]).code === 0));
            const cluster = getJson(["pv,storageclass,namespace", "-l", "state-labs.io/prefix=dev"]).items;
            return Object.fromEntries([...namespaced, ...cluster].map((o: Obj) => [`${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`, o.metadata.resourceVersion]));
        };
        const before = versions();
        const node = clusterNode();
        for (const [key, value, was] of [["hostPathRoot", "/data/elsewhere", "/data/state-labs"], ["hostPathNode", "another-node", node]]) {
            must("dev", "config", "set", `state-labs:${key}`, value);
            const t0 = Date.now();
            const preview = pulumi("dev", "preview");
            figures.push(`pulumi preview dev refusing a change of ${key}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
            const up = pulumi("dev", "up", "--yes", "--skip-preview");
            for (const [what, r] of [["preview", preview], ["up", up]] as const) {
                assert.notStrictEqual(r.code, 0, `${what} went ahead with ${key} changed`);
                const out = r.stdout + r.stderr;
                assert.ok(out.includes(`the stack's data would move: ${key} ${JSON.stringify(was)} -> ${JSON.stringify(value)}`), `${what}: ${out.slice(-3000)}`);
                assert.match(out, /volume\(s\) .*PV dev-db-data \(workshop\).* keep their data at the old location/);
            }
            must("dev", "config", "set", `state-labs:${key}`, was);
        }
        assert.deepStrictEqual(versions(), before, "an object was written");
        must("dev", "preview", "--expect-no-changes");
    });

    it("destroys what the stack created and keeps the claims and data, leaving the other stack untouched", () => {
        const a = applied.dev;
        const claimsBefore = inNamespaces("pvc", a.namespaces.filter((n) => kubectl(["get", "ns", n]).code === 0)).map((c) => `${c.metadata.namespace}/${c.metadata.name}`).sort();
        const down = must("dev", "destroy", "--yes", "--skip-preview");
        figures.push(`pulumi destroy dev: ${down.seconds.toFixed(1)} s`);
        const holding = new Set(claimsBefore.map((c) => c.split("/")[0]));
        for (const ns of a.namespaces) {
            const exists = kubectl(["get", "ns", ns]).code === 0;
            assert.strictEqual(exists, holding.has(ns), `namespace ${ns}: ${exists ? "kept" : "deleted"}`);
        }
        const claimsAfter = inNamespaces("pvc", [...holding]).map((c) => `${c.metadata.namespace}/${c.metadata.name}`).sort();
        assert.deepStrictEqual(claimsAfter, claimsBefore, "claims kept");
        assert.strictEqual(getJson(["pv", "-l", "state-labs.io/prefix=dev"]).items.length, a.objects.filter((o) => o.kind === "PersistentVolume").length, "PVs kept");
        for (const kind of ["statefulset", "deployment", "service", "secret", "configmap", "job"]) {
            const left = inNamespaces(kind, [...holding]).filter((o) => !(kind === "configmap" && o.metadata.name === "kube-root-ca.crt"));
            assert.deepStrictEqual(left.map((o) => o.metadata.name), [], `${kind} left behind`);
        }
        for (const s of inNamespaces("statefulset", applied.nfs.namespaces)) assert.strictEqual(s.status.readyReplicas, s.spec.replicas, `nfs ${s.metadata.name}`);
    });

    after(() => {
        pulumi("nfs", "destroy", "--yes", "--skip-preview");
        printFigures();
    });
});

/**
 * An earlier program: 825addc is the last commit before the redesign (e75e89a moved scripts/ into
 * classroom/, sandbox/ and tools/ and refactored components/); the hardening of issue 21 came after
 * it. Stacks deployed by it are what the current program must take over without touching data.
 */
const BEFORE_REDESIGN = "825addc";
/** A stack of its own: its prefix keeps its namespaces, PVs and StorageClasses apart from dev's and nfs's. */
const UPGRADED = "premove";
/** What holds a lab's data or its access (a Secret, a generated password): nothing of these may change when only the program does. */
const HOLDS_DATA = /^kubernetes:(core\/v1:(PersistentVolume|PersistentVolumeClaim|Secret))$|^random:/;
/** What holds data and may be updated in place, but never replaced: a StatefulSet's pods roll onto the same claims; a namespace's labels (its Pod Security level) change. */
const KEEPS_DATA = /^kubernetes:(apps\/v1:StatefulSet|core\/v1:Namespace)$/;
/** What an upgrade may replace: a Job's pod template is immutable, and the stack's Jobs are re-runnable (they create what is missing). */
const REPLACEABLE = /^kubernetes:batch\/v1:Job$/;

describe("engine: a stack deployed by an earlier program, upgraded by the current one", function () {
    this.timeout(STEP_MS * 2);
    let old: string | undefined;

    before(() => {
        old = projectAt(BEFORE_REDESIGN);
        // The old program's own dev stack file (the keys it reads), under the stack's prefix.
        const stackFile = parseYaml(fs.readFileSync(path.join(old, "Pulumi.dev.yaml"), "utf8"));
        stackFile.config["state-labs:prefix"] = UPGRADED;
        fs.writeFileSync(path.join(old, `Pulumi.${UPGRADED}.yaml`), stringify(stackFile));
        mustIn(old, UPGRADED, "stack", "init", "--secrets-provider", "passphrase");
        const up = mustIn(old, UPGRADED, "up", "--yes", "--skip-preview");
        figures.push(`pulumi up ${UPGRADED} from empty with the program of ${BEFORE_REDESIGN}: ${up.seconds.toFixed(1)} s`);
        // The same stack under the current program: its state is in the shared backend; its
        // stack file carries, besides the config, the salt of its secrets (written by stack init).
        fs.copyFileSync(path.join(old, `Pulumi.${UPGRADED}.yaml`), path.join(WORK, `Pulumi.${UPGRADED}.yaml`));
        // What the current program asks of an older hostPath stack: the node of its directories.
        pinStackFile(WORK, UPGRADED, clusterNode());
    });

    it("plans no deletion, replaces nothing that holds data, and changes no volume, claim, Secret or password", () => {
        const t0 = Date.now();
        const steps = plannedSteps(UPGRADED);
        const seconds = (Date.now() - t0) / 1000;
        const changed = steps.filter((s) => s.op !== "same");
        const count: Record<string, number> = {};
        for (const s of changed) count[`${s.op} ${s.type}`] = (count[`${s.op} ${s.type}`] ?? 0) + 1;
        figures.push(
            `pulumi preview ${UPGRADED} (deployed by ${BEFORE_REDESIGN}) with the current program: ${seconds.toFixed(1)} s; ${steps.length} steps, ` +
                `${steps.length - changed.length} same${Object.entries(count).map(([k, n]) => `, ${n} ${k}`).join("")}`,
        );
        const what = (list: typeof steps) => list.map((s) => `${s.op} ${s.type} ${s.name}`);
        assert.deepStrictEqual(what(changed.filter((s) => s.op === "delete")), [], "deleted: a URN the old program used is gone (a rename without an alias?)");
        assert.deepStrictEqual(what(changed.filter((s) => DESTRUCTIVE.includes(s.op) && !REPLACEABLE.test(s.type))), [], "replaced: an immutable field changed on what must be kept");
        assert.deepStrictEqual(what(changed.filter((s) => HOLDS_DATA.test(s.type))), [], "a change to a volume, a claim, a Secret or a password");
        // A namespace's labels (its Pod Security level) may change; nothing else of it.
        const beyondLabels = (s: (typeof steps)[number]) => {
            const unlabelled = (i: Obj = {}) => ({ ...i, metadata: { ...(i.metadata as Obj), labels: undefined } });
            return !isDeepStrictEqual(unlabelled(s.oldState?.inputs), unlabelled(s.newState?.inputs));
        };
        const namespaces = changed.filter((s) => s.op === "update" && s.type === "kubernetes:core/v1:Namespace");
        assert.ok(namespaces.every((s) => s.oldState?.inputs && s.newState?.inputs), "the preview shows a namespace update's inputs");
        assert.deepStrictEqual(what(namespaces.filter(beyondLabels)), [], "a namespace changed beyond its labels");
        // The checks above would pass on a plan that made a new stack beside the old one.
        const kept = steps.filter((s) => KEEPS_DATA.test(s.type));
        assert.ok(kept.length > 0, "no StatefulSet or namespace in the plan");
        assert.deepStrictEqual(what(kept.filter((s) => s.op !== "same" && s.op !== "update")), [], "a StatefulSet or namespace not kept in place");
    });

    it("applies, and then plans no change", () => {
        const up = must(UPGRADED, "up", "--yes", "--skip-preview");
        figures.push(`pulumi up ${UPGRADED} with the current program: ${up.seconds.toFixed(1)} s`);
        const r = must(UPGRADED, "preview", "--expect-no-changes");
        figures.push(`pulumi preview (no change, after the upgrade) ${UPGRADED}: ${r.seconds.toFixed(1)} s`);
    });

    after(() => {
        if (old !== undefined) {
            const down = pulumiCli(WORK, UPGRADED, "destroy", "--yes", "--skip-preview");
            figures.push(`pulumi destroy ${UPGRADED}: ${down.seconds.toFixed(1)} s${down.code === 0 ? "" : " (failed)"}`);
            pulumiCli(WORK, UPGRADED, "stack", "rm", "--yes");
            // keepDataOnDestroy kept the namespaces holding claims, the claims and the PVs: later suites start without them
            deleteKept(UPGRADED);
        }
        printFigures();
    });
});
