import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../components/credentials";
import { runUnderMocks } from "../scripts/mock-runtime";
import { resourcesOfType, run } from "./objects";

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
        assert.deepStrictEqual(env, { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "pw" } } });
        const secret = resourcesOfType(r, "core/v1:Secret")[0];
        for (const key of ["pw", "url"]) {
            assert.ok(secret.secretPaths.some((p) => `stringData.${key}`.startsWith(p)), `stringData.${key} not sent as secret (${secret.secretPaths})`);
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
});
