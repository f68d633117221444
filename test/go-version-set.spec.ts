import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildName, compareGoVersions, compiledModules, renderSet, sharedSet, withoutSet } from "../sandbox/go-version-set";

describe("the shared Go version set (sandbox/go-version-set.ts)", () => {
    it("orders versions as Go does: a pseudo-version of a patch sits between that patch's predecessor and the patch", () => {
        const ordered = ["v0.3.6", "v1.36.11", "v1.36.12-0.20260120151049-f2248ac996af", "v1.36.12-rc.1", "v1.36.12", "v1.36.13",
            "v3.0.83+incompatible", "v68.0.0+incompatible"];
        for (let i = 0; i < ordered.length; i++) {
            for (let j = 0; j < ordered.length; j++) {
                assert.strictEqual(Math.sign(compareGoVersions(ordered[i], ordered[j])), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
            }
        }
        assert.throws(() => compareGoVersions("1.2.3", "v1.2.3"), /not a Go module version/);
    });

    it("keeps the modules two builds compile, at the higher version, with the builds that compile them; one build's own modules are left out", () => {
        const set = sharedSet(new Map([
            ["traefik", new Map([["k8s.io/api", "v0.34.3"], ["golang.org/x/net", "v0.51.0"], ["github.com/traefik/traefik/v3", "v3.6.12"]])],
            ["kubernetes", new Map([["k8s.io/api", "v0.36.3"], ["golang.org/x/net", "v0.49.0"], ["k8s.io/kubernetes", "v1.36.3"]])],
            ["pulumi", new Map([["golang.org/x/net", "v0.50.0"]])],
        ]));
        assert.deepStrictEqual([...set], [
            ["golang.org/x/net", { version: "v0.51.0", builds: ["kubernetes", "pulumi", "traefik"] }],
            ["k8s.io/api", { version: "v0.36.3", builds: ["kubernetes", "traefik"] }],
        ]);
        assert.strictEqual(renderSet(set).split("\n").filter((l) => !l.startsWith("#")).join("\n"),
            "golang.org/x/net v0.51.0 kubernetes,pulumi,traefik\nk8s.io/api v0.36.3 kubernetes,traefik\n");
        assert.deepStrictEqual(["traefik-v3.6.12", "/src/pulumi-kubernetes-v4.0.0-20260115033456-f47bc2d6f199", "kwok-v0.8.0"].map(buildName),
            ["traefik", "pulumi-kubernetes", "kwok"]);
    });

    it("reads a build's own versions: the set's block left out of its go.mod, forks and local directories not counted", () => {
        const gomod = "module w\n\ngo 1.25.0\n\nrequire a v1\n\n// go-version-set begin (x)\nrequire (\n\tb v2\n)\n// go-version-set end\n";
        assert.strictEqual(withoutSet(gomod), "module w\n\ngo 1.25.0\n\nrequire a v1\n\n");
        assert.strictEqual(withoutSet("module w\n"), "module w\n");
        const mods = compiledModules([
            "state-labs.local/toolchain/wrapper ",
            "k8s.io/api v0.0.0 k8s.io/api v0.36.3",
            "github.com/gorilla/mux v1.8.1 github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59",
            "github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199 ./provider ",
            "golang.org/x/net v0.51.0",
            "",
        ].join("\n"));
        assert.deepStrictEqual([...mods], [["k8s.io/api", "v0.36.3"], ["golang.org/x/net", "v0.51.0"]]);
    });

    it("is committed as the generator writes it: one line per module, sorted, each a Go version compiled by two builds or more", () => {
        const text = fs.readFileSync(path.join(__dirname, "../sandbox/go-version-set.txt"), "utf8");
        const set = new Map(text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => {
            const parts = l.split(" ");
            assert.strictEqual(parts.length, 3, `line '${l}'`);
            compareGoVersions(parts[1], parts[1]);
            const builds = parts[2].split(",");
            assert.ok(builds.length >= 2, `line '${l}'`);
            return [parts[0], { version: parts[1], builds: [...builds].sort() }] as [string, { version: string; builds: string[] }];
        }));
        assert.ok(set.get("k8s.io/client-go")?.builds.includes("traefik"), "the set names the Kubernetes client Traefik shares");
        assert.strictEqual(renderSet(new Map([...set].sort(([a], [b]) => (a < b ? -1 : 1)))), text);
    });
});
