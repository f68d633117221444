// stacks/build.js: what a deploy runs is the TypeScript transpiled into bin/, brought up to date
// file by file, without a type-check.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../tools/mock-runtime";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require("../stacks/build") as { ensureBuilt: (root: string) => string[] };

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f));
}

/** The scripts pods run: every other file of components/. */
function scripts(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && !e.name.endsWith(".ts"))
        .map((e) => path.join(e.parentPath, e.name));
}

/** A copy of the project's sources as a deploy sees them, under a new temporary directory. */
function project(from: string, parts: string[]): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "build-"));
    // timestamps kept: a copied bin/ stays newer than its sources, as after the build
    for (const f of parts) fs.cpSync(path.join(from, f), path.join(root, f), { recursive: true, preserveTimestamps: true });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"));
    return root;
}
const SOURCES = ["stacks", "components", "tsconfig.json"];

describe("stacks/build.js (the deploy's transpile step)", () => {
    // One full build (the first test's), copied for the others: each build from nothing
    // transpiles every source (1 to 2 s of CPU).
    let built: string;
    let firstBuild: string[];
    let root: string;
    before(() => {
        built = project(REPO_ROOT, SOURCES);
        firstBuild = ensureBuilt(built);
    });
    after(() => fs.rmSync(built, { recursive: true, force: true }));
    beforeEach(() => (root = project(built, [...SOURCES, "bin"])));
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("transpiles every source of stacks/ and components/ into bin/ and copies the scripts there once, then nothing while nothing changes", () => {
        const root = built;
        const ts = [...sources(path.join(root, "stacks")), ...sources(path.join(root, "components"))].map((f) => path.relative(root, f));
        const copied = scripts(path.join(root, "components")).map((f) => path.relative(root, f));
        assert.ok(ts.includes(path.join("components", "workloads", "postgres.ts")));
        assert.ok(copied.includes(path.join("components", "workloads", "postgres", "clone-primary.sh")));
        assert.deepStrictEqual(firstBuild.sort(), [...ts, ...copied].sort());
        for (const f of ts) assert.ok(fs.existsSync(path.join(root, "bin", f.replace(/\.ts$/, ".js"))), f);
        for (const f of copied) assert.strictEqual(fs.readFileSync(path.join(root, "bin", f), "utf8"), fs.readFileSync(path.join(root, f), "utf8"), f);
        assert.deepStrictEqual(ensureBuilt(root), []);
        assert.deepStrictEqual(
            fs.readdirSync(path.join(root, "bin"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".tmp")),
            [],
            "no temporary file left behind",
        );
    });

    it("re-transpiles exactly the source edited after its output, and the output runs", () => {
        assert.deepStrictEqual(ensureBuilt(root), [], "a copy of the first build");
        const naming = path.join(root, "components", "shared", "naming.ts");
        fs.appendFileSync(naming, '\nexport const EDITED = "yes";\n');
        fs.utimesSync(naming, new Date(), new Date(Date.now() + 5000));
        assert.deepStrictEqual(ensureBuilt(root), [path.join("components", "shared", "naming.ts")]);
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build's output, at a path known at run time
        const out = require(path.join(root, "bin", "components", "shared", "naming.js"));
        assert.strictEqual(out.EDITED, "yes");
        assert.deepStrictEqual([...out.LAB_IDS], ["workshop", "todo", "movies", "customer", "postgres-ha"]);
    });

    it("gives the built program its scripts: loaded from bin/ alone, as from the sources; an edited script is copied again", () => {
        assert.deepStrictEqual(ensureBuilt(root), [], "a copy of the first build");
        const modules = ["workloads/postgres", "workloads/mongo-replica-set", "workloads/grafana", "labs/todo-lab"];
        // the sources' scripts, as the specs load them
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- modules at paths known at run time
        const fromSources = modules.map((m) => require(path.join(REPO_ROOT, "components", m)));
        // the deploy's program sees only bin/: the sources are gone
        fs.rmSync(path.join(root, "components"), { recursive: true });
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build's output, at paths known at run time
        const built = modules.map((m) => require(path.join(root, "bin", "components", `${m}.js`)));
        const scriptsOf = (exports: Record<string, unknown>) => Object.fromEntries(Object.entries(exports).filter(([k, v]) => /^[A-Z_]+$/.test(k) && typeof v === "string" && v.includes("\n")));
        built.forEach((b, i) => {
            const expected = scriptsOf(fromSources[i]);
            assert.ok(Object.keys(expected).length > 0, modules[i]);
            assert.deepStrictEqual(scriptsOf(b), expected, modules[i]);
        });

        fs.cpSync(path.join(REPO_ROOT, "components"), path.join(root, "components"), { recursive: true });
        const script = path.join(root, "components", "workloads", "grafana", "sync-admin-password.sh");
        fs.appendFileSync(script, "# edited\n");
        fs.utimesSync(script, new Date(), new Date(Date.now() + 5000));
        assert.ok(ensureBuilt(root).includes(path.join("components", "workloads", "grafana", "sync-admin-password.sh")));
        assert.match(fs.readFileSync(path.join(root, "bin", "components", "workloads", "grafana", "sync-admin-password.sh"), "utf8"), /# edited\n$/);
    });

    it("does not type-check: a type error still transpiles (npm test is where types are checked)", () => {
        const index = path.join(root, "stacks", "index.ts");
        fs.writeFileSync(index, `const n: number = "not a number";\nexport = { n };\n`);
        fs.utimesSync(index, new Date(), new Date(Date.now() + 5000));
        assert.deepStrictEqual(ensureBuilt(root), [path.join("stacks", "index.ts")]);
        assert.match(fs.readFileSync(path.join(root, "bin", "stacks", "index.js"), "utf8"), /const n = "not a number"/);
    });
});
