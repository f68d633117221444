import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../components/security/credentials";
import { resolve, runUnderMocks } from "../tools/mock-runtime";
import { CREDENTIALS_GENERATION_ANNOTATION } from "../components/shared/naming";
import { objects, podTemplates, resourcesOfType, run } from "./objects";

describe("Credentials (labs:security:Credentials)", () => {
    it("never regenerates a password when anything else in the stack changes", async () => {
        // A RandomPassword is replaced (a new value) only if its name or inputs change.
        const passwords = async (overrides: Record<string, unknown>) =>
            resourcesOfType(await run("dev", overrides), "RandomPassword").map((p) => ({ name: p.name, inputs: p.inputs }));
        const base = await passwords({});
        assert.ok(base.length >= 7);
        const changed = await passwords({
            postgresImage: "postgres:16.4",
            mongoImage: "mongo:8.0.3",
            moviesMongoReplicas: 5,
            moviesMongoSize: "5Gi",
            quotaStorage: "40Gi",
            quotaCpuLimits: "16",
            postgresHaReplicas: 2,
            workshopPersistence: false,
            workshopBackendImage: "registry.example/fastapi:9",
            keepDataOnDestroy: false,
            todoIngressHost: "elsewhere.example",
        });
        assert.deepStrictEqual(changed, base);
    });

    it("generates letters and digits only, so values go into URIs unescaped", async () => {
        for (const p of resourcesOfType(await run("dev"), "RandomPassword")) {
            assert.strictEqual(p.inputs.special, false, p.name);
            assert.ok(p.inputs.length >= 24, p.name);
        }
    });

    it("hands out values only as Pulumi secrets, and env only as secretKeyRef", async () => {
        let value: pulumi.Output<string> | undefined;
        let derived: pulumi.Output<string> | undefined;
        let env: unknown;
        const r = await runUnderMocks(() => {
            const c = new Credentials("c", { namespace: "ns", secretName: "s", generate: { pw: 24 }, derive: (p) => ({ url: pulumi.interpolate`x://u:${p.pw}@h` }), labels: {} });
            value = c.value("pw");
            derived = c.value("url");
            env = c.env("PW", "pw");
            assert.throws(() => c.env("X", "nope"), /Secret s has no key nope/);
        });
        assert.ifError(r.error);
        assert.strictEqual(await pulumi.isSecret(value!), true);
        assert.strictEqual(await pulumi.isSecret(derived!), true);
        assert.deepStrictEqual(await resolve(env), { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "pw" } } });
        // the Secret's name (its output: a reader waits for it) is no secret: pod specs stay plain
        assert.strictEqual(await pulumi.isSecret((env as { valueFrom: { secretKeyRef: { name: pulumi.Output<string> } } }).valueFrom.secretKeyRef.name), false);
        const secret = resourcesOfType(r, "core/v1:Secret")[0];
        for (const key of ["pw", "url"]) {
            assert.ok(secret.secretPaths.some((p) => `stringData.${key}`.startsWith(p)), `stringData.${key} not sent as secret (${secret.secretPaths.join(",")})`);
        }
    });

    it("exports every lab secret of the stack as a Pulumi secret", async () => {
        const { program } = await import("../stacks/program");
        const { parseConfig } = await import("../stacks/config");
        const { withConfig } = await import("./objects");
        const secrets: pulumi.Output<string>[] = [];
        await runUnderMocks((opts) => {
            const out = program(parseConfig(withConfig("dev")), opts);
            for (const lab of Object.values(out.labs)) secrets.push(...Object.values(lab.secrets));
        });
        assert.ok(secrets.length >= 6);
        for (const s of secrets) assert.strictEqual(await pulumi.isSecret(s), true);
    });
    describe("rotation: <lab>CredentialsGeneration", () => {
        const keepersByName = async (overrides: Record<string, unknown>) =>
            Object.fromEntries(resourcesOfType(await run("dev", overrides), "RandomPassword").map((p) => [p.name, p.inputs.keepers]));

        it("replaces exactly the raised lab's passwords (a changed keeper is a new value)", async () => {
            const before = await keepersByName({});
            assert.ok(Object.values(before).every((k) => k === undefined), "generation 0 adds no keepers: older stacks plan no change");
            const after = await keepersByName({ todoCredentialsGeneration: 2 });
            const rotated = Object.keys(after).filter((n) => after[n] !== undefined).sort();
            assert.deepStrictEqual(rotated, ["todo-postgres-secret-POSTGRES_PASSWORD"]);
            assert.deepStrictEqual(after["todo-postgres-secret-POSTGRES_PASSWORD"], { generation: "2" });
        });

        it("restarts every workload that reads a rotated Secret, and nothing else", async () => {
            const r = await run("dev", { todoCredentialsGeneration: 1, postgresHaCredentialsGeneration: 3, workshopBackendImage: "registry.example/fastapi:1" });
            const annotated = Object.fromEntries(
                podTemplates(objects(r))
                    .filter((t) => t.annotations?.[CREDENTIALS_GENERATION_ANNOTATION] !== undefined)
                    .map((t) => [`${t.owner.kind}/${t.owner.metadata.name}`, t.annotations![CREDENTIALS_GENERATION_ANNOTATION]]),
            );
            assert.deepStrictEqual(annotated, { "StatefulSet/postgres": "1", "Deployment/stateful-flask": "1", "StatefulSet/postgres-sts": "3" });
            const plain = await run("dev", { workshopBackendImage: "registry.example/fastapi:1" });
            assert.ok(podTemplates(objects(plain)).every((t) => t.annotations === undefined), "generation 0 adds no annotation: older stacks plan no change");
        });

        it("updates a rotated Secret in place: the provider is told Secrets are mutable (its default replaces them)", async () => {
            const [provider] = resourcesOfType(await run("dev"), "pulumi:providers:kubernetes");
            assert.strictEqual(String(provider.inputs.enableSecretMutable), "true");
        });

        it("makes each workload wait for the Secrets it reads, so a rotation restarts it only after they changed", async () => {
            const r = await run("dev", { moviesCatalogImage: "registry.example/catalog:1", workshopBackendImage: "registry.example/fastapi:1", customerBackendImage: "registry.example/java:1" });
            const waits = (type: string, name: string) => r.resources.find((x) => x.type.endsWith(`:${type}`) && x.name === name)!.waitsFor;
            const expected: [string, string, string][] = [
                ["StatefulSet", "workshop-db", "workshop-db-credentials"],
                ["Deployment", "workshop-backend", "workshop-db-credentials"],
                ["StatefulSet", "todo-postgres", "todo-postgres-secret"],
                ["Deployment", "todo-app", "todo-app-db"],
                ["StatefulSet", "movies-mongo", "movies-mongo-credentials"],
                ["StatefulSet", "movies-grafana", "movies-grafana-admin"],
                ["Deployment", "movies-catalog", "movies-mongo-credentials"],
                ["StatefulSet", "customer-customer-db", "customer-db-pass"],
                ["Deployment", "customer-backend", "customer-db-pass"],
                ["StatefulSet", "postgres-ha-postgres", "postgres-ha-database-secret"],
            ];
            for (const [type, name, secret] of expected) {
                assert.ok(waits(type, name).includes(`kubernetes:core/v1:Secret::${secret}`), `${type} ${name} does not wait for Secret ${secret}: ${waits(type, name).join(",")}`);
            }
        });
    });
});
