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

describe("stacks/build.js (the deploy's transpile step)", () => {
    let root: string;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "build-"));
        for (const f of ["stacks", "components", "tsconfig.json"]) fs.cpSync(path.join(REPO_ROOT, f), path.join(root, f), { recursive: true });
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("transpiles every source of stacks/ and components/ into bin/ once, then nothing while nothing changes", () => {
        const all = [...sources(path.join(root, "stacks")), ...sources(path.join(root, "components"))].map((f) => path.relative(root, f)).sort();
        assert.ok(all.includes(path.join("components", "workloads", "postgres.ts")));
        assert.deepStrictEqual(ensureBuilt(root).sort(), all);
        for (const f of all) assert.ok(fs.existsSync(path.join(root, "bin", f.replace(/\.ts$/, ".js"))), f);
        assert.deepStrictEqual(ensureBuilt(root), []);
        assert.deepStrictEqual(
            fs.readdirSync(path.join(root, "bin"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".tmp")),
            [],
            "no temporary file left behind",
        );
    });

    it("re-transpiles exactly the source edited after its output, and the output runs", () => {
        ensureBuilt(root);
        const naming = path.join(root, "components", "shared", "naming.ts");
        fs.appendFileSync(naming, '\nexport const EDITED = "yes";\n');
        fs.utimesSync(naming, new Date(), new Date(Date.now() + 5000));
        assert.deepStrictEqual(ensureBuilt(root), [path.join("components", "shared", "naming.ts")]);
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build's output, at a path known at run time
        const out = require(path.join(root, "bin", "components", "shared", "naming.js"));
        assert.strictEqual(out.EDITED, "yes");
        assert.deepStrictEqual([...out.LAB_IDS], ["workshop", "todo", "movies", "customer", "postgres-ha"]);
    });

    it("does not type-check: a type error still transpiles (npm test is where types are checked)", () => {
        const index = path.join(root, "stacks", "index.ts");
        fs.writeFileSync(index, `const n: number = "not a number";\nexport = { n };\n`);
        assert.ok(ensureBuilt(root).includes(path.join("stacks", "index.ts")));
        assert.match(fs.readFileSync(path.join(root, "bin", "stacks", "index.js"), "utf8"), /const n = "not a number"/);
    });
});
